using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// Client SDK generation through boto3: the SDK types listed with their configuration properties, the JavaScript SDK of a deployed stage
/// generated, unzipped and loaded in Node, and the Java SDK compiled with javac and run, whose functions call the stage through Stratus
/// (signing AWS_IAM methods with Signature Version 4 where Stratus verifies signatures), and the types Stratus does not generate refused.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ClientSdkTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    /// <summary>A MOCK method answering what it was given, the JavaScript SDK of its stage, and a Node script run against that SDK.</summary>
    private const string Prelude = """
        import subprocess, tempfile, shutil, urllib.request
        def echo_method(apigw, api_id, resource_id, authorization="NONE", parameters=None):
            apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="GET", authorizationType=authorization,
                requestParameters=parameters or {})
            apigw.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod="GET", statusCode="200")
            apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod="GET", type="MOCK",
                requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod="GET", statusCode="200", selectionPattern="",
                responseTemplates={"application/json": '{"resource": "$context.resourcePath", "petId": "$input.params(\'petId\')", "color": "$input.params(\'color\')", "owner": "$input.params(\'x-owner\')"}'})
        def run_sdk(apigw, api_id, stage, node_script):
            sdk = apigw.get_sdk(restApiId=api_id, stageName=stage, sdkType="javascript")
            folder = tempfile.mkdtemp(prefix="stratus-js-sdk-")
            try:
                archive = zipfile.ZipFile(io.BytesIO(sdk["body"].read()))
                archive.extractall(folder)
                with open(os.path.join(folder, "call.js"), "w") as script:
                    script.write("const factory = require('./apiGateway-js-sdk/apigClient.js');\n(async () => {\n" + node_script
                        + "\n})().catch(e => { console.error(e); process.exit(1); });\n")
                run = subprocess.run(["node", os.path.join(folder, "call.js")], capture_output=True, text=True, timeout=120)
                if run.returncode != 0: raise Exception("node failed: " + run.stderr)
                return sdk, sorted(archive.namelist()), json.loads(run.stdout.strip().splitlines()[-1])
            finally:
                shutil.rmtree(folder)
        def run_java_sdk(apigw, api_id, stage, main_body):
            sdk = apigw.get_sdk(restApiId=api_id, stageName=stage, sdkType="java",
                parameters={"serviceName": "PetStore", "javaPackageName": "com.example.pets"})
            folder = tempfile.mkdtemp(prefix="stratus-java-sdk-")
            try:
                archive = zipfile.ZipFile(io.BytesIO(sdk["body"].read()))
                archive.extractall(folder)
                client_source = os.path.join(folder, "petstore-sdk/src/main/java/com/example/pets/PetStoreClient.java")
                with open(os.path.join(folder, "Main.java"), "w") as main:
                    main.write("import com.example.pets.PetStoreClient;\nimport java.util.Map;\npublic class Main {\n"
                        + "  static String json(PetStoreClient.Response r) { return \"{\\\"status\\\":\" + r.status() + \",\\\"body\\\":\" + (r.status() == 200 ? r.body() : \"null\") + \"}\"; }\n"
                        + "  public static void main(String[] args) throws Exception {\n" + main_body + "\n  }\n}\n")
                classes = os.path.join(folder, "classes")
                compiled = subprocess.run(["javac", "-encoding", "UTF-8", "-d", classes, client_source, os.path.join(folder, "Main.java")],
                    capture_output=True, text=True, timeout=300)
                if compiled.returncode != 0: raise Exception("javac failed: " + compiled.stderr)
                run = subprocess.run(["java", "-cp", classes, "Main"], capture_output=True, text=True, timeout=120)
                if run.returncode != 0: raise Exception("java failed: " + run.stderr)
                return sdk, sorted(archive.namelist()), json.loads(run.stdout.strip().splitlines()[-1])
            finally:
                shutil.rmtree(folder)

        """;

    [Fact]
    public async Task The_generated_JavaScript_and_Java_SDKs_call_the_stage_and_other_types_are_listed_but_refused()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            apigw = client("apigateway")
            api = apigw.create_rest_api(name="pets sdk")
            api_id, root = api["id"], api["rootResourceId"]
            pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
            pet = apigw.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="{petId}")
            echo_method(apigw, api_id, root)
            echo_method(apigw, api_id, pet["id"], parameters={"method.request.path.petId": True, "method.request.querystring.color": False,
                "method.request.header.x-owner": True})
            apigw.create_deployment(restApiId=api_id, stageName="prod")

            out["types"] = {t["id"]: {"required": sorted(p["name"] for p in t["configurationProperties"] if p["required"]),
                "friendlyName": t["friendlyName"]} for t in apigw.get_sdk_types()["items"]}
            out["java_type"] = apigw.get_sdk_type(id="java")
            out["unknown_type"] = error(apigw.get_sdk_type, id="cobol")
            out["ruby_refused"] = error(apigw.get_sdk, restApiId=api_id, stageName="prod", sdkType="ruby", parameters={"service.name": "Pets"})
            out["java_without_package"] = error(apigw.get_sdk, restApiId=api_id, stageName="prod", sdkType="java", parameters={"serviceName": "Pets"})
            out["java_bad_name"] = error(apigw.get_sdk, restApiId=api_id, stageName="prod", sdkType="java",
                parameters={"serviceName": "Pet Store", "javaPackageName": "com.example"})
            out["android_refused"] = error(apigw.get_sdk, restApiId=api_id, stageName="prod", sdkType="android")
            out["no_stage"] = error(apigw.get_sdk, restApiId=api_id, stageName="nope", sdkType="javascript")
            out["no_api"] = error(apigw.get_sdk, restApiId="nosuchapi1", stageName="prod", sdkType="javascript")

            sdk, files, seen = run_sdk(apigw, api_id, "prod", '''
                const client = factory.newClient({});
                const pet = await client.petsPetIdGet({ petId: 'rex-1', color: 'brown', 'x-owner': 'ann' });
                const root = await client.rootGet({});
                let missing;
                try { await client.petsPetIdGet({ petId: 'rex' }); } catch (refused) { missing = refused.message; }
                console.log(JSON.stringify({ functions: Object.keys(client).sort(), pet, root, missing, invokeUrl: factory.stage.invokeUrl }));
            ''')
            out["content_type"] = sdk["contentType"]
            out["disposition"] = sdk["contentDisposition"]
            out["files"] = files
            out["node"] = seen
            out["api_id"] = api_id
            _, java_files, out["java"] = run_java_sdk(apigw, api_id, "prod", '''
                var client = new PetStoreClient();
                String missing = null;
                try { client.petsPetIdGet(Map.of("petId", "rex"), null); } catch (IllegalArgumentException refused) { missing = refused.getMessage(); }
                System.out.println("{\\"pet\\":" + json(client.petsPetIdGet(Map.of("petId", "rex-2", "color", "grey", "x-owner", "bob"), null))
                    + ",\\"root\\":" + json(client.rootGet(Map.of(), null)) + ",\\"missing\\":\\"" + missing + "\\"}");
            ''')
            out["java_files"] = java_files
            """);

        var types = r["types"]!;
        Assert.Equal("""["android","java","javascript","objectivec","ruby","swift"]""",
            System.Text.Json.JsonSerializer.Serialize(types.AsObject().Select(t => t.Key).Order()));
        Assert.Equal("""["artifactId","artifactVersion","groupId","invokerPackage"]""", types["android"]!["required"]!.ToJsonString());
        Assert.Equal("""["javaPackageName","serviceName"]""", types["java"]!["required"]!.ToJsonString());
        Assert.Equal("""["classPrefix"]""", types["objectivec"]!["required"]!.ToJsonString());
        Assert.Equal("""["classPrefix"]""", types["swift"]!["required"]!.ToJsonString());
        Assert.Equal("""["service.name"]""", types["ruby"]!["required"]!.ToJsonString());
        Assert.Equal("[]", types["javascript"]!["required"]!.ToJsonString());
        Assert.Equal("java", r["java_type"]!["id"]!.GetValue<string>());
        Assert.Contains(r["java_type"]!["configurationProperties"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "javaBuildSystem"
            && p["defaultValue"]!.GetValue<string>() == "maven" && !p["required"]!.GetValue<bool>());
        Assert.Equal("NotFoundException", r["unknown_type"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["ruby_refused"]!["code"]!.GetValue<string>());
        Assert.Contains("ruby", r["ruby_refused"]!["message"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["android_refused"]!["code"]!.GetValue<string>());
        Assert.Contains("android", r["android_refused"]!["message"]!.GetValue<string>());
        Assert.Equal("NotFoundException", r["no_stage"]!["code"]!.GetValue<string>());
        Assert.Equal("NotFoundException", r["no_api"]!["code"]!.GetValue<string>());

        Assert.Equal("application/zip", r["content_type"]!.GetValue<string>());
        Assert.Equal("attachment; filename=\"pets_sdk-prod-javascript.zip\"", r["disposition"]!.GetValue<string>());
        Assert.Equal("""["apiGateway-js-sdk/README.md","apiGateway-js-sdk/apigClient.js"]""", r["files"]!.ToJsonString());
        var node = r["node"]!;
        Assert.Equal("""["petsPetIdGet","rootGet"]""", node["functions"]!.ToJsonString());
        Assert.EndsWith($"/_aws/execute-api/{r["api_id"]!.GetValue<string>()}/prod", node["invokeUrl"]!.GetValue<string>());
        var pet = node["pet"]!;
        Assert.Equal(200, pet["status"]!.GetValue<int>());
        Assert.Equal("/pets/{petId}", pet["data"]!["resource"]!.GetValue<string>());
        Assert.Equal("rex-1", pet["data"]!["petId"]!.GetValue<string>());
        Assert.Equal("brown", pet["data"]!["color"]!.GetValue<string>());
        Assert.Equal("ann", pet["data"]!["owner"]!.GetValue<string>());
        Assert.Equal(200, node["root"]!["status"]!.GetValue<int>());
        Assert.Equal("/", node["root"]!["data"]!["resource"]!.GetValue<string>());
        Assert.Contains("x-owner is required", node["missing"]!.GetValue<string>());

        Assert.Equal("BadRequestException", r["java_without_package"]!["code"]!.GetValue<string>());
        Assert.Contains("javaPackageName", r["java_without_package"]!["message"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["java_bad_name"]!["code"]!.GetValue<string>());
        Assert.Equal("""["petstore-sdk/README.md","petstore-sdk/pom.xml","petstore-sdk/src/main/java/com/example/pets/PetStoreClient.java"]""",
            r["java_files"]!.ToJsonString());
        var java = r["java"]!;
        Assert.Equal(200, java["pet"]!["status"]!.GetValue<int>());
        Assert.Equal("rex-2", java["pet"]!["body"]!["petId"]!.GetValue<string>());
        Assert.Equal("grey", java["pet"]!["body"]!["color"]!.GetValue<string>());
        Assert.Equal("bob", java["pet"]!["body"]!["owner"]!.GetValue<string>());
        Assert.Equal("/", java["root"]!["body"]!["resource"]!.GetValue<string>());
        Assert.Contains("x-owner is required", java["missing"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_generated_JavaScript_and_Java_SDKs_sign_AWS_IAM_methods_that_Stratus_verifies()
    {
        const string key = "AKIAROOTEXAMPLE00002";
        const string secret = "root-secret-for-sdk-tests";
        await using var server = await StratusProcess.StartEphemeralAsync("--auth", "verify", "--root-key", $"{key}:{secret}");
        var r = await Clients.Boto3Async(server.Url, Prelude + $$"""
            apigw = client("apigateway", key="{{key}}", secret="{{secret}}")
            api = apigw.create_rest_api(name="signed")
            api_id, root = api["id"], api["rootResourceId"]
            secret_resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="secret")
            echo_method(apigw, api_id, secret_resource["id"], authorization="AWS_IAM", parameters={"method.request.querystring.color": False})
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            _, _, seen = run_sdk(apigw, api_id, "prod", '''
                const signed = factory.newClient({ accessKey: '{{key}}', secretKey: '{{secret}}', region: 'us-east-1' });
                const good = await signed.secretGet({ color: 'deep blue' });
                const wrong = await factory.newClient({ accessKey: '{{key}}', secretKey: 'not-the-secret' }).secretGet({});
                let unsigned;
                try { await factory.newClient({}).secretGet({}); } catch (refused) { unsigned = refused.message; }
                console.log(JSON.stringify({ good, wrong: wrong.status, unsigned }));
            ''')
            out["node"] = seen
            _, _, out["java"] = run_java_sdk(apigw, api_id, "prod", '''
                var signed = new PetStoreClient().withCredentials("{{key}}", "{{secret}}", null).withRegion("us-east-1");
                var wrong = new PetStoreClient().withCredentials("{{key}}", "not-the-secret", null);
                System.out.println("{\\"good\\":" + json(signed.secretGet(Map.of("color", "sea green"), null))
                    + ",\\"wrong\\":" + wrong.secretGet(Map.of(), null).status() + "}");
            ''')
            """);

        var java = r["java"]!;
        Assert.Equal(200, java["good"]!["status"]!.GetValue<int>());
        Assert.Equal("sea green", java["good"]!["body"]!["color"]!.GetValue<string>());
        Assert.Equal(403, java["wrong"]!.GetValue<int>());
        var node = r["node"]!;
        Assert.Equal(200, node["good"]!["status"]!.GetValue<int>());
        Assert.Equal("/secret", node["good"]!["data"]!["resource"]!.GetValue<string>());
        Assert.Equal("deep blue", node["good"]!["data"]!["color"]!.GetValue<string>());
        Assert.Equal(403, node["wrong"]!.GetValue<int>());
        Assert.Contains("AWS_IAM", node["unsigned"]!.GetValue<string>());
    }
}
