using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.CloudFormation.Registry;

/// <summary>A registration that cannot complete: its reason is the registration's Description, and it ends FAILED.</summary>
public sealed class RegistrationFailure(string message) : Exception(message);

/// <summary>
/// A resource type's schema, checked against the essentials of the resource provider definition meta-schema: typeName
/// (Organization::Service::Resource), description, properties (an object of at least one property), primaryIdentifier
/// (JSON pointers to declared properties), additionalProperties false, and the pointer lists (readOnlyProperties,
/// createOnlyProperties, writeOnlyProperties) naming declared properties. Failures are worded as the validator's messages
/// AWS passes on ("#: required key [primaryIdentifier] not found"); the wording of each is Stratus's.
/// </summary>
public sealed partial class ResourceTypeSchema
{
    [GeneratedRegex("^[a-zA-Z0-9]{2,64}::[a-zA-Z0-9]{2,64}::[a-zA-Z0-9]{2,64}$")]
    public static partial Regex TypeNamePattern();

    /// <summary>The handlers AWS's meta-schema knows; a type is provisionable with create, read and delete.</summary>
    private static readonly string[] HandlerNames = ["create", "read", "update", "delete", "list"];
    private const int MaxSchemaDepth = 64;

    private ResourceTypeSchema(JsonObject schema, string text)
    {
        Json = schema;
        Text = text;
    }

    public JsonObject Json { get; }
    public string Text { get; }
    public string TypeName => Json["typeName"]!.GetValue<string>();
    public string? Description => Json["description"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>The primary identifier's top-level property names, in the schema's order (Ref joins their values with "|", as AWS does).</summary>
    public IReadOnlyList<string> PrimaryIdentifier => PropertyNames("primaryIdentifier");
    /// <summary>The readOnlyProperties' paths below /properties (["Arn"], or ["Endpoint", "Address"] for a nested one): what Fn::GetAtt reads, dotted.</summary>
    public IReadOnlyList<string[]> ReadOnlyPaths =>
        (Json["readOnlyProperties"] as JsonArray ?? []).Select(p => p!.GetValue<string>()["/properties/".Length..].Split('/')).ToList();
    /// <summary>Every property the schema declares.</summary>
    public IEnumerable<string> PropertyNamesDeclared => (Json["properties"] as JsonObject ?? []).Select(p => p.Key);
    public IReadOnlyList<string> CreateOnlyProperties => PropertyNames("createOnlyProperties");

    public IReadOnlySet<string> Handlers => (Json["handlers"] as JsonObject)?.Select(p => p.Key).ToHashSet(StringComparer.Ordinal) ?? [];

    /// <summary>A handler's timeoutInMinutes (the meta-schema's default 120), the bound of one operation with its callbacks.</summary>
    public TimeSpan HandlerTimeout(string handler) =>
        TimeSpan.FromMinutes(Json["handlers"]?[handler]?["timeoutInMinutes"] is JsonValue v && v.TryGetValue<int>(out var minutes) ? minutes : 120);

    /// <summary>
    /// AWS's classification from the handlers present: NON_PROVISIONABLE without all of create, read and delete,
    /// IMMUTABLE without update, FULLY_MUTABLE with it.
    /// </summary>
    public string ProvisioningType =>
        !(Handlers.Contains("create") && Handlers.Contains("read") && Handlers.Contains("delete")) ? "NON_PROVISIONABLE"
        : Handlers.Contains("update") ? "FULLY_MUTABLE" : "IMMUTABLE";

    /// <summary>The schema of the type's configuration (SetTypeConfiguration), or null when it declares none.</summary>
    public JsonObject? TypeConfiguration => Json["typeConfiguration"] as JsonObject;

    public static ResourceTypeSchema Parse(string text, string registeredName)
    {
        JsonObject schema;
        try
        {
            schema = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxSchemaDepth }) as JsonObject
                ?? throw new RegistrationFailure("Schema is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new RegistrationFailure($"Schema is not valid JSON: {e.Message}");
        }
        foreach (var key in new[] { "typeName", "description", "properties", "primaryIdentifier", "additionalProperties" })
            if (schema[key] is null) throw Invalid($"#: required key [{key}] not found");
        if (schema["typeName"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String || !TypeNamePattern().IsMatch(name.GetValue<string>()))
            throw Invalid($"#/typeName: string [{schema["typeName"]?.ToJsonString()}] does not match pattern {TypeNamePattern()}");
        if (name.GetValue<string>() != registeredName)
            throw new RegistrationFailure($"Type name {registeredName} does not match the schema's typeName {name.GetValue<string>()}");
        if (schema["properties"] is not JsonObject { Count: > 0 } properties)
            throw Invalid("#/properties: expected an object with at least one property");
        if (schema["additionalProperties"] is not JsonValue additional || additional.GetValueKind() != JsonValueKind.False)
            throw Invalid("#/additionalProperties: false was expected");
        if (schema["handlers"] is { } handlers)
            foreach (var (handler, _) in handlers as JsonObject ?? throw Invalid("#/handlers: expected type: JSONObject"))
                if (!HandlerNames.Contains(handler)) throw Invalid($"#/handlers: extraneous key [{handler}] is not permitted");
        foreach (var list in new[] { "primaryIdentifier", "readOnlyProperties", "createOnlyProperties", "writeOnlyProperties" })
            CheckPointers(schema, properties, list);
        if (schema["primaryIdentifier"] is JsonArray { Count: 0 }) throw Invalid("#/primaryIdentifier: expected minimum item count: 1, found: 0");
        return new ResourceTypeSchema(schema, text);
    }

    private static void CheckPointers(JsonObject schema, JsonObject properties, string list)
    {
        if (schema[list] is null) return;
        if (schema[list] is not JsonArray pointers) throw Invalid($"#/{list}: expected type: JSONArray");
        for (var i = 0; i < pointers.Count; i++)
        {
            var pointer = pointers[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";
            if (!pointer.StartsWith("/properties/", StringComparison.Ordinal) || !properties.ContainsKey(pointer["/properties/".Length..].Split('/')[0]))
                throw Invalid($"#/{list}/{i}: {pointers[i]?.ToJsonString()} does not point to a declared property");
        }
    }

    private IReadOnlyList<string> PropertyNames(string list) =>
        (Json[list] as JsonArray ?? []).Select(p => p!.GetValue<string>()["/properties/".Length..].Split('/')[0]).Distinct().ToList();

    private static RegistrationFailure Invalid(string detail) =>
        new($"Resource schema is not valid against the resource provider definition meta-schema: {detail}");
}

/// <summary>
/// The package RegisterType's SchemaHandlerPackage names: the zip the CloudFormation CLI builds (<c>cfn submit --dry-run</c>),
/// holding schema.json, .rpdk-config (runtime and entrypoint, its language plugin's settings) and ResourceProvider.zip, the
/// handler code as a Lambda function package.
/// </summary>
public sealed record ResourceTypePackage(ResourceTypeSchema Schema, string? Runtime, string? Entrypoint, byte[]? HandlerCode)
{
    /// <summary>Bounds on what is read from the package: Lambda's own bound on a zipped function, and on a schema.</summary>
    public const long MaxPackageBytes = 50L * 1024 * 1024;
    private const long MaxSchemaBytes = 1024 * 1024;
    private const string HandlerPackageEntry = "ResourceProvider.zip";

    public static ResourceTypePackage Read(byte[] zip, string typeName)
    {
        try
        {
            using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
            var schema = ResourceTypeSchema.Parse(Text(archive, "schema.json") ?? throw new RegistrationFailure("The package has no schema.json"), typeName);
            var config = Text(archive, ".rpdk-config") is { } configText ? JsonNode.Parse(configText) as JsonObject : null;
            var code = Bytes(archive, HandlerPackageEntry, MaxPackageBytes);
            if (schema.Handlers.Count == 0) return new ResourceTypePackage(schema, null, null, null);
            if (config is null) throw new RegistrationFailure("The package has no .rpdk-config naming the runtime and entrypoint of the schema's handlers");
            var runtime = config["runtime"]?.GetValue<string>() ?? throw new RegistrationFailure("The package's .rpdk-config names no runtime for the schema's handlers");
            var entrypoint = config["entrypoint"]?.GetValue<string>() ?? throw new RegistrationFailure("The package's .rpdk-config names no entrypoint for the schema's handlers");
            return new ResourceTypePackage(schema, runtime, entrypoint, code ?? throw new RegistrationFailure($"The package has no {HandlerPackageEntry} for the schema's handlers"));
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or InvalidOperationException)
        {
            throw new RegistrationFailure($"The schema handler package is not a valid package: {e.Message}");
        }
    }

    private static string? Text(ZipArchive archive, string name) =>
        Bytes(archive, name, MaxSchemaBytes) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null;

    private static byte[]? Bytes(ZipArchive archive, string name, long maxBytes)
    {
        var entry = archive.GetEntry(name);
        if (entry is null) return null;
        if (entry.Length > maxBytes) throw new RegistrationFailure($"{name} is larger than {maxBytes} bytes");
        // The header's length may lie: the copy is bounded too.
        using var stream = entry.Open();
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes) throw new RegistrationFailure($"{name} is larger than {maxBytes} bytes");
        }
        return buffer.ToArray();
    }
}
