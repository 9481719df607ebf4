using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

using Stratus.Tests.Services.Ecr;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// Container image functions against a real Stratus: images built here, pushed with skopeo to Stratus's ECR, created
/// with boto3 and the aws CLI, and asserted from inside the function (what it runs, sees and may write).
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaImageTests
{
    private const string Functions = LambdaScripts.Prelude + """
        def create_image(name, uri, **kw):
            return lam.create_function(FunctionName=name, PackageType="Image", Code={"ImageUri": uri}, Role=role(), Timeout=30, **kw)
        def active(name):
            lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        def refused(**kw):
            try:
                lam.create_function(PackageType="Image", Role=role(), **kw)
                return None
            except lam.exceptions.InvalidParameterValueException as e:
                return e.response["Error"]["Message"]

        """;

    [Fact]
    public async Task An_aws_base_image_layout_and_a_scratch_image_run_unmodified_on_a_read_only_root_as_the_sandbox_user()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        await EcrRegistryTests.CreateRepositoryAsync(server.Url, "images/app");
        var repository = await EcrRegistryTests.RepositoryUriAsync(server.Url, "images/app");
        var awsDigest = await LambdaTestImage.AwsBaseLayout().PushAsync(server.Url, repository, "latest");
        var scratchDigest = await LambdaTestImage.Scratch().PushAsync(server.Url, repository, "scratch");

        var result = await Clients.Boto3Async(server.Url, Functions + $$$"""
            created = create_image("aws-style", "{{{repository}}}:latest", Environment={"Variables": {"GREETING": "from-function"}})
            out["createdState"] = created["State"]
            active("aws-style")
            got = lam.get_function(FunctionName="aws-style")
            out["resolved"] = got["Code"]["ResolvedImageUri"]
            out["state"] = got["Configuration"]["State"]
            out["codeSha"] = got["Configuration"]["CodeSha256"]
            out["default"] = invoke("aws-style", {"n": 1})

            create_image("overridden", "{{{repository}}}:latest", ImageConfig={
                "EntryPoint": ["/bin/env", "ENTRY=overridden", "/lambda-entrypoint.sh"], "Command": ["other.handler"], "WorkingDirectory": "/var/runtime"})
            active("overridden")
            out["imageConfig"] = lam.get_function_configuration(FunctionName="overridden")["ImageConfigResponse"]["ImageConfig"]
            out["overridden"] = invoke("overridden", {"n": 2})

            create_image("scratch", "{{{repository}}}:scratch")
            active("scratch")
            out["scratch"] = invoke("scratch", {"n": 3})

            out["missing"] = refused(FunctionName="missing", Code={"ImageUri": "{{{repository}}}:no-such-tag"})
            out["wrongArchitecture"] = refused(FunctionName="arm", Code={"ImageUri": "{{{repository}}}:latest"}, Architectures=["arm64"])
            """);

        Assert.Equal("Pending", result["createdState"]!.GetValue<string>());
        Assert.Equal("Active", result["state"]!.GetValue<string>());
        Assert.Equal($"{repository}@{awsDigest}", result["resolved"]!.GetValue<string>());
        Assert.Equal(awsDigest["sha256:".Length..], result["codeSha"]!.GetValue<string>());

        var plain = Payload(result, "default");
        Assert.Equal("app.handler", plain["handler"]!.GetValue<string>());
        Assert.Equal("lambda-entrypoint", plain["entry"]!.GetValue<string>());
        Assert.Equal("/var/task", plain["cwd"]!.GetValue<string>());
        Assert.Equal(993, plain["uid"]!.GetValue<int>());
        Assert.True(plain["readonlyRoot"]!.GetValue<bool>(), "the image root was writable");
        Assert.True(plain["tmpWritable"]!.GetValue<bool>(), "/tmp was not writable");
        Assert.True(plain["whiteoutGone"]!.GetValue<bool>(), "a file a later layer whited out is visible");
        Assert.True(plain["opaqueCleared"]!.GetValue<bool>(), "a file under an opaque directory is visible");
        Assert.Equal("from-function", plain["greeting"]!.GetValue<string>());
        Assert.Equal("image-value", plain["imageOnly"]!.GetValue<string>());
        Assert.Equal(1, plain["event"]!["n"]!.GetValue<int>());

        var overridden = Payload(result, "overridden");
        Assert.Equal("overridden", overridden["entry"]!.GetValue<string>());
        Assert.Equal("other.handler", overridden["handler"]!.GetValue<string>());
        Assert.Equal("/var/runtime", overridden["cwd"]!.GetValue<string>());
        Assert.Equal("from-image", overridden["greeting"]!.GetValue<string>());
        Assert.Equal("/var/runtime", result["imageConfig"]!["WorkingDirectory"]!.GetValue<string>());
        Assert.Equal("""["other.handler"]""", result["imageConfig"]!["Command"]!.ToJsonString());

        var scratch = Payload(result, "scratch");
        Assert.Equal("from-scratch", scratch["args"]!.GetValue<string>());
        // No entrypoint script exports it here: Lambda itself sets _HANDLER to the image's CMD[0].
        Assert.Equal("from-scratch", scratch["handler"]!.GetValue<string>());
        Assert.Equal("/", scratch["cwd"]!.GetValue<string>());
        Assert.Equal(993, scratch["uid"]!.GetValue<int>());
        // As root on x86-64 and arm64, the seccomp filter that refuses new user namespaces is installed in image functions as in zip ones (mode 2: filtered).
        if (Environment.UserName == "root" && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture
                is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64)
            Assert.Equal(("2", "2"), (plain["seccomp"]!.GetValue<string>(), scratch["seccomp"]!.GetValue<string>()));
        Assert.True(scratch["readonlyRoot"]!.GetValue<bool>() && scratch["tmpWritable"]!.GetValue<bool>(), scratch.ToJsonString());
        Assert.Equal("scratch", scratch["greeting"]!.GetValue<string>());

        Assert.Equal($"Source image {repository}:no-such-tag does not exist. Provide a valid source image.", result["missing"]!.GetValue<string>());
        Assert.Contains("is not supported", result["wrongArchitecture"]!.GetValue<string>());

        // Re-tagging: :latest now names the scratch image, but the function keeps the image it was created from.
        await LambdaTestImage.Scratch().PushAsync(server.Url, repository, "latest");
        var retagged = await Clients.Boto3Async(server.Url, Functions + """
            out["resolved"] = lam.get_function(FunctionName="aws-style")["Code"]["ResolvedImageUri"]
            out["invoke"] = invoke("aws-style", {"n": 4})
            """);
        Assert.Equal($"{repository}@{awsDigest}", retagged["resolved"]!.GetValue<string>());
        Assert.Equal("app.handler", Payload(retagged, "invoke")["handler"]!.GetValue<string>());
        Assert.NotEqual(awsDigest, scratchDigest);
    }

    [Fact]
    public async Task An_image_function_made_with_the_aws_cli_comes_back_after_a_restart_and_still_runs()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        await EcrRegistryTests.CreateRepositoryAsync(server.Url, "kept");
        var repository = await EcrRegistryTests.RepositoryUriAsync(server.Url, "kept");
        var digest = await LambdaTestImage.AwsBaseLayout().PushAsync(server.Url, repository, "latest");
        var role = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + "out['arn'] = role()\n");
        var created = await Clients.AwsAsync(server.Url, "lambda", "create-function", "--function-name", "kept", "--package-type", "Image",
            "--code", $"ImageUri={repository}:latest", "--role", role["arn"]!.GetValue<string>(), "--timeout", "30");
        Assert.True(created.ExitCode == 0, created.ToString());
        var waited = await Clients.AwsAsync(server.Url, "lambda", "wait", "function-active", "--function-name", "kept");
        Assert.True(waited.ExitCode == 0, waited.ToString());

        await server.RestartAsync();

        var after = await Clients.Boto3Async(server.Url, Functions + """
            out["resolved"] = lam.get_function(FunctionName="kept")["Code"]["ResolvedImageUri"]
            active("kept")
            out["invoke"] = invoke("kept", {"n": 5})
            """);
        Assert.Equal($"{repository}@{digest}", after["resolved"]!.GetValue<string>());
        var payload = Payload(after, "invoke");
        Assert.Equal(993, payload["uid"]!.GetValue<int>());
        Assert.Equal(5, payload["event"]!["n"]!.GetValue<int>());
    }

    private static JsonObject Payload(JsonObject result, string name)
    {
        var invoked = result[name]!;
        Assert.True(invoked["error"] is null, invoked.ToJsonString());
        return invoked["payload"]!.AsObject();
    }
}
