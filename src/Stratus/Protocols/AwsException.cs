namespace Stratus.Protocols;

/// <summary>
/// An error AWS would return. Every protocol renders it in its own shape; anything else thrown by a
/// service becomes an InternalFailure (500) without leaking a stack trace to the client.
/// </summary>
public sealed class AwsException(string code, string message, int statusCode = 400) : Exception(message)
{
    public string Code { get; } = code;
    public int StatusCode { get; } = statusCode;

    /// <summary>AWS's fault attribution: the caller's fault for 4xx, the service's for 5xx.</summary>
    public bool IsSenderFault => StatusCode < 500;

    /// <summary>Extra top-level fields some services put beside the code and message (Lambda's "Reason").</summary>
    public IReadOnlyDictionary<string, string>? Fields { get; init; }

    public static AwsException Validation(string message) => new("ValidationException", message);
}
