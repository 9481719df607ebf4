using System.Text.Json.Nodes;
using System.Xml.Linq;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.S3.Engine;

namespace Stratus.Services.S3.CloudFormation;

/// <summary>
/// AWS::S3::Bucket through S3's domain: the bucket, then each configuration the template states, stored
/// as the same documents S3's API stores. Deleting a bucket that still holds objects fails with S3's
/// BucketNotEmpty, as on AWS (a stack empties nothing on its own).
/// </summary>
public sealed class S3BucketProvider(S3Service s3) : IResourceProvider, ILiveStateReader, IResourceImporter
{
    public string ImportIdentifier => "BucketName";

    // A bucket another account owns is not there to import for this one.
    public ProvisionedResource? FindExisting(Scope scope, string identifier) =>
        ResourceLookup.IfPresent(() => s3.GetBucket(scope, identifier), "NoSuchBucket", "AccessDenied") is { } bucket ? Provisioned(bucket) : null;

    /// <summary>The account's buckets in the scope's Region: a scan covers one Region, though bucket names are global.</summary>
    public IEnumerable<ExistingResource> ListExisting(Scope scope) =>
        s3.ListBuckets(scope).Where(b => b.Region == scope.Region).Select(b => new ExistingResource(b.Name, Provisioned(b), b.Tags));

    /// <summary>The configurations a bucket's template may state, by subresource, and how each becomes S3's document.</summary>
    private static readonly (string Subresource, Func<ResourceProperties, XElement?> Document)[] Configurations =
    [
        ("encryption", BucketConfigurationDocuments.Encryption),
        ("publicAccessBlock", BucketConfigurationDocuments.PublicAccessBlock),
        ("lifecycle", BucketConfigurationDocuments.Lifecycle),
        ("cors", BucketConfigurationDocuments.Cors),
        ("ownershipControls", BucketConfigurationDocuments.OwnershipControls),
        (BucketNotifications.Subresource, BucketConfigurationDocuments.Notification),
    ];

    private static readonly HashSet<string> Supported =
    [
        "BucketName", "VersioningConfiguration", "BucketEncryption", "PublicAccessBlockConfiguration", "LifecycleConfiguration",
        "CorsConfiguration", "OwnershipControls", "Tags", "AccessControl", "NotificationConfiguration",
    ];

    public string Type => "AWS::S3::Bucket";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "BucketName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        CheckSupported(p);
        // CloudFormation names an unnamed bucket stack-logicalid-suffix in lower case, within S3's 63 characters.
        var name = p.String("BucketName") ?? request.GeneratedName(63).ToLowerInvariant();
        var bucket = s3.CreateBucket(request.Scope, name, request.Region == "us-east-1" ? null : request.Region);
        try
        {
            Configure(request.Scope, name, p, previous: null);
        }
        catch
        {
            // A bucket whose configuration was refused is not left behind half made.
            ResourceDeletion.IfPresent(() => s3.DeleteBucket(request.Scope, name), "NoSuchBucket");
            throw;
        }
        return Task.FromResult(Provisioned(bucket));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        CheckSupported(p);
        Configure(request.Scope, current.PhysicalId, p, new ResourceProperties(request.LogicalId, previousProperties));
        return Task.FromResult(Provisioned(s3.GetBucket(request.Scope, current.PhysicalId)));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => s3.DeleteBucket(request.Scope, current.PhysicalId), "NoSuchBucket");
        return Task.CompletedTask;
    }

    private static void CheckSupported(ResourceProperties p)
    {
        if (p.Values.Select(v => v.Key).FirstOrDefault(k => !Supported.Contains(k)) is { } unsupported)
            throw p.Invalid(unsupported, $"Stratus's S3 does not implement the bucket property {unsupported}");
    }

    /// <summary>Brings the bucket's versioning, tags and configurations to what the template states; those it no longer states are removed.</summary>
    private void Configure(Scope scope, string name, ResourceProperties p, ResourceProperties? previous)
    {
        if (p.Object("VersioningConfiguration")?.Required("Status") is { } status) s3.SetVersioning(scope, name, status);
        // Versioning, once enabled, can only be suspended: dropping it from the template suspends it, as CloudFormation does.
        else if (previous?.Object("VersioningConfiguration") is not null) s3.SetVersioning(scope, name, "Suspended");

        var tags = p.Tags().ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        if (tags.Count > 0) s3.PutBucketTags(scope, name, tags);
        else if (previous is not null) s3.DeleteBucketTags(scope, name);

        // A configuration the template never stated keeps what S3 gave the bucket (the Block Public Access settings every new
        // bucket gets since April 2023 among them); one it stops stating is removed.
        foreach (var (subresource, document) in Configurations)
        {
            if (document(p) is { } xml) s3.PutConfiguration(scope, name, subresource, xml.ToString(SaveOptions.DisableFormatting));
            else if (previous is not null && document(previous) is not null) s3.DeleteConfiguration(scope, name, subresource);
        }

        // AccessControl is a canned ACL in CloudFormation's spelling (PublicRead is public-read), set after the ownership
        // controls that allow it; S3 refuses it on a bucket with ACLs disabled as it refuses PutBucketAcl. Dropping it returns to Private.
        if (p.String("AccessControl") is { } canned)
            s3.PutBucketAcl(scope, name, AccessControl.Canned(CannedAclName(canned), scope.AccountId, scope.AccountId, forBucket: true));
        else if (previous?.String("AccessControl") is not null)
            s3.PutBucketAcl(scope, name, AccessControl.Default(scope.AccountId));
    }

    /// <summary>The bucket's name and versioning as S3 holds them, for drift detection (configuration documents and tags are not compared).</summary>
    public JsonObject? ReadLive(ResourceRequest request, ProvisionedResource current)
    {
        S3Bucket bucket;
        try
        {
            bucket = s3.GetBucket(request.Scope, current.PhysicalId);
        }
        catch (AwsException e) when (e.Code == "NoSuchBucket")
        {
            return null;
        }
        return new JsonObject
        {
            ["BucketName"] = bucket.Name,
            ["VersioningConfiguration"] = bucket.Versioning is { } status ? new JsonObject { ["Status"] = status } : null,
            ["Tags"] = LiveState.TagList(request.Properties.Values["Tags"], bucket.Tags),
        };
    }

    private static string CannedAclName(string property) =>
        string.Concat(property.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static ProvisionedResource Provisioned(S3Bucket bucket) => new(bucket.Name, new Dictionary<string, string>
    {
        ["Arn"] = $"arn:aws:s3:::{bucket.Name}",
        ["DomainName"] = $"{bucket.Name}.s3.amazonaws.com",
        ["RegionalDomainName"] = $"{bucket.Name}.s3.{bucket.Region}.amazonaws.com",
        ["DualStackDomainName"] = $"{bucket.Name}.s3.dualstack.{bucket.Region}.amazonaws.com",
        ["WebsiteURL"] = $"http://{bucket.Name}.{WebsiteEndpoint(bucket.Region)}",
    });

    // The website endpoints of S3's older regions join "s3-website" and the region with a dash, the newer ones with a dot.
    private static readonly HashSet<string> DashWebsiteRegions =
        ["us-east-1", "us-west-1", "us-west-2", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "eu-west-1", "sa-east-1", "us-gov-west-1"];

    private static string WebsiteEndpoint(string region) =>
        DashWebsiteRegions.Contains(region) ? $"s3-website-{region}.amazonaws.com" : $"s3-website.{region}.amazonaws.com";
}
