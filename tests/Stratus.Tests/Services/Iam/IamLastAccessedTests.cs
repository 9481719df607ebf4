using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>
/// Service last accessed reports and ListPoliciesGrantingServiceAccess under --auth enforce, through boto3: what a user and a
/// role session attempted, at service and action level, by user, role and policy, and after a restart.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IamLastAccessedTests : IAsyncLifetime
{
    private const string RootKey = "AKIAROOTLASTACCESSED1";
    private const string RootSecret = "root-secret-for-last-accessed-tests";

    private const string Prelude = $$"""
        from datetime import datetime, timezone
        ROOT = dict(key="{{RootKey}}", secret="{{RootSecret}}")
        iam = client("iam", **ROOT)
        def doc(*statements):
            return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        def report(arn, granularity="SERVICE_LEVEL"):
            job = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
            return job, iam.get_service_last_accessed_details(JobId=job)
        def by_namespace(details):
            return {s["ServiceNamespace"]: s for s in details["ServicesLastAccessed"]}

        """;

    private StratusProcess _server = null!;

    public async Task InitializeAsync() =>
        _server = await StratusProcess.StartPersistentAsync("--auth", "enforce", "--root-key", $"{RootKey}:{RootSecret}");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<JsonObject> Run(string script) => Clients.Boto3Async(_server.Url, Prelude + script);

    private static string Str(JsonNode? node) => node!.GetValue<string>();

    private static bool Bool(JsonNode? node) => node!.GetValue<bool>();

    [Fact]
    public async Task Reports_show_what_a_user_and_a_role_session_used_name_the_granting_policies_and_outlive_a_restart()
    {
        var r = await Run("""
            policy = iam.create_policy(PolicyName="s3-and-logs", PolicyDocument=doc({"Effect": "Allow", "Action": ["s3:*", "logs:*"], "Resource": "*"}))["Policy"]["Arn"]
            user = iam.create_user(UserName="la-user")["User"]["Arn"]
            iam.attach_user_policy(UserName="la-user", PolicyArn=policy)
            iam.put_user_policy(UserName="la-user", PolicyName="assume", PolicyDocument=doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
            key = iam.create_access_key(UserName="la-user")["AccessKey"]
            worker = dict(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
            role = iam.create_role(RoleName="la-role", AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
            iam.put_role_policy(RoleName="la-role", PolicyName="logs", PolicyDocument=doc({"Effect": "Allow", "Action": "logs:Describe*", "Resource": "*"}))

            before = datetime.now(timezone.utc).replace(microsecond=0)
            s3 = client("s3", region="eu-west-1", **worker)
            s3.create_bucket(Bucket="la-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
            s3.list_buckets()
            out["ec2_denied"] = error(client("ec2", **worker).describe_vpcs)["code"]
            creds = client("sts", **worker).assume_role(RoleArn=role, RoleSessionName="la-session")["Credentials"]
            client("logs", region="us-west-2", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"]).describe_log_groups()

            job, user_report = report(user)
            services = by_namespace(user_report)
            out["job"] = job
            out["status"] = [user_report["JobStatus"], user_report["JobType"]]
            out["namespaces"] = sorted(services)
            out["s3_name"] = services["s3"]["ServiceName"]
            out["s3_after_calls"] = services["s3"]["LastAuthenticated"] >= before
            out["s3_last"] = services["s3"]["LastAuthenticated"].isoformat()
            out["s3_entity"] = [services["s3"]["LastAuthenticatedEntity"], services["s3"]["LastAuthenticatedRegion"], services["s3"]["TotalAuthenticatedEntities"]]
            out["s3_no_actions_at_service_level"] = "TrackedActionsLastAccessed" not in services["s3"]
            out["logs_never_used"] = [k for k in ("LastAuthenticated", "LastAuthenticatedEntity", "TotalAuthenticatedEntities") if k in services["logs"]]
            out["user_arn"] = user
            out["role_arn"] = role

            _, actions = report(user, "ACTION_LEVEL")
            tracked = by_namespace(actions)["s3"]["TrackedActionsLastAccessed"]
            out["s3_actions"] = sorted(a["ActionName"] for a in tracked)
            out["s3_action_entities"] = sorted({a["LastAccessedEntity"] for a in tracked})
            out["logs_untracked"] = "TrackedActionsLastAccessed" not in by_namespace(actions)["logs"]

            _, role_report = report(role)
            logs = by_namespace(role_report)["logs"]
            out["role_namespaces"] = sorted(by_namespace(role_report))
            out["role_logs"] = [logs["LastAuthenticatedEntity"], logs["LastAuthenticatedRegion"], logs["LastAuthenticated"] >= before]

            policy_job, _ = report(policy)
            entities = iam.get_service_last_accessed_details_with_entities(JobId=policy_job, ServiceNamespace="s3")["EntityDetailsList"]
            out["policy_s3_entities"] = [[e["EntityInfo"]["Type"], e["EntityInfo"]["Name"], "LastAuthenticated" in e] for e in entities]
            paged = iam.get_service_last_accessed_details(JobId=job, MaxItems=1)
            out["paged"] = [len(paged["ServicesLastAccessed"]), paged["IsTruncated"]]

            granting = iam.list_policies_granting_service_access(Arn=user, ServiceNamespaces=["s3", "ec2", "sts"])["PoliciesGrantingServiceAccess"]
            out["granting"] = {g["ServiceNamespace"]: g["Policies"] for g in granting}

            out["unknown_job"] = error(iam.get_service_last_accessed_details, JobId="00000000-0000-0000-0000-000000000000")
            out["not_an_entity"] = error(iam.generate_service_last_accessed_details, Arn="arn:aws:s3:::la-bucket")
            out["no_such_user"] = error(iam.generate_service_last_accessed_details, Arn="arn:aws:iam::000000000000:user/nobody")
            out["policy_not_identity"] = error(iam.list_policies_granting_service_access, Arn=policy, ServiceNamespaces=["s3"])
            """);

        Assert.Equal("AccessDenied", Str(r["ec2_denied"]));
        Assert.Equal(["COMPLETED", "SERVICE_LEVEL"], r["status"]!.AsArray().Select(Str));
        // Only what the user's policies allow: s3 and logs (managed), sts (inline); ec2, which it tried, is not allowed.
        Assert.Equal(["logs", "s3", "sts"], r["namespaces"]!.AsArray().Select(Str));
        Assert.Equal("Amazon S3", Str(r["s3_name"]));
        Assert.True(Bool(r["s3_after_calls"]));
        var userArn = Str(r["user_arn"]);
        var roleArn = Str(r["role_arn"]);
        Assert.Equal(userArn, Str(r["s3_entity"]![0]));
        Assert.Equal("eu-west-1", Str(r["s3_entity"]![1]));
        Assert.Equal(1, r["s3_entity"]![2]!.GetValue<int>());
        Assert.True(Bool(r["s3_no_actions_at_service_level"]));
        Assert.Empty(r["logs_never_used"]!.AsArray());

        Assert.Equal(["CreateBucket", "ListAllMyBuckets"], r["s3_actions"]!.AsArray().Select(Str));
        Assert.Equal([userArn], r["s3_action_entities"]!.AsArray().Select(Str));
        Assert.True(Bool(r["logs_untracked"]));

        Assert.Equal(["logs"], r["role_namespaces"]!.AsArray().Select(Str));
        Assert.Equal(roleArn, Str(r["role_logs"]![0]));
        Assert.Equal("us-west-2", Str(r["role_logs"]![1]));
        Assert.True(Bool(r["role_logs"]![2]));

        var policyEntity = Assert.Single(r["policy_s3_entities"]!.AsArray());
        Assert.Equal("USER", Str(policyEntity![0]));
        Assert.Equal("la-user", Str(policyEntity[1]));
        Assert.True(Bool(policyEntity[2]));
        Assert.Equal(1, r["paged"]![0]!.GetValue<int>());
        Assert.True(Bool(r["paged"]![1]));

        var granting = r["granting"]!;
        var s3Policy = Assert.Single(granting["s3"]!.AsArray())!;
        Assert.Equal("s3-and-logs", Str(s3Policy["PolicyName"]));
        Assert.Equal("MANAGED", Str(s3Policy["PolicyType"]));
        Assert.Equal("arn:aws:iam::000000000000:policy/s3-and-logs", Str(s3Policy["PolicyArn"]));
        Assert.Empty(granting["ec2"]!.AsArray());
        var stsPolicy = Assert.Single(granting["sts"]!.AsArray())!;
        Assert.Equal(["assume", "INLINE", "USER", "la-user"],
            new[] { "PolicyName", "PolicyType", "EntityType", "EntityName" }.Select(k => Str(stsPolicy[k])));

        Assert.Equal("NoSuchEntity", Str(r["unknown_job"]!["code"]));
        Assert.Equal("InvalidInput", Str(r["not_an_entity"]!["code"]));
        Assert.Equal("NoSuchEntity", Str(r["no_such_user"]!["code"]));
        Assert.Equal("InvalidInput", Str(r["policy_not_identity"]!["code"]));

        await _server.RestartAsync();

        var after = await Run($$"""
            _, user_report = report("{{userArn}}")
            services = by_namespace(user_report)
            out["s3_last"] = services["s3"]["LastAuthenticated"].isoformat()
            out["logs_never_used"] = "LastAuthenticated" not in services["logs"]
            out["old_job"] = iam.get_service_last_accessed_details(JobId="{{Str(r["job"])}}")["JobStatus"]
            """);
        Assert.Equal(Str(r["s3_last"]), Str(after["s3_last"]));
        Assert.True(Bool(after["logs_never_used"]));
        Assert.Equal("COMPLETED", Str(after["old_job"]));
    }
}
