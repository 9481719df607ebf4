using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// The SAM transform on its own: each feature's expanded template compared with the resources AWS
/// documents as generated (logical ids, types, key properties).
/// </summary>
public sealed class SamTransformTests
{
    private static JsonObject Resources(string body) => (JsonObject)Template.Parse(body).Root["Resources"]!;

    private static JsonObject Expanded(string name) => Resources(File.ReadAllText(CloudFormationTemplates.PathOf(name)));

    private static string Refused(string body) => Assert.Throws<AwsException>(() => Template.Parse(body)).Message;

    private static string Types(JsonObject resources) =>
        string.Join(",", resources.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}:{r.Value!["Type"]}"));

    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Json(JsonNode? node) => node?.ToJsonString(Readable) ?? "null";

    [Fact]
    public void A_function_with_api_events_expands_to_the_documented_resources()
    {
        var resources = Expanded("sam_api_function.yml");
        var version = resources.Select(r => r.Key).Single(k => k.StartsWith("HelloFunctionVersion", StringComparison.Ordinal));
        var deployment = resources.Select(r => r.Key).Single(k => k.StartsWith("ServerlessRestApiDeployment", StringComparison.Ordinal));
        var itemsDeployment = resources.Select(r => r.Key).Single(k => k.StartsWith("ItemsApiDeployment", StringComparison.Ordinal));
        Assert.Matches("^HelloFunctionVersion[0-9a-f]{10}$", version);
        Assert.Matches("^ServerlessRestApiDeployment[0-9a-f]{10}$", deployment);
        Assert.Equal(string.Join(",", new[]
        {
            "HelloFunction:AWS::Lambda::Function", "HelloFunctionAliaslive:AWS::Lambda::Alias", "HelloFunctionGetItemPermissionProd:AWS::Lambda::Permission",
            "HelloFunctionGetRootPermissionProd:AWS::Lambda::Permission", "HelloFunctionRole:AWS::IAM::Role", $"{version}:AWS::Lambda::Version",
            "ItemsApi:AWS::ApiGateway::RestApi", $"{itemsDeployment}:AWS::ApiGateway::Deployment", "ItemsApidevStage:AWS::ApiGateway::Stage",
            "ItemsFunction:AWS::Lambda::Function", "ItemsFunctionListItemsPermissiondev:AWS::Lambda::Permission", "ItemsFunctionRole:AWS::IAM::Role",
            "ServerlessRestApi:AWS::ApiGateway::RestApi", $"{deployment}:AWS::ApiGateway::Deployment", "ServerlessRestApiProdStage:AWS::ApiGateway::Stage",
        }.Order(StringComparer.Ordinal)), Types(resources));

        var function = resources["HelloFunction"]!["Properties"]!;
        Assert.Equal("""{"Fn::GetAtt":["HelloFunctionRole","Arn"]}""", Json(function["Role"]));
        Assert.Equal("""[{"Key":"lambda:createdBy","Value":"SAM"},{"Key":"team","Value":"platform"}]""", Json(function["Tags"]));
        Assert.Equal("""{"Variables":{"GREETING":{"Ref":"Greeting"},"STAGE":"test"}}""", Json(function["Environment"]));
        Assert.Equal(["python3.12", "index.handler", "10", "256"],
            new[] { "Runtime", "Handler", "Timeout", "MemorySize" }.Select(p => function[p]!.ToString()));
        Assert.StartsWith("import json, os", (string)function["Code"]!["ZipFile"]!);

        var role = resources["HelloFunctionRole"]!["Properties"]!;
        Assert.Equal("""["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole","arn:aws:iam::aws:policy/AWSLambdaExecute"]""",
            Json(role["ManagedPolicyArns"]));
        Assert.Equal("""{"Version":"2012-10-17","Statement":[{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com"]}}]}""",
            Json(role["AssumeRolePolicyDocument"]));
        var policies = role["Policies"]!.AsArray();
        Assert.Equal(["HelloFunctionRolePolicy1", "HelloFunctionRolePolicy2"], policies.Select(p => (string)p!["PolicyName"]!));
        Assert.Equal("""[{"Effect":"Allow","Action":["ssm:DescribeParameters"],"Resource":"*"},{"Effect":"Allow","Action":["ssm:GetParameters","ssm:GetParameter","ssm:GetParametersByPath"],"Resource":{"Fn::Sub":["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${parameterName}",{"parameterName":"app/settings"}]}}]""",
            Json(policies[0]!["PolicyDocument"]!["Statement"]));
        Assert.Equal("""[{"Key":"lambda:createdBy","Value":"SAM"}]""", Json(role["Tags"]));

        Assert.Equal("Retain", (string?)resources[version]!["DeletionPolicy"]);
        Assert.Equal("{\"Name\":\"live\",\"FunctionName\":{\"Ref\":\"HelloFunction\"},\"FunctionVersion\":{\"Fn::GetAtt\":[\"" + version + "\",\"Version\"]}}",
            Json(resources["HelloFunctionAliaslive"]!["Properties"]));

        var body = resources["ServerlessRestApi"]!["Properties"]!["Body"]!;
        Assert.Equal("2.0", (string?)body["swagger"]);
        Assert.Equal("""{"Ref":"AWS::StackName"}""", Json(body["info"]!["title"]));
        Assert.Equal("""{"type":"aws_proxy","httpMethod":"POST","uri":{"Fn::Sub":"arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${HelloFunctionAliaslive}/invocations"}}""",
            Json(body["paths"]!["/items/{id}"]!["get"]!["x-amazon-apigateway-integration"]));
        Assert.StartsWith("""{"RestApiId":{"Ref":"ServerlessRestApi"},"Description":"RestApi deployment id: """ + deployment[^10..],
            Json(resources[deployment]!["Properties"]));
        Assert.Equal("Stage", (string?)resources[deployment]!["Properties"]!["StageName"]);
        Assert.Equal("{\"DeploymentId\":{\"Ref\":\"" + deployment + "\"},\"RestApiId\":{\"Ref\":\"ServerlessRestApi\"},\"StageName\":\"Prod\"}",
            Json(resources["ServerlessRestApiProdStage"]!["Properties"]));
        Assert.Equal("""{"Action":"lambda:InvokeFunction","FunctionName":{"Ref":"HelloFunctionAliaslive"},"Principal":"apigateway.amazonaws.com","SourceArn":{"Fn::Sub":["arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/${__Stage__}/GET/items/*",{"__ApiId__":{"Ref":"ServerlessRestApi"},"__Stage__":"*"}]}}""",
            Json(resources["HelloFunctionGetItemPermissionProd"]!["Properties"]));
        Assert.EndsWith("/GET/\",", Json(resources["HelloFunctionGetRootPermissionProd"]!["Properties"]!["SourceArn"]!["Fn::Sub"]![0]) + ",");
    }

    [Fact]
    public void An_explicit_api_takes_its_stage_cors_and_variables_and_any_method_routes()
    {
        var resources = Expanded("sam_api_function.yml");
        var paths = resources["ItemsApi"]!["Properties"]!["Body"]!["paths"]!["/items"]!;
        Assert.Equal("""{"Fn::Sub":"arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ItemsFunction.Arn}/invocations"}""",
            Json(paths["x-amazon-apigateway-any-method"]!["x-amazon-apigateway-integration"]!["uri"]));
        var preflight = paths["options"]!["x-amazon-apigateway-integration"]!;
        Assert.Equal("mock", (string?)preflight["type"]);
        Assert.Equal("""{"method.response.header.Access-Control-Allow-Origin":"'*'","method.response.header.Access-Control-Allow-Headers":"'Content-Type'","method.response.header.Access-Control-Allow-Methods":"'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT'"}""",
            Json(preflight["responses"]!["default"]!["responseParameters"]));
        Assert.Equal("""["image/png"]""", Json(resources["ItemsApi"]!["Properties"]!["Body"]!["x-amazon-apigateway-binary-media-types"]));
        var stage = resources["ItemsApidevStage"]!["Properties"]!;
        Assert.Equal("""[{"ResourcePath":"/*","HttpMethod":"*","MetricsEnabled":true,"ThrottlingBurstLimit":50}]""", Json(stage["MethodSettings"]));
        Assert.Equal("dev", (string?)stage["StageName"]);
        Assert.Equal("""{"release":"1"}""", Json(stage["Variables"]));
        Assert.Contains("${__ApiId__}/${__Stage__}/*/items", Json(resources["ItemsFunctionListItemsPermissiondev"]!["Properties"]!["SourceArn"]));
    }

    [Fact]
    public void A_stage_name_that_is_not_alphanumeric_names_the_stage_and_permissions_by_its_hash_as_sam_does()
    {
        var resources = Resources("""
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Api:
                Type: AWS::Serverless::Api
                Properties:
                  StageName: demo-cct
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  InlineCode: x
                  Handler: index.handler
                  Runtime: python3.11
                  Events:
                    Get:
                      Type: Api
                      Properties: {RestApiId: !Ref Api, Path: /, Method: get}
            """);
        // e81283d498 is the start of SHA-1("demo-cct"), the suffix SAM's translator gives both.
        Assert.Equal("AWS::ApiGateway::Stage", (string?)resources["ApiStagee81283d498"]!["Type"]);
        Assert.Equal("AWS::Lambda::Permission", (string?)resources["FnGetPermissione81283d498"]!["Type"]);
    }

    [Fact]
    public void Globals_merge_maps_append_lists_and_let_the_resource_override_scalars()
    {
        var resources = Resources("""
            Transform: AWS::Serverless-2016-10-31
            Globals:
              Function:
                Runtime: python3.11
                Timeout: 5
                Layers: [arn:aws:lambda:us-east-1:123456789012:layer:a:1]
                Environment: { Variables: { A: global, B: global } }
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  Handler: index.handler
                  Timeout: 20
                  InlineCode: "def handler(e, c): return 1"
                  Layers: [arn:aws:lambda:us-east-1:123456789012:layer:b:1]
                  Environment: { Variables: { B: local, C: local } }
            """);
        var function = resources["Fn"]!["Properties"]!;
        Assert.Equal("python3.11", (string?)function["Runtime"]);
        Assert.Equal(20, (long)function["Timeout"]!);
        Assert.Equal("""["arn:aws:lambda:us-east-1:123456789012:layer:a:1","arn:aws:lambda:us-east-1:123456789012:layer:b:1"]""", Json(function["Layers"]));
        Assert.Equal("""{"Variables":{"A":"global","B":"local","C":"local"}}""", Json(function["Environment"]));
    }

    [Fact]
    public void A_layer_version_gets_its_hashed_logical_id_and_every_reference_follows_it()
    {
        const string body = """
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Shared:
                Type: AWS::Serverless::LayerVersion
                Properties:
                  ContentUri: s3://artifacts/layers/shared.zip
                  CompatibleRuntimes: [python3.12]
              Scratch:
                Type: AWS::Serverless::LayerVersion
                Properties:
                  LayerName: scratch
                  ContentUri: {Bucket: artifacts, Key: layers/scratch.zip, Version: v7}
                  RetentionPolicy: Delete
              Fn:
                Type: AWS::Serverless::Function
                DependsOn: [Scratch]
                Properties:
                  Handler: index.handler
                  Runtime: python3.12
                  InlineCode: x
                  Layers: [!Ref Shared, !Ref Scratch]
            Outputs:
              SharedArn: {Value: !Ref Shared}
            """;
        var root = Template.Parse(body).Root;
        var resources = (JsonObject)root["Resources"]!;
        var shared = resources.Select(r => r.Key).Single(k => k.StartsWith("Shared", StringComparison.Ordinal));
        var scratch = resources.Select(r => r.Key).Single(k => k.StartsWith("Scratch", StringComparison.Ordinal));
        Assert.Matches("^Shared[0-9a-f]{10}$", shared);
        Assert.Equal("""{"Type":"AWS::Lambda::LayerVersion","Properties":{"Content":{"S3Bucket":"artifacts","S3Key":"layers/shared.zip"},"LayerName":"Shared","CompatibleRuntimes":["python3.12"]},"DeletionPolicy":"Retain"}""",
            Json(resources[shared]));
        Assert.Equal("""{"S3Bucket":"artifacts","S3Key":"layers/scratch.zip","S3ObjectVersion":"v7"}""", Json(resources[scratch]!["Properties"]!["Content"]));
        Assert.Null(resources[scratch]!["DeletionPolicy"]);
        Assert.Equal($$"""[{"Ref":"{{shared}}"},{"Ref":"{{scratch}}"}]""", Json(resources["Fn"]!["Properties"]!["Layers"]));
        Assert.Equal($$"""["{{scratch}}"]""", Json(resources["Fn"]!["DependsOn"]));
        Assert.Equal($$"""{"Ref":"{{shared}}"}""", Json(root["Outputs"]!["SharedArn"]!["Value"]));
        Assert.Contains("'RetentionPolicy' must be one of the following values",
            Refused("Transform: AWS::Serverless-2016-10-31\nResources:\n  L: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: s3://b/k, RetentionPolicy: Never}}\n"));
    }

    private const string Function = """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: index.handler
              Runtime: python3.12
        """;

    [Fact]
    public void Schedule_and_rule_events_become_a_rule_targeting_the_function_and_a_permission_for_eventbridge()
    {
        var resources = Resources(Function + """

                  InlineCode: x
                  Events:
                    Tick: {Type: Schedule, Properties: {Schedule: rate(5 minutes), Enabled: false, Input: '{"a":1}'}}
                    Orders: {Type: EventBridgeRule, Properties: {Pattern: {source: [shop]}, InputPath: $.detail}}
            """);
        Assert.Equal("Fn:AWS::Lambda::Function,FnOrders:AWS::Events::Rule,FnOrdersPermission:AWS::Lambda::Permission,FnRole:AWS::IAM::Role," +
            "FnTick:AWS::Events::Rule,FnTickPermission:AWS::Lambda::Permission", Types(resources));
        Assert.Equal("""{"ScheduleExpression":"rate(5 minutes)","State":"DISABLED","Targets":[{"Arn":{"Fn::GetAtt":["Fn","Arn"]},"Id":"FnTickLambdaTarget","Input":"{\"a\":1}"}]}""",
            Json(resources["FnTick"]!["Properties"]));
        Assert.Equal("""{"EventPattern":{"source":["shop"]},"Targets":[{"Arn":{"Fn::GetAtt":["Fn","Arn"]},"Id":"FnOrdersLambdaTarget","InputPath":"$.detail"}]}""",
            Json(resources["FnOrders"]!["Properties"]));
        Assert.Equal("""{"Action":"lambda:InvokeFunction","FunctionName":{"Ref":"Fn"},"Principal":"events.amazonaws.com","SourceArn":{"Fn::GetAtt":["FnTick","Arn"]}}""",
            Json(resources["FnTickPermission"]!["Properties"]));
    }

    [Fact]
    public void An_s3_event_configures_the_bucket_which_then_depends_on_the_permission()
    {
        var resources = Resources(Function + """

                  InlineCode: x
                  Events:
                    Upload:
                      Type: S3
                      Properties:
                        Bucket: {Ref: Uploads}
                        Events: [s3:ObjectCreated:*, s3:ObjectRemoved:*]
                        Filter: {S3Key: {Rules: [{Name: prefix, Value: in/}]}}
              Uploads: {Type: AWS::S3::Bucket}
            """);
        Assert.Equal("""{"Action":"lambda:InvokeFunction","FunctionName":{"Ref":"Fn"},"Principal":"s3.amazonaws.com","SourceAccount":{"Ref":"AWS::AccountId"}}""",
            Json(resources["FnUploadPermission"]!["Properties"]));
        Assert.Equal("""{"LambdaConfigurations":[{"Event":"s3:ObjectCreated:*","Function":{"Fn::GetAtt":["Fn","Arn"]},"Filter":{"S3Key":{"Rules":[{"Name":"prefix","Value":"in/"}]}}},""" +
            """{"Event":"s3:ObjectRemoved:*","Function":{"Fn::GetAtt":["Fn","Arn"]},"Filter":{"S3Key":{"Rules":[{"Name":"prefix","Value":"in/"}]}}}]}""",
            Json(resources["Uploads"]!["Properties"]!["NotificationConfiguration"]));
        Assert.Equal("""["FnUploadPermission"]""", Json(resources["Uploads"]!["DependsOn"]));
    }

    [Fact]
    public void Code_locations_vpc_and_images_become_lambda_properties()
    {
        var s3 = Resources(Function + "\n      CodeUri: s3://artifacts/app.zip?versionId=v7\n      VpcConfig: {SubnetIds: [subnet-1], SecurityGroupIds: [sg-1]}\n      AutoPublishAlias: live\n");
        Assert.Equal("""{"S3Bucket":"artifacts","S3Key":"app.zip","S3ObjectVersion":"v7"}""", Json(s3["Fn"]!["Properties"]!["Code"]));
        Assert.Contains("service-role/AWSLambdaVPCAccessExecutionRole", Json(s3["FnRole"]!["Properties"]!["ManagedPolicyArns"]));
        var other = Resources(Function + "\n      CodeUri: {Bucket: artifacts, Key: app2.zip}\n      AutoPublishAlias: live\n");
        Assert.Equal("""{"S3Bucket":"artifacts","S3Key":"app2.zip"}""", Json(other["Fn"]!["Properties"]!["Code"]));
        // New code publishes a new version: the version's logical id follows the code.
        Assert.NotEqual(s3.Select(r => r.Key).Single(k => k.StartsWith("FnVersion", StringComparison.Ordinal)),
            other.Select(r => r.Key).Single(k => k.StartsWith("FnVersion", StringComparison.Ordinal)));

        var image = Resources("""
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  PackageType: Image
                  ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1
                  ImageConfig: {Command: [app.handler]}
                  Role: arn:aws:iam::123456789012:role/existing
            """);
        Assert.Equal("""{"ImageUri":"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"}""", Json(image["Fn"]!["Properties"]!["Code"]));
        Assert.Equal("arn:aws:iam::123456789012:role/existing", (string?)image["Fn"]!["Properties"]!["Role"]);
        Assert.False(image.ContainsKey("FnRole"));
    }

    [Fact]
    public void Provisioned_concurrency_goes_on_the_auto_published_alias_and_needs_one()
    {
        var resources = Resources(Function + "\n      InlineCode: x\n      AutoPublishAlias: live\n      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 3}\n");
        Assert.Equal("""{"ProvisionedConcurrentExecutions":3}""", Json(resources["FnAliaslive"]!["Properties"]!["ProvisionedConcurrencyConfig"]));
        Assert.Null(resources["Fn"]!["Properties"]!["ProvisionedConcurrencyConfig"]);
        Assert.Null(resources.Single(r => r.Key.StartsWith("FnVersion", StringComparison.Ordinal)).Value!["Properties"]!["ProvisionedConcurrencyConfig"]);
        Assert.EndsWith("Resource with id [Fn] is invalid. To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function",
            Refused(Function + "\n      InlineCode: x\n      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 3}\n"));
    }

    [Fact]
    public void What_cannot_be_built_is_refused_by_name()
    {
        Assert.Equal("Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification document. Number of errors found: 1. " +
            "Resource with id [GetFunction] is invalid. 'CodeUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.",
            Refused(File.ReadAllText(CloudFormationTemplates.PathOf("sam_dotnet_empty.yml"))));
        Assert.Contains("event Tick of type ScheduleV2: Stratus does not serve EventBridge Scheduler (AWS::Scheduler::Schedule)",
            Refused(Function + "\n      InlineCode: x\n      Events: {Tick: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 minute)}}}\n"));
        Assert.Contains("does not build the HttpApi event property Auth",
            Refused(Function + "\n      InlineCode: x\n      Events: {Get: {Type: HttpApi, Properties: {Auth: {Authorizer: jwt}}}}\n"));
        Assert.Contains("S3 events must reference an S3 bucket in the same template",
            Refused(Function + "\n      InlineCode: x\n      Events: {Up: {Type: S3, Properties: {Bucket: {Ref: Missing}, Events: s3:ObjectCreated:*}}}\n"));
        Assert.Contains("Stratus does not build the Schedule event property RetryPolicy",
            Refused(Function + "\n      InlineCode: x\n      Events: {Tick: {Type: Schedule, Properties: {Schedule: rate(1 minute), RetryPolicy: {MaximumRetryAttempts: 1}}}}\n"));
        Assert.Contains("DynamoDB", Refused("Transform: AWS::Serverless-2016-10-31\nResources:\n  T: {Type: AWS::Serverless::SimpleTable}\n"));
        Assert.Contains("Missing required property 'ContentUri'", Refused("Transform: AWS::Serverless-2016-10-31\nResources:\n  L: {Type: AWS::Serverless::LayerVersion}\n"));
        Assert.Contains("Serverless Application Repository", Refused("Transform: AWS::Serverless-2016-10-31\nResources:\n  A: {Type: AWS::Serverless::Application}\n"));
        // Template.Parse runs no macro: they run once, where a template enters (TemplateProcessor, MacroTests).
        Assert.Contains("Stratus runs the transform AWS::Include only where a template enters",
            Refused("Transform: {Name: AWS::Include, Parameters: {Location: s3://b/k}}\nResources:\n  R: {Type: AWS::IAM::Role}\n"));
        Assert.Contains("Stratus runs the transform MyMacro only where a template enters", Refused("Transform: [AWS::Serverless-2016-10-31, MyMacro]\nResources:\n  R: {Type: AWS::IAM::Role}\n"));
        Assert.Contains("Only one of 'InlineCode' or 'CodeUri' can be set", Refused(Function + "\n      InlineCode: x\n      CodeUri: s3://b/k\n"));
        // Without the transform a Globals section is what CloudFormation calls it: an unknown section.
        Assert.Equal("Template format error: Invalid template property or properties [Globals]",
            Refused("Globals: {Function: {Timeout: 3}}\nResources:\n  R: {Type: AWS::IAM::Role}\n"));
    }

    [Fact]
    public void The_processed_template_drops_transform_and_globals_and_keeps_the_rest()
    {
        var template = Template.Parse(File.ReadAllText(CloudFormationTemplates.PathOf("sam_api_function.yml")));
        Assert.Equal(["AWS::Serverless-2016-10-31"], template.Transforms);
        var processed = JsonNode.Parse(template.ProcessedBody)!.AsObject();
        Assert.Equal(["AWSTemplateFormatVersion", "Description", "Parameters", "Resources", "Outputs"], processed.Select(p => p.Key));
        Assert.Contains("Transform: AWS::Serverless-2016-10-31", template.Body);
    }
}
