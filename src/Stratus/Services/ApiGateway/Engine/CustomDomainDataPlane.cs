using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Services.ApiGatewayV2;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// Serves requests whose Host is a custom domain name (or its regional domain name) on Stratus's own port, as API Gateway serves
/// them: the path's base path picks the mapping, is taken off, and the rest goes to the mapped API's stage (REST APIs through
/// <see cref="ApiGatewayDataPlane"/>, HTTP APIs through <see cref="ApiGatewayV2DataPlane"/>). A domain whose routing mode uses routing
/// rules tries them first, by priority, each sending a request to a REST API's stage. A request nothing matches is answered 403 Forbidden,
/// as AWS answers it. A domain with mutual TLS answers 403 Forbidden, as AWS does, to a request whose connection presented no client
/// certificate its truststore admits (plain HTTP included); an admitted certificate goes on to the integration.
/// </summary>
public sealed class CustomDomainDataPlane(CustomDomainNames domains, ApiGatewayDataPlane restApis, ApiGatewayV2DataPlane httpApis,
    ApiGatewayV2Service httpApiStore, ClientCertificateVerifier clientCertificates) : IRequestInterceptor
{
    public bool Claims(HttpRequest request) => domains.FindByHost(request.Host.Host) is not null;

    public async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "/";
        if (domains.FindByHost(http.Request.Host.Host) is not { } domain)
        {
            await Forbidden(http);
            return;
        }
        if (domain.MutualTls is { } mutualTls)
        {
            var certificate = http.Connection.ClientCertificate;
            if (clientCertificates.Refusal(certificate, mutualTls) is not null)
            {
                await Forbidden(http);
                return;
            }
            http.Features.Set(ClientCertificateIdentity.Of(certificate!));
        }
        // Routing rules come before API mappings in ROUTING_RULE_THEN_API_MAPPING, as AWS evaluates them; each mode uses only its own.
        if (RoutingModes.UsesRules(domain.RoutingMode)
            && CustomDomainNames.RouteByRules(domain, path, name => http.Request.Headers[name].OfType<string>()) is { } ruled)
        {
            await restApis.ServeAsync(http, ruled.Rule.Action.ApiId, ruled.Rule.Action.Stage, ruled.Path, viaExecuteApi: false);
            return;
        }
        if (!RoutingModes.UsesMappings(domain.RoutingMode) || CustomDomainNames.Route(domain, path) is not { } route)
        {
            await Forbidden(http);
            return;
        }
        var (mapping, rest) = route;
        if (httpApiStore.IsHttpApi(mapping.ApiId))
        {
            // rawPath keeps the base path, as AWS's payload format 2.0 reports it for a custom domain.
            await httpApis.ServeAsync(http, mapping.ApiId, mapping.Stage ?? ApiGatewayV2Service.DefaultStage, rest, path, viaExecuteApi: false);
            return;
        }
        if (mapping.Stage is { } stage)
        {
            await restApis.ServeAsync(http, mapping.ApiId, stage, rest, viaExecuteApi: false);
            return;
        }
        // A REST mapping without a stage takes the stage from the first segment after the base path.
        var segments = rest.Split('/', 3);
        await restApis.ServeAsync(http, mapping.ApiId, segments.Length > 1 ? segments[1] : "", "/" + (segments.Length > 2 ? segments[2] : ""), viaExecuteApi: false);
    }

    /// <summary>A request nothing on the domain routes, answered 403 Forbidden as AWS answers it.</summary>
    private static Task Forbidden(HttpContext http) =>
        InvokeHttp.WriteAsync(http, 403, [new("Content-Type", "application/json"), new("x-amzn-ErrorType", "ForbiddenException")],
            """{"message":"Forbidden"}"""u8.ToArray());
}
