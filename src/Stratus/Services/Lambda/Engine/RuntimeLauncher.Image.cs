using System.Diagnostics;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// What a container image function's environment runs: ENTRYPOINT + CMD (each replaced by the function's
/// ImageConfig when set), in WORKDIR, with the image's ENV under the function's and Lambda's variables.
/// </summary>
public sealed record ImageLaunch(IReadOnlyList<string> Command, string WorkingDirectory, IReadOnlyList<string> Environment);

public sealed partial class RuntimeLauncher
{
    /// <summary>What a process sees as PATH when neither the image nor the function sets one (Docker's default).</summary>
    private const string DefaultImagePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Why image functions cannot run on this machine, or null.</summary>
    public string? ImageSandboxUnavailable => _sandbox.ImageSandboxUnavailable;

    /// <summary>Starts an image function's environment: its memory and process limits as for zip functions, the image as its read-only root.</summary>
    public Process StartImage(ExecutionEnvironment environment, string rootFs, ImageLaunch image, string runtimeApi, IReadOnlyDictionary<string, string> variables)
    {
        var config = environment.Config;
        environment.Cgroup = _memory.Create(environment.Id, config.MemorySize);
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        var argv = SandboxPrefix(environment.Cgroup);
        argv.AddRange(_sandbox.WrapImage(rootFs, config.EphemeralStorageSize * 1024L * 1024, image.WorkingDirectory, image.Command));
        start.FileName = argv[0];
        foreach (var arg in argv.Skip(1)) start.ArgumentList.Add(arg);

        start.Environment.Clear();
        foreach (var entry in image.Environment)
        {
            var equals = entry.IndexOf('=');
            if (equals > 0) start.Environment[entry[..equals]] = entry[(equals + 1)..];
        }
        if (!start.Environment.ContainsKey("PATH")) start.Environment["PATH"] = DefaultImagePath;
        // As a zip function's: the sandbox user has no home in the image's /etc/passwd, and without HOME .NET cannot open
        // its certificate stores, so every TLS connection that builds a chain (HTTPS, a database offering TLS) failed.
        if (!start.Environment.ContainsKey("HOME")) start.Environment["HOME"] = "/tmp";
        foreach (var (name, value) in variables) start.Environment[name] = value;
        start.Environment["AWS_LAMBDA_RUNTIME_API"] = runtimeApi;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.Start();
        return process;
    }
}
