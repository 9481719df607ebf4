namespace Stratus.Services.CloudFormation.Resources;

/// <summary>The resource types Stratus can provision, by CloudFormation type name.</summary>
public sealed class ResourceProviders
{
    private readonly Dictionary<string, IResourceProvider> _byType;
    private readonly IResourceProvider? _registered;

    /// <param name="registered">The provider of the private types registered in the registry (every name outside AWS's and custom resources' namespaces).</param>
    public ResourceProviders(IEnumerable<IResourceProvider> providers, IResourceProvider? registered = null)
    {
        _byType = providers.ToDictionary(p => p.Type, StringComparer.Ordinal);
        _registered = registered;
    }

    /// <summary>These providers and one more: CloudFormation's own types (nested stacks) need the service these are built for.</summary>
    public ResourceProviders With(IResourceProvider provider) => new(_byType.Values.Append(provider), _registered);

    /// <summary>These providers, and the registry's for the types it registers.</summary>
    public ResourceProviders WithRegistered(IResourceProvider registered) => new(_byType.Values, registered);

    /// <summary>
    /// The provider of a type; every Custom::Name is a custom resource, as in CloudFormation, and every other name outside
    /// the AWS namespace goes to the registry's provider, which knows whether the stack's account registered it.
    /// </summary>
    public IResourceProvider? Find(string type) =>
        _byType.GetValueOrDefault(type.StartsWith(CustomResourceProvider.TypePrefix, StringComparison.Ordinal) ? CustomResourceProvider.GenericType : type)
        ?? (type.StartsWith("AWS::", StringComparison.Ordinal) ? null : _registered);

    /// <summary>Every provider, one per type.</summary>
    public IEnumerable<IResourceProvider> All => _byType.Values;

    /// <summary>The types that can be imported into a stack, and the property that identifies a resource of each.</summary>
    public IReadOnlyDictionary<string, string> ImportIdentifiers() =>
        _byType.Values.Where(p => p is IResourceImporter).ToDictionary(p => p.Type, p => ((IResourceImporter)p).ImportIdentifier, StringComparer.Ordinal);

    public string Unsupported(string type) =>
        $"Resource type {type} is not supported by Stratus. Supported types: {string.Join(", ", _byType.Keys.Order(StringComparer.Ordinal))}.";
}
