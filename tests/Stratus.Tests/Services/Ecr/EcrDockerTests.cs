using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Ecr.EcrRegistryTests;

namespace Stratus.Tests.Services.Ecr;

/// <summary>
/// The seed's docker commands against ECR's registry: docker login with get-login-password, tag, push to the
/// repositoryUri as describe-repositories returns it, pull back. The test starts its own dockerd (Debian's
/// docker.io, as prerequisites.sh --for-tests installs it) on a private socket and data root, with no
/// network setup, so nothing of the machine's own Docker is touched.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class EcrDockerTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Docker_logs_in_pushes_to_the_repository_uri_unchanged_and_pulls_back_the_same_digest()
    {
        var scratch = Directory.CreateTempSubdirectory("stratus-dockerd-").FullName;
        Dockerd? daemon = null;
        try
        {
            daemon = await Dockerd.StartAsync(scratch);
            await CreateRepositoryAsync(stratus.Url, "docker/app");
            var uri = await RepositoryUriAsync(stratus.Url, "docker/app");
            var rootfs = Path.Combine(scratch, "rootfs.tar");
            await using (var tar = File.Create(rootfs))
            await using (var writer = new TarWriter(tar, TarEntryFormat.Pax))
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "hello.txt") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("hello\n")) });

            await daemon.RunAsync("import", rootfs, "local/app:latest");
            await daemon.RunAsync("login", "--username", "AWS", "--password", await PasswordAsync(stratus.Url), uri.Split('/')[0]);
            await daemon.RunAsync("tag", "local/app:latest", uri + ":latest");
            var pushed = await daemon.RunAsync("push", uri + ":latest");
            var digest = System.Text.RegularExpressions.Regex.Match(pushed, @"digest: (sha256:[0-9a-f]{64})").Groups[1].Value;
            Assert.False(string.IsNullOrEmpty(digest), pushed);

            await daemon.RunAsync("rmi", uri + ":latest", "local/app:latest");
            var pulled = await daemon.RunAsync("pull", uri + ":latest");
            Assert.Contains(digest, pulled);
            var described = await Clients.AwsAsync(stratus.Url, "ecr", "describe-images", "--repository-name", "docker/app",
                "--query", "imageDetails[0].[imageDigest,imageManifestMediaType]", "--output", "text");
            Assert.Equal($"{digest}\tapplication/vnd.docker.distribution.manifest.v2+json", described.Stdout.Trim());
        }
        finally
        {
            // The daemon stops before its data root goes.
            if (daemon is not null) await daemon.DisposeAsync();
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>A dockerd of the test's own: private socket, data root and client config, stopped with SIGTERM.</summary>
    private sealed class Dockerd : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _socket;
        private readonly string _config;

        private Dockerd(Process process, string socket, string config)
        {
            _process = process;
            _socket = socket;
            _config = config;
        }

        public static async Task<Dockerd> StartAsync(string scratch)
        {
            var dockerd = new[] { "/usr/bin/dockerd", "/usr/sbin/dockerd" }.FirstOrDefault(File.Exists);
            Assert.True(dockerd is not null, "dockerd is missing: scripts/prerequisites.sh --for-tests installs Debian's docker.io");
            var socket = Path.Combine(scratch, "docker.sock");
            var start = new ProcessStartInfo(dockerd!)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "--iptables=false", "--bridge=none", "--storage-driver=vfs", "--data-root", Path.Combine(scratch, "data"),
                         "--exec-root", Path.Combine(scratch, "exec"), "--pidfile", Path.Combine(scratch, "dockerd.pid"), "--host", "unix://" + socket })
                start.ArgumentList.Add(arg);
            var process = Process.Start(start)!;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var daemon = new Dockerd(process, socket, Directory.CreateDirectory(Path.Combine(scratch, "client")).FullName);
            for (var attempt = 0; attempt < 60; attempt++)
            {
                if (process.HasExited) break;
                if ((await daemon.TryRunAsync("version")).ExitCode == 0) return daemon;
                await Task.Delay(500);
            }
            await daemon.DisposeAsync();
            throw new InvalidOperationException("dockerd did not start within 30 s");
        }

        public async Task<string> RunAsync(params string[] args)
        {
            var result = await TryRunAsync(args);
            Assert.True(result.ExitCode == 0, $"docker {string.Join(' ', args.Where(a => a.Length < 100))}: {result}");
            return result.Stdout;
        }

        private Task<ProcessResult> TryRunAsync(params string[] args) =>
            Clients.RunAsync("docker", args, "", TimeSpan.FromMinutes(3),
                new Dictionary<string, string> { ["DOCKER_HOST"] = "unix://" + _socket, ["DOCKER_CONFIG"] = _config });

        public async ValueTask DisposeAsync()
        {
            if (_process.HasExited) return;
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
    }
}
