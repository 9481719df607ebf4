using System.Text.Json.Nodes;
using Stratus.Host;
using Stratus.Services.CloudFormation.Engine;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>AWS::CloudFormation::WaitConditionHandle: Ref is the URL to PUT signals to, served by Stratus (<see cref="WaitConditionSignals"/>).</summary>
public sealed class WaitConditionHandleProvider(WaitConditionSignals signals, StratusAddress address) : IResourceProvider
{
    public string Type => "AWS::CloudFormation::WaitConditionHandle";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var path = WaitConditionSignals.NewPath();
        signals.Open(WaitConditionSignals.TokenOf(path)!);
        return Task.FromResult(new ProvisionedResource(address.BaseUrl.ToString().TrimEnd('/') + path, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        if (WaitConditionSignals.TokenOf(current.PhysicalId) is { } token) signals.Close(token);
        return Task.CompletedTask;
    }
}

/// <summary>
/// AWS::CloudFormation::WaitCondition: completes once its Handle has Count SUCCESS signals (default 1), fails on a
/// FAILURE signal or after Timeout seconds (at most 43,200, as on AWS), in CloudFormation's words. GetAtt Data is
/// the signals' Data by UniqueId, as a JSON object. With a CreationPolicy it waits for SignalResource signals instead
/// (the stack engine's <see cref="Engine.ResourceSignalPolicy"/>).
/// </summary>
public sealed class WaitConditionProvider(WaitConditionSignals signals) : IResourceProvider
{
    private const int MaxTimeoutSeconds = 43_200;

    public string Type => "AWS::CloudFormation::WaitCondition";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        // With a CreationPolicy, AWS ignores Handle, Timeout and Count: the stack waits for SignalResource signals instead.
        if (request.AwaitsResourceSignals) return new ProvisionedResource(request.GeneratedName(255), new Dictionary<string, string>());
        var properties = request.Properties;
        var handle = properties.Required("Handle");
        var token = WaitConditionSignals.TokenOf(handle) ?? throw properties.Invalid("Handle", "expected the Ref of an AWS::CloudFormation::WaitConditionHandle");
        var timeout = properties.Int("Timeout") ?? throw properties.Missing("Timeout");
        if (timeout is < 1 or > MaxTimeoutSeconds) throw properties.Invalid("Timeout", $"expected an integer from 1 to {MaxTimeoutSeconds}");
        var count = properties.Int("Count") ?? 1;
        if (count < 1) throw properties.Invalid("Count", "expected an integer of at least 1");

        var deadline = DateTimeOffset.UtcNow.AddSeconds(timeout);
        while (true)
        {
            var received = signals.Signals(token);
            if (received.FirstOrDefault(s => s.Status == "FAILURE") is { } failed)
                throw new ResourcePropertyException($"WaitCondition received failed message: '{failed.Reason}' for uniqueId: {failed.UniqueId}");
            var succeeded = received.Where(s => s.Status == "SUCCESS").ToList();
            if (succeeded.Count >= count)
            {
                var data = new JsonObject(succeeded.OrderBy(s => s.UniqueId, StringComparer.Ordinal)
                    .Select(s => KeyValuePair.Create(s.UniqueId, (JsonNode?)JsonValue.Create(s.Data))));
                return new ProvisionedResource(request.GeneratedName(255), new Dictionary<string, string> { ["Data"] = data.ToJsonString() });
            }
            if (DateTimeOffset.UtcNow >= deadline)
                throw new ResourcePropertyException($"WaitCondition timed out. Received {succeeded.Count} conditions when expecting {count}");
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellation);
        }
    }

    // AWS does not wait again on update: the condition keeps what it received.
    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation) => Task.CompletedTask;
}
