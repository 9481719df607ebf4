using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>HTTP: the request mapped and templated to the endpoint, its answer through the integration response.</summary>
internal sealed class HttpIntegration(HttpEndpoint endpoint) : IIntegration
{
    public async Task<GatewayResponse> RunAsync(RequestContext run, CancellationToken cancellation)
    {
        var mapped = IntegrationRequestStage.MapBody(run);
        var payload = mapped is null ? run.Request.Body : Encoding.UTF8.GetBytes(mapped);
        var answer = await endpoint.SendAsync(run, payload, passAllParameters: false, cancellation);
        var output = new IntegrationOutput(answer.Status.ToString(CultureInfo.InvariantCulture), new JsonPayload(Encoding.UTF8.GetString(answer.Body)), answer.Headers, null);
        return IntegrationResponseStage.Answer(run, output);
    }
}

/// <summary>HTTP_PROXY: the whole request passed to the endpoint, its whole answer passed back (less hop-by-hop headers).</summary>
internal sealed class HttpProxyIntegration(HttpEndpoint endpoint) : IIntegration
{
    public async Task<GatewayResponse> RunAsync(RequestContext run, CancellationToken cancellation)
    {
        var answer = await endpoint.SendAsync(run, run.Request.Body, passAllParameters: true, cancellation);
        return new GatewayResponse(answer.Status, answer.Headers.Where(h => !HttpEndpoint.HopByHop(h.Key)).ToList(), answer.Body);
    }
}

/// <summary>
/// Sends an integration request to an HTTP endpoint within the integration's timeout. An https backend's certificate is verified
/// against the system's trust store (SSL_CERT_FILE/SSL_CERT_DIR as OpenSSL reads them), as API Gateway verifies it against its
/// trusted authorities, unless the integration's tlsConfig.insecureSkipVerification says to accept any certificate.
/// </summary>
internal sealed class HttpEndpoint(HttpClient http, HttpClient unverified, BackendCertificates? certificates)
{
    public sealed record Answer(int Status, List<KeyValuePair<string, string>> Headers, byte[] Body);

    private static readonly HashSet<string> HopByHopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host", "Content-Length",
    };

    private static readonly Regex PathVariable = new(@"\{([^}+]+)\+?\}", RegexOptions.CultureInvariant);

    public static bool HopByHop(string name) => HopByHopHeaders.Contains(name);

    public async Task<Answer> SendAsync(RequestContext run, byte[] body, bool passAllParameters, CancellationToken cancellation)
    {
        var integration = run.Plan.Integration!;
        var mapped = IntegrationRequestStage.MapParameters(run);
        var uri = PathVariable.Replace(MethodPlan.WithStageVariables(integration.Uri!, run.Target), m =>
            mapped.Path.TryGetValue(m.Groups[1].Value, out var value) || run.Route.PathParameters.TryGetValue(m.Groups[1].Value, out value)
                ? EscapePath(value)
                : m.Value);
        var query = new List<KeyValuePair<string, string>>(passAllParameters ? run.Request.Query : []);
        query.AddRange(mapped.Query);
        if (query.Count > 0)
            uri += (uri.Contains('?') ? "&" : "?") + string.Join('&', query.Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value)));

        var method = integration.HttpMethod is null or "ANY" ? run.Request.HttpMethod : integration.HttpMethod;
        using var message = new HttpRequestMessage(new HttpMethod(method), uri);
        if (body.Length > 0 || method is not ("GET" or "HEAD")) message.Content = new ByteArrayContent(body);
        var headers = new List<KeyValuePair<string, string>>(passAllParameters ? run.Request.Headers.Where(h => !HopByHop(h.Key)) : []);
        if (!passAllParameters && run.Header("Content-Type") is { } contentType) headers.Add(new("Content-Type", contentType));
        headers.AddRange(mapped.Headers);
        foreach (var (name, value) in headers)
            if (!message.Headers.TryAddWithoutValidation(name, value)) message.Content?.Headers.TryAddWithoutValidation(name, value);

        run.Write($"Sending request to {uri}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(integration.TimeoutInMillis);
        var watch = Stopwatch.StartNew();
        try
        {
            var skipVerification = integration.TlsConfig?.InsecureSkipVerification == true;
            var client = certificates?.ClientFor(run.Target, skipVerification) ?? (skipVerification ? unverified : http);
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var payload = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            run.IntegrationLatency = watch.Elapsed;
            run.Write($"Received response. Status: {(int)response.StatusCode}, Integration latency: {watch.ElapsedMilliseconds} ms");
            var responseHeaders = response.Headers.Concat(response.Content.Headers)
                .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v))).ToList();
            return new Answer((int)response.StatusCode, responseHeaders, payload);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw GatewayFailure.Timeout();
        }
        catch (HttpRequestException e)
        {
            throw GatewayFailure.Configuration(e.Message);
        }
    }

    private static string EscapePath(string value) => string.Join('/', value.Split('/').Select(Uri.EscapeDataString));

    /// <summary>
    /// The HTTP client HTTP integrations use: no proxy, no cookies, no redirects followed (API Gateway returns them); with a stage's client
    /// certificate, presented when the backend asks for one; with <paramref name="skipVerification"/>, any server certificate accepted.
    /// </summary>
    public static HttpClient CreateClient(X509Certificate2? clientCertificate = null, bool skipVerification = false) => new(new SocketsHttpHandler
    {
        SslOptions = new()
        {
            // The stage's certificate whatever issuers the backend names, as API Gateway presents it.
            LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
            RemoteCertificateValidationCallback = skipVerification ? (_, _, _, _) => true : null,
        },
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
}
