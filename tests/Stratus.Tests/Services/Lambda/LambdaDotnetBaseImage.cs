using System.Diagnostics;
using System.Text.RegularExpressions;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// A stand-in for AWS's <c>public.ecr.aws/lambda/dotnet:10</c>, built with buildah from what this machine has (there is
/// no internet to pull the real one): the same layout (<c>/lambda-entrypoint.sh</c> exports the handler from CMD and runs
/// <c>/var/runtime/bootstrap</c>, .NET under <c>/var/lang/bin</c>, <c>LAMBDA_TASK_ROOT=/var/task</c>), with the machine's
/// .NET runtime and the shared libraries it loads, static busybox as <c>/bin/sh</c>, and Stratus's .NET runtime host as the
/// runtime client where AWS's image has Amazon.Lambda.RuntimeSupport.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static partial class LambdaDotnetBaseImage
{
    public const string Name = "public.ecr.aws/lambda/dotnet:10";

    private const string Entrypoint = """
        #!/bin/sh
        if [ $# -ne 1 ]; then
          echo "entrypoint requires the handler name to be the first argument" 1>&2
          exit 142
        fi
        export _HANDLER="$1"
        exec /var/runtime/bootstrap
        """;

    private const string Bootstrap = """
        #!/bin/sh
        exec /var/lang/bin/dotnet exec /var/runtime/Stratus.Lambda.RuntimeHost.dll
        """;

    private const string Dockerfile = """
        FROM scratch
        COPY rootfs/ /
        ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin LANG=en_US.UTF-8 TZ=:/etc/localtime DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
        WORKDIR /var/task
        ENTRYPOINT ["/lambda-entrypoint.sh"]
        """;

    /// <summary>Builds the image into <paramref name="store"/> under <see cref="Name"/>.</summary>
    public static async Task BuildAsync(ContainerStore store)
    {
        var context = store.Scratch("dotnet-base");
        var rootfs = Directory.CreateDirectory(Path.Combine(context, "rootfs")).FullName;
        foreach (var dir in new[] { "bin", "tmp", "proc", "dev", "etc", "var/task", "var/runtime", "var/lang/bin", "lib64", "lib/x86_64-linux-gnu" })
            Directory.CreateDirectory(Path.Combine(rootfs, dir));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin/busybox"));
        File.CreateSymbolicLink(Path.Combine(rootfs, "bin/sh"), "busybox");
        Executable(Path.Combine(rootfs, "lambda-entrypoint.sh"), Entrypoint);
        Executable(Path.Combine(rootfs, "var/runtime/bootstrap"), Bootstrap);
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "Stratus.Lambda.RuntimeHost.*"))
            File.Copy(file, Path.Combine(rootfs, "var/runtime", Path.GetFileName(file)));

        // The .NET host, its resolver and the shared runtime only (no SDK, no ASP.NET Core), as AWS's image has them.
        var dotnet = Path.GetDirectoryName(new FileInfo("/usr/bin/dotnet").ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "/usr/share/dotnet/dotnet")!;
        var lang = Path.Combine(rootfs, "var/lang/bin");
        File.Copy(Path.Combine(dotnet, "dotnet"), Path.Combine(lang, "dotnet"));
        CopyTree(Path.Combine(dotnet, "host"), Path.Combine(lang, "host"));
        CopyTree(Path.Combine(dotnet, "shared", "Microsoft.NETCore.App"), Path.Combine(lang, "shared", "Microsoft.NETCore.App"));

        // What those load: their ldd closure, and OpenSSL, which .NET opens by name for hashing and TLS.
        var natives = Directory.EnumerateFiles(lang, "*.so", SearchOption.AllDirectories).Append(Path.Combine(lang, "dotnet"));
        var libraries = new SortedSet<string>(StringComparer.Ordinal) { "/lib/x86_64-linux-gnu/libssl.so.3", "/lib/x86_64-linux-gnu/libcrypto.so.3" };
        foreach (var native in natives)
            foreach (Match match in LddPath().Matches(await LddAsync(native)))
                libraries.Add(match.Groups[1].Value);
        foreach (var library in libraries.Where(File.Exists))
        {
            var target = Path.GetFileName(library).StartsWith("ld-linux", StringComparison.Ordinal) ? "lib64" : "lib/x86_64-linux-gnu";
            var destination = Path.Combine(rootfs, target, Path.GetFileName(library));
            if (!File.Exists(destination)) File.Copy(library, destination);
        }
        File.Copy("/lib64/ld-linux-x86-64.so.2", Path.Combine(rootfs, "lib64/ld-linux-x86-64.so.2"), overwrite: true);

        File.WriteAllText(Path.Combine(context, "Dockerfile"), Dockerfile);
        await store.RunAsync("buildah", "", "build", "--platform", "linux/amd64", "-t", Name, context);
    }

    private static async Task<string> LddAsync(string file)
    {
        using var ldd = Process.Start(new ProcessStartInfo("ldd", [file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await ldd.StandardOutput.ReadToEndAsync();
        await ldd.WaitForExitAsync();
        return output;
    }

    /// <summary>"libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)": the resolved path.</summary>
    [GeneratedRegex(@"=> (/\S+)")]
    private static partial Regex LddPath();

    private static void Executable(string path, string script)
    {
        File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    private static void CopyTree(string source, string target)
    {
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)));
    }
}
