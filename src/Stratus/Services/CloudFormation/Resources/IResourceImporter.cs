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
}

/// <summary>How importers answer "none" for a lookup that throws its service's not-found error.</summary>
public static class ResourceLookup
{
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
