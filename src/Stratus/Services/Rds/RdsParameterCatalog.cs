using System.Globalization;

namespace Stratus.Services.Rds;

/// <summary>
/// One parameter of a family, as DescribeDBParameters lists it: AWS's name, data type, allowed values and apply
/// type. <see cref="StratusValue"/> is the value Stratus's server runs with when no group sets one (reported with
/// Source "system", as RDS reports the values it sets itself); without one the server's own default applies
/// (Source "engine-default", no value, as RDS shows it).
/// </summary>
public sealed record RdsParameterDefinition(string Name, string DataType, string ApplyType, string AllowedValues, string Description, string? StratusValue = null)
{
    public bool IsStatic => ApplyType == "static";

    /// <summary>Whether the value is one this parameter allows: a range for numbers, one (or, for a list, several) of the allowed values.</summary>
    public bool Allows(string value)
    {
        if (value.Length == 0 || value.Contains('{')) return false;
        switch (DataType)
        {
            case "integer":
            case "float":
                // "min-max", where min may be negative (PostgreSQL's -1 for "off"): the separator is the first '-' after the first character.
                var separator = AllowedValues.IndexOf('-', 1);
                return decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    && (DataType == "float" || number == decimal.Truncate(number))
                    && number >= decimal.Parse(AllowedValues[..separator], CultureInfo.InvariantCulture)
                    && number <= decimal.Parse(AllowedValues[(separator + 1)..], CultureInfo.InvariantCulture);
            default:
                var allowed = AllowedValues.Split(',');
                return DataType == "list"
                    ? value.Split(',').All(item => allowed.Contains(item, StringComparer.OrdinalIgnoreCase))
                    : allowed.Contains(value, StringComparer.OrdinalIgnoreCase);
        }
    }

    /// <summary>The value as the server's SET GLOBAL takes it: numbers as numbers (a quoted number is refused for a numeric variable).</summary>
    public object ServerValue(string value) => DataType switch
    {
        "integer" or "boolean" => decimal.Parse(value, CultureInfo.InvariantCulture),
        "float" => double.Parse(value, CultureInfo.InvariantCulture),
        _ => value,
    };
}

/// <summary>
/// The parameters Stratus serves for the MySQL and MariaDB families: the common ones users set, with the names,
/// types, ranges and apply types RDS lists for them, each one the MariaDB server Stratus runs really honours.
/// Ranges are clipped to what that server accepts. Parameters RDS lists that are not here are not accepted
/// (ModifyDBParameterGroup names them as not found) rather than recorded without effect.
/// </summary>
public static class RdsParameterCatalog
{
    // Every family has a table: the mysql family's (MySQL, MariaDB, Aurora MySQL) here, PostgreSQL's in RdsPostgresParameterCatalog.

    /// <summary>Whether the family is PostgreSQL's (postgres15, aurora-postgresql15).</summary>
    public static bool IsPostgresFamily(string family) =>
        family.StartsWith("postgres", StringComparison.Ordinal) || family.StartsWith("aurora-postgresql", StringComparison.Ordinal);

    /// <summary>The parameters of a family, sorted by name.</summary>
    public static IReadOnlyList<RdsParameterDefinition> For(string family) => IsPostgresFamily(family) ? RdsPostgresParameterCatalog.Parameters : Parameters;

    /// <summary>A parameter of a family by its name.</summary>
    public static RdsParameterDefinition? Find(string family, string name) =>
        IsPostgresFamily(family) ? RdsPostgresParameterCatalog.Find(name) : Find(name);

    private const string Boolean = "0,1";
    private const string CharacterSets = "ascii,big5,binary,cp1250,cp1251,cp1256,cp1257,cp850,euckr,gb2312,gbk,greek,hebrew,koi8r,latin1,latin2,sjis,utf8,utf8mb3,utf8mb4";
    private const string Collations = "ascii_bin,ascii_general_ci,binary,latin1_bin,latin1_general_ci,latin1_swedish_ci,utf8mb3_bin,utf8mb3_general_ci,utf8mb3_unicode_ci," +
        "utf8mb4_bin,utf8mb4_general_ci,utf8mb4_unicode_520_ci,utf8mb4_unicode_ci";
    private const string SqlModes = "ALLOW_INVALID_DATES,ANSI_QUOTES,ERROR_FOR_DIVISION_BY_ZERO,HIGH_NOT_PRECEDENCE,IGNORE_SPACE,NO_AUTO_VALUE_ON_ZERO," +
        "NO_BACKSLASH_ESCAPES,NO_DIR_IN_CREATE,NO_ENGINE_SUBSTITUTION,NO_UNSIGNED_SUBTRACTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,ONLY_FULL_GROUP_BY," +
        "PAD_CHAR_TO_FULL_LENGTH,PIPES_AS_CONCAT,REAL_AS_FLOAT,STRICT_ALL_TABLES,STRICT_TRANS_TABLES,ANSI,TRADITIONAL";
    internal const string TimeZones = "UTC,Africa/Cairo,Africa/Casablanca,Africa/Harare,Africa/Monrovia,Africa/Nairobi,Africa/Tripoli,Africa/Windhoek," +
        "America/Araguaina,America/Asuncion,America/Bogota,America/Buenos_Aires,America/Caracas,America/Chicago,America/Chihuahua,America/Cuiaba," +
        "America/Denver,America/Fortaleza,America/Guatemala,America/Halifax,America/Manaus,America/Matamoros,America/Monterrey,America/Montevideo," +
        "America/Phoenix,America/Santiago,America/Tijuana,Asia/Amman,Asia/Ashgabat,Asia/Baghdad,Asia/Baku,Asia/Bangkok,Asia/Beirut,Asia/Calcutta," +
        "Asia/Damascus,Asia/Dhaka,Asia/Irkutsk,Asia/Jerusalem,Asia/Kabul,Asia/Karachi,Asia/Kathmandu,Asia/Krasnoyarsk,Asia/Magadan,Asia/Muscat," +
        "Asia/Novosibirsk,Asia/Riyadh,Asia/Seoul,Asia/Shanghai,Asia/Singapore,Asia/Taipei,Asia/Tehran,Asia/Tokyo,Asia/Ulaanbaatar,Asia/Vladivostok," +
        "Asia/Yakutsk,Asia/Yerevan,Atlantic/Azores,Australia/Adelaide,Australia/Brisbane,Australia/Darwin,Australia/Hobart,Australia/Perth," +
        "Australia/Sydney,Brazil/East,Canada/Newfoundland,Canada/Saskatchewan,Europe/Amsterdam,Europe/Athens,Europe/Dublin,Europe/Helsinki," +
        "Europe/Istanbul,Europe/Kaliningrad,Europe/Moscow,Europe/Paris,Europe/Prague,Europe/Sarajevo,Pacific/Auckland,Pacific/Fiji,Pacific/Guam," +
        "Pacific/Honolulu,Pacific/Samoa,US/Alaska,US/Central,US/Eastern,US/East-Indiana,US/Pacific";

    /// <summary>Sorted by name, as DescribeDBParameters lists them.</summary>
    public static readonly IReadOnlyList<RdsParameterDefinition> Parameters = new RdsParameterDefinition[]
    {
        new("auto_increment_increment", "integer", "dynamic", "1-65535", "Intervals between successive column values."),
        new("auto_increment_offset", "integer", "dynamic", "1-65535", "Determines the starting point for the AUTO_INCREMENT column value."),
        new("autocommit", "boolean", "dynamic", Boolean, "Sets the autocommit mode."),
        new("character_set_server", "string", "dynamic", CharacterSets, "The server's default character set.", "utf8mb4"),
        new("collation_server", "string", "dynamic", Collations, "The server's default collation.", "utf8mb4_general_ci"),
        new("connect_timeout", "integer", "dynamic", "2-31536000", "The number of seconds the server waits for a connect packet before responding with a bad handshake."),
        new("event_scheduler", "string", "dynamic", "ON,OFF", "Indicates the status of the Event Scheduler."),
        new("general_log", "boolean", "dynamic", Boolean, "Whether the general query log is enabled."),
        new("group_concat_max_len", "integer", "dynamic", "4-18446744073709551615", "The maximum allowed result length in bytes for the GROUP_CONCAT() function."),
        new("innodb_buffer_pool_size", "integer", "dynamic", "5242880-68719476736", "The size in bytes of the buffer pool, the memory area where InnoDB caches table and index data.", "33554432"),
        new("innodb_file_per_table", "boolean", "dynamic", Boolean, "Use tablespaces or files for InnoDB."),
        new("innodb_flush_log_at_trx_commit", "integer", "dynamic", "0-2", "Determines InnoDB transaction durability."),
        new("innodb_lock_wait_timeout", "integer", "dynamic", "1-1073741824", "Timeout in seconds an InnoDB transaction may wait for a row lock before giving up."),
        new("innodb_log_buffer_size", "integer", "static", "262144-4294967295", "The size in bytes of the buffer that InnoDB uses to write to the log files on disk."),
        new("innodb_log_file_size", "integer", "static", "4194304-274877906944", "Size of each log file in a log group.", "8388608"),
        new("innodb_print_all_deadlocks", "boolean", "dynamic", Boolean, "Whether information about all InnoDB deadlocks is recorded in the error log."),
        new("innodb_read_io_threads", "integer", "static", "1-64", "Number of background I/O threads used for read operations."),
        new("innodb_write_io_threads", "integer", "static", "1-64", "Number of background I/O threads used for write operations."),
        new("interactive_timeout", "integer", "dynamic", "1-31536000", "The number of seconds the server waits for activity on an interactive connection before closing it."),
        new("join_buffer_size", "integer", "dynamic", "128-4294967295", "The minimum size of the buffer that is used for joins that cannot use indexes."),
        new("local_infile", "boolean", "dynamic", Boolean, "Controls whether LOCAL is supported for LOAD DATA INFILE."),
        new("log_bin_trust_function_creators", "boolean", "dynamic", Boolean, "Enforces restrictions on stored functions and triggers when binary logging is enabled."),
        new("log_output", "string", "dynamic", "TABLE,FILE,NONE", "Controls where to store query logs.", "FILE"),
        new("long_query_time", "float", "dynamic", "0-31536000", "Queries that take longer than this many seconds are logged to the slow query log."),
        new("max_allowed_packet", "integer", "dynamic", "1024-1073741824", "The maximum size of one packet or any generated or intermediate string."),
        new("max_connect_errors", "integer", "dynamic", "1-4294967295", "A host is blocked after this many successive interrupted connection requests."),
        new("max_connections", "integer", "dynamic", "1-100000", "The number of simultaneous client connections allowed.", "200"),
        new("max_heap_table_size", "integer", "dynamic", "16384-1844674407370954752", "The maximum size to which MEMORY tables are allowed to grow."),
        new("max_user_connections", "integer", "dynamic", "0-4294967295", "The maximum number of simultaneous connections permitted to any given user account."),
        new("net_read_timeout", "integer", "dynamic", "1-31536000", "The number of seconds to wait for more data from a connection before aborting the read."),
        new("net_write_timeout", "integer", "dynamic", "1-31536000", "The number of seconds to wait for a block to be written to a connection before aborting the write."),
        new("performance_schema", "boolean", "static", Boolean, "Enables or disables the Performance Schema.", "0"),
        new("read_buffer_size", "integer", "dynamic", "8192-2147479552", "Each thread that does a sequential scan allocates this buffer."),
        new("require_secure_transport", "boolean", "dynamic", Boolean, "Whether client connections to the server are required to use some form of secure transport."),
        new("slow_query_log", "boolean", "dynamic", Boolean, "Whether the slow query log is enabled."),
        new("sort_buffer_size", "integer", "dynamic", "32768-18446744073709551615", "Each session that needs to do a sort allocates a buffer of this size."),
        new("sql_mode", "list", "dynamic", SqlModes, "Current SQL server mode."),
        new("table_open_cache", "integer", "dynamic", "1-524288", "The number of open tables for all threads."),
        new("thread_cache_size", "integer", "dynamic", "0-16384", "How many threads the server should cache for reuse."),
        new("time_zone", "string", "dynamic", TimeZones, "The server's time zone."),
        new("tmp_table_size", "integer", "dynamic", "1024-18446744073709551615", "The maximum size of internal in-memory temporary tables."),
        new("wait_timeout", "integer", "dynamic", "1-31536000", "The number of seconds the server waits for activity on a noninteractive connection before closing it."),
    };

    private static readonly Dictionary<string, RdsParameterDefinition> ByName = Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public static RdsParameterDefinition? Find(string name) => ByName.GetValueOrDefault(name);
}
