namespace Stratus.Services.Rds;

/// <summary>
/// The parameters Stratus serves for the PostgreSQL families (postgres15, ...): the common ones users set, with the names,
/// data types, ranges and apply types RDS lists for them (RDS's "dynamic" are PostgreSQL's sighup and user parameters,
/// "static" its postmaster ones). Values are in PostgreSQL's own units, as RDS takes them (shared_buffers in 8 kB
/// pages, work_mem in kB, statement_timeout in ms). Each is a real PostgreSQL setting: dynamic ones are set with ALTER
/// SYSTEM and a reload, static ones at the next start. Any other name is refused rather than recorded without effect.
/// </summary>
public static class RdsPostgresParameterCatalog
{
    private const string Boolean = "0,1";

    /// <summary>Sorted by name, as DescribeDBParameters lists them.</summary>
    public static readonly IReadOnlyList<RdsParameterDefinition> Parameters = new RdsParameterDefinition[]
    {
        new("autovacuum", "boolean", "dynamic", Boolean, "Starts the autovacuum subprocess."),
        new("autovacuum_max_workers", "integer", "static", "1-262143", "Sets the maximum number of simultaneously running autovacuum worker processes."),
        new("autovacuum_naptime", "integer", "dynamic", "1-2147483", "Time to sleep between autovacuum runs (s)."),
        new("autovacuum_vacuum_scale_factor", "float", "dynamic", "0-100", "Number of tuple updates or deletes prior to vacuum as a fraction of reltuples."),
        new("checkpoint_timeout", "integer", "dynamic", "30-86400", "Sets the maximum time between automatic WAL checkpoints (s)."),
        new("default_statistics_target", "integer", "dynamic", "1-10000", "Sets the default statistics target."),
        new("default_transaction_isolation", "string", "dynamic", "serializable,repeatable read,read committed,read uncommitted", "Sets the transaction isolation level of each new transaction."),
        new("effective_cache_size", "integer", "dynamic", "1-2147483647", "Sets the planner's assumption about the size of the disk cache (8 kB)."),
        new("idle_in_transaction_session_timeout", "integer", "dynamic", "0-2147483647", "Sets the maximum allowed duration of any idling transaction (ms)."),
        new("lock_timeout", "integer", "dynamic", "0-2147483647", "Sets the maximum allowed duration of any wait for a lock (ms)."),
        new("log_connections", "boolean", "dynamic", Boolean, "Logs each successful connection."),
        new("log_disconnections", "boolean", "dynamic", Boolean, "Logs end of a session, including duration."),
        new("log_lock_waits", "boolean", "dynamic", Boolean, "Logs long lock waits."),
        new("log_min_duration_statement", "integer", "dynamic", "-1-2147483647", "Sets the minimum execution time above which statements will be logged (ms)."),
        new("log_min_error_statement", "string", "dynamic", "debug5,debug4,debug3,debug2,debug1,info,notice,warning,error,log,fatal,panic", "Causes all statements generating error at or above this level to be logged."),
        new("log_statement", "string", "dynamic", "none,ddl,mod,all", "Sets the type of statements logged."),
        new("log_temp_files", "integer", "dynamic", "-1-2147483647", "Log the use of temporary files larger than this number of kilobytes."),
        new("maintenance_work_mem", "integer", "dynamic", "1024-2147483647", "Sets the maximum memory to be used for maintenance operations (kB)."),
        new("max_connections", "integer", "static", "6-8388607", "Sets the maximum number of concurrent connections.", "100"),
        new("max_locks_per_transaction", "integer", "static", "10-2147483647", "Sets the maximum number of locks per transaction."),
        new("max_parallel_workers_per_gather", "integer", "dynamic", "0-1024", "Sets the maximum number of parallel processes per executor node."),
        new("max_wal_size", "integer", "dynamic", "2-2147483647", "Sets the WAL size that triggers a checkpoint (MB)."),
        new("random_page_cost", "float", "dynamic", "0-2147483647", "Sets the planner's estimate of the cost of a nonsequentially fetched disk page."),
        // RDS's own parameter (dynamic, 0 by default before PostgreSQL 16): which pg_hba.conf line lets clients in, TLS ones only or any.
        new("rds.force_ssl", "boolean", "dynamic", Boolean, "Force SSL connections.", "0"),
        new("shared_buffers", "integer", "static", "16-1073741823", "Sets the number of shared memory buffers used by the server (8 kB).", "2048"),
        new("statement_timeout", "integer", "dynamic", "0-2147483647", "Sets the maximum allowed duration of any statement (ms)."),
        new("temp_buffers", "integer", "dynamic", "100-1073741823", "Sets the maximum number of temporary buffers used by each session (8 kB)."),
        new("timezone", "string", "dynamic", RdsParameterCatalog.TimeZones, "Sets the time zone for displaying and interpreting time stamps."),
        new("track_activity_query_size", "integer", "static", "100-1048576", "Sets the size reserved for pg_stat_activity.current_query, in bytes."),
        new("work_mem", "integer", "dynamic", "64-2147483647", "Sets the maximum memory to be used for query workspaces (kB)."),
    };

    private static readonly Dictionary<string, RdsParameterDefinition> ByName = Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public static RdsParameterDefinition? Find(string name) => ByName.GetValueOrDefault(name);
}
