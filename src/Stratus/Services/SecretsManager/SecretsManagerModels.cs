using Stratus.Protocols;

namespace Stratus.Services.SecretsManager;

/// <summary>
/// One version of a secret. The value is sealed under Secrets Manager's key (<see cref="Persistence.SealingKey"/>, base64): SealedString for a
/// SecretString, SealedBinary for a SecretBinary; a secret created without a value has versions of neither.
/// </summary>
public sealed record SecretVersion(string VersionId, string? SealedString, string? SealedBinary, IReadOnlyList<string> Stages,
    DateTimeOffset Created, string? KmsKeyId, DateTimeOffset? LastAccessed = null);

public sealed record SecretTag(string Key, string Value);

/// <summary>A secret: its metadata, every version it keeps, and its deletion state.</summary>
public sealed record Secret
{
    public required string Name { get; init; }
    public required string Arn { get; init; }
    public string? Description { get; init; }
    /// <summary>As the caller named it; null is AWS's managed key aws/secretsmanager.</summary>
    public string? KmsKeyId { get; init; }
    public IReadOnlyList<SecretTag> Tags { get; init; } = [];
    public IReadOnlyList<SecretVersion> Versions { get; init; } = [];
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset LastChanged { get; init; }
    public DateTimeOffset? LastAccessed { get; init; }
    /// <summary>When DeleteSecret was called; null while the secret is live.</summary>
    public DateTimeOffset? Deleted { get; init; }
    /// <summary>When a secret scheduled for deletion goes for good.</summary>
    public DateTimeOffset? DeletionDate { get; init; }
    public string? ResourcePolicy { get; init; }
    /// <summary>The service that manages the secret ("rds" for a ManageMasterUserPassword secret).</summary>
    public string? OwningService { get; init; }
    public DateTimeOffset? LastRotated { get; init; }
    /// <summary>Set by RotateSecret with a rotation function, cleared by CancelRotateSecret (which keeps the function and rules, as AWS does).</summary>
    public bool RotationEnabled { get; init; }
    public string? RotationLambdaArn { get; init; }
    public RotationRules? RotationRules { get; init; }
    /// <summary>The window the schedule rotates the secret in next; null without rules or with rotation cancelled.</summary>
    public Engine.RotationWindow? NextRotationWindow { get; init; }

    public SecretVersion? VersionWithStage(string stage) => Versions.FirstOrDefault(v => v.Stages.Contains(stage));
    public bool IsScheduledForDeletion => Deleted is not null;
}

/// <summary>RotateSecret's RotationRules: every N days, or a rate() or cron() expression; Duration is the window a scheduled rotation may start in.</summary>
public sealed record RotationRules(int? AutomaticallyAfterDays, string? Duration, string? ScheduleExpression)
{
    public static RotationRules? Read(IInputReader input) => input.Object("RotationRules") is { } rules
        ? new RotationRules(rules.Int("AutomaticallyAfterDays"), rules.String("Duration"), rules.String("ScheduleExpression"))
        : null;
}

/// <summary>What RotateSecret asks for; RotateImmediately is true unless the caller says otherwise, as on AWS.</summary>
public sealed record RotateSecretRequest(string SecretId, string? ClientRequestToken, string? RotationLambdaArn, RotationRules? Rules, bool RotateImmediately)
{
    public static RotateSecretRequest Read(IInputReader input) =>
        new(input.Required("SecretId"), input.String("ClientRequestToken"), input.String("RotationLambdaARN"), RotationRules.Read(input),
            input.Bool("RotateImmediately") ?? true);
}

/// <summary>A secret value as a caller hands it over or gets it back: a string or bytes.</summary>
public sealed record SecretValue(string? String, byte[]? Binary)
{
    public bool IsEmpty => String is null && Binary is null;
}

/// <summary>What CreateSecret asks for; read once for the wire and AWS::SecretsManager::Secret.</summary>
public sealed record CreateSecretRequest(string Name, string? ClientRequestToken, string? Description, string? KmsKeyId,
    SecretValue Value, IReadOnlyList<SecretTag> Tags, string? OwningService = null)
{
    public static CreateSecretRequest Read(IInputReader input, string name, SecretValue value) =>
        new(name, input.String("ClientRequestToken"), input.String("Description"), input.String("KmsKeyId"), value, ReadTags(input));

    public static IReadOnlyList<SecretTag> ReadTags(IInputReader input) =>
        [.. input.Objects("Tags").Select(t => new SecretTag(t.Required("Key"), t.String("Value") ?? ""))];
}

/// <summary>GetRandomPassword's options, with AWS's defaults (32 characters, every type, each type required).</summary>
public sealed record PasswordOptions
{
    public int Length { get; init; } = 32;
    public string ExcludeCharacters { get; init; } = "";
    public bool ExcludeNumbers { get; init; }
    public bool ExcludePunctuation { get; init; }
    public bool ExcludeUppercase { get; init; }
    public bool ExcludeLowercase { get; init; }
    public bool IncludeSpace { get; init; }
    public bool RequireEachIncludedType { get; init; } = true;

    /// <summary>GetRandomPassword's members, or GenerateSecretString's (which names the length PasswordLength too).</summary>
    public static PasswordOptions Read(IInputReader input)
    {
        var defaults = new PasswordOptions();
        return new PasswordOptions
        {
            Length = input.Int("PasswordLength") ?? defaults.Length,
            ExcludeCharacters = input.String("ExcludeCharacters") ?? "",
            ExcludeNumbers = input.Bool("ExcludeNumbers") ?? false,
            ExcludePunctuation = input.Bool("ExcludePunctuation") ?? false,
            ExcludeUppercase = input.Bool("ExcludeUppercase") ?? false,
            ExcludeLowercase = input.Bool("ExcludeLowercase") ?? false,
            IncludeSpace = input.Bool("IncludeSpace") ?? false,
            RequireEachIncludedType = input.Bool("RequireEachIncludedType") ?? true,
        };
    }
}
