using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Ecr;

/// <summary>
/// What `--auth enforce` authorizes ECR's operations against (Service Authorization Reference, Amazon
/// ECR): the repository, arn:aws:ecr:REGION:ACCOUNT:repository/NAME, in the account registryId names
/// (the caller's by default); repository policies (SetRepositoryPolicy) are the resource policies and a
/// repository's tags its aws:ResourceTag and ecr:ResourceTag keys.
/// </summary>
public static class EcrAuthorization
{
    public static AuthorizationTable Table(EcrService ecr) => new("ecr", ecr.RepositoryPolicyOf,
        unlisted: i => i.String("repositoryName") is { } name ? [RepositoryArn(i, name)] : i.String("resourceArn") is { } arn ? [arn] : [],
        resourceTags: ecr.RepositoryTagsOf, serviceResourceTagKey: "ecr:ResourceTag");

    public static string RepositoryArn(OperationInput input, string name) =>
        $"arn:aws:ecr:{input.Scope.Region}:{input.String("registryId") ?? input.Scope.AccountId}:repository/{name}";
}

public sealed partial class EcrService
{
    /// <summary>A repository's policy text by the repository's ARN, or null.</summary>
    public string? RepositoryPolicyOf(string arn) => RepositoryByArn(arn)?.RepositoryPolicyText;

    /// <summary>A repository's tags by the repository's ARN, or null when there is no such repository.</summary>
    public IReadOnlyDictionary<string, string>? RepositoryTagsOf(string arn) =>
        RepositoryByArn(arn)?.Tags.GroupBy(t => t.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    private EcrRepository? RepositoryByArn(string arn) =>
        arn.Split(':', 6) is ["arn", _, "ecr", var region, var account, var resource] && resource.StartsWith("repository/", StringComparison.Ordinal)
            ? _repositories.Get(ResourceTable<EcrRepository>.Key(account, region, resource["repository/".Length..]))
            : null;
}
