namespace Stratus.Services.CloudFormation.Resources;

/// <summary>The resource types Stratus can provision, by CloudFormation type name.</summary>
public sealed class ResourceProviders
{
    private readonly Dictionary<string, IResourceProvider> _byType;

    public ResourceProviders(IEnumerable<IResourceProvider> providers) =>
        _byType = providers.ToDictionary(p => p.Type, StringComparer.Ordinal);

    /// <summary>These providers and one more: CloudFormation's own types (nested stacks) need the service these are built for.</summary>
    public ResourceProviders With(IResourceProvider provider) => new(_byType.Values.Append(provider));

    /// <summary>The provider of a type; every Custom::Name is a custom resource, as in CloudFormation.</summary>
    public IResourceProvider? Find(string type) => _byType.GetValueOrDefault(
        type.StartsWith(CustomResourceProvider.TypePrefix, StringComparison.Ordinal) ? CustomResourceProvider.GenericType : type);

    /// <summary>Every provider, one per type.</summary>
    public IEnumerable<IResourceProvider> All => _byType.Values;

    /// <summary>The types that can be imported into a stack, and the property that identifies a resource of each.</summary>
    public IReadOnlyDictionary<string, string> ImportIdentifiers() =>
        _byType.Values.Where(p => p is IResourceImporter).ToDictionary(p => p.Type, p => ((IResourceImporter)p).ImportIdentifier, StringComparer.Ordinal);

    public string Unsupported(string type) =>
        $"Resource type {type} is not supported by Stratus. Supported types: {string.Join(", ", _byType.Keys.Order(StringComparer.Ordinal))}.";
}
