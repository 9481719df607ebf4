namespace Stratus.Services.Ssm;

/// <summary>One stored version of a parameter. A SecureString's Value is the base64 of its AES-GCM ciphertext.</summary>
public sealed record SsmParameterVersion(long Version, string Type, string Value, string? KeyId, string? Description,
    string? AllowedPattern, string Tier, DateTimeOffset LastModified, string? LastModifiedUser, IReadOnlyList<string> Labels);

/// <summary>A parameter: every version (AWS keeps the last 100) and its tags.</summary>
public sealed record SsmParameter(string Name, IReadOnlyList<SsmParameterVersion> Versions, IReadOnlyDictionary<string, string> Tags)
{
    public SsmParameterVersion Latest => Versions[^1];
}

/// <summary>What PutParameter asks for.</summary>
public sealed record PutParameterRequest(string Name, string Value, string? Type, string? Description, string? KeyId,
    bool Overwrite, string? AllowedPattern, string? Tier, IReadOnlyDictionary<string, string> Tags);
