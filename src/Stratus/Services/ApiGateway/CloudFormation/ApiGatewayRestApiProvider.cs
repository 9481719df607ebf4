using System.Globalization;
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
        var api = gateway.CreateRestApi(scope, RestApiSettings.Read(p, Title(body)));
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

        var existingName = gateway.GetRestApi(scope, apiId).Name;
        var settings = RestApiSettings.Read(p, existingName);
        var previous = RestApiSettings.Read(before, existingName);
        var patch = new List<PatchOperation>
        {
            Replace("name", settings.Name),
            Replace("description", settings.Description),
            Replace("policy", settings.Policy),
            Replace("apiKeySource", settings.ApiKeySource ?? "HEADER"),
            Replace("minimumCompressionSize", settings.MinimumCompressionSize?.ToString(CultureInfo.InvariantCulture)),
            Replace("disableExecuteApiEndpoint", settings.DisableExecuteApiEndpoint ? "true" : "false"),
        };
        // Only the property's own changes: a Body may bring binary media types of its own.
        var media = settings.BinaryMediaTypes ?? [];
        var previousMedia = previous.BinaryMediaTypes ?? [];
        patch.AddRange(previousMedia.Except(media).Select(m => new PatchOperation("remove", "/binaryMediaTypes/" + Escape(m), null, null)));
        patch.AddRange(media.Except(previousMedia).Select(m => new PatchOperation("add", "/binaryMediaTypes/" + Escape(m), null, null)));
        var api = gateway.UpdateRestApi(scope, apiId, patch);

        var arn = $"arn:aws:apigateway:{request.Region}::/restapis/{apiId}";
        var tags = settings.Tags ?? [];
        var removed = (previous.Tags ?? []).Keys.Except(tags.Keys).ToList();
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

    /// <summary>The name a Body gives when the template gives none: its info.title.</summary>
    private static string? Title(JsonObject? body) =>
        (body?["info"] as JsonObject)?["title"] is JsonValue title && title.GetValueKind() == JsonValueKind.String ? title.GetValue<string>() : null;

    private static string Mode(ResourceProperties p) => p.String("Mode") ?? "overwrite";

    private static ProvisionedResource Provisioned(RestApi api) =>
        new(api.Id, new Dictionary<string, string> { ["RestApiId"] = api.Id, ["RootResourceId"] = api.RootResourceId });
}
