using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Logs;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.CloudWatch;

namespace Stratus.Tests.Services.Logs;

/// <summary>
/// Account-level policies through the engines their group-level siblings use, and field indexes: filterIndex answers the
/// rows filter answers for the same condition over indexed events, reading fewer of them.
/// </summary>
public sealed class LogsAccountPolicyAndIndexTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly LogsService _logs;
    private readonly Scope _call = TestCalls.Call();
    private readonly long _nowMs = Now.ToUnixTimeMilliseconds();
    private readonly RecordingMetrics _published = new();
    private readonly RecordingLambda _invoked = new();

    public LogsAccountPolicyAndIndexTests()
    {
        _logs = new LogsService(StateStore.Ephemeral(), _clock, _published, NullLogger.Instance, _invoked, () => null);
        foreach (var group in (string[])["/app/orders", "/app/web", "/aws/lambda/sink"])
        {
            _logs.CreateLogGroup(_call, group, []);
            _logs.CreateLogStream(_call, group, "s1");
            _logs.CreateLogStream(_call, group, "s2");
        }
    }

    public void Dispose() => _logs.Dispose();

    /// <summary>A data protection policy masking one managed data identifier.</summary>
    private static string Policy(string identifier) => """
        {"Statement": [
            {"DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/IDENTIFIER"], "Operation": {"Audit": {"FindingsDestination": {}}}},
            {"DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/IDENTIFIER"], "Operation": {"Deidentify": {"MaskConfig": {}}}}]}
        """.Replace("IDENTIFIER", identifier, StringComparison.Ordinal);

    private void Put(string group, string stream, params string[] messages) =>
        _logs.PutLogEventsAsync(_call, group, stream, messages.Select((m, i) => (_nowMs + i, m)).ToList()).GetAwaiter().GetResult();

    private string Read(string group, string stream) => string.Join("|", _logs.GetLogEvents(_call, group, stream, null, null, null, 100, true).Events.Select(e => e.Message));

    private Task<AccountPolicy> PutAccount(string name, string type, string document, string? criteria = null) =>
        _logs.PutAccountPolicyAsync(_call, name, type, document, criteria, CancellationToken.None);

    [Fact]
    public async Task An_account_data_protection_policy_masks_every_group_together_with_a_group_s_own()
    {
        _logs.PutDataProtectionPolicy(_call, "/app/orders", Policy("IpAddress"));
        await PutAccount("everyone", AccountPolicyTypes.DataProtection, Policy("EmailAddress"));
        Put("/app/orders", "s1", "ann@example.com from 10.0.0.1");
        Put("/app/web", "s1", "ann@example.com from 10.0.0.1");

        // Cumulative, as AWS documents: the group's policy hides the address, the account's the email, in every group.
        Assert.Equal("*************** from ********", Read("/app/orders", "s1"));
        Assert.Equal("*************** from 10.0.0.1", Read("/app/web", "s1"));
        Assert.Equal("LimitExceededException", (await Assert.ThrowsAsync<AwsException>(() => PutAccount("second", AccountPolicyTypes.DataProtection, Policy("IpAddress")))).Code);
        Assert.Equal("InvalidParameterException", (await Assert.ThrowsAsync<AwsException>(() =>
            PutAccount("everyone", AccountPolicyTypes.DataProtection, Policy("EmailAddress"), "LogGroupName NOT IN [\"/app/web\"]"))).Code);

        // Deleting it does not unmask what it protected; what comes after is not masked.
        _clock.Advance(TimeSpan.FromSeconds(1));
        _logs.DeleteAccountPolicy(_call, "everyone", AccountPolicyTypes.DataProtection);
        Put("/app/web", "s2", "bob@example.com");
        Assert.Equal("*************** from 10.0.0.1", Read("/app/web", "s1"));
        Assert.Equal("bob@example.com", Read("/app/web", "s2"));
        Assert.Empty(_logs.DescribeAccountPolicies(_call, AccountPolicyTypes.DataProtection, null, []));
        Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => _logs.DeleteAccountPolicy(_call, "everyone", AccountPolicyTypes.DataProtection)).Code);
    }

    [Fact]
    public async Task An_account_subscription_filter_policy_delivers_every_group_but_those_it_leaves_out()
    {
        var function = $"arn:aws:lambda:{_call.Region}:{_call.AccountId}:function:sink";
        var policy = await PutAccount("all-errors", AccountPolicyTypes.SubscriptionFilter,
            $$"""{"DestinationArn": "{{function}}", "FilterPattern": "ERROR", "Distribution": "Random"}""", "LogGroupName NOT IN [\"/aws/lambda/sink\"]");
        Assert.Equal("logs.amazonaws.com", policy.InvokePrincipal);
        Assert.Equal($"arn:aws:logs:{_call.Region}:{_call.AccountId}:log-group:*", _invoked.Requests.Single(r => r.DryRun).SourceArn);

        Put("/aws/lambda/sink", "s1", "ERROR from the function itself");
        Put("/app/orders", "s1", "INFO fine", "ERROR broken");
        Put("/app/web", "s1", "ERROR down");

        // Deliveries leave in the order the batches were stored: had the function's own group been delivered, it would be first.
        var deliveries = await DeliveriesAsync(2);
        Assert.Equal(["/app/orders: ERROR broken", "/app/web: ERROR down"],
            deliveries.Select(d => $"{d.Group}: {string.Join(",", d.Messages)}").Order());
        Assert.All(deliveries, d => Assert.Equal(["all-errors"], d.Filters));
        Assert.Equal("LimitExceededException", (await Assert.ThrowsAsync<AwsException>(() =>
            PutAccount("another", AccountPolicyTypes.SubscriptionFilter, $$"""{"DestinationArn": "{{function}}"}"""))).Code);
        Assert.Equal("InvalidParameterException", (await Assert.ThrowsAsync<AwsException>(() =>
            PutAccount("all-errors", AccountPolicyTypes.SubscriptionFilter, $$"""{"DestinationArn": "{{function}}"}""", "LogGroupNamePrefix IN [\"/app\"]"))).Code);
        var refused = await Assert.ThrowsAsync<AwsException>(() => PutAccount("emf", AccountPolicyTypes.MetricExtraction, "{}"));
        Assert.Contains("METRIC_EXTRACTION_POLICY", refused.Message);
    }

    [Fact]
    public async Task An_account_transformer_policy_transforms_the_groups_it_selects_that_have_none_of_their_own()
    {
        const string addKey = """{"transformerConfig": [{"parseJSON": {}}, {"addKeys": {"entries": [{"key": "by", "value": "account"}]}}]}""";
        await PutAccount("apps", AccountPolicyTypes.Transformer, addKey, "LogGroupNamePrefix IN [\"/app\"]");
        _logs.PutTransformer(_call, "/app/web", System.Text.Json.Nodes.JsonNode.Parse("""[{"parseJSON": {}}, {"addKeys": {"entries": [{"key": "by", "value": "group"}]}}]""")!.AsArray());
        Put("/app/orders", "s1", """{"a":1}""");
        Put("/app/web", "s1", """{"a":1}""");
        Put("/aws/lambda/sink", "s1", """{"a":1}""");

        Assert.Equal("""{"a":1,"by":"account"}""", Read("/app/orders", "s1"));
        Assert.Equal("""{"a":1,"by":"group"}""", Read("/app/web", "s1"));
        Assert.Equal("""{"a":1}""", Read("/aws/lambda/sink", "s1"));
        // Scoped policies may not overlap, and an account-wide one cannot sit beside them.
        Assert.Equal("InvalidParameterException", (await Assert.ThrowsAsync<AwsException>(() =>
            PutAccount("orders", AccountPolicyTypes.Transformer, addKey, "LogGroupNamePrefix IN [\"/app/orders\"]"))).Code);
        Assert.Equal("LimitExceededException", (await Assert.ThrowsAsync<AwsException>(() => PutAccount("all", AccountPolicyTypes.Transformer, addKey))).Code);
    }

    [Fact]
    public async Task FilterIndex_answers_the_rows_filter_answers_and_reads_only_the_events_that_can_match()
    {
        Put("/app/orders", "s1", """{"requestId":"before","n":0}""");
        _clock.Advance(TimeSpan.FromSeconds(1));
        _logs.PutIndexPolicy(_call, "/app/orders", """{"Fields": ["requestId", "n"]}""");
        _clock.Advance(TimeSpan.FromSeconds(1));
        var requests = new[] { "a", "b", "c", "d" };
        for (var i = 0; i < 40; i++)
            Put("/app/orders", i % 4 == 0 ? "s2" : "s1", "{\"requestId\":\"" + requests[i % 4] + "\",\"n\":" + (i % 5) + "}", "plain text line");
        Put("/app/web", "s1", """{"requestId":"a","n":1}""");

        foreach (var condition in (string[])["requestId = \"b\"", "requestId in [\"a\", \"c\"]", "n = 3", "n = \"3\"", "requestId = \"zzz\""])
        {
            var filtered = await Run($"fields @timestamp, requestId, n | filter {condition} | sort @timestamp desc", "/app/orders");
            var indexed = await Run($"fields @timestamp, requestId, n | filterIndex {condition} | sort @timestamp desc", "/app/orders");
            // The same rows (events of one timestamp may come in another order: the sort keeps their arrival order).
            Assert.Equal(Rows(filtered).Order(StringComparer.Ordinal), Rows(indexed).Order(StringComparer.Ordinal));
            Assert.NotEqual(0, filtered.Rows.Count + (condition.Contains("zzz", StringComparison.Ordinal) ? 1 : 0));
            // filter reads every event in range; filterIndex only those the index holds the value for.
            Assert.Equal(81, filtered.RecordsScanned);
            Assert.Equal(indexed.RecordsMatched, indexed.RecordsScanned);
        }
        Assert.Equal(10, (await Run("filterIndex requestId = \"b\"", "/app/orders")).Rows.Count);
        // Events ingested before the field was indexed and groups not indexed on it are not searched, as on AWS.
        Assert.Empty((await Run("filterIndex requestId = \"before\"", "/app/orders")).Rows);
        Assert.Single((await Run("filter requestId = \"before\"", "/app/orders")).Rows);
        Assert.Equal(10, (await Run("filterIndex requestId = \"a\"", "/app/orders", "/app/web")).Rows.Count);

        var indexes = _logs.DescribeFieldIndexes(_call, ["/app/orders", "/app/web"]);
        Assert.Equal(["n", "requestId"], indexes.Select(f => f.Field));
        Assert.All(indexes, f => Assert.Equal((_nowMs, _nowMs), (f.FirstEventTime, f.LastEventTime)));
        Assert.Equal("LOG_GROUP", _logs.DescribeIndexPolicies(_call, ["/app/orders"]).Single().Source);
        Assert.Empty(_logs.DescribeIndexPolicies(_call, ["/app/web"]));
        Assert.True(_logs.IsIndexedOn(_logs.DescribeLogGroups(_call, "/app/orders", null)[0], ["requestId"]));
    }

    [Fact]
    public async Task An_account_field_index_policy_indexes_the_groups_it_selects_unless_they_have_their_own()
    {
        await PutAccount("apps", AccountPolicyTypes.FieldIndex, """{"Fields": ["user"]}""", "LogGroupNamePrefix IN [\"/app\"]");
        _logs.PutIndexPolicy(_call, "/app/web", """{"Fields": ["session"]}""");
        _clock.Advance(TimeSpan.FromSeconds(1));
        Put("/app/orders", "s1", """{"user":"ann","session":"x"}""");
        Put("/app/web", "s1", """{"user":"ann","session":"x"}""");

        Assert.Single((await Run("filterIndex user = \"ann\"", "/app/orders", "/app/web")).Rows);
        Assert.Single((await Run("filterIndex session = \"x\"", "/app/orders", "/app/web")).Rows);
        var account = _logs.DescribeIndexPolicies(_call, ["/app/orders"]).Single();
        Assert.Equal(("ACCOUNT", "apps"), (account.Source, account.PolicyName));
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => _logs.PutIndexPolicy(_call, "/app/web", """{"Fields": []}""")).Code);
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() =>
            _logs.PutIndexPolicy(_call, "/app/web", $$"""{"Fields": [{{string.Join(",", Enumerable.Range(0, 21).Select(i => $"\"f{i}\""))}}]}""")).Code);
        _logs.DeleteIndexPolicy(_call, "/app/web");
        Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => _logs.DeleteIndexPolicy(_call, "/app/web")).Code);
    }

    private async Task<Stratus.Services.Logs.Engine.Insights.InsightsResult> Run(string query, params string[] groups)
    {
        var id = _logs.StartQuery(_call, new StartQueryInput(groups, _nowMs / 1000 - 60, _nowMs / 1000 + 60, query, null, null));
        var info = await _logs.FinishedAsync(_call, id, CancellationToken.None);
        Assert.Equal(QueryStatus.Complete, info.Status);
        return info.Result!;
    }

    private static List<string> Rows(Stratus.Services.Logs.Engine.Insights.InsightsResult result) =>
        result.Rows.Select(r => string.Join(", ", r.Select(f => $"{f.Field}={f.Value}"))).ToList();

    /// <summary>The subscription deliveries (not the dry runs), once there are <paramref name="count"/>, decoded as a function would decode them.</summary>
    private async Task<IReadOnlyList<(string Group, string[] Messages, string[] Filters)>> DeliveriesAsync(int count) =>
        (await _invoked.WaitForCountAsync(count, r => !r.DryRun)).Select(LogsServiceTests.Decoded).Select(message =>
            ((string)message["logGroup"]!, message["logEvents"]!.AsArray().Select(e => (string)e!["message"]!).ToArray(),
                message["subscriptionFilters"]!.AsArray().Select(f => (string)f!).ToArray())).ToList();
}
