using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Templates;

/// <summary>The AWS::* names every template can Ref, with this stack's values.</summary>
/// <param name="UrlSuffix">AWS::URLSuffix: "amazonaws.com" on AWS; on Stratus "localhost:PORT", so execute-api URLs built from it open.</param>
public sealed record PseudoParameters(string AccountId, string Region, string StackName, string StackId, string UrlSuffix = PseudoParameters.AwsUrlSuffix)
{
    public const string NoValue = "AWS::NoValue";
    public const string AwsUrlSuffix = "amazonaws.com";

    private static readonly HashSet<string> Names =
        ["AWS::AccountId", "AWS::Region", "AWS::StackName", "AWS::StackId", "AWS::Partition", "AWS::URLSuffix", NoValue, "AWS::NotificationARNs"];

    public static bool IsPseudo(string name) => Names.Contains(name);

    public JsonNode? Value(string name) => name switch
    {
        "AWS::AccountId" => AccountId,
        "AWS::Region" => Region,
        "AWS::StackName" => StackName,
        "AWS::StackId" => StackId,
        "AWS::Partition" => "aws",
        "AWS::URLSuffix" => UrlSuffix,
        "AWS::NotificationARNs" => new JsonArray(),
        _ => null,
    };

    /// <summary>The Availability Zones Fn::GetAZs lists: those EC2 describes for the region, each with a default subnet.</summary>
    public static JsonArray AvailabilityZones(string region) =>
        new(Ec2.Ec2Rules.AvailabilityZones(region).Select(zone => (JsonNode?)JsonValue.Create(zone)).ToArray());
}
