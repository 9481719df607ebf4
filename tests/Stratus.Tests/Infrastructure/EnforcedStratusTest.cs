namespace Stratus.Tests.Infrastructure;

/// <summary>
/// A test class's own Stratus under `--auth enforce`, started before its tests and stopped after them, with a root key
/// (<see cref="RootKey"/>, <see cref="RootSecret"/>) that the tests' scripts sign with to set up users, roles and policies.
/// </summary>
public abstract class EnforcedStratusTest : IAsyncLifetime
{
    protected const string RootKey = "AKIAROOTENFORCED0001";
    protected const string RootSecret = "root-secret-for-enforced-tests";

    /// <summary>
    /// Python the tests' boto3 scripts start with: <c>ROOT</c> (the root key as <c>client(..., **ROOT)</c> takes it), <c>user(name,
    /// statements)</c> (an IAM user with one inline policy, answered as a key the same way) and <c>python_function(name, source)</c>
    /// (a python3.12 function <c>app.handler</c> with 30 s and a role, that API Gateway may invoke; answered as its ARN).
    /// </summary>
    protected const string RootPrelude = $$"""
        ROOT = dict(key="{{RootKey}}", secret="{{RootSecret}}")
        def user(name, statements):
            iam = client("iam", **ROOT)
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName="policy", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
            key = iam.create_access_key(UserName=name)["AccessKey"]
            return dict(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
        def python_function(name, source):
            iam, lam = client("iam", **ROOT), client("lambda", **ROOT)
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            role = iam.create_role(RoleName=name + "-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            code = io.BytesIO()
            with zipfile.ZipFile(code, "w") as z:
                entry = zipfile.ZipInfo("app.py")
                entry.external_attr = 0o644 << 16
                z.writestr(entry, source)
            arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Timeout=30,
                Code={"ZipFile": code.getvalue()})["FunctionArn"]
            lam.add_permission(FunctionName=name, StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            return arn

        """;

    protected StratusProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await StratusProcess.StartEphemeralAsync("--auth", "enforce", "--root-key", $"{RootKey}:{RootSecret}");

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
