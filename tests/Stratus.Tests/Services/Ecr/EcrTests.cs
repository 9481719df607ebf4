using System.Net;
using System.Text;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Ecr;

[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class EcrTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Seed_ecr_commands_log_in_create_and_describe_the_repository()
    {
        var password = await Clients.AwsAsync(stratus.Url, "ecr", "get-login-password");
        Assert.True(password.ExitCode == 0, password.ToString());
        Assert.True(password.Stdout.Trim().Length > 20);

        var created = await Clients.AwsAsync(stratus.Url, "ecr", "create-repository", "--repository-name", "demo-cct-lambda-seed-db",
            "--image-scanning-configuration", "scanOnPush=true", "--image-tag-mutability", "MUTABLE", "--tags", "Key=Environment,Value=demo-cct-paas");
        Assert.True(created.ExitCode == 0, created.ToString());

        var uri = await Clients.AwsAsync(stratus.Url, "ecr", "describe-repositories", "--repository-names", "demo-cct-lambda-seed-db",
            "--query", "repositories[0].repositoryUri", "--output", "text");
        // The registry is Stratus's own port, a loopback host docker and Go clients allow without TLS configuration.
        Assert.Equal($"{new Uri(stratus.Url).Authority}/demo-cct-lambda-seed-db", uri.Stdout.Trim());
    }

    [Fact]
    public async Task Repository_errors_and_tags_follow_ecr()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            ecr = client("ecr")
            repo = ecr.create_repository(repositoryName="team/app", tags=[{"Key": "a", "Value": "1"}])["repository"]
            out["arn"] = repo["repositoryArn"]
            out["scan"] = repo["imageScanningConfiguration"]["scanOnPush"]
            out["duplicate"] = error(ecr.create_repository, repositoryName="team/app")
            out["bad_name"] = error(ecr.create_repository, repositoryName="Upper_Case")
            out["missing"] = error(ecr.describe_repositories, repositoryNames=["nope"])
            ecr.tag_resource(resourceArn=repo["repositoryArn"], tags=[{"Key": "b", "Value": "2"}])
            ecr.untag_resource(resourceArn=repo["repositoryArn"], tagKeys=["a"])
            out["tags"] = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
            out["images"] = ecr.describe_images(repositoryName="team/app")["imageDetails"]
            auth = ecr.get_authorization_token()["authorizationData"][0]
            out["token_user"] = base64.b64decode(auth["authorizationToken"]).decode().split(":")[0]
            ecr.delete_repository(repositoryName="team/app")
            out["deleted"] = error(ecr.delete_repository, repositoryName="team/app")
            """);

        Assert.Equal("arn:aws:ecr:us-east-1:000000000000:repository/team/app", r["arn"]!.GetValue<string>());
        Assert.False(r["scan"]!.GetValue<bool>());
        Assert.Equal("RepositoryAlreadyExistsException", r["duplicate"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterException", r["bad_name"]!["code"]!.GetValue<string>());
        Assert.Equal("RepositoryNotFoundException", r["missing"]!["code"]!.GetValue<string>());
        Assert.Contains("'nope' does not exist", r["missing"]!["message"]!.GetValue<string>());
        Assert.Equal("""[{"Key":"b","Value":"2"}]""", r["tags"]!.ToJsonString());
        Assert.Equal("[]", r["images"]!.ToJsonString());
        Assert.Equal("AWS", r["token_user"]!.GetValue<string>());
        Assert.Equal("RepositoryNotFoundException", r["deleted"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Malformed_json_bodies_are_serialization_errors_in_the_json_protocol_shape()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, stratus.Url)
        {
            Content = new StringContent("{\"repositoryName\": ", Encoding.UTF8, "application/x-amz-json-1.1"),
        };
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.CreateRepository");
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("SerializationException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.StartsWith("{\"__type\":\"SerializationException\"", await response.Content.ReadAsStringAsync());
    }
}
