namespace Stratus.Tests.Services.Lambda;

/// <summary>Python helpers the Lambda boto3 scripts share: a role Lambda may assume, zips, and an invoke that decodes everything.</summary>
public static class LambdaScripts
{
    public const string Prelude = """
        TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        lam = client("lambda")
        def role(name="lambda-role", trust=TRUST):
            iam = client("iam")
            try:
                return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            except iam.exceptions.EntityAlreadyExistsException:
                return iam.get_role(RoleName=name)["Role"]["Arn"]
        def zip_of(files, executable=()):
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                for name, content in files.items():
                    info = zipfile.ZipInfo(name)
                    info.external_attr = (0o755 if name in executable else 0o644) << 16
                    z.writestr(info, content)
            return buf.getvalue()
        def create(name, files, runtime="python3.12", handler="app.handler", executable=(), **kw):
            return lam.create_function(FunctionName=name, Runtime=runtime, Role=role(), Handler=handler,
                                       Code={"ZipFile": zip_of(files, executable)}, **kw)
        def invoke(name, payload=None, raw=None, **kw):
            r = lam.invoke(FunctionName=name, Payload=raw if raw is not None else json.dumps(payload if payload is not None else {}), **kw)
            body = r["Payload"].read()
            try:
                decoded = json.loads(body) if body else None
            except ValueError:
                decoded = body.decode()
            return {"status": r["StatusCode"], "error": r.get("FunctionError"), "version": r.get("ExecutedVersion"), "payload": decoded,
                    "log": base64.b64decode(r["LogResult"]).decode() if "LogResult" in r else None}

        """;
}
