namespace Stratus.Services.Iam;

/// <summary>
/// The IAM service namespaces (action prefixes) of the services Stratus serves, with the names AWS's Service Authorization
/// Reference gives them: what service last accessed reports and ListPoliciesGrantingServiceAccess know. A policy allowing
/// an action of a service Stratus does not serve grants nothing Stratus could see used, so that service is not listed.
/// </summary>
public static class ServiceNamespaces
{
    public static readonly IReadOnlyDictionary<string, string> Names = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["apigateway"] = "Amazon API Gateway Management",
        ["cloudformation"] = "AWS CloudFormation",
        ["cloudwatch"] = "Amazon CloudWatch",
        ["ec2"] = "Amazon EC2",
        ["ecr"] = "Amazon Elastic Container Registry",
        ["events"] = "Amazon EventBridge",
        ["execute-api"] = "Amazon API Gateway",
        ["iam"] = "AWS Identity and Access Management (IAM)",
        ["kms"] = "AWS Key Management Service",
        ["lambda"] = "AWS Lambda",
        ["logs"] = "Amazon CloudWatch Logs",
        ["rds"] = "Amazon RDS",
        ["rds-data"] = "Amazon RDS Data API",
        ["s3"] = "Amazon S3",
        ["secretsmanager"] = "AWS Secrets Manager",
        ["ssm"] = "AWS Systems Manager",
        ["sts"] = "AWS Security Token Service",
    };

    /// <summary>The services whose actions AWS's action-level reports track (EC2, IAM, Lambda and S3's management actions).</summary>
    public static readonly IReadOnlySet<string> ActionTracked = new HashSet<string>(StringComparer.Ordinal) { "ec2", "iam", "lambda", "s3" };

    /// <summary>
    /// Whether a statement can allow some action of the namespace: an Allow whose Action names the service (its prefix may
    /// carry wildcards, "s*:*"), or whose NotAction leaves some action of it out (it does unless an entry takes the whole
    /// service, "s3:*" or "*"). Conditions and resources are not weighed, as AWS does not weigh them here either.
    /// </summary>
    public static bool Allows(Engine.PolicyStatement statement, string serviceNamespace)
    {
        if (statement.Effect != Engine.StatementEffect.Allow) return false;
        if (statement.Actions is { } actions) return actions.Any(a => a == "*" || (Split(a) is { } p && Engine.Wildcard.Matches(p.Service, serviceNamespace, ignoreCase: true)));
        return statement.NotActions is { } excluded && !excluded.Any(a => a == "*"
            || (Split(a) is { } p && p.Action.Length > 0 && p.Action.All(c => c == '*') && Engine.Wildcard.Matches(p.Service, serviceNamespace, ignoreCase: true)));

        static (string Service, string Action)? Split(string action) =>
            action.IndexOf(':') is var colon and > 0 ? (action[..colon], action[(colon + 1)..]) : null;
    }

    public static bool Allows(Engine.Policy policy, string serviceNamespace) => policy.Statements.Any(s => Allows(s, serviceNamespace));
}
