using Stratus.Protocols;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>
/// A provider whose existing resources can be adopted by a stack (CreateChangeSet with ChangeSetType IMPORT). Stratus
/// imports the types identified by one property, as GetTemplateSummary's ResourceIdentifierSummaries lists them; a
/// type whose provider does not implement this is refused naming the type.
/// </summary>
public interface IResourceImporter
{
    /// <summary>The property that identifies a resource of this type, in the template's name (AWS::Lambda::Function: FunctionName).</summary>
    string ImportIdentifier { get; }

    /// <summary>
    /// The existing resource the identifier's value names, as the stack records one it created (its physical id, what
    /// Ref returns, and its Fn::GetAtt attributes), or null when there is none.
    /// </summary>
    ProvisionedResource? FindExisting(Scope scope, string identifier);

    /// <summary>Every resource of this type in the scope's account and Region, for a resource scan (StartResourceScan).</summary>
    IEnumerable<ExistingResource> ListExisting(Scope scope);
}

/// <summary>
/// A resource a scan found: the value of its type's identifier property, the resource as a stack would record it (its physical
/// id and Fn::GetAtt attributes), and its tags.
/// </summary>
public sealed record ExistingResource(string Identifier, ProvisionedResource Resource, IReadOnlyDictionary<string, string> Tags);

/// <summary>How importers answer "none" for a lookup that throws its service's not-found error, and read a paged list whole.</summary>
public static class ResourceLookup
{
    /// <summary>Every item of a list its service pages by marker: <paramref name="page"/> answers one page and the next marker.</summary>
    public static IEnumerable<T> All<T>(Func<string?, (IReadOnlyList<T> Items, string? NextMarker)> page)
    {
        string? marker = null;
        do
        {
            var (items, next) = page(marker);
            foreach (var item in items) yield return item;
            marker = next;
        } while (marker is not null);
    }

    public static T? IfPresent<T>(Func<T> find, params string[] notFoundCodes) where T : class
    {
        try
        {
            return find();
        }
        catch (AwsException e) when (notFoundCodes.Contains(e.Code))
        {
            return null;
        }
    }
}
