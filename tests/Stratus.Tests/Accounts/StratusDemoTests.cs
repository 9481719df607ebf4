using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Accounts.Functions;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

/// <summary>`stratus demo`: starts Stratus, deploys stack.yml, seeds, prints the URL; a second run is quick and changes nothing.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class StratusDemoTests
{
    [Fact]
    public async Task Demo_deploys_the_accounts_page_and_runs_again_idempotently()
    {
        var output = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo("dotnet", [RepoPaths.StratusDll, "demo", "--ephemeral", "--port", "0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        using var demo = new Process { StartInfo = start, EnableRaisingEvents = true };
        demo.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.Contains("press Ctrl-C")) ready.TrySetResult();
        };
        demo.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        demo.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("stratus demo exited:\n" + output));
        demo.Start();
        demo.BeginOutputReadLine();
        demo.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromMinutes(8));
            string first;
            lock (output) first = output.ToString();
            Assert.Contains("CREATE_COMPLETE      AWS::RDS::DBInstance", first);
            Assert.Contains("\"rowsInserted\":12", first);
            var page = Regex.Match(first, @"http://([a-z0-9]{10})\.execute-api\.localhost:(\d+)/demo-cct/");
            Assert.True(page.Success, first);
            var port = page.Groups[2].Value;

            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/demo-cct/");
            request.Headers.Host = $"{page.Groups[1].Value}.execute-api.localhost:{port}";
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            var html = await response.Content.ReadAsStringAsync();
            foreach (var account in AccountsSchema.SampleAccounts) Assert.Contains(WebUtility.HtmlEncode(account.FullName), html);

            var again = await Clients.RunAsync("dotnet", [RepoPaths.StratusDll, "demo", "--port", port], "", TimeSpan.FromMinutes(5));
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Contains("Using the Stratus already running", again.Stdout);
            Assert.Contains("already up to date", again.Stdout);
            Assert.Contains("\"rowsInserted\":0", again.Stdout);
            Assert.Contains(page.Value, again.Stdout);
        }
        finally
        {
            if (!demo.HasExited)
            {
                Process.Start("kill", ["-TERM", demo.Id.ToString()])?.WaitForExit();
                if (!demo.WaitForExit(TimeSpan.FromSeconds(30))) demo.Kill(entireProcessTree: true);
            }
        }
    }
}
