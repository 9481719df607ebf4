using System.Text.RegularExpressions;
using Stratus.Services.Logs.Engine.Insights;

namespace Stratus.Tests.Services.Logs.Engine.Insights;

public sealed class InsightsParserTests
{
    [Fact]
    public void Parses_a_pipeline_of_every_command()
    {
        var query = InsightsParser.Parse("""
            fields @timestamp, strlen(@message) as size # a comment
            | filter level = "ERROR" and (latency >= 100 or path like /^\/api/) and not ispresent(debug)
            | parse @message "user=* action=*" as user, action
            | stats count(*) as n, pct(latency, 90) by bin(5m), user
            | sort n desc, user asc
            | limit 20
            | dedup user
            | display n, user
            """);
        Assert.Collection(query.Commands,
            c => Assert.Equal(["@timestamp", "size"], ((FieldsCommand)c).Fields.Select(f => f.Name)),
            c => Assert.IsType<Binary>(((FilterCommand)c).Condition),
            c => Assert.Equal(["user", "action"], ((ParseCommand)c).Names),
            c =>
            {
                var stats = (StatsCommand)c;
                Assert.Equal(["n", "pct(latency, 90)"], stats.Aggregates.Select(a => a.Name));
                Assert.Equal(["bin(5m)", "user"], stats.GroupBy.Select(b => b.Name));
                Assert.Equal(new Literal(300_000d), ((Call)stats.GroupBy[0].Expr).Args[0]);
            },
            c => Assert.Equal([true, false], ((SortCommand)c).Keys.Select(k => k.Descending)),
            c => Assert.Equal(20, ((LimitCommand)c).Count),
            c => Assert.Equal(["user"], ((DedupCommand)c).Fields),
            c => Assert.Equal(["n", "user"], ((DisplayCommand)c).Fields));
    }

    [Fact]
    public void A_query_that_unmasks_says_so_and_one_that_does_not_does_not()
    {
        Assert.True(InsightsParser.Parse("fields @timestamp, @message, unmask(@message) | sort @timestamp desc").Unmasks);
        Assert.True(InsightsParser.Parse("filter unmask(user.email) like /@/ | fields @message").Unmasks);
        Assert.False(InsightsParser.Parse("fields @message | filter @message like \"unmask\"").Unmasks);
    }

    [Fact]
    public void FilterIndex_is_a_filter_an_index_can_answer_while_it_names_the_event_s_own_fields()
    {
        var query = InsightsParser.Parse("fields @timestamp, @message | filterIndex requestId = \"r-1\" | filterIndex n in [1, \"2\"] | filter x = 1");
        Assert.Equal([("requestId", "r-1"), ("n", "1,2")], query.IndexLookups().Select(l => (l.Field, string.Join(",", l.Values))));
        Assert.IsType<Binary>(((FilterCommand)query.Commands[1]).Condition);
        // After a command that sets fields, the name may not be the event's own field: filterIndex then only filters.
        Assert.Empty(InsightsParser.Parse("parse @message \"id=*\" as requestId | filterIndex requestId = \"r-1\"").IndexLookups());
        Assert.Empty(InsightsParser.Parse("fields tolower(a) as requestId | filterIndex requestId = \"r-1\"").IndexLookups());
    }

    [Fact]
    public void Regex_parse_takes_its_field_names_from_the_named_groups()
    {
        var parse = (ParseCommand)InsightsParser.Parse(@"parse @message /took (?<ms>\d+) ms for (?<path>\S+)/").Commands[0];
        Assert.Equal(["ms", "path"], parse.Names);
    }

    [Theory]
    [InlineData("fields @message |", "unexpected end of query at line 1 and position 17")]
    [InlineData("fields @message | bogus x", "unexpected symbol found bogus at line 1 and position 18")]
    [InlineData("filter x = ", "unexpected end of query at line 1 and position 11")]
    [InlineData("fields a\n| filter b = = 3", "unexpected symbol found = at line 2 and position 13")]
    [InlineData("stats count(*) by", "unexpected end of query at line 1 and position 17")]
    [InlineData("filter a ; b", "unexpected symbol found ; at line 1 and position 9")]
    [InlineData("limit 0", "limit must be an integer between 1 and 10000")]
    [InlineData("stats foo(x)", "unknown function foo at line 1 and position 6")]
    [InlineData("filter count(*) > 1", "aggregate function count is only allowed in stats, at line 1 and position 7")]
    [InlineData("stats bin(5m)", "stats requires at least one aggregate function")]
    [InlineData("stats count(*) by bin(5 minutes)", "unexpected symbol found 5 at line 1 and position 22")]
    [InlineData("parse @message \"a=* b=*\" as a", "parse pattern has 2 wildcards but 1 field names")]
    [InlineData("parse @message /no groups/", "parse with a regular expression requires named capture groups")]
    [InlineData("filter @message like /(/", "invalid regular expression at position 21")]
    [InlineData("filter @message like \"open", "unterminated string starting at position 21")]
    [InlineData("", "unexpected end of query at line 1 and position 0")]
    [InlineData("fields unmask(concat(a, b))", "unmask takes a field name, at line 1 and position 7")]
    [InlineData("fields unmask()", "wrong number of arguments to unmask at line 1 and position 7")]
    [InlineData("filterIndex a > 3", "filterIndex takes a field compared with = or in to values, at line 1 and position 0")]
    [InlineData("filterIndex a not in [1]", "filterIndex takes a field compared with = or in to values, at line 1 and position 0")]
    public void Malformed_queries_say_what_and_where(string query, string message)
    {
        var error = Assert.Throws<InsightsSyntaxException>(() => InsightsParser.Parse(query));
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Nesting_and_length_are_bounded()
    {
        var deep = "filter " + new string('(', 200) + "a = 1" + new string(')', 200);
        Assert.Contains("maximum depth of 64", Assert.Throws<InsightsSyntaxException>(() => InsightsParser.Parse(deep)).Message);
        var nots = "filter " + string.Concat(Enumerable.Repeat("not ", 200)) + "a";
        Assert.Contains("maximum depth of 64", Assert.Throws<InsightsSyntaxException>(() => InsightsParser.Parse(nots)).Message);
        var longQuery = "filter a = \"" + new string('x', 10_000) + "\"";
        Assert.Contains("maximum length of 10000", Assert.Throws<InsightsSyntaxException>(() => InsightsParser.Parse(longQuery)).Message);
    }

    [Theory]
    [InlineData("user=* took * ms")]
    [InlineData("*:*")]
    [InlineData("[*] *")]
    [InlineData("a**b")]
    [InlineData("*")]
    [InlineData("x*y*")]
    public void A_glob_captures_what_lazy_regular_expression_captures_would(string glob)
    {
        const string Alphabet = "user= tok ms:[]abxy\n";
        // The glob's meaning written as a regular expression: lazy captures, a trailing wildcard taking the rest.
        var parts = glob.Split('*');
        var regex = new System.Text.RegularExpressions.Regex(Regex.Escape(parts[0]) + string.Concat(parts.Skip(1).Select((p, i) =>
            (i == parts.Length - 2 && p.Length == 0 ? "(.*)" : "(.*?)") + Regex.Escape(p))), RegexOptions.Singleline);
        var pattern = (GlobParsePattern)((ParseCommand)InsightsParser.Parse($"parse @message \"{glob}\" as {string.Join(", ", parts.Skip(1).Select((_, i) => "f" + i))}").Commands[0]).Pattern;
        var random = new Random(9);
        for (var n = 0; n < 2000; n++)
        {
            var value = new string(Enumerable.Range(0, random.Next(14)).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());
            if (n % 5 == 0) value = "user=ann took 12 ms" + value;
            var captures = new string?[parts.Length - 1];
            var match = regex.Match(value);
            Assert.Equal(match.Success, pattern.Match(value, captures));
            if (match.Success) Assert.Equal(match.Groups.Values.Skip(1).Select(g => g.Value), captures);
        }
    }
}
