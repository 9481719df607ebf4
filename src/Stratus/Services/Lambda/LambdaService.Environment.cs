using System.Collections.Concurrent;
using System.Text.Json;
using Stratus.Protocols;

namespace Stratus.Services.Lambda;

/// <summary>
/// Environment variables encrypted at rest, as AWS keeps them: under the function's KMSKeyArn, or the AWS managed key
/// aws/lambda (made on first use, as KMS makes AWS managed keys) when it has none, with the function's ARN as the
/// encryption context. The state store holds only the ciphertext; the plain text is decrypted once per function version
/// and configuration (cached by its ciphertext), for Get/List answers and for the environment an invoke starts, never per invoke.
/// </summary>
public sealed partial class LambdaService
{
    private const string AwsManagedKey = "alias/aws/lambda";
    private static readonly IReadOnlyDictionary<string, string> NoVariables = new Dictionary<string, string>();

    /// <summary>Each function version's plain variables, with the ciphertext they came from: a new configuration has a new one.</summary>
    private readonly ConcurrentDictionary<string, (string Ciphertext, IReadOnlyDictionary<string, string> Variables)> _variables = new(StringComparer.Ordinal);

    private static Dictionary<string, string> EncryptionContext(string accountId, string region, string functionName) =>
        new(StringComparer.Ordinal) { ["aws:lambda:FunctionArn"] = LambdaArns.Function(accountId, region, functionName) };

    /// <summary>The configuration with these variables encrypted under its key; KMS's refusal is carried in Lambda's error.</summary>
    private FunctionConfig WithVariables(Scope scope, FunctionConfig config, IReadOnlyDictionary<string, string> variables)
    {
        if (variables.Count == 0) return config with { EncryptedEnvironment = null, PlaintextEnvironment = null };
        byte[] blob;
        try
        {
            blob = _encryption.Encrypt(scope, config.KmsKeyArn ?? AwsManagedKey, JsonSerializer.SerializeToUtf8Bytes(variables),
                EncryptionContext(scope.AccountId, scope.Region, config.FunctionName));
        }
        catch (AwsException kms)
        {
            throw LambdaErrors.EnvironmentNotEncryptable(kms);
        }
        return config with { EncryptedEnvironment = Convert.ToBase64String(blob), PlaintextEnvironment = null };
    }

    /// <summary>
    /// A function version's variables in plain text; KMSDisabledException and the like (502) when its key no longer decrypts
    /// them, checked before the cache answers, so a key disabled since they were decrypted is noticed.
    /// </summary>
    public IReadOnlyDictionary<string, string> Variables(LambdaFunction function, FunctionConfig config)
    {
        CheckEnvironmentDecryptable(function.AccountId, function.Region, config);
        return Variables(function.AccountId, function.Region, config);
    }

    private IReadOnlyDictionary<string, string> Variables(string accountId, string region, FunctionConfig config)
    {
        if (config.EncryptedEnvironment is not { } ciphertext) return config.PlaintextEnvironment ?? NoVariables;
        var cacheKey = $"{LambdaArns.Function(accountId, region, config.FunctionName)}:{config.Version}";
        if (_variables.TryGetValue(cacheKey, out var cached) && cached.Ciphertext == ciphertext) return cached.Variables;
        byte[] plaintext;
        try
        {
            plaintext = _encryption.Decrypt(Scope.Of(accountId, region), Convert.FromBase64String(ciphertext),
                EncryptionContext(accountId, region, config.FunctionName), null).Plaintext;
        }
        catch (AwsException kms)
        {
            throw LambdaErrors.EnvironmentNotDecryptable(kms);
        }
        var variables = JsonSerializer.Deserialize<Dictionary<string, string>>(plaintext) ?? [];
        _variables[cacheKey] = (ciphertext, variables);
        return variables;
    }

    /// <summary>
    /// The variables a configuration change leaves: the given ones, else the function's own, encrypted again when the key
    /// changed (AWS re-encrypts them under the new key).
    /// </summary>
    private FunctionConfig ApplyVariables(Scope scope, FunctionConfig before, FunctionConfig after, Dictionary<string, string>? given) =>
        given is not null || after.KmsKeyArn != before.KmsKeyArn
            ? WithVariables(scope, after, given ?? Variables(scope.AccountId, scope.Region, before))
            : after;

    /// <summary>Variables kept in plain text by an earlier Stratus are put under their key when Lambda starts; a key that refuses leaves them.</summary>
    private void EncryptPlaintextVariables()
    {
        foreach (var function in _functions.Values.Where(f => new[] { f.Latest }.Concat(f.Versions).Any(c => c.PlaintextEnvironment is not null)).ToList())
        {
            var scope = Scope.Of(function.AccountId, function.Region);
            FunctionConfig Encrypted(FunctionConfig config)
            {
                if (config.PlaintextEnvironment is not { } plain) return config;
                try
                {
                    return WithVariables(scope, config, plain);
                }
                catch (AwsException)
                {
                    return config;
                }
            }
            _functions.Update(Key(function.AccountId, function.Region, function.Name),
                f => f with { Latest = Encrypted(f.Latest), Versions = f.Versions.Select(Encrypted).ToList() });
        }
    }

    private void ForgetVariables(LambdaFunction function)
    {
        foreach (var key in _variables.Keys.Where(k => k.StartsWith(function.Arn + ":", StringComparison.Ordinal)).ToList()) _variables.TryRemove(key, out _);
    }
}
