using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>
/// The operations of botocore's iam model that Stratus does not serve, each with the reason README's IAM section
/// gives. They answer InvalidAction naming the operation and the reason, not a generic unknown-action error.
/// </summary>
public static class IamNotServed
{
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(
        ("passwords of login profiles are never stored, so the old one cannot be checked", ["ChangePassword"]),
        ("no service in Stratus terminates TLS with IAM server certificates",
            ["DeleteServerCertificate", "GetServerCertificate", "ListServerCertificateTags", "ListServerCertificates", "TagServerCertificate",
             "UntagServerCertificate", "UpdateServerCertificate", "UploadServerCertificate"]),
        ("X.509 signing certificates, CodeCommit SSH keys and service-specific credentials are accepted by no service in Stratus",
            ["CreateServiceSpecificCredential", "DeleteSSHPublicKey", "DeleteServiceSpecificCredential", "DeleteSigningCertificate", "GetSSHPublicKey",
             "ListSSHPublicKeys", "ListServiceSpecificCredentials", "ListSigningCertificates", "ResetServiceSpecificCredential", "UpdateSSHPublicKey",
             "UpdateServiceSpecificCredential", "UpdateSigningCertificate", "UploadSSHPublicKey", "UploadSigningCertificate"]),
        ("these reports cover an AWS Organizations entity (root, OU, account, SCP), and Stratus has no organization",
            ["GenerateOrganizationsAccessReport", "GetOrganizationsAccessReport"]),
        ("it summarizes a delegation request's permissions (delegation requests are not served), and AWS writes that text with a language model, which Stratus has not",
            ["GetHumanReadableSummary"]),
        ("these are AWS Organizations features, and Stratus has no organization",
            ["DisableOrganizationsRootCredentialsManagement", "DisableOrganizationsRootSessions", "EnableOrganizationsRootCredentialsManagement",
             "EnableOrganizationsRootSessions", "ListOrganizationsFeatures"]),
        ("delegation requests come from AWS partners' consoles, which Stratus does not serve",
            ["AcceptDelegationRequest", "AssociateDelegationRequest", "CreateDelegationRequest", "GetDelegationRequest", "ListDelegationRequests",
             "RejectDelegationRequest", "SendDelegationToken", "UpdateDelegationRequest"]));
}
