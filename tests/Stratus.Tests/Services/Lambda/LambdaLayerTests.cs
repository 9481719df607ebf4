using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>Layers through boto3: published, shared and listed as AWS does, and mounted at /opt for Python and Node functions.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaLayerTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    private Task<JsonObject> RunAsync(string script) => Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + script);

    [Fact]
    public async Task Python_function_imports_its_layers_from_opt_in_order()
    {
        var result = await RunAsync("""
            import urllib.request
            first_zip = zip_of({"python/greeting.py": "WHO = 'layer one'\n", "python/shared.py": "VALUE = 1\n"})
            second_zip = zip_of({"python/shared.py": "VALUE = 2\n", "python/lib/python3.12/site-packages/sitepkg.py": "OK = True\n",
                                 "bin/tool": "#!/bin/sh\necho from-tool\n"}, executable=("bin/tool",))
            first = lam.publish_layer_version(LayerName="greetings", Content={"ZipFile": first_zip}, Description="one",
                                              CompatibleRuntimes=["python3.12"], CompatibleArchitectures=["x86_64"], LicenseInfo="MIT")
            second = lam.publish_layer_version(LayerName="extras", Content={"ZipFile": second_zip})
            APP = '''
            import os, subprocess, greeting, shared, sitepkg
            def handler(event, context):
                return {"who": greeting.WHO, "shared": shared.VALUE, "site": sitepkg.OK, "opt": sorted(os.listdir("/opt")),
                        "tool": subprocess.run(["tool"], capture_output=True, text=True).stdout.strip(),
                        "opt_writable": os.access("/opt/python", os.W_OK)}
            '''
            create("layered-py", {"app.py": APP}, Layers=[first["LayerVersionArn"], second["LayerVersionArn"]])
            out["published"] = {k: first[k] for k in ["LayerArn", "LayerVersionArn", "Version", "Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"]}
            out["content"] = {k: first["Content"][k] for k in ["CodeSha256", "CodeSize"]}
            out["downloaded"] = urllib.request.urlopen(first["Content"]["Location"]).read() == first_zip
            out["invoke"] = invoke("layered-py")["payload"]
            out["config_layers"] = lam.get_function_configuration(FunctionName="layered-py")["Layers"]
            # Reversed, the first layer's shared.py is laid over the second's.
            lam.update_function_configuration(FunctionName="layered-py", Layers=[second["LayerVersionArn"], first["LayerVersionArn"]])
            out["reversed"] = invoke("layered-py")["payload"]["shared"]
            out["by_arn"] = lam.get_layer_version_by_arn(Arn=first["LayerVersionArn"])["Version"]
            out["list_python"] = [l["LayerName"] for l in lam.list_layers(CompatibleRuntime="python3.12")["Layers"]]
            out["list_all"] = sorted(l["LayerName"] for l in lam.list_layers()["Layers"])
            third = lam.publish_layer_version(LayerName="greetings", Content={"ZipFile": first_zip})
            out["versions"] = [v["Version"] for v in lam.list_layer_versions(LayerName="greetings")["LayerVersions"]]
            lam.delete_layer_version(LayerName="greetings", VersionNumber=third["Version"])
            out["after_delete"] = [v["Version"] for v in lam.list_layer_versions(LayerName="greetings")["LayerVersions"]]
            out["delete_again"] = lam.delete_layer_version(LayerName="greetings", VersionNumber=third["Version"])["ResponseMetadata"]["HTTPStatusCode"]
            out["next_version"] = lam.publish_layer_version(LayerName="greetings", Content={"ZipFile": first_zip})["Version"]
            out["missing_version"] = error(lam.get_layer_version, LayerName="greetings", VersionNumber=99)
            granted = lam.add_layer_version_permission(LayerName="greetings", VersionNumber=1, StatementId="everyone",
                                                       Action="lambda:GetLayerVersion", Principal="*")
            out["statement"] = json.loads(granted["Statement"])
            out["policy"] = json.loads(lam.get_layer_version_policy(LayerName="greetings", VersionNumber=1)["Policy"])
            out["duplicate_statement"] = error(lam.add_layer_version_permission, LayerName="greetings", VersionNumber=1, StatementId="everyone",
                                               Action="lambda:GetLayerVersion", Principal="*")
            lam.remove_layer_version_permission(LayerName="greetings", VersionNumber=1, StatementId="everyone")
            out["no_policy"] = error(lam.get_layer_version_policy, LayerName="greetings", VersionNumber=1)
            out["too_many"] = error(lam.update_function_configuration, FunctionName="layered-py", Layers=[first["LayerVersionArn"]] * 6)
            out["same_layer_twice"] = error(lam.update_function_configuration, FunctionName="layered-py",
                                            Layers=[first["LayerVersionArn"], first["LayerArn"] + ":" + str(out["next_version"])])
            out["unknown_layer"] = error(create, "layered-missing", {"app.py": APP}, Layers=[first["LayerArn"] + ":99"])
            extension = lam.publish_layer_version(LayerName="with-extension", Content={"ZipFile": zip_of({"extensions/watcher": "#!/bin/sh\n"})})
            out["extension"] = error(create, "layered-extension", {"app.py": APP}, Layers=[extension["LayerVersionArn"]])
            """);

        var published = result["published"]!;
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:layer:greetings", published["LayerArn"]!.GetValue<string>());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:layer:greetings:1", published["LayerVersionArn"]!.GetValue<string>());
        Assert.Equal(1, published["Version"]!.GetValue<int>());
        Assert.Equal("""["python3.12"]""", published["CompatibleRuntimes"]!.ToJsonString());
        Assert.Equal("MIT", published["LicenseInfo"]!.GetValue<string>());
        Assert.True(result["content"]!["CodeSize"]!.GetValue<long>() > 0);
        Assert.True(result["downloaded"]!.GetValue<bool>());

        var invoked = result["invoke"]!;
        Assert.Equal("layer one", invoked["who"]!.GetValue<string>());
        Assert.Equal(2, invoked["shared"]!.GetValue<int>());
        Assert.True(invoked["site"]!.GetValue<bool>());
        Assert.Equal("""["bin","python"]""", invoked["opt"]!.ToJsonString());
        Assert.Equal("from-tool", invoked["tool"]!.GetValue<string>());
        Assert.False(invoked["opt_writable"]!.GetValue<bool>());
        Assert.Equal(1, result["reversed"]!.GetValue<int>());
        var layers = result["config_layers"]!.AsArray();
        Assert.Equal(2, layers.Count);
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:layer:greetings:1", layers[0]!["Arn"]!.GetValue<string>());

        Assert.Equal(1, result["by_arn"]!.GetValue<int>());
        Assert.Equal("""["greetings"]""", result["list_python"]!.ToJsonString());
        // Other tests of the class publish layers in the same Stratus.
        Assert.Contains("extras", result["list_all"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains("greetings", result["list_all"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("[2,1]", result["versions"]!.ToJsonString());
        Assert.Equal("[1]", result["after_delete"]!.ToJsonString());
        Assert.Equal(204, result["delete_again"]!.GetValue<int>());
        Assert.Equal(3, result["next_version"]!.GetValue<int>());
        Assert.Equal("ResourceNotFoundException", result["missing_version"]!["code"]!.GetValue<string>());

        Assert.Equal("*", result["statement"]!["Principal"]!.GetValue<string>());
        Assert.Equal("lambda:GetLayerVersion", result["statement"]!["Action"]!.GetValue<string>());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:layer:greetings:1", result["policy"]!["Statement"]![0]!["Resource"]!.GetValue<string>());
        Assert.Equal("ResourceConflictException", result["duplicate_statement"]!["code"]!.GetValue<string>());
        Assert.Equal("ResourceNotFoundException", result["no_policy"]!["code"]!.GetValue<string>());

        Assert.Equal("Cannot reference more than 5 layers.", result["too_many"]!["message"]!.GetValue<string>());
        Assert.StartsWith("Two different versions of the same layer", result["same_layer_twice"]!["message"]!.GetValue<string>());
        Assert.Equal("Layer version arn:aws:lambda:us-east-1:000000000000:layer:greetings:99 does not exist.", result["unknown_layer"]!["message"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValueException", result["extension"]!["code"]!.GetValue<string>());
        Assert.Contains("Extensions API is not built", result["extension"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Custom_runtime_starts_the_bootstrap_its_layer_brings_at_opt()
    {
        var result = await RunAsync("""
            bootstrap = '''#!/bin/sh
            set -eu
            while true; do
              HEADERS="$(mktemp)"
              EVENT="$(curl -sS -D "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")"
              REQUEST_ID="$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d: -f2 | tr -d '[:space:]')"
              curl -sS -o /dev/null -X POST "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response" -d "{\\"from\\": \\"$0\\"}"
            done
            '''
            layer = lam.publish_layer_version(LayerName="shell-runtime", Content={"ZipFile": zip_of({"bootstrap": bootstrap}, executable=("bootstrap",))})
            create("layered-custom", {"function.sh": "echo unused\n"}, runtime="provided.al2023", handler="function.handler", Layers=[layer["LayerVersionArn"]])
            out["invoke"] = invoke("layered-custom", {})
            """);

        Assert.Null(result["invoke"]!["error"]);
        Assert.Equal("/opt/bootstrap", result["invoke"]!["payload"]!["from"]!.GetValue<string>());
    }

    [Fact]
    public async Task Node_function_requires_a_module_from_its_layer()
    {
        var result = await RunAsync("""
            layer = lam.publish_layer_version(LayerName="node-greeter", CompatibleRuntimes=["nodejs20.x"],
                Content={"ZipFile": zip_of({"nodejs/node_modules/greeter/index.js": "exports.greet = (n) => 'hello ' + n;\n"})})
            create("layered-node", {"index.js": "const g = require('greeter');\nexports.handler = async () => ({ greeting: g.greet('node'), nodePath: process.env.NODE_PATH });\n"},
                   runtime="nodejs20.x", handler="index.handler", Layers=[layer["LayerVersionArn"]])
            out["invoke"] = invoke("layered-node")
            """);

        var invoked = result["invoke"]!;
        Assert.Null(invoked["error"]);
        Assert.Equal("hello node", invoked["payload"]!["greeting"]!.GetValue<string>());
        Assert.StartsWith("/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:", invoked["payload"]!["nodePath"]!.GetValue<string>());
    }
}
