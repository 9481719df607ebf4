using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

/// <summary>The seed's zip path (shared/acceptance/seed-flow.sh, a literal transcription of the seed's commands) against a fresh Stratus.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SeedFlowAcceptanceTests
{
    [Fact]
    public Task Every_step_of_the_seed_flow_passes() => AcceptanceScript.PassesEveryStepAsync("seed-flow.sh", minimumSteps: 40);
}
