using System.Text;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Logs.Engine.Insights;

namespace Stratus.Services.Logs;

/// <summary>A lookup table: CSV whose first row names its columns, kept as uploaded (AWS's GetLookupTable answers the body).</summary>
public sealed record LookupTable(string AccountId, string Region, string Name, string Description, string Body, IReadOnlyList<string> Fields,
    int RecordsCount, long LastUpdatedTime, Dictionary<string, string> Tags)
{
    public string Arn => $"arn:aws:logs:{Region}:{AccountId}:lookup-table:{Name}";
    public long SizeBytes => Encoding.UTF8.GetByteCount(Body);
}

/// <summary>
/// Lookup tables (CreateLookupTable and its siblings) and their use by the Insights lookup command: CSV validated when
/// uploaded (a header row of unique, non-empty names; every row as many fields as the header; at most 10 MB, as AWS
/// documents; at most 100 tables per account and Region), kept as resources on disk, and read by the queries naming them.
/// </summary>
public sealed partial class LogsService
{
    public const int MaxLookupTables = 100;
    public const int MaxLookupTableBytes = 10 * 1024 * 1024;

    private readonly ResourceTable<LookupTable> _lookupTables;

    public LookupTable CreateLookupTable(Scope scope, string name, string? description, string body, string? kmsKeyId, Dictionary<string, string> tags)
    {
        RefuseLookupTableKey(kmsKeyId);
        var (fields, records) = ParseLookupCsv(body);
        var table = new LookupTable(scope.AccountId, scope.Region, name, description ?? "", body, fields, records.Count, NowMs, tags);
        lock (_createGate)
        {
            if (_lookupTables.Values.Count(t => t.AccountId == scope.AccountId && t.Region == scope.Region) >= MaxLookupTables)
                throw LogsErrors.ResourceLimitExceeded();
            if (!_lookupTables.TryAdd(LookupTableKey(scope, name), table)) throw LogsErrors.LookupTableExists(name);
        }
        return table;
    }

    public IReadOnlyList<LookupTable> DescribeLookupTables(Scope scope, string? prefix) =>
        _lookupTables.Values.Where(t => t.AccountId == scope.AccountId && t.Region == scope.Region)
            .Where(t => prefix is null || t.Name.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(t => t.Name, StringComparer.Ordinal).ToList();

    public LookupTable GetLookupTable(Scope scope, string arn) => _lookupTables.Get(LookupTableKey(scope, LookupTableName(scope, arn))) ?? throw LogsErrors.LookupTableNotFound();

    /// <summary>Replaces the table's whole content (and its description when given), as AWS's UpdateLookupTable does.</summary>
    public LookupTable UpdateLookupTable(Scope scope, string arn, string? description, string body, string? kmsKeyId)
    {
        RefuseLookupTableKey(kmsKeyId);
        var (fields, records) = ParseLookupCsv(body);
        return _lookupTables.Update(LookupTableKey(scope, LookupTableName(scope, arn)), t => t with
        {
            Description = description ?? t.Description, Body = body, Fields = fields, RecordsCount = records.Count, LastUpdatedTime = NowMs,
        }) ?? throw LogsErrors.LookupTableNotFound();
    }

    public void DeleteLookupTable(Scope scope, string arn)
    {
        if (_lookupTables.Remove(LookupTableKey(scope, LookupTableName(scope, arn))) is null) throw LogsErrors.LookupTableNotFound();
    }

    /// <summary>The query with each lookup command given its table's rows; a table that does not exist, or lacks a field the command names, is refused.</summary>
    private InsightsQuery WithLookupTables(Scope scope, InsightsQuery query)
    {
        if (!query.Commands.Any(c => c is LookupCommand)) return query;
        return query with
        {
            Commands = [.. query.Commands.Select(c => c is LookupCommand lookup ? lookup with { Table = LookupData(scope, lookup) } : c)],
        };
    }

    private LookupTableData LookupData(Scope scope, LookupCommand lookup)
    {
        var table = _lookupTables.Get(LookupTableKey(scope, lookup.TableName)) ?? throw LogsErrors.MalformedQuery($"Lookup table {lookup.TableName} does not exist.");
        int Column(string field) => table.Fields.ToList().IndexOf(field) is var at and >= 0 ? at
            : throw LogsErrors.MalformedQuery($"Lookup table {lookup.TableName} has no field {field}.");
        var keyColumns = lookup.Keys.Select(k => Column(k.TableField)).ToList();
        var outputs = lookup.Outputs.Select(Column).ToList();
        var rows = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var record in ParseLookupCsv(table.Body).Records)
            rows.TryAdd(LookupTableData.Key(keyColumns.Select(c => record[c])), record);
        return new LookupTableData(rows, outputs);
    }

    /// <summary>Stratus keeps lookup tables in its state file as other resources; encrypting one under a KMS key is refused by name, not ignored.</summary>
    private static void RefuseLookupTableKey(string? kmsKeyId)
    {
        if (kmsKeyId is not null) throw LogsErrors.LookupTableKeyNotServed();
    }

    private static string LookupTableName(Scope scope, string arn)
    {
        var prefix = $"arn:aws:logs:{scope.Region}:{scope.AccountId}:lookup-table:";
        return arn.StartsWith(prefix, StringComparison.Ordinal) && arn.Length > prefix.Length ? arn[prefix.Length..] : throw LogsErrors.LookupTableNotFound();
    }

    private static string LookupTableKey(Scope scope, string name) => ResourceTable<LookupTable>.Key(scope.AccountId, scope.Region, name);

    /// <summary>
    /// RFC 4180 CSV (fields quoted with ", "" inside quotes, CRLF or LF line ends): the header's names and the data rows. Refused
    /// with InvalidParameterException (Stratus's wording; AWS publishes none) when it is over 10 MB, has no header, a blank or
    /// repeated column name, a row of another width than the header, an unterminated quote, or a U+001F (which keys rows).
    /// </summary>
    private static (IReadOnlyList<string> Fields, List<string[]> Records) ParseLookupCsv(string body)
    {
        if (Encoding.UTF8.GetByteCount(body) > MaxLookupTableBytes)
            throw LogsErrors.InvalidLookupTable($"The table body exceeds {MaxLookupTableBytes} bytes.");
        if (body.Contains('\u001f')) throw LogsErrors.InvalidLookupTable("The table body contains a U+001F control character.");
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var i = 0;
        void EndField()
        {
            row.Add(field.ToString());
            field.Clear();
        }
        void EndRow()
        {
            EndField();
            rows.Add([.. row]);
            row.Clear();
        }
        while (i < body.Length)
        {
            var c = body[i++];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i < body.Length && body[i] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == ',') EndField();
            else if (c == '\n' || c == '\r')
            {
                if (c == '\r' && i < body.Length && body[i] == '\n') i++;
                EndRow();
            }
            else field.Append(c);
        }
        if (quoted) throw LogsErrors.InvalidLookupTable("The table body ends inside a quoted field.");
        if (field.Length > 0 || row.Count > 0) EndRow();
        // Blank lines (a trailing newline's) are not rows.
        rows.RemoveAll(r => r is [""]);
        if (rows.Count == 0) throw LogsErrors.InvalidLookupTable("The table body must start with a header row of column names.");
        var header = rows[0];
        if (header.Any(string.IsNullOrWhiteSpace)) throw LogsErrors.InvalidLookupTable("Every column of the header row must have a name.");
        if (header.Distinct(StringComparer.Ordinal).Count() != header.Length) throw LogsErrors.InvalidLookupTable("The header row names a column twice.");
        for (var r = 1; r < rows.Count; r++)
            if (rows[r].Length != header.Length)
                throw LogsErrors.InvalidLookupTable($"Row {r + 1} has {rows[r].Length} fields; the header row has {header.Length}.");
        return (header, rows.Skip(1).ToList());
    }
}
