using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Lambda;
using Stratus.Services.SecretsManager;

namespace Stratus.Tests.Services.SecretsManager;

/// <summary>Scheduled rotation: when NextRotationDate comes, the schedule runs the rotation function's four steps.</summary>
public sealed class SecretsManagerRotationScheduleTests
{
    private static readonly Scope Scope = Scope.Of("000000000000", "us-east-1");

    /// <summary>Does what a rotation function does, straight through the domain: puts the pending value, then makes it current.</summary>
    private sealed class RotationFunction : ILambdaInvoker
    {
        public SecretsManagerService? Secrets { get; set; }
        public ConcurrentQueue<string> Steps { get; } = new();

        public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation)
        {
            if (request.DryRun) return Task.FromResult(new LambdaInvokeResult(ReadOnlyMemory<byte>.Empty, null, "$LATEST"));
            Assert.Equal(SecretsManagerService.ServicePrincipal, request.CallerPrincipal);
            var step = JsonNode.Parse(request.Payload.Span)!;
            var (arn, token) = ((string)step["SecretId"]!, (string)step["ClientRequestToken"]!);
            Steps.Enqueue((string)step["Step"]!);
            if ((string?)step["Step"] == "createSecret")
                Secrets!.PutValue(Scope, arn, token, new SecretValue("rotated-by-schedule", null), [SecretsManagerRules.Pending]);
            if ((string?)step["Step"] == "finishSecret")
            {
                var current = Secrets!.Find(Scope, arn).VersionWithStage(SecretsManagerRules.Current)!.VersionId;
                Secrets.UpdateStage(Scope, arn, SecretsManagerRules.Current, current, token);
            }
            return Task.FromResult(new LambdaInvokeResult("null"u8.ToArray(), null, "$LATEST"));
        }
    }

    [Fact]
    public async Task A_secret_rotates_when_its_next_rotation_date_comes_and_not_before()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var store = StateStore.Ephemeral();
        var function = new RotationFunction();
        using var secrets = new SecretsManagerService(store, clock, null, function);
        function.Secrets = secrets;
        secrets.Create(Scope, new CreateSecretRequest("scheduled", null, null, null, new SecretValue("first", null), []));

        await secrets.RotateAsync(Scope, new RotateSecretRequest("scheduled", null, "rotator", new RotationRules(2, null, null), RotateImmediately: false), CancellationToken.None);
        Assert.Equal(clock.GetUtcNow().AddDays(2), secrets.Find(Scope, "scheduled").NextRotation);

        clock.Advance(TimeSpan.FromDays(1));
        Assert.Empty(function.Steps);
        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (secrets.Find(Scope, "scheduled").LastRotated is null && DateTime.UtcNow < deadline) await Task.Delay(50);

        var rotated = secrets.Find(Scope, "scheduled");
        Assert.Equal(["createSecret", "setSecret", "testSecret", "finishSecret"], function.Steps);
        Assert.Equal("rotated-by-schedule", secrets.CurrentString(Scope, "scheduled"));
        Assert.Equal(rotated.LastRotated!.Value.AddDays(2), rotated.NextRotation);
    }
}
