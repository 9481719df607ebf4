using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// SAM policy templates (Policies entries like <c>S3ReadPolicy: {BucketName: ...}</c>): each becomes the
/// statements SAM's policy template list grants, its parameters substituted through Fn::Sub so that
/// Refs and GetAtts given as parameters resolve at deploy time.
/// </summary>
public static class SamPolicyTemplates
{
    private sealed record Grant(string[] Actions, params string[] Resources);

    private sealed record PolicyTemplate(string[] Parameters, params Grant[] Grants);

    private const string S3Bucket = "arn:${AWS::Partition}:s3:::${bucketName}";
    private const string S3Objects = "arn:${AWS::Partition}:s3:::${bucketName}/*";
    private const string DynamoTable = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}";
    private const string DynamoIndexes = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}/index/*";
    private static readonly string[] S3Read = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:GetLifecycleConfiguration"];

    private static readonly Dictionary<string, PolicyTemplate> Templates = new(StringComparer.Ordinal)
    {
        ["S3ReadPolicy"] = new(["BucketName"], new Grant(S3Read, S3Bucket, S3Objects)),
        ["S3CrudPolicy"] = new(["BucketName"], new Grant(
            [.. S3Read, "s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration", "s3:DeleteObject"], S3Bucket, S3Objects)),
        ["S3WritePolicy"] = new(["BucketName"], new Grant(
            ["s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"], S3Bucket, S3Objects)),
        ["SSMParameterReadPolicy"] = new(["ParameterName"],
            new Grant(["ssm:DescribeParameters"], "*"),
            new Grant(["ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath"],
                "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${parameterName}")),
        ["AWSSecretsManagerGetSecretValuePolicy"] = new(["SecretArn"], new Grant(["secretsmanager:GetSecretValue"], "${secretArn}")),
        ["VPCAccessPolicy"] = new([], new Grant(
            ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DetachNetworkInterface"], "*")),
        ["LambdaInvokePolicy"] = new(["FunctionName"], new Grant(["lambda:InvokeFunction"],
            "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*")),
        ["DynamoDBCrudPolicy"] = new(["TableName"], new Grant(
            ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem",
             "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"], DynamoTable, DynamoIndexes)),
        ["DynamoDBReadPolicy"] = new(["TableName"], new Grant(
            ["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"], DynamoTable, DynamoIndexes)),
        ["CloudWatchPutMetricPolicy"] = new([], new Grant(["cloudwatch:PutMetricData"], "*")),
    };

    public static JsonObject Expand(string functionId, string name, JsonNode? parameters)
    {
        if (!Templates.TryGetValue(name, out var template))
            throw SamErrors.NotServed(functionId,
                $"Stratus does not know the SAM policy template '{name}'. Known: {string.Join(", ", Templates.Keys.Order(StringComparer.Ordinal))}.");
        var supplied = parameters as JsonObject ?? [];
        // SAM's templates name their parameters in camel case inside the statements (${bucketName} for BucketName).
        var variables = new JsonObject();
        foreach (var parameter in template.Parameters)
            variables[char.ToLowerInvariant(parameter[0]) + parameter[1..]] = supplied[parameter]?.DeepClone()
                ?? throw SamErrors.Invalid(functionId, $"Missing required parameter '{parameter}' of the policy template '{name}'.");
        var statements = new JsonArray();
        foreach (var grant in template.Grants)
        {
            var resources = grant.Resources.Select(r => r == "*" ? (JsonNode)"*" : SamTransform.Sub(r, (JsonObject)variables.DeepClone())).ToArray();
            statements.Add(new JsonObject
            {
                ["Effect"] = "Allow",
                ["Action"] = new JsonArray(grant.Actions.Select(a => (JsonNode)a).ToArray()),
                ["Resource"] = resources.Length == 1 ? resources[0] : new JsonArray(resources),
            });
        }
        return new JsonObject { ["Statement"] = statements };
    }
}
