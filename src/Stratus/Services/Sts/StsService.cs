using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Iam;

namespace Stratus.Services.Sts;

/// <summary>What services that act as a role on a user's behalf (Lambda running a function) ask of STS.</summary>
public interface IRoleCredentials
{
    /// <summary>Temporary credentials of the role, as its trusted service gets them; null when the role does not exist.</summary>
    StsSession? AssumeRoleAsService(string roleArn, string sessionName, TimeSpan duration);
}

/// <summary>STS's domain: who is calling, and temporary credentials that Stratus then accepts.</summary>
public sealed partial class StsService(StateStore store, TimeProvider clock, IIamRoles roles) : ICredentialSource, IRoleCredentials
{
    private readonly ResourceTable<StsSession> _sessions = new(store, "sts.sessions");

    [GeneratedRegex(@"^[\w+=,.@-]{2,64}$")]
    private static partial Regex SessionNamePattern();

    public sealed record Identity(string Account, string Arn, string UserId);

    /// <summary>The principal the router resolved from the access key; unknown keys act as the account's root.</summary>
    public static Identity GetCallerIdentity(Scope scope) =>
        new(scope.AccountId, scope.PrincipalArn ?? $"arn:aws:iam::{scope.AccountId}:root", scope.PrincipalId ?? scope.AccountId);

    public StsSession AssumeRole(Scope scope, string roleArn, string sessionName, int? durationSeconds)
    {
        if (!SessionNamePattern().IsMatch(sessionName))
            throw IamNames.Errors.Constraint("RoleSessionName", sessionName, @"Member must satisfy regular expression pattern: [\w+=,.@-]* and have length between 2 and 64");
        var role = roles.FindRoleByArn(roleArn)
            ?? throw StsErrors.AssumeRoleDenied(GetCallerIdentity(scope).Arn, roleArn);
        var duration = durationSeconds ?? 3600;
        if (duration < 900 || duration > role.MaxSessionDuration)
            throw StsErrors.DurationOutOfRange(role.MaxSessionDuration);
        return Issue(role.AccountId, $"arn:aws:sts::{role.AccountId}:assumed-role/{role.RoleName}/{sessionName}", $"{role.RoleId}:{sessionName}", duration);
    }

    public StsSession? AssumeRoleAsService(string roleArn, string sessionName, TimeSpan duration) =>
        roles.FindRoleByArn(roleArn) is { } role
            ? Issue(role.AccountId, $"arn:aws:sts::{role.AccountId}:assumed-role/{role.RoleName}/{sessionName}", $"{role.RoleId}:{sessionName}", (int)duration.TotalSeconds)
            : null;

    public StsSession GetSessionToken(Scope scope, int? durationSeconds)
    {
        var duration = durationSeconds ?? 43200;
        if (duration is < 900 or > 129600)
            throw IamNames.Errors.Constraint("DurationSeconds", duration.ToString(), "Member must have value between 900 and 129600");
        var caller = GetCallerIdentity(scope);
        return Issue(caller.Account, caller.Arn, caller.UserId, duration);
    }

    public KnownCredential? Find(string accessKeyId) =>
        _sessions.Get(accessKeyId) is { } s
            ? new KnownCredential(s.AccessKeyId, s.SecretAccessKey, s.AccountId, s.Arn, s.SessionToken, s.Expiration, s.PrincipalId)
            : null;

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
