using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.RdsData;

/// <summary>
/// The RDS Data API driven by boto3's rds-data client against a real Aurora cluster of each engine: the HTTP endpoint switched on and
/// off, a table made and filled with typed parameters, rows read back as Fields with their metadata and as JSON, a transaction
/// committed and one rolled back, and the refusals (a SQL error, a wrong secret, an unknown database, the endpoint disabled).
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsDataApiTests
{
    private const string User = "data_admin";
    private const string Password = "data-api-pass-1";

    [Theory]
    [InlineData("aurora-mysql", "id INT AUTO_INCREMENT PRIMARY KEY", "DOUBLE", "BLOB")]
    [InlineData("aurora-postgresql", "id SERIAL PRIMARY KEY", "DOUBLE PRECISION", "BYTEA")]
    public async Task SQL_runs_on_the_clusters_writer_through_the_Data_API(string engine, string key, string doubleType, string blobType)
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(stratus.Url, $$$"""
            import base64
            rds = client("rds")
            sm = client("secretsmanager")
            data = client("rds-data")
            arn = rds.create_db_cluster(DBClusterIdentifier="shop", Engine="{{{engine}}}", MasterUsername="{{{User}}}", MasterUserPassword="{{{Password}}}",
                DatabaseName="app")["DBCluster"]["DBClusterArn"]
            rds.create_db_instance(DBInstanceIdentifier="shop-writer", DBClusterIdentifier="shop", Engine="{{{engine}}}", DBInstanceClass="db.r6g.large")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="shop-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="shop", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            secret = sm.create_secret(Name="shop-login", SecretString=json.dumps({"username": "{{{User}}}", "password": "{{{Password}}}"}))["ARN"]
            wrong = sm.create_secret(Name="wrong-login", SecretString=json.dumps({"username": "{{{User}}}", "password": "not-the-password"}))["ARN"]
            target = {"resourceArn": arn, "secretArn": secret, "database": "app"}
            out["enabledAtFirst"] = rds.describe_db_clusters(DBClusterIdentifier="shop")["DBClusters"][0]["HttpEndpointEnabled"]
            out["beforeEnabling"] = error(data.execute_statement, sql="SELECT 1", **target)
            out["enable"] = rds.enable_http_endpoint(ResourceArn=arn)
            out["enabled"] = rds.describe_db_clusters(DBClusterIdentifier="shop")["DBClusters"][0]["HttpEndpointEnabled"]

            data.execute_statement(sql="CREATE TABLE items ({{{key}}}, name VARCHAR(60) NOT NULL, price DECIMAL(10,2), weight {{{doubleType}}}, made DATE, photo {{{blobType}}}, note TEXT)", **target)
            insert = data.execute_statement(sql="INSERT INTO items (name, price, weight, made, photo, note) VALUES (:name, :price, :weight, :made, :photo, :note)",
                parameters=[{"name": "name", "value": {"stringValue": "lamp"}}, {"name": "price", "value": {"stringValue": "12.50"}, "typeHint": "DECIMAL"},
                    {"name": "weight", "value": {"doubleValue": 1.5}}, {"name": "made", "value": {"stringValue": "2024-03-01"}, "typeHint": "DATE"},
                    {"name": "photo", "value": {"blobValue": b"\x00\x01\xff"}}, {"name": "note", "value": {"isNull": True}}], **target)
            out["inserted"] = {"updated": insert["numberOfRecordsUpdated"], "generated": insert["generatedFields"]}
            rows = data.execute_statement(sql="SELECT id, name, price, weight, made, photo, note FROM items WHERE name = :name",
                parameters=[{"name": "name", "value": {"stringValue": "lamp"}}], includeResultMetadata=True, **target)
            record = rows["records"][0]
            record[5] = {"blobValue": base64.b64encode(record[5]["blobValue"]).decode()}
            out["record"] = record
            out["columns"] = [{"name": c["name"], "type": c["type"], "nullable": c["nullable"], "tableName": c["tableName"]} for c in rows["columnMetadata"]]
            out["json"] = json.loads(data.execute_statement(sql="SELECT id, name, price FROM items", formatRecordsAs="JSON", **target)["formattedRecords"])
            batch = data.batch_execute_statement(sql="INSERT INTO items (name) VALUES (:name)",
                parameterSets=[[{"name": "name", "value": {"stringValue": "chair"}}], [{"name": "name", "value": {"stringValue": "desk"}}]], **target)
            out["batch"] = len(batch["updateResults"])

            committed = data.begin_transaction(**target)["transactionId"]
            data.execute_statement(sql="INSERT INTO items (name) VALUES ('committed')", transactionId=committed, **target)
            out["commit"] = data.commit_transaction(resourceArn=arn, secretArn=secret, transactionId=committed)["transactionStatus"]
            out["commitAgain"] = error(data.commit_transaction, resourceArn=arn, secretArn=secret, transactionId=committed)
            rolled = data.begin_transaction(**target)["transactionId"]
            data.execute_statement(sql="INSERT INTO items (name) VALUES ('rolled-back')", transactionId=rolled, **target)
            out["rollback"] = data.rollback_transaction(resourceArn=arn, secretArn=secret, transactionId=rolled)["transactionStatus"]
            names = data.execute_statement(sql="SELECT name FROM items ORDER BY id", **target)["records"]
            out["names"] = [r[0]["stringValue"] for r in names]

            out["sqlError"] = error(data.execute_statement, sql="SELEC 1", **target)
            out["rowUnderLimit"] = len(data.execute_statement(sql="SELECT REPEAT('x', 60000)", **target)["records"][0][0]["stringValue"])
            out["rowOverLimit"] = error(data.execute_statement, sql="SELECT REPEAT('x', 70000)", **target)
            out["responseOverLimit"] = error(data.execute_statement,
                sql="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) SELECT REPEAT('x', 60000) FROM n", **target)
            out["wrongSecret"] = error(data.execute_statement, sql="SELECT 1", resourceArn=arn, secretArn=wrong)
            out["noSecret"] = error(data.execute_statement, sql="SELECT 1", resourceArn=arn, secretArn=secret + "-gone")
            out["noDatabase"] = error(data.execute_statement, sql="SELECT 1", resourceArn=arn, secretArn=secret, database="nowhere")
            out["executeSql"] = error(data.execute_sql, dbClusterOrInstanceArn=arn, awsSecretStoreArn=secret, sqlStatements="SELECT 1")
            rds.disable_http_endpoint(ResourceArn=arn)
            out["disabled"] = error(data.execute_statement, sql="SELECT 1", **target)
            """, TimeSpan.FromMinutes(6));

        Assert.False(result["enabledAtFirst"]!.GetValue<bool>());
        Assert.Equal("HttpEndpointNotEnabledException", result["beforeEnabling"]!["code"]!.GetValue<string>());
        Assert.True(result["enable"]!["HttpEndpointEnabled"]!.GetValue<bool>());
        Assert.True(result["enabled"]!.GetValue<bool>());

        Assert.Equal(1, result["inserted"]!["updated"]!.GetValue<long>());
        // MySQL reports the AUTO_INCREMENT key it made; PostgreSQL reports none (RETURNING gives it as a record).
        Assert.Equal(engine == "aurora-mysql" ? """[{"longValue":1}]""" : "[]", result["inserted"]!["generated"]!.ToJsonString());
        Assert.Equal("""[{"longValue":1},{"stringValue":"lamp"},{"stringValue":"12.50"},{"doubleValue":1.5},{"stringValue":"2024-03-01"},{"blobValue":"AAH/"},{"isNull":true}]""",
            result["record"]!.ToJsonString());
        var columns = result["columns"]!.AsArray();
        Assert.Equal(["id", "name", "price", "weight", "made", "photo", "note"], columns.Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal(4, columns[0]!["type"]!.GetValue<int>());
        Assert.Equal(0, columns[1]!["nullable"]!.GetValue<int>());
        Assert.Equal(1, columns[6]!["nullable"]!.GetValue<int>());
        Assert.Equal("items", columns[1]!["tableName"]!.GetValue<string>());
        Assert.Equal("""[{"id":1,"name":"lamp","price":"12.50"}]""", result["json"]!.ToJsonString());
        Assert.Equal(2, result["batch"]!.GetValue<int>());

        Assert.Equal("Transaction Committed", result["commit"]!.GetValue<string>());
        Assert.Equal("TransactionNotFoundException", result["commitAgain"]!["code"]!.GetValue<string>());
        Assert.Equal("Rollback Complete", result["rollback"]!.GetValue<string>());
        Assert.Equal(["lamp", "chair", "desk", "committed"], result["names"]!.AsArray().Select(n => n!.GetValue<string>()));

        Assert.Equal("BadRequestException", result["sqlError"]!["code"]!.GetValue<string>());
        Assert.Contains("syntax", result["sqlError"]!["message"]!.GetValue<string>());
        Assert.Equal(60000, result["rowUnderLimit"]!.GetValue<int>());
        Assert.Equal("BadRequestException", result["rowOverLimit"]!["code"]!.GetValue<string>());
        Assert.StartsWith("Packet for query is too large", result["rowOverLimit"]!["message"]!.GetValue<string>());
        Assert.Equal("BadRequestException", result["responseOverLimit"]!["code"]!.GetValue<string>());
        Assert.Equal("Database returned more than the allowed response size limit", result["responseOverLimit"]!["message"]!.GetValue<string>());
        Assert.Equal("BadRequestException", result["wrongSecret"]!["code"]!.GetValue<string>());
        Assert.Contains(User, result["wrongSecret"]!["message"]!.GetValue<string>());
        Assert.Equal("SecretsErrorException", result["noSecret"]!["code"]!.GetValue<string>());
        Assert.Equal("DatabaseNotFoundException", result["noDatabase"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", result["executeSql"]!["code"]!.GetValue<string>());
        Assert.Contains("ExecuteSql", result["executeSql"]!["message"]!.GetValue<string>());
        Assert.Equal("HttpEndpointNotEnabledException", result["disabled"]!["code"]!.GetValue<string>());
        Assert.Equal("HttpEndpoint is not enabled for cluster shop", result["disabled"]!["message"]!.GetValue<string>());
    }
}
