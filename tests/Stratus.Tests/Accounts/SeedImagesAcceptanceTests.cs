using System.Text.RegularExpressions;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

/// <summary>
/// The acceptance script for the seed's container-image path (shared/acceptance/seed-images.sh beside the
/// repository: ECR repository, registry login, skopeo push and pull, an image function, invoke) against a
/// fresh Stratus: every step must pass.
/// </summary>
public sealed class SeedImagesAcceptanceTests
{
    private static readonly string Script = Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "acceptance", "seed-images.sh"));

    [Fact]
    public async Task Every_step_of_the_seed_image_flow_passes()
    {
        Assert.True(File.Exists(Script), $"The acceptance script is expected at {Script} (shared/ beside the repository).");
        await using var server = await StratusProcess.StartEphemeralAsync();

        var run = await Clients.RunAsync("bash", [Script, server.Url], server.Url, TimeSpan.FromMinutes(10));

        var totals = Regex.Match(run.Stdout, @"^(\d+) passed, (\d+) failed$", RegexOptions.Multiline);
        Assert.True(totals.Success, run.ToString());
        Assert.True(totals.Groups[2].Value == "0", "failed steps:\n" + string.Join('\n', run.Stdout.Split('\n').Where(l => l.Contains(": fail"))));
        Assert.True(int.Parse(totals.Groups[1].Value) >= 13, run.Stdout);
        Assert.Equal(0, run.ExitCode);
    }
}
