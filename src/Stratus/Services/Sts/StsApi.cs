using Stratus.Host;
using Stratus.Protocols.Query;
using Stratus.Services.Iam;

namespace Stratus.Services.Sts;

/// <summary>
/// STS's wire operations (Query protocol, 2011-06-15; signing name sts): request members in, domain call, response
/// shape out.
/// </summary>
public sealed class StsApi : IStratusService
{
    private readonly StsService _sts;
    private readonly CredentialResolver _credentials;

    public StsApi(StsService sts, CredentialResolver credentials, ILogger logger)
    {
        _sts = sts;
        _credentials = credentials;
        var operations = Operations();
        // botocore's other operations answer a clear refusal naming the operation and why (README lists them).
        NotServedOperations.AddTo(operations, StsNotServed.Operations, StsErrors.NotServed);
        Endpoint = new ServiceEndpoint("sts", operations, new AwsQueryProtocol("2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/"))
        {
            Logger = logger,
            Validation = IamNames.Errors,
            Rules = StsRules.Members,
            UnsignedOperations = new HashSet<string>(StringComparer.Ordinal) { "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML" },
        };
    }

    public string Name => "sts";
    public ServiceEndpoint Endpoint { get; }

    private OperationTable Operations() => new()
    {
        { "GetCallerIdentity", i =>
            {
                var identity = StsService.GetCallerIdentity(i.Scope);
                return new JsonObject { ["UserId"] = identity.UserId, ["Account"] = identity.Account, ["Arn"] = identity.Arn };
            } },
        { "AssumeRole", i =>
            {
                var session = _sts.AssumeRole(i.Scope, AssumeRoleRequest.Read(i), i.Call.AccessKeyId);
                var result = new JsonObject
                {
                    ["Credentials"] = Credentials(session),
                    ["AssumedRoleUser"] = AssumedRoleUser(session),
                    ["PackedPolicySize"] = PackedPolicySize(session),
                };
                if (session.SourceIdentity is not null) result["SourceIdentity"] = session.SourceIdentity;
                return result;
            } },
        { "AssumeRoleWithWebIdentity", async i =>
            {
                var assumed = await _sts.AssumeRoleWithWebIdentityAsync(i.Required("RoleArn"), i.Required("RoleSessionName"), i.Required("WebIdentityToken"), i.Int("DurationSeconds"), i.Aborted);
                return new OperationResult
                {
                    Body = new JsonObject
                    {
                        ["Credentials"] = Credentials(assumed.Session),
                        ["SubjectFromWebIdentityToken"] = assumed.SubjectFromWebIdentityToken,
                        ["AssumedRoleUser"] = AssumedRoleUser(assumed.Session),
                        ["PackedPolicySize"] = 0,
                        ["Provider"] = assumed.Provider,
                        ["Audience"] = assumed.Audience,
                    },
                };
            } },
        { "AssumeRoleWithSAML", i =>
            {
                var assumed = _sts.AssumeRoleWithSaml(SamlRequest.Read(i));
                var result = new JsonObject
                {
                    ["Credentials"] = Credentials(assumed.Session),
                    ["AssumedRoleUser"] = AssumedRoleUser(assumed.Session),
                    ["PackedPolicySize"] = PackedPolicySize(assumed.Session),
                    ["Subject"] = assumed.Assertion.Subject,
                    ["SubjectType"] = assumed.Assertion.SubjectType,
                    ["Issuer"] = assumed.Assertion.Issuer,
                    ["Audience"] = assumed.Assertion.Recipient,
                    ["NameQualifier"] = assumed.NameQualifier,
                };
                if (assumed.Session.SourceIdentity is not null) result["SourceIdentity"] = assumed.Session.SourceIdentity;
                return result;
            } },
        { "GetFederationToken", i =>
            {
                var session = _sts.GetFederationToken(i.Scope, i.Required("Name"), i.String("Policy"), i.Int("DurationSeconds"));
                return new JsonObject
                {
                    ["Credentials"] = Credentials(session),
                    ["FederatedUser"] = new JsonObject { ["FederatedUserId"] = session.PrincipalId, ["Arn"] = session.Arn },
                };
            } },
        { "GetWebIdentityToken", i =>
            {
                var issued = _sts.GetWebIdentityToken(i.Scope, WebIdentityTokenRequest.Read(i), i.Call.AccessKeyId);
                return new JsonObject { ["WebIdentityToken"] = issued.Token, ["Expiration"] = issued.Expiration };
            } },
        { "GetAccessKeyInfo", i => new JsonObject { ["Account"] = StsService.AccountOfKey(_credentials, i.Required("AccessKeyId")) } },
        { "DecodeAuthorizationMessage", JsonObject? (OperationInput _) => throw StsErrors.InvalidAuthorizationMessage() },
        { "GetSessionToken", i => new JsonObject { ["Credentials"] = Credentials(_sts.GetSessionToken(i.Scope, i.Int("DurationSeconds"), MfaToken.Read(i))) } },
    };

    /// <summary>
    /// How full the session's packed policies and tags are, in percent of AWS's allowance; AWS does not
    /// publish its packing, so this is the share of the plain-text limits (2,048 characters of policy, 50 tags).
    /// </summary>
    private static int PackedPolicySize(StsSession session) =>
        Math.Max((session.SessionPolicies?.Sum(p => p.Length) ?? 0) * 100 / 2048, (session.Tags?.Count ?? 0) * 100 / 50);

    private static JsonObject AssumedRoleUser(StsSession session) => new() { ["AssumedRoleId"] = session.PrincipalId, ["Arn"] = session.Arn };

    private static JsonObject Credentials(StsSession session) => new()
    {
        ["AccessKeyId"] = session.AccessKeyId,
        ["SecretAccessKey"] = session.SecretAccessKey,
        ["SessionToken"] = session.SessionToken,
        ["Expiration"] = session.Expiration,
    };
}
