using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Ecr;

/// <summary>
/// ECR's registry under `--auth enforce`: a login stands for the IAM user that called GetAuthorizationToken,
/// so skopeo's pushes need ecr:InitiateLayerUpload/UploadLayerPart/CompleteLayerUpload/BatchCheckLayerAvailability/PutImage
/// and its pulls ecr:BatchGetImage/GetDownloadUrlForLayer on the repository, from an identity policy or the
/// repository policy; a refusal is the registry's DENIED with IAM's sentence.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class EcrRegistryAuthorizationTests : EnforcedStratusTest
{
    private const string Account = "000000000000";
    private static readonly Dictionary<string, string> Files = new() { ["bin/run"] = "#!/bin/sh\n" };

    [Fact]
    public async Task Pushes_and_pulls_are_authorized_as_the_principal_that_asked_for_the_login()
    {
        var setup = await Clients.Boto3Async(Server.Url, $$"""
            import base64
            ROOT = dict(key="{{RootKey}}", secret="{{RootSecret}}")
            iam = client("iam", **ROOT)
            def doc(*statements):
                return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
            repo = client("ecr", **ROOT).create_repository(repositoryName="secure/app")["repository"]
            login = {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
            def password(name, *statements):
                iam.create_user(UserName=name)
                iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(login, *statements))
                k = iam.create_access_key(UserName=name)["AccessKey"]
                token = client("ecr", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).get_authorization_token()["authorizationData"][0]["authorizationToken"]
                return base64.b64decode(token).decode()[len("AWS:"):]
            out["uri"] = repo["repositoryUri"]
            out["pusher"] = password("pusher", {"Effect": "Allow", "Resource": repo["repositoryArn"], "Action": [
                "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:BatchCheckLayerAvailability", "ecr:PutImage"]})
            out["puller"] = password("puller", {"Effect": "Allow", "Resource": repo["repositoryArn"], "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]})
            out["friend"] = password("friend")
            """);
        var uri = setup["uri"]!.GetValue<string>();
        string Password(string user) => setup[user]!.GetValue<string>();
        var scratch = Directory.CreateTempSubdirectory("stratus-registry-auth-").FullName;
        try
        {
            var image = new TestImage(Files);
            image.WriteLayout(Path.Combine(scratch, "source"), "latest");

            var pullerPush = await SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + Password("puller"), $"oci:{scratch}/source:latest", $"docker://{uri}:v1");
            Assert.NotEqual(0, pullerPush.ExitCode);
            // skopeo first checks for the blob (HEAD, ecr:BatchCheckLayerAvailability): a 403 without a body, which it reports by its status.
            Assert.Contains("403 (Forbidden)", pullerPush.Stderr);
            var push = await SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + Password("pusher"), $"oci:{scratch}/source:latest", $"docker://{uri}:v1");
            Assert.True(push.ExitCode == 0, push.ToString());

            var pull = await SkopeoAsync("copy", "--src-tls-verify=false", "--src-creds", "AWS:" + Password("puller"), $"docker://{uri}:v1", $"oci:{scratch}/pulled:v1");
            Assert.True(pull.ExitCode == 0, pull.ToString());
            Assert.True(File.Exists(Path.Combine(scratch, "pulled", "blobs", "sha256", image.LayerDigest["sha256:".Length..])));

            // The registry's own answer: 403 with the distribution spec's DENIED and IAM's sentence.
            using (var registry = new HttpClient { BaseAddress = new Uri(Server.Url) })
            {
                registry.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:" + Password("friend"))));
                using var refused = await registry.GetAsync($"/v2/secure/app/manifests/v1");
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
                var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["errors"]![0]!;
                Assert.Equal("DENIED", error["code"]!.GetValue<string>());
                Assert.Equal($"User: arn:aws:iam::{Account}:user/friend is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:{Account}:repository/secure/app because no identity-based policy allows the ecr:BatchGetImage action",
                    error["message"]!.GetValue<string>());
            }

            // A repository policy naming the user lets it pull without an identity policy, as within one account on AWS.
            await Clients.Boto3Async(Server.Url, $$"""
                client("ecr", key="{{RootKey}}", secret="{{RootSecret}}").set_repository_policy(repositoryName="secure/app", policyText=json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::{{Account}}:user/friend"}, "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}))
                """);
            var friendPull = await SkopeoAsync("copy", "--src-tls-verify=false", "--src-creds", "AWS:" + Password("friend"), $"docker://{uri}:v1", $"oci:{scratch}/friend:v1");
            Assert.True(friendPull.ExitCode == 0, friendPull.ToString());
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static Task<ProcessResult> SkopeoAsync(params string[] args) =>
        Clients.RunAsync("skopeo", ["--insecure-policy", .. args], "", TimeSpan.FromMinutes(2));
}
