using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Protocols.RestJson;
using Stratus.Services.Lambda.Engine;

namespace Stratus.Services.Lambda;

/// <summary>
/// Lambda's wire operations (REST-JSON, 2015-03-31; signing name lambda): request members in, domain call, response
/// shape out.
/// </summary>
public sealed class LambdaApi : IStratusService
{
    private const string Functions = "/2015-03-31/functions";
    private const string CodeDownloadPath = "/_stratus/lambda/code";
    private const string LayerVersions = "/2018-10-31/layers/{LayerName}/versions";
    private const string FunctionUrl = "/2021-10-31/functions/{FunctionName}/url";
    private const string EventInvokeConfig = "/2019-09-25/functions/{FunctionName}/event-invoke-config";
    private const string CodeSigningConfigs = "/2020-04-22/code-signing-configs";
    private const string FunctionCodeSigning = "/2020-06-30/functions/{FunctionName}/code-signing-config";
    private const string DurableExecution = "/2025-12-01/durable-executions/{DurableExecutionArn}";
    private const string DurableCallback = "/2025-12-01/durable-execution-callbacks/{CallbackId}";
    private readonly LambdaService _lambda;
    private readonly SignedLinks _links;
    private readonly S3CodePackages _packages;

    public LambdaApi(LambdaService lambda, SignedLinks links, S3CodePackages packages, ILogger logger)
    {
        _packages = packages;
        _lambda = lambda;
        _links = links;
        Endpoint = new ServiceEndpoint("lambda", Operations(), new RestJsonProtocol(Routes()) { ErrorMessageKey = "Message" })
        {
            Logger = logger,
            Rules = LambdaRules.Members,
            // A 50 MB package arrives base64 in JSON.
            MaxBodyBytes = 70_167_211,
        };
    }

    public string Name => "lambda";
    public ServiceEndpoint Endpoint { get; }

    /// <summary>GetFunction's Code.Location: presigned like S3's, so it needs no credentials and works for 10 minutes only.</summary>
    public IReadOnlyList<StratusPage> Pages => [new(CodeDownloadPath, DownloadCodeAsync) { AuthorizesItself = true }];
    public string State =>
        $"running ({_lambda.Isolation})";

    private static IEnumerable<RestRoute> Routes() =>
    [
        new("POST", Functions, "CreateFunction", successStatus: 201),
        new("GET", Functions + "/", "ListFunctions"),
        new("GET", Functions + "/{FunctionName}", "GetFunction"),
        new("GET", Functions + "/{FunctionName}/configuration", "GetFunctionConfiguration"),
        new("PUT", Functions + "/{FunctionName}/code", "UpdateFunctionCode"),
        new("PUT", Functions + "/{FunctionName}/configuration", "UpdateFunctionConfiguration"),
        new("DELETE", Functions + "/{FunctionName}", "DeleteFunction", successStatus: 204),
        new("POST", Functions + "/{FunctionName}/invocations", "Invoke", rawBody: true),
        new("POST", "/2021-11-15/functions/{FunctionName}/response-streaming-invocations", "InvokeWithResponseStream", rawBody: true),
        new("POST", "/2014-11-13/functions/{FunctionName}/invoke-async", "InvokeAsync", rawBody: true, successStatus: 202),
        new("POST", Functions + "/{FunctionName}/policy", "AddPermission", successStatus: 201),
        new("GET", Functions + "/{FunctionName}/policy", "GetPolicy"),
        new("DELETE", Functions + "/{FunctionName}/policy/{StatementId}", "RemovePermission", successStatus: 204),
        new("POST", Functions + "/{FunctionName}/versions", "PublishVersion", successStatus: 201),
        new("GET", Functions + "/{FunctionName}/versions", "ListVersionsByFunction"),
        new("POST", Functions + "/{FunctionName}/aliases", "CreateAlias", successStatus: 201),
        new("GET", Functions + "/{FunctionName}/aliases", "ListAliases"),
        new("GET", Functions + "/{FunctionName}/aliases/{Name}", "GetAlias"),
        new("PUT", Functions + "/{FunctionName}/aliases/{Name}", "UpdateAlias"),
        new("DELETE", Functions + "/{FunctionName}/aliases/{Name}", "DeleteAlias", successStatus: 204),
        new("POST", "/2017-03-31/tags/{Resource}", "TagResource", successStatus: 204),
        new("DELETE", "/2017-03-31/tags/{Resource}", "UntagResource", successStatus: 204),
        new("GET", "/2017-03-31/tags/{Resource}", "ListTags"),
        new("GET", "/2016-08-19/account-settings/", "GetAccountSettings"),
        new("PUT", "/2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency"),
        new("GET", "/2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency"),
        new("DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency", successStatus: 204),
        new("GET", FunctionCodeSigning, "GetFunctionCodeSigningConfig"),
        new("PUT", FunctionCodeSigning, "PutFunctionCodeSigningConfig"),
        new("DELETE", FunctionCodeSigning, "DeleteFunctionCodeSigningConfig", successStatus: 204),
        new("POST", CodeSigningConfigs, "CreateCodeSigningConfig", successStatus: 201),
        new("GET", CodeSigningConfigs, "ListCodeSigningConfigs"),
        new("GET", CodeSigningConfigs + "/{CodeSigningConfigArn}", "GetCodeSigningConfig"),
        new("PUT", CodeSigningConfigs + "/{CodeSigningConfigArn}", "UpdateCodeSigningConfig"),
        new("DELETE", CodeSigningConfigs + "/{CodeSigningConfigArn}", "DeleteCodeSigningConfig", successStatus: 204),
        new("GET", CodeSigningConfigs + "/{CodeSigningConfigArn}/functions", "ListFunctionsByCodeSigningConfig"),
        new("POST", LayerVersions, "PublishLayerVersion", successStatus: 201),
        new("GET", LayerVersions, "ListLayerVersions"),
        new("GET", LayerVersions + "/{VersionNumber}", "GetLayerVersion"),
        new("DELETE", LayerVersions + "/{VersionNumber}", "DeleteLayerVersion", successStatus: 204),
        new("POST", LayerVersions + "/{VersionNumber}/policy", "AddLayerVersionPermission", successStatus: 201),
        new("GET", LayerVersions + "/{VersionNumber}/policy", "GetLayerVersionPolicy"),
        new("DELETE", LayerVersions + "/{VersionNumber}/policy/{StatementId}", "RemoveLayerVersionPermission", successStatus: 204),
        new("GET", "/2018-10-31/layers", "ListLayers"),
        new("POST", FunctionUrl, "CreateFunctionUrlConfig", successStatus: 201),
        new("GET", FunctionUrl, "GetFunctionUrlConfig"),
        new("PUT", FunctionUrl, "UpdateFunctionUrlConfig"),
        new("DELETE", FunctionUrl, "DeleteFunctionUrlConfig", successStatus: 204),
        new("GET", "/2021-10-31/functions/{FunctionName}/urls", "ListFunctionUrlConfigs"),
        new("PUT", EventInvokeConfig, "PutFunctionEventInvokeConfig"),
        new("POST", EventInvokeConfig, "UpdateFunctionEventInvokeConfig"),
        new("GET", EventInvokeConfig, "GetFunctionEventInvokeConfig"),
        new("DELETE", EventInvokeConfig, "DeleteFunctionEventInvokeConfig", successStatus: 204),
        new("GET", EventInvokeConfig + "/list", "ListFunctionEventInvokeConfigs"),
        new("GET", "/2018-10-31/layers?find=LayerVersion", "GetLayerVersionByArn"),
        new("PUT", "/2024-08-31/functions/{FunctionName}/recursion-config", "PutFunctionRecursionConfig"),
        new("GET", "/2024-08-31/functions/{FunctionName}/recursion-config", "GetFunctionRecursionConfig"),
        new("PUT", ProvisionedConcurrency, "PutProvisionedConcurrencyConfig", successStatus: 202),
        new("GET", ProvisionedConcurrency, "GetProvisionedConcurrencyConfig"),
        new("GET", ProvisionedConcurrency + "?List=ALL", "ListProvisionedConcurrencyConfigs"),
        new("DELETE", ProvisionedConcurrency, "DeleteProvisionedConcurrencyConfig", successStatus: 204),
        new("PUT", RuntimeManagement, "PutRuntimeManagementConfig"),
        new("GET", RuntimeManagement, "GetRuntimeManagementConfig"),
        new("POST", DurableExecution + "/checkpoint", "CheckpointDurableExecution"),
        new("GET", DurableExecution, "GetDurableExecution"),
        new("GET", DurableExecution + "/history", "GetDurableExecutionHistory"),
        new("GET", DurableExecution + "/state", "GetDurableExecutionState"),
        new("POST", DurableExecution + "/stop", "StopDurableExecution"),
        new("GET", "/2025-12-01/functions/{FunctionName}/durable-executions", "ListDurableExecutionsByFunction"),
        new("POST", DurableCallback + "/succeed", "SendDurableExecutionCallbackSuccess", rawBody: true),
        new("POST", DurableCallback + "/fail", "SendDurableExecutionCallbackFailure"),
        new("POST", DurableCallback + "/heartbeat", "SendDurableExecutionCallbackHeartbeat"),
        .. LambdaNotServed.Routes,
    ];

    private OperationTable Operations()
    {
        var table = ServedOperations();
        NotServedOperations.AddTo(table, LambdaNotServed.Operations, LambdaErrors.NotServed);
        return table;
    }

    private OperationTable ServedOperations() => new()
    {
        { "CreateFunction", i =>
            {
                var code = i.Object("Code") is { } c ? Code(i.Nested(c), "CreateFunction") : throw i.Style.Missing("Code");
                var function = _lambda.CreateFunction(i.Scope, i.Required("FunctionName"), FunctionSettings.Read(i), code,
                    i.String("PackageType"), i.StringMap("Tags"), i.Bool("Publish") ?? false);
                return Configuration(function, function.Latest, state: "Pending", updateStatus: null);
            } },
        { "GetFunction", i =>
            {
                var (function, config) = _lambda.GetFunction(i.Scope, i.Required("FunctionName"), i.String("Qualifier"));
                var result = new JsonObject
                {
                    ["Configuration"] = Configuration(function, config),
                    ["Code"] = config.PackageType == "Image"
                        ? new JsonObject { ["RepositoryType"] = "ECR", ["ImageUri"] = config.ImageUri, ["ResolvedImageUri"] = config.ResolvedImageUri ?? config.ImageUri }
                        : new JsonObject
                        {
                            ["RepositoryType"] = "S3",
                            ["Location"] = i.Call.PublicBaseUrl + _links.Sign($"{CodeDownloadPath}/{Convert.ToHexStringLower(Convert.FromBase64String(config.CodeSha256))}"),
                        },
                };
                if (function.Tags.Count > 0) result["Tags"] = StringMap(function.Tags);
                if (function.ReservedConcurrency is { } reserved) result["Concurrency"] = new JsonObject { ["ReservedConcurrentExecutions"] = reserved };
                return result;
            } },
        { "GetFunctionConfiguration", i =>
            {
                var (function, config) = _lambda.GetFunction(i.Scope, i.Required("FunctionName"), i.String("Qualifier"));
                return Configuration(function, config);
            } },
        { "ListFunctions", i =>
            {
                var (functions, next) = _lambda.ListFunctions(i.Scope, i.String("Marker"), i.Int("MaxItems"));
                var result = new JsonObject { ["Functions"] = new JsonArray(functions.Select(f => (JsonNode)Configuration(f, f.Latest)).ToArray()) };
                if (next is not null) result["NextMarker"] = next;
                return result;
            } },
        { "UpdateFunctionCode", i =>
            {
                var function = _lambda.UpdateFunctionCode(i.Scope, i.Required("FunctionName"), Code(i, "UpdateFunctionCode"),
                    i.Bool("Publish") ?? false, i.String("RevisionId"));
                return Configuration(function, i.Bool("Publish") == true ? function.Versions[^1] : function.Latest, updateStatus: "InProgress");
            } },
        { "UpdateFunctionConfiguration", i =>
            {
                var function = _lambda.UpdateFunctionConfiguration(i.Scope, i.Required("FunctionName"), FunctionSettings.Read(i), i.String("RevisionId"));
                return Configuration(function, function.Latest, updateStatus: "InProgress");
            } },
        { "DeleteFunction", i => Done(() => _lambda.DeleteFunction(i.Scope, i.Required("FunctionName"), i.String("Qualifier"))) },
        { "Invoke", InvokeAsync },
        { "CheckpointDurableExecution", i =>
            {
                var updates = ((IInputReader)i).Objects("Updates").Select(OperationUpdate.Read).ToList();
                var (token, operations) = _lambda.Checkpoint(i.Scope, i.Required("DurableExecutionArn"), i.Required("CheckpointToken"), updates);
                return new JsonObject
                {
                    ["CheckpointToken"] = token,
                    ["NewExecutionState"] = new JsonObject { ["Operations"] = Operations(operations) },
                };
            } },
        { "GetDurableExecution", i => DurableExecutionDetail(_lambda.GetDurableExecution(i.Scope, i.Required("DurableExecutionArn"))) },
        { "GetDurableExecutionHistory", i =>
            {
                var (events, next) = _lambda.GetDurableExecutionHistory(i.Scope, i.Required("DurableExecutionArn"), i.Int("MaxItems"), i.String("Marker"),
                    i.Bool("ReverseOrder") ?? false);
                var includeData = i.Bool("IncludeExecutionData") ?? false;
                var result = new JsonObject { ["Events"] = new JsonArray(events.Select(e => (JsonNode)DurableJson.Event(e, includeData)).ToArray()) };
                if (next is not null) result["NextMarker"] = next;
                return result;
            } },
        { "GetDurableExecutionState", i =>
            {
                var (operations, next) = _lambda.GetDurableExecutionState(i.Scope, i.Required("DurableExecutionArn"), i.Required("CheckpointToken"),
                    i.String("Marker"), i.Int("MaxItems"));
                var result = new JsonObject { ["Operations"] = Operations(operations) };
                if (next is not null) result["NextMarker"] = next;
                return result;
            } },
        { "ListDurableExecutionsByFunction", i =>
            {
                var filter = new DurableExecutionFilter(i.String("Qualifier"), i.String("DurableExecutionName"), i.Strings("Statuses"),
                    i.Timestamp("StartedAfter"), i.Timestamp("StartedBefore"), i.Bool("ReverseOrder") ?? false);
                var (executions, next) = _lambda.ListDurableExecutions(i.Scope, i.Required("FunctionName"), filter, i.String("Marker"), i.Int("MaxItems"));
                var result = new JsonObject { ["DurableExecutions"] = new JsonArray(executions.Select(e => (JsonNode)DurableExecutionSummary(e)).ToArray()) };
                if (next is not null) result["NextMarker"] = next;
                return result;
            } },
        { "StopDurableExecution", i =>
            {
                // The Error member is the request's whole body.
                var error = DurableError.Read(i);
                var stopped = _lambda.StopDurableExecution(i.Scope, i.Required("DurableExecutionArn"), error == DurableError.None ? null : error);
                return new JsonObject { ["StopTimestamp"] = DurableJson.EpochSeconds(stopped) };
            } },
        { "SendDurableExecutionCallbackSuccess", i =>
            {
                // The Result member is the request's whole body (a blob payload).
                _lambda.CompleteCallback(i.Scope, i.Required("CallbackId"), succeeded: true, Encoding.UTF8.GetString(i.RawBody.Span), null);
                return new JsonObject();
            } },
        { "SendDurableExecutionCallbackFailure", i =>
            {
                // The Error member is the request's whole body.
                _lambda.CompleteCallback(i.Scope, i.Required("CallbackId"), succeeded: false, null, DurableError.Read(i));
                return new JsonObject();
            } },
        { "SendDurableExecutionCallbackHeartbeat", i =>
            {
                _lambda.CallbackHeartbeat(i.Scope, i.Required("CallbackId"));
                return new JsonObject();
            } },
        { "InvokeWithResponseStream", InvokeWithResponseStreamAsync },
        { "InvokeAsync", async i =>
            {
                await _lambda.InvokeAsync(i.Scope, i.Required("FunctionName"), null, i.RawBody,
                    new InvokeOptions("Event", false, null, TraceHeader(i)), i.Aborted);
                return new OperationResult { StatusCode = 202, Body = new JsonObject { ["Status"] = 202 } };
            } },
        { "AddPermission", i =>
            {
                var statement = _lambda.AddPermission(i.Scope, i.Required("FunctionName"), i.String("Qualifier"),
                    i.Required("StatementId"), i.Required("Action"), i.Required("Principal"), i.String("SourceArn"), i.String("SourceAccount"),
                    i.String("PrincipalOrgID"), i.String("FunctionUrlAuthType"), i.String("RevisionId"));
                return new JsonObject { ["Statement"] = LambdaPolicy.Statement(statement).ToJsonString() };
            } },
        { "GetPolicy", i =>
            {
                var (policy, revision) = _lambda.GetPolicy(i.Scope, i.Required("FunctionName"), i.String("Qualifier"));
                return new JsonObject { ["Policy"] = policy, ["RevisionId"] = revision };
            } },
        { "RemovePermission", i => Done(() => _lambda.RemovePermission(i.Scope, i.Required("FunctionName"), i.Required("StatementId"), i.String("RevisionId"))) },
        { "PublishVersion", i =>
            {
                var version = _lambda.PublishVersion(i.Scope, i.Required("FunctionName"), i.String("Description"), i.String("CodeSha256"), i.String("RevisionId"));
                var (function, _) = _lambda.GetFunction(i.Scope, i.Required("FunctionName"), null);
                return Configuration(function, version);
            } },
        { "ListVersionsByFunction", i =>
            {
                var (function, _) = _lambda.GetFunction(i.Scope, i.Required("FunctionName"), null);
                var versions = _lambda.ListVersions(i.Scope, i.Required("FunctionName"));
                return Paged(versions, v => v.Version, i, "Versions", v => Configuration(function, v));
            } },
        { "CreateAlias", i =>
            {
                var alias = _lambda.CreateAlias(i.Scope, i.Required("FunctionName"), i.Required("Name"), i.Required("FunctionVersion"),
                    i.String("Description"), Weights(i));
                return Alias(_lambda.GetFunction(i.Scope, i.Required("FunctionName"), null).Function, alias);
            } },
        { "GetAlias", i =>
            {
                var (function, alias) = _lambda.GetAlias(i.Scope, i.Required("FunctionName"), i.Required("Name"));
                return Alias(function, alias);
            } },
        { "ListAliases", i =>
            {
                var (function, aliases) = _lambda.ListAliases(i.Scope, i.Required("FunctionName"), i.String("FunctionVersion"));
                return Paged(aliases, a => a.Name, i, "Aliases", a => Alias(function, a));
            } },
        { "UpdateAlias", i =>
            {
                var alias = _lambda.UpdateAlias(i.Scope, i.Required("FunctionName"), i.Required("Name"), i.String("FunctionVersion"),
                    i.String("Description"), Weights(i), i.String("RevisionId"));
                return Alias(_lambda.GetFunction(i.Scope, i.Required("FunctionName"), null).Function, alias);
            } },
        { "DeleteAlias", i => Done(() => _lambda.DeleteAlias(i.Scope, i.Required("FunctionName"), i.Required("Name"))) },
        { "TagResource", i => Done(() => _lambda.TagResource(i.Scope, i.Required("Resource"), i.StringMap("Tags"))) },
        { "UntagResource", i => Done(() => _lambda.UntagResource(i.Scope, i.Required("Resource"), i.Strings("tagKeys").ToHashSet(StringComparer.Ordinal))) },
        { "ListTags", i => new JsonObject { ["Tags"] = StringMap(_lambda.ListTags(i.Scope, i.Required("Resource"))) } },
        { "GetAccountSettings", i =>
            {
                var (limit, unreserved, codeSize, count) = _lambda.AccountSettings(i.Scope);
                return new JsonObject
                {
                    ["AccountLimit"] = new JsonObject
                    {
                        ["TotalCodeSize"] = 80_530_636_800L,
                        ["CodeSizeUnzipped"] = CodeStore.MaxUnzippedBytes,
                        ["CodeSizeZipped"] = CodeStore.MaxZippedBytes,
                        ["ConcurrentExecutions"] = limit,
                        ["UnreservedConcurrentExecutions"] = unreserved,
                    },
                    ["AccountUsage"] = new JsonObject { ["TotalCodeSize"] = codeSize, ["FunctionCount"] = count },
                };
            } },
        { "PutFunctionConcurrency", i => new JsonObject
            {
                ["ReservedConcurrentExecutions"] = _lambda.PutFunctionConcurrency(i.Scope, i.Required("FunctionName"), i.RequiredInt("ReservedConcurrentExecutions")),
            } },
        { "GetFunctionConcurrency", i => _lambda.GetFunctionConcurrency(i.Scope, i.Required("FunctionName")) is { } reserved
            ? new JsonObject { ["ReservedConcurrentExecutions"] = reserved }
            : new JsonObject() },
        { "DeleteFunctionConcurrency", i => Done(() => _lambda.DeleteFunctionConcurrency(i.Scope, i.Required("FunctionName"))) },
        { "GetFunctionCodeSigningConfig", i =>
            {
                var (function, arn) = _lambda.GetFunctionCodeSigningConfig(i.Scope, i.Required("FunctionName"));
                return new JsonObject { ["CodeSigningConfigArn"] = arn, ["FunctionName"] = function.Name };
            } },
        { "PutFunctionCodeSigningConfig", i =>
            {
                var function = _lambda.PutFunctionCodeSigningConfig(i.Scope, i.Required("FunctionName"), i.Required("CodeSigningConfigArn"));
                return new JsonObject { ["CodeSigningConfigArn"] = function.CodeSigningConfigArn, ["FunctionName"] = function.Name };
            } },
        { "DeleteFunctionCodeSigningConfig", i => Done(() => _lambda.DeleteFunctionCodeSigningConfig(i.Scope, i.Required("FunctionName"))) },
        { "CreateCodeSigningConfig", i => new JsonObject
            {
                ["CodeSigningConfig"] = CodeSigningConfig(_lambda.CreateCodeSigningConfig(i.Scope, CodeSigningSettings.Read(i), i.StringMap("Tags") ?? [])),
            } },
        { "GetCodeSigningConfig", i => new JsonObject
            {
                ["CodeSigningConfig"] = CodeSigningConfig(_lambda.GetCodeSigningConfig(i.Scope, i.Required("CodeSigningConfigArn"))),
            } },
        { "UpdateCodeSigningConfig", i => new JsonObject
            {
                ["CodeSigningConfig"] = CodeSigningConfig(_lambda.UpdateCodeSigningConfig(i.Scope, i.Required("CodeSigningConfigArn"), CodeSigningSettings.Read(i))),
            } },
        { "DeleteCodeSigningConfig", i => Done(() => _lambda.DeleteCodeSigningConfig(i.Scope, i.Required("CodeSigningConfigArn"))) },
        { "ListCodeSigningConfigs", i => Paged(_lambda.ListCodeSigningConfigs(i.Scope), c => c.Id, i, "CodeSigningConfigs", CodeSigningConfig) },
        { "ListFunctionsByCodeSigningConfig", i => Paged(_lambda.ListFunctionsByCodeSigningConfig(i.Scope, i.Required("CodeSigningConfigArn")),
            arn => arn, i, "FunctionArns", arn => JsonValue.Create(arn)) },
        { "CreateFunctionUrlConfig", i =>
            {
                var (function, config) = _lambda.CreateFunctionUrlConfig(i.Scope, i.Required("FunctionName"), i.String("Qualifier"), FunctionUrlSettings.Read(i));
                var json = FunctionUrlResponse(function, config);
                json.Remove("LastModifiedTime");
                return json;
            } },
        { "GetFunctionUrlConfig", i =>
            {
                var (function, config) = _lambda.GetFunctionUrlConfig(i.Scope, i.Required("FunctionName"), i.String("Qualifier"));
                return FunctionUrlResponse(function, config);
            } },
        { "UpdateFunctionUrlConfig", i =>
            {
                var (function, config) = _lambda.UpdateFunctionUrlConfig(i.Scope, i.Required("FunctionName"), i.String("Qualifier"), FunctionUrlSettings.Read(i));
                return FunctionUrlResponse(function, config);
            } },
        { "DeleteFunctionUrlConfig", i => Done(() => _lambda.DeleteFunctionUrlConfig(i.Scope, i.Required("FunctionName"), i.String("Qualifier"))) },
        { "ListFunctionUrlConfigs", i =>
            {
                var (function, configs) = _lambda.ListFunctionUrlConfigs(i.Scope, i.Required("FunctionName"));
                return Paged(configs, c => c.UrlId, i, "FunctionUrlConfigs", c => FunctionUrlResponse(function, c));
            } },
        { "PutFunctionEventInvokeConfig", i =>
            {
                var (function, config) = _lambda.PutEventInvokeConfig(i.Scope, i.Required("FunctionName"), i.String("Qualifier"), EventInvokeSettings.Read(i));
                return EventInvokeConfigResponse(function, config);
            } },
        { "UpdateFunctionEventInvokeConfig", i =>
            {
                var (function, config) = _lambda.UpdateEventInvokeConfig(i.Scope, i.Required("FunctionName"), i.String("Qualifier"), EventInvokeSettings.Read(i));
                return EventInvokeConfigResponse(function, config);
            } },
        { "GetFunctionEventInvokeConfig", i =>
            {
                var (function, config) = _lambda.GetEventInvokeConfig(i.Scope, i.Required("FunctionName"), i.String("Qualifier"));
                return EventInvokeConfigResponse(function, config);
            } },
        { "DeleteFunctionEventInvokeConfig", i => Done(() => _lambda.DeleteEventInvokeConfig(i.Scope, i.Required("FunctionName"), i.String("Qualifier"))) },
        { "ListFunctionEventInvokeConfigs", i =>
            {
                var (function, configs) = _lambda.ListEventInvokeConfigs(i.Scope, i.Required("FunctionName"));
                return Paged(configs, c => c.Qualifier, i, "FunctionEventInvokeConfigs", c => EventInvokeConfigResponse(function, c));
            } },
        { "PublishLayerVersion", i =>
            {
                var content = i.Object("Content") is { } c ? Code(i.Nested(c), "PublishLayerVersion") : throw i.Style.Missing("Content");
                if (content.ZipFile is null) throw LambdaErrors.CodeSourceMissing();
                var (layer, version) = _lambda.PublishLayerVersion(i.Scope, i.Required("LayerName"), LayerSettings.Read(i), content.ZipFile);
                return LayerVersionDetail(i, layer, version);
            } },
        { "GetLayerVersion", i =>
            {
                var (layer, version) = _lambda.GetLayerVersion(i.Scope, i.Required("LayerName"), RequiredVersionNumber(i));
                return LayerVersionDetail(i, layer, version);
            } },
        { "GetLayerVersionByArn", i =>
            {
                var (layer, version) = _lambda.GetLayerVersionByArn(i.Required("Arn"));
                return LayerVersionDetail(i, layer, version);
            } },
        { "ListLayerVersions", i =>
            {
                var (layerArn, versions) = _lambda.ListLayerVersions(i.Scope, i.Required("LayerName"), i.String("CompatibleRuntime"), i.String("CompatibleArchitecture"));
                return Paged(versions, v => v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), i, "LayerVersions", v => LayerVersionItem(layerArn, v));
            } },
        { "ListLayers", i =>
            {
                var layers = _lambda.ListLayers(i.Scope, i.String("CompatibleRuntime"), i.String("CompatibleArchitecture"));
                return Paged(layers, l => l.Layer.Name, i, "Layers", l => new JsonObject
                {
                    ["LayerName"] = l.Layer.Name,
                    ["LayerArn"] = l.Layer.Arn,
                    ["LatestMatchingVersion"] = LayerVersionItem(l.Layer.Arn, l.Latest),
                });
            } },
        { "DeleteLayerVersion", i => Done(() => _lambda.DeleteLayerVersion(i.Scope, i.Required("LayerName"), RequiredVersionNumber(i))) },
        { "AddLayerVersionPermission", i =>
            {
                var (statement, revision) = _lambda.AddLayerVersionPermission(i.Scope, i.Required("LayerName"), RequiredVersionNumber(i),
                    i.Required("StatementId"), i.Required("Action"), i.Required("Principal"), i.String("OrganizationId"), i.String("RevisionId"));
                return new JsonObject { ["Statement"] = LambdaPolicy.Statement(statement).ToJsonString(), ["RevisionId"] = revision };
            } },
        { "GetLayerVersionPolicy", i =>
            {
                var (policy, revision) = _lambda.GetLayerVersionPolicy(i.Scope, i.Required("LayerName"), RequiredVersionNumber(i));
                return new JsonObject { ["Policy"] = policy, ["RevisionId"] = revision };
            } },
        { "RemoveLayerVersionPermission", i => Done(() => _lambda.RemoveLayerVersionPermission(i.Scope, i.Required("LayerName"),
            RequiredVersionNumber(i), i.Required("StatementId"), i.String("RevisionId"))) },
        { "PutFunctionRecursionConfig", i => new JsonObject
            {
                ["RecursiveLoop"] = _lambda.PutRecursionConfig(i.Scope, i.Required("FunctionName"), i.Required("RecursiveLoop")),
            } },
        { "GetFunctionRecursionConfig", i => new JsonObject { ["RecursiveLoop"] = _lambda.GetRecursionConfig(i.Scope, i.Required("FunctionName")) } },
        { "PutProvisionedConcurrencyConfig", i => ProvisionedConcurrencyResponse(_lambda.PutProvisionedConcurrency(i.Scope, i.Required("FunctionName"),
            i.Required("Qualifier"), i.RequiredInt("ProvisionedConcurrentExecutions"))) },
        { "GetProvisionedConcurrencyConfig", i => ProvisionedConcurrencyResponse(_lambda.GetProvisionedConcurrency(i.Scope, i.Required("FunctionName"),
            i.Required("Qualifier"))) },
        { "ListProvisionedConcurrencyConfigs", i => Paged(_lambda.ListProvisionedConcurrency(i.Scope, i.Required("FunctionName")), p => p.FunctionArn, i,
            "ProvisionedConcurrencyConfigs", p =>
            {
                var item = ProvisionedConcurrencyResponse(p);
                item["FunctionArn"] = p.FunctionArn;
                return item;
            }) },
        { "DeleteProvisionedConcurrencyConfig", i => Done(() => _lambda.DeleteProvisionedConcurrency(i.Scope, i.Required("FunctionName"), i.Required("Qualifier"))) },
        { "PutRuntimeManagementConfig", i => RuntimeManagementResponse(_lambda.PutRuntimeManagement(i.Scope, i.Required("FunctionName"), i.String("Qualifier"),
            i.Required("UpdateRuntimeOn"), i.String("RuntimeVersionArn"))) },
        { "GetRuntimeManagementConfig", i => RuntimeManagementResponse(_lambda.GetRuntimeManagement(i.Scope, i.Required("FunctionName"), i.String("Qualifier"))) },
    };

    private const string ProvisionedConcurrency = "/2019-09-30/functions/{FunctionName}/provisioned-concurrency";
    private const string RuntimeManagement = "/2021-07-20/functions/{FunctionName}/runtime-management-config";

    private static JsonObject ProvisionedConcurrencyResponse(ProvisionedConcurrencyState state)
    {
        var json = new JsonObject
        {
            ["RequestedProvisionedConcurrentExecutions"] = state.Requested,
            ["AvailableProvisionedConcurrentExecutions"] = state.Available,
            ["AllocatedProvisionedConcurrentExecutions"] = state.Allocated,
            ["Status"] = state.Status,
            ["LastModified"] = state.LastModified,
        };
        if (state.StatusReason is { } reason) json["StatusReason"] = reason;
        return json;
    }

    /// <summary>AWS returns RuntimeVersionArn only when the mode is Manual.</summary>
    private static JsonObject RuntimeManagementResponse((string FunctionArn, FunctionConfig Config) management) => new()
    {
        ["UpdateRuntimeOn"] = management.Config.RuntimeUpdateOn,
        ["FunctionArn"] = management.FunctionArn,
        ["RuntimeVersionArn"] = management.Config.RuntimeVersionArn,
    };

    /// <summary>A URL config as AWS shapes it; FunctionUrl is Stratus's host form (see <see cref="LambdaService.FunctionUrl"/>).</summary>
    private JsonObject FunctionUrlResponse(LambdaFunction function, FunctionUrlConfig config)
    {
        var json = new JsonObject
        {
            ["FunctionUrl"] = _lambda.FunctionUrl(function, config),
            ["FunctionArn"] = config.Qualifier is { } alias ? $"{function.Arn}:{alias}" : function.Arn,
            ["AuthType"] = config.AuthType,
            ["CreationTime"] = config.CreationTime,
            ["LastModifiedTime"] = config.LastModifiedTime,
            ["InvokeMode"] = config.InvokeMode,
        };
        if (config.Cors is { } cors)
        {
            var corsJson = new JsonObject
            {
                ["AllowHeaders"] = new JsonArray(cors.AllowHeaders.Select(h => (JsonNode?)h).ToArray()),
                ["AllowMethods"] = new JsonArray(cors.AllowMethods.Select(m => (JsonNode?)m).ToArray()),
                ["AllowOrigins"] = new JsonArray(cors.AllowOrigins.Select(o => (JsonNode?)o).ToArray()),
                ["ExposeHeaders"] = new JsonArray(cors.ExposeHeaders.Select(h => (JsonNode?)h).ToArray()),
            };
            if (cors.AllowCredentials is { } credentials) corsJson["AllowCredentials"] = credentials;
            if (cors.MaxAge is { } maxAge) corsJson["MaxAge"] = maxAge;
            json["Cors"] = corsJson;
        }
        return json;
    }

    private static JsonObject EventInvokeConfigResponse(LambdaFunction function, EventInvokeConfig config)
    {
        var json = new JsonObject
        {
            ["LastModified"] = config.LastModified.ToUnixTimeMilliseconds() / 1000.0,
            ["FunctionArn"] = $"{function.Arn}:{config.Qualifier}",
            ["DestinationConfig"] = new JsonObject
            {
                ["OnSuccess"] = config.OnSuccess is { } success ? new JsonObject { ["Destination"] = success } : new JsonObject(),
                ["OnFailure"] = config.OnFailure is { } failure ? new JsonObject { ["Destination"] = failure } : new JsonObject(),
            },
        };
        if (config.MaximumRetryAttempts is { } retries) json["MaximumRetryAttempts"] = retries;
        if (config.MaximumEventAgeInSeconds is { } age) json["MaximumEventAgeInSeconds"] = age;
        return json;
    }

    private static long RequiredVersionNumber(OperationInput i) => i.Long("VersionNumber") ?? throw i.Style.Missing("VersionNumber");

    /// <summary>GetLayerVersion's and PublishLayerVersion's answer: the version with its Content, whose Location is a presigned download like a function's.</summary>
    private JsonObject LayerVersionDetail(OperationInput i, LambdaLayer layer, LayerVersion version)
    {
        var json = LayerVersionItem(layer.Arn, version);
        json["LayerArn"] = layer.Arn;
        json["Content"] = new JsonObject
        {
            ["Location"] = i.Call.PublicBaseUrl + _links.Sign($"{CodeDownloadPath}/{version.CodeId}"),
            ["CodeSha256"] = version.CodeSha256,
            ["CodeSize"] = version.CodeSize,
        };
        return json;
    }

    private static JsonObject LayerVersionItem(string layerArn, LayerVersion version)
    {
        var json = new JsonObject
        {
            ["LayerVersionArn"] = $"{layerArn}:{version.Version}",
            ["Version"] = version.Version,
            ["Description"] = version.Description,
            ["CreatedDate"] = version.CreatedDate,
            ["CompatibleRuntimes"] = new JsonArray(version.CompatibleRuntimes.Select(r => (JsonNode?)r).ToArray()),
            ["CompatibleArchitectures"] = new JsonArray(version.CompatibleArchitectures.Select(a => (JsonNode?)a).ToArray()),
        };
        if (version.LicenseInfo is { } license) json["LicenseInfo"] = license;
        return json;
    }

    /// <summary>Serves a package to a link <see cref="SignedLinks"/> signed, answering refusals as S3 answers a presigned GET.</summary>
    private async Task DownloadCodeAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        if (_links.Refusal(path, http.Request.Query["Expires"], http.Request.Query["Signature"]) is { } refusal)
        {
            await WriteS3ErrorAsync(http, 403, "AccessDenied", refusal);
            return;
        }
        string zip;
        try
        {
            zip = _lambda.CodeZipPath(CheckedCodeId(path.Length > CodeDownloadPath.Length + 1 ? path[(CodeDownloadPath.Length + 1)..] : ""));
        }
        catch (AwsException)
        {
            await WriteS3ErrorAsync(http, 404, "NoSuchKey", "The specified key does not exist.");
            return;
        }
        http.Response.ContentType = "application/zip";
        await http.Response.SendFileAsync(zip, http.RequestAborted);
    }

    private static async Task WriteS3ErrorAsync(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/xml";
        await http.Response.WriteAsync(new XElement("Error", new XElement("Code", code), new XElement("Message", message),
            new XElement("RequestId", Guid.NewGuid().ToString("N"))).ToString(SaveOptions.DisableFormatting));
    }

    private async Task<OperationResult> InvokeAsync(OperationInput i)
    {
        var headers = i.Call.Http.Request.Headers;
        var invocationType = headers["X-Amz-Invocation-Type"].ToString() is { Length: > 0 } type ? type : "RequestResponse";
        var logType = headers["X-Amz-Log-Type"].ToString();
        var clientContext = headers["X-Amz-Client-Context"].ToString() is { Length: > 0 } context ? DecodeClientContext(context) : null;
        var durableName = headers["X-Amz-Durable-Execution-Name"].ToString() is { Length: > 0 } name ? name : null;
        var response = await _lambda.InvokeAsync(i.Scope, i.Required("FunctionName"), i.String("Qualifier"), i.RawBody,
            new InvokeOptions(invocationType, logType == "Tail", clientContext, TraceHeader(i)) { DurableExecutionName = durableName }, i.Aborted);
        var result = new OperationResult { StatusCode = response.StatusCode, RawBody = response.Payload, RawContentType = "application/json" };
        result.Headers.Add(new("X-Amz-Executed-Version", response.ExecutedVersion));
        if (response.DurableExecutionArn is { } durableArn) result.Headers.Add(new("X-Amz-Durable-Execution-Arn", durableArn));
        if (response.FunctionError is { } error) result.Headers.Add(new("X-Amz-Function-Error", error));
        if (response.LogResult is { } log) result.Headers.Add(new("X-Amz-Log-Result", log));
        return result;
    }

    /// <summary>
    /// InvokeWithResponseStream: the response as event stream PayloadChunk events, relayed as the function's runtime
    /// streams them (a runtime that answers whole gives one chunk), then InvokeComplete with the error and the log tail.
    /// Errors before the function answers (not found, throttled, a bad payload) are ordinary error responses.
    /// </summary>
    private async Task<OperationResult> InvokeWithResponseStreamAsync(OperationInput i)
    {
        var headers = i.Call.Http.Request.Headers;
        var invocationType = headers["X-Amz-Invocation-Type"].ToString() is { Length: > 0 } type ? type : "RequestResponse";
        if (invocationType is not ("RequestResponse" or "DryRun")) throw LambdaErrors.UnsupportedInvocationType(invocationType);
        var clientContext = headers["X-Amz-Client-Context"].ToString() is { Length: > 0 } context ? DecodeClientContext(context) : null;
        var stream = new ResponseStream();
        var invoke = _lambda.InvokeAsync(i.Scope, i.Required("FunctionName"), i.String("Qualifier"), i.RawBody,
            new InvokeOptions(invocationType, headers["X-Amz-Log-Type"].ToString() == "Tail", clientContext, TraceHeader(i), stream), i.Aborted);
        // Opened is checked, not which task won: a short stream can end (and the invocation with it) before WhenAny looks.
        await Task.WhenAny(invoke, stream.Opened);
        var streaming = stream.Opened.IsCompleted;
        var whole = streaming ? null : await invoke;
        var result = new OperationResult
        {
            StatusCode = whole?.StatusCode ?? 200,
            RawContentType = "application/vnd.amazon.eventstream",
            StreamedBody = whole is { StatusCode: 204 } ? (_, _) => Task.CompletedTask : (body, cancellation) => WriteInvokeEventsAsync(body, stream, invoke, streaming, cancellation),
        };
        result.Headers.Add(new("X-Amz-Executed-Version", whole?.ExecutedVersion ?? stream.ExecutedVersion ?? "$LATEST"));
        return result;
    }

    private static async Task WriteInvokeEventsAsync(Stream body, ResponseStream stream, Task<InvokeResponse> invoke, bool streaming, CancellationToken cancellation)
    {
        try
        {
            if (streaming)
                await foreach (var chunk in stream.Chunks.ReadAllAsync(cancellation))
                {
                    await body.WriteAsync(EventStreamEncoding.Event("PayloadChunk", "application/octet-stream", chunk.Span), cancellation);
                    await body.FlushAsync(cancellation);
                }
            var response = await invoke;
            if (!streaming && !response.Payload.IsEmpty)
                await body.WriteAsync(EventStreamEncoding.Event("PayloadChunk", "application/octet-stream", response.Payload.Span), cancellation);
            var complete = new JsonObject();
            if (response.FunctionError is not null)
            {
                var error = ErrorDocument(response.Payload);
                complete["ErrorCode"] = error?["errorType"]?.ToString() ?? response.FunctionError;
                complete["ErrorDetails"] = error?["errorMessage"]?.ToString() ?? Encoding.UTF8.GetString(response.Payload.Span);
            }
            if (response.LogResult is { } log) complete["LogResult"] = log;
            await body.WriteAsync(EventStreamEncoding.Event("InvokeComplete", "application/json", Encoding.UTF8.GetBytes(complete.ToJsonString())), cancellation);
            await body.FlushAsync(cancellation);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The caller went away; the function runs on to its end, as on AWS.
        }
    }

    private static JsonObject? ErrorDocument(ReadOnlyMemory<byte> payload)
    {
        try
        {
            return JsonNode.Parse(payload.Span, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 64 }) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The caller's X-Ray trace header: the AWS SDKs inside a function send its _X_AMZN_TRACE_ID, whose lineage counts the chain.</summary>
    private static string? TraceHeader(OperationInput i) =>
        i.Call.Http.Request.Headers["X-Amzn-Trace-Id"].ToString() is { Length: > 0 } trace ? trace : null;

    private static string DecodeClientContext(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            throw LambdaErrors.ClientContextNotJson();
        }
    }

    private static string CheckedCodeId(string codeId) =>
        codeId.Length == 64 && codeId.All(char.IsAsciiHexDigitLower) ? codeId
            : throw LambdaErrors.ResourceNotFound(userFault: false);

    private FunctionCode Code(OperationInput i, string operation)
    {
        byte[]? zip = null;
        if (i.String("ZipFile") is { } base64)
        {
            try
            {
                zip = Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                throw LambdaErrors.NotAZip();
            }
        }
        if (i.String("S3Bucket") is { } bucket)
            zip = _packages.Read(i.Scope, bucket, i.String("S3Key") ?? throw LambdaErrors.CodeSourceMissing(), i.String("S3ObjectVersion"), operation);
        return new FunctionCode(zip, i.String("ImageUri"));
    }

    private static JsonObject ImageConfigResponse(FunctionImageConfig config)
    {
        var json = new JsonObject();
        if (config.EntryPoint is { } entryPoint) json["EntryPoint"] = new JsonArray(entryPoint.Select(e => (JsonNode?)e).ToArray());
        if (config.Command is { } command) json["Command"] = new JsonArray(command.Select(c => (JsonNode?)c).ToArray());
        if (config.WorkingDirectory is { } directory) json["WorkingDirectory"] = directory;
        return new JsonObject { ["ImageConfig"] = json };
    }

    private static Dictionary<string, double>? Weights(OperationInput i) =>
        i.Object("RoutingConfig") is { } routing && routing["AdditionalVersionWeights"] is JsonObject weights
            ? weights.ToDictionary(w => w.Key, w => w.Value!.GetValue<double>())
            : null;

    private JsonObject Configuration(LambdaFunction function, FunctionConfig config, string state = "Active", string? updateStatus = "Successful")
    {
        var json = new JsonObject
        {
            ["FunctionName"] = function.Name,
            ["FunctionArn"] = config.Version == FunctionConfig.LatestVersion ? function.Arn : $"{function.Arn}:{config.Version}",
            ["Role"] = config.Role,
            ["CodeSize"] = config.CodeSize,
            ["Description"] = config.Description,
            ["Timeout"] = config.Timeout,
            ["MemorySize"] = config.MemorySize,
            ["LastModified"] = config.LastModified,
            ["CodeSha256"] = config.CodeSha256,
            ["Version"] = config.Version,
            ["TracingConfig"] = new JsonObject { ["Mode"] = config.TracingMode },
            ["RevisionId"] = config.RevisionId,
            ["State"] = state,
            ["PackageType"] = config.PackageType,
            ["RuntimeVersionConfig"] = config.RuntimeVersionArn is { } runtimeVersion ? new JsonObject { ["RuntimeVersionArn"] = runtimeVersion } : null,
            ["Architectures"] = new JsonArray(config.Architectures.Select(a => (JsonNode?)a).ToArray()),
            ["EphemeralStorage"] = new JsonObject { ["Size"] = config.EphemeralStorageSize },
            // Stratus takes no snapshots, so no version is ever optimized (OptimizationStatus On), whatever ApplyOn says.
            ["SnapStart"] = new JsonObject { ["ApplyOn"] = config.SnapStartApplyOn, ["OptimizationStatus"] = "Off" },
            ["LoggingConfig"] = LoggingConfig(config),
        };
        if (config.Durable is { } durable)
            json["DurableConfig"] = new JsonObject { ["ExecutionTimeout"] = durable.ExecutionTimeout, ["RetentionPeriodInDays"] = durable.RetentionPeriodInDays };
        if (config.KmsKeyArn is not null) json["KMSKeyArn"] = config.KmsKeyArn;
        if (config.Runtime is not null) json["Runtime"] = config.Runtime;
        if (config.Handler is not null) json["Handler"] = config.Handler;
        if (config.ImageConfig is { } imageConfig) json["ImageConfigResponse"] = ImageConfigResponse(imageConfig);
        // An image function's state is its own while its image is unpacked (Pending or InProgress), or when that failed.
        if (config.State != "Active") json["State"] = state = config.State;
        if (state == "Pending")
        {
            json["StateReason"] = "The function is being created.";
            json["StateReasonCode"] = "Creating";
        }
        if (state == "Failed")
        {
            json["StateReason"] = config.StateReason;
            json["StateReasonCode"] = config.StateReasonCode;
        }
        if (config.LastUpdateStatus != "Successful" && updateStatus is not null) updateStatus = config.LastUpdateStatus;
        if (updateStatus is not null) json["LastUpdateStatus"] = updateStatus;
        if (updateStatus == "InProgress")
        {
            json["LastUpdateStatusReason"] = "The function is being created.";
            json["LastUpdateStatusReasonCode"] = "Creating";
        }
        if (updateStatus == "Failed")
        {
            json["LastUpdateStatusReason"] = config.LastUpdateStatusReason;
            json["LastUpdateStatusReasonCode"] = config.LastUpdateStatusReasonCode;
        }
        if (config.Layers.Count > 0)
            json["Layers"] = new JsonArray(config.Layers.Select(l => (JsonNode)new JsonObject { ["Arn"] = l.Arn, ["CodeSize"] = l.CodeSize }).ToArray());
        if (config.EncryptedEnvironment is not null || config.PlaintextEnvironment is { Count: > 0 }) json["Environment"] = Environment(function, config);
        if (config.SubnetIds.Count > 0 || config.SecurityGroupIds.Count > 0)
            json["VpcConfig"] = new JsonObject
            {
                ["SubnetIds"] = new JsonArray(config.SubnetIds.Select(s => (JsonNode?)s).ToArray()),
                ["SecurityGroupIds"] = new JsonArray(config.SecurityGroupIds.Select(s => (JsonNode?)s).ToArray()),
                ["VpcId"] = config.VpcId ?? "",
                ["Ipv6AllowedForDualStack"] = false,
            };
        return json;
    }

    /// <summary>
    /// The variables in plain text, as AWS shows them to a caller allowed to decrypt; when the key no longer decrypts them,
    /// AWS's EnvironmentResponse.Error with the code and message an invoke would get.
    /// </summary>
    private JsonObject Environment(LambdaFunction function, FunctionConfig config)
    {
        try
        {
            return new JsonObject { ["Variables"] = StringMap(_lambda.Variables(function, config)) };
        }
        catch (AwsException undecryptable)
        {
            return new JsonObject { ["Error"] = new JsonObject { ["ErrorCode"] = undecryptable.Code, ["Message"] = undecryptable.Message } };
        }
    }

    private static JsonObject CodeSigningConfig(CodeSigningConfig config) => new()
    {
        ["CodeSigningConfigId"] = config.Id,
        ["CodeSigningConfigArn"] = config.Arn,
        ["Description"] = config.Description,
        ["AllowedPublishers"] = new JsonObject
        {
            ["SigningProfileVersionArns"] = new JsonArray(config.SigningProfileVersionArns.Select(a => (JsonNode?)a).ToArray()),
        },
        ["CodeSigningPolicies"] = new JsonObject { ["UntrustedArtifactOnDeployment"] = config.UntrustedArtifactOnDeployment },
        ["LastModified"] = config.LastModified,
    };

    /// <summary>LoggingConfig as AWS reports it: format and group always, the levels only with JSON.</summary>
    private static JsonObject LoggingConfig(FunctionConfig config)
    {
        var json = new JsonObject { ["LogFormat"] = config.Logging?.LogFormat ?? "Text" };
        if (config.Logging is { IsJson: true } logging)
        {
            json["ApplicationLogLevel"] = logging.ApplicationLogLevel;
            json["SystemLogLevel"] = logging.SystemLogLevel;
        }
        json["LogGroup"] = config.LogGroup;
        return json;
    }

    private static JsonObject Alias(LambdaFunction function, FunctionAlias alias)
    {
        var json = new JsonObject
        {
            ["AliasArn"] = $"{function.Arn}:{alias.Name}",
            ["Name"] = alias.Name,
            ["FunctionVersion"] = alias.FunctionVersion,
            ["Description"] = alias.Description,
            ["RevisionId"] = alias.RevisionId,
        };
        if (alias.AdditionalVersionWeights.Count > 0)
            json["RoutingConfig"] = new JsonObject
            {
                ["AdditionalVersionWeights"] = new JsonObject(alias.AdditionalVersionWeights.Select(w => KeyValuePair.Create(w.Key, (JsonNode?)w.Value))),
            };
        return json;
    }

    /// <summary>Marker/MaxItems paging where the marker is the next item's key.</summary>
    private static JsonObject Paged<T>(IReadOnlyList<T> items, Func<T, string> key, OperationInput i, string member, Func<T, JsonNode> render)
    {
        var marker = i.String("Marker");
        var limit = i.Int("MaxItems") ?? 50;
        var start = marker is null ? 0 : Math.Max(0, items.ToList().FindIndex(x => key(x) == marker));
        var page = items.Skip(start).Take(limit + 1).ToList();
        var result = new JsonObject { [member] = new JsonArray(page.Take(limit).Select(render).ToArray()) };
        if (page.Count > limit) result["NextMarker"] = key(page[limit]);
        return result;
    }

    private static JsonArray Operations(IEnumerable<DurableOperation> operations) =>
        new(operations.Select(o => (JsonNode)DurableJson.Operation(o, DurableJson.EpochSeconds)).ToArray());

    /// <summary>ListDurableExecutionsByFunction's Execution.</summary>
    private static JsonObject DurableExecutionSummary(DurableExecution e)
    {
        var json = new JsonObject
        {
            ["DurableExecutionArn"] = e.Arn, ["DurableExecutionName"] = e.Name, ["FunctionArn"] = e.FunctionArn, ["Status"] = e.Status,
            ["StartTimestamp"] = DurableJson.EpochSeconds(e.Started),
        };
        if (e.Ended is { } ended) json["EndTimestamp"] = DurableJson.EpochSeconds(ended);
        return json;
    }

    /// <summary>GetDurableExecution's answer.</summary>
    private static JsonObject DurableExecutionDetail(DurableExecution e)
    {
        var json = DurableExecutionSummary(e);
        json["InputPayload"] = e.InputPayload;
        json["Version"] = e.Version;
        if (e.Result is not null) json["Result"] = e.Result;
        if (e.Error is { } error) json["Error"] = DurableJson.Error(error);
        if (e.TraceHeader is not null) json["TraceHeader"] = new JsonObject { ["XAmznTraceId"] = e.TraceHeader };
        return json;
    }

    private static JsonObject StringMap(IReadOnlyDictionary<string, string> map) =>
        new(map.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));

    private static OperationResult Done(Action action)
    {
        action();
        return OperationResult.Empty();
    }
}
