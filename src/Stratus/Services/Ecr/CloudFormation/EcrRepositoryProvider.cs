using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ecr.CloudFormation;

/// <summary>
/// AWS::ECR::Repository through ECR's domain: tag mutability, scan on push, lifecycle and repository
/// policies, tags. Deleting a repository that holds images fails as ECR's DeleteRepository does,
/// unless the template says EmptyOnDelete.
/// </summary>
public sealed class EcrRepositoryProvider(EcrService ecr) : IResourceProvider, IResourceImporter, ILiveStateReader
{
    public string ImportIdentifier => "RepositoryName";

    public ProvisionedResource? FindExisting(Scope scope, string identifier) =>
        ResourceLookup.IfPresent(() => ecr.GetRepository(scope, identifier), "RepositoryNotFoundException") is { } repository ? Provisioned(repository) : null;

    public IEnumerable<ExistingResource> ListExisting(Scope scope) =>
        ecr.DescribeRepositories(scope, []).Select(r => new ExistingResource(r.RepositoryName, Provisioned(r), r.Tags.ToDictionary(t => t.Key, t => t.Value)));

    public string Type => "AWS::ECR::Repository";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "RepositoryName", "EncryptionConfiguration" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        CheckEncryption(p);
        // CloudFormation names an unnamed repository stack-logicalid-suffix in lower case, as ECR requires.
        var name = p.String("RepositoryName") ?? request.GeneratedName(256).ToLowerInvariant();
        var repository = ecr.CreateRepository(request.Scope, name, p.String("ImageTagMutability"),
            p.Object("ImageScanningConfiguration")?.Bool("ScanOnPush") ?? false, Tags(p));
        try
        {
            ApplyPolicies(request.Scope, name, p, previous: null);
        }
        catch
        {
            ResourceDeletion.IfPresent(() => ecr.DeleteRepository(request.Scope, name, force: true), "RepositoryNotFoundException");
            throw;
        }
        return Task.FromResult(Provisioned(repository));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var scope = request.Scope;
        var name = current.PhysicalId;
        var previous = new ResourceProperties(request.LogicalId, previousProperties);
        ecr.PutImageTagMutability(scope, name, p.String("ImageTagMutability") ?? "MUTABLE");
        ecr.PutImageScanningConfiguration(scope, name, p.Object("ImageScanningConfiguration")?.Bool("ScanOnPush") ?? false);
        var repository = ecr.GetRepository(scope, name);
        var tags = Tags(p);
        ecr.UntagRepository(scope, repository.Arn, repository.Tags.Select(t => t.Key).Except(tags.Select(t => t.Key)).ToHashSet());
        ecr.TagRepository(scope, repository.Arn, tags);
        ApplyPolicies(scope, name, p, previous);
        return Task.FromResult(Provisioned(ecr.GetRepository(scope, name)));
    }

    /// <summary>The repository's settings as ECR holds them (drift detection, the IaC generator); its images are not the template's.</summary>
    public JsonObject? ReadLive(ResourceRequest request, ProvisionedResource current)
    {
        if (ResourceLookup.IfPresent(() => ecr.GetRepository(request.Scope, current.PhysicalId), "RepositoryNotFoundException") is not { } repository) return null;
        var expected = request.Properties.Values;
        return new JsonObject
        {
            ["RepositoryName"] = repository.RepositoryName,
            ["ImageTagMutability"] = repository.ImageTagMutability,
            ["ImageScanningConfiguration"] = new JsonObject { ["ScanOnPush"] = repository.ScanOnPush },
            ["LifecyclePolicy"] = repository.LifecyclePolicyText is { } lifecycle ? new JsonObject { ["LifecyclePolicyText"] = lifecycle } : null,
            ["RepositoryPolicyText"] = repository.RepositoryPolicyText is { } policy ? LiveState.Document(expected["RepositoryPolicyText"], policy) : null,
            // Stratus's ECR keeps images with its default encryption only (CheckEncryption).
            ["EncryptionConfiguration"] = new JsonObject { ["EncryptionType"] = "AES256" },
            ["Tags"] = LiveState.TagList(expected["Tags"], repository.Tags.Select(t => KeyValuePair.Create(t.Key, t.Value))),
        };
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var emptyOnDelete = request.Properties.Bool("EmptyOnDelete") ?? false;
        ResourceDeletion.IfPresent(() => ecr.DeleteRepository(request.Scope, current.PhysicalId, emptyOnDelete), "RepositoryNotFoundException");
        return Task.CompletedTask;
    }

    private void ApplyPolicies(Scope scope, string name, ResourceProperties p, ResourceProperties? previous)
    {
        if (p.Object("LifecyclePolicy")?.String("LifecyclePolicyText") is { } lifecycle) ecr.PutLifecyclePolicy(scope, name, lifecycle);
        else if (previous?.Object("LifecyclePolicy")?.String("LifecyclePolicyText") is not null)
            ResourceDeletion.IfPresent(() => ecr.DeleteLifecyclePolicy(scope, name), "LifecyclePolicyNotFoundException");

        if (p.Values["RepositoryPolicyText"] is not null) ecr.SetRepositoryPolicy(scope, name, p.RequiredDocument("RepositoryPolicyText"));
        else if (previous?.Values["RepositoryPolicyText"] is not null)
            ResourceDeletion.IfPresent(() => ecr.DeleteRepositoryPolicy(scope, name), "RepositoryPolicyNotFoundException");
    }

    // Images sit unencrypted on Stratus's disk, as ECR's default (AES256) describes; a customer key is not something Stratus's ECR has.
    private static void CheckEncryption(ResourceProperties p)
    {
        if (p.Object("EncryptionConfiguration")?.String("EncryptionType") is { } type && type != "AES256")
            throw p.Invalid("EncryptionConfiguration", $"Stratus's ECR stores images with its default encryption (AES256) only, not {type}");
    }

    private static List<EcrTag> Tags(ResourceProperties p) => p.Tags().Select(t => new EcrTag(t.Key, t.Value)).ToList();

    private ProvisionedResource Provisioned(EcrRepository repository) => new(repository.RepositoryName, new Dictionary<string, string>
    {
        ["Arn"] = repository.Arn,
        ["RepositoryUri"] = ecr.RepositoryUri(repository),
    });
}
