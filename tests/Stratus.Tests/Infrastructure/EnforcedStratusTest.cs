namespace Stratus.Tests.Infrastructure;

/// <summary>
/// A test class's own Stratus under `--auth enforce`, started before its tests and stopped after them, with a root key
/// (<see cref="RootKey"/>, <see cref="RootSecret"/>) that the tests' scripts sign with to set up users, roles and policies.
/// </summary>
public abstract class EnforcedStratusTest : IAsyncLifetime
{
    protected const string RootKey = "AKIAROOTENFORCED0001";
    protected const string RootSecret = "root-secret-for-enforced-tests";

    protected StratusProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await StratusProcess.StartEphemeralAsync("--auth", "enforce", "--root-key", $"{RootKey}:{RootSecret}");

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
