using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Events;
using Stratus.Services.Lambda;
using Stratus.Services.SecretsManager;
using Stratus.Tests.Services.CloudWatch;
using Stratus.Tests.Services.Events;

namespace Stratus.Tests.Services.SecretsManager;

/// <summary>
/// Scheduled rotation on a fake clock: the rotation function's four steps run when the rotation window opens, RotateImmediately
/// false runs only testSecret on a version it then removes, and rotations are reported to EventBridge's default bus.
/// </summary>
public sealed class SecretsManagerRotationScheduleTests : IDisposable
{
    private static readonly Scope Scope = Scope.Of("000000000000", "us-east-1");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-05T10:00:00Z", CultureInfo.InvariantCulture));
    private readonly StateStore _store = StateStore.Ephemeral();
    private readonly RotationFunction _function = new();
    private readonly SecretsManagerService _secrets;

    public SecretsManagerRotationScheduleTests()
    {
        _secrets = new SecretsManagerService(_store, _clock, null, _function);
        _function.Secrets = _secrets;
        _secrets.Create(Scope, new CreateSecretRequest("scheduled", null, null, null, new SecretValue("first", null), []));
    }

    public void Dispose()
    {
        _secrets.Dispose();
        _store.Dispose();
    }

    /// <summary>Does what a rotation function does, straight through the domain: puts the pending value, then makes it current.</summary>
    private sealed class RotationFunction : ILambdaInvoker
    {
        public SecretsManagerService? Secrets { get; set; }
        public ConcurrentQueue<string> Steps { get; } = new();
        /// <summary>What the testSecret step read at AWSPENDING under its token.</summary>
        public ConcurrentQueue<string?> Tested { get; } = new();
        public string? FailingStep { get; set; }

        public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation)
        {
            if (request.DryRun) return Task.FromResult(new LambdaInvokeResult(ReadOnlyMemory<byte>.Empty, null, "$LATEST"));
            Assert.Equal(SecretsManagerService.ServicePrincipal, request.CallerPrincipal);
            var step = JsonNode.Parse(request.Payload.Span)!;
            var (arn, token, name) = ((string)step["SecretId"]!, (string)step["ClientRequestToken"]!, (string)step["Step"]!);
            Steps.Enqueue(name);
            if (name == FailingStep) return Task.FromResult(new LambdaInvokeResult("""{"errorMessage":"the step failed"}"""u8.ToArray(), "Unhandled", "$LATEST"));
            if (name == "createSecret")
                Secrets!.PutValue(Scope, arn, token, new SecretValue("rotated-by-schedule", null), [SecretsManagerRules.Pending]);
            if (name == "testSecret")
                Tested.Enqueue(Secrets!.GetValue(Scope, arn, token, SecretsManagerRules.Pending).Value.String);
            if (name == "finishSecret")
            {
                var current = Secrets!.Find(Scope, arn).VersionWithStage(SecretsManagerRules.Current)!.VersionId;
                Secrets.UpdateStage(Scope, arn, SecretsManagerRules.Current, current, token);
            }
            return Task.FromResult(new LambdaInvokeResult("null"u8.ToArray(), null, "$LATEST"));
        }
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(condition());
    }

    private Task Schedule(RotationRules rules) =>
        _secrets.RotateAsync(Scope, new RotateSecretRequest("scheduled", null, "rotator", rules, RotateImmediately: false), CancellationToken.None);

    private Secret Scheduled => _secrets.Find(Scope, "scheduled");

    [Fact]
    public async Task Rotate_immediately_false_runs_only_test_secret_on_a_pending_copy_it_then_removes()
    {
        await Schedule(new RotationRules(2, null, null));
        await Until(() => _function.Tested.Count == 1 && Scheduled.Versions.Count == 1);

        Assert.Equal(["testSecret"], _function.Steps);
        Assert.Equal(["first"], _function.Tested);
        Assert.Equal([SecretsManagerRules.Current], Assert.Single(Scheduled.Versions).Stages);
        Assert.Null(Scheduled.LastRotated);
        Assert.Equal("first", _secrets.CurrentString(Scope, "scheduled"));
    }

    [Fact]
    public async Task A_secret_rotates_when_its_window_opens_and_not_before()
    {
        await Schedule(new RotationRules(2, null, null));
        await Until(() => Scheduled.Versions.Count == 1);
        // AutomaticallyAfterDays 2: the whole UTC day two days on, reported as its last second.
        Assert.Equal(DateTimeOffset.Parse("2026-12-07T00:00:00Z", CultureInfo.InvariantCulture), Scheduled.NextRotationWindow!.Opens);
        Assert.Equal(DateTimeOffset.Parse("2026-12-07T23:59:59Z", CultureInfo.InvariantCulture), Scheduled.NextRotationWindow.ReportedDate);

        _clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(["testSecret"], _function.Steps);
        _clock.Advance(TimeSpan.FromHours(14) + TimeSpan.FromMinutes(1));
        await Until(() => Scheduled.LastRotated is not null);

        Assert.Equal(["testSecret", "createSecret", "setSecret", "testSecret", "finishSecret"], _function.Steps);
        Assert.Equal("rotated-by-schedule", _secrets.CurrentString(Scope, "scheduled"));
        Assert.Equal(DateTimeOffset.Parse("2026-12-09T00:00:00Z", CultureInfo.InvariantCulture), Scheduled.NextRotationWindow!.Opens);
    }

    [Fact]
    public async Task A_cron_schedule_rotates_within_its_window()
    {
        await Schedule(new RotationRules(null, "3h", "cron(0 16 * * ? *)"));
        await Until(() => Scheduled.Versions.Count == 1);
        Assert.Equal(DateTimeOffset.Parse("2026-12-05T18:59:59Z", CultureInfo.InvariantCulture), Scheduled.NextRotationWindow!.ReportedDate);

        _clock.Advance(TimeSpan.FromHours(5) + TimeSpan.FromMinutes(59));
        Assert.Equal(["testSecret"], _function.Steps);
        _clock.Advance(TimeSpan.FromMinutes(2));
        await Until(() => Scheduled.LastRotated is not null);

        var rotated = Scheduled.LastRotated!.Value;
        Assert.InRange(rotated, DateTimeOffset.Parse("2026-12-05T16:00:00Z", CultureInfo.InvariantCulture), DateTimeOffset.Parse("2026-12-05T19:00:00Z", CultureInfo.InvariantCulture));
        Assert.Equal(DateTimeOffset.Parse("2026-12-06T16:00:00Z", CultureInfo.InvariantCulture), Scheduled.NextRotationWindow!.Opens);
    }

    [Fact]
    public async Task A_failed_rotation_reaches_a_rule_on_the_default_bus_as_awss_cloudtrail_service_event()
    {
        var targets = new RecordingLambda();
        var events = new EventsService(_store, _clock, targets, new RecordingMetrics(), NullLogger.Instance);
        _secrets.ReportRotationEventsTo(events);
        events.PutRule(Scope, new RuleSettings("rotation-failures", null,
            """{"source":["aws.secretsmanager"],"detail-type":["AWS Service Event via CloudTrail"],"detail":{"eventName":["RotationFailed"]}}""",
            null, null, null, null, new Dictionary<string, string>()));
        events.PutTargets(Scope, "rotation-failures", null, [new EventTarget("recorder", "arn:aws:lambda:us-east-1:000000000000:function:recorder", null, null, null)]);
        _function.FailingStep = "setSecret";

        var (secret, _) = await _secrets.RotateAsync(Scope, new RotateSecretRequest("scheduled", null, "rotator", null, RotateImmediately: true), CancellationToken.None);
        await Until(() => !targets.Requests.IsEmpty);

        var delivered = Assert.Single(targets.Payloads);
        Assert.Equal("aws.secretsmanager", (string?)delivered["source"]);
        Assert.Equal("RotationFailed", (string?)delivered["detail"]!["eventName"]);
        Assert.Equal("secretsmanager.amazonaws.com", (string?)delivered["detail"]!["eventSource"]);
        Assert.Equal("AwsServiceEvent", (string?)delivered["detail"]!["eventType"]);
        Assert.Equal(secret.Arn, (string?)delivered["detail"]!["additionalEventData"]!["SecretId"]);
        Assert.DoesNotContain("rotated-by-schedule", delivered.ToJsonString());
        Assert.DoesNotContain("first", delivered.ToJsonString());
    }
}
