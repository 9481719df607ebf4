using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>The account's choice of CA for new instances in a Region (ModifyCertificates), instead of RDS's default.</summary>
public sealed record RdsCertificateOverride(string AccountId, string Region, string CertificateIdentifier);

/// <summary>A CA as DescribeCertificates lists it: the authority, its ARN, and whether it is the account's override.</summary>
public sealed record RdsCertificate(DbCertificateAuthority Authority, string Arn, bool CustomerOverride);
