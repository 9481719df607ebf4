using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// Provisioned concurrency end to end through boto3: environments started ahead for an alias (IN_PROGRESS, then READY
/// with both counts), initialised as provisioned-concurrency and serving the alias's invokes without an init of their
/// own, while other qualifiers start on demand; AWS's refusals and the concurrency it takes from the account; and the
/// runtime management configuration recorded and reported.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaProvisionedConcurrencyTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    [Fact]
    public async Task Provisioned_environments_start_ahead_and_serve_their_alias_first()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            import time
            APP = '''import os
            INITIALIZATION = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE")
            def handler(event, context):
                return {"initialization": INITIALIZATION, "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"]}
            '''
            create("prov", {"app.py": APP})
            lam.publish_version(FunctionName="prov")
            lam.create_alias(FunctionName="prov", Name="live", FunctionVersion="1")

            out["latest"] = error(lam.put_provisioned_concurrency_config, FunctionName="prov", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
            out["missing"] = error(lam.get_provisioned_concurrency_config, FunctionName="prov", Qualifier="live")
            limit = lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
            out["limit"] = limit
            out["too_many"] = error(lam.put_provisioned_concurrency_config, FunctionName="prov", Qualifier="live", ProvisionedConcurrentExecutions=limit)
            out["unknown_alias"] = error(lam.put_provisioned_concurrency_config, FunctionName="prov", Qualifier="nope", ProvisionedConcurrentExecutions=1)

            put = lam.put_provisioned_concurrency_config(FunctionName="prov", Qualifier="live", ProvisionedConcurrentExecutions=2)
            out["put"] = {k: put[k] for k in ("RequestedProvisionedConcurrentExecutions", "AllocatedProvisionedConcurrentExecutions", "Status")}
            out["put_status"] = put["ResponseMetadata"]["HTTPStatusCode"]
            deadline = time.time() + 60
            while True:
                got = lam.get_provisioned_concurrency_config(FunctionName="prov", Qualifier="live")
                if got["Status"] != "IN_PROGRESS" or time.time() > deadline:
                    break
                time.sleep(0.2)
            out["ready"] = {k: got.get(k) for k in ("Status", "RequestedProvisionedConcurrentExecutions", "AllocatedProvisionedConcurrentExecutions",
                                                    "AvailableProvisionedConcurrentExecutions")}
            out["unreserved_with_provisioned"] = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
            out["listed"] = [c["FunctionArn"].split(":")[-1] for c in lam.list_provisioned_concurrency_configs(FunctionName="prov")["ProvisionedConcurrencyConfigs"]]

            # Longer than the tuned idle time (2 s): on-demand environments would be recycled, provisioned ones stay.
            time.sleep(4)
            out["alias"] = [invoke("prov", {}, Qualifier="live", LogType="Tail") for _ in range(2)]
            out["version"] = invoke("prov", {}, Qualifier="1")
            out["unqualified"] = invoke("prov", {})

            out["reserved_below"] = error(lam.put_function_concurrency, FunctionName="prov", ReservedConcurrentExecutions=1)
            lam.put_function_concurrency(FunctionName="prov", ReservedConcurrentExecutions=3)
            out["above_reserved"] = error(lam.put_provisioned_concurrency_config, FunctionName="prov", Qualifier="1", ProvisionedConcurrentExecutions=2)
            out["unreserved_with_reserved"] = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]

            lam.delete_provisioned_concurrency_config(FunctionName="prov", Qualifier="live")
            out["deleted"] = error(lam.get_provisioned_concurrency_config, FunctionName="prov", Qualifier="live")
            out["after_delete"] = invoke("prov", {}, Qualifier="live")

            management = lam.get_runtime_management_config(FunctionName="prov")
            out["runtime_default"] = {k: management.get(k) for k in ("UpdateRuntimeOn", "FunctionArn", "RuntimeVersionArn")}
            out["manual_without_arn"] = error(lam.put_runtime_management_config, FunctionName="prov", UpdateRuntimeOn="Manual")
            RUNTIME = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            put = lam.put_runtime_management_config(FunctionName="prov", Qualifier="1", UpdateRuntimeOn="Manual", RuntimeVersionArn=RUNTIME)
            out["runtime_put"] = {k: put.get(k) for k in ("UpdateRuntimeOn", "FunctionArn", "RuntimeVersionArn")}
            got = lam.get_runtime_management_config(FunctionName="prov", Qualifier="1")
            out["runtime_get"] = {k: got.get(k) for k in ("UpdateRuntimeOn", "RuntimeVersionArn")}
            out["runtime_config"] = lam.get_function_configuration(FunctionName="prov", Qualifier="1").get("RuntimeVersionConfig")
            out["runtime_latest"] = lam.get_runtime_management_config(FunctionName="prov")["UpdateRuntimeOn"]
            out["runtime_bad_mode"] = error(lam.put_runtime_management_config, FunctionName="prov", UpdateRuntimeOn="Sometimes")
            """);

        Assert.Equal("InvalidParameterValueException", result["latest"]!["code"]!.GetValue<string>());
        Assert.Equal("Provisioned Concurrency Configs cannot be applied to unpublished function versions.", result["latest"]!["message"]!.GetValue<string>());
        Assert.Equal("ProvisionedConcurrencyConfigNotFoundException", result["missing"]!["code"]!.GetValue<string>());
        Assert.Equal(404, result["missing"]!["status"]!.GetValue<int>());
        // A tenth of the account's concurrency stays unreserved (AWS: 100 of 1,000).
        var limit = result["limit"]!.GetValue<int>();
        Assert.Contains($"UnreservedConcurrentExecution below its minimum value of [{Math.Max(1, limit / 10)}]", result["too_many"]!["message"]!.GetValue<string>());
        Assert.Equal("ResourceNotFoundException", result["unknown_alias"]!["code"]!.GetValue<string>());

        Assert.Equal(202, result["put_status"]!.GetValue<int>());
        Assert.Equal(2, result["put"]!["RequestedProvisionedConcurrentExecutions"]!.GetValue<int>());
        Assert.Equal("IN_PROGRESS", result["put"]!["Status"]!.GetValue<string>());
        Assert.Equal("READY", result["ready"]!["Status"]!.GetValue<string>());
        Assert.Equal(2, result["ready"]!["AllocatedProvisionedConcurrentExecutions"]!.GetValue<int>());
        Assert.Equal(2, result["ready"]!["AvailableProvisionedConcurrentExecutions"]!.GetValue<int>());
        Assert.Equal(limit - 2, result["unreserved_with_provisioned"]!.GetValue<int>());
        Assert.Equal(["live"], result["listed"]!.AsArray().Select(n => n!.GetValue<string>()));

        foreach (var invoked in result["alias"]!.AsArray())
        {
            Assert.Equal("provisioned-concurrency", invoked!["payload"]!["initialization"]!.GetValue<string>());
            Assert.Equal("1", invoked["payload"]!["version"]!.GetValue<string>());
            // Its init ran when it was provisioned: the invoke's REPORT has no Init Duration.
            Assert.DoesNotContain("Init Duration", invoked["log"]!.GetValue<string>());
        }
        Assert.Equal("on-demand", result["version"]!["payload"]!["initialization"]!.GetValue<string>());
        Assert.Equal("on-demand", result["unqualified"]!["payload"]!["initialization"]!.GetValue<string>());

        Assert.Equal("InvalidParameterValueException", result["reserved_below"]!["code"]!.GetValue<string>());
        Assert.Equal("Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function",
            result["above_reserved"]!["message"]!.GetValue<string>());
        Assert.Equal(limit - 3, result["unreserved_with_reserved"]!.GetValue<int>());

        Assert.Equal("ProvisionedConcurrencyConfigNotFoundException", result["deleted"]!["code"]!.GetValue<string>());
        Assert.Equal("on-demand", result["after_delete"]!["payload"]!["initialization"]!.GetValue<string>());

        Assert.Equal("Auto", result["runtime_default"]!["UpdateRuntimeOn"]!.GetValue<string>());
        Assert.EndsWith(":function:prov", result["runtime_default"]!["FunctionArn"]!.GetValue<string>());
        Assert.Null(result["runtime_default"]!["RuntimeVersionArn"]);
        Assert.Equal("InvalidParameterValueException", result["manual_without_arn"]!["code"]!.GetValue<string>());
        Assert.Equal("Manual", result["runtime_put"]!["UpdateRuntimeOn"]!.GetValue<string>());
        Assert.EndsWith(":function:prov:1", result["runtime_put"]!["FunctionArn"]!.GetValue<string>());
        Assert.StartsWith("arn:aws:lambda:us-east-1::runtime:", result["runtime_get"]!["RuntimeVersionArn"]!.GetValue<string>());
        Assert.Equal("Manual", result["runtime_get"]!["UpdateRuntimeOn"]!.GetValue<string>());
        Assert.Equal(result["runtime_get"]!["RuntimeVersionArn"]!.GetValue<string>(), result["runtime_config"]!["RuntimeVersionArn"]!.GetValue<string>());
        Assert.Equal("Auto", result["runtime_latest"]!.GetValue<string>());
        Assert.Equal("ValidationException", result["runtime_bad_mode"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_weighted_alias_refuses_provisioned_concurrency_a_version_is_provisioned_once_and_delete_is_idempotent()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            create("weighted", {"app.py": "def handler(event, context):\n    return 1\n"})
            lam.publish_version(FunctionName="weighted")
            lam.update_function_configuration(FunctionName="weighted", Description="second")
            lam.get_waiter("function_updated_v2").wait(FunctionName="weighted")
            lam.publish_version(FunctionName="weighted")
            lam.create_alias(FunctionName="weighted", Name="canary", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
            out["weighted"] = error(lam.put_provisioned_concurrency_config, FunctionName="weighted", Qualifier="canary", ProvisionedConcurrentExecutions=1)

            lam.create_alias(FunctionName="weighted", Name="live", FunctionVersion="1")
            lam.put_provisioned_concurrency_config(FunctionName="weighted", Qualifier="live", ProvisionedConcurrentExecutions=1)
            shifted = lam.update_alias(FunctionName="weighted", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
            out["shifted"] = shifted["RoutingConfig"]["AdditionalVersionWeights"]
            out["still"] = lam.get_provisioned_concurrency_config(FunctionName="weighted", Qualifier="live")["RequestedProvisionedConcurrentExecutions"]

            out["version_under_alias"] = error(lam.put_provisioned_concurrency_config, FunctionName="weighted", Qualifier="1", ProvisionedConcurrentExecutions=1)
            lam.put_provisioned_concurrency_config(FunctionName="weighted", Qualifier="2", ProvisionedConcurrentExecutions=1)
            lam.create_alias(FunctionName="weighted", Name="two", FunctionVersion="2")
            out["alias_over_version"] = error(lam.put_provisioned_concurrency_config, FunctionName="weighted", Qualifier="two", ProvisionedConcurrentExecutions=1)
            lam.delete_provisioned_concurrency_config(FunctionName="weighted", Qualifier="2")

            out["never_configured"] = lam.delete_provisioned_concurrency_config(FunctionName="weighted", Qualifier="2")["ResponseMetadata"]["HTTPStatusCode"]
            out["unknown_alias"] = error(lam.delete_provisioned_concurrency_config, FunctionName="weighted", Qualifier="nope")
            """);

        Assert.Equal("InvalidParameterValueException", (string?)result["weighted"]!["code"]);
        Assert.Equal("Alias with weights can not be used with Provisioned Concurrency", (string?)result["weighted"]!["message"]);
        Assert.Equal(400, (int)result["weighted"]!["status"]!);
        // CodeDeploy's canary and linear shifts add weights to aliases with provisioned concurrency: AWS accepts them.
        Assert.Equal("""{"2":0.5}""", result["shifted"]!.ToJsonString());
        Assert.Equal(1, (int)result["still"]!);
        // A version is provisioned through one configuration, its own or an alias's.
        Assert.Equal("ResourceConflictException", (string?)result["version_under_alias"]!["code"]);
        Assert.Equal("Version is pointed by a Provisioned Concurrency alias", (string?)result["version_under_alias"]!["message"]);
        Assert.Equal(409, (int)result["version_under_alias"]!["status"]!);
        Assert.Equal("ResourceConflictException", (string?)result["alias_over_version"]!["code"]);
        Assert.Equal("Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
            (string?)result["alias_over_version"]!["message"]);
        Assert.Equal(204, (int)result["never_configured"]!);
        Assert.Equal("ResourceNotFoundException", (string?)result["unknown_alias"]!["code"]);
    }
}
