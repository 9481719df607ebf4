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
            doc.Models[modelName] = next;
        }).Models[modelName];

    public void DeleteModel(Scope scope, string apiId, string modelName) =>
        MutateApi(scope, apiId, doc =>
        {
            if (!doc.Models.ContainsKey(modelName)) throw ModelNotFound();
            if (doc.Resources.Values.SelectMany(r => r.ResourceMethods?.Values ?? Enumerable.Empty<ApiMethod>())
                .Any(m => m.RequestModels?.ContainsValue(modelName) == true))
                throw Conflict($"Cannot delete model '{modelName}', is referenced in method request");
            doc.Models.Remove(modelName);
        });

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
