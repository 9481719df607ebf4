using System.Collections.Concurrent;
using System.Formats.Cbor;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Host;

/// <summary>
/// Every protocol's classic bad inputs thrown at every service of one real Stratus: malformed and
/// hostile bodies, wrong types for each member, numbers and timestamps out of range, deep nesting,
/// broken HTTP framing. Nothing may answer 5xx or hang, and Stratus must be healthy after each batch.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class MalformedInputCorpusTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    /// <summary>Longer than Kestrel's 5-second grace for a body that stops short of its Content-Length.</summary>
    private static readonly TimeSpan PerRequest = TimeSpan.FromSeconds(20);
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private sealed record Probe(string Name, Func<HttpRequestMessage> Build);

    private sealed record Outcome(string Probe, int Status, string Body);

    // ---- the services and an operation or two of each, with plausible members of every kind ----

    private sealed record QueryOperation(string Service, string Version, string Action, Dictionary<string, string> Members);

    private static readonly QueryOperation[] QueryOperations =
    [
        new("iam", "2010-05-08", "CreateRole", new() { ["RoleName"] = "corpus", ["AssumeRolePolicyDocument"] = TrustPolicy, ["MaxSessionDuration"] = "3600", ["Tags.member.1.Key"] = "k", ["Tags.member.1.Value"] = "v", ["Path"] = "/" }),
        new("iam", "2010-05-08", "ListRoles", new() { ["MaxItems"] = "10", ["Marker"] = "m", ["PathPrefix"] = "/" }),
        new("sts", "2011-06-15", "AssumeRole", new() { ["RoleArn"] = "arn:aws:iam::000000000000:role/corpus", ["RoleSessionName"] = "s", ["DurationSeconds"] = "900", ["Policy"] = TrustPolicy }),
        new("rds", "2014-10-31", "DescribeDBInstances", new() { ["DBInstanceIdentifier"] = "corpus", ["MaxRecords"] = "20", ["Filters.Filter.1.Name"] = "engine", ["Filters.Filter.1.Values.Value.1"] = "mariadb" }),
        new("rds", "2014-10-31", "CreateDBInstance", new() { ["DBInstanceIdentifier"] = "corpus", ["Engine"] = "not-an-engine", ["AllocatedStorage"] = "20", ["DBInstanceClass"] = "db.t3.micro", ["MasterUsername"] = "admin", ["MasterUserPassword"] = "password1", ["Port"] = "3306" }),
        new("cloudformation", "2010-05-15", "ValidateTemplate", new() { ["TemplateBody"] = "Resources:\n  T:\n    Type: AWS::Logs::LogGroup\n" }),
        new("cloudformation", "2010-05-15", "DescribeStacks", new() { ["StackName"] = "corpus", ["NextToken"] = "t" }),
        new("cloudformation", "2010-05-15", "CreateStack", new() { ["StackName"] = "corpus", ["TemplateBody"] = "Resources: [", ["TimeoutInMinutes"] = "5", ["Parameters.member.1.ParameterKey"] = "P", ["Capabilities.member.1"] = "CAPABILITY_IAM" }),
        new("monitoring", "2010-08-01", "PutMetricData", new() { ["Namespace"] = "Corpus", ["MetricData.member.1.MetricName"] = "m", ["MetricData.member.1.Value"] = "1", ["MetricData.member.1.Timestamp"] = "2025-01-01T00:00:00Z", ["MetricData.member.1.Dimensions.member.1.Name"] = "d", ["MetricData.member.1.Dimensions.member.1.Value"] = "v", ["MetricData.member.1.StorageResolution"] = "60" }),
        new("monitoring", "2010-08-01", "GetMetricData", new() { ["MetricDataQueries.member.1.Id"] = "e1", ["MetricDataQueries.member.1.Expression"] = "1+1", ["StartTime"] = "2025-01-01T00:00:00Z", ["EndTime"] = "2025-01-01T01:00:00Z", ["MaxDatapoints"] = "100" }),
        new("monitoring", "2010-08-01", "GetMetricStatistics", new() { ["Namespace"] = "Corpus", ["MetricName"] = "m", ["StartTime"] = "2025-01-01T00:00:00Z", ["EndTime"] = "2025-01-01T01:00:00Z", ["Period"] = "60", ["Statistics.member.1"] = "Sum" }),
        // EC2's dialect of Query: lists without ".member", filters, tag specifications.
        new("ec2", "2016-11-15", "CreateVpc", new() { ["CidrBlock"] = "10.0.0.0/16", ["AmazonProvidedIpv6CidrBlock"] = "false", ["InstanceTenancy"] = "default", ["TagSpecification.1.ResourceType"] = "vpc", ["TagSpecification.1.Tag.1.Key"] = "k", ["TagSpecification.1.Tag.1.Value"] = "v" }),
        new("ec2", "2016-11-15", "DescribeVpcs", new() { ["VpcId.1"] = "vpc-0123456789abcdef0", ["Filter.1.Name"] = "cidr", ["Filter.1.Value.1"] = "10.0.0.0/16", ["MaxResults"] = "5", ["NextToken"] = "t" }),
        new("ec2", "2016-11-15", "CreateSubnet", new() { ["VpcId"] = "vpc-0123456789abcdef0", ["CidrBlock"] = "10.0.1.0/24", ["AvailabilityZone"] = "us-east-1a" }),
    ];

    private const string TrustPolicy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";

    /// <summary>Raw, already form-encoded values: each wrong for some member kind, or for the encoding itself.</summary>
    private static readonly string[] WrongQueryValues =
    [
        "", "abc", "-1", "0", "1.5", "99999999999999999", "123456789012345678901234567890", "1e999", "NaN", "-Infinity", "true",
        "2015-13-45T99%3A99%3A99Z", "%00", "%01x", "%EF%BF%BF", "%ED%A0%80", "%FF%FE", "%ZZ", "%", "%E2%82",
        new string('x', 100_000),
        Uri.EscapeDataString("""{"Statement":[{"Effect":"Allow","Effect":"Deny"}]}"""),
        Uri.EscapeDataString(new string('[', 10_000)),
    ];

    private sealed record JsonOperation(string Service, string Target, string ContentType, JsonObject Members);

    private static readonly JsonOperation[] JsonOperations =
    [
        new("ecr", "AmazonEC2ContainerRegistry_V20150921.CreateRepository", "application/x-amz-json-1.1", new() { ["repositoryName"] = "corpus", ["tags"] = new JsonArray(new JsonObject { ["Key"] = "k", ["Value"] = "v" }), ["imageScanningConfiguration"] = new JsonObject { ["scanOnPush"] = true } }),
        new("ecr", "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories", "application/x-amz-json-1.1", new() { ["repositoryNames"] = new JsonArray("corpus"), ["maxResults"] = 10, ["nextToken"] = "t" }),
        new("ecr", "AmazonEC2ContainerRegistry_V20150921.TagResource", "application/x-amz-json-1.1", new() { ["resourceArn"] = "arn:aws:ecr:us-east-1:000000000000:repository/corpus", ["tags"] = new JsonArray(new JsonObject { ["Key"] = "k", ["Value"] = "v" }) }),
        new("ecr", "AmazonEC2ContainerRegistry_V20150921.ListImages", "application/x-amz-json-1.1", new() { ["repositoryName"] = "corpus", ["maxResults"] = 10, ["filter"] = new JsonObject { ["tagStatus"] = "TAGGED" } }),
        new("logs", "Logs_20140328.CreateLogGroup", "application/x-amz-json-1.1", new() { ["logGroupName"] = "corpus", ["tags"] = new JsonObject { ["k"] = "v" } }),
        new("logs", "Logs_20140328.PutLogEvents", "application/x-amz-json-1.1", new() { ["logGroupName"] = "corpus", ["logStreamName"] = "s", ["logEvents"] = new JsonArray(new JsonObject { ["timestamp"] = 1735689600000, ["message"] = "{\"a\":1}" }) }),
        new("logs", "Logs_20140328.FilterLogEvents", "application/x-amz-json-1.1", new() { ["logGroupName"] = "corpus", ["filterPattern"] = "{ $.a = 1 }", ["startTime"] = 0, ["endTime"] = 1735689600000, ["limit"] = 10 }),
        new("monitoring", "GraniteServiceVersion20100801.PutMetricData", "application/x-amz-json-1.0", new() { ["Namespace"] = "Corpus", ["MetricData"] = new JsonArray(new JsonObject { ["MetricName"] = "m", ["Value"] = 1, ["Timestamp"] = 1735689600, ["Values"] = new JsonArray(1, 2), ["Counts"] = new JsonArray(1, 1) }) }),
        new("monitoring", "GraniteServiceVersion20100801.PutMetricAlarm", "application/x-amz-json-1.0", new() { ["AlarmName"] = "corpus", ["Namespace"] = "Corpus", ["MetricName"] = "m", ["Statistic"] = "Sum", ["Period"] = 60, ["EvaluationPeriods"] = 1, ["Threshold"] = 1.5, ["ComparisonOperator"] = "GreaterThanThreshold" }),
        new("kms", "TrentService.CreateKey", "application/x-amz-json-1.1", new() { ["Description"] = "corpus", ["KeySpec"] = "SYMMETRIC_DEFAULT", ["KeyUsage"] = "ENCRYPT_DECRYPT", ["Policy"] = TrustPolicy, ["Tags"] = new JsonArray(new JsonObject { ["TagKey"] = "k", ["TagValue"] = "v" }) }),
        new("kms", "TrentService.Encrypt", "application/x-amz-json-1.1", new() { ["KeyId"] = "alias/aws/s3", ["Plaintext"] = "aGVsbG8=", ["EncryptionContext"] = new JsonObject { ["k"] = "v" }, ["DryRun"] = false }),
        new("kms", "TrentService.Decrypt", "application/x-amz-json-1.1", new() { ["CiphertextBlob"] = "AWNvcnB1cy1ub3QtYS1ibG9iLWJ1dC1iYXNlNjQtaW5kZWVkLXllcy1zaXI=", ["EncryptionContext"] = new JsonObject { ["k"] = "v" }, ["KeyId"] = "alias/aws/s3" }),
        new("kms", "TrentService.GenerateDataKey", "application/x-amz-json-1.1", new() { ["KeyId"] = "alias/aws/s3", ["NumberOfBytes"] = 32, ["KeySpec"] = "AES_256" }),
        new("kms", "TrentService.ListAliases", "application/x-amz-json-1.1", new() { ["Limit"] = 10, ["Marker"] = "bQ==" }),
        new("ssm", "AmazonSSM.PutParameter", "application/x-amz-json-1.1", new() { ["Name"] = "/corpus/p", ["Value"] = "v", ["Type"] = "String", ["Overwrite"] = true, ["Tier"] = "Standard", ["AllowedPattern"] = "^v$", ["Tags"] = new JsonArray(new JsonObject { ["Key"] = "k", ["Value"] = "v" }) }),
        new("ssm", "AmazonSSM.GetParametersByPath", "application/x-amz-json-1.1", new() { ["Path"] = "/corpus", ["Recursive"] = true, ["WithDecryption"] = true, ["MaxResults"] = 10, ["ParameterFilters"] = new JsonArray(new JsonObject { ["Key"] = "Type", ["Option"] = "Equals", ["Values"] = new JsonArray("String") }), ["NextToken"] = "t" }),
        new("secretsmanager", "secretsmanager.CreateSecret", "application/x-amz-json-1.1", new() { ["Name"] = "corpus", ["SecretString"] = "s", ["Description"] = "d", ["KmsKeyId"] = "alias/aws/secretsmanager", ["Tags"] = new JsonArray(new JsonObject { ["Key"] = "k", ["Value"] = "v" }), ["ForceOverwriteReplicaSecret"] = false }),
        new("secretsmanager", "secretsmanager.GetSecretValue", "application/x-amz-json-1.1", new() { ["SecretId"] = "corpus", ["VersionStage"] = "AWSCURRENT", ["VersionId"] = "00000000-0000-0000-0000-000000000000" }),
        new("events", "AWSEvents.PutRule", "application/x-amz-json-1.1", new() { ["Name"] = "corpus", ["EventPattern"] = "{\"source\":[\"corpus\"]}", ["State"] = "ENABLED", ["ScheduleExpression"] = "rate(5 minutes)", ["Tags"] = new JsonArray(new JsonObject { ["Key"] = "k", ["Value"] = "v" }) }),
        new("events", "AWSEvents.PutEvents", "application/x-amz-json-1.1", new() { ["Entries"] = new JsonArray(new JsonObject { ["Source"] = "corpus", ["DetailType"] = "t", ["Detail"] = "{\"a\":1}", ["Time"] = 1735689600, ["Resources"] = new JsonArray("arn:aws:s3:::b") }) }),
    ];

    private sealed record RestOperation(string Service, string Method, string Path, JsonObject Members);

    private static readonly RestOperation[] RestOperations =
    [
        new("lambda", "POST", "/2015-03-31/functions", new() { ["FunctionName"] = "corpus", ["Runtime"] = "python3.12", ["Role"] = "arn:aws:iam::000000000000:role/corpus", ["Handler"] = "h.h", ["Code"] = new JsonObject { ["ZipFile"] = "!!!not base64" }, ["Timeout"] = 3, ["MemorySize"] = 128, ["Environment"] = new JsonObject { ["Variables"] = new JsonObject { ["K"] = "V" } }, ["Tags"] = new JsonObject { ["k"] = "v" } }),
        new("lambda", "PUT", "/2015-03-31/functions/corpus/configuration", new() { ["Timeout"] = 3, ["MemorySize"] = 128, ["Description"] = "d" }),
        new("apigateway", "POST", "/restapis", new() { ["name"] = "corpus", ["description"] = "d", ["binaryMediaTypes"] = new JsonArray("image/png"), ["minimumCompressionSize"] = 0, ["tags"] = new JsonObject { ["k"] = "v" }, ["endpointConfiguration"] = new JsonObject { ["types"] = new JsonArray("REGIONAL") } }),
        new("apigateway", "POST", "/v2/apis", new() { ["name"] = "corpus", ["protocolType"] = "HTTP", ["routeSelectionExpression"] = "$request.method $request.path", ["corsConfiguration"] = new JsonObject { ["allowOrigins"] = new JsonArray("*"), ["maxAge"] = 60 }, ["tags"] = new JsonObject { ["k"] = "v" } }),
        new("rds-data", "POST", "/Execute", new() { ["resourceArn"] = "arn:aws:rds:us-east-1:000000000000:cluster:corpus", ["secretArn"] = "arn:aws:secretsmanager:us-east-1:000000000000:secret:corpus", ["sql"] = "select 1", ["database"] = "d", ["parameters"] = new JsonArray(new JsonObject { ["name"] = "p", ["value"] = new JsonObject { ["longValue"] = 1 } }), ["includeResultMetadata"] = true }),
    ];

    /// <summary>Raw JSON texts: each the wrong type, range or encoding for some member kind.</summary>
    private static readonly string[] WrongJsonValues =
    [
        "0", "-1", "1.5", "99999999999999999", "123456789012345678901234567890", "1e999", "-1e999", "true", "null",
        "\"\"", "\"abc\"", "\"\\u0000\"", "\"\\ud800\"", "\"99999999999999999\"", "\"NaN\"", "\"Infinity\"", "\"!!!not base64\"",
        "[]", "[1,{\"a\":[]}]", "{}", "{\"a\":{\"b\":1}}", "[\"\\udc00\"]", "{\"k\":1e999}", "{\"k\":{\"k\":1}}", "[null,null]",
        "\"" + new string('x', 100_000) + "\"",
    ];

    // ---- the batches: one per protocol family, health checked after each ----

    [Fact]
    public async Task Query_services_answer_every_wrong_value_and_form_encoding_with_4xx()
    {
        var probes = new List<Probe>();
        foreach (var op in QueryOperations)
        {
            foreach (var member in op.Members.Keys)
                foreach (var wrong in WrongQueryValues)
                    probes.Add(QueryProbe($"{op.Service} {op.Action} {member}={Short(wrong)}", op, op.Members.ToDictionary(p => p.Key, p => Uri.EscapeDataString(p.Value)).With(member, wrong)));
            var encoded = op.Members.ToDictionary(p => p.Key, p => Uri.EscapeDataString(p.Value));
            foreach (var (name, key) in QueryKeyShapes)
                probes.Add(QueryProbe($"{op.Service} {op.Action} key {name}", op, encoded.With(key, "x")));
        }
        foreach (var service in QueryOperations.Select(o => (o.Service, o.Version)).Distinct())
        {
            probes.Add(FormProbe($"{service.Service} non-UTF-8 form body", service.Service, [.. "Action=ListRoles&Version="u8, .. Encoding.ASCII.GetBytes(service.Version), .. "&X="u8, 0xFF, 0xFE, 0xC0, 0x80]));
            probes.Add(FormProbe($"{service.Service} binary form body", service.Service, Enumerable.Range(0, 2048).Select(i => (byte)(i * 91)).ToArray()));
            probes.Add(FormProbe($"{service.Service} no Action", service.Service, Encoding.ASCII.GetBytes($"Version={service.Version}")));
            probes.Add(FormProbe($"{service.Service} repeated Action", service.Service, Encoding.ASCII.GetBytes($"Action=A&Action=B&Version={service.Version}")));
            probes.Add(FormProbe($"{service.Service} 100,001 pairs", service.Service, Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a=1&", 100_001)) + $"Version={service.Version}")));
            probes.Add(new Probe($"{service.Service} wrong content type", () => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Content("Action=GetCallerIdentity&Version=2011-06-15"u8.ToArray(), "text/plain") }.Signed(service.Service)));
            probes.Add(new Probe($"{service.Service} corrupt gzip", () => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Gzip(FormContent(Encoding.ASCII.GetBytes($"Action=ListRoles&Version={service.Version}")), corrupt: true) }.Signed(service.Service)));
        }
        await RunBatchAsync(probes, "iam", "sts", "rds", "cloudformation", "monitoring", "ec2");
    }

    /// <summary>Form keys that stretch the Query protocol's flattening: list indices out of range, not numbers, very deep.</summary>
    private static readonly (string Name, string Key)[] QueryKeyShapes =
    [
        ("index 0", "Tags.member.0.Key"), ("index 99999", "Tags.member.99999.Key"), ("index -1", "Tags.member.-1.Key"), ("index abc", "Tags.member.abc.Key"),
        ("500 segments", string.Join('.', Enumerable.Repeat("a", 500))), ("2000-char key", new string('k', 2000)), ("empty segments", "...."), ("list then scalar", "MetricData.member.1"),
    ];

    [Fact]
    public async Task Json_services_answer_every_wrong_value_and_malformed_body_with_4xx()
    {
        var probes = new List<Probe>();
        foreach (var op in JsonOperations)
        {
            foreach (var member in op.Members.Select(m => m.Key).ToList())
                foreach (var wrong in WrongJsonValues)
                    probes.Add(JsonProbe($"{op.Target} {member}={Short(wrong)}", op, WithRawMember(op.Members, member, wrong)));
            foreach (var (name, body) in MalformedJsonBodies)
                probes.Add(JsonProbe($"{op.Target} {name}", op, body));
            probes.Add(new Probe($"{op.Target} corrupt gzip", () => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Gzip(Content(Encoding.UTF8.GetBytes(op.Members.ToJsonString()), op.ContentType), corrupt: true) }.Signed(op.Service).Targeted(op.Target)));
            probes.Add(new Probe($"{op.Target} gzip bomb", () => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Gzip(Content(new byte[11 * 1024 * 1024], op.ContentType), corrupt: false) }.Signed(op.Service).Targeted(op.Target)));
            probes.Add(new Probe($"{op.Target} wrong content type", () => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Content(Encoding.UTF8.GetBytes(op.Members.ToJsonString()), "text/plain") }.Signed(op.Service).Targeted(op.Target)));
            probes.Add(new Probe($"{op.Target} unknown operation", () => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Content("{}"u8.ToArray(), op.ContentType) }.Signed(op.Service).Targeted(op.Target[..op.Target.IndexOf('.')] + ".NoSuchOperation")));
            probes.Add(new Probe($"{op.Target} malformed target", () => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Content("{}"u8.ToArray(), op.ContentType) }.Signed(op.Service).Targeted("no-dot-" + new string('x', 8000))));
        }
        foreach (var op in RestOperations)
        {
            foreach (var member in op.Members.Select(m => m.Key).ToList())
                foreach (var wrong in WrongJsonValues)
                    probes.Add(RestProbe($"{op.Service} {op.Method} {op.Path} {member}={Short(wrong)}", op, op.Path, WithRawMember(op.Members, member, wrong)));
            foreach (var (name, body) in MalformedJsonBodies)
                probes.Add(RestProbe($"{op.Service} {op.Method} {op.Path} {name}", op, op.Path, body));
        }
        foreach (var (name, body) in MalformedJsonBodies)
            probes.Add(new Probe($"apigateway ImportRestApi {name}", () => new HttpRequestMessage(HttpMethod.Post, "/restapis?mode=import") { Content = Content(Encoding.UTF8.GetBytes(body), "application/json") }.Signed("apigateway")));
        probes.Add(new Probe("apigateway ImportRestApi invalid UTF-8", () => new HttpRequestMessage(HttpMethod.Post, "/restapis?mode=import") { Content = Content([.. "{\"openapi\":\""u8, 0xFF, .. "\"}"u8], "application/json") }.Signed("apigateway")));
        foreach (var (service, path) in RestPaths)
            probes.Add(new Probe($"{service} GET {Short(path)}", () => new HttpRequestMessage(HttpMethod.Get, path).Signed(service)));
        await RunBatchAsync(probes, "ecr", "logs", "monitoring", "lambda", "apigateway", "apigatewayv2", "kms", "ssm", "secretsmanager", "events", "rds-data");
    }

    private static readonly (string Name, string Body)[] MalformedJsonBodies =
    [
        ("truncated", "{\"a\":"), ("just an open brace", "{"), ("array", "[]"), ("null", "null"), ("number", "123"), ("string", "\"s\""),
        ("duplicate members", "{\"a\":1,\"a\":2}"), ("nested duplicate members", "{\"x\":{\"k\":1,\"k\":2}}"),
        ("NaN literal", "{\"a\":NaN}"), ("Infinity literal", "{\"a\":Infinity}"), ("comment", "{/*c*/}"), ("trailing comma", "{\"a\":1,}"),
        ("single quotes", "{'a':1}"), ("deep arrays", "{\"a\":" + new string('[', 100_000) + new string(']', 100_000) + "}"),
        ("deep objects", string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000)),
        ("lone surrogate escape", "{\"a\":\"\\ud800\"}"), ("control character", "{\"a\":\"\u0001\"}"), ("BOM", "\uFEFF{}"),
        ("100,000 members", "{" + string.Join(',', Enumerable.Range(0, 100_000).Select(i => $"\"m{i}\":{i}")) + "}"),
    ];

    private static readonly (string Service, string Path)[] RestPaths =
    [
        ("lambda", "/2015-03-31/functions/%00"), ("lambda", "/2015-03-31/functions/%ZZ"), ("lambda", "/2015-03-31/functions/%FF%FE"), ("lambda", "/2015-03-31/functions/%ED%A0%80/configuration"),
        ("lambda", "/2015-03-31/functions?MaxItems=abc"), ("lambda", "/2015-03-31/functions?MaxItems=99999999999999999999"), ("lambda", "/2015-03-31/functions?MaxItems=-1&Marker=%00"),
        ("lambda", "/2015-03-31/functions/" + new string('f', 6000)), ("apigateway", "/restapis?limit=abc"), ("apigateway", "/restapis?limit=1e999&position=%FF"),
        ("apigateway", "/restapis/%00/resources"), ("apigateway", "/restapis/x/stages/%ZZ"), ("apigateway", "/" + string.Join('/', Enumerable.Repeat("a", 2000))),
    ];

    [Fact]
    public async Task Json_bodies_are_refused_per_aws_json_protocols()
    {
        var duplicate = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Content("{\"logGroupName\":\"a\",\"logGroupName\":\"b\"}"u8.ToArray(), "application/x-amz-json-1.1") }.Signed("logs").Targeted("Logs_20140328.CreateLogGroup"), "duplicate");
        Assert.Equal(400, duplicate.Status);
        Assert.Contains("SerializationException", duplicate.Body);
        byte[] badUtf8 = [.. "{\"repositoryName\":\""u8, 0xC3, 0x28, .. "\"}"u8];
        var utf8 = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Content(badUtf8, "application/x-amz-json-1.1") }.Signed("ecr").Targeted("AmazonEC2ContainerRegistry_V20150921.CreateRepository"), "utf8");
        Assert.Equal(400, utf8.Status);
        Assert.Contains("SerializationException", utf8.Body);
    }

    [Fact]
    public async Task The_reported_500s_get_the_services_own_errors()
    {
        var roleName = await SendAsync(QueryProbe("role %00", QueryOperations[0], new() { ["RoleName"] = "a%00b", ["AssumeRolePolicyDocument"] = Uri.EscapeDataString(TrustPolicy) }).Build, "role %00");
        Assert.Equal(400, roleName.Status);
        Assert.Contains("<Code>ValidationError</Code>", roleName.Body);
        Assert.Contains("roleName", roleName.Body);

        var timestamp = new JsonObject { ["Namespace"] = "Corpus", ["MetricData"] = new JsonArray(new JsonObject { ["MetricName"] = "m", ["Value"] = 1, ["Timestamp"] = 99999999999999999 }) };
        var putMetric = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Content(Encoding.UTF8.GetBytes(timestamp.ToJsonString()), "application/x-amz-json-1.0") }.Signed("monitoring").Targeted("GraniteServiceVersion20100801.PutMetricData"), "timestamp");
        Assert.Equal(400, putMetric.Status);
        Assert.Contains("InvalidParameterValue", putMetric.Body);

        var (_, badChunk) = await RawAsync("bad chunk", RawHeads[0].Head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400", badChunk);
        var (_, shortBody) = await RawAsync("short body", RawHeads.First(h => h.Service == "logs").Head + "Content-Length: 100\r\n\r\n{}");
        Assert.StartsWith("HTTP/1.1 400", shortBody);
    }

    [Fact]
    public async Task Cbor_answers_every_wrong_item_with_4xx()
    {
        var probes = new List<Probe>();
        var members = new JsonObject { ["Namespace"] = "Corpus", ["MetricData"] = new JsonArray(new JsonObject { ["MetricName"] = "m", ["Value"] = 1, ["Timestamp"] = 1735689600 }), ["StartTime"] = 0, ["MaxDatapoints"] = 10 };
        foreach (var operation in new[] { "PutMetricData", "GetMetricData", "ListMetrics", "GetMetricStatistics" })
        {
            foreach (var member in members.Select(m => m.Key).ToList())
                foreach (var (name, write) in WrongCborItems)
                    probes.Add(CborProbe($"{operation} {member}={name}", operation, Cbor(w =>
                    {
                        w.WriteStartMap(null);
                        foreach (var (key, value) in members)
                        {
                            w.WriteTextString(key);
                            if (key == member) write(w);
                            else WriteJson(w, value);
                        }
                        w.WriteEndMap();
                    })));
            foreach (var (name, body) in MalformedCborBodies)
                probes.Add(CborProbe($"{operation} {name}", operation, body));
        }
        await RunBatchAsync(probes, "monitoring");

        var nan = await SendAsync(CborProbe("nan", "PutMetricData", Cbor(w =>
        {
            w.WriteStartMap(1);
            w.WriteTextString("Namespace");
            w.WriteHalf(Half.NaN);
            w.WriteEndMap();
        })).Build, "nan");
        Assert.Equal(400, nan.Status);
    }

    private static readonly (string Name, Action<CborWriter> Write)[] WrongCborItems =
    [
        ("half NaN", w => w.WriteHalf(Half.NaN)), ("double +inf", w => w.WriteDouble(double.PositiveInfinity)), ("single -inf", w => w.WriteSingle(float.NegativeInfinity)),
        ("uint64 max", w => w.WriteUInt64(ulong.MaxValue)), ("most negative", w => w.WriteCborNegativeIntegerRepresentation(ulong.MaxValue)), ("int64 min", w => w.WriteInt64(long.MinValue)),
        ("bytes", w => w.WriteByteString([1, 2, 3])), ("text", w => w.WriteTextString("abc")), ("bool", w => w.WriteBoolean(true)), ("null", w => w.WriteNull()),
        ("undefined", w => w.WriteSimpleValue(CborSimpleValue.Undefined)), ("simple 99", w => w.WriteSimpleValue((CborSimpleValue)99)),
        ("tag 1 huge", w => { w.WriteTag(CborTag.UnixTimeSeconds); w.WriteInt64(99999999999999999); }), ("tag 1 -inf", w => { w.WriteTag(CborTag.UnixTimeSeconds); w.WriteDouble(double.NegativeInfinity); }),
        ("tag 1 text", w => { w.WriteTag(CborTag.UnixTimeSeconds); w.WriteTextString("now"); }), ("unknown tag", w => { w.WriteTag((CborTag)999_999); w.WriteTextString("x"); }),
        ("bignum tag", w => w.WriteBigInteger(System.Numerics.BigInteger.Pow(10, 40))), ("decimal tag", w => w.WriteDecimal(decimal.MaxValue)),
        ("indefinite text", w => { w.WriteStartIndefiniteLengthTextString(); w.WriteTextString("a"); w.WriteTextString("b"); w.WriteEndIndefiniteLengthTextString(); }),
        ("indefinite array", w => { w.WriteStartArray(null); w.WriteInt32(1); w.WriteEndArray(); }), ("indefinite map", w => { w.WriteStartMap(null); w.WriteTextString("k"); w.WriteInt32(1); w.WriteEndMap(); }),
        ("map with int key", w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteInt32(1); w.WriteEndMap(); }),
        ("nested 60", w => { for (var i = 0; i < 60; i++) w.WriteStartArray(1); w.WriteInt32(1); for (var i = 0; i < 60; i++) w.WriteEndArray(); }),
    ];

    private static readonly (string Name, byte[] Body)[] MalformedCborBodies =
    [
        ("truncated map", [0xA1, 0x61]), ("array at top", [0x82, 0x01, 0x02]), ("trailing bytes", [0xA0, 0x00]), ("reserved additional info", [0xA1, 0x61, 0x61, 0x1C]),
        ("break without start", [0xFF]), ("invalid UTF-8 key", [0xA1, 0x62, 0xC3, 0x28, 0x01]), ("invalid UTF-8 value", [0xA1, 0x61, 0x61, 0x62, 0xFF, 0xFE]),
        ("huge declared length", [0xA1, 0x61, 0x61, 0x7B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), ("huge map count", [0xBB, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
        ("deep indefinite arrays", [0xA1, 0x61, 0x61, .. Enumerable.Repeat((byte)0x9F, 100_000), .. Enumerable.Repeat((byte)0xFF, 100_000), 0xFF]),
        ("deep tags", [0xA1, 0x61, 0x61, .. Enumerable.SelectMany(Enumerable.Range(0, 50_000), _ => new byte[] { 0xD9, 0x03, 0xE7 }), 0x01]),
        ("json instead", "{\"Namespace\":\"x\"}"u8.ToArray()),
    ];

    [Fact]
    public async Task S3_answers_malformed_documents_headers_queries_and_paths_with_4xx()
    {
        // REST-XML: S3 reads its request documents itself, and most of its input is in headers, the query and the path.
        var bucket = await SendAsync(S3Probe("bucket", HttpMethod.Put, "/corpus-s3").Build, "bucket");
        Assert.Equal(200, bucket.Status);
        var put = await SendAsync(S3Probe("object", HttpMethod.Put, "/corpus-s3/object", "hello"u8.ToArray()).Build, "object");
        Assert.Equal(200, put.Status);

        var probes = new List<Probe>();
        foreach (var (subresource, method) in S3Documents)
            foreach (var (name, body) in MalformedXmlBodies)
                probes.Add(S3Probe($"s3 {method} {subresource} {name}", method, subresource, Encoding.UTF8.GetBytes(body)));
        foreach (var query in S3Queries)
            probes.Add(S3Probe($"s3 GET {Short(query)}", HttpMethod.Get, query));
        foreach (var (header, value) in S3Headers)
        {
            probes.Add(S3Probe($"s3 GET {header}: {Short(value)}", HttpMethod.Get, "/corpus-s3/object", headers: [(header, value)]));
            probes.Add(S3Probe($"s3 PUT {header}: {Short(value)}", HttpMethod.Put, "/corpus-s3/other", "body"u8.ToArray(), [(header, value)]));
        }
        foreach (var path in S3Paths)
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Head })
                probes.Add(S3Probe($"s3 {method} {Short(path)}", method, path));
        await RunBatchAsync(probes, "s3");

        // An external entity is never read: DTDs are refused before anything is resolved.
        var entity = await SendAsync(S3Probe("external entity", HttpMethod.Put, "/corpus-s3?tagging", Encoding.UTF8.GetBytes(
            "<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Tagging><TagSet><Tag><Key>k</Key><Value>&x;</Value></Tag></TagSet></Tagging>")).Build, "external entity");
        Assert.Equal(400, entity.Status);
        Assert.Contains("MalformedXML", entity.Body);
        Assert.DoesNotContain("root:", entity.Body);

        // A header holding a control character (HttpClient will not send one) is echoed into a well-formed error.
        var (_, acl) = await RawAsync("control character in a header", $"PUT /corpus-s3/acl HTTP/1.1\r\nHost: localhost\r\nAuthorization: {Scope("s3")}\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\nx-amz-acl: bad\u0001acl\r\nContent-Length: 0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400", acl);
        await AssertHealthyAsync("s3");
    }

    [Fact]
    public async Task Json_documents_inside_members_refuse_unpaired_surrogate_escapes_with_4xx()
    {
        // A policy or pattern is JSON text inside a member: the outer body is valid, and the inner text's \ud800 escape
        // was only decoded deep inside the service (a 500) until every such document was read through one parser.
        const string lone = "\\ud800";
        var policy = $$$"""{"Version":"2012-10-17","Statement":[{"Sid":"{{{lone}}}","Effect":"Allow","Action":"{{{lone}}}","Resource":"*","Principal":{"AWS":"{{{lone}}}"}}]}""";
        var pattern = $$$"""{"source":["{{{lone}}}"],"detail":{"{{{lone}}}":[{"prefix":"{{{lone}}}"}]}}""";
        var lifecycle = $$$"""{"rules":[{"rulePriority":1,"description":"{{{lone}}}","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}""";
        var probes = new List<Probe>
        {
            QueryProbe("iam CreateRole trust policy", QueryOperations[0], new() { ["RoleName"] = "lone", ["AssumeRolePolicyDocument"] = Uri.EscapeDataString(policy) }),
            QueryProbe("iam CreatePolicy", QueryOperations[0] with { Action = "CreatePolicy" }, new() { ["PolicyName"] = "lone", ["PolicyDocument"] = Uri.EscapeDataString(policy) }),
            JsonProbe("events PutRule", JsonOperations.First(o => o.Target == "AWSEvents.PutRule"), new JsonObject { ["Name"] = "lone", ["EventPattern"] = pattern }.ToJsonString()),
            JsonProbe("events TestEventPattern", JsonOperations.First(o => o.Target == "AWSEvents.PutRule") with { Target = "AWSEvents.TestEventPattern" },
                new JsonObject { ["EventPattern"] = pattern, ["Event"] = pattern }.ToJsonString()),
            JsonProbe("events PutEvents detail", JsonOperations.First(o => o.Target == "AWSEvents.PutEvents"),
                new JsonObject { ["Entries"] = new JsonArray(new JsonObject { ["Source"] = "s", ["DetailType"] = "t", ["Detail"] = pattern }) }.ToJsonString()),
            JsonProbe("kms CreateKey policy", JsonOperations.First(o => o.Target == "TrentService.CreateKey"), new JsonObject { ["Policy"] = policy }.ToJsonString()),
            JsonProbe("ecr SetRepositoryPolicy", JsonOperations[0] with { Target = "AmazonEC2ContainerRegistry_V20150921.SetRepositoryPolicy" },
                new JsonObject { ["repositoryName"] = "corpus-lone", ["policyText"] = policy }.ToJsonString()),
            JsonProbe("ecr PutLifecyclePolicy", JsonOperations[0] with { Target = "AmazonEC2ContainerRegistry_V20150921.PutLifecyclePolicy" },
                new JsonObject { ["repositoryName"] = "corpus-lone", ["lifecyclePolicyText"] = lifecycle }.ToJsonString()),
            S3Probe("s3 PutBucketPolicy", HttpMethod.Put, "/corpus-lone?policy", Encoding.UTF8.GetBytes(policy)),
            JsonProbe("logs PutAccountPolicy", JsonOperations.First(o => o.Target == "Logs_20140328.CreateLogGroup") with { Target = "Logs_20140328.PutAccountPolicy" },
                new JsonObject { ["policyName"] = "lone", ["policyType"] = "SUBSCRIPTION_FILTER_POLICY", ["policyDocument"] = $$"""{"DestinationArn":"{{lone}}"}""" }.ToJsonString()),
            JsonProbe("logs PutIndexPolicy", JsonOperations.First(o => o.Target == "Logs_20140328.CreateLogGroup") with { Target = "Logs_20140328.PutIndexPolicy" },
                new JsonObject { ["logGroupIdentifier"] = "corpus-lone", ["policyDocument"] = $$"""{"Fields":["{{lone}}"]}""" }.ToJsonString()),
            JsonProbe("cloudwatch SetAlarmState reason data", JsonOperations.First(o => o.Target == "GraniteServiceVersion20100801.PutMetricAlarm") with { Target = "GraniteServiceVersion20100801.SetAlarmState" },
                new JsonObject { ["AlarmName"] = "lone", ["StateValue"] = "ALARM", ["StateReason"] = "r", ["StateReasonData"] = pattern }.ToJsonString()),
            JsonProbe("cloudwatch PutInsightRule", JsonOperations.First(o => o.Target == "GraniteServiceVersion20100801.PutMetricAlarm") with { Target = "GraniteServiceVersion20100801.PutInsightRule" },
                new JsonObject { ["RuleName"] = "lone", ["RuleDefinition"] = $$$"""{"Schema":{"Name":"CloudWatchLogRule","Version":1},"LogGroupNames":["{{{lone}}}"],"LogFormat":"JSON","Contribution":{"Keys":["$.a"]},"AggregateOn":"Count"}""" }.ToJsonString()),
        };
        Assert.Equal(200, (await SendAsync(S3Probe("bucket", HttpMethod.Put, "/corpus-lone").Build, "bucket")).Status);
        Assert.Equal(200, (await SendAsync(JsonProbe("repository", JsonOperations[0], new JsonObject { ["repositoryName"] = "corpus-lone" }.ToJsonString()).Build, "repository")).Status);
        Assert.Equal(200, (await SendAsync(JsonProbe("log group", JsonOperations.First(o => o.Target == "Logs_20140328.CreateLogGroup"), new JsonObject { ["logGroupName"] = "corpus-lone" }.ToJsonString()).Build, "log group")).Status);
        var alarm = JsonOperations.First(o => o.Target == "GraniteServiceVersion20100801.PutMetricAlarm");
        var alarmMembers = alarm.Members.DeepClone().AsObject();
        alarmMembers["AlarmName"] = "lone";
        Assert.Equal(200, (await SendAsync(JsonProbe("alarm", alarm, alarmMembers.ToJsonString()).Build, "alarm")).Status);
        foreach (var probe in probes)
        {
            var outcome = await SendAsync(probe.Build, probe.Name);
            // PutEvents answers 200 and fails the entry, as EventBridge does for an entry it cannot take.
            var refused = outcome.Status is >= 400 and < 500 || probe.Name == "events PutEvents detail" && outcome.Body.Contains("\"FailedEntryCount\":1", StringComparison.Ordinal);
            Assert.True(refused, $"{probe.Name}: {outcome.Status} {Short(outcome.Body)}");
        }

        // A log event is the caller's text, kept as sent; one that looks like JSON with such an escape must not break
        // the group's field discovery (it answered 500, and Logs Insights queries over it failed).
        var logs = JsonOperations.First(o => o.Target == "Logs_20140328.CreateLogGroup");
        await SendAsync(JsonProbe("stream", logs with { Target = "Logs_20140328.CreateLogStream" }, new JsonObject { ["logGroupName"] = "corpus-lone", ["logStreamName"] = "s" }.ToJsonString()).Build, "stream");
        var put = await SendAsync(JsonProbe("event", logs with { Target = "Logs_20140328.PutLogEvents" }, new JsonObject { ["logGroupName"] = "corpus-lone", ["logStreamName"] = "s",
            ["logEvents"] = new JsonArray(new JsonObject { ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ["message"] = pattern }) }.ToJsonString()).Build, "event");
        Assert.Equal(200, put.Status);
        var fields = await SendAsync(JsonProbe("fields", logs with { Target = "Logs_20140328.GetLogGroupFields" }, new JsonObject { ["logGroupName"] = "corpus-lone" }.ToJsonString()).Build, "fields");
        Assert.True(fields.Status == 200, $"GetLogGroupFields: {fields.Status} {Short(fields.Body)}");
    }

    [Fact]
    public async Task The_ecr_registry_answers_malformed_manifests_digests_and_uploads_with_4xx()
    {
        // docker and skopeo speak the registry protocol (/v2/), not a JSON protocol: its own inputs, its own errors.
        Assert.Equal(200, (await SendAsync(JsonProbe("repository", JsonOperations[0], new JsonObject { ["repositoryName"] = "corpus-registry" }.ToJsonString()).Build, "repository")).Status);
        var token = await SendAsync(JsonProbe("token", JsonOperations[0] with { Target = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" }, "{}").Build, "token");
        var login = JsonNode.Parse(token.Body)!["authorizationData"]![0]!["authorizationToken"]!.GetValue<string>();
        Probe Registry(string name, HttpMethod method, string path, byte[]? body = null, string contentType = "application/octet-stream", (string, string)[]? headers = null) =>
            new(name, () =>
            {
                var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Content(body, contentType) };
                request.Headers.TryAddWithoutValidation("Authorization", "Basic " + login);
                foreach (var (header, value) in headers ?? []) request.Content!.Headers.TryAddWithoutValidation(header, value);
                return request;
            });
        Assert.Equal(200, (await SendAsync(Registry("login", HttpMethod.Get, "/v2/").Build, "login")).Status);
        var zeros = "sha256:" + new string('0', 64);
        string Manifest(string schemaVersion, string layers) =>
            $$"""{"schemaVersion":{{schemaVersion}},"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"{{zeros}}"},"layers":[{{layers}}]}""";
        var manifests = new (string Name, byte[] Body)[]
        {
            ("invalid UTF-8", [.. "{\"schemaVersion\":2,\"mediaType\":\""u8, 0xFF, 0xFE, .. "\"}"u8]), ("schemaVersion as text", Encoding.UTF8.GetBytes(Manifest("\"2\"", ""))),
            ("unpaired surrogate", Encoding.UTF8.GetBytes(Manifest("2", "").Replace("application/vnd.docker.container.image.v1+json", "\\ud800"))),
            ("deep", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 20_000)) + "1" + new string('}', 20_000))), ("not JSON", "hello"u8.ToArray()), ("empty", []),
            ("duplicate members", "{\"schemaVersion\":2,\"schemaVersion\":3}"u8.ToArray()), ("missing blobs", Encoding.UTF8.GetBytes(Manifest("2", $$"""{"mediaType":"x","size":1,"digest":"{{zeros}}"}"""))),
            ("bad digest and size", Encoding.UTF8.GetBytes(Manifest("2", """{"mediaType":"x","size":-1,"digest":"sha256:zz"}"""))), ("over 4 MB", Encoding.UTF8.GetBytes("{\"x\":\"" + new string('a', 5_000_000) + "\"}")),
            ("10,000 layers", Encoding.UTF8.GetBytes(Manifest("2", string.Join(',', Enumerable.Repeat($$"""{"mediaType":"x","size":1,"digest":"{{zeros}}"}""", 10_000))))),
        };
        var probes = new List<Probe>();
        foreach (var (name, body) in manifests)
            foreach (var contentType in new[] { "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.index.v1+json", "text/plain" })
                probes.Add(Registry($"manifest {name} as {contentType}", HttpMethod.Put, "/v2/corpus-registry/manifests/t1", body, contentType));
        foreach (var reference in new[] { "sha256:zz", zeros, "md5:abc", new string('a', 300), "%00", "..", ":" })
        {
            probes.Add(Registry($"GET manifest {Short(reference)}", HttpMethod.Get, $"/v2/corpus-registry/manifests/{reference}"));
            probes.Add(Registry($"DELETE manifest {Short(reference)}", HttpMethod.Delete, $"/v2/corpus-registry/manifests/{reference}"));
            probes.Add(Registry($"GET blob {Short(reference)}", HttpMethod.Get, $"/v2/corpus-registry/blobs/{reference}"));
        }
        foreach (var query in new[] { "n=abc", "n=-1", "n=99999999999999999999", "last=%00" })
            probes.Add(Registry($"tags {query}", HttpMethod.Get, $"/v2/corpus-registry/tags/list?{query}"));
        foreach (var range in new[] { "abc", "5-1", "99999999999999999999-100" })
            probes.Add(Registry($"PATCH unknown upload, range {range}", HttpMethod.Patch, "/v2/corpus-registry/blobs/uploads/none", "abcd"u8.ToArray(), headers: [("Content-Range", range)]));
        probes.Add(Registry("monolithic upload, wrong digest", HttpMethod.Post, $"/v2/corpus-registry/blobs/uploads/?digest={zeros}", "xyz"u8.ToArray()));
        probes.Add(Registry("monolithic upload, bad digest", HttpMethod.Post, "/v2/corpus-registry/blobs/uploads/?digest=sha256:zz", "xyz"u8.ToArray()));
        probes.Add(Registry("mount from a bad name", HttpMethod.Post, $"/v2/corpus-registry/blobs/uploads/?mount={zeros}&from=%00"));
        probes.Add(Registry("bad repository name", HttpMethod.Get, "/v2/" + new string('a', 3000) + "/tags/list"));
        await RunBatchAsync(probes, "ecr");
    }

    /// <summary>S3 operations whose request is an XML document, by subresource.</summary>
    private static readonly (string Path, HttpMethod Method)[] S3Documents =
    [
        ("/corpus-s3?tagging", HttpMethod.Put), ("/corpus-s3?delete", HttpMethod.Post), ("/corpus-s3?lifecycle", HttpMethod.Put), ("/corpus-s3?cors", HttpMethod.Put),
        ("/corpus-s3?versioning", HttpMethod.Put), ("/corpus-s3?notification", HttpMethod.Put), ("/corpus-s3/object?tagging", HttpMethod.Put),
        ("/corpus-s3/object?uploadId=none", HttpMethod.Post), ("/corpus-new", HttpMethod.Put),
    ];

    private static readonly (string Name, string Body)[] MalformedXmlBodies =
    [
        ("truncated", "<Tagging><TagSet>"), ("not XML", "{}"), ("wrong root", "<Nope/>"), ("empty root", "<Tagging/>"), ("text only", "just text"),
        ("billion laughs", "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"lol\">" + string.Concat(Enumerable.Range(1, 9).Select(i => $"<!ENTITY {(char)('a' + i)} \"{string.Concat(Enumerable.Repeat($"&{(char)('a' + i - 1)};", 10))}\">")) + "]><Tagging>&j;</Tagging>"),
        ("deep nesting", string.Concat(Enumerable.Repeat("<a>", 100_000)) + string.Concat(Enumerable.Repeat("</a>", 100_000))),
        ("100,000 tags", "<Tagging><TagSet>" + string.Concat(Enumerable.Repeat("<Tag><Key>k</Key><Value>v</Value></Tag>", 100_000)) + "</TagSet></Tagging>"),
        ("character reference to NUL", "<Tagging><TagSet><Tag><Key>&#0;</Key><Value>v</Value></Tag></TagSet></Tagging>"),
        ("lone surrogate reference", "<Tagging><TagSet><Tag><Key>&#xD800;</Key><Value>v</Value></Tag></TagSet></Tagging>"),
        ("UTF-16 declared, UTF-8 sent", "<?xml version=\"1.0\" encoding=\"UTF-16\"?><Tagging/>"), ("numbers out of range", "<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Filter/><Expiration><Days>99999999999999999999</Days></Expiration></Rule></LifecycleConfiguration>"),
        ("bad dates", "<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Filter/><Expiration><Date>2025-13-45T99:99:99Z</Date></Expiration></Rule></LifecycleConfiguration>"),
        ("part numbers out of range", "<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>x</ETag></Part><Part><PartNumber>99999999999</PartNumber></Part></CompleteMultipartUpload>"),
        ("1,001 keys to delete", "<Delete>" + string.Concat(Enumerable.Repeat("<Object><Key>k</Key></Object>", 1_001)) + "</Delete>"),
        ("processing instruction and CDATA", "<?pi x?><Tagging><TagSet><Tag><Key><![CDATA[k]]></Key><Value>v</Value></Tag></TagSet></Tagging>"),
    ];

    private static readonly string[] S3Queries =
    [
        "/corpus-s3?list-type=2&max-keys=abc", "/corpus-s3?list-type=2&max-keys=99999999999999999999", "/corpus-s3?list-type=2&max-keys=-1", "/corpus-s3?list-type=3",
        "/corpus-s3?list-type=2&continuation-token=%FF%FE", "/corpus-s3?list-type=2&continuation-token=not-base64!", "/corpus-s3?prefix=%00&delimiter=%ED%A0%80",
        "/corpus-s3?encoding-type=nope", "/corpus-s3?versions&key-marker=%ZZ&version-id-marker=x", "/corpus-s3?uploads&max-uploads=1e999",
        "/corpus-s3/object?partNumber=0", "/corpus-s3/object?partNumber=99999999999", "/corpus-s3/object?versionId=%00", "/corpus-s3/object?uploadId=none&part-number-marker=abc",
        "/corpus-s3/object?response-content-type=%0D%0Ax-injected:1", "/corpus-s3/object?X-Amz-Expires=-1&X-Amz-Algorithm=AWS4-HMAC-SHA256", "/corpus-s3?location&acl&policy&tagging",
    ];

    private static readonly (string Header, string Value)[] S3Headers =
    [
        ("Range", "bytes=abc"), ("Range", "bytes=99999999999999999999-"), ("Range", "bytes=5-1"), ("Range", "bytes=0-1,2-3,4-5"), ("Range", "lines=1-2"),
        ("If-Modified-Since", "yesterday"), ("If-Match", "\"" + new string('x', 5000) + "\""), ("Content-MD5", "not base64!"), ("Content-MD5", "AAAA"),
        ("x-amz-checksum-crc32", "!!!"), ("x-amz-checksum-sha256", "AAAA"), ("x-amz-content-sha256", "0000"), ("x-amz-decoded-content-length", "abc"),
        ("x-amz-copy-source", "%ZZ"), ("x-amz-copy-source", "/"), ("x-amz-copy-source-range", "bytes=1-0"), ("x-amz-tagging", "a=%ZZ&=&&"),
        ("x-amz-object-lock-retain-until-date", "never"), ("x-amz-object-lock-mode", "FOREVER"), ("x-amz-storage-class", "DEEP_SPACE"), ("x-amz-acl", "nope"),
        ("x-amz-server-side-encryption", "rot13"), ("x-amz-meta-" + new string('m', 3000), "v"), ("x-amz-meta-big", new string('v', 9000)), ("x-amz-expected-bucket-owner", "not-an-account"),
        ("x-amz-website-redirect-location", "javascript:alert(1)"), ("Content-Encoding", "aws-chunked"), ("x-amz-sdk-checksum-algorithm", "MD4"),
    ];

    private static readonly string[] S3Paths =
    [
        "/%00", "/..", "/a", "/" + new string('b', 300), "/Upper_Case", "/corpus-s3/" + new string('k', 1_100), "/corpus-s3/%00%FF", "/corpus-s3/%ED%A0%80",
        "/corpus-s3/" + string.Join('/', Enumerable.Repeat("..", 500)), "/corpus-s3/%2e%2e/%2e%2e/etc/passwd",
    ];

    private static Probe S3Probe(string name, HttpMethod method, string path, byte[]? body = null, (string Header, string Value)[]? headers = null) =>
        new(name, () =>
        {
            var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Content(body, "application/xml") }.Signed("s3");
            request.Headers.TryAddWithoutValidation("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
            foreach (var (header, value) in headers ?? [])
                if (!request.Headers.TryAddWithoutValidation(header, value)) (request.Content ??= new ByteArrayContent([])).Headers.TryAddWithoutValidation(header, value);
            return request;
        });

    [Fact]
    public async Task Recursive_parsers_and_expansions_refuse_hostile_input_quickly()
    {
        var parentheses = new string('(', 12_000) + "1" + new string(')', 12_000);
        var mathJson = new JsonObject { ["MetricDataQueries"] = new JsonArray(new JsonObject { ["Id"] = "e1", ["Expression"] = parentheses }), ["StartTime"] = 0, ["EndTime"] = 1735689600 };
        var math = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Content(Encoding.UTF8.GetBytes(mathJson.ToJsonString()), "application/x-amz-json-1.0") }.Signed("monitoring").Targeted("GraniteServiceVersion20100801.GetMetricData"), "metric math");
        Assert.Equal(400, math.Status);

        var nestedMath = "e1+" + string.Concat(Enumerable.Repeat("ABS(", 200)) + "1" + new string(')', 200);
        var deepMath = await SendAsync(QueryProbe("deep math", QueryOperations.First(o => o.Action == "GetMetricData"), new() { ["MetricDataQueries.member.1.Id"] = "e1", ["MetricDataQueries.member.1.Expression"] = Uri.EscapeDataString(nestedMath), ["StartTime"] = "0", ["EndTime"] = "1735689600" }).Build, "deep math");
        Assert.Equal(400, deepMath.Status);

        var pattern = new JsonObject { ["logGroupName"] = "corpus", ["filterPattern"] = "{ " + new string('(', 12_000) + "$.a = 1" + new string(')', 12_000) + " }" };
        var filter = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Content(Encoding.UTF8.GetBytes(pattern.ToJsonString()), "application/x-amz-json-1.1") }.Signed("logs").Targeted("Logs_20140328.FilterLogEvents"), "filter pattern");
        Assert.InRange(filter.Status, 400, 499);

        var laughs = await SendAsync(QueryProbe("billion laughs", QueryOperations.First(o => o.Action == "ValidateTemplate"), new() { ["TemplateBody"] = Uri.EscapeDataString(BillionLaughs) }).Build, "billion laughs");
        Assert.Equal(400, laughs.Status);
        Assert.Contains("YAML aliases are not allowed in CloudFormation templates", laughs.Body);

        foreach (var (name, template) in HostileTemplates)
        {
            var answer = await SendAsync(QueryProbe(name, QueryOperations.First(o => o.Action == "ValidateTemplate"), new() { ["TemplateBody"] = Uri.EscapeDataString(template) }).Build, name);
            Assert.True(answer.Status == 400 && answer.Body.Contains("<Code>ValidationError</Code>"), $"{name}: {answer.Status} {Short(answer.Body)}");
        }
        await AssertHealthyAsync("cloudformation", "monitoring", "logs");
    }

    /// <summary>The 271-byte attack: nine levels of aliases each repeating the previous nine times.</summary>
    private static string BillionLaughs =>
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        + string.Concat(Enumerable.Range(1, 8).Select(i =>
        {
            var (name, previous) = ((char)('a' + i), (char)('a' + i - 1));
            return $"{name}: &{name} [{string.Join(',', Enumerable.Repeat($"*{previous}", 9))}]\n";
        }));

    private static readonly (string Name, string Template)[] HostileTemplates =
    [
        ("deep YAML flow", "Resources: " + new string('[', 20_000) + new string(']', 20_000)),
        ("deep YAML block", "Resources:\n" + string.Concat(Enumerable.Range(1, 300).Select(i => new string(' ', i) + "a:\n")) + new string(' ', 301) + "b: 1\n"),
        ("deep JSON", "{\"Resources\":" + new string('[', 20_000) + new string(']', 20_000) + "}"),
        ("nested Fn::Join", "Resources:\n  T:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      LogGroupName: " + string.Concat(Enumerable.Repeat("{\"Fn::Join\": [\"\", [", 2_000)) + "x" + string.Concat(Enumerable.Repeat("]]}", 2_000)) + "\n"),
        ("duplicate JSON members", "{\"Resources\":{\"T\":{\"Type\":\"AWS::Logs::LogGroup\"}},\"Resources\":{}}"),
        ("over 51,200 bytes", "Description: " + new string('x', 60_000) + "\nResources:\n  T:\n    Type: AWS::Logs::LogGroup\n"),
        ("merge key alias", "x: &x {Type: AWS::Logs::LogGroup}\nResources:\n  T:\n    <<: *x\n"),
        ("invalid UTF-8 escape", "{\"Resources\":{\"T\":{\"Type\":\"\\ud800\"}}}"),
    ];

    [Fact]
    public async Task Broken_http_framing_gets_4xx_at_every_service_and_no_hang()
    {
        var framing = new List<Task<(string, string)>>();
        foreach (var (service, head) in RawHeads)
        {
            framing.Add(RawAsync($"{service} bad chunk size", head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"));
            framing.Add(RawAsync($"{service} chunk size overflow", head + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n{}\r\n0\r\n\r\n"));
            framing.Add(RawAsync($"{service} chunk longer than its size", head + "Transfer-Encoding: chunked\r\n\r\n1\r\n{}}}}\r\n0\r\n\r\n"));
            framing.Add(RawAsync($"{service} body shorter than Content-Length", head + "Content-Length: 100\r\n\r\n{\"a\":1}"));
            framing.Add(RawAsync($"{service} negative Content-Length", head + "Content-Length: -5\r\n\r\n{}"));
            framing.Add(RawAsync($"{service} two Content-Lengths", head + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"));
            framing.Add(RawAsync($"{service} 100 MB Content-Length", head + "Content-Length: 104857600\r\n\r\n" + new string('a', 65_536)));
            framing.Add(RawAsync($"{service} overlong header", head + "X-Padding: " + new string('p', 100_000) + "\r\nContent-Length: 2\r\n\r\n{}"));
        }
        var cloudWatch = RawHeads.First(h => h.Service == "monitoring").Head;
        framing.Add(RawAsync("monitoring past 1 MiB by Content-Length", cloudWatch + "Content-Length: 1048577\r\n\r\n" + new string('a', 65_536)));
        framing.Add(RawAsync("monitoring past 1 MiB while streaming", cloudWatch + "Transfer-Encoding: chunked\r\n\r\n" + string.Concat(Enumerable.Repeat("10000\r\n" + new string('a', 65_536) + "\r\n", 17)) + "0\r\n\r\n"));
        framing.Add(RawAsync("unsigned 100 MB form", "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 104857600\r\n\r\nAction=ListRoles&Version=2010-05-08&" + new string('a', 65_536)));
        framing.Add(RawAsync("unsigned form bad chunk", "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nAction=ListRoles\r\n0\r\n\r\n"));
        framing.Add(RawAsync("unsigned form short body", "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nAction=ListRoles"));

        // S3 streams object bodies itself instead of reading them whole: the same framing faults, on a bucket that exists.
        var (_, bucket) = await RawAsync("s3 bucket", $"PUT /corpus-framing HTTP/1.1\r\nHost: localhost\r\nAuthorization: {Scope("s3")}\r\nContent-Length: 0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", bucket);
        var s3Object = $"PUT /corpus-framing/object HTTP/1.1\r\nHost: localhost\r\nAuthorization: {Scope("s3")}\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n";
        framing.Add(RawAsync("s3 object body shorter than Content-Length", s3Object + "Content-Length: 100\r\n\r\n{\"a\":1}"));
        framing.Add(RawAsync("s3 object bad chunk size", s3Object + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"));

        var results = await Task.WhenAll(framing);
        var failures = results.Where(r => !r.Item2.StartsWith("HTTP/1.1 4", StringComparison.Ordinal)).Select(r => $"{r.Item1}: {r.Item2}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        foreach (var refused in new[] { "iam 100 MB Content-Length", "unsigned 100 MB form", "monitoring past 1 MiB by Content-Length", "monitoring past 1 MiB while streaming" })
            Assert.Contains(results, r => r.Item1 == refused && r.Item2.StartsWith("HTTP/1.1 413", StringComparison.Ordinal));
        Assert.Contains(results, r => r.Item1 == "s3 object body shorter than Content-Length" && r.Item2.StartsWith("HTTP/1.1 400", StringComparison.Ordinal));
        await AssertHealthyAsync(RawHeads.Select(h => h.Service).ToArray());
    }

    private static readonly (string Service, string Head)[] RawHeads =
    [
        .. new[] { "iam", "sts", "rds", "cloudformation", "monitoring" }.Select(s => (s, $"POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: {Scope(s)}\r\nContent-Type: application/x-www-form-urlencoded\r\n")),
        ("ecr", $"POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: {Scope("ecr")}\r\nX-Amz-Target: AmazonEC2ContainerRegistry_V20150921.CreateRepository\r\nContent-Type: application/x-amz-json-1.1\r\n"),
        ("logs", $"POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: {Scope("logs")}\r\nX-Amz-Target: Logs_20140328.CreateLogGroup\r\nContent-Type: application/x-amz-json-1.1\r\n"),
        ("lambda", $"POST /2015-03-31/functions HTTP/1.1\r\nHost: localhost\r\nAuthorization: {Scope("lambda")}\r\nContent-Type: application/json\r\n"),
        ("apigateway", $"POST /restapis HTTP/1.1\r\nHost: localhost\r\nAuthorization: {Scope("apigateway")}\r\nContent-Type: application/json\r\n"),
    ];

    // ---- sending and checking ----

    private async Task RunBatchAsync(List<Probe> probes, params string[] services)
    {
        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(probes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (probe, _) =>
        {
            var outcome = await SendAsync(probe.Build, probe.Name);
            if (outcome.Status >= 500) failures.Add($"{outcome.Probe}: {outcome.Status} {Short(outcome.Body)}");
        });
        Assert.True(failures.IsEmpty, $"{failures.Count} of {probes.Count} probes failed:\n" + string.Join("\n", failures.Take(40)));
        await AssertHealthyAsync(services);
    }

    private async Task<Outcome> SendAsync(Func<HttpRequestMessage> build, string name)
    {
        using var request = build();
        request.RequestUri = new Uri(stratus.Url + request.RequestUri!.OriginalString);
        using var timeout = new CancellationTokenSource(PerRequest);
        try
        {
            using var response = await Http.SendAsync(request, timeout.Token);
            return new Outcome(name, (int)response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
        }
        catch (OperationCanceledException)
        {
            return new Outcome(name, 599, $"no answer within {PerRequest.TotalSeconds} s");
        }
        catch (HttpRequestException e)
        {
            return new Outcome(name, 598, $"connection failed: {e.Message}");
        }
    }

    private async Task AssertHealthyAsync(params string[] services)
    {
        var health = JsonNode.Parse(await Http.GetStringAsync(stratus.Url + "/_stratus/health"))!;
        Assert.Equal("running", health["status"]!.GetValue<string>());
        foreach (var service in services.Distinct())
        {
            // The health page names CloudWatch by its service name, not its signing name.
            var state = health["services"]![service == "monitoring" ? "cloudwatch" : service]!["state"]!.GetValue<string>();
            Assert.StartsWith("running", state);
        }
    }

    /// <summary>Writes a request byte for byte (HttpClient will not send broken framing) and returns the status line.</summary>
    private async Task<(string, string)> RawAsync(string name, string request)
    {
        using var timeout = new CancellationTokenSource(PerRequest);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, stratus.Server.Port, timeout.Token);
            var stream = client.GetStream();
            try
            {
                await stream.WriteAsync(Encoding.Latin1.GetBytes(request), timeout.Token);
            }
            catch (IOException)
            {
                // The server may answer and close before reading all of an oversized request.
            }
            var buffer = new byte[512];
            var read = 0;
            int last;
            while (read < buffer.Length && (last = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token)) > 0)
            {
                read += last;
                if (Encoding.Latin1.GetString(buffer, 0, read).Contains("\r\n", StringComparison.Ordinal)) break;
            }
            var text = Encoding.Latin1.GetString(buffer, 0, read);
            return (name, text.Contains("\r\n", StringComparison.Ordinal) ? text[..text.IndexOf("\r\n", StringComparison.Ordinal)] : $"no status line: '{text}'");
        }
        catch (OperationCanceledException)
        {
            return (name, $"no answer within {PerRequest.TotalSeconds} s");
        }
        catch (IOException e)
        {
            return (name, $"connection failed: {e.Message}");
        }
    }

    private static Probe QueryProbe(string name, QueryOperation op, Dictionary<string, string> encodedMembers) =>
        FormProbe(name, op.Service, Encoding.UTF8.GetBytes($"Action={op.Action}&Version={op.Version}&" + string.Join('&', encodedMembers.Select(p => $"{Uri.EscapeDataString(p.Key)}={p.Value}"))));

    private static Probe FormProbe(string name, string service, byte[] body) =>
        new(name, () => new HttpRequestMessage(HttpMethod.Post, "/") { Content = FormContent(body) }.Signed(service));

    private static Probe JsonProbe(string name, JsonOperation op, string body) =>
        new(name, () => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Content(Encoding.UTF8.GetBytes(body), op.ContentType) }.Signed(op.Service).Targeted(op.Target));

    private static Probe RestProbe(string name, RestOperation op, string path, string body) =>
        new(name, () => new HttpRequestMessage(new HttpMethod(op.Method), path) { Content = Content(Encoding.UTF8.GetBytes(body), "application/json") }.Signed(op.Service));

    private static Probe CborProbe(string name, string operation, byte[] body) =>
        new(name, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/service/GraniteServiceVersion20100801/operation/{operation}") { Content = Content(body, "application/cbor") }.Signed("monitoring");
            request.Headers.TryAddWithoutValidation("smithy-protocol", "rpc-v2-cbor");
            return request;
        });

    private static ByteArrayContent FormContent(byte[] body) => Content(body, "application/x-www-form-urlencoded; charset=utf-8");

    private static ByteArrayContent Content(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    /// <summary>The content gzipped and marked so, or (corrupt) marked gzip without being gzip.</summary>
    private static ByteArrayContent Gzip(ByteArrayContent content, bool corrupt)
    {
        var raw = content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        byte[] body;
        if (corrupt) body = raw;
        else
        {
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest)) gzip.Write(raw);
            body = compressed.ToArray();
        }
        var zipped = new ByteArrayContent(body);
        foreach (var header in content.Headers.Where(h => h.Key != "Content-Length")) zipped.Headers.TryAddWithoutValidation(header.Key, header.Value);
        zipped.Headers.ContentEncoding.Add("gzip");
        return zipped;
    }

    /// <summary>The members as JSON with one member's value replaced by raw JSON text, which may be anything.</summary>
    private static string WithRawMember(JsonObject members, string member, string rawValue)
    {
        const string Placeholder = "\"__corpus_placeholder__\"";
        var copy = (JsonObject)members.DeepClone();
        copy[member] = "__corpus_placeholder__";
        return copy.ToJsonString().Replace(Placeholder, rawValue, StringComparison.Ordinal);
    }

    private static byte[] Cbor(Action<CborWriter> write)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        write(writer);
        return writer.Encode();
    }

    private static void WriteJson(CborWriter w, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                w.WriteStartMap(obj.Count);
                foreach (var (k, v) in obj) { w.WriteTextString(k); WriteJson(w, v); }
                w.WriteEndMap();
                break;
            case JsonArray list:
                w.WriteStartArray(list.Count);
                foreach (var item in list) WriteJson(w, item);
                w.WriteEndArray();
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                w.WriteTextString(s);
                break;
            case JsonValue v when v.TryGetValue<int>(out var i):
                w.WriteInt32(i);
                break;
            default:
                w.WriteNull();
                break;
        }
    }

    internal static string Scope(string service) =>
        $"AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0000";

    private static string Short(string text) => text.Length <= 60 ? text : text[..60] + $"...({text.Length} chars)";
}

internal static class CorpusRequestExtensions
{
    public static HttpRequestMessage Signed(this HttpRequestMessage request, string service)
    {
        request.Headers.TryAddWithoutValidation("Authorization", MalformedInputCorpusTests.Scope(service));
        return request;
    }

    public static HttpRequestMessage Targeted(this HttpRequestMessage request, string target)
    {
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        return request;
    }

    public static Dictionary<string, string> With(this Dictionary<string, string> members, string key, string value) =>
        new(members) { [key] = value };
}
