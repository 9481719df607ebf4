namespace Stratus.Tests.Infrastructure;

/// <summary>Where the repository and the built Stratus are, from wherever the tests run.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The stratus.dll built in the same configuration as these tests.</summary>
    public static string StratusDll { get; } = Path.Combine(AppContext.BaseDirectory, "stratus.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Stratus.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (Stratus.slnx) above " + AppContext.BaseDirectory);
    }
}
