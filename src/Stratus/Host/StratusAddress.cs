namespace Stratus.Host;

/// <summary>
/// Where Stratus listens. Services are built before Kestrel binds (they supply its request handlers), and
/// with port 0 the port is only chosen at bind time, so this one object is created up front, handed to the
/// services that need it (Lambda gives it to functions as AWS_ENDPOINT_URL, CloudFormation resolves
/// AWS::URLSuffix to it) and completed exactly once by the host when the listener is up. Nothing can reach
/// Stratus before then; work resumed at start (queued Lambda events, alarm actions) waits for it.
/// </summary>
public sealed class StratusAddress
{
    private readonly TaskCompletionSource<Uri> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>An address already known, for a service built without a server in front of it.</summary>
    public static StratusAddress Known(Uri baseUrl)
    {
        var address = new StratusAddress();
        address.Bind(baseUrl);
        return address;
    }

    /// <summary>Completes when the host has bound its listener.</summary>
    public Task<Uri> Bound => _bound.Task;

    /// <summary>The base URL, e.g. http://localhost:4566/; only once bound.</summary>
    public Uri BaseUrl => _bound.Task.IsCompletedSuccessfully
        ? _bound.Task.Result
        : throw new InvalidOperationException("Stratus is not listening yet: its address is known only once Kestrel has bound its port.");

    /// <summary>What AWS::URLSuffix is on Stratus: "localhost:PORT", so execute-api URLs built from it open.</summary>
    public string UrlSuffix => $"localhost:{BaseUrl.Port}";

    /// <summary>
    /// A URL on Stratus's own bound address (the host it was started on, `--host localhost` or an IP), for every form that
    /// needs no DNS: invoke URLs' path forms, presigned links, response URLs. <paramref name="path"/> starts with '/'.
    /// </summary>
    public string Url(string path) => BaseUrl.ToString().TrimEnd('/') + path;

    /// <summary>Called once by the host when Kestrel has bound.</summary>
    public void Bind(Uri baseUrl)
    {
        if (!_bound.TrySetResult(baseUrl)) throw new InvalidOperationException("Stratus's address is bound once.");
    }
}
