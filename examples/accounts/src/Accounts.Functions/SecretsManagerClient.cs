using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Accounts.Functions;

/// <summary>
/// Reads a secret's SecretString with Secrets Manager's GetSecretValue, signed with SigV4 by the function's
/// own role credentials (the AWS_* variables Lambda sets). The AWS SDK's Secrets Manager package is not
/// among the packages this build can use, so the one call is made here. The endpoint is
/// AWS_ENDPOINT_URL_SECRETS_MANAGER or AWS_ENDPOINT_URL when set (Stratus sets the latter), else AWS's regional one.
/// </summary>
public sealed class SecretsManagerClient(HttpClient http, Func<string, string?> variable)
{
    private const string Service = "secretsmanager";

    public async Task<string> GetSecretStringAsync(string secretId, CancellationToken cancellation)
    {
        string Required(string name) => variable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Configuration error: the environment variable {name} is not set.");
        var region = variable("AWS_REGION") ?? variable("AWS_DEFAULT_REGION") ?? throw new InvalidOperationException("Configuration error: AWS_REGION is not set.");
        var endpoint = new Uri(variable("AWS_ENDPOINT_URL_SECRETS_MANAGER") ?? variable("AWS_ENDPOINT_URL") ?? $"https://{Service}.{region}.amazonaws.com");
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["SecretId"] = secretId });

        var now = DateTimeOffset.UtcNow;
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var day = amzDate[..8];
        var host = endpoint.IsDefaultPort ? endpoint.Host : $"{endpoint.Host}:{endpoint.Port}";
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-type"] = "application/x-amz-json-1.1",
            ["host"] = host,
            ["x-amz-date"] = amzDate,
            ["x-amz-target"] = "secretsmanager.GetSecretValue",
        };
        if (variable("AWS_SESSION_TOKEN") is { Length: > 0 } token) headers["x-amz-security-token"] = token;
        var signedHeaders = string.Join(';', headers.Keys);
        var canonicalRequest = string.Join('\n', "POST", "/", "", string.Concat(headers.Select(h => $"{h.Key}:{h.Value}\n")), signedHeaders, Hex(SHA256.HashData(body)));
        var scope = $"{day}/{region}/{Service}/aws4_request";
        var stringToSign = string.Join('\n', "AWS4-HMAC-SHA256", amzDate, scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));
        var key = Encoding.UTF8.GetBytes("AWS4" + Required("AWS_SECRET_ACCESS_KEY"));
        foreach (var part in new[] { day, region, Service, "aws4_request" }) key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        var signature = Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "/")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
        foreach (var (header, headerValue) in headers.Where(h => h.Key is not ("content-type" or "host"))) request.Headers.TryAddWithoutValidation(header, headerValue);
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={Required("AWS_ACCESS_KEY_ID")}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
        using var response = await http.SendAsync(request, cancellation);
        var text = await response.Content.ReadAsStringAsync(cancellation);
        using var document = JsonDocument.Parse(text);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"Configuration error: Secrets Manager refused to read {secretId}: " +
                (document.RootElement.TryGetProperty("message", out var message) || document.RootElement.TryGetProperty("Message", out message) ? message.GetString() : text));
        return document.RootElement.TryGetProperty("SecretString", out var secretString) && secretString.GetString() is { } found
            ? found
            : throw new InvalidOperationException($"Configuration error: the secret {secretId} has no SecretString.");
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
