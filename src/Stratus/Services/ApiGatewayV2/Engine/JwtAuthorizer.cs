using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols.Jwt;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>The outcome of authorizing a request: its context for the integration, or the response refusing it.</summary>
public sealed record Authorization(AuthorizerContext? Context, HttpApiResponse? Refusal, string? Error = null);

/// <summary>
/// HTTP APIs' JWT authorizer, as AWS validates: the token from the identity source (a "Bearer " prefix
/// dropped), an RSA signature (RS256/384/512: AWS accepts RSA keys only) by a key from the issuer's JWKS
/// (found through {issuer}/.well-known/openid-configuration), exp and nbf, iss equal to the configured
/// issuer, aud (or client_id when there is no aud) among the configured audiences, and, when the route
/// names authorization scopes, one of them in the token's scope or scp claim. Invalid tokens get 401
/// with AWS's WWW-Authenticate header; a token lacking the scopes gets 403.
/// </summary>
public sealed class JwtAuthorizer(JwksKeys keys, TimeProvider clock)
{
    public async Task<Authorization> AuthorizeAsync(HttpAuthorizer authorizer, HttpRoute route, HttpApiRequest request, CancellationToken cancellation)
    {
        var header = authorizer.IdentitySource.FirstOrDefault() is { } source ? request.Header(source["$request.header.".Length..]) : null;
        if (string.IsNullOrWhiteSpace(header)) return Refuse(401, "", "", "No token was provided");
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : header.Trim();
        var jwt = authorizer.JwtConfiguration!;
        var (validated, problem) = await ValidateAsync(token, jwt.Issuer!, cancellation);
        if (validated is null) return Refuse(401, "invalid_token", "", problem!);
        if (!validated.Audiences.Any((jwt.Audience ?? []).Contains)) return Refuse(401, "invalid_token", "", "the token does not have a valid audience");
        var claims = validated.Claims;
        var scopes = Scopes(claims);
        if (route.AuthorizationScopes is { Count: > 0 } required && !required.Any(scopes.Contains))
            return Refuse(403, "insufficient_scope", string.Join(' ', required), "the token does not have the required scopes");
        // AWS hands claims to the integration as strings.
        var claimStrings = new JsonObject(claims.Select(c => new KeyValuePair<string, JsonNode?>(c.Key,
            c.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : c.Value?.ToJsonString())));
        JsonNode? scopeList = scopes.Count == 0 ? null : new JsonArray([.. scopes.Select(s => (JsonNode)s)]);
        return new Authorization(new AuthorizerContext(
            new JsonObject { ["jwt"] = new JsonObject { ["claims"] = claimStrings, ["scopes"] = scopeList } },
            new JsonObject { ["claims"] = claimStrings.DeepClone(), ["scopes"] = scopeList?.DeepClone() }), null);
    }

    private static Authorization Refuse(int status, string error, string scope, string description)
    {
        var response = status == 401 ? HttpApiResponse.Unauthorized() : HttpApiResponse.Forbidden();
        response.Headers.Add(new("www-authenticate", error.Length == 0
            ? "Bearer"
            : $"Bearer scope=\"{scope}\" error=\"{error}\" error_description=\"{description}\""));
        return new Authorization(null, response, description);
    }

    private async Task<(JsonWebToken? Token, string? Problem)> ValidateAsync(string token, string issuer, CancellationToken cancellation)
    {
        if (token.Length > JsonWebToken.MaxLength) return (null, "the token is too large");
        if (JsonWebToken.Decode(token) is not { } jwt) return (null, "the token could not be decoded");
        if (jwt.Hash is null) return (null, "the token's signing algorithm is not supported: API Gateway accepts RSA-signed tokens (RS256, RS384, RS512)");
        if (jwt.Issuer != issuer) return (null, "the token does not have a valid issuer");
        var key = await keys.FindAsync(issuer, jwt.KeyId, cancellation);
        if (key is null) return (null, "the token's signing key was not found at the issuer's JWKS");
        if (!jwt.IsSignedBy(key)) return (null, "the token's signature is invalid");
        return jwt.LifetimeAt(clock.GetUtcNow()) switch
        {
            JwtLifetime.NoExpiry => (null, "the token has no exp claim"),
            JwtLifetime.Expired => (null, "the token has expired"),
            JwtLifetime.NotYetValid => (null, "the token is not valid yet"),
            _ => (jwt, null),
        };
    }

    private static List<string> Scopes(JsonObject claims) => claims["scope"] is JsonValue scope
        ? [.. scope.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)]
        : claims["scp"] is JsonArray scp ? [.. scp.OfType<JsonValue>().Select(v => v.ToString())] : [];
}
