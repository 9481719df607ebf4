using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Snapshot exports to S3: a real MariaDB instance with two tables of several column types and a PostgreSQL one are snapshotted
/// and exported; the Parquet files are read back from Stratus's S3 with Parquet.Net and their types and rows compared. Also the
/// ExportOnly filter, a cancel, the summary files and the refusals of bad sources, buckets, roles and keys.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsExportTaskTests
{
    private const string Bucket = "rds-exports";

    /// <summary>A python prelude: the role, key and bucket an export needs, and wait_export (polls until the task leaves STARTING and IN_PROGRESS).</summary>
    private const string Prelude = """
        rds = client("rds")
        def wait_export(name):
            for _ in range(600):
                t = rds.describe_export_tasks(ExportTaskIdentifier=name)["ExportTasks"][0]
                if t["Status"] not in ("STARTING", "IN_PROGRESS", "CANCELING"):
                    return t
                time.sleep(0.5)
            raise Exception(f"{name} never finished: {t}")
        def parquet_files(prefix):
            s3 = client("s3")
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="rds-exports", Prefix=prefix).get("Contents", [])]
            return {k: base64.b64encode(s3.get_object(Bucket="rds-exports", Key=k)["Body"].read()).decode() for k in keys}

        """;

    private const string Setup = """
        iam = client("iam")
        role = iam.create_role(RoleName="rds-s3-export", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "export.rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        key = client("kms").create_key()["KeyMetadata"]["Arn"]
        client("s3").create_bucket(Bucket="rds-exports")
        out["role"] = role
        out["key"] = key

        """;

    [Fact]
    public async Task A_mariadb_snapshot_exports_its_tables_as_parquet_with_AWS_types_filters_and_cancels()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var setup = await Clients.Boto3Async(stratus.Url, Prelude + Setup + $$"""
            rds.create_db_instance(DBInstanceIdentifier="shop", DBInstanceClass="db.t3.micro", Engine="mariadb",
                MasterUsername="{{SeedUser}}", MasterUserPassword="{{SeedPassword}}", DBName="{{SeedDatabase}}", AllocatedStorage=20)
            """);
        var (role, key) = (setup["role"]!.GetValue<string>(), setup["key"]!.GetValue<string>());
        var endpoint = await WaitAvailableAsync(stratus.Url, "shop");
        await ExecuteAsync(endpoint, """
            CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40), balance DECIMAL(10,2), born DATE, seen DATETIME(6), big BIGINT UNSIGNED,
                score DOUBLE, photo BLOB, mood ENUM('calm','busy'), small TINYINT, missing INT NULL);
            INSERT INTO people VALUES (1, 'Ada', 12.50, '1815-12-10', '2024-01-02 03:04:05.123456', 18446744073709551615, 0.25, X'00FF10', 'calm', -3, NULL),
                (2, 'Grace', -7.05, '1906-12-09', '2024-06-30 23:59:59', 0, 1e10, NULL, 'busy', 127, 9);
            CREATE TABLE orders (id BIGINT PRIMARY KEY, item TEXT, at TIME);
            INSERT INTO orders VALUES (10, 'tea', '12:30:00'), (11, 'cake', '00:00:01'), (12, NULL, NULL);
            """);
        await Clients.Boto3Async(stratus.Url, """client("rds").create_db_snapshot(DBInstanceIdentifier="shop", DBSnapshotIdentifier="shop-snap")""");
        await WaitSnapshotAvailableAsync(stratus.Url, "shop-snap");

        var result = await Clients.Boto3Async(stratus.Url, Prelude + $$"""
            snap = rds.describe_db_snapshots(DBSnapshotIdentifier="shop-snap")["DBSnapshots"][0]["DBSnapshotArn"]
            args = dict(SourceArn=snap, S3BucketName="{{Bucket}}", IamRoleArn="{{role}}", KmsKeyId="{{key}}")
            out["noBucket"] = error(rds.start_export_task, ExportTaskIdentifier="e-bad", **{**args, "S3BucketName": "no-such-bucket"})
            out["noRole"] = error(rds.start_export_task, ExportTaskIdentifier="e-bad", **{**args, "IamRoleArn": "arn:aws:iam::000000000000:role/nobody"})
            out["noKey"] = error(rds.start_export_task, ExportTaskIdentifier="e-bad", **{**args, "KmsKeyId": "arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000"})
            out["noSnapshot"] = error(rds.start_export_task, ExportTaskIdentifier="e-bad", **{**args, "SourceArn": snap + "-gone"})
            out["badOnly"] = error(rds.start_export_task, ExportTaskIdentifier="e-bad", ExportOnly=["{{SeedDatabase}}.public.people"], **args)
            out["notFound"] = error(rds.describe_export_tasks, ExportTaskIdentifier="e-bad")

            started = rds.start_export_task(ExportTaskIdentifier="full", S3Prefix="exports", **args)
            out["started"] = started["Status"]
            out["again"] = error(rds.start_export_task, ExportTaskIdentifier="full", **args)
            out["full"] = wait_export("full")
            out["files"] = parquet_files("exports/full/")
            out["recancel"] = error(rds.cancel_export_task, ExportTaskIdentifier="full")

            rds.start_export_task(ExportTaskIdentifier="only-orders", ExportOnly=["{{SeedDatabase}}.orders"], **args)
            out["only"] = wait_export("only-orders")
            out["onlyKeys"] = sorted(parquet_files("only-orders/").keys())

            rds.start_export_task(ExportTaskIdentifier="canceled", **args)
            out["canceling"] = rds.cancel_export_task(ExportTaskIdentifier="canceled")["Status"]
            out["canceled"] = wait_export("canceled")["Status"]
            out["completeOnes"] = sorted(t["ExportTaskIdentifier"] for t in rds.describe_export_tasks(Filters=[{"Name": "status", "Values": ["complete"]}])["ExportTasks"])
            out["bySource"] = len(rds.describe_export_tasks(SourceArn=snap, SourceType="SNAPSHOT")["ExportTasks"])
            out["cancelMissing"] = error(rds.cancel_export_task, ExportTaskIdentifier="nothing-here")
            """, TimeSpan.FromMinutes(8));

        Assert.Equal("InvalidS3BucketFault", result["noBucket"]!["code"]!.GetValue<string>());
        Assert.Equal("IamRoleNotFound", result["noRole"]!["code"]!.GetValue<string>());
        Assert.Equal("KMSKeyNotAccessibleFault", result["noKey"]!["code"]!.GetValue<string>());
        Assert.Equal("DBSnapshotNotFound", result["noSnapshot"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidExportOnly", result["badOnly"]!["code"]!.GetValue<string>());
        Assert.Equal("ExportTaskNotFound", result["notFound"]!["code"]!.GetValue<string>());
        Assert.Equal("STARTING", result["started"]!.GetValue<string>());
        Assert.Equal("ExportTaskAlreadyExists", result["again"]!["code"]!.GetValue<string>());
        var full = result["full"]!.AsObject();
        Assert.True(full["Status"]!.GetValue<string>() == "COMPLETE", full.ToJsonString());
        Assert.Equal(100, full["PercentProgress"]!.GetValue<int>());
        Assert.Equal("SNAPSHOT", full["SourceType"]!.GetValue<string>());
        Assert.NotNull(full["SnapshotTime"]);
        Assert.NotNull(full["TaskEndTime"]);
        Assert.Equal("InvalidExportTaskStateFault", result["recancel"]!["code"]!.GetValue<string>());

        var files = result["files"]!.AsObject();
        Assert.Contains("exports/full/export_info_full.json", files.Select(f => f.Key));
        var tablesInfo = JsonNode.Parse(Convert.FromBase64String(files["exports/full/export_tables_info_full_from_1_to_2.json"]!.GetValue<string>()))!;
        Assert.Equal(new[] { "accounts.orders", "accounts.people" }, tablesInfo["perTableStatus"]!.AsArray().Select(t => t!["target"]!.GetValue<string>()).Order());

        var people = await ReadParquetAsync(files, "exports/full/accounts/accounts.people/1/part-00000-");
        Assert.Equal(typeof(int), people.Field("id").ClrType);
        Assert.Equal(new object?[] { 12.50m, -7.05m }, people.Column("balance"));
        var balance = Assert.IsType<DecimalDataField>(people.Field("balance"));
        Assert.Equal((10, 2), (balance.Precision, balance.Scale));
        Assert.Equal(new object?[] { new DateTime(1815, 12, 10), new DateTime(1906, 12, 9) }, people.Column("born"));
        Assert.Equal(new object?[] { new DateTime(2024, 1, 2, 3, 4, 5).AddTicks(1234560), new DateTime(2024, 6, 30, 23, 59, 59) }, people.Column("seen"));
        Assert.Equal(new object?[] { 18446744073709551615m, 0m }, people.Column("big"));
        Assert.Equal(new object?[] { 0.25, 1e10 }, people.Column("score"));
        Assert.Equal(new byte[] { 0x00, 0xFF, 0x10 }, (byte[])people.Column("photo")[0]!);
        Assert.Null(people.Column("photo")[1]);
        Assert.Equal(new object?[] { "calm", "busy" }, people.Column("mood"));
        Assert.Equal(new object?[] { -3, 127 }, people.Column("small"));
        Assert.Equal(new object?[] { null, 9 }, people.Column("missing"));
        Assert.Equal(new object?[] { "Ada", "Grace" }, people.Column("name"));

        var orders = await ReadParquetAsync(files, "exports/full/accounts/accounts.orders/1/part-00000-");
        Assert.Equal(typeof(long), orders.Field("id").ClrType);
        Assert.Equal(new object?[] { 10L, 11L, 12L }, orders.Column("id"));
        Assert.Equal(new object?[] { "tea", "cake", null }, orders.Column("item"));
        Assert.IsType<TimeDataField>(orders.Field("at"));
        Assert.Equal(new object?[] { 45_000_000_000L, 1_000_000L, null }, orders.Column("at")); // TIME(MICROS): microseconds since midnight

        Assert.Equal("COMPLETE", result["only"]!["Status"]!.GetValue<string>());
        var onlyKeys = result["onlyKeys"]!.AsArray().Select(k => k!.GetValue<string>()).ToList();
        Assert.Contains(onlyKeys, k => k.StartsWith("only-orders/accounts/accounts.orders/1/part-00000-", StringComparison.Ordinal));
        Assert.DoesNotContain(onlyKeys, k => k.Contains("accounts.people", StringComparison.Ordinal));

        Assert.Equal("CANCELING", result["canceling"]!.GetValue<string>());
        Assert.Equal("CANCELED", result["canceled"]!.GetValue<string>());
        Assert.Equal(new[] { "full", "only-orders" }, result["completeOnes"]!.AsArray().Select(k => k!.GetValue<string>()));
        Assert.Equal(3, result["bySource"]!.GetValue<int>());
        Assert.Equal("ExportTaskNotFound", result["cancelMissing"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_postgres_snapshot_exports_each_schema_table_with_AWS_types()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var setup = await Clients.Boto3Async(stratus.Url, Prelude + Setup + """
            rds.create_db_instance(DBInstanceIdentifier="pgx", DBInstanceClass="db.t3.micro", Engine="postgres",
                MasterUsername="postgres", MasterUserPassword="pg-master-pass", DBName="app", AllocatedStorage=20)
            """);
        var (role, key) = (setup["role"]!.GetValue<string>(), setup["key"]!.GetValue<string>());
        var endpoint = await WaitAvailableAsync(stratus.Url, "pgx");
        var pg = new PostgresLogin("postgres", "pg-master-pass", "app");
        await pg.ExecuteAsync(endpoint, """
            CREATE SCHEMA sales;
            CREATE TABLE sales.items (id BIGINT PRIMARY KEY, qty SMALLINT, n INTEGER, price NUMERIC(8,2), sold TIMESTAMP, ok BOOLEAN, raw BYTEA, ratio REAL, tags TEXT[]);
            INSERT INTO sales.items VALUES (1, 3, 42, 12.50, '2024-01-02 03:04:05', true, '\x01ff', 0.5, '{a,b}'), (2, NULL, -1, NULL, NULL, false, NULL, NULL, NULL);
            CREATE TABLE notes (body TEXT);
            INSERT INTO notes VALUES ('hello');
            """);
        await Clients.Boto3Async(stratus.Url, """client("rds").create_db_snapshot(DBInstanceIdentifier="pgx", DBSnapshotIdentifier="pgx-snap")""");
        await WaitSnapshotAvailableAsync(stratus.Url, "pgx-snap");

        var result = await Clients.Boto3Async(stratus.Url, Prelude + $$"""
            snap = rds.describe_db_snapshots(DBSnapshotIdentifier="pgx-snap")["DBSnapshots"][0]["DBSnapshotArn"]
            rds.start_export_task(ExportTaskIdentifier="pg-sales", SourceArn=snap, S3BucketName="{{Bucket}}", IamRoleArn="{{role}}", KmsKeyId="{{key}}",
                ExportOnly=["app.sales"])
            out["task"] = wait_export("pg-sales")
            out["files"] = parquet_files("pg-sales/")
            """, TimeSpan.FromMinutes(6));

        Assert.True(result["task"]!["Status"]!.GetValue<string>() == "COMPLETE", result["task"]!.ToJsonString());
        var files = result["files"]!.AsObject();
        Assert.DoesNotContain(files, f => f.Key.Contains("notes", StringComparison.Ordinal));
        var items = await ReadParquetAsync(files, "pg-sales/app/sales.items/1/part-00000-");
        Assert.Equal(new object?[] { 1L, 2L }, items.Column("id"));
        Assert.Equal(new object?[] { (short)3, null }, items.Column("qty"));
        Assert.Equal(new object?[] { 42, -1 }, items.Column("n"));
        // NUMERIC, timestamps and arrays go as their text, as AWS maps PostgreSQL's types.
        Assert.Equal(new object?[] { "12.50", null }, items.Column("price"));
        Assert.Equal(new object?[] { "2024-01-02 03:04:05", null }, items.Column("sold"));
        Assert.Equal(new object?[] { true, false }, items.Column("ok"));
        Assert.Equal(new byte[] { 0x01, 0xFF }, (byte[])items.Column("raw")[0]!);
        Assert.Equal(new object?[] { 0.5f, null }, items.Column("ratio"));
        Assert.Equal(new object?[] { "{a,b}", null }, items.Column("tags"));
    }

    [Fact]
    public async Task An_aurora_mysql_cluster_exports_from_an_online_copy_of_its_writer()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var setup = await Clients.Boto3Async(stratus.Url, Prelude + Setup + """
            rds.create_db_cluster(DBClusterIdentifier="ledger", Engine="aurora-mysql", MasterUsername="aurora_admin", MasterUserPassword="aurora-master-pass", DatabaseName="app")
            rds.create_db_instance(DBInstanceIdentifier="ledger-writer", DBClusterIdentifier="ledger", Engine="aurora-mysql", DBInstanceClass="db.r6g.large")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="ledger-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]
            out["endpoint"] = c["Endpoint"]
            out["port"] = c["Port"]
            out["arn"] = c["DBClusterArn"]
            """, TimeSpan.FromMinutes(5));
        var db = new RdsAuroraTests.AuroraDatabase("aurora-mysql", (int)setup["port"]!);
        await db.ExecuteAsync((string)setup["endpoint"]!, "CREATE TABLE entries (id INT PRIMARY KEY, amount DECIMAL(6,2)); INSERT INTO entries VALUES (1, 1.25), (2, -3.50)");

        var result = await Clients.Boto3Async(stratus.Url, Prelude + $$"""
            task = rds.start_export_task(ExportTaskIdentifier="ledger-now", SourceArn="{{setup["arn"]}}", S3BucketName="{{Bucket}}",
                IamRoleArn="{{setup["role"]}}", KmsKeyId="{{setup["key"]}}")
            out["sourceType"] = task["SourceType"]
            out["task"] = wait_export("ledger-now")
            out["files"] = parquet_files("ledger-now/")
            out["instances"] = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
            """, TimeSpan.FromMinutes(6));

        Assert.Equal("CLUSTER", result["sourceType"]!.GetValue<string>());
        Assert.True(result["task"]!["Status"]!.GetValue<string>() == "COMPLETE", result["task"]!.ToJsonString());
        Assert.NotNull(result["task"]!["SnapshotTime"]);
        var entries = await ReadParquetAsync(result["files"]!.AsObject(), "ledger-now/app/app.entries/1/part-00000-");
        Assert.Equal(new object?[] { 1, 2 }, entries.Column("id"));
        Assert.Equal(new object?[] { 1.25m, -3.50m }, entries.Column("amount"));
        // The export's own server is never an RDS instance.
        Assert.Equal(new[] { "ledger-writer" }, result["instances"]!.AsArray().Select(i => i!.GetValue<string>()));
    }

    /// <summary>The one Parquet file whose key starts with <paramref name="keyPrefix"/>, read whole (the tests' tables are small).</summary>
    private static async Task<ParquetTable> ReadParquetAsync(JsonObject files, string keyPrefix)
    {
        var (name, content) = Assert.Single(files, f => f.Key.StartsWith(keyPrefix, StringComparison.Ordinal));
        Assert.EndsWith("-c000.gz.parquet", name);
        using var stream = new MemoryStream(Convert.FromBase64String(content!.GetValue<string>()));
        await using var reader = await ParquetReader.CreateAsync(stream);
        var columns = new Dictionary<string, List<object?>>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            foreach (var field in reader.Schema.DataFields)
            {
                var list = columns.TryGetValue(field.Name, out var known) ? known : columns[field.Name] = [];
                list.AddRange(await ReadValuesAsync(group, field));
            }
        }
        return new ParquetTable(reader.Schema, columns);
    }

    private static async Task<object?[]> ReadValuesAsync(ParquetRowGroupReader group, DataField field)
    {
        var count = checked((int)group.RowCount);
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var strings = new string?[count];
            await group.ReadAsync(field, strings.AsMemory(), null, CancellationToken.None);
            return [.. strings];
        }
        if (type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>))
        {
            var bytes = new byte[]?[count];
            await group.ReadAsync(field, bytes.AsMemory(), null, CancellationToken.None);
            return [.. bytes];
        }
        return type switch
        {
            _ when type == typeof(int) => await StructsAsync<int>(group, field, count),
            _ when type == typeof(short) => await StructsAsync<short>(group, field, count),
            _ when type == typeof(long) => await StructsAsync<long>(group, field, count),
            _ when type == typeof(float) => await StructsAsync<float>(group, field, count),
            _ when type == typeof(double) => await StructsAsync<double>(group, field, count),
            _ when type == typeof(bool) => await StructsAsync<bool>(group, field, count),
            _ when type == typeof(decimal) => await StructsAsync<decimal>(group, field, count),
            _ when type == typeof(DateTime) => await StructsAsync<DateTime>(group, field, count),
            _ => throw new InvalidOperationException($"The test does not read {type} columns ({field.Name})."),
        };
    }

    private static async Task<object?[]> StructsAsync<T>(ParquetRowGroupReader group, DataField field, int count) where T : struct
    {
        var values = new T?[count];
        await group.ReadAsync<T>(field, values.AsMemory(), null, CancellationToken.None);
        return values.Select(v => (object?)v).ToArray();
    }

    private sealed record ParquetTable(ParquetSchema Schema, Dictionary<string, List<object?>> Columns)
    {
        public DataField Field(string name) => Schema.DataFields.Single(f => f.Name == name);

        public object?[] Column(string name) => [.. Columns[name]];
    }
}
