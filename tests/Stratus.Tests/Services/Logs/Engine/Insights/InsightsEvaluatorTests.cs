using System.Globalization;
using System.Text.Json;
using Stratus.Services.Logs.Engine.Insights;

namespace Stratus.Tests.Services.Logs.Engine.Insights;

/// <summary>Each query's answer is computed here again with LINQ over the same records, independently of the evaluator.</summary>
public sealed class InsightsEvaluatorTests
{
    private const long Start = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    private static readonly string[] Users = ["ann", "bob", "cid", "dee"];
    private static readonly string[] Levels = ["INFO", "WARN", "ERROR"];

    /// <summary>A mix of JSON events (nested fields) and plain text lines, newest first as the service feeds them.</summary>
    private static readonly List<InsightsRecord> Records = MakeRecords();

    private static List<InsightsRecord> MakeRecords()
    {
        var random = new Random(21);
        var records = new List<InsightsRecord>();
        for (var i = 0; i < 600; i++)
        {
            var timestamp = Start + i * 1_700L + random.Next(1_000);
            var user = Users[random.Next(Users.Length)];
            var message = i % 3 == 0
                ? $"user={user} action=login took {random.Next(1, 500)} ms"
                : JsonSerializer.Serialize(new { level = Levels[random.Next(Levels.Length)], latency = random.Next(1, 1000), http = new { path = i % 2 == 0 ? "/api/orders" : "/health", status = random.Next(2) == 0 ? 200 : 500 }, user });
            records.Add(new InsightsRecord(timestamp, message, timestamp + 5, "stream-" + (i % 2), "123456789012:/app"));
        }
        records.Reverse();
        return records;
    }

    private static List<Dictionary<string, string>> Run(string query, int limit = 10_000)
    {
        var result = InsightsEvaluator.Run(InsightsParser.Parse(query), Records, limit, CancellationToken.None);
        return result.Rows.Select(r => r.ToDictionary(f => f.Field, f => f.Value)).ToList();
    }

    private static JsonElement Json(InsightsRecord r) => JsonDocument.Parse(r.Message).RootElement;
    private static bool IsJson(InsightsRecord r) => r.Message.StartsWith('{');
    private static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
    private static string Number(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    [Fact]
    public void Filter_on_nested_json_fields_with_and_or_in_and_comparisons()
    {
        var rows = Run("""filter (level = "ERROR" or level in ["WARN"]) and http.status >= 500 and latency < 700 | fields @timestamp, level, http.path""");
        var expected = Records.Where(IsJson).Where(r =>
        {
            var j = Json(r);
            return j.GetProperty("level").GetString() is "ERROR" or "WARN" && j.GetProperty("http").GetProperty("status").GetInt32() >= 500 && j.GetProperty("latency").GetInt32() < 700;
        }).Select(r => Time(r.Timestamp)).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, rows.Select(r => r["@timestamp"]));
        Assert.All(rows, r => Assert.Equal(["@timestamp", "level", "http.path"], r.Keys));
    }

    [Fact]
    public void Like_with_strings_and_regexes_not_ispresent_and_isempty()
    {
        Assert.Equal(Records.Count(r => r.Message.Contains("login", StringComparison.Ordinal)), Run("filter @message like \"login\"").Count);
        Assert.Equal(Records.Count(r => r.Message.Contains("\"/health\"", StringComparison.Ordinal)), Run("filter http.path =~ /^\\/he/").Count);
        Assert.Equal(Records.Count(r => !IsJson(r)), Run("filter not ispresent(level)").Count);
        Assert.Equal(Records.Count(r => !IsJson(r)), Run("filter isempty(level)").Count);
        Assert.Equal(Records.Count(r => IsJson(r) && Json(r).GetProperty("level").GetString() != "INFO"), Run("filter level != \"INFO\"").Count);
        Assert.Equal(Records.Count(r => IsJson(r) && Json(r).GetProperty("user").GetString() is not ("ann" or "bob")), Run("filter user not in [\"ann\", \"bob\"]").Count);
    }

    [Fact]
    public void Stats_by_bin_match_a_grouping_of_the_records()
    {
        var rows = Run("stats count(*) as n, max(latency) as worst by bin(1m) as minute | sort minute asc");
        var expected = Records.GroupBy(r => r.Timestamp - r.Timestamp % 60_000).OrderBy(g => g.Key).Select(g => new Dictionary<string, string>
        {
            ["minute"] = Time(g.Key),
            ["n"] = Number(g.Count()),
            ["worst"] = Number(g.Where(IsJson).Max(r => Json(r).GetProperty("latency").GetDouble())),
        }).ToList();
        Assert.Equal(expected, rows);
    }

    [Fact]
    public void Stats_aggregates_by_a_field()
    {
        var rows = Run("filter ispresent(latency) | stats count(*) as n, sum(latency) as total, avg(latency) as mean, min(latency) as low, pct(latency, 90) as p90, count_distinct(http.path) as paths by user | sort user");
        var expected = Records.Where(IsJson).GroupBy(r => Json(r).GetProperty("user").GetString()!).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var latencies = g.Select(r => Json(r).GetProperty("latency").GetDouble()).Order().ToList();
            return new Dictionary<string, string>
            {
                ["user"] = g.Key,
                ["n"] = Number(latencies.Count),
                ["total"] = Number(latencies.Sum()),
                ["mean"] = Number(latencies.Sum() / latencies.Count),
                ["low"] = Number(latencies[0]),
                ["p90"] = Number(latencies[(int)Math.Ceiling(0.9 * latencies.Count) - 1]),
                ["paths"] = Number(g.Select(r => Json(r).GetProperty("http").GetProperty("path").GetString()).Distinct().Count()),
            };
        }).ToList();
        Assert.Equal(expected, rows);
    }

    [Fact]
    public void Parse_with_glob_and_regex_then_stats()
    {
        var glob = Run("filter @message like \"action=\" | parse @message \"user=* action=* took * ms\" as who, what, ms | stats sum(ms) as total by who | sort who");
        var regex = Run(@"parse @message /user=(?<who>\w+) action=\w+ took (?<ms>\d+) ms/ | filter ispresent(who) | stats sum(ms) as total by who | sort who");
        var expected = Records.Where(r => !IsJson(r)).Select(r => r.Message.Split(' '))
            .GroupBy(p => p[0][5..]).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Dictionary<string, string> { ["who"] = g.Key, ["total"] = Number(g.Sum(p => double.Parse(p[3], CultureInfo.InvariantCulture))) })
            .ToList();
        Assert.Equal(expected, glob);
        Assert.Equal(expected, regex);
    }

    [Fact]
    public void Sort_limit_dedup_and_display()
    {
        var rows = Run("filter ispresent(latency) | sort latency desc, @timestamp asc | dedup user | display user, latency");
        var expected = Records.Where(IsJson).OrderByDescending(r => Json(r).GetProperty("latency").GetInt32()).ThenBy(r => r.Timestamp)
            .DistinctBy(r => Json(r).GetProperty("user").GetString())
            .Select(r => new Dictionary<string, string> { ["user"] = Json(r).GetProperty("user").GetString()!, ["latency"] = Json(r).GetProperty("latency").GetInt32().ToString(CultureInfo.InvariantCulture) })
            .ToList();
        Assert.Equal(expected, rows);
        Assert.Equal(7, Run("fields @message | limit 7").Count);
        Assert.Equal(3, Run("fields @message | limit 7", limit: 3).Count);
    }

    [Fact]
    public void Functions_and_default_fields()
    {
        var newest = Records[0];
        var row = Run("fields toupper(@logStream) as s, strlen(@message) as len, concat(@logStream, \"/\", \"x\") as c, abs(-2.5) as a, floor(2.5) as f, ceil(2.5) as up | limit 1").Single();
        Assert.Equal(new Dictionary<string, string>
        {
            ["s"] = newest.LogStream.ToUpperInvariant(), ["len"] = Number(newest.Message.Length), ["c"] = newest.LogStream + "/x", ["a"] = "2.5", ["f"] = "2", ["up"] = "3",
        }, row);
        Assert.Equal(new Dictionary<string, string>
        {
            ["@timestamp"] = Time(newest.Timestamp), ["@message"] = newest.Message, ["@logStream"] = newest.LogStream, ["@log"] = newest.Log,
        }, Run("limit 1").Single());
    }

    [Fact]
    public void Statistics_are_counted_and_a_cancelled_query_stops()
    {
        var result = InsightsEvaluator.Run(InsightsParser.Parse("filter @message like \"login\" | stats count(*)"), Records, 1000, CancellationToken.None);
        Assert.Equal(Records.Count, result.RecordsScanned);
        Assert.Equal(Records.Count(r => r.Message.Contains("login", StringComparison.Ordinal)), result.RecordsMatched);
        Assert.Equal(Records.Sum(r => (long)System.Text.Encoding.UTF8.GetByteCount(r.Message)), result.BytesScanned);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => InsightsEvaluator.Run(InsightsParser.Parse("stats count(*)"), Records.Concat(Records), 1000, cancel.Token));
    }

    [Theory]
    [InlineData("stats count(*) as n, max(latency) as worst, min(user) as first by bin(1m) as minute")]
    [InlineData("filter @message like \"took\" | parse @message \"user=* action=* took * ms\" as who, what, ms | stats sum(ms) as total, avg(ms), pct(ms, 90), count_distinct(what) by who")]
    [InlineData("fields strlen(@message) as size | filter http.status = 500 | stats count(*), sum(size) by http.path, level")]
    [InlineData("filter user = \"nobody\" | stats count(*) as n")]
    public void Partitions_scanned_apart_answer_as_one_pass_does(string query)
    {
        // A sort before stats takes the one-pass path (every row through each command in turn): the answer is the same
        // groups, in the order the sort gave them instead of the records' own.
        var onePass = Rows(InsightsEvaluator.Run(InsightsParser.Parse("sort @timestamp desc | " + query), Records, 10_000, CancellationToken.None));
        IEnumerable<InsightsRecord>[] partitions = [Records.Take(100), Records.Skip(100).Take(333), Records.Skip(433)];
        var parted = InsightsEvaluator.Run(InsightsParser.Parse(query), partitions, 10_000, CancellationToken.None);
        Assert.NotEmpty(onePass);
        Assert.Equal(Order(onePass), Order(Rows(parted)));
        Assert.Equal(Records.Count, parted.RecordsScanned);
        // Groups come in the order the records first show them, whatever partition they are in.
        var whole = Rows(InsightsEvaluator.Run(InsightsParser.Parse(query), Records, 10_000, CancellationToken.None));
        Assert.Equal(whole, Rows(parted));
    }

    [Theory]
    [InlineData("sort level desc | limit 25", 10_000)]
    [InlineData("sort level asc, latency desc | limit 40", 10_000)]
    [InlineData("filter ispresent(latency) | sort http.status desc | fields user, level | limit 30", 10_000)]
    [InlineData("sort nothere asc | limit 5", 10_000)]
    [InlineData("sort latency desc | limit 50", 7)]
    [InlineData("sort @timestamp asc", 20)]
    [InlineData("sort @timestamp desc | limit 15", 10_000)]
    [InlineData("filter ispresent(latency) | sort @timestamp desc, latency asc | limit 12", 10_000)]
    [InlineData("fields strlen(@message) as @timestamp | sort @timestamp desc | limit 10", 10_000)]
    public void A_sort_then_limit_keeps_each_partitions_best_rows_and_answers_as_sorting_every_row_does(string query, int limit)
    {
        // A filter after the sort needs every sorted row, so that query sorts them all; ties keep the records' order in both.
        IEnumerable<InsightsRecord>[] partitions = [Records.Take(100), Records.Skip(100).Take(333), Records.Skip(433)];
        var everyRow = InsightsEvaluator.Run(InsightsParser.Parse(query.Replace("| limit", "| filter 1 = 1 | limit", StringComparison.Ordinal) + " | filter 1 = 1"), Records, limit, CancellationToken.None);
        var top = InsightsEvaluator.Run(InsightsParser.Parse(query), partitions, limit, CancellationToken.None);
        Assert.NotEmpty(Rows(top));
        Assert.Equal(Rows(everyRow), Rows(top));
        Assert.Equal(Records.Count, top.RecordsScanned);
        Assert.Equal(Rows(top).Count, top.RecordsMatched);
    }

    [Fact]
    public void A_sort_on_a_field_with_ties_keeps_the_records_order_among_equal_values()
    {
        IEnumerable<InsightsRecord>[] partitions = [Records.Take(250), Records.Skip(250)];
        var desc = InsightsEvaluator.Run(InsightsParser.Parse("sort level desc | fields @message | limit 25"), partitions, 10_000, CancellationToken.None);
        var asc = InsightsEvaluator.Run(InsightsParser.Parse("sort level | display @message | limit 25"), partitions, 10_000, CancellationToken.None);
        // Records without the field come last either way.
        Assert.Equal(Records.Where(IsJson).OrderByDescending(r => Json(r).GetProperty("level").GetString(), StringComparer.Ordinal).Take(25).Select(r => r.Message),
            desc.Rows.Select(r => r.Single(f => f.Field == "@message").Value));
        Assert.Equal(Records.Where(IsJson).OrderBy(r => Json(r).GetProperty("level").GetString(), StringComparer.Ordinal).Take(25).Select(r => r.Message),
            asc.Rows.Select(r => r.Single(f => f.Field == "@message").Value));
        var missing = InsightsEvaluator.Run(InsightsParser.Parse("sort level desc | fields @message"), partitions, 600, CancellationToken.None);
        Assert.Equal(Records.Where(r => !IsJson(r)).Select(r => r.Message), missing.Rows.Select(r => r.Single(f => f.Field == "@message").Value).Skip(Records.Count(IsJson)));
    }

    [Fact]
    public void Partitions_read_newest_first_merge_into_one_newest_first_sequence_with_ties_in_partition_order()
    {
        static InsightsRecord At(long timestamp, string message) => new(timestamp, message, timestamp, "s", "l");
        IEnumerable<InsightsRecord>[] partitions = [[At(5, "a3"), At(3, "a2"), At(3, "a2b"), At(1, "a1")], [At(5, "b2"), At(4, "b1")], []];
        Assert.Equal(["a3", "b2", "b1", "a2", "a2b", "a1"], InsightsEvaluator.NewestFirst(partitions).Select(r => r.Message));
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount("héllo"), new InsightsRecord(0, "héllo", 0, "s", "l").MessageBytes);
    }

    [Fact]
    public void Unmask_shows_the_stored_message_and_its_fields_where_the_record_was_masked()
    {
        const string stored = "{\"user\":\"ann@example.com\",\"n\":1}";
        const string masked = "{\"user\":\"***************\",\"n\":1}";
        InsightsRecord[] records =
        [
            new(Start + 1, masked, Start + 1, "s", "123456789012:/app", masked.Length, 1, UnmaskedMessage: stored),
            new(Start, "plain", Start, "s", "123456789012:/app", 5, 2),
        ];
        var result = InsightsEvaluator.Run(InsightsParser.Parse("fields @message, unmask(@message) as raw, user, unmask(user) as email, unmask(n) as n2"),
            records, 10, CancellationToken.None);

        Assert.Equal([
            $"@message={masked}, raw={stored}, user=***************, email=ann@example.com, n2=1",
            "@message=plain, raw=plain",
        ], Rows(result));
        // A filter on the unmasked value finds what the masked one hides.
        Assert.Single(InsightsEvaluator.Run(InsightsParser.Parse("filter unmask(user) = \"ann@example.com\""), records, 10, CancellationToken.None).Rows);
        Assert.Empty(InsightsEvaluator.Run(InsightsParser.Parse("filter user = \"ann@example.com\""), records, 10, CancellationToken.None).Rows);
    }

    private static List<string> Rows(InsightsResult result) => result.Rows.Select(r => string.Join(", ", r.Select(f => $"{f.Field}={f.Value}"))).ToList();

    private static List<string> Order(List<string> rows) => rows.Order(StringComparer.Ordinal).ToList();
}
