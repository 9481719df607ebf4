using System.Security.Cryptography;
using Stratus.Protocols;

namespace Stratus.Services.Lambda;

/// <summary>
/// Function URLs: a dedicated HTTP endpoint per function (or alias), served by <see cref="FunctionUrlDataPlane"/>.
/// AWS's URL is https://{url-id}.lambda-url.{region}.on.aws/; Stratus's is http://{url-id}.lambda-url.{region}.localhost:PORT/,
/// and the same URL answers at http://HOST:PORT/_aws/lambda-url/{url-id}/ for clients that do not resolve *.localhost.
/// </summary>
public sealed partial class LambdaService
{
    public (LambdaFunction Function, FunctionUrlConfig Config) CreateFunctionUrlConfig(Scope scope, string functionName, string? qualifier, FunctionUrlSettings settings)
    {
        var (_, key) = UrlTarget(scope, functionName, qualifier);
        CheckUrlSettings(settings, creating: true);
        FunctionUrlConfig? created = null;
        var function = Change(scope, functionName, f =>
        {
            if (f.UrlConfigs.Any(c => c.Qualifier == key)) throw LambdaErrors.FunctionUrlExists(UrlArn(f, key));
            created = new FunctionUrlConfig
            {
                Qualifier = key,
                UrlId = NewUrlId(),
                AuthType = settings.AuthType!,
                Cors = settings.Cors,
                InvokeMode = settings.InvokeMode ?? "BUFFERED",
                CreationTime = UrlTimestamp,
                LastModifiedTime = UrlTimestamp,
            };
            return f with { UrlConfigs = [.. f.UrlConfigs, created] };
        });
        return (function, created!);
    }

    public (LambdaFunction Function, FunctionUrlConfig Config) GetFunctionUrlConfig(Scope scope, string functionName, string? qualifier)
    {
        var (function, key) = UrlTarget(scope, functionName, qualifier);
        return (function, function.UrlConfigs.FirstOrDefault(c => c.Qualifier == key) ?? throw LambdaErrors.ResourceNotFound());
    }

    public (LambdaFunction Function, FunctionUrlConfig Config) UpdateFunctionUrlConfig(Scope scope, string functionName, string? qualifier, FunctionUrlSettings settings)
    {
        var (_, key) = UrlTarget(scope, functionName, qualifier);
        CheckUrlSettings(settings, creating: false);
        FunctionUrlConfig? updated = null;
        var function = Change(scope, functionName, f =>
        {
            var current = f.UrlConfigs.FirstOrDefault(c => c.Qualifier == key) ?? throw LambdaErrors.ResourceNotFound();
            updated = current with
            {
                AuthType = settings.AuthType ?? current.AuthType,
                Cors = settings.Cors ?? current.Cors,
                InvokeMode = settings.InvokeMode ?? current.InvokeMode,
                LastModifiedTime = UrlTimestamp,
            };
            return f with { UrlConfigs = f.UrlConfigs.Select(c => c.Qualifier == key ? updated : c).ToList() };
        });
        return (function, updated!);
    }

    public void DeleteFunctionUrlConfig(Scope scope, string functionName, string? qualifier)
    {
        var (function, key) = UrlTarget(scope, functionName, qualifier);
        if (function.UrlConfigs.All(c => c.Qualifier != key)) throw LambdaErrors.ResourceNotFound();
        Change(scope, function.Name, f => f with { UrlConfigs = f.UrlConfigs.Where(c => c.Qualifier != key).ToList() });
    }

    public (LambdaFunction Function, IReadOnlyList<FunctionUrlConfig> Configs) ListFunctionUrlConfigs(Scope scope, string functionName)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, null);
        return (function, function.UrlConfigs);
    }

    /// <summary>The function and URL config a url-id names, in any account and region (the id is unique), or null.</summary>
    public (LambdaFunction Function, FunctionUrlConfig Config)? FindFunctionUrl(string urlId)
    {
        foreach (var function in _functions.Values)
            if (function.UrlConfigs.FirstOrDefault(c => c.UrlId == urlId) is { } config) return (function, config);
        return null;
    }

    /// <summary>The URL Stratus serves a config at (its host form), as FunctionUrl reports it.</summary>
    public string FunctionUrl(LambdaFunction function, FunctionUrlConfig config) =>
        $"http://{config.UrlId}.lambda-url.{function.Region}.localhost:{_address.BaseUrl.Port}/";

    /// <summary>The same URL's path form, which resolves for every client.</summary>
    public string FunctionUrlPathForm(FunctionUrlConfig config) => _address.Url($"/_aws/lambda-url/{config.UrlId}/");

    /// <summary>
    /// Whether the function's resource policy lets anyone call a URL with AuthType NONE: AWS requires a statement
    /// allowing lambda:InvokeFunctionUrl to "*" (with the FunctionUrlAuthType NONE condition), else answers 403.
    /// </summary>
    public static bool AllowsPublicUrl(LambdaFunction function, FunctionUrlConfig config) =>
        function.Policy.Any(s => s.Principal == "*"
            && s.Action is "lambda:InvokeFunctionUrl" or "lambda:*" or "*"
            && (s.FunctionUrlAuthType is null or "NONE")
            && (s.Resource == function.Arn || (config.Qualifier is { } alias && s.Resource == $"{function.Arn}:{alias}")));

    private static string UrlArn(LambdaFunction function, string? qualifier) => qualifier is null ? function.Arn : $"{function.Arn}:{qualifier}";

    /// <summary>A URL belongs to the unqualified function or to an alias; AWS refuses versions and $LATEST.</summary>
    private (LambdaFunction Function, string? Qualifier) UrlTarget(Scope scope, string functionName, string? qualifier)
    {
        var key = qualifier ?? ParseName(functionName).Qualifier;
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        if (key is not null && function.Aliases.All(a => a.Name != key)) throw LambdaErrors.UrlQualifierNotAlias(key);
        return (function, key);
    }

    private static void CheckUrlSettings(FunctionUrlSettings settings, bool creating)
    {
        if (creating && settings.AuthType is null) throw LambdaErrors.Validation.Missing("authType");
        // An update leaves out what it does not change; what is given meets the rules the wire checked.
        if (settings.AuthType is not null) LambdaRules.Check("CreateFunctionUrlConfig", "AuthType", settings.AuthType);
        if (settings.InvokeMode is not null) LambdaRules.Check("CreateFunctionUrlConfig", "InvokeMode", settings.InvokeMode);
        if (settings.Cors is { MaxAge: { } maxAge }) LambdaRules.Check("CreateFunctionUrlConfig", "Cors", new { MaxAge = maxAge });
    }

    private string UrlTimestamp => _clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static string NewUrlId()
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(32, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        });
    }
}
