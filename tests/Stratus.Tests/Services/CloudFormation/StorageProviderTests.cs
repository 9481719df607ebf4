using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// The resource types deploy tools create (the CDK's bootstrap stack among them): S3 buckets and their
/// policies, SSM parameters, ECR repositories, API Gateway's account setting and CDK metadata, made by a
/// stack through each service's domain and seen through each service's own API.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class StorageProviderTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Prelude = """
        cfn = client("cloudformation"); s3 = client("s3"); ssm = client("ssm"); ecr = client("ecr"); apigw = client("apigateway"); iam = client("iam")
        def settle(name):
            while True:
                stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
                if not stack["StackStatus"].endswith("_IN_PROGRESS"): return stack
                time.sleep(0.5)
        def failures(name):
            return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
                    for e in cfn.describe_stack_events(StackName=name)["StackEvents"] if e["ResourceStatus"].endswith("FAILED")]
        def outputs(stack):
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

        """;

    private const string Template = """
        template = lambda value, versioned: json.dumps({
            "Parameters": {"Value": {"Type": "String"}},
            "Resources": {
                "Assets": {"Type": "AWS::S3::Bucket", "Properties": {
                    "BucketName": "stack-assets-bucket",
                    **({"VersioningConfiguration": {"Status": "Enabled"}} if versioned else {}),
                    "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
                    "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                    "LifecycleConfiguration": {"Rules": [{"Id": "CleanupOldVersions", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 365}},
                                                         {"Id": "tmp", "Status": "Enabled", "Prefix": "tmp/", "ExpirationInDays": 1}]},
                    "CorsConfiguration": {"CorsRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "MaxAge": 300}]},
                    "Tags": [{"Key": "team", "Value": value}]}},
                "Unnamed": {"Type": "AWS::S3::Bucket"},
                "AssetsPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Assets"}, "PolicyDocument": {
                    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                   "Resource": [{"Fn::GetAtt": ["Assets", "Arn"]}, {"Fn::Join": ["", [{"Fn::GetAtt": ["Assets", "Arn"]}, "/*"]]}]}]}}},
                "Version": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/stack-test/version", "Type": "String", "Value": {"Ref": "Value"},
                    "Tags": {"team": value}}},
                "UnnamedParameter": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "StringList", "Value": "a,b"}},
                "Images": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "stack-images", "ImageTagMutability": "IMMUTABLE",
                    "ImageScanningConfiguration": {"ScanOnPush": True}, "EmptyOnDelete": True,
                    "LifecyclePolicy": {"LifecyclePolicyText": json.dumps({"rules": [{"rulePriority": 1, "description": "expire untagged",
                        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 365}, "action": {"type": "expire"}}]})},
                    "RepositoryPolicyText": {"Version": "2012-10-17", "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": ["ecr:BatchGetImage"]}]}}},
                "UnnamedRepository": {"Type": "AWS::ECR::Repository"},
                "LogsRole": {"Type": "AWS::IAM::Role", "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                    "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]}},
                "Account": {"Type": "AWS::ApiGateway::Account", "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["LogsRole", "Arn"]}}},
                "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:H4sIAAAAAAAA"}},
            },
            "Outputs": {k: {"Value": v} for k, v in {
                "Ref": {"Ref": "Assets"}, "Arn": {"Fn::GetAtt": ["Assets", "Arn"]}, "DomainName": {"Fn::GetAtt": ["Assets", "DomainName"]},
                "Regional": {"Fn::GetAtt": ["Assets", "RegionalDomainName"]}, "DualStack": {"Fn::GetAtt": ["Assets", "DualStackDomainName"]},
                "Website": {"Fn::GetAtt": ["Assets", "WebsiteURL"]}, "Unnamed": {"Ref": "Unnamed"},
                "ParameterRef": {"Ref": "Version"}, "ParameterType": {"Fn::GetAtt": ["Version", "Type"]}, "ParameterValue": {"Fn::GetAtt": ["Version", "Value"]},
                "UnnamedParameter": {"Ref": "UnnamedParameter"},
                "RepositoryRef": {"Ref": "Images"}, "RepositoryArn": {"Fn::GetAtt": ["Images", "Arn"]}, "RepositoryUri": {"Fn::GetAtt": ["Images", "RepositoryUri"]},
                "UnnamedRepository": {"Ref": "UnnamedRepository"}, "PolicyRef": {"Ref": "AssetsPolicy"}}.items()},
        })

        """;

    [Fact]
    public async Task A_stack_makes_buckets_policies_parameters_and_repositories_that_each_service_serves_and_deletes_them_as_aws_does()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + Template + """
            cfn.create_stack(StackName="storage", TemplateBody=template("one", True), Parameters=[{"ParameterKey": "Value", "ParameterValue": "v1"}],
                             Capabilities=["CAPABILITY_IAM"])
            stack = settle("storage")
            out["created"] = stack["StackStatus"]
            out["create_failures"] = failures("storage")
            out["outputs"] = outputs(stack)
            out["versioning"] = s3.get_bucket_versioning(Bucket="stack-assets-bucket").get("Status")
            out["encryption"] = s3.get_bucket_encryption(Bucket="stack-assets-bucket")["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
            out["public_access"] = s3.get_public_access_block(Bucket="stack-assets-bucket")["PublicAccessBlockConfiguration"]
            out["lifecycle"] = s3.get_bucket_lifecycle_configuration(Bucket="stack-assets-bucket")["Rules"]
            out["cors"] = s3.get_bucket_cors(Bucket="stack-assets-bucket")["CORSRules"]
            out["bucket_tags"] = s3.get_bucket_tagging(Bucket="stack-assets-bucket")["TagSet"]
            out["policy"] = json.loads(s3.get_bucket_policy(Bucket="stack-assets-bucket")["Policy"])["Statement"][0]["Resource"]
            out["parameter"] = ssm.get_parameter(Name="/stack-test/version")["Parameter"]["Value"]
            out["parameter_tags"] = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/stack-test/version")["TagList"]
            repo = ecr.describe_repositories(repositoryNames=["stack-images"])["repositories"][0]
            out["repository"] = [repo["imageTagMutability"], repo["imageScanningConfiguration"]["scanOnPush"], repo["repositoryUri"]]
            out["lifecycle_policy"] = json.loads(ecr.get_lifecycle_policy(repositoryName="stack-images")["lifecyclePolicyText"])["rules"][0]["rulePriority"]
            out["repository_policy"] = json.loads(ecr.get_repository_policy(repositoryName="stack-images")["policyText"])["Statement"][0]["Sid"]
            out["account_role"] = apigw.get_account().get("cloudwatchRoleArn")
            out["role_policies"] = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=cfn.describe_stack_resource(StackName="storage", LogicalResourceId="LogsRole")["StackResourceDetail"]["PhysicalResourceId"])["AttachedPolicies"]]

            cfn.update_stack(StackName="storage", TemplateBody=template("two", False), Parameters=[{"ParameterKey": "Value", "ParameterValue": "v2"}],
                             Capabilities=["CAPABILITY_IAM"])
            stack = settle("storage")
            out["updated"] = stack["StackStatus"]
            out["update_failures"] = failures("storage")
            out["updated_parameter"] = [ssm.get_parameter(Name="/stack-test/version")["Parameter"]["Value"], outputs(stack)["ParameterValue"]]
            out["updated_tags"] = s3.get_bucket_tagging(Bucket="stack-assets-bucket")["TagSet"]
            out["suspended"] = s3.get_bucket_versioning(Bucket="stack-assets-bucket").get("Status")

            s3.put_object(Bucket="stack-assets-bucket", Key="left-behind", Body=b"x")
            cfn.delete_stack(StackName="storage")
            stack = settle("storage")
            out["delete_with_object"] = stack["StackStatus"]
            out["delete_failures"] = failures("storage")
            # The bucket was versioned: emptying it means deleting every version and delete marker, as on AWS.
            versions = s3.list_object_versions(Bucket="stack-assets-bucket")
            for v in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
                s3.delete_object(Bucket="stack-assets-bucket", Key=v["Key"], VersionId=v["VersionId"])
            cfn.delete_stack(StackName="storage")
            stack_id = stack["StackId"]
            while True:
                status = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
                if not status.endswith("_IN_PROGRESS"): break
                time.sleep(0.5)
            out["deleted"] = status
            out["bucket_gone"] = error(s3.head_bucket, Bucket="stack-assets-bucket")
            out["parameter_gone"] = error(ssm.get_parameter, Name="/stack-test/version")
            out["repository_gone"] = error(ecr.describe_repositories, repositoryNames=["stack-images"])
            out["buckets_left"] = [b["Name"] for b in s3.list_buckets()["Buckets"]]
            """);

        Assert.Equal("CREATE_COMPLETE", r["created"]!.GetValue<string>());
        Assert.Empty(r["create_failures"]!.AsArray());
        var outputs = r["outputs"]!;
        Assert.Equal("stack-assets-bucket", outputs["Ref"]!.GetValue<string>());
        Assert.Equal("arn:aws:s3:::stack-assets-bucket", outputs["Arn"]!.GetValue<string>());
        Assert.Equal("stack-assets-bucket.s3.amazonaws.com", outputs["DomainName"]!.GetValue<string>());
        Assert.Equal("stack-assets-bucket.s3.us-east-1.amazonaws.com", outputs["Regional"]!.GetValue<string>());
        Assert.Equal("stack-assets-bucket.s3.dualstack.us-east-1.amazonaws.com", outputs["DualStack"]!.GetValue<string>());
        Assert.Equal("http://stack-assets-bucket.s3-website-us-east-1.amazonaws.com", outputs["Website"]!.GetValue<string>());
        Assert.Matches("^storage-unnamed-[a-z0-9]{12}$", outputs["Unnamed"]!.GetValue<string>());
        Assert.Equal("stack-assets-bucket", outputs["PolicyRef"]!.GetValue<string>());
        Assert.Equal(["/stack-test/version", "String", "v1"],
            [outputs["ParameterRef"]!.GetValue<string>(), outputs["ParameterType"]!.GetValue<string>(), outputs["ParameterValue"]!.GetValue<string>()]);
        Assert.Matches("^CFN-UnnamedParameter-[A-Za-z0-9]{12}$", outputs["UnnamedParameter"]!.GetValue<string>());
        Assert.Equal("stack-images", outputs["RepositoryRef"]!.GetValue<string>());
        Assert.Equal("arn:aws:ecr:us-east-1:000000000000:repository/stack-images", outputs["RepositoryArn"]!.GetValue<string>());
        Assert.Equal($"{new Uri(stratus.Url).Authority}/stack-images", outputs["RepositoryUri"]!.GetValue<string>());
        Assert.Matches("^storage-unnamedrepository-[a-z0-9]{12}$", outputs["UnnamedRepository"]!.GetValue<string>());

        Assert.Equal("Enabled", r["versioning"]!.GetValue<string>());
        Assert.Equal("aws:kms", r["encryption"]!.GetValue<string>());
        Assert.True(r["public_access"]!["BlockPublicPolicy"]!.GetValue<bool>());
        Assert.Equal(365, r["lifecycle"]![0]!["NoncurrentVersionExpiration"]!["NoncurrentDays"]!.GetValue<int>());
        Assert.Equal("tmp/", r["lifecycle"]![1]!["Filter"]!["Prefix"]!.GetValue<string>());
        Assert.Equal(300, r["cors"]![0]!["MaxAgeSeconds"]!.GetValue<int>());
        Assert.Equal("one", r["bucket_tags"]![0]!["Value"]!.GetValue<string>());
        Assert.Equal("arn:aws:s3:::stack-assets-bucket/*", r["policy"]![1]!.GetValue<string>());
        Assert.Equal("v1", r["parameter"]!.GetValue<string>());
        Assert.Equal("one", r["parameter_tags"]![0]!["Value"]!.GetValue<string>());
        Assert.Equal("IMMUTABLE", r["repository"]![0]!.GetValue<string>());
        Assert.True(r["repository"]![1]!.GetValue<bool>());
        Assert.Equal(1, r["lifecycle_policy"]!.GetValue<int>());
        Assert.Equal("pull", r["repository_policy"]!.GetValue<string>());
        Assert.Matches("^arn:aws:iam::000000000000:role/storage-LogsRole-", r["account_role"]!.GetValue<string>());
        Assert.Equal("arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs", r["role_policies"]![0]!.GetValue<string>());

        Assert.Equal("UPDATE_COMPLETE", r["updated"]!.GetValue<string>());
        Assert.Empty(r["update_failures"]!.AsArray());
        Assert.Equal(["v2", "v2"], r["updated_parameter"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("two", r["updated_tags"]![0]!["Value"]!.GetValue<string>());
        Assert.Equal("Suspended", r["suspended"]!.GetValue<string>());

        // As on AWS, a bucket with objects in it is not deleted by its stack.
        Assert.Equal("DELETE_FAILED", r["delete_with_object"]!.GetValue<string>());
        var failure = r["delete_failures"]!.AsArray().Single(f => f![0]!.GetValue<string>() == "Assets");
        Assert.StartsWith("The bucket you tried to delete is not empty (Service: S3", failure![2]!.GetValue<string>());
        Assert.Contains("Error Code: BucketNotEmpty", failure[2]!.GetValue<string>());
        Assert.Equal("DELETE_COMPLETE", r["deleted"]!.GetValue<string>());
        Assert.Equal(404, r["bucket_gone"]!["status"]!.GetValue<int>());
        Assert.Equal("ParameterNotFound", r["parameter_gone"]!["code"]!.GetValue<string>());
        Assert.Equal("RepositoryNotFoundException", r["repository_gone"]!["code"]!.GetValue<string>());
        Assert.Empty(r["buckets_left"]!.AsArray());
    }

    [Fact]
    public async Task Bucket_properties_stratus_does_not_implement_and_secure_string_parameters_are_refused_by_name()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            cfn.create_stack(StackName="refused", TemplateBody=json.dumps({"Resources": {
                "Site": {"Type": "AWS::S3::Bucket", "Properties": {"WebsiteConfiguration": {"IndexDocument": "index.html"}}}}}))
            out["website"] = [settle("refused")["StackStatus"], failures("refused")]
            cfn.create_stack(StackName="secure", TemplateBody=json.dumps({"Resources": {
                "Secret": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "SecureString", "Value": "x"}}}}))
            out["secure"] = [settle("secure")["StackStatus"], failures("secure")]
            """);

        Assert.Equal("ROLLBACK_COMPLETE", r["website"]![0]!.GetValue<string>());
        Assert.Contains(r["website"]![1]!.AsArray(), f => f![2]!.GetValue<string>()
            == "Properties validation failed for resource Site with message: #/WebsiteConfiguration: Stratus's S3 does not implement the bucket property WebsiteConfiguration");
        Assert.Equal("ROLLBACK_COMPLETE", r["secure"]![0]!.GetValue<string>());
        Assert.Contains(r["secure"]![1]!.AsArray(), f => f![2]!.GetValue<string>()
            == "Properties validation failed for resource Secret with message: #/Type: failed validation constraint for keyword [enum]");
    }
}
