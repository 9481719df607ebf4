using System.Data.Common;
using MySqlConnector;
using Stratus.Services.Rds.Engine.Export;

namespace Stratus.Services.Rds.Engine;

/// <summary>Snapshot exports: the user tables of a server started on a snapshot's copy, read as root over the socket.</summary>
public sealed partial class MariaDbServer
{
    /// <summary>MariaDB's own schemas, which RDS does not export.</summary>
    private const string SystemSchemas = "'mysql', 'information_schema', 'performance_schema', 'sys'";

    public async Task<IReadOnlyList<ExportTable>> ExportTablesAsync(CancellationToken cancellation)
    {
        await using var connection = (MySqlConnection)await OpenAdminConnectionAsync(null, cancellation);
        await using var command = new MySqlCommand(
            "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, COALESCE(c.NUMERIC_PRECISION, 0), COALESCE(c.NUMERIC_SCALE, 0) " +
            "FROM information_schema.COLUMNS c JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME " +
            $"WHERE t.TABLE_TYPE = 'BASE TABLE' AND c.TABLE_SCHEMA NOT IN ({SystemSchemas}) ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var columns = new List<(string Schema, string Table, ExportColumn Column)>();
        while (await reader.ReadAsync(cancellation))
            columns.Add((reader.GetString(0), reader.GetString(1), ExportTypeMapping.MySql(reader.GetString(2), reader.GetString(3), reader.GetString(4),
                Convert.ToInt32(reader.GetValue(5)), Convert.ToInt32(reader.GetValue(6)))));
        return columns.GroupBy(c => (c.Schema, c.Table))
            .Select(g => new ExportTable(g.Key.Schema, g.Key.Schema, g.Key.Table, $"`{g.Key.Schema.Replace("`", "``")}`.`{g.Key.Table.Replace("`", "``")}`",
                g.Select(c => c.Column).ToList()))
            .ToList();
    }

    /// <summary>
    /// An admin connection over the socket (MariaDB's databases are reached from any one, so <paramref name="database"/> only
    /// picks the default). Zero dates, which MariaDB's default sql_mode lets in, read as DateTime.MinValue.
    /// </summary>
    public async Task<DbConnection> OpenAdminConnectionAsync(string? database, CancellationToken cancellation)
    {
        var builder = new MySqlConnectionStringBuilder(AdminConnectionString(5)) { ConvertZeroDateTime = true, DefaultCommandTimeout = 0 };
        if (database is not null) builder.Database = database;
        var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellation);
        return connection;
    }
}
