using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Ecr;

public sealed record EcrTag(string Key, string Value);

public sealed record EcrRepository
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string RepositoryName { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string ImageTagMutability { get; init; } = "MUTABLE";
    public bool ScanOnPush { get; init; }
    public IReadOnlyList<EcrTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:ecr:{Region}:{AccountId}:repository/{RepositoryName}";
    public string Uri => $"{AccountId}.dkr.ecr.{Region}.amazonaws.com/{RepositoryName}";
}

/// <summary>
/// ECR's control plane: repositories and registry login tokens, so the seed's ECR steps work. Stratus does
/// not serve the Docker registry protocol yet, so repositories hold no images.
/// </summary>
public sealed partial class EcrService(StateStore store, TimeProvider clock)
{
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(12);
    private readonly ResourceTable<EcrRepository> _repositories = new(store, "ecr.repositories");

    [GeneratedRegex(@"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex NamePattern();

    private static string Key(string accountId, string region, string name) => ResourceTable<EcrRepository>.Key(accountId, region, name);

    public EcrRepository Create(Scope scope, string name, string? tagMutability, bool scanOnPush, IReadOnlyList<EcrTag> tags)
    {
        if (name.Length is < 2 or > 256 || !NamePattern().IsMatch(name))
            throw new AwsException("InvalidParameterException",
                $"Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '{NamePattern()}''");
        if (tagMutability is not (null or "MUTABLE" or "IMMUTABLE"))
            throw new AwsException("InvalidParameterException", $"Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'");
        var repository = new EcrRepository
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            RepositoryName = name,
            CreatedAt = DateTimeOffset.FromUnixTimeSeconds(clock.GetUtcNow().ToUnixTimeSeconds()),
            ImageTagMutability = tagMutability ?? "MUTABLE",
            ScanOnPush = scanOnPush,
            Tags = tags,
        };
        if (!_repositories.TryAdd(Key(scope.AccountId, scope.Region, name), repository))
            throw new AwsException("RepositoryAlreadyExistsException",
                $"The repository with name '{name}' already exists in the registry with id '{scope.AccountId}'");
        return repository;
    }

    public IReadOnlyList<EcrRepository> Describe(Scope scope, IReadOnlyList<string> names) =>
        names.Count > 0
            ? names.Select(n => Get(scope, n)).ToList()
            : _repositories.Values.Where(r => r.AccountId == scope.AccountId && r.Region == scope.Region).OrderBy(r => r.RepositoryName, StringComparer.Ordinal).ToList();

    public EcrRepository Get(Scope scope, string name) =>
        _repositories.Get(Key(scope.AccountId, scope.Region, name)) ?? throw NotFound(scope, name);

    public EcrRepository GetByArn(Scope scope, string arn) => Get(scope, NameFromArn(arn));

    public EcrRepository Delete(Scope scope, string name) =>
        _repositories.Remove(Key(scope.AccountId, scope.Region, name)) ?? throw NotFound(scope, name);

    public EcrRepository Tag(Scope scope, string arn, IReadOnlyList<EcrTag> tags) =>
        _repositories.Update(Key(scope.AccountId, scope.Region, NameFromArn(arn)), r => r with
        {
            Tags = r.Tags.Where(t => tags.All(n => n.Key != t.Key)).Concat(tags).ToList(),
        }) ?? throw NotFound(scope, NameFromArn(arn));

    public EcrRepository Untag(Scope scope, string arn, IReadOnlyCollection<string> keys) =>
        _repositories.Update(Key(scope.AccountId, scope.Region, NameFromArn(arn)), r => r with { Tags = r.Tags.Where(t => !keys.Contains(t.Key)).ToList() })
            ?? throw NotFound(scope, NameFromArn(arn));

    /// <summary>A registry login token ("AWS:password", base64) as GetAuthorizationToken issues it.</summary>
    public (string Token, DateTimeOffset ExpiresAt) IssueToken() =>
        (Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)))),
            clock.GetUtcNow() + TokenLifetime);

    private static string NameFromArn(string arn)
    {
        var marker = arn.IndexOf(":repository/", StringComparison.Ordinal);
        return marker < 0
            ? throw new AwsException("InvalidParameterException", $"Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN {arn}'")
            : arn[(marker + ":repository/".Length)..];
    }

    private static AwsException NotFound(Scope scope, string name) =>
        new("RepositoryNotFoundException", $"The repository with name '{name}' does not exist in the registry with id '{scope.AccountId}'");
}
