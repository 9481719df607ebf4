using Stratus.Protocols;

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
    /// <summary>The session policies (AssumeRole's Policy, then PolicyArns' documents as they were at issue): they intersect the role's permissions.</summary>
    public IReadOnlyList<string>? SessionPolicies { get; init; }
    /// <summary>The session tags (AssumeRole's Tags), seen by policies as aws:PrincipalTag.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
    /// <summary>The keys of the session tags that pass on to the sessions this one assumes (role chaining), as AWS's transitive tags do.</summary>
    public IReadOnlyList<string>? TransitiveTagKeys { get; init; }
    /// <summary>The source identity set when the session was made (or inherited in role chaining); it cannot change down the chain.</summary>
    public string? SourceIdentity { get; init; }
    /// <summary>When the session was made with an MFA code (GetSessionToken's or AssumeRole's SerialNumber and TokenCode): policies see aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge.</summary>
    public DateTimeOffset? MfaAuthenticatedAt { get; init; }
}

/// <summary>An MFA device's serial number and the code read off it, as GetSessionToken and AssumeRole take them.</summary>
public sealed record MfaToken(string SerialNumber, string TokenCode)
{
    /// <summary>Both members or neither; one alone is refused as AWS refuses it.</summary>
    public static MfaToken? Read(IInputReader input) => (input.String("SerialNumber"), input.String("TokenCode")) switch
    {
        (null, null) => null,
        ({ } serial, { } code) => new MfaToken(serial, code),
        (null, _) => throw StsErrors.MfaDeviceUnknown(),
        _ => throw StsErrors.MfaCodeInvalid(),
    };
}

/// <summary>AssumeRole's input: the role, the session's name and length, and what narrows or labels the session.</summary>
public sealed record AssumeRoleRequest
{
    public required string RoleArn { get; init; }
    public required string RoleSessionName { get; init; }
    public int? DurationSeconds { get; init; }
    /// <summary>The third party's identifier a trust policy may require (sts:ExternalId).</summary>
    public string? ExternalId { get; init; }
    public string? Policy { get; init; }
    public IReadOnlyList<string> PolicyArns { get; init; } = [];
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> TransitiveTagKeys { get; init; } = [];
    public string? SourceIdentity { get; init; }
    public MfaToken? Mfa { get; init; }

    public static AssumeRoleRequest Read(IInputReader input) => new()
    {
        RoleArn = input.Required("RoleArn"),
        RoleSessionName = input.Required("RoleSessionName"),
        DurationSeconds = input.Int("DurationSeconds"),
        ExternalId = input.String("ExternalId"),
        Policy = input.String("Policy"),
        PolicyArns = input.Objects("PolicyArns").Select(p => p.String("arn")).OfType<string>().ToList(),
        Tags = input.TagMap() ?? [],
        TransitiveTagKeys = input.Strings("TransitiveTagKeys"),
        SourceIdentity = input.String("SourceIdentity"),
        Mfa = MfaToken.Read(input),
    };
}

/// <summary>AssumeRoleWithSAML's input: the role, the SAML provider, the base64 SAML response, and what narrows the session.</summary>
public sealed record SamlRequest
{
    public required string RoleArn { get; init; }
    public required string PrincipalArn { get; init; }
    public required string SamlAssertion { get; init; }
    public int? DurationSeconds { get; init; }
    public string? Policy { get; init; }
    public IReadOnlyList<string> PolicyArns { get; init; } = [];

    public static SamlRequest Read(IInputReader input) => new()
    {
        RoleArn = input.Required("RoleArn"),
        PrincipalArn = input.Required("PrincipalArn"),
        SamlAssertion = input.Required("SAMLAssertion"),
        DurationSeconds = input.Int("DurationSeconds"),
        Policy = input.String("Policy"),
        PolicyArns = input.Objects("PolicyArns").Select(p => p.String("arn")).OfType<string>().ToList(),
    };
}

/// <summary>A SAML subject's session, with the assertion behind it and its saml:namequalifier.</summary>
public sealed record SamlSession(StsSession Session, Engine.SamlAssertion Assertion, string NameQualifier);

/// <summary>A web identity's session and what AssumeRoleWithWebIdentity reports of the token behind it.</summary>
public sealed record WebIdentitySession(StsSession Session, string SubjectFromWebIdentityToken, string Provider, string Audience);

/// <summary>GetWebIdentityToken's input: who the token is for, how it is signed, how long it lasts, and the caller's own claims.</summary>
public sealed record WebIdentityTokenRequest
{
    /// <summary>AWS's default token lifetime when DurationSeconds is not given: five minutes.</summary>
    public const int DefaultDurationSeconds = 300;

    public required IReadOnlyList<string> Audience { get; init; }
    public required string SigningAlgorithm { get; init; }
    public int DurationSeconds { get; init; } = DefaultDurationSeconds;
    /// <summary>The request tags: they become the token's request_tags claim.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    public static WebIdentityTokenRequest Read(IInputReader input) => new()
    {
        Audience = input.Strings("Audience"),
        SigningAlgorithm = input.Required("SigningAlgorithm"),
        DurationSeconds = input.Int("DurationSeconds") ?? DefaultDurationSeconds,
        Tags = input.TagMap(valueRequired: true) ?? [],
    };
}

/// <summary>A signed token GetWebIdentityToken answers, and when it expires.</summary>
public sealed record IssuedWebIdentityToken(string Token, DateTimeOffset Expiration);
