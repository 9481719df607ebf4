using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>RDS's errors of certificate authorities (DescribeCertificates, ModifyCertificates, CACertificateIdentifier).</summary>
public static partial class RdsErrors
{
    /// <summary>RDS's wording ("Certificate rds-ca-2019 not found").</summary>
    public static AwsException CertificateNotFound(string identifier) => new("CertificateNotFound", $"Certificate {identifier} not found", 404);

    /// <summary>RDS's wording for CertificateRotationRestart false without a CA to rotate to.</summary>
    public static AwsException RotationRestartWithoutCertificate() =>
        InvalidCombination("CACertificateIdentifier is required to use the NoCertificateRotationRestart option.");

    /// <summary>ModifyCertificates with both or neither of its members; the wording is Stratus's (AWS publishes none).</summary>
    public static AwsException CertificateOverrideChoice() =>
        InvalidCombination("Specify either CertificateIdentifier or RemoveCustomerOverride, not both and not neither.");
}
