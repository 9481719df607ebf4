using System.Runtime.CompilerServices;
using Stratus.Cli;
using Stratus.Persistence;

namespace Stratus.Tests.Infrastructure;

/// <summary>
/// Where the suite's own scratch goes (persistent servers' data dirs, boto3 scripts): one directory per test host,
/// TMP/stratus-testrun-*, marked with the host as its owner (<see cref="OwnedTempDirectory"/>). A host killed by its
/// timeout runs no cleanup, so every host, as it loads, first removes the run directories whose owner is gone:
/// leftovers last only until the next run. The host also names itself to every Stratus its tests start, however
/// they start it (<see cref="OwnerProcess"/>), so no server outlives it either.
/// </summary>
public static class TestScratch
{
    public const string Prefix = "stratus-testrun-";

    /// <summary>This test host's run directory (its dead predecessors' removed as it was made).</summary>
    public static string RunDirectory { get; private set; } = "";

    [ModuleInitializer]
    internal static void Initialize()
    {
        // Inherited by every process started from here on: StratusProcess's servers, demo.sh's, bench.py's.
        Environment.SetEnvironmentVariable(OwnerProcess.Variable, OwnedTempDirectory.OwnerOf(Environment.ProcessId));
        RunDirectory = OwnedTempDirectory.Create(Prefix);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(RunDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A file still held open: the next host's sweep removes the directory.
            }
        };
    }

    /// <summary>A new, empty directory in this run's scratch. Names stay short: data dirs hold unix sockets, whose paths are bounded.</summary>
    public static string NewDirectory(string prefix) => Directory.CreateDirectory(Path.Combine(RunDirectory, $"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 12)])).FullName;

    /// <summary>A fresh file path in this run's scratch (not created).</summary>
    public static string NewFile(string prefix, string extension) => Path.Combine(RunDirectory, $"{prefix}{Guid.NewGuid():N}{extension}");
}
