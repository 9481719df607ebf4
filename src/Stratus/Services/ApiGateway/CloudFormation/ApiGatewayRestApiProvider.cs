using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGateway.CloudFormation;

/// <summary>
/// AWS::ApiGateway::RestApi through ApiGatewayService, including a Body with an OpenAPI/Swagger
/// definition (applied with PutRestApi, as CloudFormation does). Ref is the API id.
/// </summary>
public sealed class ApiGatewayRestApiProvider(ApiGatewayService gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGateway::RestApi";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var scope = request.Scope;
        if (p.Values.ContainsKey("BodyS3Location") || p.Values.ContainsKey("CloneFrom"))
            throw p.Invalid(p.Values.ContainsKey("CloneFrom") ? "CloneFrom" : "BodyS3Location", "not supported by Stratus; put the definition in Body");
        var body = Body(p);
        var name = p.String("Name") ?? (body?["info"] as JsonObject)?["title"]?.GetValue<string>() ?? throw p.Missing("Name");
        var api = gateway.CreateRestApi(scope, new RestApiSettings(name, p.String("Description"), null, Strings(p, "BinaryMediaTypes"),
            p.Int("MinimumCompressionSize"), p.String("ApiKeySourceType"), Strings(p.Object("EndpointConfiguration"), "Types"), Policy(p),
            Tags(p), p.Bool("DisableExecuteApiEndpoint") ?? false));
        if (body is not null)
        {
            try
            {
                api = gateway.PutRestApi(scope, api.Id, body, Mode(p));
            }
            catch
            {
                gateway.DeleteRestApi(scope, api.Id);
                throw;
            }
        }
        return Task.FromResult(Provisioned(api));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var before = new ResourceProperties(request.LogicalId, previousProperties);
        var scope = request.Scope;
        var apiId = current.PhysicalId;
        if (Body(p) is { } body && !ResourceProperties.Same(p.Values["Body"], previousProperties["Body"]))
            gateway.PutRestApi(scope, apiId, body, Mode(p));

        var existing = gateway.GetRestApi(scope, apiId);
        var patch = new List<PatchOperation>
        {
            Replace("name", p.String("Name") ?? existing.Name),
            Replace("description", p.String("Description")),
            Replace("policy", Policy(p)),
            Replace("apiKeySource", p.String("ApiKeySourceType") ?? "HEADER"),
            Replace("minimumCompressionSize", p.String("MinimumCompressionSize")),
            Replace("disableExecuteApiEndpoint", (p.Bool("DisableExecuteApiEndpoint") ?? false) ? "true" : "false"),
        };
        // Only the property's own changes: a Body may bring binary media types of its own.
        var media = Strings(p, "BinaryMediaTypes") ?? [];
        var previousMedia = Strings(before, "BinaryMediaTypes") ?? [];
        patch.AddRange(previousMedia.Except(media).Select(m => new PatchOperation("remove", "/binaryMediaTypes/" + Escape(m), null, null)));
        patch.AddRange(media.Except(previousMedia).Select(m => new PatchOperation("add", "/binaryMediaTypes/" + Escape(m), null, null)));
        var api = gateway.UpdateRestApi(scope, apiId, patch);

        var arn = $"arn:aws:apigateway:{request.Region}::/restapis/{apiId}";
        var tags = Tags(p) ?? [];
        var removed = (Tags(before) ?? []).Keys.Except(tags.Keys).ToList();
        if (removed.Count > 0) gateway.UntagResource(scope, arn, removed);
        if (tags.Count > 0) gateway.TagResource(scope, arn, tags);
        return Task.FromResult(Provisioned(api));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => gateway.DeleteRestApi(request.Scope, current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }

    private static PatchOperation Replace(string member, string? value) =>
        value is null ? new PatchOperation("remove", "/" + member, null, null) : new PatchOperation("replace", "/" + member, value, null);

    private static string Escape(string segment) => segment.Replace("~", "~0").Replace("/", "~1");

    /// <summary>The definition as an object: written inline in the template, or a string holding JSON.</summary>
    private static JsonObject? Body(ResourceProperties p)
    {
        switch (p.Values["Body"])
        {
            case null:
                return null;
            case JsonObject inline:
                return inline;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                try
                {
                    return Stratus.Protocols.Json.JsonBody.Parse(v.GetValue<string>()) as JsonObject ?? throw p.Invalid("Body", "expected type: JSONObject");
                }
                catch (JsonException e)
                {
                    throw p.Invalid("Body", "a string Body must hold a JSON OpenAPI definition: " + e.Message);
                }
            default:
                throw p.Invalid("Body", "expected type: JSONObject");
        }
    }

    private static string Mode(ResourceProperties p) => p.String("Mode") ?? "overwrite";

    private static string? Policy(ResourceProperties p) => p.Values["Policy"] is null ? null : p.RequiredDocument("Policy");

    private static List<string>? Strings(ResourceProperties? p, string name) => p?.Strings(name) is { Count: > 0 } list ? list.ToList() : null;

    private static Dictionary<string, string>? Tags(ResourceProperties p) =>
        p.Tags() is { Count: > 0 } tags ? tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal) : null;

    private static ProvisionedResource Provisioned(RestApi api) =>
        new(api.Id, new Dictionary<string, string> { ["RestApiId"] = api.Id, ["RootResourceId"] = api.RootResourceId });
}
