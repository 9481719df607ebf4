using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;
using Stratus.Services.Ecr;
using Stratus.Services.Iam;
using Stratus.Services.Lambda;
using Stratus.Services.Lambda.Engine;
using Stratus.Services.Logs;

using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>What Lambda hands CloudWatch Logs and metrics for each invocation and throttle.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaTelemetryTests : IAsyncLifetime, ILogWriter, IMetricPublisher
{
    private const string Account = "000000000000";
    private const string Region = "us-east-1";
    private readonly ConcurrentQueue<(string Group, string Stream, IReadOnlyList<LogLine> Lines)> _logs = new();
    private readonly ConcurrentQueue<MetricDatum> _metrics = new();
    private readonly string _workDir = Directory.CreateTempSubdirectory("stratus-lambda-telemetry-").FullName;
    private StateStore _store = null!;
    private LambdaService _lambda = null!;
    private EcrService _ecr = null!;

    void ILogWriter.Append(string accountId, string region, string logGroup, string logStream, IReadOnlyList<LogLine> lines) => _logs.Enqueue((logGroup, logStream, lines));

    void IMetricPublisher.Publish(MetricDatum datum) => _metrics.Enqueue(datum);

    public Task InitializeAsync()
    {
        _store = StateStore.Ephemeral();
        var iam = new IamService(_store, TimeProvider.System);
        var role = iam.CreateRole(Scope.Of(Account, Region), "telemetry-role", new RoleSettings(null,
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""",
            null, null), []);
        var address = StratusAddress.Known(new Uri("http://127.0.0.1:1"));
        _ecr = new EcrService(_store, TimeProvider.System, Path.Combine(_workDir, "ecr"), EcrSettings.FromEnvironment(), address, NullLogger.Instance);
        var kms = new Stratus.Services.Kms.KmsService(_store, TimeProvider.System, null);
        _lambda = LambdaService.Start(_store, TimeProvider.System, iam, null, this, this, _ecr, _workDir, new LambdaSettings(), address, new Stratus.Services.Ec2.Ec2Service(_store, TimeProvider.System),
            kms, kms);
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        using (var writer = new StreamWriter(zip.CreateEntry("app.py").Open()))
            writer.Write("def handler(event, context):\n    print('working on', event['n'])\n    if event['n'] == 2:\n        raise KeyError('n')\n    return event\n");
        _lambda.CreateFunction(Scope.Of(Account, Region), "observed", new FunctionSettings { Runtime = "python3.12", Handler = "app.handler", Role = role.Arn, Timeout = 60 },
            new FunctionCode(buffer.ToArray(), null), null, [], publish: false);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _lambda.DisposeAsync();
        _ecr.Dispose();
        _store.Dispose();
        Directory.Delete(_workDir, recursive: true);
    }

    private Task<InvokeResponse> InvokeAsync(int n) =>
        _lambda.InvokeAsync(Scope.Of(Account, Region), "observed", null, Encoding.UTF8.GetBytes($$"""{"n":{{n}}}"""), new InvokeOptions("RequestResponse", false, null), CancellationToken.None);

    [Fact]
    public async Task Invocations_write_START_END_REPORT_and_AWS_Lambda_metrics()
    {
        // Timeout 60 s (above): a loaded machine must not time the first invoke out, or the second would run in a new environment.
        var succeeded = await InvokeAsync(1);
        Assert.Null(succeeded.FunctionError);
        var failed = await InvokeAsync(2);
        Assert.Equal("Unhandled", failed.FunctionError);
        _lambda.PutFunctionConcurrency(Scope.Of(Account, Region), "observed", 0);
        await Assert.ThrowsAsync<Stratus.Protocols.AwsException>(() => InvokeAsync(3));

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((_logs.Count < 2 || _metrics.Count(m => m.MetricName == "Throttles") < 3 || _metrics.Count(m => m.MetricName == "ConcurrentExecutions") < 2)
               && DateTime.UtcNow < deadline)
            await Task.Delay(50);

        var batches = _logs.ToList();
        Assert.Equal(2, batches.Count);
        Assert.All(batches, b => Assert.Equal("/aws/lambda/observed", b.Group));
        Assert.All(batches, b => Assert.Matches(@"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", b.Stream));
        // Both invokes ran in one environment, so they share its log stream; if not, the lines say why the first one ended.
        Assert.True(batches[0].Stream == batches[1].Stream,
            "two environments: " + string.Join(" | ", batches.Select(b => b.Stream + ": " + string.Join(" / ", b.Lines.Select(l => l.Message)))));
        var first = batches[0].Lines.Select(l => l.Message).ToList();
        Assert.StartsWith("START RequestId: ", first[0]);
        Assert.EndsWith(" Version: $LATEST", first[0]);
        Assert.Contains("working on 1", first);
        Assert.StartsWith("END RequestId: ", first[^2]);
        Assert.Matches(@"^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms$", first[^1]);
        Assert.DoesNotContain("Init Duration", batches[1].Lines[^1].Message);

        var metrics = _metrics.ToList();
        Assert.All(metrics, m => Assert.Equal(("AWS/Lambda", "FunctionName", "observed"), (m.Namespace, m.Dimensions[0].Key, m.Dimensions[0].Value)));
        Assert.Equal(2, metrics.Where(m => m.MetricName == "Invocations").Sum(m => m.Value));
        Assert.Equal(1, metrics.Where(m => m.MetricName == "Errors").Sum(m => m.Value));
        Assert.Equal(1, metrics.Where(m => m.MetricName == "Throttles").Sum(m => m.Value));
        Assert.Equal(3, metrics.Count(m => m.MetricName == "Throttles"));
        Assert.Equal(2, metrics.Count(m => m.MetricName == "Duration" && m.Unit == "Milliseconds" && m.Value > 0));
        Assert.Contains(metrics, m => m.MetricName == "ConcurrentExecutions" && m.Value == 1);
    }
}
