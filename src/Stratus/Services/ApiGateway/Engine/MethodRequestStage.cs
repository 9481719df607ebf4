using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Protocols.SigV4;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>What the method request stage decided: the 403 to answer, or who the caller is (null for methods open to anyone).</summary>
public sealed record MethodAuthorization(GatewayResponse? Refusal, CallerIdentity? Caller)
{
    public static readonly MethodAuthorization Open = new(null, null);
}

/// <summary>
/// The method request's authorization. A method with <c>authorizationType: AWS_IAM</c> takes only
/// requests signed with SigV4 for the <c>execute-api</c> service, as AWS does. It works on the HTTP
/// request itself because the signature covers the raw path, the headers and the body's hash.
/// Unsigned requests are refused in both modes (a local API that answered them would hide the client
/// that forgot to sign until it met AWS); in <c>--auth verify</c> the signature is checked against
/// Stratus's keys, in the default accept mode any signature is taken, as everywhere else in Stratus.
/// </summary>
/// <param name="actions">Under <c>--auth enforce</c>, decides execute-api:InvalidateCache as the signing key's principal; null otherwise.</param>
public sealed class MethodRequestStage(CredentialResolver credentials, SigV4Verifier verifier, AuthMode mode, IActionAuthorizer? actions = null)
{
    public const string SigningService = "execute-api";
    public const string InvalidateCacheAction = "execute-api:InvalidateCache";
    public const string ManageConnectionsAction = "execute-api:ManageConnections";

    /// <summary>A REST method's request: open unless the method's authorizationType is AWS_IAM, then as <see cref="AuthorizeInvokeAsync"/>.</summary>
    public Task<MethodAuthorization> AuthorizeAsync(HttpContext http, ApiMethod method, string region, string methodArn) =>
        method.AuthorizationType == "AWS_IAM" ? AuthorizeInvokeAsync(http, region, methodArn) : Task.FromResult(MethodAuthorization.Open);

    /// <summary>
    /// A request to an AWS_IAM REST method, or a WebSocket API's AWS_IAM $connect upgrade: it must be signed for execute-api (in headers
    /// or a presigned URL), and under <c>--auth enforce</c> the signer's policies must allow execute-api:Invoke on the method's or
    /// route's ARN (<c>arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH</c>, <c>.../STAGE/$connect</c>), as AWS requires.
    /// </summary>
    public async Task<MethodAuthorization> AuthorizeInvokeAsync(HttpContext http, string region, string routeArn)
    {
        var authorization = await SignedCallerAsync(http);
        if (authorization.Caller is not { } caller) return authorization;
        return actions?.Refusal(http, caller.AccessKey, region, SigningService, AuthorizerPolicy.InvokeAction, routeArn) is { } denied
            ? Refused(GatewayResponse.Message(403, denied, "AccessDeniedException"))
            : authorization;
    }

    /// <summary>The SigV4 signer of the request for execute-api, or the 403 refusing an unsigned or badly signed one.</summary>
    private async Task<MethodAuthorization> SignedCallerAsync(HttpContext http)
    {
        if (SigV4Credential.From(http.Request) is not { } credential)
            return Refused(GatewayResponse.Message(403, "Missing Authentication Token", "MissingAuthenticationTokenException"));
        var known = credentials.Find(credential.AccessKeyId);
        if (mode != AuthMode.Accept)
        {
            if (credential.Service != SigningService)
                return Refused(GatewayResponse.Message(403, $"Credential should be scoped to correct service: '{SigningService}'. ", "InvalidSignatureException"));
            if (await verifier.VerifyAsync(http, credential, known) is { } refusal) return Refused(AsGatewayResponse(refusal));
        }
        return new MethodAuthorization(null, known is null
            ? new CallerIdentity(credential.AccessKeyId, CredentialResolver.AccountForUnknownKey(credential.AccessKeyId), null, null)
            : new CallerIdentity(known.AccessKeyId, known.AccountId, known.PrincipalId ?? known.AccessKeyId, known.PrincipalArn));
    }

    /// <summary>
    /// Whether a <c>Cache-Control: max-age=0</c> may refresh a cache entry whose method requires authorization for it. As on AWS
    /// the request must be signed with SigV4 for execute-api, whatever the method's own authorizationType, and under
    /// <c>--auth enforce</c> the signer's policies must allow execute-api:InvalidateCache on the method's ARN
    /// (<c>arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH</c>). <paramref name="caller"/> is the AWS_IAM method's
    /// verified caller, whose signature is not checked twice. Runs before the body is read: the signature covers its hash.
    /// </summary>
    public async Task<bool> MayInvalidateCacheAsync(HttpContext http, CallerIdentity? caller, string region, string methodArn)
    {
        if (SigV4Credential.From(http.Request) is not { } credential) return false;
        if (caller is null && mode != AuthMode.Accept
            && (credential.Service != SigningService || await verifier.VerifyAsync(http, credential, credentials.Find(credential.AccessKeyId)) is not null))
            return false;
        return actions?.Refusal(http, credential.AccessKeyId, region, SigningService, InvalidateCacheAction, methodArn) is null;
    }

    /// <summary>
    /// A call of the WebSocket management API (apigatewaymanagementapi: PostToConnection, GetConnection, DeleteConnection), which
    /// AWS serves to SigV4-signed callers only: unsigned calls are refused in every mode; under <c>--auth verify</c> the signature
    /// is checked, and under <c>--auth enforce</c> the signer's policies must allow execute-api:ManageConnections on the
    /// connection's ARN (<c>arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/@connections/ID</c>). Null when the call may go on.
    /// </summary>
    public async Task<GatewayResponse?> ManageConnectionsRefusalAsync(HttpContext http, string region, string connectionArn)
    {
        if (SigV4Credential.From(http.Request) is not { } credential)
            return GatewayResponse.Message(403, "Missing Authentication Token", "ForbiddenException");
        if (mode == AuthMode.Accept) return null;
        if (credential.Service != SigningService)
            return GatewayResponse.Message(403, $"Credential should be scoped to correct service: '{SigningService}'. ", "InvalidSignatureException");
        if (await verifier.VerifyAsync(http, credential, credentials.Find(credential.AccessKeyId)) is { } refusal) return AsGatewayResponse(refusal);
        return actions?.Refusal(http, credential.AccessKeyId, region, SigningService, ManageConnectionsAction, connectionArn) is { } denied
            ? GatewayResponse.Message(403, denied, "ForbiddenException")
            : null;
    }

    private static MethodAuthorization Refused(GatewayResponse response) => new(response, null);

    /// <summary>The verifier's refusal as API Gateway words it: a 403 with <c>{"message": ...}</c> and its error type.</summary>
    private static GatewayResponse AsGatewayResponse(AwsException refusal) => GatewayResponse.Message(403, refusal.Message, refusal.Code switch
    {
        "InvalidClientTokenId" => "UnrecognizedClientException",
        "ExpiredToken" => "ExpiredTokenException",
        "IncompleteSignature" => "IncompleteSignatureException",
        _ => "InvalidSignatureException",
    });
}
