using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch.Engine;

public sealed class AlarmRuleTests
{
    private static readonly Dictionary<string, string> States = new()
    {
        ["cpu"] = "ALARM",
        ["disk"] = "OK",
        ["deploy"] = "INSUFFICIENT_DATA",
        ["arn:aws:cloudwatch:us-east-1:000000000000:alarm:net"] = "ALARM",
        ["name with spaces"] = "OK",
    };

    private static bool Holds(string rule) => AlarmRule.Parse(rule).Evaluate(name => States.GetValueOrDefault(name));

    [Theory]
    [InlineData("ALARM(cpu)", true)]
    [InlineData("ALARM(disk)", false)]
    [InlineData("OK(disk)", true)]
    [InlineData("INSUFFICIENT_DATA(deploy)", true)]
    [InlineData("ALARM(\"cpu\")", true)]
    [InlineData("ALARM( cpu )", true)]
    [InlineData("ALARM(\"arn:aws:cloudwatch:us-east-1:000000000000:alarm:net\")", true)]
    [InlineData("OK(\"name with spaces\")", true)]
    [InlineData("TRUE", true)]
    [InlineData("FALSE", false)]
    [InlineData("NOT ALARM(disk)", true)]
    [InlineData("NOT NOT ALARM(disk)", false)]
    [InlineData("ALARM(cpu) AND ALARM(disk)", false)]
    [InlineData("ALARM(cpu) OR ALARM(disk)", true)]
    [InlineData("ALARM(cpu) AND NOT ALARM(deploy)", true)]
    // AND binds tighter than OR: FALSE OR (TRUE AND FALSE) is false; (FALSE OR TRUE) AND FALSE would be too, so also check the other grouping.
    [InlineData("TRUE OR FALSE AND FALSE", true)]
    [InlineData("(TRUE OR FALSE) AND FALSE", false)]
    [InlineData("(ALARM(cpu) OR ALARM(disk)) AND OK(disk)", true)]
    [InlineData("ALARM(missing)", false)]
    [InlineData("NOT OK(missing)", true)]
    public void Evaluates_as_AWS_documents_the_grammar(string rule, bool expected) => Assert.Equal(expected, Holds(rule));

    [Fact]
    public void Children_are_the_alarms_named_each_once_in_order()
    {
        var rule = AlarmRule.Parse("ALARM(cpu) OR (OK(\"disk\") AND NOT ALARM(cpu)) OR TRUE");
        Assert.Equal(["cpu", "disk"], rule.Children);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ALARM(cpu) AND")]
    [InlineData("ALARM(cpu")]
    [InlineData("ALARM()")]
    [InlineData("ALARM(\"cpu)")]
    [InlineData("(ALARM(cpu)")]
    [InlineData("ALARM(cpu))")]
    [InlineData("alarm(cpu)")]
    [InlineData("ALARMS(cpu)")]
    [InlineData("ALARM(cpu) XOR OK(disk)")]
    [InlineData("TRUEISH")]
    public void Malformed_rules_are_refused(string rule) => Assert.Throws<AlarmRuleException>(() => AlarmRule.Parse(rule));

    [Fact]
    public void Nesting_is_bounded_so_a_rule_cannot_exhaust_the_stack()
    {
        var deep = new string('(', 5_000) + "TRUE" + new string(')', 5_000);
        var error = Assert.Throws<AlarmRuleException>(() => AlarmRule.Parse(deep));
        Assert.Contains("64", error.Message);
        var notChain = string.Concat(Enumerable.Repeat("NOT ", 65)) + "TRUE";
        Assert.Throws<AlarmRuleException>(() => AlarmRule.Parse(notChain));
        Assert.True(AlarmRule.Parse(new string('(', 60) + "TRUE" + new string(')', 60)).Evaluate(_ => null));
    }

    [Fact]
    public void AWS_limits_of_100_children_and_500_elements_hold()
    {
        var hundred = string.Join(" OR ", Enumerable.Range(0, 100).Select(i => $"ALARM(a{i})"));
        Assert.Equal(100, AlarmRule.Parse(hundred).Children.Count);
        var tooMany = string.Join(" OR ", Enumerable.Range(0, 101).Select(i => $"ALARM(a{i})"));
        Assert.Contains("100", Assert.Throws<AlarmRuleException>(() => AlarmRule.Parse(tooMany)).Message);
        var manyElements = string.Join(" OR ", Enumerable.Repeat("TRUE", 501));
        Assert.Contains("500", Assert.Throws<AlarmRuleException>(() => AlarmRule.Parse(manyElements)).Message);
    }
}
