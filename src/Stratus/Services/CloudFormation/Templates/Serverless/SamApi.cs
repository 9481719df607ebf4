using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// AWS::Serverless::Api and the implicit ServerlessRestApi that Api events without RestApiId share:
/// the AWS::ApiGateway::RestApi with its OpenAPI body (the functions' routes as aws_proxy integrations,
/// CORS preflight routes, binary media types), &lt;Api&gt;Deployment&lt;hash&gt; (a new one whenever the body
/// changes, so the stage is redeployed) and &lt;Api&gt;&lt;Stage&gt;Stage, plus each route's Lambda permission.
/// </summary>
public static partial class SamApi
{
    public const string ImplicitApiId = "ServerlessRestApi";
    public const string ImplicitStageName = "Prod";

    private static readonly HashSet<string> Built =
    [
        "StageName", "Name", "Description", "DefinitionBody", "DefinitionUri", "Cors", "BinaryMediaTypes", "MethodSettings",
        "EndpointConfiguration", "Variables", "TracingEnabled", "OpenApiVersion", "Tags", "MinimumCompressionSize",
        "DisableExecuteApiEndpoint", "ApiKeySourceType", "Mode", "FailOnWarnings", "Domain",
    ];

    private static readonly string[] AllMethods = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex PathParameter();

    public static void Expand(string id, JsonObject raw, JsonObject p, IReadOnlyList<ApiBinding> bindings, JsonObject output)
    {
        var stageName = SamTransform.Text(p["StageName"])
            ?? throw SamErrors.Invalid(id, p.ContainsKey("StageName")
                ? "'StageName' must be a literal string on Stratus (it is not resolved from parameters)."
                : "Missing required property 'StageName'.");
        Build(id, raw, p, stageName, bindings, output);
    }

    public static void ExpandImplicit(JsonObject globalProperties, IReadOnlyList<ApiBinding> bindings, JsonObject output) =>
        Build(ImplicitApiId, null, globalProperties, ImplicitStageName, bindings, output);

    private static void Build(string id, JsonObject? raw, JsonObject p, string stageName, IReadOnlyList<ApiBinding> bindings, JsonObject output)
    {
        foreach (var (name, _) in p.Where(property => !Built.Contains(property.Key)))
            throw SamErrors.NotServed(id, $"Stratus does not build the {SamTransform.ApiType} property {name}.");
        if (p.ContainsKey("DefinitionBody") && p.ContainsKey("DefinitionUri"))
            throw SamErrors.Invalid(id, "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both.");

        var openApi3 = SamTransform.Text(p["OpenApiVersion"]) is { } version && version.StartsWith('3');
        var restApi = new JsonObject();
        JsonNode hashed;
        if (p["DefinitionUri"] is { } uri)
        {
            if (bindings.Count > 0)
                throw SamErrors.Invalid(id, "Api events cannot add routes to an API whose definition is in 'DefinitionUri'; use 'DefinitionBody'.");
            restApi["BodyS3Location"] = BodyLocation(id, uri);
            hashed = restApi["BodyS3Location"]!;
        }
        else
        {
            var body = p["DefinitionBody"] is { } given
                ? given as JsonObject ?? throw SamErrors.Invalid(id, "'DefinitionBody' must be a dictionary.")
                : Generated(p, openApi3);
            body = (JsonObject)body.DeepClone();
            var paths = body["paths"] as JsonObject ?? (JsonObject)(body["paths"] = new JsonObject());
            foreach (var binding in bindings) AddRoute(id, paths, binding);
            if (p["Cors"] is { } cors) AddCors(id, paths, cors);
            if (p["BinaryMediaTypes"] is JsonArray media)
                body["x-amazon-apigateway-binary-media-types"] = new JsonArray(media.Select(m =>
                    SamTransform.Text(m) is { } text ? (JsonNode)text.Replace("~1", "/", StringComparison.Ordinal) : m?.DeepClone()).ToArray());
            restApi["Body"] = body;
            hashed = body;
        }
        foreach (var name in new[] { "Name", "Description", "MinimumCompressionSize", "DisableExecuteApiEndpoint", "ApiKeySourceType", "Mode", "FailOnWarnings" })
            if (p[name] is { } value) restApi[name] = value.DeepClone();
        if (p["BinaryMediaTypes"] is JsonArray binary) restApi["BinaryMediaTypes"] = binary.DeepClone();
        if (p["EndpointConfiguration"] is { } endpoint) restApi["EndpointConfiguration"] = Endpoint(id, endpoint);
        output[id] = SamTransform.Resource("AWS::ApiGateway::RestApi", restApi, raw, copyAttributes: true);

        var sha = SamTransform.Hash(hashed, p["OpenApiVersion"]);
        var deploymentId = id + "Deployment" + sha[..10];
        var deployment = new JsonObject
        {
            ["RestApiId"] = SamTransform.Ref(id),
            ["Description"] = $"RestApi deployment id: {sha}",
        };
        // SAM's swagger 2.0 deployments also create the stage named "Stage"; with OpenApiVersion 3 they do not.
        if (!openApi3) deployment["StageName"] = "Stage";
        output[deploymentId] = SamTransform.Resource("AWS::ApiGateway::Deployment", deployment, raw);

        var stage = new JsonObject
        {
            ["DeploymentId"] = SamTransform.Ref(deploymentId),
            ["RestApiId"] = SamTransform.Ref(id),
            ["StageName"] = stageName,
        };
        foreach (var name in new[] { "Variables", "MethodSettings", "TracingEnabled" })
            if (p[name] is { } value) stage[name] = value.DeepClone();
        if (p["Tags"] is JsonObject tags)
            stage["Tags"] = new JsonArray(tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value?.DeepClone() }).ToArray());
        var stageId = NamedAfterStage(id + "Stage", stageName, alphanumericForm: id + stageName + "Stage");
        output[stageId] = SamTransform.Resource("AWS::ApiGateway::Stage", stage, raw);
        if (p["Domain"] is { } domain) SamDomain.AddRest(id, domain, stageId, raw, output);

        foreach (var binding in bindings)
        {
            var permissionPrefix = binding.FunctionId + binding.EventId + "Permission";
            var suffix = id == ImplicitApiId ? ImplicitStageName : stageName;
            output[NamedAfterStage(permissionPrefix, suffix, alphanumericForm: permissionPrefix + suffix)] = Permission(id, binding);
        }
    }

    /// <summary>
    /// A logical id carrying a stage name: the name itself when it is only letters and digits, otherwise (a
    /// name like "demo-cct" cannot be part of a logical id) the prefix and the first 10 hex digits of the
    /// SHA-1 of the name, as SAM's logical id generator makes them.
    /// </summary>
    private static string NamedAfterStage(string hashedPrefix, string stageName, string alphanumericForm) =>
        stageName.Length > 0 && stageName.All(char.IsLetterOrDigit)
            ? alphanumericForm
            : hashedPrefix + Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(stageName)))[..10];

    private static JsonObject Generated(JsonObject p, bool openApi3)
    {
        var body = new JsonObject();
        if (openApi3) body["openapi"] = "3.0.1";
        body["info"] = new JsonObject { ["version"] = "1.0", ["title"] = p["Name"]?.DeepClone() ?? SamTransform.Ref("AWS::StackName") };
        body["paths"] = new JsonObject();
        if (!openApi3) body["swagger"] = "2.0";
        return body;
    }

    private static string OperationKey(string method) => method == "any" ? "x-amazon-apigateway-any-method" : method;

    /// <summary>The route's operation with the aws_proxy integration that invokes the function (or its alias).</summary>
    private static void AddRoute(string apiId, JsonObject paths, ApiBinding binding)
    {
        var path = paths[binding.Path] as JsonObject ?? (JsonObject)(paths[binding.Path] = new JsonObject());
        var key = OperationKey(binding.Method);
        if (path[key] is JsonObject existing && existing.ContainsKey("x-amazon-apigateway-integration"))
            throw SamErrors.Invalid(apiId, $"API method '{binding.Method}' defined multiple times for path '{binding.Path}'.");
        var operation = path[key] as JsonObject ?? (JsonObject)(path[key] = new JsonObject());
        operation["x-amazon-apigateway-integration"] = new JsonObject
        {
            ["type"] = "aws_proxy",
            ["httpMethod"] = "POST",
            ["uri"] = SamTransform.Sub(
                $"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{binding.InvokeTarget}}}/invocations"),
        };
        operation["responses"] ??= new JsonObject();
    }

    /// <summary>
    /// Lets API Gateway invoke the function for this route from any stage, as SAM scopes it: the source ARN
    /// names the method (* for ANY) and the path with each {parameter} as *.
    /// </summary>
    private static JsonObject Permission(string apiId, ApiBinding binding)
    {
        var method = binding.Method == "any" ? "*" : binding.Method.ToUpperInvariant();
        var path = PathParameter().Replace(binding.Path, "*");
        var permission = SamTransform.Resource("AWS::Lambda::Permission", new JsonObject
        {
            ["Action"] = "lambda:InvokeFunction",
            ["FunctionName"] = binding.FunctionRef.DeepClone(),
            ["Principal"] = "apigateway.amazonaws.com",
            ["SourceArn"] = SamTransform.Sub(
                $"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{__ApiId__}}/${{__Stage__}}/{method}{path}",
                new JsonObject { ["__ApiId__"] = SamTransform.Ref(apiId), ["__Stage__"] = "*" }),
        }, binding.Condition);
        return permission;
    }

    /// <summary>
    /// SAM's Cors: an OPTIONS route on every path answered by a mock integration with the
    /// Access-Control-Allow-* headers. A string is the allowed origin; AllowMethods defaults to the path's methods.
    /// </summary>
    private static void AddCors(string apiId, JsonObject paths, JsonNode cors)
    {
        var settings = SamTransform.Text(cors) is { } origin
            ? new JsonObject { ["AllowOrigin"] = origin }
            : cors as JsonObject ?? throw SamErrors.Invalid(apiId, "'Cors' must be a string (the allowed origin) or a dictionary.");
        if (SamTransform.Text(settings["AllowOrigin"]) is not { } allowOrigin)
            throw SamErrors.Invalid(apiId, "Cors 'AllowOrigin' is required and must be a string, quoted as API Gateway expects (\"'*'\").");
        foreach (var node in paths.Select(entry => entry.Value))
        {
            if (node is not JsonObject path || path.ContainsKey("options")) continue;
            var methods = path.Select(m => m.Key).ToList();
            var allowMethods = SamTransform.Text(settings["AllowMethods"])
                ?? "'" + string.Join(",", methods.Contains("x-amazon-apigateway-any-method")
                    ? AllMethods
                    : methods.Select(m => m.ToUpperInvariant()).Append("OPTIONS").Distinct().Order(StringComparer.Ordinal)) + "'";
            var headers = new Dictionary<string, string> { ["Access-Control-Allow-Origin"] = allowOrigin };
            if (SamTransform.Text(settings["AllowHeaders"]) is { } allowHeaders) headers["Access-Control-Allow-Headers"] = allowHeaders;
            headers["Access-Control-Allow-Methods"] = allowMethods;
            if (settings["MaxAge"] is { } maxAge) headers["Access-Control-Max-Age"] = SamTransform.Text(maxAge) ?? "'" + maxAge.ToJsonString() + "'";
            if (settings["AllowCredentials"] is JsonValue credentials && credentials.TryGetValue<bool>(out var allow) && allow)
                headers["Access-Control-Allow-Credentials"] = "'true'";
            var responseParameters = new JsonObject();
            var responseHeaders = new JsonObject();
            foreach (var (header, value) in headers)
            {
                responseParameters["method.response.header." + header] = value;
                responseHeaders[header] = new JsonObject { ["type"] = "string" };
            }
            path["options"] = new JsonObject
            {
                ["summary"] = "CORS support",
                ["consumes"] = new JsonArray("application/json"),
                ["produces"] = new JsonArray("application/json"),
                ["x-amazon-apigateway-integration"] = new JsonObject
                {
                    ["type"] = "mock",
                    ["requestTemplates"] = new JsonObject { ["application/json"] = "{\n  \"statusCode\" : 200\n}\n" },
                    ["responses"] = new JsonObject
                    {
                        ["default"] = new JsonObject
                        {
                            ["statusCode"] = "200",
                            ["responseParameters"] = responseParameters,
                            ["responseTemplates"] = new JsonObject { ["application/json"] = "{}\n" },
                        },
                    },
                },
                ["responses"] = new JsonObject
                {
                    ["200"] = new JsonObject { ["description"] = "Default response for CORS method", ["headers"] = responseHeaders },
                },
            };
        }
    }

    private static JsonObject Endpoint(string apiId, JsonNode endpoint)
    {
        if (SamTransform.Text(endpoint) is { } type) return new JsonObject { ["Types"] = new JsonArray(type) };
        if (endpoint is JsonObject settings && settings["Type"] is { } typeNode)
        {
            var configuration = new JsonObject { ["Types"] = new JsonArray(typeNode.DeepClone()) };
            if (settings["VPCEndpointIds"] is { } ids) configuration["VpcEndpointIds"] = ids.DeepClone();
            return configuration;
        }
        throw SamErrors.Invalid(apiId, "'EndpointConfiguration' must be an endpoint type (REGIONAL, EDGE, PRIVATE) or a dictionary with 'Type'.");
    }

    /// <summary>DefinitionUri as `package` leaves it (s3://bucket/key or {Bucket, Key, Version}), as the RestApi's BodyS3Location.</summary>
    private static JsonObject BodyLocation(string apiId, JsonNode uri)
    {
        if (SamTransform.Text(uri) is { } text)
        {
            if (!text.StartsWith("s3://", StringComparison.Ordinal) || text.IndexOf('/', 5) is var slash && slash < 0)
                throw SamErrors.Invalid(apiId, "'DefinitionUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.");
            var rest = text[(slash + 1)..];
            var query = rest.IndexOf("?versionId=", StringComparison.Ordinal);
            var location = new JsonObject { ["Bucket"] = text[5..slash], ["Key"] = query < 0 ? rest : rest[..query] };
            if (query >= 0) location["Version"] = rest[(query + "?versionId=".Length)..];
            return location;
        }
        if (uri is JsonObject given && given["Bucket"] is not null && given["Key"] is not null) return (JsonObject)given.DeepClone();
        throw SamErrors.Invalid(apiId, "'DefinitionUri' requires Bucket and Key properties to be specified.");
    }
}
