using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// HTTP APIs' $context variables, as access log formats, parameter mappings and identity sources use them.
/// An access log writes "-" for a variable without a value, as AWS does.
/// </summary>
public static class ContextVariables
{
    private const string ClientCertPrefix = "identity.clientCert.";

    /// <summary>The value of "context.name" (without the '$'), or null when it has none.</summary>
    public static string? Value(string variable, HttpApiRun run)
    {
        var request = run.Request;
        var name = variable.StartsWith("context.", StringComparison.Ordinal) ? variable["context.".Length..] : variable;
        if (name.StartsWith("authorizer.", StringComparison.Ordinal))
        {
            var key = name["authorizer.".Length..];
            if (key == "error") return run.AuthorizerError;
            if (key.StartsWith("claims.", StringComparison.Ordinal))
                return ((run.Authorizer?.Format2["jwt"] as JsonObject)?["claims"] as JsonObject)?[key["claims.".Length..]]?.ToString();
            return (run.Authorizer?.Format2["lambda"] as JsonObject)?[key]?.ToString();
        }
        return name switch
        {
            "requestId" or "extendedRequestId" => request.RequestId,
            "apiId" => run.Stage.Api.ApiId,
            "accountId" => run.Stage.AccountId,
            "stage" => run.Stage.Stage.StageName,
            "routeKey" => run.Route?.Route.RouteKey,
            "httpMethod" => request.Method,
            "path" => request.RawPath,
            "protocol" => "HTTP/1.1",
            "domainName" => request.DomainName,
            "domainPrefix" => request.DomainName.Split('.')[0],
            "identity.sourceIp" => request.SourceIp,
            "identity.userAgent" => request.Header("User-Agent"),
            // The SigV4 signer of an AWS_IAM route, as AWS fills these for routes that use IAM authorization ("-" elsewhere).
            // accessKey is not in AWS's list for HTTP APIs, but REST and WebSocket APIs log it and the 2.0 event carries it.
            "identity.accountId" => run.Caller?.AccountId,
            "identity.caller" or "identity.user" => run.Caller?.Caller,
            "identity.userArn" => run.Caller?.UserArn,
            "identity.accessKey" => run.Caller?.AccessKey,
            // The client certificate a mutual TLS domain verified ($context.identity.clientCert.subjectDN, .validity.notAfter, ...).
            _ when name.StartsWith(ClientCertPrefix, StringComparison.Ordinal) => request.ClientCert?.Variable(name[ClientCertPrefix.Length..]),
            "requestTime" => request.Time,
            "requestTimeEpoch" => request.Start.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            "status" => run.Status == 0 ? null : run.Status.ToString(CultureInfo.InvariantCulture),
            "responseLength" => run.ResponseLength.ToString(CultureInfo.InvariantCulture),
            "responseLatency" => ((long)run.ResponseLatency.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            "integrationLatency" or "integration.latency" => run.IntegrationStatus is null ? null : ((long)run.IntegrationLatency.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            "integrationStatus" or "integration.status" or "integration.integrationStatus" => run.IntegrationStatus?.ToString(CultureInfo.InvariantCulture),
            "integrationErrorMessage" or "integration.error" => run.IntegrationError,
            _ => null,
        };
    }
}
