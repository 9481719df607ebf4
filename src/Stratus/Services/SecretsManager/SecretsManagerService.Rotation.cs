using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Protocols;
using Stratus.Services.Events;
using Stratus.Services.Lambda;
using Stratus.Services.SecretsManager.Engine;

namespace Stratus.Services.SecretsManager;

/// <summary>
/// Rotation through a rotation Lambda function, as AWS runs it: RotateSecret records the function and rules,
/// makes the new version (the ClientRequestToken) labelled AWSPENDING without a value, and invokes the
/// function with the steps createSecret, setSecret, testSecret and finishSecret in turn. The function fills
/// in the value (PutSecretValue) and moves AWSCURRENT (UpdateSecretVersionStage); a step that fails stops the
/// rotation and leaves AWSPENDING where it is, and the rotation is reattempted by the next RotateSecret.
/// Each rotation is reported to EventBridge's default bus as AWS's CloudTrail service events RotationStarted,
/// RotationSucceeded and RotationFailed.
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
    private EventsService? _eventBuses;

    public void Dispose() => _schedule?.Dispose();

    /// <summary>
    /// EventBridge is built after Secrets Manager (RDS needs Secrets Manager first), so its domain is handed over once
    /// built; rotation events go to its default bus from then on.
    /// </summary>
    public void ReportRotationEventsTo(EventsService eventBuses) => _eventBuses = eventBuses;

    /// <summary>
    /// RotateSecret. A secret another service owns rotates through that service; any other through its rotation
    /// function, whose steps run in the background after the call answers (as AWS's do). With RotateImmediately false,
    /// AWS only tests the configuration: it makes an AWSPENDING version, runs the function's testSecret step on it and
    /// removes it again, and the rotation waits for the schedule's next window.
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
        if (request.Rules is { } given) RotationSchedule.Parse(given);
        await RequireInvokableAsync(scope, secret, function, cancellation);

        var pending = secret.VersionWithStage(SecretsManagerRules.Pending);
        if (pending is not null && !pending.Stages.Contains(SecretsManagerRules.Current))
        {
            Configure(scope, secret, function, rules);
            StartRotation(scope, secret.Arn, function, pending.VersionId);
            throw SecretsManagerErrors.PreviousRotationIncomplete();
        }
        secret = Configure(scope, secret, function, rules);
        if (!request.RotateImmediately)
        {
            StartRotationTest(scope, secret, function);
            return (secret, null);
        }
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
        return _secrets.Update(Key(scope, secret.Name), s => s with { RotationEnabled = false, NextRotationWindow = null, LastChanged = Now })!;
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

    /// <summary>
    /// Rotates every secret whose rotation window has opened; the schedule's timer calls this each minute, so a rotation
    /// starts within its first minute (a window Stratus was stopped through is caught up once, when it starts again).
    /// </summary>
    public void RotateDueSecrets()
    {
        var now = Now;
        foreach (var (key, secret) in _secrets.Entries.ToList())
        {
            if (!secret.RotationEnabled || secret.NextRotationWindow is not { } due || due.Opens > now || secret.IsScheduledForDeletion || secret.RotationLambdaArn is null) continue;
            var parts = secret.Arn.Split(':');
            var scope = Scope.Of(parts[4], parts[3]);
            // The next window comes first, so a rotation that fails is tried again in the next window, not every tick.
            _secrets.Update(key, s => s with { NextRotationWindow = NextWindow(due.Closes.AddTicks(-1), s.RotationRules) });
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
            NextRotationWindow = NextWindow(s.LastRotated ?? Now, rules),
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

    /// <summary>The four steps in turn; the first that fails ends the rotation, logged with the step and reported as RotationFailed.</summary>
    private async Task RunRotationAsync(Scope scope, string secretArn, string function, string token)
    {
        Report(scope, secretArn, "RotationStarted");
        foreach (var step in RotationSteps)
        {
            if (await RunStepAsync(scope, secretArn, function, token, step) is { } failure)
            {
                _logger.LogWarning("Rotation of {Secret} failed at step {Step}: {Failure}", secretArn, step, failure);
                Report(scope, secretArn, "RotationFailed");
                return;
            }
        }
        try
        {
            var secret = Find(scope, secretArn);
            if (secret.Versions.FirstOrDefault(v => v.VersionId == token) is not { } version || !version.Stages.Contains(SecretsManagerRules.Current))
            {
                _logger.LogWarning("Rotation of {Secret}: finishSecret did not make version {Version} AWSCURRENT", secretArn, token);
                Report(scope, secretArn, "RotationFailed");
                return;
            }
            var now = Now;
            _secrets.Update(Key(scope, secret.Name), s => s with
            {
                LastRotated = now,
                NextRotationWindow = s.RotationEnabled ? NextWindow(now, s.RotationRules) : null,
            });
            Report(scope, secretArn, "RotationSucceeded");
        }
        catch (AwsException e)
        {
            _logger.LogWarning("Rotation of {Secret} finished but the secret is gone: {Error}", secretArn, e.Message);
        }
    }

    /// <summary>
    /// RotateImmediately false: a version labelled AWSPENDING holding the current value (so the step can read it as a
    /// rotation's would) is made, the function's testSecret step runs on it, and the version is removed again, as AWS
    /// describes; a test that fails is reported as RotationFailed and leaves the schedule in place.
    /// </summary>
    private void StartRotationTest(Scope scope, Secret secret, string function)
    {
        var token = Guid.NewGuid().ToString();
        var current = secret.VersionWithStage(SecretsManagerRules.Current);
        var test = current is null
            ? new SecretVersion(token, null, null, [SecretsManagerRules.Pending], Now, secret.KmsKeyId)
            : Seal(secret.Arn, token, Open(secret, current), [SecretsManagerRules.Pending], secret.KmsKeyId);
        var key = Key(scope, secret.Name);
        _secrets.Update(key, s => s with { Versions = [.. s.Versions, test] });
        _ = Task.Run(async () =>
        {
            var failure = await RunStepAsync(scope, secret.Arn, function, token, "testSecret");
            _secrets.Update(key, s => s with { Versions = [.. s.Versions.Where(v => v.VersionId != token)] });
            if (failure is null) return;
            _logger.LogWarning("Testing the rotation of {Secret} failed at step testSecret: {Failure}", secret.Arn, failure);
            Report(scope, secret.Arn, "RotationFailed");
        });
    }

    /// <summary>Invokes one step as Secrets Manager's service principal; the failure's description, or null when the step succeeded.</summary>
    private async Task<string?> RunStepAsync(Scope scope, string secretArn, string function, string token, string step)
    {
        var payload = new JsonObject { ["Step"] = step, ["SecretId"] = secretArn, ["ClientRequestToken"] = token };
        try
        {
            var result = await _lambda!.InvokeAsync(new LambdaInvokeRequest(scope.AccountId, scope.Region, function, null,
                Encoding.UTF8.GetBytes(payload.ToJsonString()), ServicePrincipal, secretArn), CancellationToken.None);
            return result.FunctionError is null ? null : Encoding.UTF8.GetString(result.Payload.Span);
        }
        catch (AwsException e)
        {
            return $"{e.Code}: {e.Message}";
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
        {
            return "Stratus is stopping";
        }
    }

    /// <summary>
    /// A rotation event as AWS delivers it to the default bus: a CloudTrail record of a service event (detail-type
    /// "AWS Service Event via CloudTrail", source aws.secretsmanager) naming the secret in additionalEventData, never its value.
    /// </summary>
    private void Report(Scope scope, string secretArn, string eventName)
    {
        if (_eventBuses is null) return;
        var now = Now;
        var detail = new JsonObject
        {
            ["eventVersion"] = "1.08",
            ["userIdentity"] = new JsonObject { ["accountId"] = scope.AccountId, ["invokedBy"] = ServicePrincipal },
            ["eventTime"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["eventSource"] = ServicePrincipal,
            ["eventName"] = eventName,
            ["awsRegion"] = scope.Region,
            ["sourceIPAddress"] = ServicePrincipal,
            ["userAgent"] = ServicePrincipal,
            ["requestParameters"] = null,
            ["responseElements"] = null,
            ["additionalEventData"] = new JsonObject { ["SecretId"] = secretArn },
            ["eventID"] = Guid.NewGuid().ToString(),
            ["readOnly"] = false,
            ["eventType"] = "AwsServiceEvent",
            ["managementEvent"] = true,
            ["recipientAccountId"] = scope.AccountId,
            ["eventCategory"] = "Management",
        };
        _eventBuses.PutEvents(scope, [new EventEntry("aws.secretsmanager", "AWS Service Event via CloudTrail", detail.ToJsonString(), [], now, null)]);
    }

    private static RotationWindow? NextWindow(DateTimeOffset from, RotationRules? rules) => RotationSchedule.Parse(rules)?.NextWindow(from);
}
