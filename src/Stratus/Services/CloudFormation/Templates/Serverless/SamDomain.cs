using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// SAM's <c>Domain</c> property of AWS::Serverless::Api and AWS::Serverless::HttpApi: the custom domain name and a mapping per base path
/// to the API's stage, under SAM's logical ids. REST: <c>ApiGatewayDomainName&lt;hash&gt;</c> (AWS::ApiGateway::DomainName) and
/// <c>&lt;Api&gt;&lt;basepath&gt;BasePathMapping</c>; HTTP: <c>ApiGatewayDomainNameV2&lt;hash&gt;</c> (AWS::ApiGatewayV2::DomainName) and
/// <c>&lt;Api&gt;&lt;basepath&gt;ApiMapping</c>; the hash is the first 10 hex digits of the SHA-1 of the domain name, as SAM's logical id
/// generator makes it, and the base path in an id keeps only its letters and digits.
/// </summary>
public static partial class SamDomain
{
    private static readonly HashSet<string> Built = ["DomainName", "CertificateArn", "EndpointConfiguration", "BasePath", "MutualTlsAuthentication"];

    /// <summary>The characters SAM accepts in an HTTP API's base path.</summary>
    [GeneratedRegex(@"^[0-9a-zA-Z/\-_]*$")]
    private static partial Regex HttpBasePath();

    [GeneratedRegex("[^0-9a-zA-Z]")]
    private static partial Regex NotAlphanumeric();

    /// <summary>A REST API's domain (EDGE, REGIONAL, the default, or PRIVATE) and a base path mapping per base path, or one for the root.</summary>
    public static void AddRest(string apiId, JsonNode domainNode, string stageLogicalId, JsonObject? raw, JsonObject output)
    {
        var (domain, name, certificate) = Read(apiId, domainNode);
        var endpoint = domain["EndpointConfiguration"] is { } given ? SamTransform.Text(given) : "REGIONAL";
        if (endpoint is not ("EDGE" or "REGIONAL" or "PRIVATE"))
            throw SamErrors.Invalid(apiId, "EndpointConfiguration for Custom Domains must be one of ['EDGE', 'REGIONAL', 'PRIVATE'].");
        var domainId = "ApiGatewayDomainName" + LogicalIdHash(name);
        var properties = new JsonObject
        {
            ["DomainName"] = name.DeepClone(),
            [endpoint == "REGIONAL" ? "RegionalCertificateArn" : "CertificateArn"] = certificate.DeepClone(),
            ["EndpointConfiguration"] = new JsonObject { ["Types"] = new JsonArray(endpoint) },
        };
        CopyMutualTls(domain, properties);
        output[domainId] = SamTransform.Resource("AWS::ApiGateway::DomainName", properties, raw);
        foreach (var basePath in BasePaths(apiId, domain, validHttp: false))
        {
            var mapping = new JsonObject { ["DomainName"] = SamTransform.Ref(domainId), ["RestApiId"] = SamTransform.Ref(apiId), ["Stage"] = SamTransform.Ref(stageLogicalId) };
            if (basePath.Length > 0) mapping["BasePath"] = basePath;
            output[apiId + NotAlphanumeric().Replace(basePath, "") + "BasePathMapping"] = SamTransform.Resource("AWS::ApiGateway::BasePathMapping", mapping, raw);
        }
    }

    /// <summary>An HTTP API's domain (REGIONAL only, as SAM allows) and an API mapping per base path, or one for the root.</summary>
    public static void AddHttp(string apiId, JsonNode domainNode, string stageLogicalId, JsonObject? raw, JsonObject output)
    {
        var (domain, name, certificate) = Read(apiId, domainNode);
        if (domain["EndpointConfiguration"] is { } endpoint && SamTransform.Text(endpoint) != "REGIONAL")
            throw SamErrors.Invalid(apiId, "EndpointConfiguration for Custom Domains must be one of ['REGIONAL'].");
        var domainId = "ApiGatewayDomainNameV2" + LogicalIdHash(name);
        var properties = new JsonObject
        {
            ["DomainName"] = name.DeepClone(),
            ["DomainNameConfigurations"] = new JsonArray(new JsonObject { ["CertificateArn"] = certificate.DeepClone(), ["EndpointType"] = "REGIONAL" }),
        };
        CopyMutualTls(domain, properties);
        output[domainId] = SamTransform.Resource("AWS::ApiGatewayV2::DomainName", properties, raw);
        foreach (var basePath in BasePaths(apiId, domain, validHttp: true))
        {
            var mapping = new JsonObject { ["DomainName"] = SamTransform.Ref(domainId), ["ApiId"] = SamTransform.Ref(apiId), ["Stage"] = SamTransform.Ref(stageLogicalId) };
            if (basePath.Length > 0) mapping["ApiMappingKey"] = basePath;
            output[apiId + NotAlphanumeric().Replace(basePath, "") + "ApiMapping"] = SamTransform.Resource("AWS::ApiGatewayV2::ApiMapping", mapping, raw);
        }
    }

    /// <summary>SAM passes MutualTlsAuthentication ({TruststoreUri, TruststoreVersion}) to the domain name resource as given.</summary>
    private static void CopyMutualTls(JsonObject domain, JsonObject properties)
    {
        if (domain["MutualTlsAuthentication"] is { } mutualTls) properties["MutualTlsAuthentication"] = mutualTls.DeepClone();
    }

    private static (JsonObject Domain, JsonNode Name, JsonNode Certificate) Read(string apiId, JsonNode node)
    {
        if (node is not JsonObject domain) throw SamErrors.Invalid(apiId, "'Domain' must be a dictionary.");
        foreach (var (property, _) in domain.Where(p => !Built.Contains(p.Key)))
            throw SamErrors.NotServed(apiId, $"Stratus does not build the Domain property {property}.");
        if (domain["DomainName"] is not { } name || domain["CertificateArn"] is not { } certificate)
            throw SamErrors.Invalid(apiId, "Custom Domains only works if both DomainName and CertificateArn are provided.");
        return (domain, name, certificate);
    }

    /// <summary>The base paths with their leading and trailing slashes taken off; none is one mapping for the domain's root.</summary>
    private static IReadOnlyList<string> BasePaths(string apiId, JsonObject domain, bool validHttp)
    {
        var given = domain["BasePath"] switch
        {
            null => [],
            JsonArray list => list.Select(item => SamTransform.Text(item) ?? throw SamErrors.Invalid(apiId, "Basepath must be a string.")).ToList(),
            var single => [SamTransform.Text(single) ?? throw SamErrors.Invalid(apiId, "Basepath must be a string.")],
        };
        if (validHttp && given.Any(path => !HttpBasePath().IsMatch(path))) throw SamErrors.Invalid(apiId, "Invalid Basepath name provided.");
        return given.Count == 0 ? [""] : [.. given.Select(path => path.Trim('/')).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>SAM's logical id hash: SHA-1 of the string, or of the compact key-sorted JSON of an intrinsic, first 10 hex digits.</summary>
    private static string LogicalIdHash(JsonNode name) =>
        Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(SamTransform.Text(name) ?? Sorted(name)?.ToJsonString() ?? "null")))[..10];

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };
}
