using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Protocols.Jwt;
using Stratus.Services.Iam;
using Stratus.Services.Iam.Engine;
using Stratus.Services.Sts.Engine;

namespace Stratus.Services.Sts;

/// <summary>What services that act as a role on a user's behalf (Lambda running a function) ask of STS.</summary>
public interface IRoleCredentials
{
    /// <summary>Temporary credentials of the role, as its trusted service gets them; null when the role does not exist.</summary>
    StsSession? AssumeRoleAsService(string roleArn, string sessionName, TimeSpan duration);
}

/// <summary>STS's domain: who is calling, and temporary credentials that Stratus then accepts.</summary>
public sealed partial class StsService(StateStore store, TimeProvider clock, IIamRoles roles, JwksKeys issuerKeys, OutboundWebIdentityFederation outboundFederation)
    : ICredentialSource, IRoleCredentials
{
    private readonly ResourceTable<StsSession> _sessions = new(store, "sts.sessions");

    [GeneratedRegex(@"^[\w+=,.@-]{2,64}$")]
    private static partial Regex SessionNamePattern();

    public sealed record Identity(string Account, string Arn, string UserId);

    /// <summary>The principal the router resolved from the access key; unknown keys act as the account's root.</summary>
    public static Identity GetCallerIdentity(Scope scope) =>
        new(scope.AccountId, scope.PrincipalArn ?? $"arn:aws:iam::{scope.AccountId}:root", scope.PrincipalId ?? scope.AccountId);

    /// <summary>
    /// A role's session, as AWS decides it whatever the --auth mode: the role's trust policy must allow the
    /// caller sts:AssumeRole (naming it, its role, or its account), with its conditions (sts:ExternalId,
    /// aws:PrincipalTag, sts:RoleSessionName), and sts:TagSession when session tags are given; an explicit
    /// deny in it refuses. Under --auth enforce the caller's own policies are checked before (a trust naming
    /// only the account leaves the decision to them). Session policies are validated as IAM validates
    /// identity policies and kept with the session, where they intersect the role's permissions.
    /// </summary>
    /// <param name="callerAccessKeyId">The key the call was signed with: when it is a role session's, its transitive tags and
    /// source identity pass on to the new session (role chaining), as AWS carries them.</param>
    public StsSession AssumeRole(Scope scope, AssumeRoleRequest request, string? callerAccessKeyId = null)
    {
        CheckSessionName(request.RoleSessionName);
        var caller = GetCallerIdentity(scope);
        var role = roles.FindRoleByArn(request.RoleArn) ?? throw StsErrors.AssumeRoleDenied(caller.Arn, request.RoleArn);
        var chainedFrom = callerAccessKeyId is null ? null : _sessions.Get(callerAccessKeyId);
        var inherited = Transitive(chainedFrom);
        // AWS refuses a session tag whose key (case aside) an inherited transitive tag already holds.
        if (request.Tags.Keys.FirstOrDefault(k => inherited.Keys.Contains(k, StringComparer.OrdinalIgnoreCase)) is { } clash)
            throw StsErrors.TransitiveTagClash(clash);
        var tags = new Dictionary<string, string>(request.Tags, StringComparer.Ordinal);
        foreach (var tag in inherited) tags[tag.Key] = tag.Value;
        var transitiveKeys = request.TransitiveTagKeys.Concat(inherited.Keys).Distinct(StringComparer.Ordinal).ToList();
        var sourceIdentity = chainedFrom?.SourceIdentity ?? request.SourceIdentity;
        var context = new RequestContext { Action = "sts:AssumeRole", Resource = role.Arn, PrincipalArn = caller.Arn, SessionIssuerArn = roles.RoleOfSession(caller.Arn) }
            .WithPrincipal(caller.Arn, caller.UserId, caller.Account);
        StsAuthorization.AddAssumeRoleKeys(context, request.RoleSessionName, request.ExternalId, request.Tags);
        foreach (var tag in roles.PrincipalTags(context.SessionIssuerArn ?? caller.Arn)) context.With($"aws:PrincipalTag/{tag.Key}", tag.Value);
        // A calling session's own tags are its principal tags.
        foreach (var tag in chainedFrom?.Tags ?? new Dictionary<string, string>()) context.With($"aws:PrincipalTag/{tag.Key}", tag.Value);
        AddChainingKeys(context, transitiveKeys, sourceIdentity);
        // The trust policy sees MFA from the code given with this call, or from the calling session's own.
        var mfaAt = CheckMfa(caller, request.Mfa);
        context.WithMfa(chainedFrom is not null, mfaAt ?? chainedFrom?.MfaAuthenticatedAt, clock.GetUtcNow());
        if (!Trusts(role, context) || (tags.Count > 0 && !Trusts(role, context.As("sts:TagSession")))
            || (sourceIdentity is not null && !Trusts(role, context.As("sts:SetSourceIdentity"))))
            throw StsErrors.AssumeRoleDenied(caller.Arn, role.Arn);
        var sessionPolicies = SessionPolicies(request.Policy, request.PolicyArns);
        return IssueForRole(role, request.RoleSessionName, request.DurationSeconds) is var session && (sessionPolicies is not null || tags.Count > 0 || sourceIdentity is not null || mfaAt is not null)
            ? Keep(session with
            {
                SessionPolicies = sessionPolicies,
                Tags = tags.Count > 0 ? tags : null,
                TransitiveTagKeys = transitiveKeys.Count > 0 ? transitiveKeys : null,
                SourceIdentity = sourceIdentity,
                MfaAuthenticatedAt = mfaAt,
            })
            : session;
    }

    /// <summary>The calling session's tags whose keys it marked transitive: they pass on, unchanged, to the session it assumes.</summary>
    private static Dictionary<string, string> Transitive(StsSession? session) =>
        session is { TransitiveTagKeys: { } keys, Tags: { } tags }
            ? keys.Where(tags.ContainsKey).ToDictionary(k => k, k => tags[k], StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>sts:TransitiveTagKeys and sts:SourceIdentity, the condition keys a trust policy may test on a session being made.</summary>
    private static void AddChainingKeys(RequestContext context, IReadOnlyList<string> transitiveKeys, string? sourceIdentity)
    {
        if (transitiveKeys.Count > 0) context.With("sts:TransitiveTagKeys", transitiveKeys);
        if (sourceIdentity is not null) context.With("sts:SourceIdentity", sourceIdentity);
    }

    /// <summary>AssumeRole's Policy (validated as an identity policy) and PolicyArns' documents; null when neither is given.</summary>
    private IReadOnlyList<string>? SessionPolicies(string? policy, IReadOnlyList<string> policyArns)
    {
        if (policy is null && policyArns.Count == 0) return null;
        if (policy is { } inline) PolicyDocument.Validate(inline, PolicyDocument.Kind.Identity);
        var managed = policyArns.Select(arn => roles.ManagedPolicyDocument(arn) ?? throw IamErrors.NoSuchPolicy(arn));
        return [.. policy is { } p ? [p] : Array.Empty<string>(), .. managed];
    }

    /// <summary>
    /// A role's session for the holder of an OpenID Connect token, as AWS decides it: the token's iss names
    /// the OIDC provider in the role's account (https://host/path is the provider host/path), the token is
    /// signed (RS256/384/512) by a key of the issuer's JWKS, is within exp/nbf, has an aud among the
    /// provider's client ids, and the role's trust policy allows sts:AssumeRoleWithWebIdentity to the
    /// provider with the conditions on {host/path}:aud and :sub. The call is not signed: the token is the
    /// caller's proof.
    /// </summary>
    public async Task<WebIdentitySession> AssumeRoleWithWebIdentityAsync(string roleArn, string sessionName, string webIdentityToken, int? durationSeconds, CancellationToken cancellation)
    {
        CheckSessionName(sessionName);
        var token = JsonWebToken.Decode(webIdentityToken) ?? throw StsErrors.NotAJwt();
        if (token.Hash is null) throw StsErrors.UnsupportedAlgorithm();
        var issuer = token.Issuer ?? throw StsErrors.MissingClaim("iss");
        // AWS documents that the tokens its GetWebIdentityToken vends cannot federate back into AWS.
        if (outboundFederation.IsOutboundIssuer(issuer)) throw StsErrors.OutboundTokenNotAccepted();
        var role = roles.FindRoleByArn(roleArn) ?? throw StsErrors.WebIdentityDenied();
        var providerUrl = ProviderUrl(issuer);
        var provider = (providerUrl is null ? null : roles.FindOidcProvider($"arn:aws:iam::{role.AccountId}:oidc-provider/{providerUrl}"))
            ?? throw StsErrors.NoOidcProvider(issuer);
        var key = await issuerKeys.FindAsync(issuer, token.KeyId, cancellation) ?? throw StsErrors.VerificationKeyUnavailable();
        if (!token.IsSignedBy(key)) throw StsErrors.BadSignature();
        var now = clock.GetUtcNow();
        switch (token.LifetimeAt(now))
        {
            case JwtLifetime.NoExpiry: throw StsErrors.MissingClaim("exp");
            case JwtLifetime.Expired: throw StsErrors.TokenExpired(now, token.Expires!.Value);
            case JwtLifetime.NotYetValid: throw StsErrors.NotYetValid();
        }
        var audience = token.Audiences.FirstOrDefault(provider.ClientIds.Contains) ?? throw StsErrors.IncorrectAudience();
        var subject = token.Subject ?? throw StsErrors.MissingClaim("sub");
        var request = new RequestContext { Action = "sts:AssumeRoleWithWebIdentity", Resource = role.Arn, PrincipalArn = provider.Arn }
            .With($"{provider.Url}:aud", audience)
            .With($"{provider.Url}:sub", subject)
            .With("aws:FederatedProvider", provider.Arn);
        if (!Trusts(role, request)) throw StsErrors.WebIdentityDenied();
        var session = IssueForRole(role, sessionName, durationSeconds);
        return new WebIdentitySession(session, subject, provider.Arn, audience);
    }

    /// <summary>The Role attribute: each value a "role ARN,provider ARN" pair (in either order) the assertion lets its subject assume.</summary>
    private const string RoleAttribute = "https://aws.amazon.com/SAML/Attributes/Role";
    private const string RoleSessionNameAttribute = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
    private const string PrincipalTagAttribute = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:";
    /// <summary>The session tags (PrincipalTag:KEY attributes) that pass on in role chaining, one key per value.</summary>
    private const string TransitiveTagKeysAttribute = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys";
    private const string SourceIdentityAttribute = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";

    /// <summary>
    /// A role's session for the subject of a SAML assertion, as AWS decides it: the response is verified against
    /// the SAML provider's metadata (SamlAssertion.Verify); its Role attribute must pair the role with the provider,
    /// its RoleSessionName attribute names the session, its PrincipalTag:KEY attributes are session tags; the role's
    /// trust policy must allow sts:AssumeRoleWithSAML to the provider (and sts:TagSession with tags) with the
    /// conditions on saml:aud, saml:iss, saml:sub, saml:sub_type and saml:namequalifier. The call is not signed:
    /// the assertion is the caller's proof.
    /// </summary>
    public SamlSession AssumeRoleWithSaml(SamlRequest request)
    {
        var role = roles.FindRoleByArn(request.RoleArn) ?? throw StsErrors.SamlDenied();
        var provider = roles.FindSamlProvider(request.PrincipalArn) ?? throw StsErrors.NoSamlProvider();
        if (provider.AccountId != role.AccountId) throw StsErrors.NoSamlProvider();
        var now = clock.GetUtcNow();
        var assertion = SamlAssertion.Verify(request.SamlAssertion, provider.MetadataDocument, now);
        var pairs = assertion.Attributes.GetValueOrDefault(RoleAttribute) ?? [];
        if (!pairs.Any(pair => pair.Split(',', StringSplitOptions.TrimEntries) is [var a, var b] && ((a, b) == (role.Arn, provider.Arn) || (b, a) == (role.Arn, provider.Arn))))
            throw StsErrors.SamlDenied();
        var sessionName = assertion.Attributes.GetValueOrDefault(RoleSessionNameAttribute) is [var name, ..] ? name : throw StsErrors.InvalidSamlResponse($"The assertion has no {RoleSessionNameAttribute} attribute");
        CheckSessionName(sessionName);
        var tags = assertion.Attributes.Where(a => a.Key.StartsWith(PrincipalTagAttribute, StringComparison.Ordinal) && a.Value.Count > 0)
            .ToDictionary(a => a.Key[PrincipalTagAttribute.Length..], a => a.Value[0], StringComparer.Ordinal);
        var nameQualifier = assertion.NameQualifier(provider.AccountId, provider.Name);
        var context = new RequestContext { Action = "sts:AssumeRoleWithSAML", Resource = role.Arn, PrincipalArn = provider.Arn }
            .With("saml:aud", assertion.Recipient)
            .With("saml:iss", assertion.Issuer)
            .With("saml:sub", assertion.Subject)
            .With("saml:sub_type", assertion.SubjectType)
            .With("saml:namequalifier", nameQualifier)
            .With("aws:FederatedProvider", provider.Arn);
        StsAuthorization.AddAssumeRoleKeys(context, sessionName, null, tags);
        var transitiveKeys = (assertion.Attributes.GetValueOrDefault(TransitiveTagKeysAttribute) ?? []).Where(tags.ContainsKey).Distinct(StringComparer.Ordinal).ToList();
        var sourceIdentity = assertion.Attributes.GetValueOrDefault(SourceIdentityAttribute) is [var source, ..] ? source : null;
        AddChainingKeys(context, transitiveKeys, sourceIdentity);
        // Tags need sts:TagSession and a source identity sts:SetSourceIdentity in the trust policy as well, as AWS requires.
        if (!Trusts(role, context) || (tags.Count > 0 && !Trusts(role, context.As("sts:TagSession")))
            || (sourceIdentity is not null && !Trusts(role, context.As("sts:SetSourceIdentity"))))
            throw StsErrors.SamlDenied();
        var sessionPolicies = SessionPolicies(request.Policy, request.PolicyArns);
        var session = IssueForRole(role, sessionName, request.DurationSeconds);
        // The session lasts as asked, or until the assertion's SessionNotOnOrAfter, whichever is sooner. (The SessionDuration
        // attribute is the console sign-in's length: AWS documents DurationSeconds as separate from it, so it leaves these credentials alone.)
        var expiration = assertion.SessionNotOnOrAfter is { } end && end < session.Expiration ? end : session.Expiration;
        if (sessionPolicies is not null || tags.Count > 0 || sourceIdentity is not null || expiration != session.Expiration)
            session = Keep(session with
            {
                SessionPolicies = sessionPolicies,
                Tags = tags.Count > 0 ? tags : null,
                TransitiveTagKeys = transitiveKeys.Count > 0 ? transitiveKeys : null,
                SourceIdentity = sourceIdentity,
                Expiration = expiration,
            });
        return new SamlSession(session, assertion, nameQualifier);
    }

    /// <summary>
    /// The provider URL an issuer names: IAM keeps https://host/path as host/path. A loopback issuer may
    /// also be plain http (a test's own issuer has no certificate a client would trust); its provider is
    /// still registered as https://, which is all IAM accepts.
    /// </summary>
    private static string? ProviderUrl(string issuer)
    {
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri)) return null;
        var loopback = uri.IsLoopback || IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip);
        if (uri.Scheme != "https" && !(uri.Scheme == "http" && loopback)) return null;
        return issuer[(uri.Scheme.Length + 3)..].TrimEnd('/');
    }

    /// <summary>Whether the role's trust policy (its assume-role policy, a resource policy naming principals) allows the request.</summary>
    private static bool Trusts(IamRole role, RequestContext request)
    {
        Policy trust;
        try
        {
            trust = Policy.Parse(role.AssumeRolePolicyDocument);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
        // A trust policy is consulted on its own: a statement naming the caller's account trusts the
        // account (whose own policies --auth enforce checks), so any matching Allow without a Deny trusts.
        var source = new SourcedPolicy(role.Arn, PolicySourceKind.Resource, trust);
        var applying = trust.Statements.Where(s => PolicyEvaluator.Applies(source, s, request, null)).ToList();
        return applying.Any(s => s.Effect == StatementEffect.Allow) && applying.All(s => s.Effect == StatementEffect.Allow);
    }

    private static void CheckSessionName(string sessionName)
    {
        if (!SessionNamePattern().IsMatch(sessionName))
            throw IamNames.Errors.Constraint("RoleSessionName", sessionName, @"Member must satisfy regular expression pattern: [\w+=,.@-]* and have length between 2 and 64");
    }

    private StsSession IssueForRole(IamRole role, string sessionName, int? durationSeconds)
    {
        var duration = durationSeconds ?? 3600;
        if (duration < 900 || duration > role.MaxSessionDuration)
            throw StsErrors.DurationOutOfRange(role.MaxSessionDuration);
        return Issue(role.AccountId, $"arn:aws:sts::{role.AccountId}:assumed-role/{role.RoleName}/{sessionName}", $"{role.RoleId}:{sessionName}", duration);
    }

    public StsSession? AssumeRoleAsService(string roleArn, string sessionName, TimeSpan duration) =>
        roles.FindRoleByArn(roleArn) is { } role
            ? Issue(role.AccountId, $"arn:aws:sts::{role.AccountId}:assumed-role/{role.RoleName}/{sessionName}", $"{role.RoleId}:{sessionName}", (int)duration.TotalSeconds)
            : null;

    /// <summary>A session of the calling user; with an MFA device's serial number and code, checked against the user's enabled devices, one that carries MFA.</summary>
    public StsSession GetSessionToken(Scope scope, int? durationSeconds, MfaToken? mfa)
    {
        var duration = durationSeconds ?? 43200;
        if (duration is < 900 or > 129600)
            throw IamNames.Errors.Constraint("DurationSeconds", duration.ToString(), "Member must have value between 900 and 129600");
        var caller = GetCallerIdentity(scope);
        var mfaAt = CheckMfa(caller, mfa);
        var session = Issue(caller.Account, caller.Arn, caller.UserId, duration);
        return mfaAt is null ? session : Keep(session with { MfaAuthenticatedAt = mfaAt });
    }

    /// <summary>When the MFA code was accepted (now); null without one; AccessDenied, worded as AWS words it, for a device or code that does not check out.</summary>
    private DateTimeOffset? CheckMfa(Identity caller, MfaToken? mfa) => mfa is null
        ? null
        : roles.CheckMfaCode(caller.Arn, mfa.SerialNumber, mfa.TokenCode) switch
        {
            MfaCheck.Accepted => DateTimeOffset.FromUnixTimeSeconds(clock.GetUtcNow().ToUnixTimeSeconds()),
            MfaCheck.UnknownDevice => throw StsErrors.MfaDeviceUnknown(),
            _ => throw StsErrors.MfaCodeInvalid(),
        };

    /// <summary>
    /// A federated user's session, as AWS issues it to an IAM user (or the root user, whose sessions last
    /// at most an hour) and never to session credentials. The session policy is validated as IAM validates
    /// identity policies. Under --auth enforce a federated user is granted nothing (see IamService.PoliciesOf):
    /// the intersection of the caller's policies with the session policy is not evaluated yet.
    /// </summary>
    public StsSession GetFederationToken(Scope scope, string name, string? policy, int? durationSeconds)
    {
        var caller = GetCallerIdentity(scope);
        if (caller.Arn.StartsWith("arn:aws:sts:", StringComparison.Ordinal)) throw StsErrors.FederationWithSessionCredentials();
        if (policy is not null) PolicyDocument.Validate(policy, PolicyDocument.Kind.Identity);
        var duration = durationSeconds ?? 43200;
        if (duration is < 900 or > 129600)
            throw IamNames.Errors.Constraint("DurationSeconds", duration.ToString(), "Member must have value between 900 and 129600");
        if (caller.Arn.EndsWith(":root", StringComparison.Ordinal)) duration = Math.Min(duration, 3600);
        return Issue(caller.Account, $"arn:aws:sts::{caller.Account}:federated-user/{name}", $"{caller.Account}:{name}", duration);
    }

    /// <summary>
    /// GetWebIdentityToken: a JWT asserting the caller's identity to an outside service, signed with the account's
    /// outbound issuer key for the algorithm asked (RS256 or ES384), as AWS's token claims documentation lays it out:
    /// iss the account's issuer URL, sub the caller's ARN (a role session's role, as AWS names roles there), aud the
    /// audiences, iat/exp/jti, and under the "https://sts.amazonaws.com/" claim the account, the Region called, the
    /// principal's tags (its user's or role's, a session's own tags over them) and the request's tags. Refused while
    /// the account's outbound federation is off, and for a session whose credentials expire before the token would.
    /// </summary>
    /// <param name="callerAccessKeyId">The key the call was signed with: a session's expiry bounds the token's.</param>
    public IssuedWebIdentityToken GetWebIdentityToken(Scope scope, WebIdentityTokenRequest request, string? callerAccessKeyId)
    {
        if (!OutboundWebIdentityFederation.Algorithms.Contains(request.SigningAlgorithm)) throw StsErrors.UnknownSigningAlgorithm(request.SigningAlgorithm);
        if (request.Audience.FirstOrDefault(a => a.Length is 0 or > MaxAudienceLength) is { } badAudience)
            throw IamNames.Errors.Constraint("Audience", badAudience, $"Member must have length between 1 and {MaxAudienceLength}");
        var issuer = outboundFederation.EnabledIssuer(scope.AccountId) ?? throw StsErrors.OutboundFederationDisabled();
        var caller = GetCallerIdentity(scope);
        var issuedAt = clock.GetUtcNow().ToUnixTimeSeconds();
        var expiration = DateTimeOffset.FromUnixTimeSeconds(issuedAt + request.DurationSeconds);
        var session = callerAccessKeyId is null ? null : _sessions.Get(callerAccessKeyId);
        if (session is not null && expiration > session.Expiration) throw StsErrors.SessionDurationEscalation(session.Expiration);
        var principalArn = roles.RoleOfSession(caller.Arn) ?? caller.Arn;
        var principalTags = roles.PrincipalTags(principalArn);
        foreach (var tag in session?.Tags ?? new Dictionary<string, string>()) principalTags[tag.Key] = tag.Value;
        var awsClaims = new JsonObject { ["aws_account"] = caller.Account, ["source_region"] = scope.Region };
        if (principalTags.Count > 0) awsClaims["principal_tags"] = TagClaims(principalTags);
        if (request.Tags.Count > 0) awsClaims["request_tags"] = TagClaims(request.Tags);
        var claims = new JsonObject
        {
            ["iss"] = issuer,
            // One audience is a string, several an array, as RFC 7519 allows and AWS's sample token shows.
            ["aud"] = request.Audience.Count == 1 ? (JsonNode)request.Audience[0] : new JsonArray([.. request.Audience.Select(a => (JsonNode?)a)]),
            ["sub"] = principalArn,
            ["iat"] = issuedAt,
            ["exp"] = expiration.ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString(),
            [AwsClaimsNamespace] = awsClaims,
        };
        return new IssuedWebIdentityToken(outboundFederation.Sign(scope.AccountId, request.SigningAlgorithm, claims), expiration);
    }

    /// <summary>The claim AWS nests its own claims (account, Region, tags) under.</summary>
    public const string AwsClaimsNamespace = "https://sts.amazonaws.com/";

    /// <summary>An audience's length bound, from the API reference.</summary>
    public const int MaxAudienceLength = 1000;

    private static JsonObject TagClaims(IEnumerable<KeyValuePair<string, string>> tags)
    {
        var claims = new JsonObject();
        foreach (var tag in tags) claims[tag.Key] = tag.Value;
        return claims;
    }

    /// <summary>The account an access key belongs to: the account of the user, session or root key that owns it, else the account Stratus serves unknown keys as.</summary>
    public static string AccountOfKey(CredentialResolver credentials, string accessKeyId) =>
        credentials.Find(accessKeyId)?.AccountId ?? CredentialResolver.AccountForUnknownKey(accessKeyId);

    public KnownCredential? Find(string accessKeyId) =>
        _sessions.Get(accessKeyId) is { } s
            ? new KnownCredential(s.AccessKeyId, s.SecretAccessKey, s.AccountId, s.Arn, s.SessionToken, s.Expiration, s.PrincipalId) { SessionPolicies = s.SessionPolicies, SessionTags = s.Tags, SourceIdentity = s.SourceIdentity, MfaAuthenticatedAt = s.MfaAuthenticatedAt }
            : null;

    /// <summary>Stores a session again with what was added after its issue (session policies, tags).</summary>
    private StsSession Keep(StsSession session)
    {
        _sessions.Put(session.AccessKeyId, session);
        return session;
    }

    private StsSession Issue(string accountId, string arn, string principalId, int durationSeconds)
    {
        var now = clock.GetUtcNow();
        foreach (var expired in _sessions.Entries.Where(e => e.Value.Expiration < now).Select(e => e.Key).ToList())
            _sessions.Remove(expired);
        var session = new StsSession
        {
            AccessKeyId = IamNames.NewId("ASIA", 16),
            SecretAccessKey = IamNames.NewSecret(),
            SessionToken = Convert.ToBase64String(RandomNumberGenerator.GetBytes(96)),
            Expiration = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + durationSeconds),
            AccountId = accountId,
            Arn = arn,
            PrincipalId = principalId,
        };
        _sessions.Put(session.AccessKeyId, session);
        return session;
    }
}
