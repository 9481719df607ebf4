using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AccountsTemplatesTests
{
    [Fact]
    public async Task The_accounts_templates_pass_cfn_lint()
    {
        var templates = new[] { "api_gw_template.yml", "stack.yml", "template.yml" }.Select(t => Path.Combine(RepoPaths.Root, "examples", "accounts", t)).ToArray();
        // W3002 says a local Code/CodeUri path needs `aws cloudformation package`: stack.yml and template.yml are deployed exactly that way.
        var lint = await Clients.RunAsync("cfn-lint", ["--ignore-checks", "W3002", "--", .. templates], "", TimeSpan.FromMinutes(3));
        Assert.True(lint.ExitCode == 0, lint.ToString());
    }
}
