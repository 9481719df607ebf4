using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Lambda;

/// <summary>
/// Code signing configs (Create/Get/List/Update/DeleteCodeSigningConfig, Put/Get/DeleteFunctionCodeSigningConfig,
/// ListFunctionsByCodeSigningConfig) and what they do to deployments. AWS checks each zip deployment of a function with a
/// config (CreateFunction, UpdateFunctionCode, and the layers a configuration update adds) for an AWS Signer signature
/// by one of the allowed profile versions. Stratus serves no AWS Signer, so no package deployed to it carries such a
/// signature: under Enforce every such deployment is refused with CodeVerificationFailedException, under Warn it is
/// deployed and counted in AWS/Lambda's SignatureValidationErrors, as AWS does for a package whose signature does not
/// validate. Container images are not subject to code signing on AWS, and a config is refused for them.
/// </summary>
public sealed partial class LambdaService
{
    private static string CodeSigningKey(string accountId, string region, string id) => ResourceTable<CodeSigningConfig>.Key(accountId, region, id);

    public CodeSigningConfig CreateCodeSigningConfig(Scope scope, CodeSigningSettings settings, Dictionary<string, string> tags)
    {
        if (settings.SigningProfileVersionArns is null) throw LambdaErrors.Validation.Missing("allowedPublishers");
        CheckCodeSigning("CreateCodeSigningConfig", settings);
        while (true)
        {
            // 17 lowercase hex digits, as AWS's ids (csc-0123456789abcdef0).
            var id = "csc-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9))[..17];
            var config = new CodeSigningConfig
            {
                AccountId = scope.AccountId, Region = scope.Region, Id = id, Description = settings.Description ?? "",
                SigningProfileVersionArns = settings.SigningProfileVersionArns, UntrustedArtifactOnDeployment = settings.UntrustedArtifactOnDeployment ?? "Warn",
                LastModified = Now, Tags = tags,
            };
            if (_codeSigningConfigs.TryAdd(CodeSigningKey(scope.AccountId, scope.Region, id), config)) return config;
        }
    }

    public CodeSigningConfig GetCodeSigningConfig(Scope scope, string arn) =>
        FindCodeSigningConfig(scope, arn) ?? throw LambdaErrors.ResourceNotFound();

    public IReadOnlyList<CodeSigningConfig> ListCodeSigningConfigs(Scope scope) =>
        _codeSigningConfigs.Values.Where(c => c.AccountId == scope.AccountId && c.Region == scope.Region)
            .OrderBy(c => c.Id, StringComparer.Ordinal).ToList();

    public CodeSigningConfig UpdateCodeSigningConfig(Scope scope, string arn, CodeSigningSettings settings)
    {
        CheckCodeSigning("UpdateCodeSigningConfig", settings);
        var found = GetCodeSigningConfig(scope, arn);
        return _codeSigningConfigs.Update(CodeSigningKey(found.AccountId, found.Region, found.Id), c => c with
        {
            Description = settings.Description ?? c.Description,
            SigningProfileVersionArns = settings.SigningProfileVersionArns ?? c.SigningProfileVersionArns,
            UntrustedArtifactOnDeployment = settings.UntrustedArtifactOnDeployment ?? c.UntrustedArtifactOnDeployment,
            LastModified = Now,
        }) ?? throw LambdaErrors.ResourceNotFound();
    }

    /// <summary>A config a function uses is not deleted, as AWS refuses it ("only if no function is using it").</summary>
    public void DeleteCodeSigningConfig(Scope scope, string arn)
    {
        var config = GetCodeSigningConfig(scope, arn);
        if (FunctionsUsing(config).Any()) throw LambdaErrors.CodeSigningConfigInUse(config.Arn);
        _codeSigningConfigs.Remove(CodeSigningKey(config.AccountId, config.Region, config.Id));
    }

    public IReadOnlyList<string> ListFunctionsByCodeSigningConfig(Scope scope, string arn) =>
        FunctionsUsing(GetCodeSigningConfig(scope, arn)).Select(f => f.Arn).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Attaches a config to the function: its next deployments are checked against it. Code already deployed keeps
    /// running, as AWS's configs "only prevent new deployments of unsigned code".
    /// </summary>
    public LambdaFunction PutFunctionCodeSigningConfig(Scope scope, string functionName, string arn)
    {
        var config = FindCodeSigningConfig(scope, arn) ?? throw LambdaErrors.CodeSigningConfigNotFound(arn);
        return Change(scope, functionName, f => f.Latest.PackageType == "Image"
            ? throw LambdaErrors.CodeSigningNotForImages()
            : f with { CodeSigningConfigArn = config.Arn });
    }

    /// <summary>The function's config ARN, empty when it has none (AWS answers "" then).</summary>
    public (LambdaFunction Function, string Arn) GetFunctionCodeSigningConfig(Scope scope, string functionName)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, null);
        if (function.Latest.PackageType == "Image") throw LambdaErrors.CodeSigningNotForImages();
        return (function, function.CodeSigningConfigArn ?? "");
    }

    public void DeleteFunctionCodeSigningConfig(Scope scope, string functionName) =>
        Change(scope, functionName, f => f with { CodeSigningConfigArn = null });

    /// <summary>The config a CreateFunction names, which must exist; none for an empty ARN.</summary>
    private CodeSigningConfig? CodeSigningForCreate(Scope scope, string? arn, string packageType)
    {
        LambdaRules.CheckCreate("CodeSigningConfigArn", arn);
        if (arn is not { Length: > 0 }) return null;
        if (packageType == "Image") throw LambdaErrors.CodeSigningNotForImages();
        return FindCodeSigningConfig(scope, arn) ?? throw LambdaErrors.CodeSigningConfigNotFound(arn);
    }

    /// <summary>
    /// The verdict on a deployment to a function with a code signing config: Stratus's packages carry no Signer signature,
    /// so Enforce refuses it here, before anything changes.
    /// </summary>
    private void RefuseUnsigned(string accountId, string region, string? arn, string functionName)
    {
        if (CodeSigningOf(accountId, region, arn) is { Enforces: true }) throw LambdaErrors.CodeVerificationFailed(functionName);
    }

    /// <summary>A deployment that went through under Warn: one SignatureValidationErrors, as AWS counts each.</summary>
    private void CountUnsigned(string accountId, string region, string? arn, string functionName)
    {
        if (CodeSigningOf(accountId, region, arn) is { Enforces: false }) _telemetry.SignatureValidationError(accountId, region, functionName, _clock.GetUtcNow());
    }

    private CodeSigningConfig? CodeSigningOf(string accountId, string region, string? arn) =>
        arn is not null && ParseCodeSigningArn(arn) is var (arnRegion, arnAccount, id) && arnRegion == region && arnAccount == accountId
            ? _codeSigningConfigs.Get(CodeSigningKey(accountId, region, id)) : null;

    private CodeSigningConfig? FindCodeSigningConfig(Scope scope, string arn) => CodeSigningOf(scope.AccountId, scope.Region, arn);

    private IEnumerable<LambdaFunction> FunctionsUsing(CodeSigningConfig config) =>
        _functions.Values.Where(f => f.AccountId == config.AccountId && f.Region == config.Region && f.CodeSigningConfigArn == config.Arn);

    private static (string Region, string Account, string Id)? ParseCodeSigningArn(string arn) =>
        CodeSigningArnPattern().Match(arn) is { Success: true } match
            ? (match.Groups["region"].Value, match.Groups["account"].Value, match.Groups["id"].Value) : null;

    /// <summary>
    /// A template's values meet the wire's rules; each allowed publisher is an ARN by the model's Arn pattern, which the
    /// declared rules do not reach inside the list.
    /// </summary>
    private static void CheckCodeSigning(string operation, CodeSigningSettings settings)
    {
        LambdaRules.Check(operation, "Description", settings.Description);
        LambdaRules.Check(operation, "CodeSigningPolicies",
            settings.UntrustedArtifactOnDeployment is { } policy ? new { UntrustedArtifactOnDeployment = policy } : null);
        if (settings.SigningProfileVersionArns is not { } arns) return;
        LambdaRules.Check(operation, "AllowedPublishers", new { SigningProfileVersionArns = arns });
        if (arns.Any(a => !SigningProfileArnPattern().IsMatch(a)))
            throw LambdaErrors.Validation.Rejected("allowedPublishers.signingProfileVersionArns", "[" + string.Join(", ", arns) + "]",
                $"Member must satisfy constraint: [Member must satisfy regular expression pattern: {ModelArnPattern}]");
    }

    [GeneratedRegex(@"^arn:(aws[a-zA-Z-]*)?:lambda:(?<region>[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}):(?<account>\d{12}):code-signing-config:(?<id>csc-[a-z0-9]{17})$")]
    private static partial Regex CodeSigningArnPattern();

    /// <summary>The model's Arn shape, which AllowedPublishers' items take.</summary>
    private const string ModelArnPattern = @"arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)";

    [GeneratedRegex("^(?:" + ModelArnPattern + ")$")]
    private static partial Regex SigningProfileArnPattern();
}
