using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// The AWS SDK inside the managed runtimes, as AWS ships it: a function with no SDK in its package imports boto3 or
/// requires @aws-sdk/client-lambda, reaches Stratus through AWS_ENDPOINT_URL with its role's credentials, and a
/// package's own module shadows the runtime's.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaRuntimeSdkTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    /// <summary>A role allowed to list functions, for the functions that call Lambda with their own credentials.</summary>
    private const string SdkPrelude = LambdaScripts.Prelude + """
        def lister(name, files, runtime, handler):
            arn = role("sdk-lister")
            client("iam").put_role_policy(RoleName="sdk-lister", PolicyName="list", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:ListFunctions", "Resource": "*"}]}))
            return lam.create_function(FunctionName=name, Runtime=runtime, Role=arn, Handler=handler, Code={"ZipFile": zip_of(files)})

        """;

    private Task<JsonObject> RunAsync(string script) => Clients.Boto3Async(stratus.Url, SdkPrelude + script);

    [Fact]
    public async Task Python_function_lists_functions_with_the_runtimes_boto3()
    {
        var result = await RunAsync("""
            APP = '''
            import boto3
            def handler(event, context):
                names = [f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]]
                return {"names": names, "boto3": boto3.__file__}
            '''
            lister("sdk-python", {"app.py": APP}, "python3.12", "app.handler")
            out["invoke"] = invoke("sdk-python")
            """);

        var invoked = result["invoke"]!;
        Assert.Null(invoked["error"]);
        Assert.Contains("sdk-python", invoked["payload"]!["names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.EndsWith("/sdk/python/boto3/__init__.py", invoked["payload"]!["boto3"]!.GetValue<string>());
    }

    [Fact]
    public async Task Node_functions_require_and_import_the_runtimes_javascript_sdk()
    {
        var result = await RunAsync("""
            INDEX = '''
            const { LambdaClient, ListFunctionsCommand } = require("@aws-sdk/client-lambda");
            exports.handler = async () => {
              const listed = await new LambdaClient({}).send(new ListFunctionsCommand({}));
              return { names: listed.Functions.map((f) => f.FunctionName), sdk: require.resolve("@aws-sdk/client-lambda") };
            };
            '''
            lister("sdk-node", {"index.js": INDEX}, "nodejs20.x", "index.handler")
            out["invoke"] = invoke("sdk-node")
            # ES modules ignore NODE_PATH; AWS's runtimes still let them import the SDK.
            MODULE = '''
            import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
            export const handler = async () => ({ names: (await new LambdaClient({}).send(new ListFunctionsCommand({}))).Functions.map((f) => f.FunctionName) });
            '''
            lister("sdk-node-esm", {"index.mjs": MODULE}, "nodejs20.x", "index.handler")
            out["esm"] = invoke("sdk-node-esm")
            """);

        var invoked = result["invoke"]!;
        Assert.Null(invoked["error"]);
        Assert.Contains("sdk-node", invoked["payload"]!["names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains("/node_modules/@aws-sdk/client-lambda/", invoked["payload"]!["sdk"]!.GetValue<string>());
        Assert.Null(result["esm"]!["error"]);
        Assert.Contains("sdk-node-esm", result["esm"]!["payload"]!["names"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task A_packages_own_boto3_shadows_the_runtimes()
    {
        var result = await RunAsync("""
            APP = '''
            import os, sys, boto3
            def handler(event, context):
                sdk = [p for p in sys.path if p.endswith("/sdk/python")]
                return {"own": getattr(boto3, "PACKAGED", False), "file": boto3.__file__,
                        "sdk_after_task": len(sdk) == 1 and sys.path.index(sdk[0]) > sys.path.index(os.environ["LAMBDA_TASK_ROOT"])}
            '''
            create("sdk-shadowed", {"app.py": APP, "boto3/__init__.py": "PACKAGED = True\n"})
            out["invoke"] = invoke("sdk-shadowed")
            """);

        var invoked = result["invoke"]!;
        Assert.Null(invoked["error"]);
        Assert.True(invoked["payload"]!["own"]!.GetValue<bool>());
        Assert.EndsWith("/boto3/__init__.py", invoked["payload"]!["file"]!.GetValue<string>());
        Assert.DoesNotContain("/sdk/python/", invoked["payload"]!["file"]!.GetValue<string>());
        Assert.True(invoked["payload"]!["sdk_after_task"]!.GetValue<bool>());
    }
}
