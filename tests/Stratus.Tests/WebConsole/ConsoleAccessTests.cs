using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.WebConsole;

/// <summary>With --auth verify the console and health's details take the token printed at start; in accept mode start-up says what is open.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed partial class ConsoleAccessTests
{
    private static Task<ProcessResult> Status(params string[] args) =>
        Clients.RunAsync("dotnet", [RepoPaths.StratusDll, "status", .. args], "", TimeSpan.FromMinutes(1));

    [Fact]
    public async Task Verify_mode_keeps_the_console_and_health_details_behind_the_start_up_token()
    {
        await using var server = await StratusProcess.StartPersistentAsync("--auth", "verify");
        var token = await ConsoleTokenAsync(server);
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });

        using (var console = await anonymous.GetAsync(server.Url + "/_stratus/"))
            Assert.Equal(HttpStatusCode.Unauthorized, console.StatusCode);
        var open = JsonNode.Parse(await anonymous.GetStringAsync(server.Url + "/_stratus/health"))!.AsObject();
        Assert.Equal("running", (string?)open["status"]);
        Assert.Null(open["persistence"]);
        Assert.Null(open["services"]);
        Assert.DoesNotContain(server.DataDir!, open.ToJsonString());

        using (var wrongLogin = await anonymous.GetAsync(server.Url + "/_stratus/login?token=guess"))
            Assert.Equal(HttpStatusCode.Unauthorized, wrongLogin.StatusCode);
        using var login = await anonymous.GetAsync(server.Url + "/_stratus/login?token=" + token);
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        using (var withCookie = new HttpRequestMessage(HttpMethod.Get, server.Url + "/_stratus/"))
        {
            withCookie.Headers.Add("Cookie", cookie.Split(';')[0]);
            using var page = await anonymous.SendAsync(withCookie);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
        using (var withBearer = new HttpRequestMessage(HttpMethod.Get, server.Url + "/_stratus/health"))
        {
            withBearer.Headers.Authorization = new("Bearer", token);
            using var health = await anonymous.SendAsync(withBearer);
            Assert.Contains(server.DataDir!, await health.Content.ReadAsStringAsync());
        }

        // `stratus status` finds the token in the data dir, or takes it given; without it, it says what it lacks.
        var status = await Status("--port", server.Port.ToString(), "--data-dir", server.DataDir!);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Matches(@"iam\s+running", status.Stdout);
        var given = await Status("--port", server.Port.ToString(), "--data-dir", "/nonexistent", "--token", token);
        Assert.Matches(@"iam\s+running", given.Stdout);
        var without = await Status("--port", server.Port.ToString(), "--data-dir", "/nonexistent");
        Assert.Equal(0, without.ExitCode);
        Assert.Contains("details need its console token", without.Stdout);

        // The token survives a restart (it is kept 0600 in the data dir), so a logged-in browser stays logged in.
        await server.RestartAsync();
        Assert.Equal(token, await ConsoleTokenAsync(server));
    }

    [Fact]
    public async Task Accept_mode_says_at_start_up_what_the_open_console_shows()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        Assert.Contains("is open to anyone who can reach", await ConsoleLineAsync(server));
        using var http = new HttpClient();
        using var console = await http.GetAsync(server.Url + "/_stratus/");
        Assert.Equal(HttpStatusCode.OK, console.StatusCode);
    }

    /// <summary>The start-up line about the console, printed just after the ready line the server's start waits for.</summary>
    private static async Task<string> ConsoleLineAsync(StratusProcess server)
    {
        for (var waited = 0; waited < 200; waited++)
        {
            // The output of this run only: a restarted server's earlier lines come first.
            var lines = server.Output.Split('\n');
            var ready = Array.FindLastIndex(lines, l => l.StartsWith("Stratus ready on ", StringComparison.Ordinal));
            if (lines.Skip(ready).FirstOrDefault(l => l.StartsWith("Console: ", StringComparison.Ordinal)) is { } line) return line;
            await Task.Delay(50);
        }
        throw new TimeoutException("Stratus printed no Console line:\n" + server.Output);
    }

    private static async Task<string> ConsoleTokenAsync(StratusProcess server) =>
        TokenPattern().Match(await ConsoleLineAsync(server)).Groups[1].Value is { Length: > 0 } token ? token : throw new InvalidOperationException("no token in the Console line");

    [GeneratedRegex(@"/_stratus/login\?token=([A-Za-z0-9_-]+)")]
    private static partial Regex TokenPattern();
}
