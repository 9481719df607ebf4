using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Persistence;

namespace Stratus.Services.CloudFormation.Engine;

/// <summary>A handle that takes signals, kept so its URL still works after a restart.</summary>
public sealed record WaitHandleRecord(string Token);

/// <summary>One signal sent to a wait condition handle, kept by its UniqueId (a later one with the same id replaces it, as on AWS).</summary>
public sealed record WaitSignalRecord(string Token, string UniqueId, string Status, string Reason, string Data);

/// <summary>
/// The URLs an AWS::CloudFormation::WaitConditionHandle answers to Ref. On AWS a presigned S3 URL; on Stratus a
/// URL on its own address whose random token is its only credential. Each PUT of the signal JSON (Status
/// SUCCESS or FAILURE, Reason, UniqueId, Data), as cfn-signal and curl send it, is kept on disk before it is answered.
/// </summary>
public sealed class WaitConditionSignals(StateStore store) : IRequestInterceptor
{
    public const string PathPrefix = "/_stratus/cloudformation/wait-condition";
    /// <summary>AWS's limit on a signal's size.</summary>
    public const int MaxSignalBytes = 4096;

    private readonly ResourceTable<WaitHandleRecord> _handles = new(store, "cloudformation.waithandles");
    private readonly ResourceTable<WaitSignalRecord> _signals = new(store, "cloudformation.waitsignals");

    /// <summary>A new handle's path; its token names it in the signals.</summary>
    public static string NewPath() => $"{PathPrefix}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";

    /// <summary>The token in a handle URL made by <see cref="NewPath"/>, or null for any other URL.</summary>
    public static string? TokenOf(string url)
    {
        var at = url.IndexOf(PathPrefix + "/", StringComparison.Ordinal);
        return at < 0 ? null : url[(at + PathPrefix.Length + 1)..].Split('?')[0].Trim('/');
    }

    public void Open(string token) => _handles.Put(token, new WaitHandleRecord(token));

    /// <summary>Forgets a deleted handle and its signals.</summary>
    public void Close(string token)
    {
        _handles.Remove(token);
        foreach (var signal in _signals.Values.Where(s => s.Token == token).ToList())
            _signals.Remove(ResourceTable<WaitSignalRecord>.Key(signal.Token, signal.UniqueId));
    }

    public IReadOnlyList<WaitSignalRecord> Signals(string token) => _signals.Values.Where(s => s.Token == token).ToList();

    public bool Claims(HttpRequest request) => HttpMethods.IsPut(request.Method) && request.Path.StartsWithSegments(PathPrefix);

    public async Task HandleAsync(HttpContext http)
    {
        var token = http.Request.Path.Value![PathPrefix.Length..].Trim('/');
        if (_handles.Get(token) is null)
        {
            await Answer(http, StatusCodes.Status403Forbidden, "No wait condition handle answers to this URL.");
            return;
        }
        var buffer = new byte[MaxSignalBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await http.Request.Body.ReadAsync(buffer.AsMemory(length), http.RequestAborted)) > 0) length += read;
        if (length > MaxSignalBytes)
        {
            await Answer(http, StatusCodes.Status400BadRequest, $"A wait condition signal may not exceed {MaxSignalBytes} bytes.");
            return;
        }
        JsonObject signal;
        try
        {
            signal = JsonNode.Parse(buffer.AsSpan(0, length)) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            await Answer(http, StatusCodes.Status400BadRequest, "A wait condition signal is a JSON object.");
            return;
        }
        var status = Text(signal["Status"]);
        var uniqueId = Text(signal["UniqueId"]);
        if (status is not ("SUCCESS" or "FAILURE") || string.IsNullOrEmpty(uniqueId))
        {
            await Answer(http, StatusCodes.Status400BadRequest, "A wait condition signal needs Status (SUCCESS or FAILURE) and UniqueId.");
            return;
        }
        _signals.Put(ResourceTable<WaitSignalRecord>.Key(token, uniqueId),
            new WaitSignalRecord(token, uniqueId, status, Text(signal["Reason"]) ?? "", Text(signal["Data"]) ?? ""));
        http.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static Task Answer(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsync(message);
    }

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };
}
