# Reads the database's secret (host, port, username, password, dbname: what SecretTargetAttachment adds) and asks
# the server for its version and the database in use through the mariadb client, as a function in the VPC would.
# Standard library only (a signed GetSecretValue call), so it runs on any Python the function gets.
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import urllib.request


def _sign(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def get_secret(secret_id):
    region = os.environ["AWS_REGION"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL", f"https://secretsmanager.{region}.amazonaws.com").rstrip("/")
    host = endpoint.split("://", 1)[1]
    body = json.dumps({"SecretId": secret_id})
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"content-type": "application/x-amz-json-1.1", "host": host, "x-amz-date": stamp,
               "x-amz-target": "secretsmanager.GetSecretValue"}
    if os.environ.get("AWS_SESSION_TOKEN"):
        headers["x-amz-security-token"] = os.environ["AWS_SESSION_TOKEN"]
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/", "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed,
                           hashlib.sha256(body.encode()).hexdigest()])
    scope = f"{day}/{region}/secretsmanager/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _sign(_sign(_sign(_sign(("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode(), day), region), "secretsmanager"), "aws4_request")
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={os.environ['AWS_ACCESS_KEY_ID']}/{scope}, SignedHeaders={signed}, "
                                f"Signature={hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()}")
    request = urllib.request.Request(endpoint + "/", data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(json.loads(response.read())["SecretString"])


def handler(event, context):
    secret = get_secret(os.environ["SECRET_ARN"])
    query = subprocess.run(
        ["mariadb", "--host", secret["host"], "--port", str(secret["port"]), "--user", secret["username"], "--batch", "--skip-column-names",
         "--execute", "SELECT VERSION(), DATABASE()", secret["dbname"]],
        env={**os.environ, "MYSQL_PWD": secret["password"]}, capture_output=True, text=True, timeout=20)
    if query.returncode != 0:
        raise RuntimeError(query.stderr)
    version, database = query.stdout.strip().split("\t")
    answer = {"host": secret["host"], "version": version, "database": database}
    # Behind API Gateway's Lambda proxy integration the answer is an HTTP response; invoked directly, the data.
    if "httpMethod" in event:
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(answer)}
    return answer
