using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Stratus.Protocols;
using Stratus.Services.Lambda;

namespace Stratus.Services.SecretsManager;

/// <summary>
/// Rotation through a rotation Lambda function, as AWS runs it: RotateSecret records the function and rules,
/// makes the new version (the ClientRequestToken) labelled AWSPENDING without a value, and invokes the
/// function with the steps createSecret, setSecret, testSecret and finishSecret in turn. The function fills
/// in the value (PutSecretValue) and moves AWSCURRENT (UpdateSecretVersionStage); a step that fails stops the
/// rotation and leaves AWSPENDING where it is, and the rotation is reattempted by the next RotateSecret.
/// </summary>
public sealed partial class SecretsManagerService : IDisposable
{
    /// <summary>How often the schedule looks for secrets whose NextRotationDate has come (AWS's schedules are no finer than hours).</summary>
    private static readonly TimeSpan ScheduleInterval = TimeSpan.FromMinutes(1);

    /// <summary>The service principal a rotation function's resource policy must allow, as on AWS.</summary>
    public const string ServicePrincipal = "secretsmanager.amazonaws.com";

    private static readonly string[] RotationSteps = ["createSecret", "setSecret", "testSecret", "finishSecret"];

    private readonly ILambdaInvoker? _lambda;
    private readonly ILogger _logger;
    private readonly ITimer? _schedule;

    public void Dispose() => _schedule?.Dispose();

    /// <summary>
    /// RotateSecret. A secret another service owns rotates through that service; any other through its rotation
    /// function, whose steps run in the background after the call answers (as AWS's do), unless RotateImmediately is false.
    /// </summary>
    /// <returns>The secret and the version id the rotation makes, or null when nothing rotates now.</returns>
    public async Task<(Secret Secret, string? VersionId)> RotateAsync(Scope scope, RotateSecretRequest request, CancellationToken cancellation)
    {
        var secret = Live(scope, request.SecretId);
        if (secret.OwningService is { } service)
        {
            if (request.RotationLambdaArn is not null || !_owners.TryGetValue(service, out var owner)) throw SecretsManagerErrors.ManagedByService(service);
            var (rotated, version) = await RotateOwnedAsync(scope, secret, owner, request.ClientRequestToken, cancellation);
            return (rotated, version.VersionId);
        }
        var function = request.RotationLambdaArn ?? secret.RotationLambdaArn ?? throw SecretsManagerErrors.NoRotationFunction();
        var rules = request.Rules ?? secret.RotationRules;
        if (request.Rules is { } given) CheckRules(given);
        await RequireInvokableAsync(scope, secret, function, cancellation);

        var pending = secret.VersionWithStage(SecretsManagerRules.Pending);
        if (pending is not null && !pending.Stages.Contains(SecretsManagerRules.Current))
        {
            Configure(scope, secret, function, rules);
            StartRotation(scope, secret.Arn, function, pending.VersionId);
            throw SecretsManagerErrors.PreviousRotationIncomplete();
        }
        secret = Configure(scope, secret, function, rules);
        if (!request.RotateImmediately) return (secret, null);
        var token = SecretsManagerRules.VersionId(request.ClientRequestToken);
        if (secret.Versions.Any(v => v.VersionId == token)) throw SecretsManagerErrors.VersionExists();
        var placeholder = new SecretVersion(token, null, null, [SecretsManagerRules.Pending], Now, secret.KmsKeyId);
        secret = _secrets.Update(Key(scope, secret.Name), s => s with
        {
            Versions = [.. s.Versions.Select(v => v with { Stages = [.. v.Stages.Where(l => l != SecretsManagerRules.Pending)] }), placeholder],
            LastChanged = Now,
        })!;
        StartRotation(scope, secret.Arn, function, token);
        return (secret, token);
    }

    /// <summary>CancelRotateSecret: turns rotation off, keeping the function and rules (DescribeSecret still shows them, as on AWS).</summary>
    public Secret CancelRotation(Scope scope, string secretId)
    {
        var secret = Live(scope, secretId);
        if (!secret.RotationEnabled) throw SecretsManagerErrors.NotConfiguredForRotation();
        return _secrets.Update(Key(scope, secret.Name), s => s with { RotationEnabled = false, NextRotation = null, LastChanged = Now })!;
    }

    private void RotateDueSecretsOnSchedule()
    {
        try
        {
            RotateDueSecrets();
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Scheduled secret rotation failed");
        }
    }

    /// <summary>Rotates every secret whose NextRotationDate has come; the schedule's timer calls this each minute.</summary>
    public void RotateDueSecrets()
    {
        var now = Now;
        foreach (var (key, secret) in _secrets.Entries.ToList())
        {
            if (!secret.RotationEnabled || secret.NextRotation is not { } due || due > now || secret.IsScheduledForDeletion || secret.RotationLambdaArn is null) continue;
            var parts = secret.Arn.Split(':');
            var scope = Scope.Of(parts[4], parts[3]);
            // The next date moves on first, so a rotation that fails is tried again on the next schedule, not every tick.
            _secrets.Update(key, s => s with { NextRotation = NextRotationAfter(now, s.RotationRules) });
            if (secret.VersionWithStage(SecretsManagerRules.Pending) is { } pending && !pending.Stages.Contains(SecretsManagerRules.Current))
            {
                StartRotation(scope, secret.Arn, secret.RotationLambdaArn, pending.VersionId);
                continue;
            }
            var token = Guid.NewGuid().ToString();
            _secrets.Update(key, s => s with
            {
                Versions = [.. s.Versions.Select(v => v with { Stages = [.. v.Stages.Where(l => l != SecretsManagerRules.Pending)] }),
                    new SecretVersion(token, null, null, [SecretsManagerRules.Pending], now, s.KmsKeyId)],
                LastChanged = now,
            });
            StartRotation(scope, secret.Arn, secret.RotationLambdaArn, token);
        }
    }

    private Secret Configure(Scope scope, Secret secret, string function, RotationRules? rules) =>
        _secrets.Update(Key(scope, secret.Name), s => s with
        {
            RotationEnabled = true,
            RotationLambdaArn = function,
            RotationRules = rules,
            NextRotation = NextRotationAfter(s.LastRotated ?? Now, rules),
            LastChanged = Now,
        })!;

    /// <summary>AWS checks at RotateSecret that it may invoke the function (its resource policy names secretsmanager.amazonaws.com).</summary>
    private async Task RequireInvokableAsync(Scope scope, Secret secret, string function, CancellationToken cancellation)
    {
        if (_lambda is null) throw SecretsManagerErrors.CannotInvokeRotationFunction();
        try
        {
            await _lambda.InvokeAsync(new LambdaInvokeRequest(scope.AccountId, scope.Region, function, null, ReadOnlyMemory<byte>.Empty,
                ServicePrincipal, secret.Arn, DryRun: true), cancellation);
        }
        catch (AwsException e) when (e.Code is "AccessDeniedException" or "ResourceNotFoundException")
        {
            throw SecretsManagerErrors.CannotInvokeRotationFunction();
        }
    }

    private void StartRotation(Scope scope, string secretArn, string function, string token) =>
        _ = Task.Run(() => RunRotationAsync(scope, secretArn, function, token));

    /// <summary>The four steps in turn; the first that fails ends the rotation, logged with the step, as AWS reports RotationFailed.</summary>
    private async Task RunRotationAsync(Scope scope, string secretArn, string function, string token)
    {
        foreach (var step in RotationSteps)
        {
            var payload = new JsonObject { ["Step"] = step, ["SecretId"] = secretArn, ["ClientRequestToken"] = token };
            string? failure;
            try
            {
                var result = await _lambda!.InvokeAsync(new LambdaInvokeRequest(scope.AccountId, scope.Region, function, null,
                    Encoding.UTF8.GetBytes(payload.ToJsonString()), ServicePrincipal, secretArn), CancellationToken.None);
                failure = result.FunctionError is null ? null : Encoding.UTF8.GetString(result.Payload.Span);
            }
            catch (AwsException e)
            {
                failure = $"{e.Code}: {e.Message}";
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
            {
                failure = "Stratus is stopping";
            }
            if (failure is not null)
            {
                _logger.LogWarning("Rotation of {Secret} failed at step {Step}: {Failure}", secretArn, step, failure);
                return;
            }
        }
        try
        {
            var secret = Find(scope, secretArn);
            if (secret.Versions.FirstOrDefault(v => v.VersionId == token) is not { } version || !version.Stages.Contains(SecretsManagerRules.Current))
            {
                _logger.LogWarning("Rotation of {Secret}: finishSecret did not make version {Version} AWSCURRENT", secretArn, token);
                return;
            }
            var now = Now;
            _secrets.Update(Key(scope, secret.Name), s => s with
            {
                LastRotated = now,
                NextRotation = s.RotationEnabled ? NextRotationAfter(now, s.RotationRules) : null,
            });
        }
        catch (AwsException e)
        {
            _logger.LogWarning("Rotation of {Secret} finished but the secret is gone: {Error}", secretArn, e.Message);
        }
    }

    [GeneratedRegex(@"^rate\((\d+) (hours|days)\)$")]
    private static partial Regex RateExpression();

    [GeneratedRegex(@"^(\d+)h$")]
    private static partial Regex DurationHours();

    /// <summary>AWS's limits: AutomaticallyAfterDays 1 to 1000; rate() in hours (4 at least) or days; a Duration of 1 to 24 hours.</summary>
    private static void CheckRules(RotationRules rules)
    {
        if (rules.AutomaticallyAfterDays is not null && rules.ScheduleExpression is not null)
            throw SecretsManagerErrors.InvalidRotationRules("You can't specify both AutomaticallyAfterDays and ScheduleExpression.");
        if (rules.AutomaticallyAfterDays is { } days && days is < 1 or > 1000)
            throw SecretsManagerErrors.InvalidRotationRules("The AutomaticallyAfterDays value must be between 1 and 1000 days.");
        if (rules.ScheduleExpression is { } expression)
        {
            if (expression.StartsWith("cron(", StringComparison.Ordinal)) throw SecretsManagerErrors.CronScheduleNotBuilt();
            var rate = RateExpression().Match(expression);
            if (!rate.Success || !int.TryParse(rate.Groups[1].Value, out var count)
                || (rate.Groups[2].Value == "hours" ? count is < 4 or > 23 : count is < 1 or > 1000))
                throw SecretsManagerErrors.InvalidRotationRules($"The schedule expression {expression} is not valid.");
        }
        if (rules.Duration is { } duration
            && (DurationHours().Match(duration) is not { Success: true } hours || int.Parse(hours.Groups[1].Value) is < 1 or > 24))
            throw SecretsManagerErrors.InvalidRotationRules("The Duration value must be between 1h and 24h.");
    }

    private static DateTimeOffset? NextRotationAfter(DateTimeOffset from, RotationRules? rules)
    {
        if (rules?.AutomaticallyAfterDays is { } days) return from.AddDays(days);
        if (rules?.ScheduleExpression is { } expression && RateExpression().Match(expression) is { Success: true } rate)
        {
            var count = int.Parse(rate.Groups[1].Value);
            return rate.Groups[2].Value == "hours" ? from.AddHours(count) : from.AddDays(count);
        }
        return null;
    }
}
