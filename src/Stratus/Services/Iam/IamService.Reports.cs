using System.Globalization;
using System.Text;
using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>The account's alias and its credential report.</summary>
public sealed partial class IamService
{
    /// <summary>AWS keeps a credential report for four hours: GenerateCredentialReport reuses a younger one, GetCredentialReport refuses an older one.</summary>
    public static readonly TimeSpan CredentialReportLifetime = TimeSpan.FromHours(4);

    /// <summary>The columns of AWS's credential report, in AWS's order.</summary>
    public static readonly string[] CredentialReportColumns =
    [
        "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed", "password_next_rotation", "mfa_active",
        "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
        "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
        "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
    ];

    // ---- account alias ----

    /// <summary>
    /// Sets the account's one alias, replacing the one it has, as AWS does; a name any account holds already (this one
    /// included) is EntityAlreadyExists, since aliases are unique across a partition. The member rules checked the form.
    /// </summary>
    public void CreateAccountAlias(Scope scope, string alias)
    {
        lock (_accountAliases)
        {
            if (_accountAliases.Values.Any(a => a.Alias == alias)) throw IamErrors.AccountAliasExists(alias);
            _accountAliases.Put(scope.AccountId, new IamAccountAlias(scope.AccountId, alias));
        }
    }

    public void DeleteAccountAlias(Scope scope, string alias)
    {
        lock (_accountAliases)
        {
            if (_accountAliases.Get(scope.AccountId)?.Alias != alias) throw IamErrors.NoSuchAccountAlias(alias);
            _accountAliases.Remove(scope.AccountId);
        }
    }

    public Page<string> ListAccountAliases(Scope scope, string? marker, int? maxItems) =>
        Paginate<string>(_accountAliases.Get(scope.AccountId) is { } alias ? [alias.Alias] : [], a => a, marker, maxItems);

    public string? AccountAlias(string accountId) => _accountAliases.Get(accountId)?.Alias;

    // ---- credential report ----

    /// <summary>
    /// Makes the account's credential report from its users as they are now, unless one younger than four hours exists
    /// (then COMPLETE, as AWS answers). Stratus writes the report at once, so the call that starts it has finished it:
    /// STARTED, and COMPLETE from the next call on.
    /// </summary>
    public (string State, string Description) GenerateCredentialReport(Scope scope)
    {
        lock (_credentialReports)
        {
            if (_credentialReports.Get(scope.AccountId) is { } report && Now - report.GeneratedTime < CredentialReportLifetime)
                return ("COMPLETE", "");
            _credentialReports.Put(scope.AccountId, new IamCredentialReport(scope.AccountId, Now, CredentialReportCsv(scope)));
            return ("STARTED", "No report exists. Starting a new report generation task");
        }
    }

    public IamCredentialReport GetCredentialReport(Scope scope)
    {
        var report = _credentialReports.Get(scope.AccountId) ?? throw IamErrors.CredentialReportNotPresent();
        return Now - report.GeneratedTime < CredentialReportLifetime ? report : throw IamErrors.CredentialReportExpired();
    }

    /// <summary>
    /// One row per user, by name. Every value is what Stratus knows or AWS's marker for what is not there: N/A where the
    /// user has no password or the key does not exist or was never used, no_information for a password never used to sign
    /// in (Stratus has no password sign-in), mfa_active whether an MFA device is enabled for the user, false for signing
    /// certificates (Stratus serves none, so none is attached). The account root has no row: Stratus keeps no record of when its account was made.
    /// </summary>
    private string CredentialReportCsv(Scope scope)
    {
        var policy = _passwordPolicies.Get(scope.AccountId);
        var csv = new StringBuilder().AppendJoin(',', CredentialReportColumns).Append('\n');
        foreach (var user in _users.Values.Where(u => u.AccountId == scope.AccountId).OrderBy(u => u.UserName, StringComparer.OrdinalIgnoreCase))
        {
            var passwordChanged = user.LoginProfile is { } profile ? profile.PasswordLastChanged ?? profile.CreateDate : (DateTimeOffset?)null;
            var row = new List<string>
            {
                user.UserName, user.Arn, ReportTime(user.CreateDate),
                Flag(user.LoginProfile is not null),
                user.LoginProfile is null ? "N/A" : "no_information",
                passwordChanged is { } changed ? ReportTime(changed) : "N/A",
                passwordChanged is { } rotated && policy?.MaxPasswordAge is { } days ? ReportTime(rotated.AddDays(days)) : "N/A",
                Flag(MfaDevicesOf(user).Any()),
            };
            foreach (var slot in Enumerable.Range(0, MaxAccessKeysPerUser))
            {
                var key = user.AccessKeys.OrderBy(k => k.CreateDate).ElementAtOrDefault(slot);
                var used = key is null ? null : _keyLastUsed.GetValueOrDefault(key.AccessKeyId);
                row.AddRange(
                [
                    Flag(key?.Status == "Active"),
                    key is null ? "N/A" : ReportTime(key.CreateDate),
                    used is null ? "N/A" : ReportTime(used.When),
                    used?.Region ?? "N/A",
                    used?.Service ?? "N/A",
                ]);
            }
            row.AddRange([Flag(false), "N/A", Flag(false), "N/A"]);
            csv.AppendJoin(',', row.Select(CsvField)).Append('\n');
        }
        return csv.ToString();
    }

    // AWS writes the report's times in ISO 8601 with a +00:00 offset, and booleans in lower case.
    private static string ReportTime(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture);

    // IAM names may hold commas: such a field is quoted, as CSV quotes it.
    private static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(',', '"', '\n') < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Flag(bool value) => value ? "true" : "false";
}
