using System.Text;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Ssm;

[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SsmTests
{
    [Fact]
    public async Task Parameters_versions_labels_paths_tags_and_errors_follow_ssm_and_survive_a_restart()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var r = await Clients.Boto3Async(server.Url, """
            ssm = client("ssm")
            out["put1"] = ssm.put_parameter(Name="/app/db/host", Value="db1", Type="String", Tags=[{"Key": "team", "Value": "a"}])
            out["dup"] = error(ssm.put_parameter, Name="/app/db/host", Value="x", Type="String")
            out["put2"] = ssm.put_parameter(Name="/app/db/host", Value="db2", Overwrite=True)["Version"]
            out["tags_with_overwrite"] = error(ssm.put_parameter, Name="/app/db/host", Value="db3", Overwrite=True, Tags=[{"Key": "k", "Value": "v"}])
            ssm.put_parameter(Name="/app/db/password", Value="s3cr3t-plain", Type="SecureString")
            ssm.put_parameter(Name="/app/list", Value="a,b,c", Type="StringList")
            ssm.put_parameter(Name="plain", Value="v", Type="String")
            for n in range(12):
                ssm.put_parameter(Name=f"/app/many/p{n:02d}", Value=str(n), Type="String")
            out["get"] = ssm.get_parameter(Name="/app/db/host")["Parameter"]
            out["v1"] = ssm.get_parameter(Name="/app/db/host:1")["Parameter"]["Value"]
            out["labelled"] = ssm.label_parameter_version(Name="/app/db/host", ParameterVersion=1, Labels=["prod", "1bad"])
            out["by_label"] = ssm.get_parameter(Name="/app/db/host:prod")["Parameter"]
            out["no_version"] = error(ssm.get_parameter, Name="/app/db/host:9")
            out["secure_hidden"] = ssm.get_parameter(Name="/app/db/password")["Parameter"]
            out["secure_plain"] = ssm.get_parameter(Name="/app/db/password", WithDecryption=True)["Parameter"]["Value"]
            out["plain_arn"] = ssm.get_parameter(Name="plain")["Parameter"]["ARN"]
            out["missing"] = error(ssm.get_parameter, Name="/nope")
            out["reserved"] = error(ssm.put_parameter, Name="/aws/x", Value="v", Type="String")
            out["too_deep"] = error(ssm.put_parameter, Name="/" + "/".join("abcdefghijklmnop"), Value="v", Type="String")
            out["pattern"] = error(ssm.put_parameter, Name="/app/num", Value="abc", Type="String", AllowedPattern="^[0-9]+$")
            out["getmany"] = ssm.get_parameters(Names=["/app/db/host", "/nope"])
            one_level = ssm.get_parameters_by_path(Path="/app")["Parameters"]
            out["one_level"] = sorted(p["Name"] for p in one_level)
            names, token, pages = [], None, 0
            while True:
                kw = {"NextToken": token} if token else {}
                page = ssm.get_parameters_by_path(Path="/app", Recursive=True, MaxResults=5, **kw)
                names += [p["Name"] for p in page["Parameters"]]
                pages += 1
                token = page.get("NextToken")
                if not token: break
            out["recursive"] = names
            out["pages"] = pages
            out["describe"] = [p["Name"] for p in ssm.describe_parameters(ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])["Parameters"]]
            out["history"] = [(h["Version"], h["Value"], h["Labels"]) for h in ssm.get_parameter_history(Name="/app/db/host")["Parameters"]]
            out["unlabel"] = ssm.unlabel_parameter_version(Name="/app/db/host", ParameterVersion=1, Labels=["prod", "other"])
            ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/app/db/host", Tags=[{"Key": "env", "Value": "dev"}])
            ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/app/db/host", TagKeys=["team"])
            out["tags"] = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/app/db/host")["TagList"]
            ssm.delete_parameter(Name="plain")
            out["delete_again"] = error(ssm.delete_parameter, Name="plain")
            out["deletemany"] = ssm.delete_parameters(Names=["/app/many/p00", "/gone"])
            """);

        Assert.Equal(1, r["put1"]!["Version"]!.GetValue<int>());
        Assert.Equal("Standard", r["put1"]!["Tier"]!.GetValue<string>());
        Assert.Equal("ParameterAlreadyExists", r["dup"]!["code"]!.GetValue<string>());
        Assert.Equal(400, r["dup"]!["status"]!.GetValue<int>());
        Assert.Equal(2, r["put2"]!.GetValue<int>());
        Assert.Equal("ValidationException", r["tags_with_overwrite"]!["code"]!.GetValue<string>());
        Assert.Equal("db2", r["get"]!["Value"]!.GetValue<string>());
        Assert.Equal("arn:aws:ssm:us-east-1:000000000000:parameter/app/db/host", r["get"]!["ARN"]!.GetValue<string>());
        Assert.Equal("text", r["get"]!["DataType"]!.GetValue<string>());
        Assert.Equal("db1", r["v1"]!.GetValue<string>());
        Assert.Equal("""["1bad"]""", r["labelled"]!["InvalidLabels"]!.ToJsonString());
        Assert.Equal("db1", r["by_label"]!["Value"]!.GetValue<string>());
        Assert.Equal(":prod", r["by_label"]!["Selector"]!.GetValue<string>());
        Assert.Equal("ParameterVersionNotFound", r["no_version"]!["code"]!.GetValue<string>());
        Assert.Equal("SecureString", r["secure_hidden"]!["Type"]!.GetValue<string>());
        Assert.NotEqual("s3cr3t-plain", r["secure_hidden"]!["Value"]!.GetValue<string>());
        Assert.NotEmpty(Convert.FromBase64String(r["secure_hidden"]!["Value"]!.GetValue<string>()));
        Assert.Equal("s3cr3t-plain", r["secure_plain"]!.GetValue<string>());
        Assert.Equal("arn:aws:ssm:us-east-1:000000000000:parameter/plain", r["plain_arn"]!.GetValue<string>());
        Assert.Equal("ParameterNotFound", r["missing"]!["code"]!.GetValue<string>());
        Assert.Equal(400, r["missing"]!["status"]!.GetValue<int>());
        Assert.Equal("ValidationException", r["reserved"]!["code"]!.GetValue<string>());
        Assert.Equal("HierarchyLevelLimitExceededException", r["too_deep"]!["code"]!.GetValue<string>());
        Assert.Equal("ParameterPatternMismatchException", r["pattern"]!["code"]!.GetValue<string>());
        Assert.Equal("""["/nope"]""", r["getmany"]!["InvalidParameters"]!.ToJsonString());
        Assert.Single(r["getmany"]!["Parameters"]!.AsArray());
        Assert.Equal("""["/app/list"]""", r["one_level"]!.ToJsonString());
        Assert.Equal(15, r["recursive"]!.AsArray().Count);
        Assert.Equal(15, r["recursive"]!.AsArray().Select(n => n!.GetValue<string>()).Distinct().Count());
        Assert.Equal(3, r["pages"]!.GetValue<int>());
        Assert.Equal("""["/app/db/password"]""", r["describe"]!.ToJsonString());
        Assert.Equal("""[[1,"db1",["prod"]],[2,"db2",[]]]""", r["history"]!.ToJsonString());
        Assert.Equal("""["prod"]""", r["unlabel"]!["RemovedLabels"]!.ToJsonString());
        Assert.Equal("""["other"]""", r["unlabel"]!["InvalidLabels"]!.ToJsonString());
        Assert.Equal("""[{"Key":"env","Value":"dev"}]""", r["tags"]!.ToJsonString());
        Assert.Equal("ParameterNotFound", r["delete_again"]!["code"]!.GetValue<string>());
        Assert.Equal("""["/app/many/p00"]""", r["deletemany"]!["DeletedParameters"]!.ToJsonString());
        Assert.Equal("""["/gone"]""", r["deletemany"]!["InvalidParameters"]!.ToJsonString());

        // The SecureString's plain text is nowhere in the state files, only its ciphertext.
        var stored = string.Concat(Directory.GetFiles(server.DataDir!, "state.db*").Select(f => Encoding.UTF8.GetString(ReadShared(f))));
        Assert.DoesNotContain("s3cr3t-plain", stored);
        Assert.Contains("db2", stored);

        await server.RestartAsync();
        var after = await Clients.Boto3Async(server.Url, """
            ssm = client("ssm")
            out["secure"] = ssm.get_parameter(Name="/app/db/password", WithDecryption=True)["Parameter"]["Value"]
            out["version"] = ssm.get_parameter(Name="/app/db/host")["Parameter"]["Version"]
            """);
        Assert.Equal("s3cr3t-plain", after["secure"]!.GetValue<string>());
        Assert.Equal(2, after["version"]!.GetValue<int>());

        var cli = await Clients.AwsAsync(server.Url, "ssm", "get-parameter", "--name", "/app/db/host", "--query", "Parameter.Value", "--output", "text");
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.Equal("db2", cli.Stdout.Trim());
    }

    private static byte[] ReadShared(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        file.CopyTo(copy);
        return copy.ToArray();
    }
}
