using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>The templates the tests deploy are valid on real AWS too, as cfn-lint judges them.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CfnLintTests
{
    [Fact]
    public async Task Every_test_template_passes_cfn_lint()
    {
        var templates = Directory.GetFiles(CloudFormationTemplates.Directory, "*.yml").Order().ToList();
        Assert.True(templates.Count >= 7, $"expected the test templates in {CloudFormationTemplates.Directory}");

        var lint = await Clients.RunAsync("cfn-lint", ["--", .. templates], "http://127.0.0.1:1", TimeSpan.FromMinutes(3));

        Assert.True(lint.ExitCode == 0, lint.ToString());
    }
}
