using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.RdsData;

/// <summary>What every Data API call names: the cluster (its ARN), the secret whose username and password it runs as, and the database.</summary>
public sealed record DataApiTarget(string ResourceArn, string SecretArn, string? Database)
{
    public static DataApiTarget Read(IInputReader input)
    {
        // AWS's Data API refuses the schema member on the clusters it serves today (its troubleshooting guide: "Schema parameter isn't supported").
        if (!string.IsNullOrEmpty(input.String("schema"))) throw RdsDataErrors.SchemaNotSupported();
        return new DataApiTarget(input.Required("resourceArn"), input.Required("secretArn"), NullIfEmpty(input.String("database")));
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>One named SqlParameter (`:name` in the SQL): its Field value as a .NET value (null for isNull) and its typeHint.</summary>
public sealed partial record DataApiParameter(string Name, object? Value, string? TypeHint)
{
    /// <summary>A name the SQL can refer to as `:name`.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial System.Text.RegularExpressions.Regex ParameterName();

    /// <summary>A parameters list from the wire: each a name, a Field union with one member set, and an optional typeHint.</summary>
    public static IReadOnlyList<DataApiParameter> ReadList(JsonNode? node)
    {
        if (node is not JsonArray list) return [];
        return [.. list.Select(item => Read(item as JsonObject ?? throw RdsDataErrors.BadRequest("Each parameter must be an object")))];
    }

    private static DataApiParameter Read(JsonObject parameter)
    {
        var name = parameter["name"] is JsonValue n && n.TryGetValue<string>(out var text) ? text : "";
        if (!ParameterName().IsMatch(name)) throw RdsDataErrors.BadRequest($"Invalid parameter name: '{name}'");
        try
        {
            return new DataApiParameter(name, FieldValue(name, parameter["value"] as JsonObject), parameter["typeHint"]?.GetValue<string>());
        }
        catch (InvalidOperationException)
        {
            // A member of the wrong JSON type (a longValue as a string): the client's error, not the server's.
            throw RdsDataErrors.BadRequest($"Parameter {name} has a value of the wrong type");
        }
    }

    /// <summary>The one member of a Field that is set; none (or isNull) is SQL NULL.</summary>
    private static object? FieldValue(string name, JsonObject? field)
    {
        if (field is null) return null;
        foreach (var (member, value) in field)
        {
            if (value is null) continue;
            return member switch
            {
                "isNull" => null,
                "booleanValue" => value.GetValue<bool>(),
                "longValue" => value.GetValue<long>(),
                "doubleValue" => value.GetValue<double>(),
                "stringValue" => value.GetValue<string>(),
                "blobValue" => Base64(name, value.GetValue<string>()),
                "arrayValue" => throw RdsDataErrors.ArrayParameter(name),
                _ => throw RdsDataErrors.BadRequest($"Unknown Field member {member} in parameter {name}"),
            };
        }
        return null;
    }

    private static byte[] Base64(string name, string text)
    {
        try { return Convert.FromBase64String(text); }
        catch (FormatException) { throw RdsDataErrors.BadRequest($"The blobValue of parameter {name} is not base64"); }
    }
}

/// <summary>resultSetOptions: DECIMAL as a string (AWS's default) or a number; BIGINT as a number (the default) or a string.</summary>
public sealed record ResultOptions(bool DecimalAsNumber, bool LongAsString)
{
    public static readonly ResultOptions Default = new(false, false);

    public static ResultOptions Read(IInputReader input) => input.Object("resultSetOptions") is { } options
        ? new ResultOptions(options.String("decimalReturnType") == "DOUBLE_OR_LONG", options.String("longReturnType") == "STRING")
        : Default;
}

/// <summary>ExecuteStatement's members.</summary>
public sealed record StatementRequest(DataApiTarget Target, string Sql, IReadOnlyList<DataApiParameter> Parameters, string? TransactionId,
    bool IncludeResultMetadata, bool ContinueAfterTimeout, bool FormatAsJson, ResultOptions Options)
{
    public static StatementRequest Read(OperationInput input) => new(DataApiTarget.Read(input), input.Required("sql"),
        DataApiParameter.ReadList(input.Body["parameters"]), input.String("transactionId"), input.Bool("includeResultMetadata") ?? false,
        input.Bool("continueAfterTimeout") ?? false, input.String("formatRecordsAs") == "JSON", ResultOptions.Read(input));
}

/// <summary>BatchExecuteStatement's members: one statement, run once per parameter set.</summary>
public sealed record BatchRequest(DataApiTarget Target, string Sql, IReadOnlyList<IReadOnlyList<DataApiParameter>> ParameterSets, string? TransactionId)
{
    public static BatchRequest Read(OperationInput input) => new(DataApiTarget.Read(input), input.Required("sql"),
        input.Body["parameterSets"] is JsonArray sets ? [.. sets.Select(DataApiParameter.ReadList)] : [], input.String("transactionId"));
}

/// <summary>A result column as ColumnMetadata describes it (JDBC's type codes and names, as AWS's Data API reports them).</summary>
public sealed record DataApiColumn(string Name, string Label, int Type, string TypeName, string SchemaName, string TableName,
    bool IsAutoIncrement, bool IsSigned, bool IsCurrency, bool IsCaseSensitive, int Nullable, int Precision, int Scale, int ArrayBaseColumnType);

/// <summary>
/// A statement's outcome: its records already in the Data API's wire form (Field unions, or the JSON text of formattedRecords),
/// since the 1 MiB response limit is counted on that form while the rows are read.
/// </summary>
public sealed record StatementResult(IReadOnlyList<DataApiColumn>? Columns, JsonArray? Records, string? FormattedRecords, long RecordsUpdated, JsonArray GeneratedFields);
