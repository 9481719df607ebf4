using System.Globalization;
using System.Text.Json;
using Stratus.Host;
using Stratus.Protocols.Json;
using Stratus.Protocols.RestJson;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// API Gateway's wire operations (REST-JSON, 2015-07-09; signing name apigateway): the control plane of REST APIs,
/// each operation bound to its path as in botocore's model; request members in, domain call, response shape out.
/// </summary>
public sealed class ApiGatewayApi : IStratusService
{
    private const string Api = "/restapis/{restapi_id}";
    private const string Resource = Api + "/resources/{resource_id}";
    private const string Method = Resource + "/methods/{http_method}";
    private const string Integration = Method + "/integration";

    private readonly ApiGatewayService _gateway;
    private readonly ApiGatewayDataPlane _dataPlane;
    private readonly CustomDomainNames _domains;

    public ApiGatewayApi(ApiGatewayService gateway, ApiGatewayDataPlane dataPlane, CustomDomainNames domains, ILogger logger)
    {
        _gateway = gateway;
        _dataPlane = dataPlane;
        _domains = domains;
        Endpoint = new ServiceEndpoint("apigateway", Operations(), new RestJsonProtocol(Routes) { ErrorMessageKey = "message" })
        {
            Logger = logger,
            Validation = ApiGatewayErrors.Validation,
            Rules = ApiGatewayRules.Members,
            // AWS: "The maximum size of the API definition file is 6MB" (ImportRestApi, PutRestApi): its largest request.
            MaxBodyBytes = 6 * 1024 * 1024,
        };
    }

    public string Name => "apigateway";
    public ServiceEndpoint Endpoint { get; }

    private static readonly RestRoute[] Routes =
    [
        new("GET", "/account", "GetAccount"),
        new("PATCH", "/account", "UpdateAccount"),
        new("POST", "/restapis?mode=import", "ImportRestApi", rawBody: true, successStatus: 201),
        new("POST", "/restapis", "CreateRestApi", successStatus: 201),
        new("GET", "/restapis", "GetRestApis"),
        new("GET", Api, "GetRestApi"),
        new("PATCH", Api, "UpdateRestApi"),
        new("DELETE", Api, "DeleteRestApi", successStatus: 202),
        new("PUT", Api, "PutRestApi", rawBody: true),
        new("GET", Api + "/resources", "GetResources"),
        new("GET", Resource, "GetResource"),
        new("POST", Api + "/resources/{parent_id}", "CreateResource", successStatus: 201),
        new("PATCH", Resource, "UpdateResource"),
        new("DELETE", Resource, "DeleteResource", successStatus: 202),
        new("PUT", Method, "PutMethod", successStatus: 201),
        new("GET", Method, "GetMethod"),
        new("PATCH", Method, "UpdateMethod"),
        new("DELETE", Method, "DeleteMethod", successStatus: 204),
        new("POST", Method, "TestInvokeMethod"),
        new("PUT", Method + "/responses/{status_code}", "PutMethodResponse", successStatus: 201),
        new("GET", Method + "/responses/{status_code}", "GetMethodResponse"),
        new("PATCH", Method + "/responses/{status_code}", "UpdateMethodResponse", successStatus: 201),
        new("DELETE", Method + "/responses/{status_code}", "DeleteMethodResponse", successStatus: 204),
        new("PUT", Integration, "PutIntegration", successStatus: 201),
        new("GET", Integration, "GetIntegration"),
        new("PATCH", Integration, "UpdateIntegration"),
        new("DELETE", Integration, "DeleteIntegration", successStatus: 204),
        new("PUT", Integration + "/responses/{status_code}", "PutIntegrationResponse", successStatus: 201),
        new("GET", Integration + "/responses/{status_code}", "GetIntegrationResponse"),
        new("PATCH", Integration + "/responses/{status_code}", "UpdateIntegrationResponse"),
        new("DELETE", Integration + "/responses/{status_code}", "DeleteIntegrationResponse", successStatus: 204),
        new("POST", Api + "/deployments", "CreateDeployment", successStatus: 201),
        new("GET", Api + "/deployments", "GetDeployments"),
        new("GET", Api + "/deployments/{deployment_id}", "GetDeployment"),
        new("PATCH", Api + "/deployments/{deployment_id}", "UpdateDeployment"),
        new("DELETE", Api + "/deployments/{deployment_id}", "DeleteDeployment", successStatus: 202),
        new("POST", Api + "/stages", "CreateStage", successStatus: 201),
        new("GET", Api + "/stages", "GetStages"),
        new("GET", Api + "/stages/{stage_name}", "GetStage"),
        new("PATCH", Api + "/stages/{stage_name}", "UpdateStage"),
        new("DELETE", Api + "/stages/{stage_name}", "DeleteStage", successStatus: 202),
        new("POST", Api + "/models", "CreateModel", successStatus: 201),
        new("GET", Api + "/models", "GetModels"),
        new("GET", Api + "/models/{model_name}", "GetModel"),
        new("GET", Api + "/models/{model_name}/default_template", "GetModelTemplate"),
        new("PATCH", Api + "/models/{model_name}", "UpdateModel"),
        new("DELETE", Api + "/models/{model_name}", "DeleteModel", successStatus: 202),
        new("POST", Api + "/requestvalidators", "CreateRequestValidator", successStatus: 201),
        new("GET", Api + "/requestvalidators", "GetRequestValidators"),
        new("GET", Api + "/requestvalidators/{requestvalidator_id}", "GetRequestValidator"),
        new("PATCH", Api + "/requestvalidators/{requestvalidator_id}", "UpdateRequestValidator"),
        new("DELETE", Api + "/requestvalidators/{requestvalidator_id}", "DeleteRequestValidator", successStatus: 202),
        new("PUT", Api + "/gatewayresponses/{response_type}", "PutGatewayResponse", successStatus: 201),
        new("GET", Api + "/gatewayresponses", "GetGatewayResponses"),
        new("GET", Api + "/gatewayresponses/{response_type}", "GetGatewayResponse"),
        new("DELETE", Api + "/gatewayresponses/{response_type}", "DeleteGatewayResponse", successStatus: 202),
        new("PATCH", Api + "/gatewayresponses/{response_type}", "UpdateGatewayResponse"),
        new("DELETE", Api + "/stages/{stage_name}/cache/authorizers", "FlushStageAuthorizersCache", successStatus: 202),
        new("DELETE", Api + "/stages/{stage_name}/cache/data", "FlushStageCache", successStatus: 202),
        new("POST", Api + "/authorizers", "CreateAuthorizer", successStatus: 201),
        new("GET", Api + "/authorizers", "GetAuthorizers"),
        new("GET", Api + "/authorizers/{authorizer_id}", "GetAuthorizer"),
        new("PATCH", Api + "/authorizers/{authorizer_id}", "UpdateAuthorizer"),
        new("DELETE", Api + "/authorizers/{authorizer_id}", "DeleteAuthorizer", successStatus: 202),
        new("POST", Api + "/authorizers/{authorizer_id}", "TestInvokeAuthorizer"),
        new("GET", Api + "/stages/{stage_name}/exports/{export_type}", "GetExport"),
        new("GET", Api + "/stages/{stage_name}/sdks/{sdk_type}", "GetSdk"),
        new("GET", "/sdktypes", "GetSdkTypes"),
        new("GET", "/sdktypes/{sdktype_id}", "GetSdkType"),
        new("POST", Api + "/documentation/parts", "CreateDocumentationPart", successStatus: 201),
        new("PUT", Api + "/documentation/parts", "ImportDocumentationParts", rawBody: true),
        new("GET", Api + "/documentation/parts", "GetDocumentationParts"),
        new("GET", Api + "/documentation/parts/{part_id}", "GetDocumentationPart"),
        new("PATCH", Api + "/documentation/parts/{part_id}", "UpdateDocumentationPart"),
        new("DELETE", Api + "/documentation/parts/{part_id}", "DeleteDocumentationPart", successStatus: 202),
        new("POST", Api + "/documentation/versions", "CreateDocumentationVersion", successStatus: 201),
        new("GET", Api + "/documentation/versions", "GetDocumentationVersions"),
        new("GET", Api + "/documentation/versions/{doc_version}", "GetDocumentationVersion"),
        new("PATCH", Api + "/documentation/versions/{doc_version}", "UpdateDocumentationVersion"),
        new("DELETE", Api + "/documentation/versions/{doc_version}", "DeleteDocumentationVersion", successStatus: 202),
        new("POST", "/apikeys?mode=import", "ImportApiKeys", rawBody: true, successStatus: 201),
        new("POST", "/apikeys", "CreateApiKey", successStatus: 201),
        new("GET", "/apikeys", "GetApiKeys"),
        new("GET", "/apikeys/{api_Key}", "GetApiKey"),
        new("PATCH", "/apikeys/{api_Key}", "UpdateApiKey"),
        new("DELETE", "/apikeys/{api_Key}", "DeleteApiKey", successStatus: 202),
        new("POST", "/usageplans", "CreateUsagePlan", successStatus: 201),
        new("GET", "/usageplans", "GetUsagePlans"),
        new("GET", "/usageplans/{usageplanId}", "GetUsagePlan"),
        new("PATCH", "/usageplans/{usageplanId}", "UpdateUsagePlan"),
        new("DELETE", "/usageplans/{usageplanId}", "DeleteUsagePlan", successStatus: 202),
        new("POST", "/usageplans/{usageplanId}/keys", "CreateUsagePlanKey", successStatus: 201),
        new("GET", "/usageplans/{usageplanId}/keys", "GetUsagePlanKeys"),
        new("GET", "/usageplans/{usageplanId}/keys/{keyId}", "GetUsagePlanKey"),
        new("DELETE", "/usageplans/{usageplanId}/keys/{keyId}", "DeleteUsagePlanKey", successStatus: 202),
        new("GET", "/usageplans/{usageplanId}/usage", "GetUsage"),
        new("PATCH", "/usageplans/{usageplanId}/keys/{keyId}/usage", "UpdateUsage"),
        new("POST", "/domainnames", "CreateDomainName", successStatus: 201),
        new("GET", "/domainnames", "GetDomainNames"),
        new("GET", "/domainnames/{domain_name}", "GetDomainName"),
        new("PATCH", "/domainnames/{domain_name}", "UpdateDomainName"),
        new("DELETE", "/domainnames/{domain_name}", "DeleteDomainName", successStatus: 202),
        new("POST", "/domainnames/{domain_name}/basepathmappings", "CreateBasePathMapping", successStatus: 201),
        new("GET", "/domainnames/{domain_name}/basepathmappings", "GetBasePathMappings"),
        new("GET", "/domainnames/{domain_name}/basepathmappings/{base_path}", "GetBasePathMapping"),
        new("PATCH", "/domainnames/{domain_name}/basepathmappings/{base_path}", "UpdateBasePathMapping"),
        new("DELETE", "/domainnames/{domain_name}/basepathmappings/{base_path}", "DeleteBasePathMapping", successStatus: 202),
        new("POST", "/clientcertificates", "GenerateClientCertificate", successStatus: 201),
        new("GET", "/clientcertificates", "GetClientCertificates"),
        new("GET", "/clientcertificates/{clientcertificate_id}", "GetClientCertificate"),
        new("PATCH", "/clientcertificates/{clientcertificate_id}", "UpdateClientCertificate"),
        new("DELETE", "/clientcertificates/{clientcertificate_id}", "DeleteClientCertificate", successStatus: 202),
        new("GET", "/tags/{resource_arn}", "GetTags"),
        new("PUT", "/tags/{resource_arn}", "TagResource", successStatus: 204),
        new("DELETE", "/tags/{resource_arn}", "UntagResource", successStatus: 204),
        .. ApiGatewayNotServed.Routes,
    ];

    private OperationTable Operations()
    {
        var table = ServedOperations();
        NotServedOperations.AddTo(table, ApiGatewayNotServed.Operations, ApiGatewayErrors.NotServed);
        return table;
    }

    private OperationTable ServedOperations() => new()
    {
        { "GetAccount", i => Account(_gateway.GetAccount(i.Scope)) },
        { "UpdateAccount", i => Account(_gateway.UpdateAccount(i.Scope, Patch(i))) },
        { "ImportRestApi", i => Wire(_gateway.ImportRestApi(i.Scope, Definition(i))) },
        { "CreateRestApi", i => Wire(_gateway.CreateRestApi(i.Scope, RestApiSettings.Read(i))) },
        { "GetRestApis", i => Paged(_gateway.GetRestApis(i.Scope, i.String("position"), i.Int("limit"))) },
        { "GetRestApi", i => Wire(_gateway.GetRestApi(i.Scope, ApiId(i))) },
        { "UpdateRestApi", i => Wire(_gateway.UpdateRestApi(i.Scope, ApiId(i), Patch(i))) },
        { "DeleteRestApi", i => Done(() => _gateway.DeleteRestApi(i.Scope, ApiId(i))) },
        { "PutRestApi", i => Wire(_gateway.PutRestApi(i.Scope, ApiId(i), Definition(i), i.String("mode") ?? "merge")) },

        { "GetResources", i =>
            {
                var embedMethods = EmbedsMethods(i);
                var (items, position) = _gateway.GetResources(i.Scope, ApiId(i), i.String("position"), i.Int("limit"));
                return Page(items.Select(r => ResourceWire(r, embedMethods)), position);
            } },
        { "GetResource", i => ResourceWire(_gateway.GetResource(i.Scope, ApiId(i), i.Required("resource_id")), EmbedsMethods(i)) },
        { "CreateResource", i => ResourceWire(_gateway.CreateResource(i.Scope, ApiId(i), ResourceSettings.Read(i)), false) },
        { "UpdateResource", i => ResourceWire(_gateway.UpdateResource(i.Scope, ApiId(i), ResourceId(i), Patch(i)), false) },
        { "DeleteResource", i => Done(() => _gateway.DeleteResource(i.Scope, ApiId(i), ResourceId(i))) },

        { "PutMethod", i => Wire(_gateway.PutMethod(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), MethodSettings.Read(i))) },
        { "GetMethod", i => Wire(_gateway.GetMethod(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i))) },
        { "UpdateMethod", i => Wire(_gateway.UpdateMethod(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), Patch(i))) },
        { "DeleteMethod", i => Done(() => _gateway.DeleteMethod(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i))) },
        { "TestInvokeMethod", TestInvokeAsync },

        { "PutMethodResponse", i => Wire(_gateway.PutMethodResponse(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), MethodResponseSettings.Read(i))) },
        { "GetMethodResponse", i => Wire(_gateway.GetMethodResponse(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), StatusCode(i))) },
        { "UpdateMethodResponse", i => Wire(_gateway.UpdateMethodResponse(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), StatusCode(i), Patch(i))) },
        { "DeleteMethodResponse", i => Done(() => _gateway.DeleteMethodResponse(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), StatusCode(i))) },

        { "PutIntegration", i => Wire(_gateway.PutIntegration(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), IntegrationSettings.Read(i))) },
        { "GetIntegration", i => Wire(_gateway.GetIntegration(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i))) },
        { "UpdateIntegration", i => Wire(_gateway.UpdateIntegration(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), Patch(i))) },
        { "DeleteIntegration", i => Done(() => _gateway.DeleteIntegration(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i))) },

        { "PutIntegrationResponse", i => Wire(_gateway.PutIntegrationResponse(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), IntegrationResponseSettings.Read(i))) },
        { "GetIntegrationResponse", i => Wire(_gateway.GetIntegrationResponse(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), StatusCode(i))) },
        { "UpdateIntegrationResponse", i => Wire(_gateway.UpdateIntegrationResponse(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), StatusCode(i), Patch(i))) },
        { "DeleteIntegrationResponse", i => Done(() => _gateway.DeleteIntegrationResponse(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), StatusCode(i))) },

        { "CreateDeployment", i => Wire(_gateway.CreateDeployment(i.Scope, ApiId(i), DeploymentSettings.Read(i))) },
        { "GetDeployments", i => Paged(_gateway.GetDeployments(i.Scope, ApiId(i), i.String("position"), i.Int("limit"))) },
        { "GetDeployment", i => Wire(_gateway.GetDeployment(i.Scope, ApiId(i), i.Required("deployment_id"))) },
        { "UpdateDeployment", i => Wire(_gateway.UpdateDeployment(i.Scope, ApiId(i), i.Required("deployment_id"), Patch(i))) },
        { "DeleteDeployment", i => Done(() => _gateway.DeleteDeployment(i.Scope, ApiId(i), i.Required("deployment_id"))) },

        { "CreateStage", i => Wire(_gateway.CreateStage(i.Scope, ApiId(i), i.Required("stageName"), StageSettings.Read(i))) },
        { "GetStages", i => new JsonObject
            {
                ["item"] = new JsonArray(_gateway.GetStages(i.Scope, ApiId(i), i.String("deploymentId")).Select(s => (JsonNode)Wire(s)).ToArray()),
            } },
        { "GetStage", i => Wire(_gateway.GetStage(i.Scope, ApiId(i), i.Required("stage_name"))) },
        { "UpdateStage", i => Wire(_gateway.UpdateStage(i.Scope, ApiId(i), i.Required("stage_name"), Patch(i))) },
        { "DeleteStage", i => Done(() => _gateway.DeleteStage(i.Scope, ApiId(i), i.Required("stage_name"))) },

        { "CreateModel", i => Wire(_gateway.CreateModel(i.Scope, ApiId(i), ModelSettings.Read(i))) },
        { "GetModel", i => Wire(_gateway.GetModel(i.Scope, ApiId(i), i.Required("model_name"))) },
        { "GetModelTemplate", i => new JsonObject { ["value"] = _gateway.GetModelTemplate(i.Scope, ApiId(i), i.Required("model_name")) } },
        { "GetModels", i => Paged(_gateway.GetModels(i.Scope, ApiId(i), i.String("position"), i.Int("limit"))) },
        { "UpdateModel", i => Wire(_gateway.UpdateModel(i.Scope, ApiId(i), i.Required("model_name"), Patch(i))) },
        { "DeleteModel", i => Done(() => _gateway.DeleteModel(i.Scope, ApiId(i), i.Required("model_name"))) },
        { "CreateRequestValidator", i => Wire(_gateway.CreateRequestValidator(i.Scope, ApiId(i), RequestValidatorSettings.Read(i))) },
        { "GetRequestValidator", i => Wire(_gateway.GetRequestValidator(i.Scope, ApiId(i), i.Required("requestvalidator_id"))) },
        { "GetRequestValidators", i => Paged(_gateway.GetRequestValidators(i.Scope, ApiId(i), i.String("position"), i.Int("limit"))) },
        { "UpdateRequestValidator", i => Wire(_gateway.UpdateRequestValidator(i.Scope, ApiId(i), i.Required("requestvalidator_id"), Patch(i))) },
        { "DeleteRequestValidator", i => Done(() => _gateway.DeleteRequestValidator(i.Scope, ApiId(i), i.Required("requestvalidator_id"))) },

        { "PutGatewayResponse", i => Wire(_gateway.PutGatewayResponse(i.Scope, ApiId(i), GatewayResponseSettings.Read(i))) },
        { "UpdateGatewayResponse", i => Wire(_gateway.UpdateGatewayResponse(i.Scope, ApiId(i), i.Required("response_type"), Patch(i))) },
        { "FlushStageCache", i => Done(() => _dataPlane.FlushStageCache(i.Scope, ApiId(i), i.Required("stage_name"))) },
        { "FlushStageAuthorizersCache", i => Done(() => _dataPlane.FlushAuthorizersCache(i.Scope, ApiId(i), i.Required("stage_name"))) },
        { "GetGatewayResponse", i => Wire(_gateway.GetGatewayResponse(i.Scope, ApiId(i), i.Required("response_type"))) },
        { "GetGatewayResponses", i => Paged(_gateway.GetGatewayResponses(i.Scope, ApiId(i), i.String("position"), i.Int("limit"))) },
        { "DeleteGatewayResponse", i => Done(() => _gateway.DeleteGatewayResponse(i.Scope, ApiId(i), i.Required("response_type"))) },

        { "CreateAuthorizer", i => Wire(_gateway.CreateAuthorizer(i.Scope, ApiId(i), AuthorizerSettings.Read(i))) },
        { "GetAuthorizer", i => Wire(_gateway.GetAuthorizer(i.Scope, ApiId(i), AuthorizerId(i))) },
        { "GetAuthorizers", i => Paged(_gateway.GetAuthorizers(i.Scope, ApiId(i), i.String("position"), i.Int("limit"))) },
        { "UpdateAuthorizer", i => Wire(_gateway.UpdateAuthorizer(i.Scope, ApiId(i), AuthorizerId(i), Patch(i))) },
        { "DeleteAuthorizer", i => Done(() => _gateway.DeleteAuthorizer(i.Scope, ApiId(i), AuthorizerId(i))) },
        { "TestInvokeAuthorizer", TestInvokeAuthorizerAsync },
        { "GetExport", GetExport },
        { "GetSdk", GetSdk },
        { "GetSdkTypes", i => Page(SdkType.All.Select(SdkTypeWire), null) },
        { "GetSdkType", i => SdkTypeWire(ApiGatewayService.GetSdkType(i.Required("sdktype_id"))) },

        { "CreateDocumentationPart", i => Wire(_gateway.CreateDocumentationPart(i.Scope, ApiId(i),
            DocumentationPartLocation.Read(i.Nested(i.Object("location") ?? throw ApiGatewayErrors.BadRequest("Documentation part location is required"))), i.Required("properties"))) },
        { "ImportDocumentationParts", i =>
            {
                var (ids, warnings) = _gateway.ImportDocumentationParts(i.Scope, ApiId(i), Definition(i), i.String("mode") ?? "merge", i.Bool("failonwarnings") == true);
                return new JsonObject
                {
                    ["ids"] = new JsonArray(ids.Select(id => (JsonNode)JsonValue.Create(id)).ToArray()),
                    ["warnings"] = new JsonArray(warnings.Select(w => (JsonNode)JsonValue.Create(w)).ToArray()),
                };
            } },
        { "GetDocumentationParts", i => i.String("locationStatus") == "UNDOCUMENTED"
            ? Paged(_gateway.GetUndocumentedEntities(i.Scope, ApiId(i), i.String("type"), i.String("name"), i.String("path"), i.String("position"), i.Int("limit")))
            : Paged(_gateway.GetDocumentationParts(i.Scope, ApiId(i), i.String("type"), i.String("name"), i.String("path"), i.String("position"), i.Int("limit"))) },
        { "GetDocumentationPart", i => Wire(_gateway.GetDocumentationPart(i.Scope, ApiId(i), i.Required("part_id"))) },
        { "UpdateDocumentationPart", i => Wire(_gateway.UpdateDocumentationPart(i.Scope, ApiId(i), i.Required("part_id"), Patch(i))) },
        { "DeleteDocumentationPart", i => Done(() => _gateway.DeleteDocumentationPart(i.Scope, ApiId(i), i.Required("part_id"))) },
        { "CreateDocumentationVersion", i => Wire(_gateway.CreateDocumentationVersion(i.Scope, ApiId(i), i.Required("documentationVersion"),
            i.String("stageName"), i.String("description"))) },
        { "GetDocumentationVersions", i => Paged(_gateway.GetDocumentationVersions(i.Scope, ApiId(i), i.String("position"), i.Int("limit"))) },
        { "GetDocumentationVersion", i => Wire(_gateway.GetDocumentationVersion(i.Scope, ApiId(i), i.Required("doc_version"))) },
        { "UpdateDocumentationVersion", i => Wire(_gateway.UpdateDocumentationVersion(i.Scope, ApiId(i), i.Required("doc_version"), Patch(i))) },
        { "DeleteDocumentationVersion", i => Done(() => _gateway.DeleteDocumentationVersion(i.Scope, ApiId(i), i.Required("doc_version"))) },

        { "CreateApiKey", i => Wire(_gateway.CreateApiKey(i.Scope, ApiKeySettings.Read(i))) },
        { "ImportApiKeys", ImportApiKeys },
        // AWS shows a key's value only when asked to (includeValue / includeValues).
        { "GetApiKey", i => KeyWire(_gateway.GetApiKey(i.Scope, KeyId(i)), i.Bool("includeValue") == true) },
        { "GetApiKeys", i =>
            {
                var (items, position) = _gateway.GetApiKeys(i.Scope, i.String("name"), i.String("customerId"), i.String("position"), i.Int("limit"));
                return Page(items.Select(k => KeyWire(k, i.Bool("includeValues") == true)), position);
            } },
        { "UpdateApiKey", i => KeyWire(_gateway.UpdateApiKey(i.Scope, KeyId(i), Patch(i)), false) },
        { "DeleteApiKey", i => Done(() => _gateway.DeleteApiKey(i.Scope, KeyId(i))) },

        { "CreateUsagePlan", i => Wire(_gateway.CreateUsagePlan(i.Scope, UsagePlanSettings.Read(i))) },
        { "GetUsagePlan", i => Wire(_gateway.GetUsagePlan(i.Scope, PlanId(i))) },
        { "GetUsagePlans", i => Paged(_gateway.GetUsagePlans(i.Scope, i.String("keyId"), i.String("position"), i.Int("limit"))) },
        { "UpdateUsagePlan", i => Wire(_gateway.UpdateUsagePlan(i.Scope, PlanId(i), Patch(i))) },
        { "DeleteUsagePlan", i => Done(() => _gateway.DeleteUsagePlan(i.Scope, PlanId(i))) },
        { "CreateUsagePlanKey", i => Wire(_gateway.CreateUsagePlanKey(i.Scope, PlanId(i), i.Required("keyId"), i.Required("keyType"))) },
        { "GetUsagePlanKey", i => Wire(_gateway.GetUsagePlanKey(i.Scope, PlanId(i), i.Required("keyId"))) },
        { "GetUsagePlanKeys", i => Paged(_gateway.GetUsagePlanKeys(i.Scope, PlanId(i), i.String("name"), i.String("position"), i.Int("limit"))) },
        { "DeleteUsagePlanKey", i => Done(() => _gateway.DeleteUsagePlanKey(i.Scope, PlanId(i), i.Required("keyId"))) },
        { "GetUsage", i => UsageWire(PlanId(i), _gateway.GetUsage(i.Scope, PlanId(i), i.Required("startDate"), i.Required("endDate"), i.String("keyId"))) },
        { "UpdateUsage", i => UsageWire(PlanId(i), _gateway.UpdateUsage(i.Scope, PlanId(i), i.Required("keyId"), Patch(i))) },

        { "CreateDomainName", i => DomainWire(_domains.Create(i.Scope, DomainNameSettings.ReadRest(i))) },
        { "GetDomainNames", i => Page(_domains.List(i.Scope).Select(DomainWire), null) },
        { "GetDomainName", i => DomainWire(_domains.Get(i.Scope, DomainName(i))) },
        { "UpdateDomainName", i =>
            {
                var changes = PatchValues(Patch(i), "/regionalCertificateArn", "/regionalCertificateName", "/certificateArn", "/certificateName", "/securityPolicy",
                    "/routingMode", TruststoreUriPath, TruststoreVersionPath);
                // Either truststore path reads the truststore again; a version alone keeps the URI, an empty URI turns mutual TLS off.
                var mutualTls = changes.ContainsKey(TruststoreUriPath) || changes.ContainsKey(TruststoreVersionPath)
                    ? new MutualTlsSettings(changes.GetValueOrDefault(TruststoreUriPath), changes.GetValueOrDefault(TruststoreVersionPath))
                    : null;
                return DomainWire(_domains.UpdateCertificate(i.Scope, DomainName(i),
                    changes.GetValueOrDefault("/regionalCertificateArn") ?? changes.GetValueOrDefault("/certificateArn"),
                    changes.GetValueOrDefault("/regionalCertificateName") ?? changes.GetValueOrDefault("/certificateName"),
                    changes.GetValueOrDefault("/securityPolicy"), routingMode: RoutingModes.FromRest(changes.GetValueOrDefault("/routingMode")), mutualTls: mutualTls));
            } },
        { "DeleteDomainName", i => Done(() => _domains.Delete(i.Scope, DomainName(i))) },
        { "CreateBasePathMapping", i => MappingWire(_domains.CreateMapping(i.Scope, DomainName(i), i.String("basePath"), i.Required("restApiId"),
            i.String("stage"), restApiOnly: true)) },
        { "GetBasePathMappings", i => Page(_domains.Get(i.Scope, DomainName(i)).Mappings.Select(MappingWire), null) },
        { "GetBasePathMapping", i => MappingWire(_domains.GetMapping(i.Scope, DomainName(i), i.Required("base_path"))) },
        { "UpdateBasePathMapping", i =>
            {
                var changes = PatchValues(Patch(i), "/basePath", "/restApiId", "/stage");
                return MappingWire(_domains.UpdateMapping(i.Scope, DomainName(i), i.Required("base_path"), changes.GetValueOrDefault("/basePath"),
                    changes.GetValueOrDefault("/restApiId"), changes.GetValueOrDefault("/stage"), restApiOnly: true));
            } },
        { "DeleteBasePathMapping", i => Done(() => _domains.DeleteMapping(i.Scope, DomainName(i), i.Required("base_path"))) },

        { "GenerateClientCertificate", i => Wire(_gateway.GenerateClientCertificate(i.Scope, ClientCertificateSettings.Read(i))) },
        { "GetClientCertificates", i => Paged(_gateway.GetClientCertificates(i.Scope, i.String("position"), i.Int("limit"))) },
        { "GetClientCertificate", i => Wire(_gateway.GetClientCertificate(i.Scope, CertificateId(i))) },
        { "UpdateClientCertificate", i => Wire(_gateway.UpdateClientCertificate(i.Scope, CertificateId(i), Patch(i))) },
        { "DeleteClientCertificate", i => Done(() => _gateway.DeleteClientCertificate(i.Scope, CertificateId(i))) },

        { "GetTags", i => new JsonObject { ["tags"] = StringMapWire(_gateway.GetTags(i.Scope, i.Required("resource_arn"))) } },
        { "TagResource", i => Done(() => _gateway.TagResource(i.Scope, i.Required("resource_arn"), i.StringMap("tags"))) },
        { "UntagResource", i => Done(() => _gateway.UntagResource(i.Scope, i.Required("resource_arn"), i.Strings("tagKeys"))) },
    };

    private async Task<OperationResult> TestInvokeAsync(OperationInput i)
    {
        var result = await _dataPlane.TestInvokeAsync(i.Scope, ApiId(i), ResourceId(i), HttpMethod(i), i.String("pathWithQueryString"),
            i.String("body"), i.StringMap("headers"), i.StringMap("stageVariables"), i.Aborted);
        var response = result.Response;
        return new JsonObject
        {
            ["status"] = response.StatusCode,
            ["body"] = response.BodyText,
            ["headers"] = StringMapWire(response.Headers.GroupBy(h => h.Key).ToDictionary(g => g.Key, g => g.Last().Value)),
            ["multiValueHeaders"] = new JsonObject(response.Headers.GroupBy(h => h.Key).Select(g =>
                new KeyValuePair<string, JsonNode?>(g.Key, new JsonArray(g.Select(h => (JsonNode)JsonValue.Create(h.Value)!).ToArray())))),
            ["log"] = result.Log,
            ["latency"] = result.LatencyMilliseconds,
        };
    }

    private async Task<OperationResult> TestInvokeAuthorizerAsync(OperationInput i)
    {
        var multiValueHeaders = (i.Object("multiValueHeaders") ?? []).ToDictionary(h => h.Key,
            h => (IReadOnlyList<string>)(h.Value as JsonArray ?? []).OfType<JsonValue>().Select(v => v.ToString()).ToList());
        var (verdict, latency) = await _dataPlane.TestInvokeAuthorizerAsync(i.Scope, ApiId(i), AuthorizerId(i), i.StringMap("headers"), multiValueHeaders,
            i.String("pathWithQueryString"), i.String("body"), i.StringMap("stageVariables"), i.Aborted);
        var body = new JsonObject
        {
            ["clientStatus"] = verdict.ClientStatus,
            ["log"] = string.Join('\n', verdict.Log),
            ["latency"] = latency,
        };
        if (verdict.Answer is { } answer)
        {
            body["principalId"] = answer.PrincipalId;
            body["policy"] = answer.Policy.ToJsonString();
        }
        return body;
    }

    private OperationResult GetExport(OperationInput i) => Attachment(_gateway.GetExport(i.Scope, ApiId(i), i.Required("stage_name"),
        i.Required("export_type"), i.String("extensions"), i.Call.Http.Request.Headers.Accept.ToString()));

    /// <summary>
    /// GetSdk: the SDK calls the stage at the path form of its invoke URL on the address the caller reached Stratus at, the one URL form
    /// every client opens with no DNS (AWS's SDK carries its execute-api host likewise). Its parameters map is the query string, as botocore sends it.
    /// </summary>
    private OperationResult GetSdk(OperationInput i)
    {
        var request = i.Call.Http.Request;
        var parameters = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var stage = i.Required("stage_name");
        var invokeUrl = $"{request.Scheme}://{request.Host}/_aws/execute-api/{ApiId(i)}/{Uri.EscapeDataString(stage)}";
        return Attachment(_gateway.GetSdk(i.Scope, ApiId(i), stage, i.Required("sdk_type"), parameters, invokeUrl));
    }

    private static OperationResult Attachment(ExportedDefinition file)
    {
        var result = new OperationResult { RawBody = file.Body, RawContentType = file.ContentType };
        result.Headers.Add(new("Content-Disposition", file.ContentDisposition));
        return result;
    }

    /// <summary>apigateway's SdkType shape.</summary>
    private static JsonObject SdkTypeWire(SdkType type) => new()
    {
        ["id"] = type.Id,
        ["friendlyName"] = type.FriendlyName,
        ["description"] = type.Description,
        ["configurationProperties"] = new JsonArray([.. type.ConfigurationProperties.Select(p =>
        {
            var property = new JsonObject
            {
                ["name"] = p.Name, ["friendlyName"] = p.FriendlyName, ["description"] = p.Description, ["required"] = p.Required,
            };
            if (p.DefaultValue is { } value) property["defaultValue"] = value;
            return property;
        })]),
    };

    private static string ApiId(OperationInput i) => i.Required("restapi_id");
    private static string DomainName(OperationInput i) => i.Required("domain_name");

    private const string TruststoreUriPath = "/mutualTlsAuthentication/truststoreUri";
    private const string TruststoreVersionPath = "/mutualTlsAuthentication/truststoreVersion";

    private static JsonObject UsageWire(string planId, (string Start, string End, Dictionary<string, List<long[]>> Items) usage) => new()
    {
        ["usagePlanId"] = planId,
        ["startDate"] = usage.Start,
        ["endDate"] = usage.End,
        // The model binds the items map to "values" on the wire.
        ["values"] = new JsonObject(usage.Items.Select(e => new KeyValuePair<string, JsonNode?>(e.Key,
            new JsonArray(e.Value.Select(day => (JsonNode)new JsonArray(day[0], day[1])).ToArray())))),
    };

    /// <summary>The values a patch replaces, by path; any other operation or path is refused as AWS refuses it.</summary>
    private static Dictionary<string, string> PatchValues(IReadOnlyList<PatchOperation> patch, params string[] paths)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var operation in patch)
        {
            if (operation.Op != "replace" || !paths.Contains(operation.Path))
                throw ApiGatewayErrors.BadRequest($"Invalid patch path '{operation.Path}' specified for op '{operation.Op}'. Must be one of: [{string.Join(", ", paths)}]");
            values[operation.Path] = operation.Value ?? throw ApiGatewayErrors.BadRequest($"Invalid null value for patch path '{operation.Path}'");
        }
        return values;
    }

    /// <summary>apigateway's DomainName shape for a REGIONAL domain: AWS's members, with the regional name Stratus answers on.</summary>
    private static JsonObject DomainWire(CustomDomain domain)
    {
        var wire = new JsonObject
        {
            ["domainName"] = domain.DomainName,
            ["domainNameId"] = domain.DomainNameId,
            ["domainNameArn"] = domain.Arn,
            ["regionalDomainName"] = domain.RegionalDomainName,
            ["regionalCertificateArn"] = domain.CertificateArn,
            ["endpointConfiguration"] = new JsonObject { ["types"] = new JsonArray("REGIONAL"), ["ipAddressType"] = "ipv4" },
            ["domainNameStatus"] = "AVAILABLE",
            ["securityPolicy"] = domain.SecurityPolicy,
            ["routingMode"] = RoutingModes.ToRest(domain.RoutingMode),
            ["tags"] = StringMapWire(domain.Tags),
        };
        if (domain.CertificateName is { } certificateName) wire["regionalCertificateName"] = certificateName;
        if (domain.MutualTls is { } mutualTls) wire["mutualTlsAuthentication"] = MutualTlsWire(mutualTls);
        return wire;
    }

    /// <summary>MutualTlsAuthentication as both APIs answer it (the same member names in apigateway and apigatewayv2).</summary>
    internal static JsonObject MutualTlsWire(MutualTlsAuthentication mutualTls)
    {
        var wire = new JsonObject { ["truststoreUri"] = mutualTls.TruststoreUri };
        if (mutualTls.TruststoreVersion is { } version) wire["truststoreVersion"] = version;
        if (mutualTls.TruststoreWarnings.Count > 0) wire["truststoreWarnings"] = new JsonArray([.. mutualTls.TruststoreWarnings.Select(w => (JsonNode)w)]);
        return wire;
    }

    private static JsonObject MappingWire(DomainMapping mapping)
    {
        var wire = new JsonObject
        {
            ["basePath"] = mapping.BasePath.Length == 0 ? CustomDomainNames.NoBasePath : mapping.BasePath,
            ["restApiId"] = mapping.ApiId,
        };
        if (mapping.Stage is { } stage) wire["stage"] = stage;
        return wire;
    }
    private static string AuthorizerId(OperationInput i) => i.Required("authorizer_id");
    private static string CertificateId(OperationInput i) => i.Required("clientcertificate_id");
    private static string KeyId(OperationInput i) => i.Required("api_Key");
    private static string PlanId(OperationInput i) => i.Required("usageplanId");

    private static JsonObject KeyWire(ApiKey key, bool includeValue)
    {
        var wire = Wire(key);
        if (!includeValue) wire.Remove("value");
        return wire;
    }

    private OperationResult ImportApiKeys(OperationInput i)
    {
        if (i.String("format") != "csv") throw ApiGatewayErrors.BadRequest("Invalid format specified: only csv is supported");
        var (ids, warnings) = _gateway.ImportApiKeys(i.Scope, System.Text.Encoding.UTF8.GetString(i.RawBody.Span), i.Bool("failonwarnings") == true);
        return new JsonObject
        {
            ["ids"] = new JsonArray(ids.Select(id => (JsonNode)JsonValue.Create(id)).ToArray()),
            ["warnings"] = new JsonArray(warnings.Select(w => (JsonNode)JsonValue.Create(w)).ToArray()),
        };
    }
    private static string ResourceId(OperationInput i) => i.Required("resource_id");
    private static string HttpMethod(OperationInput i) => i.Required("http_method");
    private static string StatusCode(OperationInput i) => i.Required("status_code");

    private static bool EmbedsMethods(OperationInput i) => i.Strings("embed").Contains("methods");

    // The throttle limits are the account-level throttle the data planes enforce (GatewayThrottles), a quota no API call changes.
    private JsonObject Account(ApiGatewayAccount account)
    {
        var body = new JsonObject
        {
            ["throttleSettings"] = new JsonObject { ["burstLimit"] = _dataPlane.AccountThrottle.BurstLimit, ["rateLimit"] = _dataPlane.AccountThrottle.RateLimit },
            ["features"] = new JsonArray("UsagePlans"),
            ["apiKeyVersion"] = "4",
        };
        if (account.CloudWatchRoleArn is { } role) body["cloudwatchRoleArn"] = role;
        return body;
    }

    private static IReadOnlyList<PatchOperation> Patch(OperationInput i) =>
        i.List("patchOperations").OfType<JsonObject>().Select(o =>
        {
            var op = i.Nested(o);
            return new PatchOperation(op.String("op") ?? "", op.String("path") ?? "", op.String("value"), op.String("from"));
        }).ToList();

    private static JsonObject ResourceWire(ApiResource resource, bool embedMethods)
    {
        var wire = Wire(resource);
        if (!embedMethods && resource.ResourceMethods is { Count: > 0 } methods)
            wire["resourceMethods"] = new JsonObject(methods.Keys.Select(m => new KeyValuePair<string, JsonNode?>(m, new JsonObject())));
        return wire;
    }

    private static JsonObject Paged<T>((IReadOnlyList<T> Items, string? Position) page) where T : class =>
        Page(page.Items.Select(item => Wire(item)), page.Position);

    private static JsonObject Page(IEnumerable<JsonObject> items, string? position)
    {
        // The model names these lists "items" but binds them to "item" on the wire.
        var body = new JsonObject { ["item"] = new JsonArray(items.Cast<JsonNode>().ToArray()) };
        if (position is not null) body["position"] = position;
        return body;
    }

    private static readonly string[] TimestampMembers = ["createdDate", "lastUpdatedDate", "expirationDate"];

    /// <summary>The OpenAPI/Swagger definition an import carries as its body, JSON or YAML (read with the template reader's alias and depth limits).</summary>
    private static JsonObject Definition(OperationInput i)
    {
        try
        {
            return TemplateReader.Parse(System.Text.Encoding.UTF8.GetString(i.RawBody.Span));
        }
        catch (AwsException e) when (e.Code != "BadRequestException")
        {
            throw ApiGatewayErrors.BadRequest($"Invalid OpenAPI input: {e.Message}");
        }
    }

    /// <summary>A wire shape as JSON, with its timestamps handed to the protocol as timestamps.</summary>
    private static JsonObject Wire<T>(T value) where T : class
    {
        var wire = JsonSerializer.SerializeToNode(value, PatchDocument.Wire)!.AsObject();
        foreach (var member in TimestampMembers)
            if (wire[member] is JsonValue stamp && stamp.GetValueKind() == JsonValueKind.String)
                wire[member] = DateTimeOffset.Parse(stamp.GetValue<string>(), CultureInfo.InvariantCulture);
        return wire;
    }

    private static JsonObject StringMapWire(IReadOnlyDictionary<string, string> map) =>
        new(map.Select(e => new KeyValuePair<string, JsonNode?>(e.Key, e.Value)));

    private static OperationResult Done(Action action)
    {
        action();
        return OperationResult.Empty();
    }
}
