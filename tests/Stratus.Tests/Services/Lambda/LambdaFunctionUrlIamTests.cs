using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// `--auth enforce`: a function URL with AuthType AWS_IAM answers a signed caller only when its policies or the
/// function's allow lambda:InvokeFunctionUrl, as AWS evaluates them; botocore signs the requests.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaFunctionUrlIamTests : EnforcedStratusTest
{
    [Fact]
    public async Task Aws_iam_url_evaluates_identity_policies_for_InvokeFunctionUrl()
    {
        var r = await Clients.Boto3Async(Server.Url, $$$$"""
            import urllib.request, urllib.error
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            ROOT = dict(key="{{{{RootKey}}}}", secret="{{{{RootSecret}}}}")
            iam, lam = client("iam", **ROOT), client("lambda", **ROOT)
            TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            role = iam.create_role(RoleName="url-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                info = zipfile.ZipInfo("app.py"); info.external_attr = 0o644 << 16
                z.writestr(info, "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello ' + event['requestContext']['authorizer']['iam']['userArn']}\n")
            fn = lam.create_function(FunctionName="url-enforced", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": buf.getvalue()})
            url_id = lam.create_function_url_config(FunctionName="url-enforced", AuthType="AWS_IAM")["FunctionUrl"].split("//")[1].split(".")[0]
            url = URL.rstrip("/") + "/_aws/lambda-url/" + url_id + "/"
            def user(name, policy=None):
                iam.create_user(UserName=name)
                if policy:
                    iam.put_user_policy(UserName=name, PolicyName="url", PolicyDocument=json.dumps(policy))
                key = iam.create_access_key(UserName=name)["AccessKey"]
                return dict(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
            def call(key=None, secret=None):
                request = AWSRequest(method="GET", url=url)
                if key:
                    SigV4Auth(Credentials(key, secret), "lambda", "us-east-1").add_auth(request)
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, headers=dict(request.headers.items()))) as answer:
                        return {"status": answer.status, "body": answer.read().decode()}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code, "body": refused.read().decode()}
            allowed = user("url-caller", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunctionUrl", "Resource": fn["FunctionArn"],
                                          "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}}]})
            other_type = user("url-other-type", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunctionUrl", "Resource": fn["FunctionArn"],
                                          "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}]})
            nothing = user("url-nobody")
            time.sleep(1)
            out["allowed"] = call(**allowed)
            out["other_type"] = call(**other_type)
            out["nothing"] = call(**nothing)
            out["root"] = call(**ROOT)
            out["unsigned"] = call()
            """);

        Assert.Equal(200, r["allowed"]!["status"]!.GetValue<int>());
        Assert.Equal("hello arn:aws:iam::000000000000:user/url-caller", r["allowed"]!["body"]!.GetValue<string>());
        Assert.Equal(403, r["other_type"]!["status"]!.GetValue<int>());
        Assert.Equal(403, r["nothing"]!["status"]!.GetValue<int>());
        Assert.Equal(200, r["root"]!["status"]!.GetValue<int>());
        Assert.Equal(403, r["unsigned"]!["status"]!.GetValue<int>());
    }
}
