"""Creates the echo function and measures it; prints markdown rows."""
import io, json, os, statistics, subprocess, sys, time, urllib.request, zipfile
import boto3
from botocore.config import Config

url, package_dir, stratus_pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
iam, lam = boto3.client("iam", **kw), boto3.client("lambda", **kw)
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    for name in os.listdir(package_dir):
        z.write(os.path.join(package_dir, name), name)
lam.create_function(FunctionName="echo", Runtime="dotnet10", Role=role, Handler="DotnetFunctions::DotnetFunctions.Echo::Handle",
                    Code={"ZipFile": buf.getvalue()}, MemorySize=512)
invoke_url = f"{url}/2015-03-31/functions/echo/invocations"

def invoke():
    started = time.perf_counter()
    urllib.request.urlopen(urllib.request.Request(invoke_url, data=b'"ping"', method="POST")).read()
    return (time.perf_counter() - started) * 1000

def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024

cold = []
for i in range(7):
    lam.update_function_configuration(FunctionName="echo", Description=f"cold {i}")
    cold.append(invoke())
warm = [invoke() for _ in range(500)]
print(f"| cold start, dotnet10 class library (median of 7, client-measured) | {statistics.median(cold):.1f} ms |")
print(f"| warm invoke p50 at 1 connection (urllib, 500 calls) | {statistics.median(warm):.2f} ms |")

def wrk(connections):
    out = subprocess.run(["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", "5s", "--latency", "-s", os.path.join(os.path.dirname(__file__), "invoke.lua"), invoke_url],
                         capture_output=True, text=True).stdout
    rps = next(l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec"))
    p50 = next(l.split()[1] for l in out.splitlines() if l.strip().startswith("50%"))
    return rps, p50

for c in (1, 16):
    wrk(c)  # warm-up: the first run at 16 connections scales out to 16 environments
    rps, p50 = wrk(c)
    print(f"| warm invoke, wrk {c} connection(s) | {rps} req/s, p50 {p50} |")

time.sleep(2)
# bwrap's own processes match too; the runtime host is the largest process of each environment.
matches = subprocess.run(["pgrep", "-f", "Stratus.Lambda.RuntimeHost.dll"], capture_output=True, text=True).stdout.split()
hosts = [m for m in (rss_mb(int(p)) for p in matches) if m > 10]
print(f"| Stratus RSS after the run | {rss_mb(stratus_pid):.0f} MB |")
if hosts:
    print(f"| idle .NET environment RSS (runtime host, median of {len(hosts)}) | {statistics.median(hosts):.0f} MB |")
