using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using Stratus.Protocols.SigV4;

namespace Stratus.Host;

/// <summary>
/// Sends each request on the one endpoint to its service: by the SigV4 credential scope, else by
/// X-Amz-Target, the path, or the Query protocol's Version; scopes it to an account and region; and in
/// verify mode refuses it unless its signature checks out.
/// </summary>
public sealed class RequestRouter(ServiceRegistry registry, CredentialResolver credentials, StratusOptions options, SigV4Verifier verifier, IRequestAuthorizer? authorizer = null, IAccessRecorder? accessRecorder = null)
{
    public async Task RouteAsync(HttpContext http)
    {
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        http.Response.Headers["x-amz-request-id"] = requestId;

        // S3 also takes Signature Version 2 (older SDKs, boto3's signature_version="s3" presigned URLs).
        var credential = SigV4Credential.From(http.Request) ?? SigV4Credential.FromSigV2(http.Request);
        var service = credential is not null ? registry.BySigningName(credential.Service, http.Request.Path.Value ?? "/") : null;
        if (service is null && credential is not null && !IsServedElsewhere(credential.Service))
        {
            await WriteUnroutableAsync(http, $"Stratus does not serve the '{credential.Service}' service. It serves: {ServedNames()}.");
            return;
        }
        try
        {
            service ??= await FindUnsignedAsync(http);
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException && !http.RequestAborted.IsCancellationRequested)
        {
            await WriteErrorAsync(http, ServiceEndpoint.Unreadable(e));
            return;
        }
        if (service is null)
        {
            await WriteUnroutableAsync(http, $"Stratus could not tell which AWS service this request is for ({http.Request.Method} {http.Request.Path}). " +
                $"Sign it with SigV4, or send the X-Amz-Target header or the Query protocol's Action and Version. Served: {ServedNames()}.");
            return;
        }

        var known = credential is null ? null : credentials.Find(credential.AccessKeyId);
        // An unsigned request to a service with operations AWS serves unsigned is refused once its operation is known.
        var unsignedMayPass = options.Auth != AuthMode.Accept && credential is null && service.Endpoint.UnsignedOperations.Count > 0;
        var region = string.IsNullOrEmpty(credential?.Region) ? StratusOptions.DefaultRegion : credential.Region;
        var call = new CallContext
        {
            AccountId = known?.AccountId ?? CredentialResolver.AccountForUnknownKey(credential?.AccessKeyId),
            Region = region,
            RequestId = requestId,
            AccessKeyId = credential?.AccessKeyId,
            PrincipalArn = known?.PrincipalArn,
            PrincipalId = known?.PrincipalId,
            Http = http,
            Authorize = options.Auth == AuthMode.Enforce && known is not null && authorizer is not null
                ? (operation, input) => authorizer.Authorize(http, service.Endpoint, known, region, operation, input)
                : unsignedMayPass
                    ? (operation, _) => { if (!service.Endpoint.UnsignedOperations.Contains(operation)) throw SigV4Verifier.MissingAuthenticationToken(); }
                    : null,
            Attempted = known is not null && accessRecorder is not null
                ? (operation, input) => accessRecorder.RecordAttempt(known, service.Endpoint, region, operation, input)
                : null,
        };
        if (known is not null) credentials.RecordUse(known.AccessKeyId, service.Name, call.Region);

        if (!Regions.IsKnown(call.Region))
        {
            await service.Endpoint.RejectAsync(http, call, Regions.Unknown(call.Region,
                service.Endpoint.Protocols.FirstOrDefault(p => p.Accepts(http.Request)) is Protocols.Query.AwsQueryProtocol));
            return;
        }
        if (options.Auth != AuthMode.Accept && !unsignedMayPass && await verifier.VerifyAsync(http, credential, known) is { } refusal)
        {
            await service.Endpoint.RejectAsync(http, call, refusal);
            return;
        }
        await service.Endpoint.HandleAsync(http, call);
    }

    /// <summary>Signing names whose requests a service answers under another name.</summary>
    private static bool IsServedElsewhere(string signingName) => signingName is "execute-api";

    private string ServedNames() => string.Join(", ", registry.Services.Select(s => s.Name));

    private async Task<IStratusService?> FindUnsignedAsync(HttpContext http)
    {
        var request = http.Request;
        if (request.Headers["X-Amz-Target"].ToString() is { Length: > 0 } target) return registry.ByTarget(target);
        if (registry.ByPath(request.Path.Value ?? "/") is { } byPath) return byPath;
        var version = request.Query["Version"].ToString();
        if (version.Length == 0 && request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
            version = await PeekFormVersionAsync(request);
        return version.Length > 0 ? registry.ByQueryVersion(version) : registry.ByClaim(request);
    }

    /// <summary>How much of an unsigned form body is read to find its Version: SDKs send Action and Version first.</summary>
    private const int FormPeekBytes = 64 * 1024;

    /// <summary>
    /// Reads Version from the start of a form body without consuming it, so the service can read it
    /// again and refuse it at its own size limit: a 100 MB body is never read whole just to route it.
    /// </summary>
    private static async Task<string> PeekFormVersionAsync(HttpRequest request)
    {
        request.EnableBuffering(bufferThreshold: FormPeekBytes);
        var start = new byte[FormPeekBytes];
        var read = 0;
        int last;
        while (read < start.Length && (last = await request.Body.ReadAsync(start.AsMemory(read), request.HttpContext.RequestAborted)) > 0) read += last;
        var whole = read < start.Length || await request.Body.ReadAsync(new byte[1], request.HttpContext.RequestAborted) == 0;
        request.Body.Position = 0;
        var text = Encoding.UTF8.GetString(start, 0, read);
        // A cut body's last pair may be cut too: only pairs followed by '&' are whole.
        if (!whole) text = text[..Math.Max(0, text.LastIndexOf('&'))];
        var form = new FormReader(text) { ValueCountLimit = 100_000, ValueLengthLimit = text.Length + 1 };
        try
        {
            while (form.ReadNextPair() is { } pair)
                if (pair.Key == "Version") return pair.Value;
        }
        catch (InvalidDataException)
        {
            return "";
        }
        return "";
    }

    private static Task WriteUnroutableAsync(HttpContext http, string message) =>
        WriteErrorAsync(http, new AwsException("UnknownServiceException", message));

    /// <summary>An error before any service is known, in the JSON protocols' shape.</summary>
    private static async Task WriteErrorAsync(HttpContext http, AwsException error)
    {
        http.Response.StatusCode = error.StatusCode;
        ServiceEndpoint.CloseIfBodyWithheld(http);
        http.Response.Headers["x-amzn-ErrorType"] = error.Code;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(JsonBody.Write(ErrorBodies.Build(error, "__type", "message")));
    }
}
