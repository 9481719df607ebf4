using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Protocols.Json;

namespace Stratus.Services.Ecr;

/// <summary>ECR's wire operations (AWS JSON 1.1, AmazonEC2ContainerRegistry_V20150921).</summary>
public sealed class EcrApi : IStratusService
{
    private readonly EcrService _ecr;

    public EcrApi(EcrService ecr, ILogger logger)
    {
        _ecr = ecr;
        Endpoint = new ServiceEndpoint("ecr", Operations(), new AwsJsonProtocol("AmazonEC2ContainerRegistry_V20150921", "1.1")) { Logger = logger };
    }

    public string Name => "ecr";
    public ServiceEndpoint Endpoint { get; }

    private OperationTable Operations() => new()
    {
        { "CreateRepository", i => new JsonObject
            {
                ["repository"] = Repository(_ecr.Create(i.Scope, i.Required("repositoryName"), i.String("imageTagMutability"),
                    i.Object("imageScanningConfiguration") is { } scanning && i.Nested(scanning).Bool("scanOnPush") == true, Tags(i))),
            } },
        { "DescribeRepositories", i => new JsonObject
            {
                ["repositories"] = new JsonArray(_ecr.Describe(i.Scope, i.Strings("repositoryNames")).Select(r => (JsonNode)Repository(r)).ToArray()),
            } },
        { "DeleteRepository", i => new JsonObject { ["repository"] = Repository(_ecr.Delete(i.Scope, i.Required("repositoryName"))) } },
        { "DescribeImages", i => Empty(i, "imageDetails") },
        { "ListImages", i => Empty(i, "imageIds") },
        { "GetAuthorizationToken", i =>
            {
                var (token, expiresAt) = _ecr.IssueToken();
                return new JsonObject
                {
                    ["authorizationData"] = new JsonArray(new JsonObject
                    {
                        ["authorizationToken"] = token,
                        ["expiresAt"] = expiresAt,
                        ["proxyEndpoint"] = $"https://{i.Call.AccountId}.dkr.ecr.{i.Call.Region}.amazonaws.com",
                    }),
                };
            } },
        { "TagResource", i =>
            {
                _ecr.Tag(i.Scope, i.Required("resourceArn"), Tags(i));
                return new JsonObject();
            } },
        { "UntagResource", i =>
            {
                _ecr.Untag(i.Scope, i.Required("resourceArn"), i.Strings("tagKeys").ToHashSet());
                return new JsonObject();
            } },
        { "ListTagsForResource", i => new JsonObject { ["tags"] = TagList(_ecr.GetByArn(i.Scope, i.Required("resourceArn")).Tags) } },
    };

    /// <summary>Repositories hold no images until Stratus serves the registry protocol; the repository must still exist.</summary>
    private JsonObject Empty(OperationInput input, string listName)
    {
        _ecr.Get(input.Scope, input.Required("repositoryName"));
        return new JsonObject { [listName] = new JsonArray() };
    }

    private static IReadOnlyList<EcrTag> Tags(OperationInput input) =>
        input.List("tags").OfType<JsonObject>().Select(t => new EcrTag(input.Nested(t).Required("Key"), input.Nested(t).String("Value") ?? "")).ToList();

    private static JsonArray TagList(IReadOnlyList<EcrTag> tags) =>
        new(tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }).ToArray());

    private static JsonObject Repository(EcrRepository r) => new()
    {
        ["repositoryArn"] = r.Arn,
        ["registryId"] = r.AccountId,
        ["repositoryName"] = r.RepositoryName,
        ["repositoryUri"] = r.Uri,
        ["createdAt"] = r.CreatedAt,
        ["imageTagMutability"] = r.ImageTagMutability,
        ["imageScanningConfiguration"] = new JsonObject { ["scanOnPush"] = r.ScanOnPush },
        ["encryptionConfiguration"] = new JsonObject { ["encryptionType"] = "AES256" },
    };
}
