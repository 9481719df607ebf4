using System.Text.RegularExpressions;

namespace Stratus.Tests.Infrastructure;

/// <summary>
/// The project's shared acceptance scripts (shared/acceptance/NAME beside the repository, never edited here): each
/// prints a line per step and "N passed, M failed", run against a fresh Stratus, where every step must pass.
/// </summary>
public static class AcceptanceScript
{
    public static async Task PassesEveryStepAsync(string name, int minimumSteps)
    {
        var script = Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "acceptance", name));
        Assert.True(File.Exists(script), $"The acceptance script is expected at {script} (shared/ beside the repository).");
        await using var server = await StratusProcess.StartEphemeralAsync();

        var run = await Clients.RunAsync("bash", [script, server.Url], server.Url, TimeSpan.FromMinutes(10));

        var totals = Regex.Match(run.Stdout, @"^(\d+) passed, (\d+) failed$", RegexOptions.Multiline);
        Assert.True(totals.Success, run.ToString());
        Assert.True(totals.Groups[2].Value == "0", "failed steps:\n" + string.Join('\n', run.Stdout.Split('\n').Where(l => l.Contains(": fail"))));
        Assert.True(int.Parse(totals.Groups[1].Value) >= minimumSteps, run.Stdout);
        Assert.Equal(0, run.ExitCode);
    }
}
