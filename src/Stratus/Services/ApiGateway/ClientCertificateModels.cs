using System.Text.Json.Serialization;
using Stratus.Protocols;

namespace Stratus.Services.ApiGateway;

/// <summary>A client certificate as AWS answers it (GenerateClientCertificate, GetClientCertificate): the public certificate in PEM only.</summary>
public sealed class ClientCertificate
{
    public string ClientCertificateId { get; set; } = "";
    public string? Description { get; set; }
    public string PemEncodedCertificate { get; set; } = "";
    public DateTimeOffset CreatedDate { get; set; }
    public DateTimeOffset ExpirationDate { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
}

/// <summary>
/// A stored client certificate: what AWS answers, and the private key (PKCS#8) sealed under API Gateway's key in the data directory,
/// as Secrets Manager seals its values, so the state store never holds it in the clear.
/// </summary>
public sealed class ClientCertificateDocument
{
    public string AccountId { get; set; } = "";
    public string Region { get; set; } = "";
    public ClientCertificate Certificate { get; set; } = new();
    [JsonPropertyName("sealedPrivateKey")]
    public string SealedPrivateKey { get; set; } = "";
}

/// <summary>GenerateClientCertificate's members, or an AWS::ApiGateway::ClientCertificate's.</summary>
public sealed record ClientCertificateSettings(string? Description, Dictionary<string, string>? Tags)
{
    public static ClientCertificateSettings Read(IInputReader input) => new(input.String("description"), ApiGatewayTags.Read(input));
}
