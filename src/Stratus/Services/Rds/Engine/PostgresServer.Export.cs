using System.Data.Common;
using Npgsql;
using Stratus.Services.Rds.Engine.Export;

namespace Stratus.Services.Rds.Engine;

/// <summary>Snapshot exports: the user tables of every database of a server started on a snapshot's copy, read as rdsadmin over the socket.</summary>
public sealed partial class PostgresServer
{
    public async Task<IReadOnlyList<ExportTable>> ExportTablesAsync(CancellationToken cancellation)
    {
        var databases = new List<string>();
        await using (var connection = (NpgsqlConnection)await OpenAdminConnectionAsync(null, cancellation))
        await using (var command = new NpgsqlCommand(
            $"SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> '{AdminUser}' ORDER BY datname", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
            while (await reader.ReadAsync(cancellation)) databases.Add(reader.GetString(0));

        var tables = new List<ExportTable>();
        foreach (var database in databases)
        {
            await using var connection = (NpgsqlConnection)await OpenAdminConnectionAsync(database, cancellation);
            // Temporary and unlogged tables are skipped, as RDS's export skips them.
            await using var command = new NpgsqlCommand("""
                SELECT c.table_schema, c.table_name, c.column_name, c.data_type
                FROM information_schema.columns c
                JOIN pg_catalog.pg_namespace n ON n.nspname = c.table_schema
                JOIN pg_catalog.pg_class r ON r.relnamespace = n.oid AND r.relname = c.table_name
                WHERE r.relkind IN ('r', 'p') AND r.relpersistence = 'p' AND NOT r.relispartition
                  AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
                ORDER BY c.table_schema, c.table_name, c.ordinal_position
                """, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            var columns = new List<(string Schema, string Table, ExportColumn Column)>();
            while (await reader.ReadAsync(cancellation))
                columns.Add((reader.GetString(0), reader.GetString(1), ExportTypeMapping.Postgres(reader.GetString(2), reader.GetString(3))));
            tables.AddRange(columns.GroupBy(c => (c.Schema, c.Table))
                .Select(g => new ExportTable(database, g.Key.Schema, g.Key.Table, $"{Identifier(g.Key.Schema)}.{Identifier(g.Key.Table)}",
                    g.Select(c => c.Column).ToList())));
        }
        return tables;
    }

    /// <summary>An admin connection over the socket to one database (postgres when none is named); commands have no timeout.</summary>
    public async Task<DbConnection> OpenAdminConnectionAsync(string? database, CancellationToken cancellation)
    {
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString(5)) { CommandTimeout = 0 };
        if (database is not null) builder.Database = database;
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellation);
        return connection;
    }
}
