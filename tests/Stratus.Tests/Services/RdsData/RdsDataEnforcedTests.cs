using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.RdsData;

/// <summary>
/// `--auth enforce` on the Data API: a call needs rds-data:ACTION on the cluster and secretsmanager:GetSecretValue on the
/// secret it names, so a caller cannot reach a database through a secret it may not read. Decided before the cluster is
/// looked up, so no database server is needed: an allowed caller gets the Data API's own answer for a missing cluster.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsDataEnforcedTests : EnforcedStratusTest
{
    [Fact]
    public async Task A_call_needs_get_secret_value_on_its_secret_as_well_as_the_data_api_action()
    {
        var r = await Clients.Boto3Async(Server.Url, RootPrelude + """
            secret = client("secretsmanager", **ROOT).create_secret(Name="db-login", SecretString=json.dumps({"username": "admin", "password": "pw"}))["ARN"]
            cluster = "arn:aws:rds:us-east-1:000000000000:cluster:absent"
            data_only = user("data-only", [{"Effect": "Allow", "Action": "rds-data:ExecuteStatement", "Resource": "*"}])
            both = user("data-and-secret", [{"Effect": "Allow", "Action": "rds-data:ExecuteStatement", "Resource": "*"},
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret}])
            call = lambda key: error(client("rds-data", **key).execute_statement, resourceArn=cluster, secretArn=secret, sql="SELECT 1")
            out["data_only"] = call(data_only)
            out["both"] = call(both)
            out["secret"] = secret
            """);

        Assert.Equal("AccessDeniedException", r["data_only"]!["code"]!.GetValue<string>());
        Assert.Contains("secretsmanager:GetSecretValue on resource: " + r["secret"]!.GetValue<string>(), r["data_only"]!["message"]!.GetValue<string>());
        Assert.Equal("DatabaseNotFoundException", r["both"]!["code"]!.GetValue<string>());
    }
}
