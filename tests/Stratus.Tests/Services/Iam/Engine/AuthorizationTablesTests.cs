using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.CloudWatch;
using Stratus.Services.Events;
using Stratus.Services.Iam.Engine;
using Stratus.Services.Lambda;
using Stratus.Services.Logs;
using Stratus.Services.Rds;
using Stratus.Services.Ssm;

namespace Stratus.Tests.Services.Iam.Engine;

/// <summary>The per-service resolvers: which ARN(s) and action each typed input is authorized against, as the Service Authorization Reference states.</summary>
public sealed class AuthorizationTablesTests
{
    private const string Account = "123456789012";

    private static OperationInput Input(JsonObject body, string method = "POST", string path = "/")
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Path = path;
        return new OperationInput(body, new CallContext { AccountId = Account, Region = "eu-west-1", RequestId = "r", Http = http, PrincipalArn = $"arn:aws:iam::{Account}:user/alice" }, ValidationStyle.Smithy);
    }

    [Theory]
    [InlineData("my-fn", null, "arn:aws:lambda:eu-west-1:123456789012:function:my-fn")]
    [InlineData("my-fn", "live", "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live")]
    [InlineData("123456789012:function:my-fn", null, "arn:aws:lambda:eu-west-1:123456789012:function:my-fn")]
    [InlineData("arn:aws:lambda:us-east-2:210987654321:function:my-fn:7", null, "arn:aws:lambda:us-east-2:210987654321:function:my-fn:7")]
    [InlineData("not a name", null, "*")]
    public void A_function_is_named_by_name_partial_arn_or_arn_with_its_qualifier(string name, string? qualifier, string expected) =>
        Assert.Equal(expected, LambdaAuthorization.FunctionArn(Input([]), name, qualifier));

    [Fact]
    public void Lambda_invoke_is_lambda_InvokeFunction_and_layers_name_their_version()
    {
        var table = LambdaAuthorization.Table(null!);
        var invoke = Input(new JsonObject { ["FunctionName"] = "f", ["Qualifier"] = "3" });
        Assert.Equal("lambda:InvokeFunction", table.Action("Invoke", invoke));
        Assert.Equal(["arn:aws:lambda:eu-west-1:123456789012:function:f:3"], table.Resources("Invoke", invoke));
        Assert.Equal(["arn:aws:lambda:eu-west-1:123456789012:layer:deps:2"], table.Resources("GetLayerVersion", Input(new JsonObject { ["LayerName"] = "deps", ["VersionNumber"] = "2" })));
        Assert.Equal(["*"], table.Resources("ListFunctions", Input([])));
        Assert.Equal("lambda:ListFunctions", table.Action("ListFunctions", Input([])));
    }

    [Fact]
    public void Logs_authorizes_a_group_as_its_empty_stream_and_a_stream_by_name()
    {
        var table = LogsAuthorization.Table();
        Assert.Equal(["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/f:log-stream:"], table.Resources("CreateLogGroup", Input(new JsonObject { ["logGroupName"] = "/aws/lambda/f" })));
        Assert.Equal(["arn:aws:logs:eu-west-1:123456789012:log-group:g:log-stream:s1"], table.Resources("PutLogEvents", Input(new JsonObject { ["logGroupName"] = "g", ["logStreamName"] = "s1" })));
        Assert.Equal(["arn:aws:logs:eu-west-1:123456789012:log-group:a:log-stream:", "arn:aws:logs:eu-west-1:123456789012:log-group:b:log-stream:"],
            table.Resources("StartQuery", Input(new JsonObject { ["logGroupNames"] = new JsonArray("a", "b") })));
        Assert.Equal(["*"], table.Resources("DescribeLogGroups", Input(new JsonObject { ["logGroupNamePrefix"] = "a" })));
    }

    [Fact]
    public void Ssm_parameters_drop_their_leading_slash_and_alarms_name_each_alarm()
    {
        Assert.Equal(["arn:aws:ssm:eu-west-1:123456789012:parameter/app/db"], SsmAuthorization.Table(null!).Resources("GetParameter", Input(new JsonObject { ["Name"] = "/app/db" })));
        Assert.Equal(["arn:aws:ssm:eu-west-1:123456789012:parameter/plain", "arn:aws:ssm:eu-west-1:123456789012:parameter/a/b"],
            SsmAuthorization.Table(null!).Resources("GetParameters", Input(new JsonObject { ["Names"] = new JsonArray("plain", "/a/b") })));
        var alarms = CloudWatchAuthorization.Table();
        Assert.Equal("cloudwatch:DeleteAlarms", alarms.Action("DeleteAlarms", Input([])));
        Assert.Equal(["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:y"],
            alarms.Resources("DeleteAlarms", Input(new JsonObject { ["AlarmNames"] = new JsonArray("x", "y") })));
    }

    [Fact]
    public void Contributor_Insights_operations_name_each_rule_they_act_on()
    {
        var table = CloudWatchAuthorization.Table();
        Assert.Equal(["arn:aws:cloudwatch:eu-west-1:123456789012:insight-rule/top-ips"],
            table.Resources("GetInsightRuleReport", Input(new JsonObject { ["RuleName"] = "top-ips" })));
        Assert.Equal(["arn:aws:cloudwatch:eu-west-1:123456789012:insight-rule/a", "arn:aws:cloudwatch:eu-west-1:123456789012:insight-rule/b"],
            table.Resources("DeleteInsightRules", Input(new JsonObject { ["RuleNames"] = new JsonArray("a", "b") })));
    }

    [Fact]
    public void Rds_copies_name_source_and_target_and_events_rules_name_their_bus()
    {
        Assert.Equal(["arn:aws:rds:eu-west-1:123456789012:snapshot:src", "arn:aws:rds:eu-west-1:123456789012:snapshot:copy"],
            RdsAuthorization.Table(null!).Resources("CopyDBSnapshot", Input(new JsonObject { ["SourceDBSnapshotIdentifier"] = "src", ["TargetDBSnapshotIdentifier"] = "Copy" })));
        var events = EventsAuthorization.Table();
        Assert.Equal(["arn:aws:events:eu-west-1:123456789012:rule/nightly"], events.Resources("PutRule", Input(new JsonObject { ["Name"] = "nightly" })));
        Assert.Equal(["arn:aws:events:eu-west-1:123456789012:rule/orders/nightly"], events.Resources("PutTargets", Input(new JsonObject { ["Rule"] = "nightly", ["EventBusName"] = "orders" })));
        Assert.Equal(["arn:aws:events:eu-west-1:123456789012:event-bus/default", "arn:aws:events:eu-west-1:123456789012:event-bus/orders"],
            events.Resources("PutEvents", Input(new JsonObject { ["Entries"] = new JsonArray(new JsonObject(), new JsonObject { ["EventBusName"] = "orders" }) })));
    }

    [Fact]
    public void Rds_maintenance_is_authorized_on_its_resource_and_a_cluster_restore_on_the_shared_snapshot_it_names()
    {
        var rds = RdsAuthorization.Table(null!);
        Assert.Equal(["arn:aws:rds:eu-west-1:123456789012:db:app"],
            rds.Resources("ApplyPendingMaintenanceAction", Input(new JsonObject { ["ResourceIdentifier"] = "arn:aws:rds:eu-west-1:123456789012:db:app" })));
        Assert.Equal(["arn:aws:rds:eu-west-1:123456789012:cluster:copy", "arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:shared"],
            rds.Resources("RestoreDBClusterFromSnapshot", Input(new JsonObject
            {
                ["DBClusterIdentifier"] = "copy", ["SnapshotIdentifier"] = "arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:shared",
            })));
    }

    [Fact]
    public void Api_gateway_authorizes_the_http_method_on_the_path()
    {
        var table = ApiGatewayAuthorization.Table();
        var input = Input([], "PATCH", "/restapis/abc123/stages/prod");
        Assert.Equal("apigateway:PATCH", table.Action("UpdateStage", input));
        Assert.Equal(["arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/prod"], table.Resources("UpdateStage", input));
    }
}
