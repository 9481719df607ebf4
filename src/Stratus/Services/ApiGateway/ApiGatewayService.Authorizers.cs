using System.Text.RegularExpressions;
using Stratus.Protocols;
using Stratus.Services.ApiGateway.Engine;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// A REST API's Lambda authorizers (TOKEN and REQUEST), kept in the API's document and frozen into each deployment, as AWS
/// serves a changed authorizer only once the API is deployed again. COGNITO_USER_POOLS is refused: Stratus serves no user pools.
/// </summary>
public sealed partial class ApiGatewayService
{
    /// <summary>AWS's default result TTL, and its bound.</summary>
    public const int DefaultAuthorizerTtl = 300;
    private const int MaxAuthorizerTtl = 3600;

    public ApiAuthorizer CreateAuthorizer(Scope scope, string apiId, AuthorizerSettings settings)
    {
        var authorizer = NewAuthorizer(NewId(), settings);
        CheckAuthorizer(authorizer);
        MutateApi(scope, apiId, doc =>
        {
            if (doc.Authorizers.Values.Any(a => a.Name == authorizer.Name)) throw Conflict($"Authorizer name already exists for this REST API: {authorizer.Name}");
            doc.Authorizers[authorizer.Id] = authorizer;
        });
        return authorizer;
    }

    /// <summary>
    /// Every setting of an authorizer replaced and its id kept: AWS::ApiGateway::Authorizer's update, which AWS makes in place for
    /// every property but RestApiId (the template states the whole authorizer, so what it leaves out goes back to its default).
    /// </summary>
    public ApiAuthorizer ReplaceAuthorizer(Scope scope, string apiId, string authorizerId, AuthorizerSettings settings)
    {
        var authorizer = NewAuthorizer(authorizerId, settings);
        CheckAuthorizer(authorizer);
        MutateApi(scope, apiId, doc =>
        {
            AuthorizerOf(doc, authorizerId);
            if (doc.Authorizers.Values.Any(a => a.Name == authorizer.Name && a.Id != authorizerId)) throw Conflict($"Authorizer name already exists for this REST API: {authorizer.Name}");
            doc.Authorizers[authorizerId] = authorizer;
        });
        return authorizer;
    }

    private static ApiAuthorizer NewAuthorizer(string id, AuthorizerSettings settings) =>
        new()
        {
            Id = id,
            Name = settings.Name,
            Type = settings.Type,
            ProviderARNs = settings.ProviderArns,
            AuthType = settings.AuthType,
            AuthorizerUri = settings.AuthorizerUri,
            AuthorizerCredentials = settings.AuthorizerCredentials,
            IdentitySource = settings.IdentitySource,
            IdentityValidationExpression = settings.IdentityValidationExpression,
            AuthorizerResultTtlInSeconds = settings.AuthorizerResultTtlInSeconds ?? DefaultAuthorizerTtl,
        };

    public ApiAuthorizer GetAuthorizer(Scope scope, string apiId, string authorizerId) => AuthorizerOf(Api(scope, apiId), authorizerId);

    public (IReadOnlyList<ApiAuthorizer> Items, string? Position) GetAuthorizers(Scope scope, string apiId, string? position, int? limit) =>
        Page(Api(scope, apiId).Authorizers.Values.OrderBy(a => a.Name, StringComparer.Ordinal), a => a.Id, position, limit);

    private static readonly Dictionary<string, PatchKind> AuthorizerPatchable = new()
    {
        ["name"] = PatchKind.Text, ["type"] = PatchKind.Text, ["authType"] = PatchKind.Text, ["authorizerUri"] = PatchKind.Text,
        ["authorizerCredentials"] = PatchKind.Text, ["identitySource"] = PatchKind.Text, ["identityValidationExpression"] = PatchKind.Text,
        ["authorizerResultTtlInSeconds"] = PatchKind.Integer, ["providerARNs"] = PatchKind.TextList,
    };

    public ApiAuthorizer UpdateAuthorizer(Scope scope, string apiId, string authorizerId, IReadOnlyList<PatchOperation> patch)
    {
        ApiAuthorizer? updated = null;
        MutateApi(scope, apiId, doc =>
        {
            var next = PatchDocument.Apply(AuthorizerOf(doc, authorizerId), patch, AuthorizerPatchable);
            CheckAuthorizer(next);
            if (doc.Authorizers.Values.Any(a => a.Name == next.Name && a.Id != authorizerId)) throw Conflict($"Authorizer name already exists for this REST API: {next.Name}");
            doc.Authorizers[authorizerId] = updated = next;
        });
        return updated!;
    }

    public void DeleteAuthorizer(Scope scope, string apiId, string authorizerId) =>
        MutateApi(scope, apiId, doc =>
        {
            var authorizer = AuthorizerOf(doc, authorizerId);
            foreach (var resource in doc.Resources.Values)
                foreach (var method in (resource.ResourceMethods ?? []).Values)
                    if (method.AuthorizerId == authorizerId && method.AuthorizationType == "CUSTOM")
                        throw Conflict($"Cannot delete authorizer '{authorizer.Name}', is referenced in method: '{method.HttpMethod}:{resource.Path}'");
            doc.Authorizers.Remove(authorizerId);
        });

    /// <summary>The authorizer TestInvokeAuthorizer runs: the API's current one, not a deployment's.</summary>
    public (RestApiDocument Api, ApiAuthorizer Authorizer) ForTestInvokeAuthorizer(Scope scope, string apiId, string authorizerId)
    {
        var api = Api(scope, apiId);
        return (api, AuthorizerOf(api, authorizerId));
    }

    private static ApiAuthorizer AuthorizerOf(RestApiDocument doc, string authorizerId) =>
        doc.Authorizers.GetValueOrDefault(authorizerId) ?? throw NotFound("Invalid Authorizer identifier specified");

    /// <summary>A method's authorizer must exist in its API and be a Lambda authorizer for CUSTOM.</summary>
    private static void CheckMethodAuthorizer(RestApiDocument doc, ApiMethod method)
    {
        if (method.AuthorizationType is not ("CUSTOM" or "COGNITO_USER_POOLS")) return;
        if (method.AuthorizerId is not { } id || !doc.Authorizers.TryGetValue(id, out var authorizer))
            throw BadRequest("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.");
        if (method.AuthorizationType == "CUSTOM" && authorizer.Type == "COGNITO_USER_POOLS"
            || method.AuthorizationType == "COGNITO_USER_POOLS" && authorizer.Type != "COGNITO_USER_POOLS")
            throw BadRequest($"Unable to set authorizer '{id}' of type {authorizer.Type} on a method with authorization type {method.AuthorizationType}");
    }

    private static void CheckAuthorizer(ApiAuthorizer authorizer)
    {
        if (string.IsNullOrWhiteSpace(authorizer.Name)) throw BadRequest("Invalid authorizer name specified");
        switch (authorizer.Type)
        {
            case "TOKEN" or "REQUEST": break;
            case "COGNITO_USER_POOLS":
                throw BadRequest("Authorizers of type COGNITO_USER_POOLS are not built in Stratus: it serves no Amazon Cognito user pools. Use a TOKEN or REQUEST Lambda authorizer.");
            default:
                throw BadRequest($"1 validation error detected: Value '{authorizer.Type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [TOKEN, REQUEST, COGNITO_USER_POOLS]");
        }
        var uri = authorizer.AuthorizerUri ?? throw BadRequest("Authorizer URI is required for authorizers of type " + authorizer.Type);
        if (!uri.Contains("${stageVariables.", StringComparison.Ordinal) && IntegrationUri.Parse(uri)?.LambdaFunction is null)
            throw BadRequest($"Invalid Authorizer URI specified: {uri}. It must be arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations");
        if (authorizer.AuthorizerResultTtlInSeconds is < 0 or > MaxAuthorizerTtl)
            throw BadRequest($"Invalid authorizer TTL specified: {authorizer.AuthorizerResultTtlInSeconds}. It must be between 0 and {MaxAuthorizerTtl} seconds");
        var sources = IdentitySources(authorizer);
        if (authorizer.Type == "TOKEN")
        {
            if (sources is not [var header] || !header.StartsWith(IdentitySourceHeader, StringComparison.Ordinal) || header.Length == IdentitySourceHeader.Length)
                throw BadRequest("Invalid identity source specified: a TOKEN authorizer takes one header, method.request.header.NAME");
            if (authorizer.IdentityValidationExpression is { Length: > 0 } expression)
            {
                try
                {
                    _ = new Regex(expression);
                }
                catch (ArgumentException)
                {
                    throw BadRequest($"Invalid identity validation expression specified: {expression}");
                }
            }
        }
        else
        {
            foreach (var source in sources)
                if (!IdentitySourcePrefixes.Any(prefix => source.StartsWith(prefix, StringComparison.Ordinal) && source.Length > prefix.Length))
                    throw BadRequest($"Invalid identity source specified: {source}. It must be method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME or context.NAME");
            if (sources.Count == 0 && authorizer.AuthorizerResultTtlInSeconds > 0)
                throw BadRequest("Identity source is required when authorizer caching is enabled (authorizerResultTtlInSeconds above 0)");
        }
    }

    private const string IdentitySourceHeader = "method.request.header.";
    private static readonly string[] IdentitySourcePrefixes = [IdentitySourceHeader, "method.request.querystring.", "stageVariables.", "context."];

    /// <summary>An authorizer's identity sources: its comma-separated identitySource, trimmed.</summary>
    public static IReadOnlyList<string> IdentitySources(ApiAuthorizer authorizer) =>
        (authorizer.IdentitySource ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
