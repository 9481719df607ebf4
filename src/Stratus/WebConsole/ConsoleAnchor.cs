using System.Net;

namespace Stratus.WebConsole;

/// <summary>
/// The ids the console's cards and rows carry, so a stack's resource links to the section that shows it. An id names
/// the kind, account, region and name, since the same name can exist in several accounts and regions on one page.
/// </summary>
public static class ConsoleAnchor
{
    public const string Function = "function";
    public const string LogGroup = "log-group";
    public const string Bucket = "bucket";
    public const string Repository = "repository";
    public const string Parameter = "parameter";
    public const string Key = "key";
    public const string DbInstance = "db-instance";
    public const string RestApi = "rest-api";
    public const string HttpApi = "http-api";
    public const string Dashboard = "dashboard";
    public const string Stack = "stack";

    public static string Id(string kind, string account, string region, string name) => $"{kind}:{account}:{region}:{name}";

    /// <summary>The id attribute (with its leading space) for a card or row.</summary>
    public static string Attribute(string kind, string account, string region, string name) =>
        $" id=\"{WebUtility.HtmlEncode(Id(kind, account, region, name))}\"";

    /// <summary>An href to the id, escaped for the fragment and the attribute.</summary>
    public static string Href(string id) => WebUtility.HtmlEncode("#" + Uri.EscapeDataString(id));

    /// <summary>
    /// Where the console shows a CloudFormation resource of this type, by the physical id CloudFormation reports for
    /// it (a function's, bucket's, repository's, parameter's, DB instance's, log group's or dashboard's name, a key's
    /// id, an API's id, a nested stack's ARN); null for types the console has no section for.
    /// </summary>
    public static string? ForResource(string resourceType, string account, string region, string physicalId)
    {
        string? kind = resourceType switch
        {
            "AWS::Lambda::Function" => Function,
            "AWS::Logs::LogGroup" => LogGroup,
            "AWS::S3::Bucket" => Bucket,
            "AWS::ECR::Repository" => Repository,
            "AWS::SSM::Parameter" => Parameter,
            "AWS::KMS::Key" => Key,
            "AWS::RDS::DBInstance" => DbInstance,
            "AWS::ApiGateway::RestApi" => RestApi,
            "AWS::ApiGatewayV2::Api" => HttpApi,
            "AWS::CloudWatch::Dashboard" => Dashboard,
            "AWS::CloudFormation::Stack" => Stack,
            _ => null,
        };
        return kind is null ? null : Id(kind, account, region, physicalId);
    }
}
