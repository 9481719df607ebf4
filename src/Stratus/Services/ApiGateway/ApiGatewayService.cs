using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGateway.Vtl;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>API Gateway's control plane: REST APIs, their resource trees, deployments and stages, per account and region.</summary>
public sealed partial class ApiGatewayService
{
    private static readonly HashSet<string> HttpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"];
    private static readonly HashSet<string> AuthorizationTypes = ["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"];

    private readonly TimeProvider _clock;
    private readonly ResourceTable<RestApiDocument> _apis;
    private readonly ResourceTable<DeploymentDocument> _deployments;
    private readonly ResourceTable<StageDocument> _stages;
    private readonly ResourceTable<ApiGatewayAccount> _accounts;
    private readonly UsagePlanTables _usage;
    private readonly ResourceTable<ClientCertificateDocument> _clientCertificates;
    /// <summary>Seals client certificates' private keys: a 0600 key file in the data directory, or a key in memory for an ephemeral Stratus.</summary>
    private readonly SealingKey _sealingKey;
    // API ids are unique across accounts, so the data plane finds an API from its host name alone.
    private readonly ConcurrentDictionary<string, string> _apiKeysById = new(StringComparer.Ordinal);
    /// <summary>Each account and region's REST APIs in listing order (creation, then id): GetRestApis pages through it without sorting or scanning other regions.</summary>
    private readonly ConcurrentDictionary<(string Account, string Region), SortedSet<(DateTimeOffset Created, string Id)>> _apiOrder = new();

    /// <summary>
    /// The stages' cache instances, which the data plane reads and fills. The stage's changes drop them here, where they happen (from
    /// the wire or CloudFormation), so that the data plane's request path never has to check whether a cache should still exist.
    /// </summary>
    public StageResponseCache StageCaches { get; }

    public ApiGatewayService(StateStore store, TimeProvider clock, string? dataDir = null)
    {
        _clientCertificates = new ResourceTable<ClientCertificateDocument>(store, "apigateway.clientcertificates");
        _sealingKey = SealingKey.FromFile(dataDir is null ? null : Path.Combine(dataDir, "apigateway.key"));
        _clock = clock;
        StageCaches = new StageResponseCache(clock);
        _apis = new ResourceTable<RestApiDocument>(store, "apigateway.restapis");
        _deployments = new ResourceTable<DeploymentDocument>(store, "apigateway.deployments");
        _stages = new ResourceTable<StageDocument>(store, "apigateway.stages");
        _accounts = new ResourceTable<ApiGatewayAccount>(store, "apigateway.accounts");
        _usage = new UsagePlanTables(store);
        foreach (var (key, api) in _apis.Entries) Index(key, api);
    }

    private void Index(string key, RestApiDocument document)
    {
        _apiKeysById[document.Api.Id] = key;
        var order = _apiOrder.GetOrAdd((document.AccountId, document.Region), _ => []);
        lock (order) order.Add((document.Api.CreatedDate, document.Api.Id));
    }

    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeSeconds(_clock.GetUtcNow().ToUnixTimeSeconds());

    private static string ApiKey(Scope scope, string apiId) => ResourceTable<RestApiDocument>.Key(scope.AccountId, scope.Region, apiId);
    private static string ChildKey(Scope scope, string apiId, string id) => ResourceTable<RestApiDocument>.Key(scope.AccountId, scope.Region, apiId, id);

    private static T Clone<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value))!;

    // ---- account settings ----

    public ApiGatewayAccount GetAccount(Scope scope) =>
        _accounts.Get(ResourceTable<ApiGatewayAccount>.Key(scope.AccountId, scope.Region)) ?? new ApiGatewayAccount(null);

    /// <summary>UpdateAccount: the one setting Stratus keeps is /cloudwatchRoleArn (replace; an empty value clears it).</summary>
    public ApiGatewayAccount UpdateAccount(Scope scope, IReadOnlyList<PatchOperation> patch)
    {
        var account = GetAccount(scope);
        foreach (var operation in patch)
        {
            if (operation.Op != "replace" || operation.Path != "/cloudwatchRoleArn")
                throw BadRequest($"Invalid patch path '{operation.Path}' specified for op '{operation.Op}'. Must be one of: [/cloudwatchRoleArn]");
            account = account with { CloudWatchRoleArn = string.IsNullOrEmpty(operation.Value) ? null : operation.Value };
        }
        _accounts.Put(ResourceTable<ApiGatewayAccount>.Key(scope.AccountId, scope.Region), account);
        return account;
    }

    // ---- REST APIs ----

    public RestApi CreateRestApi(Scope scope, RestApiSettings settings)
    {
        if (string.IsNullOrWhiteSpace(settings.Name)) throw BadRequest("Invalid REST API name specified");
        if (settings.ApiKeySource is { } source && source is not ("HEADER" or "AUTHORIZER"))
            throw BadRequest($"Invalid API key source specified: {source}");
        var types = settings.EndpointTypes is { Count: > 0 } t ? t : ["EDGE"];
        if (types.Any(type => type is not ("EDGE" or "REGIONAL" or "PRIVATE")))
            throw BadRequest("Invalid endpoint configuration type specified");
        var root = new ApiResource { Id = NewId(), Path = "/" };
        var document = new RestApiDocument
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Api = new RestApi
            {
                Id = NewId(),
                Name = settings.Name,
                Description = settings.Description,
                CreatedDate = Now,
                Version = settings.Version,
                BinaryMediaTypes = settings.BinaryMediaTypes is { Count: > 0 } media ? media : null,
                MinimumCompressionSize = settings.MinimumCompressionSize,
                ApiKeySource = settings.ApiKeySource ?? "HEADER",
                EndpointConfiguration = new EndpointConfiguration { Types = types },
                Policy = settings.Policy,
                Tags = settings.Tags is { Count: > 0 } tags ? tags : null,
                DisableExecuteApiEndpoint = settings.DisableExecuteApiEndpoint,
                RootResourceId = root.Id,
            },
            Resources = { [root.Id] = root },
        };
        var key = ApiKey(scope, document.Api.Id);
        if (!_apis.TryAdd(key, document)) throw Conflict("Unable to create the REST API, try again");
        Index(key, document);
        return document.Api;
    }

    public RestApi GetRestApi(Scope scope, string apiId) => Api(scope, apiId).Api;

    /// <summary>Every account's and region's REST APIs with their resource trees, for the console.</summary>
    public IEnumerable<RestApiDocument> AllRestApis() => _apis.Values;

    public (IReadOnlyList<RestApi> Items, string? Position) GetRestApis(Scope scope, string? position, int? limit)
    {
        (DateTimeOffset Created, string Id)[] order = [];
        if (_apiOrder.TryGetValue((scope.AccountId, scope.Region), out var set))
            lock (set) order = [.. set];
        var (page, next) = Page(order, entry => entry.Id, position, limit);
        return (page.Select(entry => _apis.Get(ApiKey(scope, entry.Id))?.Api).OfType<RestApi>().ToList(), next);
    }

    private static readonly Dictionary<string, PatchKind> RestApiPatchable = new()
    {
        ["name"] = PatchKind.Text, ["description"] = PatchKind.Text, ["version"] = PatchKind.Text, ["policy"] = PatchKind.Text,
        ["apiKeySource"] = PatchKind.Text, ["minimumCompressionSize"] = PatchKind.Integer,
        ["disableExecuteApiEndpoint"] = PatchKind.Boolean, ["binaryMediaTypes"] = PatchKind.TextList,
    };

    public RestApi UpdateRestApi(Scope scope, string apiId, IReadOnlyList<PatchOperation> patch) =>
        MutateApi(scope, apiId, doc => doc.Api = PatchDocument.Apply(doc.Api, patch, RestApiPatchable)).Api;

    public void DeleteRestApi(Scope scope, string apiId)
    {
        var removed = _apis.Remove(ApiKey(scope, apiId)) ?? throw ApiNotFound(scope, apiId);
        _apiKeysById.TryRemove(removed.Api.Id, out _);
        if (_apiOrder.TryGetValue((removed.AccountId, removed.Region), out var order))
            lock (order) order.Remove((removed.Api.CreatedDate, removed.Api.Id));
        foreach (var (key, stage) in _stages.Entries.Where(e => e.Value.ApiId == apiId && e.Value.AccountId == scope.AccountId).ToList())
        {
            _stages.Remove(key);
            StageCaches.Flush(apiId, stage.Stage.StageName);
        }
        foreach (var (key, _) in _deployments.Entries.Where(e => e.Value.ApiId == apiId && e.Value.AccountId == scope.AccountId).ToList()) _deployments.Remove(key);
    }

    private RestApiDocument Api(Scope scope, string apiId) => _apis.Get(ApiKey(scope, apiId)) ?? throw ApiNotFound(scope, apiId);

    private static AwsException ApiNotFound(Scope scope, string apiId) => NotFound($"Invalid API identifier specified {scope.AccountId}:{apiId}");

    private RestApiDocument MutateApi(Scope scope, string apiId, Action<RestApiDocument> change) =>
        _apis.Update(ApiKey(scope, apiId), current =>
        {
            var next = Clone(current);
            change(next);
            return next;
        }) ?? throw ApiNotFound(scope, apiId);

    // ---- resources ----

    public (IReadOnlyList<ApiResource> Items, string? Position) GetResources(Scope scope, string apiId, string? position, int? limit) =>
        Page(Api(scope, apiId).Resources.Values.OrderBy(r => r.Path, StringComparer.Ordinal), r => r.Id, position, limit);

    public ApiResource GetResource(Scope scope, string apiId, string resourceId) => Resource(Api(scope, apiId), resourceId);

    [GeneratedRegex(@"^(\{[a-zA-Z0-9._-]+\+?\}|[a-zA-Z0-9._:@$&,;=~!'()*-]+)$")]
    private static partial Regex PathPartPattern();

    public ApiResource CreateResource(Scope scope, string apiId, ResourceSettings settings)
    {
        var (parentId, pathPart) = settings;
        if (!PathPartPattern().IsMatch(pathPart))
            throw BadRequest("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.");
        var created = new ApiResource { Id = NewId(), ParentId = parentId, PathPart = pathPart };
        MutateApi(scope, apiId, doc =>
        {
            var parent = Resource(doc, parentId);
            if (parent.PathPart?.EndsWith("+}", StringComparison.Ordinal) == true)
                throw BadRequest($"Cannot create a child of a resource with a greedy path variable: {parent.Path}");
            var siblings = doc.Resources.Values.Where(r => r.ParentId == parentId).ToList();
            if (siblings.Any(r => r.PathPart == pathPart))
                throw Conflict($"Another resource with the same parent already has this name: {pathPart}");
            if (pathPart.StartsWith('{') && siblings.Any(r => r.PathPart?.StartsWith('{') == true))
                throw BadRequest($"A sibling ({siblings.First(r => r.PathPart!.StartsWith('{')).PathPart}) of this resource already has a variable path part -- only one is allowed");
            created.Path = parent.Path == "/" ? "/" + pathPart : parent.Path + "/" + pathPart;
            doc.Resources[created.Id] = created;
        });
        return created;
    }

    public ApiResource UpdateResource(Scope scope, string apiId, string resourceId, IReadOnlyList<PatchOperation> patch)
    {
        var doc = MutateApi(scope, apiId, doc =>
        {
            var resource = Resource(doc, resourceId);
            foreach (var operation in patch)
            {
                if (operation.Op != "replace" || operation.Path != "/pathPart" || operation.Value is not { } part || resource.ParentId is null)
                    throw PatchDocument.InvalidPath(operation);
                if (!PathPartPattern().IsMatch(part)) throw BadRequest("Invalid path part specified");
                if (doc.Resources.Values.Any(r => r.ParentId == resource.ParentId && r.PathPart == part && r.Id != resourceId))
                    throw Conflict($"Another resource with the same parent already has this name: {part}");
                resource.PathPart = part;
                RecomputePaths(doc, resource);
            }
        });
        return Resource(doc, resourceId);
    }

    private static void RecomputePaths(RestApiDocument doc, ApiResource resource)
    {
        var parent = doc.Resources[resource.ParentId!];
        resource.Path = parent.Path == "/" ? "/" + resource.PathPart : parent.Path + "/" + resource.PathPart;
        foreach (var child in doc.Resources.Values.Where(r => r.ParentId == resource.Id)) RecomputePaths(doc, child);
    }

    public void DeleteResource(Scope scope, string apiId, string resourceId) =>
        MutateApi(scope, apiId, doc =>
        {
            var resource = Resource(doc, resourceId);
            if (resource.ParentId is null) throw BadRequest("Cannot delete root resource");
            var doomed = new Stack<string>([resourceId]);
            while (doomed.TryPop(out var id))
            {
                doc.Resources.Remove(id);
                foreach (var child in doc.Resources.Values.Where(r => r.ParentId == id)) doomed.Push(child.Id);
            }
        });

    private static ApiResource Resource(RestApiDocument doc, string resourceId) =>
        doc.Resources.GetValueOrDefault(resourceId) ?? throw NotFound("Invalid Resource identifier specified");

    // ---- methods ----

    public ApiMethod PutMethod(Scope scope, string apiId, string resourceId, string httpMethod, MethodSettings settings)
    {
        var (authorizationType, authorizerId, apiKeyRequired, operationName, requestParameters, requestModels, requestValidatorId, authorizationScopes) = settings;
        httpMethod = CheckHttpMethod(httpMethod);
        if (!AuthorizationTypes.Contains(authorizationType))
            throw BadRequest($"Invalid authorization type specified. Valid options are NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS");
        if (authorizationType is "CUSTOM" or "COGNITO_USER_POOLS" && authorizerId is null)
            throw BadRequest("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.");
        CheckParameterNames(requestParameters?.Keys, "method.request.");
        var method = new ApiMethod
        {
            HttpMethod = httpMethod,
            AuthorizationType = authorizationType,
            AuthorizerId = authorizerId,
            ApiKeyRequired = apiKeyRequired,
            OperationName = operationName,
            RequestParameters = requestParameters is { Count: > 0 } ? requestParameters : null,
            RequestModels = requestModels is { Count: > 0 } ? requestModels : null,
            RequestValidatorId = requestValidatorId,
            AuthorizationScopes = authorizationScopes is { Count: > 0 } ? authorizationScopes : null,
        };
        MutateApi(scope, apiId, doc =>
        {
            var resource = Resource(doc, resourceId);
            resource.ResourceMethods ??= [];
            if (resource.ResourceMethods.ContainsKey(httpMethod)) throw Conflict("Method already exists for this resource");
            CheckMethodAuthorizer(doc, method);
            resource.ResourceMethods[httpMethod] = method;
        });
        return method;
    }

    public ApiMethod GetMethod(Scope scope, string apiId, string resourceId, string httpMethod) =>
        Method(Resource(Api(scope, apiId), resourceId), httpMethod);

    private static readonly Dictionary<string, PatchKind> MethodPatchable = new()
    {
        ["authorizationType"] = PatchKind.Text, ["authorizerId"] = PatchKind.Text, ["apiKeyRequired"] = PatchKind.Boolean,
        ["operationName"] = PatchKind.Text, ["requestValidatorId"] = PatchKind.Text,
        ["requestParameters"] = PatchKind.BooleanMap, ["requestModels"] = PatchKind.TextMap, ["authorizationScopes"] = PatchKind.TextList,
    };

    public ApiMethod UpdateMethod(Scope scope, string apiId, string resourceId, string httpMethod, IReadOnlyList<PatchOperation> patch)
    {
        ApiMethod? updated = null;
        MutateApi(scope, apiId, doc =>
        {
            var resource = Resource(doc, resourceId);
            var next = PatchDocument.Apply(Method(resource, httpMethod), patch, MethodPatchable);
            if (!AuthorizationTypes.Contains(next.AuthorizationType)) throw BadRequest("Invalid authorization type specified. Valid options are NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS");
            CheckParameterNames(next.RequestParameters?.Keys, "method.request.");
            CheckMethodAuthorizer(doc, next);
            resource.ResourceMethods![next.HttpMethod] = updated = next;
        });
        return updated!;
    }

    public void DeleteMethod(Scope scope, string apiId, string resourceId, string httpMethod) =>
        MutateMethod(scope, apiId, resourceId, httpMethod, (resource, method) => resource.ResourceMethods!.Remove(method.HttpMethod));

    private static string CheckHttpMethod(string httpMethod)
    {
        var upper = httpMethod.ToUpperInvariant();
        return HttpMethods.Contains(upper) ? upper : throw BadRequest("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY");
    }

    private static ApiMethod Method(ApiResource resource, string httpMethod) =>
        resource.ResourceMethods?.GetValueOrDefault(httpMethod.ToUpperInvariant()) ?? throw NotFound("Invalid Method identifier specified");

    private T MutateMethod<T>(Scope scope, string apiId, string resourceId, string httpMethod, Func<ApiResource, ApiMethod, T> change)
    {
        T result = default!;
        MutateApi(scope, apiId, doc =>
        {
            var resource = Resource(doc, resourceId);
            result = change(resource, Method(resource, httpMethod));
        });
        return result;
    }

    private static void CheckParameterNames(IEnumerable<string>? names, string prefix)
    {
        foreach (var name in names ?? [])
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || name.Split('.').Length < 4 && !name.StartsWith(prefix + "body", StringComparison.Ordinal))
                throw BadRequest($"Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: {name}]");
    }

    // ---- method responses ----

    public MethodResponse PutMethodResponse(Scope scope, string apiId, string resourceId, string httpMethod, MethodResponseSettings settings)
    {
        var (statusCode, responseParameters, responseModels) = settings;
        CheckStatusCode(statusCode);
        CheckParameterNames(responseParameters?.Keys, "method.response.header.");
        var response = new MethodResponse
        {
            StatusCode = statusCode,
            ResponseParameters = responseParameters is { Count: > 0 } ? responseParameters : null,
            ResponseModels = responseModels is { Count: > 0 } ? responseModels : null,
        };
        return MutateMethod(scope, apiId, resourceId, httpMethod, (_, method) =>
        {
            method.MethodResponses ??= [];
            method.MethodResponses[statusCode] = response;
            return response;
        });
    }

    public MethodResponse GetMethodResponse(Scope scope, string apiId, string resourceId, string httpMethod, string statusCode) =>
        MethodResponseOf(GetMethod(scope, apiId, resourceId, httpMethod), statusCode);

    private static readonly Dictionary<string, PatchKind> MethodResponsePatchable = new()
    {
        ["responseParameters"] = PatchKind.BooleanMap, ["responseModels"] = PatchKind.TextMap,
    };

    public MethodResponse UpdateMethodResponse(Scope scope, string apiId, string resourceId, string httpMethod, string statusCode, IReadOnlyList<PatchOperation> patch) =>
        MutateMethod(scope, apiId, resourceId, httpMethod, (_, method) =>
        {
            var next = PatchDocument.Apply(MethodResponseOf(method, statusCode), patch, MethodResponsePatchable);
            CheckParameterNames(next.ResponseParameters?.Keys, "method.response.header.");
            return method.MethodResponses![statusCode] = next;
        });

    public void DeleteMethodResponse(Scope scope, string apiId, string resourceId, string httpMethod, string statusCode) =>
        MutateMethod(scope, apiId, resourceId, httpMethod, (_, method) => method.MethodResponses!.Remove(MethodResponseOf(method, statusCode).StatusCode));

    private static MethodResponse MethodResponseOf(ApiMethod method, string statusCode) =>
        method.MethodResponses?.GetValueOrDefault(statusCode) ?? throw NotFound("Invalid Response status code specified");

    private static void CheckStatusCode(string statusCode)
    {
        if (!(statusCode.Length == 3 && int.TryParse(statusCode, out var code) && code is >= 100 and <= 599))
            throw BadRequest("Invalid status code specified: must be a number between 100 and 599");
    }

    // ---- integrations ----

    public Integration PutIntegration(Scope scope, string apiId, string resourceId, string httpMethod, IntegrationSettings settings)
    {
        var integration = new Integration
        {
            Type = settings.Type,
            HttpMethod = settings.HttpMethod?.ToUpperInvariant(),
            Uri = settings.Uri,
            ConnectionType = settings.ConnectionType ?? "INTERNET",
            Credentials = settings.Credentials,
            RequestParameters = settings.RequestParameters is { Count: > 0 } ? settings.RequestParameters : null,
            RequestTemplates = settings.RequestTemplates is { Count: > 0 } ? settings.RequestTemplates : null,
            PassthroughBehavior = settings.PassthroughBehavior ?? "WHEN_NO_MATCH",
            ContentHandling = settings.ContentHandling,
            TimeoutInMillis = settings.TimeoutInMillis ?? 29000,
            CacheNamespace = settings.CacheNamespace ?? resourceId,
            CacheKeyParameters = settings.CacheKeyParameters ?? [],
            TlsConfig = settings.TlsConfig,
        };
        CheckIntegration(integration, scope.Region);
        return MutateMethod(scope, apiId, resourceId, httpMethod, (_, method) => method.MethodIntegration = integration);
    }

    public Integration GetIntegration(Scope scope, string apiId, string resourceId, string httpMethod) =>
        IntegrationOf(GetMethod(scope, apiId, resourceId, httpMethod));

    private static readonly Dictionary<string, PatchKind> IntegrationPatchable = new()
    {
        ["uri"] = PatchKind.Text, ["httpMethod"] = PatchKind.Text, ["credentials"] = PatchKind.Text, ["passthroughBehavior"] = PatchKind.Text,
        ["contentHandling"] = PatchKind.Text, ["timeoutInMillis"] = PatchKind.Integer, ["connectionType"] = PatchKind.Text,
        ["requestParameters"] = PatchKind.TextMap, ["requestTemplates"] = PatchKind.TextMap, ["cacheNamespace"] = PatchKind.Text,
        ["cacheKeyParameters"] = PatchKind.TextList,
        // One member, /tlsConfig/insecureSkipVerification: TlsPatchPath keeps the path to it.
        ["tlsConfig"] = PatchKind.BooleanMap,
    };

    private const string TlsPatchPath = "/tlsConfig/insecureSkipVerification";

    public Integration UpdateIntegration(Scope scope, string apiId, string resourceId, string httpMethod, IReadOnlyList<PatchOperation> patch) =>
        MutateMethod(scope, apiId, resourceId, httpMethod, (_, method) =>
        {
            if (patch.FirstOrDefault(o => o.Path?.StartsWith("/tlsConfig", StringComparison.Ordinal) == true && o.Path != TlsPatchPath) is { } tlsOperation)
                throw PatchDocument.InvalidPath(tlsOperation, IntegrationPatchable.Keys.Select(k => k == "tlsConfig" ? TlsPatchPath[1..] : k));
            var next = PatchDocument.Apply(IntegrationOf(method), patch, IntegrationPatchable);
            CheckIntegration(next, scope.Region);
            return method.MethodIntegration = next;
        });

    public void DeleteIntegration(Scope scope, string apiId, string resourceId, string httpMethod) =>
        MutateMethod(scope, apiId, resourceId, httpMethod, (_, method) =>
        {
            IntegrationOf(method);
            method.MethodIntegration = null;
            return true;
        });

    private static Integration IntegrationOf(ApiMethod method) =>
        method.MethodIntegration ?? throw NotFound("Invalid Integration identifier specified");

    private static void CheckIntegration(Integration integration, string region)
    {
        // An imported definition's or a template's type is held to PutIntegration's rule in its words; the wire's own
        // PutIntegration never gets here with another (its member rules answer ValidationException first), and an
        // import's refusal is API Gateway's BadRequestException.
        if (!ApiGatewayRules.IntegrationTypes.Contains(integration.Type))
            throw ApiGatewayErrors.Validation.Rejected("putIntegrationInput.type", integration.Type,
                $"Member must satisfy enum value set: [{string.Join(", ", ApiGatewayRules.IntegrationTypes)}]");
        if (integration.PassthroughBehavior is not ("WHEN_NO_MATCH" or "WHEN_NO_TEMPLATES" or "NEVER"))
            throw BadRequest("Invalid passthrough behavior specified. Valid options are WHEN_NO_MATCH,WHEN_NO_TEMPLATES,NEVER");
        if (integration.ContentHandling is { } handling && handling is not ("CONVERT_TO_BINARY" or "CONVERT_TO_TEXT"))
            throw BadRequest("Invalid content handling specified. Valid options are CONVERT_TO_BINARY,CONVERT_TO_TEXT");
        if (integration.TimeoutInMillis is < 50 or > 29000)
            throw BadRequest("Timeout should be between 50 ms and 29000 ms");
        if (integration.Type != "MOCK")
        {
            if (string.IsNullOrEmpty(integration.HttpMethod)) throw BadRequest("Enumeration value for HttpMethod must be non-empty");
            CheckHttpMethod(integration.HttpMethod);
            if (string.IsNullOrEmpty(integration.Uri)) throw BadRequest("Invalid ARN specified in the request");
        }
        switch (integration.Type)
        {
            case "AWS" or "AWS_PROXY":
                if (IntegrationUri.Parse(integration.Uri!) is not { } target)
                    throw BadRequest("AWS ARN for integration must contain path or action");
                if (integration.Type == "AWS_PROXY" && target.LambdaFunction is null)
                    throw BadRequest("Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.");
                break;
            case "HTTP" or "HTTP_PROXY":
                if (!Uri.TryCreate(integration.Uri, UriKind.Absolute, out var http) || http.Scheme is not ("http" or "https"))
                    throw BadRequest("Invalid HTTP endpoint specified for URI");
                break;
        }
        foreach (var (name, template) in integration.RequestTemplates ?? [])
            CheckTemplate(name, template);
        CheckParameterNames(integration.RequestParameters?.Keys, "integration.request.");
    }

    private static void CheckTemplate(string contentType, string? template)
    {
        if (string.IsNullOrEmpty(template)) return;
        try
        {
            VtlTemplate.Parse(template);
        }
        catch (VtlException e)
        {
            throw BadRequest($"Invalid mapping template specified for content type '{contentType}': {e.Message}");
        }
    }

    // ---- integration responses ----

    public IntegrationResponse PutIntegrationResponse(Scope scope, string apiId, string resourceId, string httpMethod, IntegrationResponseSettings settings)
    {
        var (statusCode, selectionPattern, responseParameters, responseTemplates, contentHandling) = settings;
        var response = new IntegrationResponse
        {
            StatusCode = statusCode,
            SelectionPattern = selectionPattern,
            ResponseParameters = responseParameters is { Count: > 0 } ? responseParameters : null,
            ResponseTemplates = responseTemplates is { Count: > 0 } ? responseTemplates : null,
            ContentHandling = contentHandling,
        };
        CheckIntegrationResponse(response);
        return MutateMethod(scope, apiId, resourceId, httpMethod, (_, method) =>
        {
            var integration = IntegrationOf(method);
            MethodResponseOf(method, statusCode);
            integration.IntegrationResponses ??= [];
            return integration.IntegrationResponses[statusCode] = response;
        });
    }

    public IntegrationResponse GetIntegrationResponse(Scope scope, string apiId, string resourceId, string httpMethod, string statusCode) =>
        IntegrationResponseOf(GetIntegration(scope, apiId, resourceId, httpMethod), statusCode);

    private static readonly Dictionary<string, PatchKind> IntegrationResponsePatchable = new()
    {
        ["selectionPattern"] = PatchKind.Text, ["contentHandling"] = PatchKind.Text,
        ["responseParameters"] = PatchKind.TextMap, ["responseTemplates"] = PatchKind.TextMap,
    };

    public IntegrationResponse UpdateIntegrationResponse(Scope scope, string apiId, string resourceId, string httpMethod, string statusCode, IReadOnlyList<PatchOperation> patch) =>
        MutateMethod(scope, apiId, resourceId, httpMethod, (_, method) =>
        {
            var integration = IntegrationOf(method);
            var next = PatchDocument.Apply(IntegrationResponseOf(integration, statusCode), patch, IntegrationResponsePatchable);
            CheckIntegrationResponse(next);
            return integration.IntegrationResponses![statusCode] = next;
        });

    public void DeleteIntegrationResponse(Scope scope, string apiId, string resourceId, string httpMethod, string statusCode) =>
        MutateMethod(scope, apiId, resourceId, httpMethod, (_, method) =>
        {
            var integration = IntegrationOf(method);
            return integration.IntegrationResponses!.Remove(IntegrationResponseOf(integration, statusCode).StatusCode);
        });

    private static IntegrationResponse IntegrationResponseOf(Integration integration, string statusCode) =>
        integration.IntegrationResponses?.GetValueOrDefault(statusCode) ?? throw NotFound("Invalid Response status code specified");

    private static void CheckIntegrationResponse(IntegrationResponse response)
    {
        CheckStatusCode(response.StatusCode);
        if (!string.IsNullOrEmpty(response.SelectionPattern))
        {
            try
            {
                _ = new Regex(response.SelectionPattern);
            }
            catch (ArgumentException)
            {
                throw BadRequest($"Invalid selection pattern specified: {response.SelectionPattern}");
            }
        }
        CheckParameterNames(response.ResponseParameters?.Keys, "method.response.header.");
        foreach (var (contentType, template) in response.ResponseTemplates ?? []) CheckTemplate(contentType, template);
    }

    // ---- deployments ----

    public Deployment CreateDeployment(Scope scope, string apiId, DeploymentSettings settings)
    {
        var (stageName, stageDescription, description, variables, canary, cacheClusterEnabled, cacheClusterSize) = settings;
        var api = Api(scope, apiId);
        // A canary deployment goes to an existing stage's canary, leaving the stage's own deployment as it is (AWS's CreateDeployment).
        if (canary is not null && (string.IsNullOrEmpty(stageName) || _stages.Get(ChildKey(scope, apiId, stageName)) is null))
            throw BadRequest("Canary settings need the name of an existing stage to deploy the canary to");
        CheckCanary(canary);
        var methods = api.Resources.Values.SelectMany(r => r.ResourceMethods?.Values ?? Enumerable.Empty<ApiMethod>()).ToList();
        if (methods.Count == 0) throw BadRequest("The REST API doesn't contain any methods");
        if (methods.Any(m => m.MethodIntegration is null)) throw BadRequest("No integration defined for method");
        var document = new DeploymentDocument
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            ApiId = apiId,
            Deployment = new Deployment { Id = NewId(), Description = description, CreatedDate = Now },
            Resources = Clone(api.Resources),
            Models = Clone(api.Models),
            RequestValidators = Clone(api.RequestValidators),
            GatewayResponses = Clone(api.GatewayResponses),
            Authorizers = Clone(api.Authorizers),
        };
        if (!_deployments.TryAdd(ChildKey(scope, apiId, document.Deployment.Id), document)) throw Conflict("Unable to create the deployment, try again");
        if (!string.IsNullOrEmpty(stageName))
        {
            var key = ChildKey(scope, apiId, stageName);
            if (_stages.Get(key) is not null)
                _stages.Update(key, current =>
                {
                    var next = Clone(current);
                    if (canary is not null)
                    {
                        canary.DeploymentId = document.Deployment.Id;
                        next.Stage.CanarySettings = canary;
                    }
                    else next.Stage.DeploymentId = document.Deployment.Id;
                    if (variables is { Count: > 0 }) next.Stage.Variables = variables;
                    if (cacheClusterEnabled is { } enabled)
                    {
                        next.Stage.CacheClusterEnabled = enabled;
                        next.Stage.CacheClusterSize = cacheClusterSize ?? next.Stage.CacheClusterSize;
                        CheckCacheCluster(next.Stage);
                    }
                    next.Stage.LastUpdatedDate = Now;
                    return next;
                });
            else
                CreateStage(scope, apiId, stageName, new StageSettings(document.Deployment.Id, stageDescription, variables, TracingEnabled: false, Tags: null,
                    CacheClusterEnabled: cacheClusterEnabled ?? false, CacheClusterSize: cacheClusterSize));
        }
        return document.Deployment;
    }

    public Deployment GetDeployment(Scope scope, string apiId, string deploymentId) => DeploymentOf(scope, apiId, deploymentId).Deployment;

    public (IReadOnlyList<Deployment> Items, string? Position) GetDeployments(Scope scope, string apiId, string? position, int? limit)
    {
        Api(scope, apiId);
        return Page(_deployments.Values.Where(d => d.AccountId == scope.AccountId && d.ApiId == apiId).Select(d => d.Deployment)
            .OrderBy(d => d.CreatedDate).ThenBy(d => d.Id), d => d.Id, position, limit);
    }

    public Deployment UpdateDeployment(Scope scope, string apiId, string deploymentId, IReadOnlyList<PatchOperation> patch)
    {
        DeploymentOf(scope, apiId, deploymentId);
        return _deployments.Update(ChildKey(scope, apiId, deploymentId), current =>
        {
            var next = Clone(current);
            next.Deployment = PatchDocument.Apply(next.Deployment, patch, new Dictionary<string, PatchKind> { ["description"] = PatchKind.Text });
            return next;
        })!.Deployment;
    }

    public void DeleteDeployment(Scope scope, string apiId, string deploymentId)
    {
        DeploymentOf(scope, apiId, deploymentId);
        if (_stages.Values.Any(s => s.AccountId == scope.AccountId && s.ApiId == apiId && s.Stage.DeploymentId == deploymentId))
            throw BadRequest("Active stages pointing to this deployment must be moved or deleted");
        _deployments.Remove(ChildKey(scope, apiId, deploymentId));
    }

    private DeploymentDocument DeploymentOf(Scope scope, string apiId, string deploymentId)
    {
        Api(scope, apiId);
        return _deployments.Get(ChildKey(scope, apiId, deploymentId)) ?? throw NotFound("Invalid Deployment identifier specified");
    }

    // ---- stages ----

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,128}$")]
    private static partial Regex StageNamePattern();

    public Stage CreateStage(Scope scope, string apiId, string stageName, StageSettings settings)
    {
        var (deploymentId, description, variables, tracingEnabled, tags, canary, accessLog, cacheClusterEnabled, cacheClusterSize, documentationVersion, clientCertificateId) = settings;
        CheckClientCertificate(scope, clientCertificateId);
        if (!StageNamePattern().IsMatch(stageName))
            throw BadRequest("Stage name only allows a-zA-Z0-9_-");
        CheckStageVariables(variables);
        DeploymentOf(scope, apiId, deploymentId);
        CheckCanary(canary);
        if (canary?.DeploymentId is { } canaryDeployment) DeploymentOf(scope, apiId, canaryDeployment);
        // A canary created with the stage, without a deployment of its own, starts on the stage's.
        if (canary is { DeploymentId: null }) canary.DeploymentId = deploymentId;
        CheckAccessLog(accessLog);
        if (documentationVersion is not null) SnapshotOf(Api(scope, apiId), documentationVersion);
        var now = Now;
        var document = new StageDocument
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            ApiId = apiId,
            Stage = new Stage
            {
                DeploymentId = deploymentId,
                StageName = stageName,
                Description = description,
                Variables = variables is { Count: > 0 } ? variables : null,
                TracingEnabled = tracingEnabled,
                CacheClusterEnabled = cacheClusterEnabled,
                CacheClusterSize = cacheClusterSize,
                DocumentationVersion = documentationVersion,
                ClientCertificateId = clientCertificateId,
                CanarySettings = canary,
                AccessLogSettings = accessLog,
                Tags = tags is { Count: > 0 } ? tags : null,
                CreatedDate = now,
                LastUpdatedDate = now,
            },
        };
        CheckCacheCluster(document.Stage);
        if (!_stages.TryAdd(ChildKey(scope, apiId, stageName), document)) throw Conflict("Stage already exists");
        StageCaches.Flush(apiId, stageName);
        return CacheClusterTransition(null, document.Stage);
    }

    private static readonly string[] CacheClusterSizes = ["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"];

    /// <summary>A stage's cache settings as AWS takes them: one of the cache sizes it sells, 0.5 GB when enabled without one.</summary>
    private static void CheckCacheCluster(Stage stage)
    {
        if (stage.CacheClusterSize is { } size && !CacheClusterSizes.Contains(size))
            throw BadRequest($"Invalid cache cluster size specified: {size}. Valid sizes are {string.Join(", ", CacheClusterSizes)}");
        if (stage.CacheClusterEnabled) stage.CacheClusterSize ??= StageResponseCache.DefaultSize;
        // Stratus's cache is in memory and ready at once, so the stored status is where AWS's ends up after its minutes of provisioning.
        stage.CacheClusterStatus = stage.CacheClusterEnabled ? "AVAILABLE" : "NOT_AVAILABLE";
    }

    /// <summary>
    /// The stage as the call that created, resized or removed its cache answers it: CREATE_IN_PROGRESS or DELETE_IN_PROGRESS, as AWS
    /// answers while it provisions the instance; every later read shows the settled AVAILABLE or NOT_AVAILABLE.
    /// </summary>
    private static Stage CacheClusterTransition(Stage? before, Stage after)
    {
        var created = after.CacheClusterEnabled && (before is not { CacheClusterEnabled: true } || before.CacheClusterSize != after.CacheClusterSize);
        var deleted = !after.CacheClusterEnabled && before is { CacheClusterEnabled: true };
        if (!created && !deleted) return after;
        var answer = Clone(after);
        answer.CacheClusterStatus = created ? "CREATE_IN_PROGRESS" : "DELETE_IN_PROGRESS";
        return answer;
    }

    public Stage GetStage(Scope scope, string apiId, string stageName) => StageOf(scope, apiId, stageName).Stage;

    public IReadOnlyList<Stage> GetStages(Scope scope, string apiId, string? deploymentId)
    {
        Api(scope, apiId);
        return _stages.Values.Where(s => s.AccountId == scope.AccountId && s.ApiId == apiId && (deploymentId is null || s.Stage.DeploymentId == deploymentId))
            .Select(s => s.Stage).OrderBy(s => s.StageName, StringComparer.Ordinal).ToList();
    }

    private static readonly Dictionary<string, PatchKind> StagePatchable = new()
    {
        ["description"] = PatchKind.Text, ["deploymentId"] = PatchKind.Text, ["variables"] = PatchKind.TextMap,
        ["tracingEnabled"] = PatchKind.Boolean, ["cacheClusterEnabled"] = PatchKind.Boolean, ["cacheClusterSize"] = PatchKind.Text,
        ["documentationVersion"] = PatchKind.Text, ["clientCertificateId"] = PatchKind.Text,
    };

    public Stage UpdateStage(Scope scope, string apiId, string stageName, IReadOnlyList<PatchOperation> patch)
    {
        StageOf(scope, apiId, stageName);
        Stage? before = null;
        var updated = _stages.Update(ChildKey(scope, apiId, stageName), current =>
        {
            var next = Clone(current);
            var memberPatch = new List<PatchOperation>();
            foreach (var operation in patch)
            {
                if (!MethodSettingPatch.TryApply(next.Stage.MethodSettings, operation) && !StageSettingPatch.TryApply(next.Stage, operation))
                    memberPatch.Add(operation);
            }
            next.Stage = PatchDocument.Apply(next.Stage, memberPatch, StagePatchable);
            CheckStageVariables(next.Stage.Variables);
            if (next.Stage.DeploymentId != current.Stage.DeploymentId) DeploymentOf(scope, apiId, next.Stage.DeploymentId);
            CheckCanary(next.Stage.CanarySettings);
            if (next.Stage.CanarySettings?.DeploymentId is { } canaryDeployment && canaryDeployment != current.Stage.CanarySettings?.DeploymentId)
                DeploymentOf(scope, apiId, canaryDeployment);
            CheckAccessLog(next.Stage.AccessLogSettings);
            CheckCacheCluster(next.Stage);
            if (next.Stage.ClientCertificateId != current.Stage.ClientCertificateId) CheckClientCertificate(scope, next.Stage.ClientCertificateId);
            if (next.Stage.DocumentationVersion is { } documentation && documentation != current.Stage.DocumentationVersion)
                SnapshotOf(Api(scope, apiId), documentation);
            next.Stage.LastUpdatedDate = Now;
            before = current.Stage;
            return next;
        })!.Stage;
        // A disabled cache keeps nothing, and an enabled or resized one starts empty, as AWS deletes or creates the instance (enabling
        // flushes too, so that a response stored by a request still in flight when the cache was disabled never answers later).
        if (before is not { CacheClusterEnabled: true } || !updated.CacheClusterEnabled || before.CacheClusterSize != updated.CacheClusterSize)
            StageCaches.Flush(apiId, stageName);
        return CacheClusterTransition(before, updated);
    }

    public void DeleteStage(Scope scope, string apiId, string stageName)
    {
        StageOf(scope, apiId, stageName);
        _stages.Remove(ChildKey(scope, apiId, stageName));
        StageCaches.Flush(apiId, stageName);
    }

    private StageDocument StageOf(Scope scope, string apiId, string stageName)
    {
        Api(scope, apiId);
        return _stages.Get(ChildKey(scope, apiId, stageName)) ?? throw NotFound("Invalid Stage identifier specified");
    }

    private static void CheckCanary(CanarySettings? canary)
    {
        if (canary is { PercentTraffic: < 0 or > 100 }) throw BadRequest("Canary traffic percentage must be between 0.0 and 100.0");
        CheckStageVariables(canary?.StageVariableOverrides);
    }

    /// <summary>AWS takes access log settings only with both a destination (a log group's ARN) and a format.</summary>
    private static void CheckAccessLog(AccessLogSettings? log)
    {
        if (log is null) return;
        if (string.IsNullOrEmpty(log.DestinationArn) || string.IsNullOrEmpty(log.Format))
            throw BadRequest("Access Log Settings require both a destination ARN and a format");
        if (AccessLog.LogGroup(log.DestinationArn) is null)
            throw BadRequest($"Invalid ARN specified in the request: {log.DestinationArn}. Access logs go to a CloudWatch Logs log group: arn:aws:logs:REGION:ACCOUNT:log-group:NAME");
    }

    [GeneratedRegex("^[a-zA-Z0-9_]+$")]
    private static partial Regex StageVariableName();

    [GeneratedRegex(@"^[a-zA-Z0-9\-._~:/?#&=,]*$")]
    private static partial Regex StageVariableValue();

    private static void CheckStageVariables(Dictionary<string, string>? variables)
    {
        foreach (var (name, value) in variables ?? [])
        {
            if (!StageVariableName().IsMatch(name)) throw BadRequest("Stage variable names must only contain alphanumeric characters and underscores");
            if (!StageVariableValue().IsMatch(value)) throw BadRequest("Stage variable value must only contain alphanumeric characters or -._~:/?#&=,");
        }
    }

    // ---- tags ----

    public Dictionary<string, string> GetTags(Scope scope, string resourceArn) => TaggedOf(scope, resourceArn) switch
    {
        (var apiId, null) => Api(scope, apiId).Api.Tags ?? [],
        (var apiId, var stageName) => StageOf(scope, apiId, stageName).Stage.Tags ?? [],
    };

    public void TagResource(Scope scope, string resourceArn, Dictionary<string, string> tags) =>
        ChangeTags(scope, resourceArn, current =>
        {
            foreach (var (k, v) in tags) current[k] = v;
        });

    public void UntagResource(Scope scope, string resourceArn, IReadOnlyList<string> keys) =>
        ChangeTags(scope, resourceArn, current =>
        {
            foreach (var key in keys) current.Remove(key);
        });

    private void ChangeTags(Scope scope, string resourceArn, Action<Dictionary<string, string>> change)
    {
        var (apiId, stageName) = TaggedOf(scope, resourceArn);
        if (stageName is null)
        {
            MutateApi(scope, apiId, doc =>
            {
                var tags = doc.Api.Tags ?? [];
                change(tags);
                doc.Api.Tags = tags.Count > 0 ? tags : null;
            });
            return;
        }
        StageOf(scope, apiId, stageName);
        _stages.Update(ChildKey(scope, apiId, stageName), current =>
        {
            var next = Clone(current);
            var tags = next.Stage.Tags ?? [];
            change(tags);
            next.Stage.Tags = tags.Count > 0 ? tags : null;
            return next;
        });
    }

    private static (string ApiId, string? StageName) TaggedOf(Scope scope, string resourceArn)
    {
        var prefix = $"arn:aws:apigateway:{scope.Region}::/restapis/";
        if (!resourceArn.StartsWith(prefix, StringComparison.Ordinal)) throw BadRequest("Invalid ARN specified in the request");
        var parts = resourceArn[prefix.Length..].Split('/');
        return parts switch
        {
            [var apiId] => (apiId, null),
            [var apiId, "stages", var stage] => (apiId, stage),
            _ => throw BadRequest("Invalid ARN specified in the request"),
        };
    }

    // ---- data plane ----

    /// <summary>The stage serving an API id and stage name, wherever the API lives.</summary>
    public DeployedStage? FindDeployedStage(string apiId, string stageName)
    {
        if (!_apiKeysById.TryGetValue(apiId, out var apiKey) || _apis.Get(apiKey) is not { } api) return null;
        var stageKey = ResourceTable<StageDocument>.Key(api.AccountId, api.Region, apiId, stageName);
        if (_stages.Get(stageKey) is not { } stage) return null;
        var deploymentKey = ResourceTable<DeploymentDocument>.Key(api.AccountId, api.Region, apiId, stage.Stage.DeploymentId);
        return _deployments.Get(deploymentKey) is { } deployment
            ? new DeployedStage(api.AccountId, api.Region, apiId, api.Api.Name, api.Api.BinaryMediaTypes ?? [], stage.Stage, deployment, api.Api.ApiKeySource)
            {
                DefaultEndpointDisabled = api.Api.DisableExecuteApiEndpoint,
            }
            : null;
    }

    /// <summary>
    /// The stage's canary in place of the stage itself, for the share of requests its percentTraffic names: its deployment, with the
    /// stage variables its overrides change, as AWS routes a canary. Null when the stage has no canary taking traffic.
    /// </summary>
    public DeployedStage? CanaryOf(DeployedStage stage)
    {
        if (stage.Stage.CanarySettings is not { PercentTraffic: > 0, DeploymentId: { } canaryId } canary) return null;
        var key = ResourceTable<DeploymentDocument>.Key(stage.AccountId, stage.Region, stage.ApiId, canaryId);
        if (_deployments.Get(key) is not { } deployment) return null;
        var variables = new Dictionary<string, string>(stage.Stage.Variables ?? [], StringComparer.Ordinal);
        foreach (var (name, value) in canary.StageVariableOverrides ?? []) variables[name] = value;
        return stage with { Deployment = deployment, IsCanary = true, Variables = variables };
    }

    /// <summary>The API's current (undeployed) resource tree, as TestInvokeMethod runs it.</summary>
    public (RestApiDocument Api, ApiResource Resource) ForTestInvoke(Scope scope, string apiId, string resourceId)
    {
        var api = Api(scope, apiId);
        return (api, Resource(api, resourceId));
    }

    private static (IReadOnlyList<T> Items, string? Position) Page<T>(IEnumerable<T> ordered, Func<T, string> id, string? position, int? limit)
    {
        if (limit is < 1 or > 500) throw BadRequest("Invalid limit specified: must be between 1 and 500");
        var all = ordered.ToList();
        var start = 0;
        if (!string.IsNullOrEmpty(position))
        {
            start = all.FindIndex(item => id(item) == position);
            if (start < 0) throw BadRequest("Invalid position specified");
        }
        var size = limit ?? 25;
        var page = all.Skip(start).Take(size).ToList();
        return (page, start + size < all.Count ? id(all[start + size]) : null);
    }
}
