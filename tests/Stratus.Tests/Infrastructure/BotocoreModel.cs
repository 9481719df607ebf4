using System.Diagnostics;

namespace Stratus.Tests.Infrastructure;

/// <summary>The operations of a service in botocore's published model (the spec Stratus answers to), read through python3.</summary>
public static class BotocoreModel
{
    public static HashSet<string> Operations(string service)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["-c", $"import botocore.loaders as l; print('\\n'.join(l.Loader().load_service_model('{service}', 'service-2')['operations']))"])
            start.ArgumentList.Add(arg);
        using var python = Process.Start(start)!;
        var output = python.StandardOutput.ReadToEnd();
        python.WaitForExit();
        Assert.Equal(0, python.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }
}
