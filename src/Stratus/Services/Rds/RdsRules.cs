using System.Text.RegularExpressions;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>RDS's input rules: what a member may hold, refused with AWS's messages (built by <see cref="RdsErrors"/>).</summary>
public static partial class RdsRules
{
    /// <summary>
    /// The published model's member rules (RdsRules.json, written by scripts/member-rules.py), checked before an operation
    /// runs and answered under RDS's InvalidParameterValue: a required parameter of the request missing alone, in RDS's
    /// own sentence (<see cref="RdsErrors.MissingParameter"/>), anything else (and a missing member inside a list's
    /// structures, which no AWS answer shows worded otherwise) in the "1 validation error detected" wording. The model
    /// leaves identifiers, passwords, storage and ports open; RDS's own sentences for those stay below.
    /// </summary>
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.RdsRules.json")
        .WordedAs((_, violations) => violations.FirstOrDefault(v => v.Kind == ViolatedConstraint.Required && v.Path == v.Rule.Path) is { } missing
            ? RdsErrors.MissingParameter(missing.Rule.Member, missing.Rule.Type == "string")
            : RdsErrors.Validation.Violations([.. violations.Select(v => v.Smithy)]));

    public const int MinStorage = 20;
    public const int MaxStorage = 65536;
    public const int MinPort = 1150;

    /// <summary>The engines Stratus runs: mysql and mariadb on MariaDB, postgres on PostgreSQL.</summary>
    public static readonly IReadOnlyList<string> Engines = ["mysql", "mariadb", "postgres"];

    /// <summary>AWS engines a user may well ask for that Stratus does not run (they get a clear refusal, not "invalid").</summary>
    private static readonly string[] OtherAwsEngines =
        ["aurora-mysql", "aurora-postgresql", "oracle-ee", "oracle-se2", "sqlserver-ee", "sqlserver-se", "sqlserver-ex", "sqlserver-web", "db2-se", "db2-ae"];

    private static readonly string[] ClassFamilies = ["t3", "t4g", "m5", "m6g", "m6i", "m7g", "r5", "r6g", "r6i", "r7g"];
    private static readonly string[] BurstableSizes = ["micro", "small", "medium", "large", "xlarge", "2xlarge"];
    private static readonly string[] GeneralSizes = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];

    public static readonly IReadOnlySet<string> InstanceClasses = ClassFamilies
        .SelectMany(f => (f.StartsWith('t') ? BurstableSizes : GeneralSizes).Select(s => $"db.{f}.{s}"))
        .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("^[A-Za-z](?!.*--)[A-Za-z0-9-]*(?<!-)$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex WordPattern();

    /// <summary>
    /// Write forwarding (a secondary or reader sending writes on to the writer) is not built: asking for it is refused rather than
    /// silently ignored, since an application relying on it would find its writes refused.
    /// </summary>
    public static void NoWriteForwarding(IInputReader input)
    {
        foreach (var member in (string[])["EnableGlobalWriteForwarding", "EnableLocalWriteForwarding"])
            if (input.Bool(member) == true) throw RdsErrors.InvalidCombination($"Stratus does not build write forwarding ({member}).");
    }

    public static string InstanceIdentifier(string name, string value) => Identifier(name, value, 63);

    public static string SnapshotIdentifier(string name, string value) => Identifier(name, value, 255);

    /// <summary>An export task's identifier follows the identifier rules, up to 60 characters.</summary>
    public static string ExportTaskIdentifier(string value) => Identifier("ExportTaskIdentifier", value, 60);

    /// <summary>
    /// StartExportTask's ExportOnly entries, as AWS documents them: database, database.table for MySQL engines, database.schema
    /// and database.schema.table for PostgreSQL ones; a partial export names Latin letters, digits, $ and _ only.
    /// </summary>
    public static void ExportOnly(IReadOnlyList<string> entries, string engine)
    {
        var (parts, form) = IsPostgres(engine) ? (3, "database, database.schema or database.schema.table") : (2, "database or database.table");
        foreach (var entry in entries)
            if (entry.Split('.') is var names && (names.Length > parts || names.Any(n => n.Length == 0 || !n.All(c => char.IsAsciiLetterOrDigit(c) || c is '$' or '_'))))
                throw RdsErrors.InvalidExportOnly(entry, form);
    }

    /// <summary>Parameter group, option group and event subscription names follow the identifier rules, up to 255 characters.</summary>
    public static string GroupName(string name, string value) => Identifier(name, value, 255);

    private static string Identifier(string name, string value, int maxLength)
    {
        if (value.Length is 0 || value.Length > maxLength || !IdentifierPattern().IsMatch(value))
            throw RdsErrors.InvalidValue($"The parameter {name} is not a valid identifier. Identifiers must begin with a letter; " +
                "must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.");
        return value.ToLowerInvariant();
    }

    public static void Engine(string engine)
    {
        if (Engines.Contains(engine)) return;
        if (OtherAwsEngines.Contains(engine))
            throw RdsErrors.InvalidValue($"Invalid DB engine: {engine}. Stratus runs {string.Join(", ", Engines)} only (on MariaDB and PostgreSQL).");
        throw RdsErrors.InvalidValue($"Invalid DB engine: {engine}");
    }

    public static void InstanceClass(string instanceClass, string engine, string engineVersion)
    {
        if (!InstanceClasses.Contains(instanceClass))
            throw RdsErrors.InvalidCombination($"RDS does not support creating a DB instance with the following combination: DBInstanceClass={instanceClass}, " +
                $"Engine={engine}, EngineVersion={engineVersion}, LicenseModel=general-public-license. For supported combinations of instance class " +
                "and database engine version, see the documentation.");
    }

    public static readonly IReadOnlyList<string> StorageTypes = ["gp2", "gp3", "io1", "io2", "standard"];

    public static void Storage(int storage, string engine, string storageType)
    {
        if (!StorageTypes.Contains(storageType)) throw RdsErrors.InvalidValue($"Invalid storage type: {storageType}");
        if (storage is < MinStorage or > MaxStorage)
            throw RdsErrors.InvalidValue($"Invalid storage size for engine name {engine} and storage type {storageType}: {storage}");
    }

    public static void Port(int port)
    {
        if (port is < MinPort or > 65535)
            throw RdsErrors.InvalidValue($"Invalid port number: {port}. Valid range is {MinPort}-65535.");
    }

    /// <summary>RDS's major version: two parts for MySQL and MariaDB (8.0), one for PostgreSQL from 10 on (15).</summary>
    public static string MajorVersion(string engine, string version) =>
        string.Join('.', version.Split('.').Take(IsPostgres(engine) ? 1 : 2));

    /// <summary>RDS's default port of each engine: 3306 for MySQL and MariaDB, 5432 for PostgreSQL.</summary>
    public static int DefaultPort(string engine) => IsPostgres(engine) ? 5432 : 3306;

    public static bool IsPostgres(string engine) => engine is "postgres" or "aurora-postgresql";

    /// <summary>RDS's license model of each engine Stratus runs: PostgreSQL's own licence, the GPL for MySQL and MariaDB.</summary>
    public static string LicenseModel(string engine) => IsPostgres(engine) ? "postgresql-license" : "general-public-license";

    public static void MasterUsername(string? user, string engine)
    {
        if (string.IsNullOrEmpty(user))
            throw RdsErrors.InvalidValue("The parameter MasterUsername must be provided and must not be blank.");
        // PostgreSQL's names go to 63 characters, MySQL's user names to 32.
        var maxLength = IsPostgres(engine) ? 63 : 32;
        if (user.Length > maxLength || !WordPattern().IsMatch(user))
            throw RdsErrors.InvalidValue($"MasterUsername must be 1 to {maxLength} letters, digits or underscores, beginning with a letter.");
        // rdsadmin is RDS's own administrator on every engine (Stratus's too); root is MySQL's.
        if (user.Equals("rdsadmin", StringComparison.OrdinalIgnoreCase) || (!IsPostgres(engine) && user.Equals("root", StringComparison.OrdinalIgnoreCase)))
            throw RdsErrors.InvalidValue($"MasterUsername {user} cannot be used as it is a reserved word used by the engine");
    }

    /// <summary>ManageMasterUserPassword at creation: RDS makes the password, so none may be given.</summary>
    public static void ManagedMasterPassword(bool managed, string? password, string? kmsKeyId)
    {
        if (managed && password is not null)
            throw RdsErrors.InvalidCombination("You can't specify MasterUserPassword when ManageMasterUserPassword is turned on.");
        if (!managed && kmsKeyId is not null)
            throw RdsErrors.InvalidCombination("You can specify MasterUserSecretKmsKeyId only when ManageMasterUserPassword is turned on.");
    }

    /// <summary>
    /// ModifyDBInstance's and ModifyDBCluster's master password members against whether RDS manages the password now
    /// (<paramref name="managedNow"/>) and will after the change (<paramref name="manage"/>); <paramref name="kind"/> names the resource in the refusal.
    /// </summary>
    public static void ManagedMasterPasswordChange(bool manage, bool managedNow, IMasterPasswordChange change, string kind)
    {
        if (manage && change.MasterUserPassword is not null)
            throw RdsErrors.InvalidCombination("You can't specify MasterUserPassword when ManageMasterUserPassword is turned on.");
        if (!manage && managedNow && change.MasterUserPassword is null)
            throw RdsErrors.InvalidCombination("You must specify MasterUserPassword when you turn off ManageMasterUserPassword.");
        if (change.RotateMasterUserPassword == true && !(manage && managedNow))
            throw RdsErrors.InvalidCombination($"You can rotate the master user password only for a {kind} whose password RDS manages (ManageMasterUserPassword).");
        if (change.RotateMasterUserPassword == true && !change.ApplyImmediately)
            throw RdsErrors.InvalidCombination("RotateMasterUserPassword requires ApplyImmediately.");
    }

    public static void MasterPassword(string? password, string engine)
    {
        if (string.IsNullOrEmpty(password))
            throw RdsErrors.InvalidValue("The parameter MasterUserPassword must be provided and must not be blank.");
        if (password.Length < 8)
            throw RdsErrors.InvalidValue("The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.");
        // As RDS: up to 128 characters for PostgreSQL, 41 for MySQL and MariaDB.
        var maxLength = IsPostgres(engine) ? 128 : 41;
        if (password.Length > maxLength)
            throw RdsErrors.InvalidValue($"The parameter MasterUserPassword is not a valid password because it is longer than {maxLength} characters.");
        if (password.Any(c => c is < '!' or > '~' or '/' or '@' or '"'))
            throw RdsErrors.InvalidValue("The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.");
    }

    public static void DbName(string? name, string engine)
    {
        if (name is null) return;
        if (name.Length > (IsPostgres(engine) ? 63 : 64) || !WordPattern().IsMatch(name))
            throw RdsErrors.InvalidValue("DBName must begin with a letter and contain only alphanumeric characters.");
        // PostgreSQL's template databases exist in every cluster and are not the master user's to take.
        if (IsPostgres(engine) && name.ToLowerInvariant() is "template0" or "template1")
            throw RdsErrors.InvalidValue($"DatabaseName {name} cannot be used as it is a reserved word used by the engine");
    }

    [GeneratedRegex("^[A-Za-z0-9._ -]{1,255}$")]
    private static partial Regex SubnetGroupNamePattern();

    /// <summary>A DB subnet group name: up to 255 letters, digits, periods, underscores, spaces or hyphens; kept lower-cased, as RDS keeps it.</summary>
    public static string SubnetGroupName(string name) => SubnetGroupNamePattern().IsMatch(name)
        ? name.ToLowerInvariant()
        : throw RdsErrors.InvalidValue("The parameter DBSubnetGroupName is not a valid identifier. It must contain no more than 255 letters, numbers, periods, underscores, spaces, or hyphens.");

    /// <summary>The backup window RDS reports when none is asked for (AWS picks a half hour of a Region's block; this one is fixed).</summary>
    public const string DefaultBackupWindow = "03:00-03:30";

    /// <summary>How many days RDS keeps automated backups: 0 (none) to 35.</summary>
    public static int BackupRetentionPeriod(int days) => days is >= 0 and <= 35
        ? days
        : throw RdsErrors.InvalidValue($"Invalid backup retention period: {days}. The value must be between 0 and 35.");

    /// <summary>How many days Aurora keeps a cluster's automated backups: 1 to 35, as Aurora cannot turn them off (AWS's wording).</summary>
    public static int ClusterBackupRetentionPeriod(int days) => days is >= 1 and <= 35
        ? days
        : throw RdsErrors.InvalidValue($"Invalid backup retention period: {days}. Retention period must be between 1 and 35.");

    /// <summary>Backtracking's longest target window, 72 hours, as the model documents BacktrackWindow.</summary>
    public const int MaxBacktrackWindow = 259_200;

    /// <summary>A BacktrackWindow: 0 to 259,200 seconds; above 0 only for aurora-mysql, the one engine Aurora backtracks.</summary>
    public static int BacktrackWindow(int seconds, string engine, string engineVersion)
    {
        if (seconds is < 0 or > MaxBacktrackWindow)
            throw RdsErrors.InvalidValue($"Invalid BacktrackWindow: {seconds}. It must be from 0 to {MaxBacktrackWindow} seconds (72 hours).");
        if (seconds > 0 && engine != "aurora-mysql") throw RdsErrors.BacktrackNotSupported(engine, engineVersion);
        return seconds;
    }

    [GeneratedRegex(@"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")]
    private static partial Regex BackupWindowPattern();

    /// <summary>
    /// A PreferredBackupWindow as RDS takes it: hh24:mi-hh24:mi in UTC, at least 30 minutes long (it may cross midnight).
    /// Answers the window's start and length.
    /// </summary>
    public static (TimeSpan Start, TimeSpan Length) BackupWindow(string window)
    {
        var match = BackupWindowPattern().Match(window);
        if (!match.Success)
            throw RdsErrors.InvalidValue($"The parameter PreferredBackupWindow must be in the format hh24:mi-hh24:mi (UTC): {window} is not.");
        TimeSpan At(int group) => new(int.Parse(match.Groups[group].Value), int.Parse(match.Groups[group + 1].Value), 0);
        var (start, end) = (At(1), At(3));
        var length = end > start ? end - start : end + TimeSpan.FromDays(1) - start;
        if (length < TimeSpan.FromMinutes(30))
            throw RdsErrors.InvalidValue($"The backup window must be at least 30 minutes: {window} is {length.TotalMinutes} minutes.");
        return (start, length);
    }

    public static int MaxRecords(int? maxRecords)
    {
        var value = maxRecords ?? 100;
        if (value is < 20 or > 100) throw RdsErrors.InvalidValue($"Invalid value {value} for MaxRecords. Must be between 20 and 100");
        return value;
    }
}
