using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>
/// Creates, updates and deletes one AWS resource type through its service's domain code (the same
/// code that service's API calls). Adding a resource type is one class implementing this, registered
/// in the composition root.
/// </summary>
public interface IResourceProvider
{
    /// <summary>The CloudFormation type name, e.g. "AWS::IAM::Role".</summary>
    string Type { get; }

    /// <summary>Properties whose change means a new physical resource, as AWS documents "Update requires: Replacement".</summary>
    IReadOnlySet<string> ReplacedOnChange { get; }

    /// <summary>The properties whose change replaces this request's resource: <see cref="ReplacedOnChange"/>, unless the type's own schema says (a registered private type).</summary>
    IReadOnlySet<string> ReplacedOnChangeOf(ResourceRequest request) => ReplacedOnChange;

    Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation);

    /// <summary>Changes the resource in place to <see cref="ResourceRequest.Properties"/>, coming from <paramref name="previousProperties"/>.</summary>
    Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation);

    /// <summary>Deletes the resource; one that is already gone counts as deleted.</summary>
    Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation);
}

/// <summary>What a provider made: the physical id (what Ref returns) and the Fn::GetAtt attributes.</summary>
public sealed record ProvisionedResource(string PhysicalId, IReadOnlyDictionary<string, string> Attributes);

/// <summary>One resource operation's context: where, for which stack, with which resolved properties.</summary>
public sealed class ResourceRequest(string accountId, string region, string stackName, string logicalId, JsonObject properties)
{
    public string AccountId { get; } = accountId;
    public string Region { get; } = region;
    public string StackName { get; } = stackName;
    public string LogicalId { get; } = logicalId;
    /// <summary>The stack's id and the resource's type as the template writes it (a custom resource's Custom::Name), for providers that pass them on.</summary>
    public string StackId { get; init; } = "";
    public string Type { get; init; } = "";
    /// <summary>The scope the provider's domain calls run in: the stack's account and region, no request behind it.</summary>
    public Scope Scope { get; } = Scope.Of(accountId, region);
    public ResourceProperties Properties { get; } = new(logicalId, properties);
    /// <summary>
    /// On a delete, the template's DeletionPolicy (or, for a replaced resource, its UpdateReplacePolicy). "Snapshot"
    /// asks a provider whose type supports it (AWS::RDS::DBInstance) to take a final snapshot before deleting.
    /// </summary>
    public string? DeletionPolicy { get; init; }

    /// <summary>
    /// On a create, whether the resource's CreationPolicy makes it wait for SignalResource signals (the stack engine waits for them
    /// after the provider answers); a wait condition so created takes none of its own properties, as on AWS.
    /// </summary>
    public bool AwaitsResourceSignals { get; init; }

    /// <summary>A unique name for a resource the template leaves unnamed: stack-logicalId-SUFFIX, as CloudFormation makes them.</summary>
    public string GeneratedName(int maxLength)
    {
        var suffix = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 12);
        var room = maxLength - suffix.Length - 2;
        var stack = StackName.Length > room / 2 ? StackName[..(room / 2)] : StackName;
        var logical = LogicalId.Length > room - stack.Length ? LogicalId[..(room - stack.Length)] : LogicalId;
        return $"{stack}-{logical}-{suffix}";
    }
}

/// <summary>A property a provider cannot use; the stack reports it as CloudFormation's property validation does.</summary>
public sealed class ResourcePropertyException(string message) : Exception(message);

/// <summary>How providers keep DeleteAsync's promise that a resource already gone counts as deleted.</summary>
public static class ResourceDeletion
{
    /// <summary>Runs a delete, treating the service's "not found" errors as already deleted.</summary>
    public static void IfPresent(Action delete, params string[] notFoundCodes)
    {
        try
        {
            delete();
        }
        catch (AwsException e) when (notFoundCodes.Contains(e.Code))
        {
            // Already gone: nothing left to delete.
        }
    }
}
