using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Stratus.Persistence;

namespace Stratus.Host;

/// <summary>
/// Who may see the pages under /_stratus/ (the console shows function logs, metrics, alarms; health shows paths).
/// With <c>--auth verify</c> they take a token made at first start (kept 0600 in the data dir, printed at start-up):
/// opened once through <see cref="LoginPath"/>, which sets it as an HttpOnly cookie, or sent as
/// <c>Authorization: Bearer TOKEN</c> (<c>stratus status</c>). In accept mode they are open, as everything is, and
/// start-up says so.
/// </summary>
public sealed class ConsoleAccess
{
    public const string LoginPath = "/_stratus/login";
    public const string CookieName = "stratus-console";
    public const string TokenFileName = "console-token";
    public const string TokenEnvironmentVariable = "STRATUS_CONSOLE_TOKEN";

    private readonly byte[]? _token;

    private ConsoleAccess(string? token)
    {
        Token = token;
        _token = token is null ? null : Encoding.ASCII.GetBytes(token);
    }

    /// <summary>The token the pages take, null when they are open (accept mode).</summary>
    public string? Token { get; }

    public bool IsRequired => Token is not null;

    public static ConsoleAccess For(StratusOptions options)
    {
        if (options.Auth == AuthMode.Accept) return new ConsoleAccess(null);
        var secret = options.DataDir is null
            ? RandomNumberGenerator.GetBytes(32)
            : DataDirectory.ReadOrCreateSecret(Path.Combine(options.DataDir, TokenFileName), 32);
        return new ConsoleAccess(Base64Url(secret));
    }

    /// <summary>Where `stratus status` finds the token of a Stratus using <paramref name="dataDir"/>, when it has one.</summary>
    public static string? TokenIn(string dataDir)
    {
        var path = Path.Combine(dataDir, TokenFileName);
        try
        {
            return File.Exists(path) ? Base64Url(File.ReadAllBytes(path)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public bool Allows(HttpRequest request)
    {
        if (_token is null) return true;
        var presented = request.Cookies[CookieName]
            ?? (request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : null);
        return presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), _token);
    }

    /// <summary>GET /_stratus/login?token=...: a right token becomes a cookie for /_stratus/ and leads to the console.</summary>
    public async Task LoginAsync(HttpContext http)
    {
        var given = http.Request.Query["token"].ToString();
        if (_token is not null && !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given), _token))
        {
            await RefuseAsync(http);
            return;
        }
        if (_token is not null)
            http.Response.Cookies.Append(CookieName, given, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/_stratus" });
        http.Response.StatusCode = (int)HttpStatusCode.SeeOther;
        http.Response.Headers.Location = "/_stratus/";
    }

    public async Task RefuseAsync(HttpContext http)
    {
        http.Response.StatusCode = (int)HttpStatusCode.Unauthorized;
        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"stratus\"";
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync("This Stratus runs with --auth verify: its console needs the token printed at start-up " +
            $"(also in DATA_DIR/{TokenFileName}). Open {LoginPath}?token=TOKEN, or send Authorization: Bearer TOKEN.\n");
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
