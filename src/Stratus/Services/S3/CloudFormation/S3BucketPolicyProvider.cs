using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.S3.CloudFormation;

/// <summary>AWS::S3::BucketPolicy: the bucket's policy document, stored as PutBucketPolicy stores it. Its physical id is the bucket's name, as on AWS.</summary>
public sealed class S3BucketPolicyProvider(S3Service s3) : IResourceProvider
{
    public string Type => "AWS::S3::BucketPolicy";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Bucket" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var bucket = p.Required("Bucket");
        s3.PutPolicy(request.Scope, bucket, p.RequiredDocument("PolicyDocument"));
        return Task.FromResult(new ProvisionedResource(bucket, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        s3.PutPolicy(request.Scope, current.PhysicalId, request.Properties.RequiredDocument("PolicyDocument"));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => s3.DeletePolicy(request.Scope, current.PhysicalId), "NoSuchBucket");
        return Task.CompletedTask;
    }
}
