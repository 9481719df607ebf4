using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>One integration type's way of answering a method request.</summary>
internal interface IIntegration
{
    Task<GatewayResponse> RunAsync(RequestContext run, CancellationToken cancellation);
}

/// <summary>MOCK: the request template's <c>statusCode</c> selects the integration response; nothing is called.</summary>
internal sealed class MockIntegration : IIntegration
{
    private static readonly JsonPayload NoBody = new("");

    public Task<GatewayResponse> RunAsync(RequestContext run, CancellationToken cancellation)
    {
        var mapped = IntegrationRequestStage.MapBody(run) ?? "";
        var status = StatusOf(mapped);
        if (status is null) run.Write($"Mock integration request template did not produce a statusCode, answering {DefaultStatus}");
        var output = new IntegrationOutput((status ?? DefaultStatus).ToString(CultureInfo.InvariantCulture), NoBody, [], null);
        return Task.FromResult(IntegrationResponseStage.Answer(run, output));
    }

    /// <summary>What a mock answers when its request template gives no statusCode.</summary>
    public const int DefaultStatus = 200;

    /// <summary>The statusCode a mock's mapped request names (REST and WebSocket APIs' MOCK alike), or null when it names none.</summary>
    public static int? StatusOf(string mapped)
    {
        try
        {
            if (JsonNode.Parse(mapped) is JsonObject obj && obj["statusCode"] is JsonValue code)
                return code.GetValueKind() == JsonValueKind.Number ? code.GetValue<int>() : int.Parse(code.ToString(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            // Not JSON, or a statusCode that is not a number: the mock answers its default.
        }
        return null;
    }
}
