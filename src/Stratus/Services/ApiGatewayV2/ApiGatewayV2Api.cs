using System.Text.Json;
using Stratus.Host;
using Stratus.Protocols.RestJson;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGatewayV2.Engine;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>
/// API Gateway v2's wire operations (REST-JSON, 2018-11-29; signing name apigateway): the control plane of HTTP APIs,
/// each operation bound to its path as in botocore's model; request members in, domain call, response shape out. The router
/// tells it from API Gateway v1 by its /v2/ paths.
/// </summary>
public sealed partial class ApiGatewayV2Api : IStratusService
{
    private const string Api = "/v2/apis/{apiId}";

    private readonly ApiGatewayV2Service _gateway;
    private readonly CustomDomainNames _domains;
    private readonly LambdaRequestAuthorizer _authorizers;
    private readonly PortalService _portals;

    public ApiGatewayV2Api(ApiGatewayV2Service gateway, CustomDomainNames domains, LambdaRequestAuthorizer authorizers, PortalService portals, ILogger logger)
    {
        _gateway = gateway;
        _domains = domains;
        _authorizers = authorizers;
        _portals = portals;
        Endpoint = new ServiceEndpoint("apigateway", Operations(), new RestJsonProtocol(Routes) { ErrorMessageKey = "message" })
        {
            Logger = logger,
            Validation = ApiGatewayV2Errors.Validation,
            // An OpenAPI definition to import is at most 6 MB on AWS, as for REST APIs.
            MaxBodyBytes = 6 * 1024 * 1024,
        };
    }

    public string Name => "apigatewayv2";
    public ServiceEndpoint Endpoint { get; }

    private static readonly RestRoute[] Served =
    [
        new("POST", "/v2/apis", "CreateApi", successStatus: 201),
        new("GET", "/v2/apis", "GetApis"),
        new("PUT", "/v2/apis", "ImportApi", successStatus: 201),
        new("GET", Api, "GetApi"),
        new("PATCH", Api, "UpdateApi"),
        new("PUT", Api, "ReimportApi", successStatus: 201),
        new("DELETE", Api, "DeleteApi", successStatus: 204),
        new("DELETE", Api + "/cors", "DeleteCorsConfiguration", successStatus: 204),
        new("GET", Api + "/exports/{specification}", "ExportApi"),
        new("POST", Api + "/routes", "CreateRoute", successStatus: 201),
        new("GET", Api + "/routes", "GetRoutes"),
        new("GET", Api + "/routes/{routeId}", "GetRoute"),
        new("PATCH", Api + "/routes/{routeId}", "UpdateRoute"),
        new("DELETE", Api + "/routes/{routeId}", "DeleteRoute", successStatus: 204),
        new("POST", Api + "/routes/{routeId}/routeresponses", "CreateRouteResponse", successStatus: 201),
        new("GET", Api + "/routes/{routeId}/routeresponses", "GetRouteResponses"),
        new("GET", Api + "/routes/{routeId}/routeresponses/{routeResponseId}", "GetRouteResponse"),
        new("PATCH", Api + "/routes/{routeId}/routeresponses/{routeResponseId}", "UpdateRouteResponse"),
        new("DELETE", Api + "/routes/{routeId}/routeresponses/{routeResponseId}", "DeleteRouteResponse", successStatus: 204),
        new("DELETE", Api + "/routes/{routeId}/requestparameters/{requestParameterKey}", "DeleteRouteRequestParameter", successStatus: 204),
        new("POST", Api + "/integrations", "CreateIntegration", successStatus: 201),
        new("GET", Api + "/integrations", "GetIntegrations"),
        new("GET", Api + "/integrations/{integrationId}", "GetIntegration"),
        new("PATCH", Api + "/integrations/{integrationId}", "UpdateIntegration"),
        new("DELETE", Api + "/integrations/{integrationId}", "DeleteIntegration", successStatus: 204),
        new("POST", Api + "/integrations/{integrationId}/integrationresponses", "CreateIntegrationResponse", successStatus: 201),
        new("GET", Api + "/integrations/{integrationId}/integrationresponses", "GetIntegrationResponses"),
        new("GET", Api + "/integrations/{integrationId}/integrationresponses/{integrationResponseId}", "GetIntegrationResponse"),
        new("PATCH", Api + "/integrations/{integrationId}/integrationresponses/{integrationResponseId}", "UpdateIntegrationResponse"),
        new("DELETE", Api + "/integrations/{integrationId}/integrationresponses/{integrationResponseId}", "DeleteIntegrationResponse", successStatus: 204),
        new("POST", Api + "/authorizers", "CreateAuthorizer", successStatus: 201),
        new("GET", Api + "/authorizers", "GetAuthorizers"),
        new("GET", Api + "/authorizers/{authorizerId}", "GetAuthorizer"),
        new("PATCH", Api + "/authorizers/{authorizerId}", "UpdateAuthorizer"),
        new("DELETE", Api + "/authorizers/{authorizerId}", "DeleteAuthorizer", successStatus: 204),
        new("POST", Api + "/models", "CreateModel", successStatus: 201),
        new("GET", Api + "/models", "GetModels"),
        new("GET", Api + "/models/{modelId}", "GetModel"),
        new("PATCH", Api + "/models/{modelId}", "UpdateModel"),
        new("DELETE", Api + "/models/{modelId}", "DeleteModel", successStatus: 204),
        new("GET", Api + "/models/{modelId}/template", "GetModelTemplate"),
        new("POST", Api + "/stages", "CreateStage", successStatus: 201),
        new("GET", Api + "/stages", "GetStages"),
        new("GET", Api + "/stages/{stageName}", "GetStage"),
        new("PATCH", Api + "/stages/{stageName}", "UpdateStage"),
        new("DELETE", Api + "/stages/{stageName}", "DeleteStage", successStatus: 204),
        new("POST", Api + "/deployments", "CreateDeployment", successStatus: 201),
        new("GET", Api + "/deployments", "GetDeployments"),
        new("GET", Api + "/deployments/{deploymentId}", "GetDeployment"),
        new("DELETE", Api + "/deployments/{deploymentId}", "DeleteDeployment", successStatus: 204),
        new("PATCH", Api + "/deployments/{deploymentId}", "UpdateDeployment"),
        new("DELETE", Api + "/stages/{stageName}/accesslogsettings", "DeleteAccessLogSettings", successStatus: 204),
        new("DELETE", Api + "/stages/{stageName}/routesettings/{routeKey}", "DeleteRouteSettings", successStatus: 204),
        new("DELETE", Api + "/stages/{stageName}/cache/authorizers", "ResetAuthorizersCache", successStatus: 204),
        new("POST", "/v2/domainnames", "CreateDomainName", successStatus: 201),
        new("GET", "/v2/domainnames", "GetDomainNames"),
        new("GET", "/v2/domainnames/{domainName}", "GetDomainName"),
        new("PATCH", "/v2/domainnames/{domainName}", "UpdateDomainName"),
        new("DELETE", "/v2/domainnames/{domainName}", "DeleteDomainName", successStatus: 204),
        new("POST", "/v2/domainnames/{domainName}/apimappings", "CreateApiMapping", successStatus: 201),
        new("GET", "/v2/domainnames/{domainName}/apimappings", "GetApiMappings"),
        new("GET", "/v2/domainnames/{domainName}/apimappings/{apiMappingId}", "GetApiMapping"),
        new("PATCH", "/v2/domainnames/{domainName}/apimappings/{apiMappingId}", "UpdateApiMapping"),
        new("DELETE", "/v2/domainnames/{domainName}/apimappings/{apiMappingId}", "DeleteApiMapping", successStatus: 204),
        new("POST", "/v2/domainnames/{domainName}/routingrules", "CreateRoutingRule", successStatus: 201),
        new("GET", "/v2/domainnames/{domainName}/routingrules", "ListRoutingRules"),
        new("GET", "/v2/domainnames/{domainName}/routingrules/{routingRuleId}", "GetRoutingRule"),
        new("PUT", "/v2/domainnames/{domainName}/routingrules/{routingRuleId}", "PutRoutingRule"),
        new("DELETE", "/v2/domainnames/{domainName}/routingrules/{routingRuleId}", "DeleteRoutingRule", successStatus: 204),
        new("GET", "/v2/tags/{resource_arn}", "GetTags"),
        new("POST", "/v2/tags/{resource_arn}", "TagResource", successStatus: 201),
        new("DELETE", "/v2/tags/{resource_arn}", "UntagResource", successStatus: 204),
    ];

    // A property, not a field: PortalRoutes is another partial file's static field, and fields initialise across partial files in no set order.
    private static RestRoute[] Routes => [.. Served, .. PortalRoutes, .. ApiGatewayV2NotServed.Routes];

    private OperationTable Operations()
    {
        var table = new OperationTable
        {
            { "CreateApi", i => ApiWire(_gateway.CreateApi(i.Scope, ApiSettings.Read(i))) },
            { "GetApis", i => Items(_gateway.GetApis(i.Scope).Select(ApiWire)) },
            { "ImportApi", i => ApiWire(_gateway.ImportApi(i.Scope, ApiGatewayV2Service.ParseDefinition(i.Required("body")))) },
            { "GetApi", i => ApiWire(_gateway.GetApi(i.Scope, ApiId(i))) },
            { "UpdateApi", i => ApiWire(_gateway.UpdateApi(i.Scope, ApiId(i), ApiSettings.Read(i))) },
            { "ReimportApi", i => ApiWire(_gateway.ReimportApi(i.Scope, ApiId(i), ApiGatewayV2Service.ParseDefinition(i.Required("body")))) },
            { "DeleteApi", i => Done(() => _gateway.DeleteApi(i.Scope, ApiId(i))) },
            { "DeleteCorsConfiguration", i => Done(() => _gateway.DeleteCorsConfiguration(i.Scope, ApiId(i))) },
            { "ExportApi", i =>
                {
                    var (body, contentType) = _gateway.ExportApi(i.Scope, ApiId(i), i.Required("specification"), i.String("outputType"),
                        !string.Equals(i.String("includeExtensions"), "false", StringComparison.OrdinalIgnoreCase), i.String("stageName"));
                    return new OperationResult { RawBody = body, RawContentType = contentType };
                } },

            { "CreateRoute", i => Wire(_gateway.CreateRoute(i.Scope, ApiId(i), RouteSettings.Read(i))) },
            { "GetRoutes", i => Items(_gateway.GetRoutes(i.Scope, ApiId(i)).Select(Wire)) },
            { "GetRoute", i => Wire(_gateway.GetRoute(i.Scope, ApiId(i), i.Required("routeId"))) },
            { "UpdateRoute", i => Wire(_gateway.UpdateRoute(i.Scope, ApiId(i), i.Required("routeId"), RouteSettings.Read(i))) },
            { "DeleteRoute", i => Done(() => _gateway.DeleteRoute(i.Scope, ApiId(i), i.Required("routeId"))) },
            { "CreateRouteResponse", i => Wire(_gateway.CreateRouteResponse(i.Scope, ApiId(i), RouteId(i), RouteResponseSettings.Read(i))) },
            { "GetRouteResponses", i => Items(_gateway.GetRouteResponses(i.Scope, ApiId(i), RouteId(i)).Select(Wire)) },
            { "GetRouteResponse", i => Wire(_gateway.GetRouteResponse(i.Scope, ApiId(i), RouteId(i), i.Required("routeResponseId"))) },
            { "UpdateRouteResponse", i => Wire(_gateway.UpdateRouteResponse(i.Scope, ApiId(i), RouteId(i), i.Required("routeResponseId"), RouteResponseSettings.Read(i))) },
            { "DeleteRouteResponse", i => Done(() => _gateway.DeleteRouteResponse(i.Scope, ApiId(i), RouteId(i), i.Required("routeResponseId"))) },
            { "DeleteRouteRequestParameter", i => Done(() => _gateway.DeleteRouteRequestParameter(i.Scope, ApiId(i), RouteId(i), i.Required("requestParameterKey"))) },

            { "CreateIntegration", i => Wire(_gateway.CreateIntegration(i.Scope, ApiId(i), IntegrationSettings.Read(i))) },
            { "GetIntegrations", i => Items(_gateway.GetIntegrations(i.Scope, ApiId(i)).Select(Wire)) },
            { "GetIntegration", i => Wire(_gateway.GetIntegration(i.Scope, ApiId(i), i.Required("integrationId"))) },
            { "UpdateIntegration", i => Wire(_gateway.UpdateIntegration(i.Scope, ApiId(i), i.Required("integrationId"), IntegrationSettings.Read(i))) },
            { "DeleteIntegration", i => Done(() => _gateway.DeleteIntegration(i.Scope, ApiId(i), i.Required("integrationId"))) },

            { "CreateIntegrationResponse", i => Wire(_gateway.CreateIntegrationResponse(i.Scope, ApiId(i), IntegrationId(i), IntegrationResponseSettings.Read(i))) },
            { "GetIntegrationResponses", i => Items(_gateway.GetIntegrationResponses(i.Scope, ApiId(i), IntegrationId(i)).Select(Wire)) },
            { "GetIntegrationResponse", i => Wire(_gateway.GetIntegrationResponse(i.Scope, ApiId(i), IntegrationId(i), i.Required("integrationResponseId"))) },
            { "UpdateIntegrationResponse", i => Wire(_gateway.UpdateIntegrationResponse(i.Scope, ApiId(i), IntegrationId(i), i.Required("integrationResponseId"),
                IntegrationResponseSettings.Read(i))) },
            { "DeleteIntegrationResponse", i => Done(() => _gateway.DeleteIntegrationResponse(i.Scope, ApiId(i), IntegrationId(i), i.Required("integrationResponseId"))) },

            { "CreateAuthorizer", i => Wire(_gateway.CreateAuthorizer(i.Scope, ApiId(i), AuthorizerSettings.Read(i))) },
            { "GetAuthorizers", i => Items(_gateway.GetAuthorizers(i.Scope, ApiId(i)).Select(Wire)) },
            { "GetAuthorizer", i => Wire(_gateway.GetAuthorizer(i.Scope, ApiId(i), i.Required("authorizerId"))) },
            { "UpdateAuthorizer", i => Wire(_gateway.UpdateAuthorizer(i.Scope, ApiId(i), i.Required("authorizerId"), AuthorizerSettings.Read(i))) },
            { "DeleteAuthorizer", i => Done(() => _gateway.DeleteAuthorizer(i.Scope, ApiId(i), i.Required("authorizerId"))) },

            { "CreateModel", i => Wire(_gateway.CreateModel(i.Scope, ApiId(i), ModelSettings.Read(i))) },
            { "GetModels", i => Items(_gateway.GetModels(i.Scope, ApiId(i)).Select(Wire)) },
            { "GetModel", i => Wire(_gateway.GetModel(i.Scope, ApiId(i), i.Required("modelId"))) },
            { "UpdateModel", i => Wire(_gateway.UpdateModel(i.Scope, ApiId(i), i.Required("modelId"), ModelSettings.Read(i))) },
            { "DeleteModel", i => Done(() => _gateway.DeleteModel(i.Scope, ApiId(i), i.Required("modelId"))) },
            { "GetModelTemplate", i => new JsonObject { ["value"] = _gateway.GetModelTemplate(i.Scope, ApiId(i), i.Required("modelId")) } },

            { "CreateStage", i => Wire(_gateway.CreateStage(i.Scope, ApiId(i), StageSettings.Read(i))) },
            { "GetStages", i => Items(_gateway.GetStages(i.Scope, ApiId(i)).Select(Wire)) },
            { "GetStage", i => Wire(_gateway.GetStage(i.Scope, ApiId(i), i.Required("stageName"))) },
            { "UpdateStage", i => Wire(_gateway.UpdateStage(i.Scope, ApiId(i), i.Required("stageName"), StageSettings.Read(i))) },
            { "DeleteStage", i => Done(() => _gateway.DeleteStage(i.Scope, ApiId(i), i.Required("stageName"))) },

            { "CreateDeployment", i => Wire(_gateway.CreateDeployment(i.Scope, ApiId(i), i.String("stageName"), i.String("description"))) },
            { "GetDeployments", i => Items(_gateway.GetDeployments(i.Scope, ApiId(i)).Select(Wire)) },
            { "GetDeployment", i => Wire(_gateway.GetDeployment(i.Scope, ApiId(i), i.Required("deploymentId"))) },
            { "DeleteDeployment", i => Done(() => _gateway.DeleteDeployment(i.Scope, ApiId(i), i.Required("deploymentId"))) },

            { "UpdateDeployment", i => Wire(_gateway.UpdateDeployment(i.Scope, ApiId(i), i.Required("deploymentId"), i.String("description"))) },
            { "DeleteRouteSettings", i => Done(() => _gateway.DeleteRouteSettings(i.Scope, ApiId(i), i.Required("stageName"), i.Required("routeKey"))) },
            { "DeleteAccessLogSettings", i => Done(() => _gateway.DeleteAccessLogSettings(i.Scope, ApiId(i), i.Required("stageName"))) },
            { "ResetAuthorizersCache", i => Done(() =>
                {
                    _gateway.GetStage(i.Scope, ApiId(i), i.Required("stageName"));
                    _authorizers.Flush(ApiId(i), i.Required("stageName"));
                }) },

            { "CreateDomainName", i => DomainWire(_domains.Create(i.Scope, DomainNameSettings.ReadHttp(i))) },
            { "GetDomainNames", i => Items(_domains.List(i.Scope).Select(DomainWire)) },
            { "GetDomainName", i => DomainWire(_domains.Get(i.Scope, DomainName(i))) },
            { "UpdateDomainName", i =>
                {
                    var settings = DomainNameSettings.ReadHttp(i);
                    return DomainWire(_domains.UpdateCertificate(i.Scope, DomainName(i), settings.CertificateArn, settings.CertificateName, settings.SecurityPolicy,
                        routingMode: settings.RoutingMode, mutualTls: settings.MutualTls));
                } },
            { "DeleteDomainName", i => Done(() => _domains.Delete(i.Scope, DomainName(i))) },
            { "CreateApiMapping", i => MappingWire(_domains.CreateMapping(i.Scope, DomainName(i), i.String("apiMappingKey"), i.Required("apiId"),
                i.Required("stage"), restApiOnly: false)) },
            { "GetApiMappings", i => Items(_domains.Get(i.Scope, DomainName(i)).Mappings.Select(MappingWire)) },
            { "GetApiMapping", i => MappingWire(MappingById(i)) },
            { "UpdateApiMapping", i =>
                {
                    var current = MappingById(i);
                    return MappingWire(_domains.UpdateMapping(i.Scope, DomainName(i), current.Id, i.String("apiMappingKey"), i.Required("apiId"),
                        i.String("stage"), restApiOnly: false));
                } },
            { "DeleteApiMapping", i => Done(() => _domains.DeleteMapping(i.Scope, DomainName(i), MappingById(i).Id)) },
            { "CreateRoutingRule", i => RuleWire(i, _domains.CreateRoutingRule(i.Scope, DomainName(i), i.String("domainNameId"), RoutingRuleSettings.Read(i))) },
            { "PutRoutingRule", i => RuleWire(i, _domains.PutRoutingRule(i.Scope, DomainName(i), i.String("domainNameId"), i.Required("routingRuleId"),
                RoutingRuleSettings.Read(i))) },
            { "GetRoutingRule", i => RuleWire(i, _domains.GetRoutingRule(i.Scope, DomainName(i), i.String("domainNameId"), i.Required("routingRuleId"))) },
            { "ListRoutingRules", ListRoutingRules },
            { "DeleteRoutingRule", i => Done(() => _domains.DeleteRoutingRule(i.Scope, DomainName(i), i.String("domainNameId"), i.Required("routingRuleId"))) },

            { "GetTags", i => new JsonObject { ["tags"] = new JsonObject(GetTags(i).Select(t => new KeyValuePair<string, JsonNode?>(t.Key, t.Value))) } },
            { "TagResource", i => Done(() => TagResource(i)) },
            { "UntagResource", i => Done(() => UntagResource(i)) },
        };
        AddPortalOperations(table);
        NotServedOperations.AddTo(table, ApiGatewayV2NotServed.Operations, ApiGatewayV2Errors.NotServedOperation);
        return table;
    }

    /// <summary>The tag operations take HTTP APIs' and stages' ARNs, and portals' and portal products', which name their account.</summary>
    private IReadOnlyDictionary<string, string> GetTags(OperationInput i) => PortalService.Tags(i.Required("resource_arn"))
        ? _portals.GetTags(i.Scope, i.Required("resource_arn"))
        : _gateway.GetTags(i.Scope, i.Required("resource_arn"));

    private void TagResource(OperationInput i)
    {
        var tags = i.StringMap("tags") ?? [];
        if (PortalService.Tags(i.Required("resource_arn"))) _portals.Retag(i.Scope, i.Required("resource_arn"), current =>
        {
            foreach (var (key, value) in tags) current[key] = value;
        });
        else _gateway.TagResource(i.Scope, i.Required("resource_arn"), tags);
    }

    private void UntagResource(OperationInput i)
    {
        var keys = i.Strings("tagKeys");
        if (PortalService.Tags(i.Required("resource_arn"))) _portals.Retag(i.Scope, i.Required("resource_arn"), current =>
        {
            foreach (var key in keys) current.Remove(key);
        });
        else _gateway.UntagResource(i.Scope, i.Required("resource_arn"), keys);
    }

    private static string ApiId(OperationInput i) => i.Required("apiId");
    private static string RouteId(OperationInput i) => i.Required("routeId");
    private static string IntegrationId(OperationInput i) => i.Required("integrationId");
    private static string DomainName(OperationInput i) => i.Required("domainName");

    /// <summary>apigatewayv2 names a mapping by its id only (REST names it by its base path).</summary>
    private DomainMapping MappingById(OperationInput i)
    {
        var id = i.Required("apiMappingId");
        return _domains.Get(i.Scope, DomainName(i)).Mappings.FirstOrDefault(m => m.Id == id) ?? throw ApiGatewayV2Errors.NotFound("ApiMapping", id);
    }

    /// <summary>apigatewayv2's DomainName shape: one REGIONAL configuration, whose apiGatewayDomainName is the name Stratus answers on.</summary>
    private static JsonObject DomainWire(CustomDomain domain)
    {
        var configuration = new JsonObject
        {
            ["apiGatewayDomainName"] = domain.RegionalDomainName,
            ["certificateArn"] = domain.CertificateArn,
            ["domainNameStatus"] = "AVAILABLE",
            ["endpointType"] = "REGIONAL",
            ["ipAddressType"] = "ipv4",
            ["securityPolicy"] = domain.SecurityPolicy,
        };
        if (domain.CertificateName is { } certificateName) configuration["certificateName"] = certificateName;
        var wire = new JsonObject
        {
            ["domainName"] = domain.DomainName,
            ["domainNameArn"] = domain.Arn,
            ["apiMappingSelectionExpression"] = "$request.basepath",
            ["routingMode"] = domain.RoutingMode,
            ["domainNameConfigurations"] = new JsonArray(configuration),
            ["tags"] = new JsonObject(domain.Tags.Select(t => new KeyValuePair<string, JsonNode?>(t.Key, t.Value))),
        };
        if (domain.MutualTls is { } mutualTls) wire["mutualTlsAuthentication"] = ApiGatewayApi.MutualTlsWire(mutualTls);
        return wire;
    }

    /// <summary>ListRoutingRules: the rules by priority, maxResults (1 to 100) at a time, the next token the index of the next rule.</summary>
    private JsonObject ListRoutingRules(OperationInput i)
    {
        var rules = _domains.ListRoutingRules(i.Scope, DomainName(i), i.String("domainNameId"));
        var start = i.String("nextToken") is { } token ? (int.TryParse(token, out var index) && index >= 0 && index <= rules.Count ? index
            : throw ApiGatewayV2Errors.BadRequest($"Invalid nextToken: {token}")) : 0;
        var size = i.Int("maxResults") ?? 100;
        if (size is < 1 or > 100) throw ApiGatewayV2Errors.BadRequest($"Invalid maxResults: {size}. Expected a value between 1 and 100");
        var domain = _domains.Get(i.Scope, DomainName(i));
        var wire = new JsonObject { ["routingRules"] = new JsonArray([.. rules.Skip(start).Take(size).Select(r => RuleWire(domain, r))]) };
        if (start + size < rules.Count) wire["nextToken"] = (start + size).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return wire;
    }

    private JsonObject RuleWire(OperationInput i, RoutingRule rule) => RuleWire(_domains.Get(i.Scope, DomainName(i)), rule);

    /// <summary>apigatewayv2's RoutingRule shape: conditions and the one action as the caller gave them, with the rule's id and ARN.</summary>
    private static JsonObject RuleWire(CustomDomain domain, RoutingRule rule) => new()
    {
        ["actions"] = new JsonArray(new JsonObject
        {
            ["invokeApi"] = new JsonObject { ["apiId"] = rule.Action.ApiId, ["stage"] = rule.Action.Stage, ["stripBasePath"] = rule.Action.StripBasePath },
        }),
        ["conditions"] = new JsonArray([.. rule.Conditions.Select(c => c.MatchHeader is { } header
            ? new JsonObject { ["matchHeaders"] = new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["header"] = header.Header, ["valueGlob"] = header.ValueGlob }) } }
            : new JsonObject { ["matchBasePaths"] = new JsonObject { ["anyOf"] = new JsonArray([.. c.MatchBasePaths!.Select(b => JsonValue.Create(b))]) } })]),
        ["priority"] = rule.Priority,
        ["routingRuleArn"] = CustomDomainNames.RoutingRuleArn(domain, rule),
        ["routingRuleId"] = rule.Id,
    };

    private static JsonObject MappingWire(DomainMapping mapping)
    {
        var wire = new JsonObject { ["apiId"] = mapping.ApiId, ["apiMappingId"] = mapping.Id, ["apiMappingKey"] = mapping.BasePath };
        if (mapping.Stage is { } stage) wire["stage"] = stage;
        return wire;
    }

    private JsonObject ApiWire(HttpApi api)
    {
        var wire = Wire(api);
        wire["apiEndpoint"] = _gateway.Endpoint(api.ApiId);
        return wire;
    }

    private static JsonObject Wire<T>(T value) => JsonSerializer.SerializeToNode(value, WireJson.Options)!.AsObject();

    private static JsonObject Items(IEnumerable<JsonObject> items) => new() { ["items"] = new JsonArray([.. items]) };

    private static OperationResult Done(Action action)
    {
        action();
        return OperationResult.Empty();
    }
}
