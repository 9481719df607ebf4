using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using Stratus.Services.ApiGateway.Engine;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>A REST API's models (JSON schemas of bodies) and request validators, kept in the API's document and frozen into each deployment.</summary>
public sealed partial class ApiGatewayService
{
    [GeneratedRegex("^[a-zA-Z0-9]+$")]
    private static partial Regex ModelNamePattern();

    // ---- models ----

    public ApiModel CreateModel(Scope scope, string apiId, ModelSettings settings)
    {
        if (!ModelNamePattern().IsMatch(settings.Name)) throw BadRequest("Model name must be non-empty and alphanumeric.");
        var model = new ApiModel
        {
            Id = NewId(),
            Name = settings.Name,
            Description = settings.Description,
            Schema = settings.Schema,
            ContentType = settings.ContentType,
        };
        CheckSchema(model.Schema);
        MutateApi(scope, apiId, doc =>
        {
            if (doc.Models.ContainsKey(model.Name)) throw Conflict("Model name already exists for this REST API");
            CheckReferences(doc, model);
            doc.Models[model.Name] = model;
        });
        return model;
    }

    /// <summary>A schema must be a JSON object; it is checked once here so the data plane only ever meets parseable ones.</summary>
    private static void CheckSchema(string? schema)
    {
        if (schema is null) return;
        try
        {
            if (JsonBody.Parse(System.Text.Encoding.UTF8.GetBytes(schema)) is JsonObject) return;
        }
        catch (JsonException)
        {
        }
        throw BadRequest("Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]");
    }

    public ApiModel GetModel(Scope scope, string apiId, string modelName) =>
        Api(scope, apiId).Models.GetValueOrDefault(modelName) ?? throw ModelNotFound();

    public (IReadOnlyList<ApiModel> Items, string? Position) GetModels(Scope scope, string apiId, string? position, int? limit) =>
        Page(Api(scope, apiId).Models.Values.OrderBy(m => m.Name, StringComparer.Ordinal), m => m.Id, position, limit);

    private static readonly Dictionary<string, PatchKind> ModelPatchable = new() { ["schema"] = PatchKind.Text, ["description"] = PatchKind.Text };

    public ApiModel UpdateModel(Scope scope, string apiId, string modelName, IReadOnlyList<PatchOperation> patch) =>
        MutateApi(scope, apiId, doc =>
        {
            var next = PatchDocument.Apply(doc.Models.GetValueOrDefault(modelName) ?? throw ModelNotFound(), patch, ModelPatchable);
            CheckSchema(next.Schema);
            CheckReferences(doc, next);
            doc.Models[modelName] = next;
        }).Models[modelName];

    public void DeleteModel(Scope scope, string apiId, string modelName) =>
        MutateApi(scope, apiId, doc =>
        {
            if (!doc.Models.ContainsKey(modelName)) throw ModelNotFound();
            if (ReferenceTo(doc, modelName) is { } referrer) throw Conflict($"Cannot delete model '{modelName}', is referenced in {referrer}");
            doc.Models.Remove(modelName);
        });

    /// <summary>
    /// What keeps a model from being deleted, worded as AWS's ConflictException words it ("method request: /pets/POST",
    /// "method response: /pets/GET"), or another model whose schema refers to it ("model: Pets"); null when nothing does.
    /// </summary>
    private static string? ReferenceTo(RestApiDocument doc, string modelName)
    {
        foreach (var resource in doc.Resources.Values.OrderBy(r => r.Path, StringComparer.Ordinal))
            foreach (var method in resource.ResourceMethods?.Values ?? Enumerable.Empty<ApiMethod>())
            {
                var at = $"{resource.Path.TrimEnd('/')}/{method.HttpMethod}";
                if (method.RequestModels?.ContainsValue(modelName) == true) return $"method request: {at}";
                if (method.MethodResponses?.Values.Any(r => r.ResponseModels?.ContainsValue(modelName) == true) == true) return $"method response: {at}";
            }
        return doc.Models.Values.OrderBy(m => m.Name, StringComparer.Ordinal)
            .FirstOrDefault(m => m.Name != modelName && ReferencedModels(m).Contains(modelName)) is { } model ? $"model: {model.Name}" : null;
    }

    /// <summary>
    /// A schema may refer only to models the API has (or to itself): API Gateway checks each reference when the model is created
    /// or updated, so models are made from the leaves up, and a reference to a model that does not exist is a BadRequestException.
    /// </summary>
    private static void CheckReferences(RestApiDocument doc, ApiModel model)
    {
        foreach (var name in ReferencedModels(model))
            if (name != model.Name && !doc.Models.ContainsKey(name))
                throw BadRequest($"Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified, model '{name}' referenced by $ref does not exist in this REST API]");
    }

    /// <summary>The names of the API's models a schema's <c>$ref</c>s name (<see cref="ModelReference"/>), walked at most <see cref="ModelSchema.MaxDepth"/> deep.</summary>
    private static HashSet<string> ReferencedModels(ApiModel model)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        Walk(model.Schema is null ? null : SchemaOf(model), 0);
        return names;

        void Walk(JsonNode? node, int depth)
        {
            if (depth > ModelSchema.MaxDepth) return;
            switch (node)
            {
                case JsonObject members:
                    foreach (var (key, value) in members)
                        if (key == "$ref" && value is JsonValue reference && reference.TryGetValue<string>(out var target) && ModelReference.Name(target) is { } name)
                            names.Add(name);
                        else Walk(value, depth + 1);
                    break;
                case JsonArray items:
                    foreach (var item in items) Walk(item, depth + 1);
                    break;
            }
        }
    }

    private static AwsException ModelNotFound() => NotFound("Invalid model name specified");

    /// <summary>GetModelTemplate: the mapping template AWS generates from the model's schema (<see cref="ModelTemplate"/>).</summary>
    public string GetModelTemplate(Scope scope, string apiId, string modelName)
    {
        var api = Api(scope, apiId);
        var model = api.Models.GetValueOrDefault(modelName) ?? throw ModelNotFound();
        return ModelTemplate.Generate(SchemaOf(model) ?? [], name => api.Models.GetValueOrDefault(name) is { } other ? SchemaOf(other) : null);
    }

    private static JsonObject? SchemaOf(ApiModel model) =>
        model.Schema is null ? null : JsonBody.Parse(System.Text.Encoding.UTF8.GetBytes(model.Schema)) as JsonObject;

    // ---- request validators ----

    public RequestValidator CreateRequestValidator(Scope scope, string apiId, RequestValidatorSettings settings)
    {
        var validator = new RequestValidator
        {
            Id = NewId(),
            Name = settings.Name,
            ValidateRequestBody = settings.ValidateRequestBody,
            ValidateRequestParameters = settings.ValidateRequestParameters,
        };
        MutateApi(scope, apiId, doc => doc.RequestValidators[validator.Id] = validator);
        return validator;
    }

    public RequestValidator GetRequestValidator(Scope scope, string apiId, string validatorId) =>
        Api(scope, apiId).RequestValidators.GetValueOrDefault(validatorId) ?? throw ValidatorNotFound();

    public (IReadOnlyList<RequestValidator> Items, string? Position) GetRequestValidators(Scope scope, string apiId, string? position, int? limit) =>
        Page(Api(scope, apiId).RequestValidators.Values.OrderBy(v => v.Id, StringComparer.Ordinal), v => v.Id, position, limit);

    private static readonly Dictionary<string, PatchKind> ValidatorPatchable = new()
    {
        ["name"] = PatchKind.Text, ["validateRequestBody"] = PatchKind.Boolean, ["validateRequestParameters"] = PatchKind.Boolean,
    };

    public RequestValidator UpdateRequestValidator(Scope scope, string apiId, string validatorId, IReadOnlyList<PatchOperation> patch) =>
        MutateApi(scope, apiId, doc => doc.RequestValidators[validatorId] =
            PatchDocument.Apply(doc.RequestValidators.GetValueOrDefault(validatorId) ?? throw ValidatorNotFound(), patch, ValidatorPatchable))
            .RequestValidators[validatorId];

    public void DeleteRequestValidator(Scope scope, string apiId, string validatorId) =>
        MutateApi(scope, apiId, doc =>
        {
            if (!doc.RequestValidators.Remove(validatorId)) throw ValidatorNotFound();
        });

    private static AwsException ValidatorNotFound() => NotFound("Invalid Request Validator identifier specified");

    // ---- gateway responses ----

    public ApiGatewayResponse PutGatewayResponse(Scope scope, string apiId, GatewayResponseSettings settings)
    {
        var type = CheckResponseType(settings.ResponseType);
        if (settings.StatusCode is { } status && (status.Length != 3 || !int.TryParse(status, out var code) || code < 100 || code > 599))
            throw BadRequest($"Invalid status code specified: {status}");
        var response = new ApiGatewayResponse
        {
            ResponseType = type,
            StatusCode = settings.StatusCode ?? GatewayResponseTypes.Defaults[type],
            ResponseParameters = settings.ResponseParameters ?? [],
            ResponseTemplates = settings.ResponseTemplates ?? [],
        };
        foreach (var name in response.ResponseParameters.Keys)
            if (!name.StartsWith("gatewayresponse.header.", StringComparison.Ordinal) || name.Length == "gatewayresponse.header.".Length)
                throw BadRequest($"Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: {name}]");
        MutateApi(scope, apiId, doc => doc.GatewayResponses[type] = response);
        return response;
    }

    private static readonly Dictionary<string, PatchKind> GatewayResponsePatchable = new()
    {
        ["statusCode"] = PatchKind.Text, ["responseParameters"] = PatchKind.TextMap, ["responseTemplates"] = PatchKind.TextMap,
    };

    /// <summary>Patches the type's response, customised or default (which the update customises, as AWS does), under PutGatewayResponse's checks.</summary>
    public ApiGatewayResponse UpdateGatewayResponse(Scope scope, string apiId, string responseType, IReadOnlyList<PatchOperation> patch)
    {
        var patched = PatchDocument.Apply(GetGatewayResponse(scope, apiId, responseType), patch, GatewayResponsePatchable);
        return PutGatewayResponse(scope, apiId, new GatewayResponseSettings(patched.ResponseType, patched.StatusCode, patched.ResponseParameters, patched.ResponseTemplates));
    }

    public ApiGatewayResponse GetGatewayResponse(Scope scope, string apiId, string responseType)
    {
        var type = CheckResponseType(responseType);
        return Api(scope, apiId).GatewayResponses.GetValueOrDefault(type) ?? GatewayResponseTypes.Default(type);
    }

    /// <summary>Every response type, customized or default, as AWS lists them.</summary>
    public (IReadOnlyList<ApiGatewayResponse> Items, string? Position) GetGatewayResponses(Scope scope, string apiId, string? position, int? limit)
    {
        var custom = Api(scope, apiId).GatewayResponses;
        return Page(GatewayResponseTypes.Defaults.Keys.Order(StringComparer.Ordinal)
            .Select(type => custom.GetValueOrDefault(type) ?? GatewayResponseTypes.Default(type)), r => r.ResponseType, position, limit);
    }

    public void DeleteGatewayResponse(Scope scope, string apiId, string responseType)
    {
        var type = CheckResponseType(responseType);
        MutateApi(scope, apiId, doc =>
        {
            if (!doc.GatewayResponses.Remove(type)) throw NotFound("Invalid Gateway Response identifier specified");
        });
    }

    private static string CheckResponseType(string type) => GatewayResponseTypes.Defaults.ContainsKey(type)
        ? type
        : throw BadRequest($"Invalid response type specified: {type}");
}
