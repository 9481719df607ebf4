namespace Stratus.Tests.Infrastructure;

/// <summary>
/// Which kind a test class is, so the two run apart: end-to-end classes start a real Stratus, functions or
/// external clients (boto3, the aws CLI, skopeo, cfn-lint) and take seconds each; everything else is a fast unit test.
/// `dotnet test --filter Category!=EndToEnd` runs the unit tests alone, `--filter Category=EndToEnd` the rest.
/// </summary>
public static class TestKind
{
    public const string Category = "Category";
    public const string EndToEnd = "EndToEnd";
}
