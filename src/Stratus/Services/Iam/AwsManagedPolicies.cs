namespace Stratus.Services.Iam;

/// <summary>
/// The AWS managed policies Stratus knows, so that attaching them works as it does on AWS. Their
/// documents grant what AWS's do, as the simulator and `--auth enforce` read them.
/// </summary>
public static class AwsManagedPolicies
{
    private static readonly DateTimeOffset Published = new(2015, 2, 6, 18, 40, 0, TimeSpan.Zero);

    public static IReadOnlyList<IamManagedPolicy> All { get; } =
    [
        Policy("AWSLambdaBasicExecutionRole", "/service-role/", "ANPAJNCQGXC42545SKXIK",
            "Provides write permissions to CloudWatch Logs.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"""),
        Policy("AWSLambdaVPCAccessExecutionRole", "/service-role/", "ANPAJVTME3YLVNL72YR2K",
            "Provides minimum permissions for a Lambda function to execute while accessing a resource within a VPC.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents","ec2:CreateNetworkInterface","ec2:DescribeNetworkInterfaces","ec2:DescribeSubnets","ec2:DeleteNetworkInterface","ec2:AssignPrivateIpAddresses","ec2:UnassignPrivateIpAddresses"],"Resource":"*"}]}"""),
        Policy("AWSLambdaRole", "/service-role/", "ANPAJX4DPCRGTC4NFDUXI",
            "Default policy for AWS Lambda service role.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:InvokeFunction"],"Resource":["*"]}]}"""),
        Policy("AWSLambdaExecute", "/", "ANPAJE5FX7FQZSU5XAKGO",
            "Provides Put, Get access to S3 and full access to CloudWatch Logs.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*"],"Resource":"arn:aws:logs:*:*:*"},{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::*"}]}"""),
        // What a LambdaRestApi's CloudWatch role (the CDK's default) attaches.
        Policy("AmazonAPIGatewayPushToCloudWatchLogs", "/service-role/", "ANPAIK4GFO7HLKYN64ASK",
            "Allows API Gateway to push logs to user's account.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:DescribeLogGroups","logs:DescribeLogStreams","logs:PutLogEvents","logs:GetLogEvents","logs:FilterLogEvents"],"Resource":"*"}]}"""),
        // What the CDK bootstrap stack's deployment action role attaches.
        Policy("AWSCloudFormationReadOnlyAccess", "/", "ANPAJWVBEE4I2POWLODLW",
            "Provides access to AWS CloudFormation via the AWS Management Console.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudformation:DescribeStacks","cloudformation:DescribeStackEvents","cloudformation:DescribeStackResource","cloudformation:DescribeStackResources","cloudformation:GetTemplate","cloudformation:List*"],"Resource":"*"}]}"""),
        Policy("AmazonRDSFullAccess", "/", "ANPAI3R4QMOG6Q5A4VWVG",
            "Provides full access to Amazon RDS.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["rds:*"],"Resource":"*"}]}"""),
        Policy("CloudWatchLogsFullAccess", "/", "ANPAJ3ZGNWK2R5HW5BQFO",
            "Provides full access to CloudWatch Logs.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*"],"Resource":"*"}]}"""),
        Policy("ReadOnlyAccess", "/", "ANPAILL3HVNFSB6DCOWYQ",
            "Provides read-only access to AWS services and resources.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["*:Describe*","*:Get*","*:List*"],"Resource":"*"}]}"""),
        Policy("AdministratorAccess", "/", "ANPAIWMBCKSKIEE64ZLYK",
            "Provides full access to AWS services and resources.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"""),
    ];

    private static IamManagedPolicy Policy(string name, string path, string id, string description, string document) => new()
    {
        Owner = "aws",
        PolicyName = name,
        PolicyId = id,
        Path = path,
        CreateDate = Published,
        UpdateDate = Published,
        DefaultVersionId = "v1",
        Versions = [new IamPolicyVersion("v1", document, Published)],
        Description = description,
    };
}
