using System.Data.Common;
using System.Globalization;
using Parquet;
using Parquet.Schema;

namespace Stratus.Services.Rds.Engine.Export;

/// <summary>
/// Streams a table's rows from a reader into one GZIP-compressed Parquet file (AWS's .gz.parquet), a row group at a time:
/// at most <see cref="RowGroupRows"/> rows or about <see cref="RowGroupBytes"/> of values are held, never the table.
/// </summary>
public static class ParquetTableWriter
{
    public const int RowGroupRows = 50_000;
    public const long RowGroupBytes = 32L * 1024 * 1024;

    /// <summary>Writes every row the reader yields (its columns in <paramref name="table"/>'s order); returns the number of rows.</summary>
    public static async Task<long> WriteAsync(ExportTable table, DbDataReader reader, Stream output, CancellationToken cancellation)
    {
        var columns = table.Columns.Select(ColumnBuffer.For).ToList();
        var schema = new ParquetSchema(columns.Select(c => (Field)c.Field));
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Gzip };
        await using var writer = await ParquetWriter.CreateAsync(schema, output, options, append: false, cancellation);
        long rows = 0, buffered = 0, bufferedBytes = 0;
        while (await reader.ReadAsync(cancellation))
        {
            for (var i = 0; i < columns.Count; i++)
                bufferedBytes += columns[i].Add(reader.IsDBNull(i) ? null : reader.GetValue(i));
            rows++;
            if (++buffered < RowGroupRows && bufferedBytes < RowGroupBytes) continue;
            await FlushAsync(writer, columns, cancellation);
            buffered = bufferedBytes = 0;
        }
        // A table without rows still gets a file with its schema, so readers see its columns.
        if (buffered > 0 || rows == 0) await FlushAsync(writer, columns, cancellation);
        return rows;
    }

    private static async Task FlushAsync(ParquetWriter writer, IReadOnlyList<ColumnBuffer> columns, CancellationToken cancellation)
    {
        using var group = writer.CreateRowGroup();
        foreach (var column in columns) await column.WriteAsync(group, cancellation);
    }

    /// <summary>One column's values of the row group being gathered, converted from what the driver read.</summary>
    private abstract class ColumnBuffer
    {
        public abstract DataField Field { get; }

        /// <summary>Takes a value (null for SQL NULL); returns about how many bytes it holds.</summary>
        public abstract long Add(object? value);

        /// <summary>Writes the gathered values into the row group and forgets them.</summary>
        public abstract Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellation);

        public static ColumnBuffer For(ExportColumn column) => column.Type switch
        {
            ParquetColumnType.Int32 => new Values<int>(new DataField<int?>(column.Name), v => Convert.ToInt32(v, CultureInfo.InvariantCulture)),
            ParquetColumnType.Int16 => new Values<short>(new DataField<short?>(column.Name), v => Convert.ToInt16(v, CultureInfo.InvariantCulture)),
            ParquetColumnType.Int64 => new Values<long>(new DataField<long?>(column.Name), v => Convert.ToInt64(v, CultureInfo.InvariantCulture)),
            ParquetColumnType.Float => new Values<float>(new DataField<float?>(column.Name), v => Convert.ToSingle(v, CultureInfo.InvariantCulture)),
            ParquetColumnType.Double => new Values<double>(new DataField<double?>(column.Name), v => Convert.ToDouble(v, CultureInfo.InvariantCulture)),
            ParquetColumnType.Boolean => new Values<bool>(new DataField<bool?>(column.Name), v => Convert.ToBoolean(v, CultureInfo.InvariantCulture)),
            ParquetColumnType.Decimal => new Values<decimal>(new DecimalDataField(column.Name, column.Precision, column.Scale, isNullable: true),
                v => Convert.ToDecimal(v, CultureInfo.InvariantCulture)),
            ParquetColumnType.Date => new Values<DateTime>(new DateTimeDataField(column.Name, DateTimeFormat.Date, isAdjustedToUTC: false, isNullable: true),
                v => ((DateTime)v).Date),
            ParquetColumnType.Timestamp => new Values<DateTime>(new DateTimeDataField(column.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: false,
                unit: DateTimeTimeUnit.Micros, isNullable: true), v => (DateTime)v),
            // TIME(MICROS) is microseconds since midnight; MySQL's TIME can run past a day (up to 838:59:59), which is kept.
            ParquetColumnType.Time => new Values<long>(new TimeDataField(column.Name, TimeUnitPrecision.Micros, isNullable: true), v => ((TimeSpan)v).Ticks / 10),
            ParquetColumnType.Binary => new Bytes(new DataField<byte[]>(column.Name, nullable: true)),
            _ => new Strings(new DataField<string>(column.Name, nullable: true)),
        };
    }

    private sealed class Values<T>(DataField dataField, Func<object, T> convert) : ColumnBuffer where T : struct
    {
        private readonly List<T?> _values = [];

        public override DataField Field => dataField;

        public override long Add(object? value)
        {
            _values.Add(value is null ? null : convert(value));
            return 8;
        }

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellation)
        {
            await group.WriteAsync<T>(dataField, _values.ToArray(), null, null, cancellation);
            _values.Clear();
        }
    }

    private sealed class Strings(DataField dataField) : ColumnBuffer
    {
        private readonly List<string> _values = [];

        public override DataField Field => dataField;

        public override long Add(object? value)
        {
            var text = value switch
            {
                null => null,
                byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
            _values.Add(text!);
            return 16 + (text?.Length ?? 0) * 2;
        }

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellation)
        {
            await group.WriteAsync(dataField, _values, null);
            _values.Clear();
        }
    }

    private sealed class Bytes(DataField dataField) : ColumnBuffer
    {
        private readonly List<byte[]> _values = [];

        public override DataField Field => dataField;

        public override long Add(object? value)
        {
            var bytes = value switch
            {
                null => null,
                byte[] b => b,
                _ => System.Text.Encoding.UTF8.GetBytes(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
            };
            _values.Add(bytes!);
            return 16 + (bytes?.Length ?? 0);
        }

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellation)
        {
            await group.WriteAsync(dataField, _values, null);
            _values.Clear();
        }
    }
}
