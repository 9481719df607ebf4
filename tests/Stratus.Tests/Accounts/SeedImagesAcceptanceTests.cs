using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

/// <summary>
/// The seed's container-image path (shared/acceptance/seed-images.sh: ECR repository, registry login, skopeo push and
/// pull, an image function, invoke) against a fresh Stratus.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SeedImagesAcceptanceTests
{
    [Fact]
    public Task Every_step_of_the_seed_image_flow_passes() => AcceptanceScript.PassesEveryStepAsync("seed-images.sh", minimumSteps: 13);
}
