namespace Stratus.Services.Sts;

public sealed record StsSession
{
    public required string AccessKeyId { get; init; }
    public required string SecretAccessKey { get; init; }
    public required string SessionToken { get; init; }
    public required DateTimeOffset Expiration { get; init; }
    public required string AccountId { get; init; }
    /// <summary>arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, or the user's ARN for GetSessionToken.</summary>
    public required string Arn { get; init; }
    /// <summary>ROLEID:SESSION for an assumed role, the user id otherwise.</summary>
    public required string PrincipalId { get; init; }
}

/// <summary>A web identity's session and what AssumeRoleWithWebIdentity reports of the token behind it.</summary>
public sealed record WebIdentitySession(StsSession Session, string SubjectFromWebIdentityToken, string Provider, string Audience);
