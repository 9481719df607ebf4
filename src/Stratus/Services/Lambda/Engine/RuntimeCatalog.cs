namespace Stratus.Services.Lambda.Engine;

/// <summary>The runtimes Lambda accepts, which of them Stratus runs, and which AWS no longer allows.</summary>
public static class RuntimeCatalog
{
    public static readonly string[] Runnable =
    [
        "python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
        "nodejs18.x", "nodejs20.x", "nodejs22.x",
        "provided", "provided.al2", "provided.al2023",
        "dotnet8", "dotnet10",
    ];

    /// <summary>Runtimes AWS refuses for new functions and updates, with the runtime it recommends instead.</summary>
    private static readonly Dictionary<string, string> Deprecated = new(StringComparer.Ordinal)
    {
        ["nodejs"] = "nodejs22.x", ["nodejs4.3"] = "nodejs22.x", ["nodejs6.10"] = "nodejs22.x", ["nodejs8.10"] = "nodejs22.x",
        ["nodejs10.x"] = "nodejs22.x", ["nodejs12.x"] = "nodejs22.x", ["nodejs14.x"] = "nodejs22.x", ["nodejs16.x"] = "nodejs22.x",
        ["nodejs4.3-edge"] = "nodejs22.x", ["python2.7"] = "python3.13", ["python3.6"] = "python3.13", ["python3.7"] = "python3.13",
        ["python3.8"] = "python3.13", ["dotnetcore1.0"] = "dotnet8", ["dotnetcore2.0"] = "dotnet8", ["dotnetcore2.1"] = "dotnet8",
        ["dotnetcore3.1"] = "dotnet8", ["dotnet6"] = "dotnet8", ["go1.x"] = "provided.al2023", ["ruby2.5"] = "ruby3.4",
        ["ruby2.7"] = "ruby3.4", ["java8"] = "java21",
    };

    /// <summary>The values of the service model's Runtime enum, in its order (AWS's validation message lists them).</summary>
    public static readonly string[] Known =
    [
        "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "java8", "java8.al2",
        "java11", "python2.7", "python3.6", "python3.7", "python3.8", "python3.9", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1",
        "dotnetcore3.1", "dotnet6", "dotnet8", "nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7", "provided", "provided.al2", "nodejs18.x",
        "python3.10", "java17", "ruby3.2", "ruby3.3", "ruby3.4", "python3.11", "nodejs20.x", "provided.al2023", "python3.12", "java21",
        "python3.13", "nodejs22.x", "nodejs24.x", "python3.14", "java25", "dotnet10", "ruby4.0",
    ];

    public static bool IsKnown(string runtime) => Known.Contains(runtime, StringComparer.Ordinal);

    public static string? Replacement(string runtime) => Deprecated.GetValueOrDefault(runtime);

    public static bool IsRunnable(string runtime) => Runnable.Contains(runtime, StringComparer.Ordinal);

    public static bool IsPython(string runtime) => runtime.StartsWith("python", StringComparison.Ordinal);
    public static bool IsNode(string runtime) => runtime.StartsWith("nodejs", StringComparison.Ordinal);
    public static bool IsDotnet(string runtime) => runtime.StartsWith("dotnet", StringComparison.Ordinal);
    public static bool IsCustom(string runtime) => runtime.StartsWith("provided", StringComparison.Ordinal);
}
