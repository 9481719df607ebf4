using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Stratus.Protocols.SigV4;

namespace Stratus.Cli;

/// <summary>An AWS error answered to one of the command line's own calls.</summary>
public sealed class AwsCallException(string code, string message) : Exception($"{code}: {message}")
{
    public string Code { get; } = code;
}

/// <summary>
/// The few signed AWS calls the command line makes to a Stratus (possibly another process): Query
/// protocol actions and Lambda invokes, signed with SigV4 so they also pass `--auth verify`.
/// </summary>
public sealed class AwsClient(HttpClient http, Uri endpoint, string accessKeyId, string secretAccessKey, string region)
{
    /// <summary>Calls a Query protocol action and returns its Result element.</summary>
    public async Task<XElement> QueryAsync(string service, string version, string action, IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken cancellation)
    {
        var form = string.Join('&', new[] { new KeyValuePair<string, string>("Action", action), new("Version", version) }.Concat(parameters)
            .Select(p => SigV4Signer.UriEncode(p.Key, false) + "=" + SigV4Signer.UriEncode(p.Value, false)));
        var body = Encoding.UTF8.GetBytes(form);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded") { CharSet = "utf-8" };
        Sign(request, body, service);
        using var response = await http.SendAsync(request, cancellation);
        var xml = XElement.Parse(await response.Content.ReadAsStringAsync(cancellation));
        if (!response.IsSuccessStatusCode)
        {
            var error = xml.Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
            throw new AwsCallException(Child(error, "Code") ?? response.StatusCode.ToString(), Child(error, "Message") ?? "");
        }
        return xml.Elements().First(e => e.Name.LocalName == action + "Result");
    }

    /// <summary>Invokes a function synchronously; returns its payload, or throws with its error.</summary>
    public async Task<string> InvokeAsync(string functionName, string payload, CancellationToken cancellation)
    {
        var body = Encoding.UTF8.GetBytes(payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, $"/2015-03-31/functions/{Uri.EscapeDataString(functionName)}/invocations"))
        {
            Content = new ByteArrayContent(body),
        };
        Sign(request, body, "lambda");
        using var response = await http.SendAsync(request, cancellation);
        var text = await response.Content.ReadAsStringAsync(cancellation);
        if (!response.IsSuccessStatusCode)
            throw new AwsCallException(response.Headers.TryGetValues("x-amzn-ErrorType", out var type) ? type.First() : response.StatusCode.ToString(), text);
        if (response.Headers.Contains("X-Amz-Function-Error")) throw new AwsCallException("FunctionError", text);
        return text;
    }

    public static string? Child(XElement? parent, string name) =>
        parent?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    private void Sign(HttpRequestMessage request, byte[] body, string service)
    {
        var now = DateTimeOffset.UtcNow;
        var amzDate = now.ToString(SigV4Signer.DateFormat, CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var uri = request.RequestUri!;
        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        request.Headers.Host = host;
        request.Headers.Add("X-Amz-Date", amzDate);
        var canonical = SigV4Signer.CanonicalRequest(request.Method.Method, SigV4Signer.UriEncode(uri.AbsolutePath, keepSlash: true), "",
            [new("host", host), new("x-amz-date", amzDate)], "host;x-amz-date", SigV4Signer.Hex(SHA256.HashData(body)));
        var scope = $"{date}/{region}/{service}/aws4_request";
        var signature = SigV4Signer.Signature(SigV4Signer.SigningKey(secretAccessKey, date, region, service), SigV4Signer.StringToSign(amzDate, scope, canonical));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"{SigV4Signer.Algorithm} Credential={accessKeyId}/{scope}, SignedHeaders=host;x-amz-date, Signature={signature}");
    }
}
