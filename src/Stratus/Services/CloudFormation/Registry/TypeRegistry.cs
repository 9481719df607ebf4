using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Lambda;
using Stratus.Services.S3;

namespace Stratus.Services.CloudFormation.Registry;

/// <summary>RegisterType's members.</summary>
public sealed record TypeRegistrationRequest(string? Type, string TypeName, string SchemaHandlerPackage, string? LogGroupName, string? LogRoleArn,
    string? ExecutionRoleArn, string? ClientRequestToken);

/// <summary>How a registry call names a type: its ARN (of the type or of one version), or its kind and name, and perhaps a version.</summary>
public sealed record TypeReference(string? Arn, string? Type, string? TypeName, string? VersionId);

/// <summary>A registered type's default version, ready for a stack to provision: its parsed schema and its configuration.</summary>
public sealed record ProvisionableType(RegisteredType Type, TypeVersion Version, ResourceTypeSchema Schema, JsonNode? Configuration);

/// <summary>
/// CloudFormation's extension registry for private resource types, per account and Region: RegisterType reads the
/// handler package from Stratus's S3 and registers it in the background (RegistrationToken, IN_PROGRESS then COMPLETE or
/// FAILED with the reason), versions numbered as AWS numbers them, a default version, deregistration that deprecates,
/// and type configurations. Persisted with the rest of CloudFormation's state. The handler code is stored by Lambda's code
/// store and run by Lambda's engine (<see cref="IExtensionHandlerRunner"/>).
/// </summary>
public sealed class TypeRegistry
{
    /// <summary>Stratus's bound on one type's versions, live and deprecated (AWS publishes its own quota; this one bounds the stored state).</summary>
    public const int MaxVersionsPerType = 100;
    /// <summary>The reserved namespaces a private type may not use, as AWS documents them.</summary>
    private static readonly string[] ReservedNamespaces = ["AWS", "Alexa", "Custom", "Dev"];
    private const string ResourceType = "RESOURCE";

    private readonly ResourceTable<RegisteredType> _types;
    private readonly ResourceTable<TypeRegistration> _registrations;
    private readonly IS3ObjectReader _objects;
    private readonly IExtensionHandlerRunner _handlers;
    private readonly StratusAddress _address;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ResourceTypeSchema> _schemas = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HandlerOperation> _operations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);

    public TypeRegistry(StateStore store, TimeProvider clock, IS3ObjectReader objects, IExtensionHandlerRunner handlers, StratusAddress address, ILogger logger)
    {
        _types = new ResourceTable<RegisteredType>(store, "cloudformation.types");
        _registrations = new ResourceTable<TypeRegistration>(store, "cloudformation.type-registrations");
        _objects = objects;
        _handlers = handlers;
        _address = address;
        _clock = clock;
        _logger = logger;
        // A registration a stop cut short never completed: it is failed, as its type version was never added.
        foreach (var (key, registration) in _registrations.Entries.Where(e => e.Value.Status == RegistryStatus.InProgress).ToList())
            _registrations.Put(key, registration with
            {
                Status = RegistryStatus.Failed, Description = Stage("FAILED", "Stratus stopped while this registration was in progress."),
            });
    }

    public IExtensionHandlerRunner Handlers => _handlers;

    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeMilliseconds(_clock.GetUtcNow().ToUnixTimeMilliseconds());

    private static string Key(string accountId, string region, string typeName) => ResourceTable<RegisteredType>.Key(accountId, region, typeName);

    // ---- names ----

    public static string TypeArn(string region, string accountId, string typeName) =>
        $"arn:aws:cloudformation:{region}:{accountId}:type/resource/{typeName.Replace("::", "-", StringComparison.Ordinal)}";

    public static string TypeArn(RegisteredType type) => TypeArn(type.Region, type.AccountId, type.TypeName);

    public static string VersionArn(RegisteredType type, string versionId) => $"{TypeArn(type)}/{versionId}";

    public static string ConfigurationArn(RegisteredType type, string alias) =>
        $"arn:aws:cloudformation:{type.Region}:{type.AccountId}:type-configuration/resource/{type.TypeName.Replace("::", "-", StringComparison.Ordinal)}/{alias}";

    /// <summary>A type ARN's parts: Region, account (empty for AWS's public types), type name and version, or null when it is not one.</summary>
    public static (string Region, string AccountId, string TypeName, string? VersionId)? ParseTypeArn(string arn)
    {
        var parts = arn.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "cloudformation") return null;
        var path = parts[5].Split('/');
        if (path.Length is < 3 or > 4 || path[0] != "type" || path[1] != "resource") return null;
        var names = path[2].Split('-');
        if (names.Length != 3) return null;
        return (parts[3], parts[4], string.Join("::", names), path.Length == 4 ? path[3] : null);
    }

    // ---- registration ----

    /// <summary>RegisterType: the registration starts now and completes in the background; a ClientRequestToken retried answers the same registration.</summary>
    public string Register(Scope scope, TypeRegistrationRequest request)
    {
        if ((request.Type ?? ResourceType) != ResourceType)
            throw CloudFormationErrors.RegistryRefused($"Stratus registers extensions of type RESOURCE only: {request.Type} types are not built");
        if (ReservedNamespaces.Contains(request.TypeName.Split("::")[0], StringComparer.OrdinalIgnoreCase))
            throw CloudFormationErrors.RegistryRefused($"Type name {request.TypeName} uses a reserved namespace ({string.Join(", ", ReservedNamespaces)})");
        if (request.ClientRequestToken is { } clientToken
            && _registrations.Values.FirstOrDefault(r => r.AccountId == scope.AccountId && r.Region == scope.Region && r.ClientRequestToken == clientToken) is { } earlier)
            return earlier.Token;
        var registration = new TypeRegistration
        {
            Token = Guid.NewGuid().ToString(),
            AccountId = scope.AccountId,
            Region = scope.Region,
            TypeName = request.TypeName,
            Status = RegistryStatus.InProgress,
            Description = Stage("IN_PROGRESS", null),
            Started = Now,
            ClientRequestToken = request.ClientRequestToken,
        };
        _registrations.Put(registration.Token, registration);
        _running[registration.Token] = Task.Run(() => Complete(scope, registration, request));
        return registration.Token;
    }

    private void Complete(Scope scope, TypeRegistration registration, TypeRegistrationRequest request)
    {
        try
        {
            var package = ResourceTypePackage.Read(ReadPackage(scope, request.SchemaHandlerPackage), request.TypeName);
            var codeId = package.HandlerCode is { } code ? _handlers.SaveHandlerCode(code, package.Runtime!) : null;
            var now = Now;
            string? versionId = null;
            _types.Upsert(Key(scope.AccountId, scope.Region, request.TypeName), existing =>
            {
                var type = existing ?? new RegisteredType
                {
                    AccountId = scope.AccountId, Region = scope.Region, TypeName = request.TypeName, TimeCreated = now, LastUpdated = now,
                };
                if (type.Versions.Count >= MaxVersionsPerType)
                    throw new RegistrationFailure($"Type {request.TypeName} has {MaxVersionsPerType} versions, Stratus's bound on one type's versions");
                versionId = type.NextVersion.ToString("D8", CultureInfo.InvariantCulture);
                var version = new TypeVersion(versionId, package.Schema.Text, package.Schema.Description, package.Schema.ProvisioningType, package.Runtime,
                    package.Entrypoint, codeId, request.ExecutionRoleArn, request.LogGroupName, request.LogRoleArn, now);
                // The first version (or the first after all were deregistered) is the default; later ones only by SetTypeDefaultVersion.
                return type with
                {
                    Versions = [.. type.Versions, version], NextVersion = type.NextVersion + 1, DefaultVersionId = type.DefaultVersionId ?? versionId, LastUpdated = now,
                };
            });
            _registrations.Put(registration.Token, registration with
            {
                Status = RegistryStatus.Complete, VersionId = versionId, Description = Stage("COMPLETED", null),
            });
        }
        catch (Exception e) when (e is RegistrationFailure or AwsException)
        {
            _registrations.Put(registration.Token, registration with { Status = RegistryStatus.Failed, Description = Stage("FAILED", e.Message) });
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Registration {Token} of {TypeName} failed", registration.Token, registration.TypeName);
            _registrations.Put(registration.Token, registration with { Status = RegistryStatus.Failed, Description = Stage("FAILED", "Internal failure: " + e.Message) });
        }
        finally
        {
            _running.TryRemove(registration.Token, out _);
        }
    }

    /// <summary>
    /// A registration's Description as AWS words a completed one ("Deployment is currently in DEPLOY_STAGE of status COMPLETED; "),
    /// with the reason after it for a failed one; the in-progress and failed forms follow that pattern (Stratus's reading).
    /// </summary>
    private static string Stage(string status, string? reason) => $"Deployment is currently in DEPLOY_STAGE of status {status}; {reason}";

    /// <summary>The package an s3:// URI or an HTTPS URL of Stratus's S3 names, read through S3's domain as the caller's account sees it.</summary>
    private byte[] ReadPackage(Scope scope, string url)
    {
        var address = S3ObjectAddress.FromS3Uri(url) ?? S3ObjectAddress.FromUrl(url, _address.BaseUrl.Host)
            ?? throw new RegistrationFailure($"SchemaHandlerPackage {url} is not an S3 URI (s3://bucket/key) or a URL of an object in Stratus's S3");
        try
        {
            return _objects.ReadObject(scope, address.Bucket, address.Key, address.VersionId, ResourceTypePackage.MaxPackageBytes,
                size => new RegistrationFailure($"The schema handler package is {size} bytes; the largest Stratus reads is {ResourceTypePackage.MaxPackageBytes}"));
        }
        catch (AwsException e)
        {
            throw new RegistrationFailure($"The schema handler package could not be read from S3: {e.Message}");
        }
    }

    public TypeRegistration Registration(Scope scope, string token) =>
        _registrations.Get(token) is { } r && r.AccountId == scope.AccountId && r.Region == scope.Region ? r : throw CloudFormationErrors.RegistrationNotFound(token);

    /// <summary>ListTypeRegistrations: the account's registrations of a type (all when none is named), oldest first, by status if asked.</summary>
    public IReadOnlyList<TypeRegistration> Registrations(Scope scope, string? typeName, string? typeArn, string? status)
    {
        var name = typeArn is not null ? (ParseTypeArn(typeArn)?.TypeName ?? throw CloudFormationErrors.TypeNotFound(typeArn)) : typeName;
        return _registrations.Values.Where(r => r.AccountId == scope.AccountId && r.Region == scope.Region && (name is null || r.TypeName == name)
                && (status is null || r.Status == status))
            .OrderBy(r => r.Started).ThenBy(r => r.Token, StringComparer.Ordinal).ToList();
    }

    /// <summary>Waits for the registrations in progress (a stop waits for them, so none is cut short needlessly).</summary>
    public void WaitForRegistrations(TimeSpan timeout) => Task.WaitAll(_running.Values.ToArray(), timeout);

    // ---- types and versions ----

    /// <summary>The type a reference names in the caller's account and Region (deprecated ones too), and the version it names if any.</summary>
    public (RegisteredType Type, string? VersionId) Resolve(Scope scope, TypeReference reference)
    {
        string typeName;
        var versionId = reference.VersionId;
        if (reference.Arn is { } arn)
        {
            if (reference.TypeName is not null) throw CloudFormationErrors.RegistryRefused("Specify either Arn or TypeName, not both");
            var parsed = ParseTypeArn(arn);
            if (parsed is null || parsed.Value.AccountId != scope.AccountId || parsed.Value.Region != scope.Region) throw CloudFormationErrors.TypeNotFound(arn);
            typeName = parsed.Value.TypeName;
            versionId = parsed.Value.VersionId ?? versionId;
        }
        else typeName = reference.TypeName ?? throw CloudFormationErrors.RegistryRefused("Specify either Arn or TypeName");
        if ((reference.Type ?? ResourceType) != ResourceType) throw CloudFormationErrors.TypeNotFound(typeName);
        var type = _types.Get(Key(scope.AccountId, scope.Region, typeName)) ?? throw CloudFormationErrors.TypeNotFound(typeName);
        if (versionId is not null && type.Version(versionId) is null) throw CloudFormationErrors.TypeVersionNotFound(typeName, versionId);
        return (type, versionId);
    }

    /// <summary>ListTypes' PRIVATE visibility: the registered types, LIVE (with a default version) or DEPRECATED, by prefix and provisioning type.</summary>
    public IReadOnlyList<RegisteredType> Types(Scope scope, string? prefix, string deprecatedStatus, string? provisioningType) =>
        _types.Values.Where(t => t.AccountId == scope.AccountId && t.Region == scope.Region
                && t.IsDeprecated == (deprecatedStatus == RegistryStatus.Deprecated)
                && (prefix is null || t.TypeName.StartsWith(prefix, StringComparison.Ordinal))
                && (provisioningType is null || t.Default?.ProvisioningType == provisioningType))
            .OrderBy(t => t.TypeName, StringComparer.Ordinal).ToList();

    /// <summary>ListTypeVersions: a type's versions, LIVE or DEPRECATED; a type never registered has none.</summary>
    public (RegisteredType? Type, IReadOnlyList<TypeVersion> Versions) Versions(Scope scope, TypeReference reference, string deprecatedStatus)
    {
        RegisteredType type;
        try
        {
            type = Resolve(scope, reference with { VersionId = null }).Type;
        }
        catch (AwsException e) when (e.Code == "TypeNotFoundException")
        {
            return (null, []);
        }
        return (type, type.Versions.Where(v => v.Deprecated == (deprecatedStatus == RegistryStatus.Deprecated)).ToList());
    }

    public void SetDefaultVersion(Scope scope, TypeReference reference)
    {
        var (type, versionId) = Resolve(scope, reference);
        if (versionId is null) throw CloudFormationErrors.RegistryRefused("Specify the version to make the default: VersionId, or a version's Arn");
        if (type.Version(versionId)!.Deprecated) throw CloudFormationErrors.TypeVersionNotFound(type.TypeName, versionId);
        _types.Put(Key(type.AccountId, type.Region, type.TypeName), type with { DefaultVersionId = versionId, LastUpdated = Now });
    }

    /// <summary>
    /// DeregisterType, as AWS documents it: a version that is not the default is deprecated; the default version only when it
    /// is the last live one, which deprecates the whole type; naming no version deregisters the type, when one version is left.
    /// </summary>
    public void Deregister(Scope scope, TypeReference reference)
    {
        var (type, versionId) = Resolve(scope, reference);
        var live = type.LiveVersions.ToList();
        if (live.Count == 0) throw CloudFormationErrors.TypeNotFound(type.TypeName);
        if (versionId is null)
        {
            if (live.Count > 1)
                throw CloudFormationErrors.RegistryRefused(
                    $"Type {type.TypeName} has {live.Count} active versions: deregister its versions other than the default one first");
            versionId = live[0].VersionId;
        }
        var version = type.Version(versionId)!;
        if (version.Deprecated) throw CloudFormationErrors.TypeVersionNotFound(type.TypeName, versionId);
        if (versionId == type.DefaultVersionId && live.Count > 1)
            throw CloudFormationErrors.RegistryRefused(
                $"Version {versionId} is the default version of {type.TypeName} and cannot be deregistered while other versions are active: set another default version first");
        _types.Put(Key(type.AccountId, type.Region, type.TypeName), type with
        {
            Versions = type.Versions.Select(v => v.VersionId == versionId ? v with { Deprecated = true } : v).ToList(),
            DefaultVersionId = versionId == type.DefaultVersionId ? null : type.DefaultVersionId,
            LastUpdated = Now,
        });
    }

    public ResourceTypeSchema Schema(RegisteredType type, TypeVersion version) =>
        _schemas.GetOrAdd($"{Key(type.AccountId, type.Region, type.TypeName)}/{version.VersionId}", _ => ResourceTypeSchema.Parse(version.Schema, type.TypeName));

    // ---- configuration ----

    /// <summary>SetTypeConfiguration: the configuration, checked against the default version's typeConfiguration, kept under its alias.</summary>
    public (RegisteredType Type, string Arn) SetConfiguration(Scope scope, TypeReference reference, string configuration, string? alias)
    {
        var (type, _) = Resolve(scope, reference);
        var version = type.Default ?? throw CloudFormationErrors.TypeNotFound(type.TypeName);
        var schema = Schema(type, version);
        var configurationSchema = schema.TypeConfiguration
            ?? throw CloudFormationErrors.RegistryRefused($"Type {type.TypeName} declares no typeConfiguration in its schema: it takes no configuration");
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(configuration, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw CloudFormationErrors.RegistryRefused($"Configuration is not valid JSON: {e.Message}");
        }
        if (TypeConfigurationCheck.Violation(parsed, configurationSchema, schema.Json) is { } violation)
            throw CloudFormationErrors.RegistryRefused($"Configuration is not valid against the type's configuration schema: {violation}");
        alias ??= RegistryStatus.DefaultAlias;
        var now = Now;
        var updated = _types.Update(Key(type.AccountId, type.Region, type.TypeName), t => t with
        {
            Configurations = new Dictionary<string, TypeConfiguration>(t.Configurations, StringComparer.Ordinal) { [alias] = new(alias, configuration, now) },
        }) ?? throw CloudFormationErrors.TypeNotFound(type.TypeName);
        return (updated, ConfigurationArn(updated, alias));
    }

    /// <summary>One identifier of BatchDescribeTypeConfigurations: the type and the configuration it names (by ARN or alias, "default" unless given).</summary>
    public (RegisteredType Type, TypeConfiguration Configuration) Configuration(Scope scope, string? typeArn, string? type, string? typeName, string? alias,
        string? configurationArn)
    {
        if (configurationArn is not null)
        {
            var path = configurationArn.Split(':', 6) is [_, _, _, _, _, var resource] ? resource.Split('/') : [];
            if (path is not ["type-configuration", "resource", var dashed, var configured])
                throw CloudFormationErrors.TypeConfigurationNotFound(configurationArn);
            typeName = dashed.Replace("-", "::", StringComparison.Ordinal);
            alias = configured;
        }
        RegisteredType registered;
        try
        {
            registered = Resolve(scope, new TypeReference(typeArn, type, typeArn is null ? typeName : null, null)).Type;
        }
        catch (AwsException e) when (e.Code == "TypeNotFoundException")
        {
            throw CloudFormationErrors.TypeConfigurationNotFound(typeArn ?? typeName ?? "");
        }
        alias ??= RegistryStatus.DefaultAlias;
        return registered.Configurations.TryGetValue(alias, out var configuration)
            ? (registered, configuration)
            : throw CloudFormationErrors.TypeConfigurationNotFound($"{registered.TypeName} with alias {alias}");
    }

    // ---- provisioning ----

    /// <summary>The default version of a private type registered in the account and Region, or null when there is none.</summary>
    public ProvisionableType? Provisionable(string accountId, string region, string typeName)
    {
        if (_types.Get(Key(accountId, region, typeName)) is not { Default: { } version } type) return null;
        var configuration = type.Configurations.TryGetValue(RegistryStatus.DefaultAlias, out var c) ? JsonNode.Parse(c.Configuration) : null;
        return new ProvisionableType(type, version, Schema(type, version), configuration);
    }

    /// <summary>A handler operation starting: its bearer token, which RecordHandlerProgress names until it ends.</summary>
    public HandlerOperation BeginOperation()
    {
        var operation = new HandlerOperation(Guid.NewGuid().ToString());
        _operations[operation.BearerToken] = operation;
        return operation;
    }

    public void EndOperation(HandlerOperation operation) => _operations.TryRemove(operation.BearerToken, out _);

    /// <summary>RecordHandlerProgress: a handler reporting its operation's progress by the bearer token it was given, as the CloudFormation CLI's protocol has it.</summary>
    public void RecordProgress(string bearerToken, string status, string? currentStatus, string? message, string? errorCode, string? resourceModel)
    {
        var operation = _operations.GetValueOrDefault(bearerToken) ?? throw CloudFormationErrors.HandlerOperationNotFound();
        operation.Record(status, currentStatus, message, errorCode, resourceModel);
    }
}

/// <summary>
/// One resource handler operation in flight (create, update, delete with its callbacks): what RecordHandlerProgress reported.
/// A finished status (SUCCESS, FAILED) so reported ends the operation's wait for its next callback.
/// </summary>
public sealed class HandlerOperation(string bearerToken)
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string BearerToken { get; } = bearerToken;
    public string Status { get; private set; } = "IN_PROGRESS";
    public string? Message { get; private set; }
    public string? ErrorCode { get; private set; }
    public string? ResourceModel { get; private set; }

    /// <summary>Completes when a recorded status finishes the operation.</summary>
    public Task Finished => _finished.Task;

    public static bool IsFinal(string status) => status is "SUCCESS" or "FAILED";

    public void Record(string status, string? currentStatus, string? message, string? errorCode, string? resourceModel)
    {
        lock (_gate)
        {
            if (currentStatus is not null && currentStatus != Status) throw CloudFormationErrors.HandlerStatusMismatch(currentStatus, Status);
            if (IsFinal(Status) && status != Status) throw CloudFormationErrors.InvalidHandlerTransition(Status, status);
            (Status, Message, ErrorCode, ResourceModel) = (status, message, errorCode, resourceModel ?? ResourceModel);
        }
        if (IsFinal(status)) _finished.TrySetResult();
    }
}
