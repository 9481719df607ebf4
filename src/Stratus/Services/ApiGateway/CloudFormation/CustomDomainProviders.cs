using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGateway.CloudFormation;

/// <summary>
/// AWS::ApiGateway::DomainName and AWS::ApiGatewayV2::DomainName, through the one custom domain store both APIs share: Ref is the domain
/// name; GetAtt RegionalDomainName (the name Stratus answers on) and DomainNameArn. A new certificate, security policy, routing mode, tags or
/// MutualTlsAuthentication change the domain in place (the truststore read again; MutualTlsAuthentication taken out turns mutual TLS off);
/// a new name or endpoint type replaces it.
/// </summary>
public sealed class CustomDomainNameProvider(CustomDomainNames domains, string type) : IResourceProvider
{
    public string Type => type;

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "DomainName", "EndpointConfiguration" };

    private DomainNameSettings Read(ResourceProperties properties) =>
        type == "AWS::ApiGateway::DomainName" ? DomainNameSettings.ReadRest(properties) : DomainNameSettings.ReadHttp(properties);

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) =>
        Task.FromResult(Provisioned(domains.Create(request.Scope, Read(request.Properties))));

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var settings = Read(request.Properties);
        return Task.FromResult(Provisioned(domains.UpdateCertificate(request.Scope, current.PhysicalId, settings.CertificateArn, settings.CertificateName,
            settings.SecurityPolicy, settings.Tags ?? [], settings.RoutingMode ?? RoutingModes.ApiMappingOnly,
            settings.MutualTls ?? new MutualTlsSettings("", null))));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => domains.Delete(request.Scope, current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }

    private static ProvisionedResource Provisioned(CustomDomain domain) => new(domain.DomainName, new Dictionary<string, string>
    {
        ["RegionalDomainName"] = domain.RegionalDomainName,
        ["DomainNameArn"] = domain.Arn,
    });
}

/// <summary>
/// AWS::ApiGateway::BasePathMapping (BasePath, RestApiId, Stage; Ref the base path, "(none)" for none) and AWS::ApiGatewayV2::ApiMapping
/// (ApiMappingKey, ApiId, Stage; Ref the mapping id), through the shared domain store: a new domain name replaces the mapping (a new base
/// path too, for REST, as AWS documents), anything else changes it in place.
/// </summary>
public sealed class DomainMappingProvider(CustomDomainNames domains, string type) : IResourceProvider
{
    private bool IsRest => type == "AWS::ApiGateway::BasePathMapping";

    public string Type => type;

    public IReadOnlySet<string> ReplacedOnChange => IsRest ? RestReplaced : HttpReplaced;

    private static readonly HashSet<string> RestReplaced = ["DomainName", "BasePath"];
    private static readonly HashSet<string> HttpReplaced = ["DomainName"];

    private (string? BasePath, string ApiId, string? Stage) Read(ResourceProperties p) =>
        IsRest ? (p.String("BasePath"), p.Required("RestApiId"), p.String("Stage")) : (p.String("ApiMappingKey"), p.Required("ApiId"), p.Required("Stage"));

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var (basePath, apiId, stage) = Read(request.Properties);
        var mapping = domains.CreateMapping(request.Scope, request.Properties.Required("DomainName"), basePath, apiId, stage, restApiOnly: IsRest);
        return Task.FromResult(Provisioned(mapping));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var (basePath, apiId, stage) = Read(request.Properties);
        var mapping = domains.UpdateMapping(request.Scope, request.Properties.Required("DomainName"), current.PhysicalId, basePath ?? "", apiId, stage, restApiOnly: IsRest);
        return Task.FromResult(Provisioned(mapping));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => domains.DeleteMapping(request.Scope, request.Properties.Required("DomainName"), current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }

    private ProvisionedResource Provisioned(DomainMapping mapping) =>
        IsRest
            ? new(mapping.BasePath.Length == 0 ? CustomDomainNames.NoBasePath : mapping.BasePath, new Dictionary<string, string>())
            : new(mapping.Id, new Dictionary<string, string> { ["ApiMappingId"] = mapping.Id });
}

/// <summary>
/// AWS::ApiGatewayV2::RoutingRule (DomainNameArn, Priority, Conditions, Actions) through the shared domain store, read with the API's
/// <see cref="RoutingRuleSettings"/>: Ref is the rule's ARN, GetAtt RoutingRuleId and RoutingRuleArn; a new domain replaces the rule, anything
/// else replaces its content in place, as PutRoutingRule does.
/// </summary>
public sealed class RoutingRuleProvider(CustomDomainNames domains) : IResourceProvider
{
    public string Type => "AWS::ApiGatewayV2::RoutingRule";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "DomainNameArn" };

    private const string DomainArnMarker = "::/domainnames/";

    /// <summary>The domain name an ARN of the form arn:aws:apigateway:REGION::/domainnames/NAME names.</summary>
    private static string DomainName(ResourceProperties properties)
    {
        var arn = properties.Required("DomainNameArn");
        var at = arn.IndexOf(DomainArnMarker, StringComparison.Ordinal);
        if (!arn.StartsWith("arn:aws:apigateway:", StringComparison.Ordinal) || at < 0 || arn.Length == at + DomainArnMarker.Length)
            throw properties.Invalid("DomainNameArn", "must be a custom domain name's ARN (arn:aws:apigateway:REGION::/domainnames/NAME)");
        return arn[(at + DomainArnMarker.Length)..];
    }

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var name = DomainName(request.Properties);
        var rule = domains.CreateRoutingRule(request.Scope, name, null, RoutingRuleSettings.Read(request.Properties));
        return Task.FromResult(Provisioned(request, name, rule));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var name = DomainName(request.Properties);
        var rule = domains.PutRoutingRule(request.Scope, name, null, RuleId(current), RoutingRuleSettings.Read(request.Properties));
        return Task.FromResult(Provisioned(request, name, rule));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => domains.DeleteRoutingRule(request.Scope, DomainName(request.Properties), null, RuleId(current)),
            "NotFoundException");
        return Task.CompletedTask;
    }

    /// <summary>The rule's id, the last segment of its ARN (the physical id).</summary>
    private static string RuleId(ProvisionedResource current) => current.PhysicalId[(current.PhysicalId.LastIndexOf('/') + 1)..];

    private ProvisionedResource Provisioned(ResourceRequest request, string name, RoutingRule rule)
    {
        var arn = CustomDomainNames.RoutingRuleArn(domains.Get(request.Scope, name), rule);
        return new(arn, new Dictionary<string, string> { ["RoutingRuleId"] = rule.Id, ["RoutingRuleArn"] = arn });
    }
}
