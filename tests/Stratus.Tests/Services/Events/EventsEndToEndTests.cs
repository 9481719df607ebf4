using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.Events;

/// <summary>EventBridge through boto3: rules, targets and buses as AWS answers them, and PutEvents reaching a Python function.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class EventsEndToEndTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Put_events_reach_the_function_the_matching_rule_targets_once_its_policy_allows_eventbridge()
    {
        var r = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + EventScripts.Prelude + """
            ev = client("events")
            function = create("ev-worker", {"app.py": WORKER})["FunctionArn"]
            pattern = json.dumps({"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}})
            rule = ev.put_rule(Name="big-orders", EventPattern=pattern, Description="orders over 100", Tags=[{"Key": "team", "Value": "shop"}])["RuleArn"]
            out["rule"] = rule
            out["targets"] = ev.put_targets(Rule="big-orders", Targets=[
                {"Id": "whole", "Arn": function},
                {"Id": "shaped", "Arn": function, "InputTransformer": {"InputPathsMap": {"t": "$.detail.total"},
                                                                     "InputTemplate": '{"total": <t>, "rule": "<aws.events.rule-name>"}'}}])["FailedEntryCount"]
            lam.add_permission(FunctionName="ev-worker", StatementId="events", Action="lambda:InvokeFunction",
                               Principal="events.amazonaws.com", SourceArn=rule)
            put = ev.put_events(Entries=[
                {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 250})},
                {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 5})},
                {"DetailType": "Order Placed", "Detail": "{}"}])
            out["put"] = [put["FailedEntryCount"], [sorted(e) for e in put["Entries"]], put["Entries"][2]]
            got = received("ev-worker", 2)
            time.sleep(1)
            out["received"] = received("ev-worker", 3, timeout=0)
            described = ev.describe_rule(Name="big-orders")
            out["described"] = [described[k] for k in ("Name", "Arn", "EventPattern", "State", "Description", "EventBusName")]
            out["listed"] = [x["Id"] for x in ev.list_targets_by_rule(Rule="big-orders")["Targets"]]
            out["tags"] = ev.list_tags_for_resource(ResourceARN=rule)["Tags"]
            out["byTarget"] = ev.list_rule_names_by_target(TargetArn=function)["RuleNames"]
            out["test"] = ev.test_event_pattern(EventPattern=pattern, Event=json.dumps({"id": "1", "account": "000000000000", "source": "shop",
                "time": "2026-12-05T10:00:00Z", "region": "us-east-1", "resources": [], "detail-type": "x", "detail": {"total": 101}}))["Result"]
            out["withTargets"] = error(ev.delete_rule, Name="big-orders")
            out["badRate"] = error(ev.put_rule, Name="bad", ScheduleExpression="rate(1 minutes)")
            out["badPattern"] = error(ev.put_rule, Name="bad", EventPattern='{"source": "shop"}')
            out["badName"] = error(ev.put_rule, Name="bad name", ScheduleExpression="rate(1 minute)")
            out["missing"] = error(ev.describe_rule, Name="nope")
            out["notLambda"] = error(ev.put_targets, Rule="big-orders", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}])
            ev.disable_rule(Name="big-orders")
            out["disabled"] = ev.describe_rule(Name="big-orders")["State"]
            ev.remove_targets(Rule="big-orders", Ids=["whole", "shaped"])
            ev.delete_rule(Name="big-orders")
            out["bus"] = ev.describe_event_bus()["Arn"]
            out["custom"] = ev.create_event_bus(Name="orders-bus")["EventBusArn"]
            out["again"] = error(ev.create_event_bus, Name="orders-bus")
            out["buses"] = [b["Name"] for b in ev.list_event_buses()["EventBuses"]]
            out["scheduleOnCustom"] = error(ev.put_rule, Name="tick", ScheduleExpression="rate(1 minute)", EventBusName="orders-bus")
            ev.delete_event_bus(Name="orders-bus")
            out["got"] = got
            """);

        Assert.Equal("arn:aws:events:us-east-1:000000000000:rule/big-orders", (string?)r["rule"]);
        Assert.Equal(0, (int)r["targets"]!);
        Assert.Equal("""[1,[["EventId"],["EventId"],["ErrorCode","ErrorMessage"]],{"ErrorCode":"InvalidArgument","ErrorMessage":"Parameter Source is not valid. Reason: Source is a required argument."}]""",
            r["put"]!.ToJsonString());
        // Only the order over 100 matched: one delivery per target, and nothing for the other.
        var received = r["received"]!.AsArray();
        Assert.Equal(2, received.Count);
        Assert.Contains(received, e => e!.ToJsonString() == """{"total":250,"rule":"big-orders"}""");
        var whole = received.Single(e => e!["detail-type"] is not null)!;
        Assert.Equal(["0", "Order Placed", "shop", "000000000000", "us-east-1"],
            new[] { "version", "detail-type", "source", "account", "region" }.Select(f => (string)whole[f]!));
        Assert.Equal("""{"total":250}""", whole["detail"]!.ToJsonString());
        var described = r["described"]!.AsArray().Select(d => (string)d!).ToList();
        Assert.Equal("big-orders", described[0]);
        Assert.Equal("arn:aws:events:us-east-1:000000000000:rule/big-orders", described[1]);
        Assert.Equal("""{"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}}""", described[2]);
        Assert.Equal("ENABLED", described[3]);
        Assert.Equal("orders over 100", described[4]);
        Assert.Equal("default", described[5]);
        Assert.Equal("""["whole","shaped"]""", r["listed"]!.ToJsonString());
        Assert.Equal("""[{"Key":"team","Value":"shop"}]""", r["tags"]!.ToJsonString());
        Assert.Equal("""["big-orders"]""", r["byTarget"]!.ToJsonString());
        Assert.True((bool)r["test"]!);
        Assert.Equal("Rule can't be deleted since it has targets.", (string?)r["withTargets"]!["message"]);
        Assert.Equal("ValidationException", (string?)r["badRate"]!["code"]);
        Assert.Equal("Parameter ScheduleExpression is not valid.", (string?)r["badRate"]!["message"]);
        Assert.Equal("InvalidEventPatternException", (string?)r["badPattern"]!["code"]);
        Assert.Equal("ValidationException", (string?)r["badName"]!["code"]);
        Assert.Equal("ResourceNotFoundException", (string?)r["missing"]!["code"]);
        Assert.Equal("Rule nope does not exist on EventBus default.", (string?)r["missing"]!["message"]);
        Assert.Contains("is not a Lambda function", (string?)r["notLambda"]!["message"]);
        Assert.Equal("DISABLED", (string?)r["disabled"]);
        Assert.Equal("arn:aws:events:us-east-1:000000000000:event-bus/default", (string?)r["bus"]);
        Assert.Equal("arn:aws:events:us-east-1:000000000000:event-bus/orders-bus", (string?)r["custom"]);
        Assert.Equal("ResourceAlreadyExistsException", (string?)r["again"]!["code"]);
        Assert.Equal("""["default","orders-bus"]""", r["buses"]!.ToJsonString());
        Assert.Equal("ScheduleExpression is supported only on the default event bus.", (string?)r["scheduleOnCustom"]!["message"]);
    }
}
