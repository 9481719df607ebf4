"""The data plane, each figure beside its reference in the same run: Lambda's warm Invoke and cold starts against
a function process behind a minimal Runtime API and an in-process delegate (bench/References), API Gateway's HTTP
path and the seed's accounts page against a bare Kestrel endpoint, RDS instance creation against MariaDB's own
start-up, the seed's whole walkthrough and stack, and memory. bench.py's main() calls run() after the control plane.
"""
import contextlib
import functools
import io
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass

from botocore.exceptions import ClientError

import harness
from harness import (ROOT, STRATUS_DLL, TRUST, Row, Server, Summary, WrkTarget, alternate, client, free_port, rss_mb, run_wrk,
                     spread, start_server, table, write_wrk_script)

REFERENCES_PROJECT = os.path.join(ROOT, "bench", "References")
REFERENCES_DLL = os.path.join(REFERENCES_PROJECT, "bin", "Release", "net10.0", "References.dll")
FUNCTIONS_PROJECT = os.path.join(ROOT, "tests", "Functions", "DotnetFunctions")
FUNCTIONS_PACKAGE = os.path.join(FUNCTIONS_PROJECT, "bin", "Release", "net10.0")
RUNTIME_HOST = os.path.join(os.path.dirname(STRATUS_DLL), "Stratus.Lambda.RuntimeHost.dll")
RUNTIME_CLIENTS = os.path.join(ROOT, "src", "Stratus", "Services", "Lambda", "Engine", "Runtimes")
ACCOUNTS = os.path.join(ROOT, "examples", "accounts")
ACCOUNTS_ZIP = os.path.join(ACCOUNTS, "build", "accounts-functions.zip")
PAYLOAD = b'"ping"'
COLD_STARTS = itertools.count()  # each cold start's Description differs, so each is a configuration change
DOTNET_ECHO = "DotnetFunctions::DotnetFunctions.Echo::Handle"
# The same interpreter for Stratus's function and the reference: Stratus runs pythonX.Y on that exact version.
PYTHON_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
MARIADB_TUNING = ["--innodb-log-file-size=8M"]
MARIADB_SERVER = ["--innodb-buffer-pool-size=32M", "--performance-schema=OFF", "--skip-name-resolve"]


@dataclass(frozen=True)
class Shape:
    rounds: int          # alternations of each wrk comparison
    seconds: int         # length of one wrk run
    warmup: int          # length of the wrk run before each subject's rounds
    cold_starts: int     # cold starts per subject
    walkthroughs: int    # deploy.sh + teardown.sh runs (about a minute each)
    stacks: int          # stack creations
    databases: int       # RDS instance creations
    page_warmup: int     # the accounts page's warm-up: 16 .NET environments each JIT MySqlConnector's paths to their optimized tier


QUICK = Shape(rounds=2, seconds=1, warmup=2, cold_starts=2, walkthroughs=1, stacks=1, databases=1, page_warmup=8)
FULL = Shape(rounds=4, seconds=4, warmup=3, cold_starts=9, walkthroughs=2, stacks=2, databases=3, page_warmup=20)


# ---- results ----

@dataclass(frozen=True)
class ColdStarts:
    """One runtime's cold starts in ms, a value per round: Stratus starting a new process, Stratus handing the
    function to a waiting pre-started host (.NET only), and the reference with its time to its first GET /next."""
    new_process: list[float]
    reference: list[float]
    reference_first_next: list[float]
    waiting_host: list[float] | None = None


@dataclass(frozen=True)
class LambdaAndHttp:
    idle_rss: float                      # MB, a fresh Stratus
    scaled_rss: float                    # MB, the same Stratus after the Lambda and API Gateway runs
    invoke_rows: list[Row]
    cold_starts: dict[str, ColdStarts]   # by runtime
    environments: dict[str, list[float]]  # MB of each warm function environment, by runtime
    http_rows: list[Row]
    authorizer_row: Row                  # a MOCK method behind a cached TOKEN authorizer ("Stratus") and without one ("without")


@dataclass(frozen=True)
class StackTimes:
    create: float   # s to CREATE_COMPLETE
    delete: float   # s to DELETE_COMPLETE


@dataclass(frozen=True)
class Seed:
    walkthrough_rss: float         # MB, Stratus after the first deploy.sh
    page: Row                      # the deployed accounts page against bare Kestrel
    deploys: list[float]           # s per deploy.sh
    teardowns: list[float]         # s per teardown.sh
    stacks: list[StackTimes]
    database_creates: list[float]  # s from create_db_instance to available
    mariadb_starts: list[float]    # s for MariaDB alone, the reference


# ---- processes ----

def ensure_built():
    """bench/run builds these and the test suite builds them with the solution; a bare checkout builds them here."""
    for project, output in ((REFERENCES_PROJECT, REFERENCES_DLL), (FUNCTIONS_PROJECT, os.path.join(FUNCTIONS_PACKAGE, "DotnetFunctions.dll"))):
        if not os.path.exists(output):
            subprocess.run(["dotnet", "build", project, "-c", "Release", "--nologo", "-v", "quiet"], check=True, stdout=sys.stderr)


def stopped_with(stack, server: Server) -> Server:
    """The server, stopped when the stack unwinds (also on failure)."""
    stack.callback(server.stop)
    return server


def start_stratus(stack, name, **variables):
    return stopped_with(stack, harness.start_stratus(name, **variables))


def start_reference(stack, mode, *extra):
    return stopped_with(stack, start_server(f"reference {mode}", lambda port: ["dotnet", REFERENCES_DLL, mode, "--port", str(port), *extra]))


def start_runtime_api(stack, task_root, handler, command, **variables):
    """One function process behind bench/References' minimal Runtime API, started with the environment Stratus gives
    a function (without the sandbox)."""
    variables = {"_HANDLER": handler, "LAMBDA_TASK_ROOT": task_root, "AWS_LAMBDA_FUNCTION_NAME": "echo", "HOME": tempfile.gettempdir(),
                 "LANG": "en_US.UTF-8", "TZ": ":UTC", **variables}
    pairs = [arg for key, value in variables.items() for arg in ("--env", f"{key}={value}")]
    return start_reference(stack, "runtime-api", *pairs, "--", *command)


def wait_for(check, what, timeout=300):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def timed(action):
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def post(url, body):
    with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=60) as response:
        if response.headers.get("X-Amz-Function-Error"):
            raise RuntimeError(f"{url} answered a function error: {response.read()!r}")
        return response.read()


# ---- functions ----

def zip_directory(path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder, _, files in os.walk(path):
            for name in files:
                archive.write(os.path.join(folder, name), os.path.relpath(os.path.join(folder, name), path))
    return buffer.getvalue()


@dataclass(frozen=True)
class ScriptFunction:
    """An echo function for one of Stratus's shipped script runtime clients, and how the reference starts its process."""
    runtime: str                # AWS's runtime identifier
    task_root: str
    handler: str
    command: list[str]
    variables: dict[str, str]


def script_functions(work) -> dict[str, ScriptFunction]:
    """Echo functions for Stratus's shipped Python and Node runtime clients."""
    python_root, node_root = os.path.join(work, "python"), os.path.join(work, "node")
    os.makedirs(python_root)
    os.makedirs(node_root)
    with open(os.path.join(python_root, "echo.py"), "w") as f:
        f.write("def handler(event, context):\n    return event\n")
    with open(os.path.join(node_root, "index.js"), "w") as f:
        f.write("exports.handler = async (event) => event;\n")
    return {
        "Python": ScriptFunction(PYTHON_RUNTIME, python_root, "echo.handler", [sys.executable, "-u", os.path.join(RUNTIME_CLIENTS, "python", "bootstrap.py")],
                               {"PYTHONPATH": f"{os.path.join(RUNTIME_CLIENTS, 'python')}:{python_root}", "PYTHONDONTWRITEBYTECODE": "1"}),
        "Node": ScriptFunction("nodejs20.x", node_root, "index.handler", [shutil.which("node") or "node", os.path.join(RUNTIME_CLIENTS, "node", "bootstrap.js")],
                             {"NODE_PATH": f"{node_root}/node_modules:{node_root}"}),
    }


def create_function(stratus, name, runtime, handler, code):
    lam = client(stratus, "lambda")
    role = client(stratus, "iam").create_role(RoleName=f"bench-{name}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    arn = lam.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler=handler, Code={"ZipFile": code}, MemorySize=512)["FunctionArn"]
    wait_for(lambda: lam.get_function_configuration(FunctionName=name)["State"] == "Active", f"{name} to be active")
    return arn


def invoke_url(stratus, name):
    return f"{stratus.url}/2015-03-31/functions/{name}/invocations"


def stratus_cold_start(stratus, name, pause=0.0):
    """A new environment: a changed configuration retires the warm ones, so the next invoke starts one. The pause
    gives the pre-started host that replaces the one the previous cold start took the time to be waiting."""
    lam = client(stratus, "lambda")
    lam.update_function_configuration(FunctionName=name, Description=f"cold start {next(COLD_STARTS)}")
    wait_for(lambda: lam.get_function_configuration(FunctionName=name)["LastUpdateStatus"] == "Successful", f"{name} to update")
    time.sleep(pause)
    return timed(lambda: post(invoke_url(stratus, name), PAYLOAD))[0] * 1000


def reference_cold_start(reference, first_next):
    """ms from starting a fresh function process to its response; its ms to the first GET /next go to first_next."""
    timings = json.loads(post(f"{reference.url}/restart", b""))
    first_next.append(timings["nextMs"])
    return timings["responseMs"]


# ---- measuring ----

def compare_wrk(targets: dict[str, WrkTarget], connections, shape, warmup=None) -> dict[str, Summary]:
    """Each subject's target run alternately round by round, after one warm-up run each."""
    for target in targets.values():
        # Warm-up: JIT, kept-alive connections, and at 16 connections the environments Stratus scales out to.
        run_wrk(target, connections, warmup or shape.warmup)
    runs = alternate({name: functools.partial(run_wrk, target, connections, shape.seconds) for name, target in targets.items()}, shape.rounds)
    summaries = {name: Summary.of_runs(measured) for name, measured in runs.items()}
    print(f"  wrk c={connections}: " + ", ".join(f"{k} {v.rate:.0f} req/s" for k, v in summaries.items()), file=sys.stderr)
    return summaries


def alternate_and_log(measures, rounds) -> dict[str, list[float]]:
    values = alternate(measures, rounds)
    print("  " + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in values.items()), file=sys.stderr)
    return values


def environment_rss(stratus):
    """MB of each of a Stratus's function environments by runtime. An environment is a child process of Stratus
    (bubblewrap's, when sandboxed); its largest process is the runtime, bubblewrap's own being small."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))

    def tree(pid):
        yield pid
        for child in children.get(pid, []):
            yield from tree(child)

    markers = (("Stratus.Lambda.RuntimeHost", ".NET"), ("bootstrap.py", "Python"), ("bootstrap.js", "Node"))
    found = {}
    for environment in children.get(stratus.process.pid, []):
        largest = max(tree(environment), key=rss_mb)
        try:
            with open(f"/proc/{largest}/cmdline") as f:
                command = f.read()
        except OSError:
            continue  # an environment retired meanwhile
        for marker, runtime in markers:
            if marker in command:
                found.setdefault(runtime, []).append(rss_mb(largest))
    return found


def mariadb_start(work):
    """MariaDB alone doing what an RDS instance needs: a new data directory, then the server accepting connections."""
    home = tempfile.mkdtemp(prefix="mariadb-", dir=work)
    data, socket_path, port = os.path.join(home, "data"), os.path.join(home, "mysqld.sock"), free_port()
    user = ["--user=root"] if os.geteuid() == 0 else []
    started = time.perf_counter()
    subprocess.run([shutil.which("mariadb-install-db") or "mysql_install_db", "--no-defaults", f"--datadir={data}", f"--tmpdir={home}",
                    "--auth-root-authentication-method=normal", "--skip-test-db", *user, *MARIADB_TUNING],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server("MariaDB", ["mariadbd", "--no-defaults", f"--datadir={data}", "--bind-address=127.0.0.1", f"--port={port}",
                                f"--socket={socket_path}", f"--pid-file={home}/mysqld.pid", f"--tmpdir={home}",
                                f"--log-error={home}/error.log", *user, *MARIADB_TUNING, *MARIADB_SERVER], port)
    elapsed = time.perf_counter() - started
    server.stop()
    return elapsed


def rds_create(stratus):
    """Seconds from create_db_instance to the instance being available; the instance is deleted afterwards."""
    rds = client(stratus, "rds")
    name = "bench-db"

    def status():
        instances = [i for i in rds.describe_db_instances()["DBInstances"] if i["DBInstanceIdentifier"] == name]
        return instances[0]["DBInstanceStatus"] if instances else None

    def create():
        rds.create_db_instance(DBInstanceIdentifier=name, Engine="mysql", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                               MasterUsername="bench", MasterUserPassword="bench-password")
        wait_for(lambda: status() == "available", f"{name} to be available")

    elapsed = timed(create)[0]
    rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
    wait_for(lambda: status() is None, f"{name} to be deleted")
    return elapsed


def stack_create_and_delete(stratus, round_) -> StackTimes:
    """How long examples/accounts/stack.yml takes to create and to delete, as `stratus demo` deploys it."""
    cloudformation = client(stratus, "cloudformation")
    name = f"accounts-bench-{round_}"
    with open(os.path.join(ACCOUNTS, "stack.yml")) as template:
        # As `stratus demo` packages it: the functions' local code folder becomes the zip, through stratus-local.
        body = template.read().replace("Code: build/publish", f'Code: {{ S3Bucket: stratus-local, S3Key: "{ACCOUNTS_ZIP}" }}')

    def settled():
        stacks = cloudformation.describe_stacks()["Stacks"]
        return next((s["StackStatus"] for s in stacks if s["StackName"] == name), "DELETE_COMPLETE")

    def create():
        cloudformation.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"], Parameters=[
            {"ParameterKey": "DatabasePassword", "ParameterValue": "demo-cct-password"}])
        wait_for(lambda: not settled().endswith("IN_PROGRESS"), f"{name} to be created")
        if settled() != "CREATE_COMPLETE":
            raise RuntimeError(f"stack {name} ended in {settled()}")

    def delete():
        cloudformation.delete_stack(StackName=name)
        wait_for(lambda: settled() == "DELETE_COMPLETE", f"{name} to be deleted")

    return StackTimes(timed(create)[0], timed(delete)[0])


def walkthrough(stratus, script):
    """Wall time of examples/accounts/deploy.sh or teardown.sh against Stratus, and what it printed."""
    environment = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    elapsed, run = timed(lambda: subprocess.run(["bash", os.path.join(ACCOUNTS, script), stratus.url], env=environment, capture_output=True, text=True))
    if run.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{run.stderr[-3000:]}")
    return elapsed, run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""


# ---- the benchmark ----

def run(quick):
    """Measures everything below and returns the markdown for the performance page."""
    shape = QUICK if quick else FULL
    ensure_built()
    work = tempfile.mkdtemp(prefix="stratus-bench-data-")
    try:
        get_script = os.path.join(work, "get.lua")
        write_wrk_script(get_script, "GET", b"", {})
        with contextlib.ExitStack() as stack:
            bare = WrkTarget(start_reference(stack, "bare").url + "/", get_script)
            lambda_http = lambda_and_http(stack, work, bare, shape)
        with contextlib.ExitStack() as stack:
            bare = WrkTarget(start_reference(stack, "bare").url + "/", get_script)
            seed_results = seed(stack, work, bare, shape)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report(lambda_http, seed_results, shape)


def lambda_and_http(stack, work, bare: WrkTarget, shape) -> LambdaAndHttp:
    print("Lambda: warm invoke against the references", file=sys.stderr)
    stratus = start_stratus(stack, "Stratus")
    idle_rss = stratus.rss_mb()
    # Every environment here is a function's, and cold starts start the process: no pre-started .NET host.
    plain = start_stratus(stack, "Stratus without a pre-started host", STRATUS_LAMBDA_DOTNET_STANDBY=0)
    dotnet_command = ["dotnet", "exec", RUNTIME_HOST]
    dotnet_variables = {"DOTNET_TieredPGO": "0", "DOTNET_TC_QuickJitForLoops": "1", "DOTNET_ROLL_FORWARD": "Major"}
    references = {".NET": start_runtime_api(stack, FUNCTIONS_PACKAGE, DOTNET_ECHO, dotnet_command, **dotnet_variables)}
    inprocess = start_reference(stack, "inprocess")
    scripts = script_functions(work)
    for runtime, function in scripts.items():
        references[runtime] = start_runtime_api(stack, function.task_root, function.handler, function.command, **function.variables)

    package = zip_directory(FUNCTIONS_PACKAGE)
    for server in (stratus, plain):
        create_function(server, "echo-dotnet", "dotnet10", DOTNET_ECHO, package)
        for runtime, function in scripts.items():
            create_function(server, f"echo-{runtime.lower()}", function.runtime, function.handler, zip_directory(function.task_root))
        for name in ("echo-dotnet", *(f"echo-{runtime.lower()}" for runtime in scripts)):
            post(invoke_url(server, name), PAYLOAD)

    invoke_script = os.path.join(work, "invoke.lua")
    write_wrk_script(invoke_script, "POST", PAYLOAD, {"Content-Type": "application/json"})
    invoke_rows = []
    for connections in (1, 16):
        figures = compare_wrk({"Stratus": WrkTarget(invoke_url(stratus, "echo-dotnet"), invoke_script),
                               "Runtime API hop": WrkTarget(f"{references['.NET'].url}/invoke", invoke_script),
                               "in-process delegate": WrkTarget(f"{inprocess.url}/invoke", invoke_script)}, connections, shape)
        for reference in ("Runtime API hop", "in-process delegate"):
            invoke_rows.append(Row(f".NET echo, {connections} conn, vs {reference}", {"Stratus": figures["Stratus"], "reference": figures[reference]}))
    for runtime in scripts:
        figures = compare_wrk({"Stratus": WrkTarget(invoke_url(stratus, f"echo-{runtime.lower()}"), invoke_script),
                               "reference": WrkTarget(f"{references[runtime].url}/invoke", invoke_script)}, 1, shape)
        invoke_rows.append(Row(f"{runtime} echo, 1 conn, vs Runtime API hop", figures))

    print("Lambda: cold starts", file=sys.stderr)
    first_next = {runtime: [] for runtime in references}
    dotnet = alternate_and_log({
        "waiting host": lambda: stratus_cold_start(stratus, "echo-dotnet", pause=0.5),
        "no host": lambda: stratus_cold_start(plain, "echo-dotnet"),
        "reference": lambda: reference_cold_start(references[".NET"], first_next[".NET"])}, shape.cold_starts)
    cold_starts = {".NET": ColdStarts(dotnet["no host"], dotnet["reference"], first_next[".NET"], waiting_host=dotnet["waiting host"])}
    for runtime in scripts:
        measured = alternate_and_log({
            "no host": lambda runtime=runtime: stratus_cold_start(plain, f"echo-{runtime.lower()}"),
            "reference": lambda runtime=runtime: reference_cold_start(references[runtime], first_next[runtime])}, shape.cold_starts)
        cold_starts[runtime] = ColdStarts(measured["no host"], measured["reference"], first_next[runtime])
    time.sleep(1)
    environments = environment_rss(plain)

    print("API Gateway: HTTP path against bare Kestrel", file=sys.stderr)
    stage = http_api(stratus)
    figures = compare_wrk({"bare": bare, **{name: WrkTarget(url, bare.script) for name, url in stage.items()}}, 16, shape)
    http_rows = [Row(f"{name}, 16 conn", {"Stratus": figures[name], "bare Kestrel": figures["bare"]}) for name in stage]
    print("API Gateway: a cached Lambda authorizer against the same method without one", file=sys.stderr)
    # One connection: the p50 is then a request's own latency, not its wait behind the others.
    authorizer = compare_wrk(authorizer_pair(stratus, work), 1, shape)
    authorizer_row = Row(f"{AUTHORIZED}, 1 conn", {"Stratus": authorizer[AUTHORIZED], "without": authorizer[UNAUTHORIZED]})
    return LambdaAndHttp(idle_rss, stratus.rss_mb(), invoke_rows, cold_starts, environments, http_rows, authorizer_row)


def http_api(stratus):
    """A REST API with a MOCK method and two methods in front of warm .NET functions serving the same page: the
    seed's non-proxy AWS integration (its response mapping template unwraps the page) and AWS_PROXY; and an HTTP API
    (v2) quick-created in front of the AWS_PROXY function. Stage URLs by name."""
    apigw = client(stratus, "apigateway")
    api = apigw.create_rest_api(name="bench")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]

    def method(path, status_parameters, **integration):
        resource = apigw.create_resource(restApiId=api, parentId=root, pathPart=path)["id"]
        apigw.put_method(restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE")
        apigw.put_method_response(restApiId=api, resourceId=resource, httpMethod="GET", statusCode="200", responseParameters=status_parameters)
        apigw.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", **integration)
        return resource

    def lambda_uri(name, handler):
        arn = create_function(stratus, name, "dotnet10", handler, zip_directory(FUNCTIONS_PACKAGE))
        client(stratus, "lambda").add_permission(FunctionName=name, StatementId="apigateway", Action="lambda:InvokeFunction",
                                                 Principal="apigateway.amazonaws.com")
        return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"

    mock = method("mock", {}, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_integration_response(restApiId=api, resourceId=mock, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"stage": "$context.stage", "id": "$context.requestId"}'})
    method("proxy", {}, type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri("proxy-page", "DotnetFunctions::DotnetFunctions.ProxyPage::Handle"))
    seed_integration = method("aws", {"method.response.header.Content-Type": False}, type="AWS", integrationHttpMethod="POST",
                              uri=lambda_uri("page", "DotnetFunctions::DotnetFunctions.HtmlPage::Handle"))
    apigw.put_integration_response(restApiId=api, resourceId=seed_integration, httpMethod="GET", statusCode="200", selectionPattern="",
                                   responseParameters={"method.response.header.Content-Type": "'text/html'"},
                                   responseTemplates={"text/html": "$input.path('$')"})
    apigw.create_deployment(restApiId=api, stageName="bench")
    base = f"{stratus.url}/restapis/{api}/bench/_user_request_"
    # The same function behind an HTTP API (v2): quick create, payload format 2.0, on the DNS-free path form.
    proxy_arn = client(stratus, "lambda").get_function(FunctionName="proxy-page")["Configuration"]["FunctionArn"]
    stages = {"API Gateway MOCK": f"{base}/mock", "API Gateway AWS_PROXY (.NET function)": f"{base}/proxy",
              "API Gateway AWS, the seed's integration (.NET function)": f"{base}/aws"}
    try:
        http_api_id = client(stratus, "apigatewayv2").create_api(Name="bench-v2", ProtocolType="HTTP", Target=proxy_arn)["ApiId"]
        stages["HTTP API (v2) Lambda proxy, payload 2.0 (.NET function)"] = f"{stratus.url}/_aws/execute-api/{http_api_id}/proxy"
    except ClientError:
        pass  # an older build compare_builds.py measures, from before HTTP APIs: its REST rows still compare
    return stages


AUTHORIZER_TOKEN = "Bearer bench-token"
ALLOW_POLICY = """def handler(event, context):
    return {"principalId": "bench", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}
"""


def authorizer_pair(stratus, work) -> dict[str, WrkTarget]:
    """Issue #20's pair: the same MOCK method twice on one stage, once behind a TOKEN Lambda authorizer whose answer is
    cached for 300 s, replayed with one token (so every measured request is a cache hit), once without an authorizer."""
    apigw = client(stratus, "apigateway")
    api = apigw.create_rest_api(name="bench-authorizer")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        entry = zipfile.ZipInfo("allow.py")
        entry.external_attr = 0o644 << 16  # readable by the function: writestr's default mode is none at all
        archive.writestr(entry, ALLOW_POLICY)
    arn = create_function(stratus, "bench-authorizer", PYTHON_RUNTIME, "allow.handler", code.getvalue())
    client(stratus, "lambda").add_permission(FunctionName="bench-authorizer", StatementId="apigateway", Action="lambda:InvokeFunction",
                                             Principal="apigateway.amazonaws.com")
    authorizer = apigw.create_authorizer(restApiId=api, name="token", type="TOKEN", identitySource="method.request.header.Authorization",
                                         authorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
                                         authorizerResultTtlInSeconds=300)["id"]
    for path, authorization in (("open", {"authorizationType": "NONE"}), ("authorized", {"authorizationType": "CUSTOM", "authorizerId": authorizer})):
        resource = apigw.create_resource(restApiId=api, parentId=root, pathPart=path)["id"]
        apigw.put_method(restApiId=api, resourceId=resource, httpMethod="GET", **authorization)
        apigw.put_method_response(restApiId=api, resourceId=resource, httpMethod="GET", statusCode="200")
        apigw.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
        apigw.put_integration_response(restApiId=api, resourceId=resource, httpMethod="GET", statusCode="200",
                                       responseTemplates={"application/json": '{"stage": "$context.stage", "id": "$context.requestId"}'})
    apigw.create_deployment(restApiId=api, stageName="bench")
    base = f"{stratus.url}/restapis/{api}/bench/_user_request_"
    script = os.path.join(work, "authorized-get.lua")
    write_wrk_script(script, "GET", b"", {"Authorization": AUTHORIZER_TOKEN})
    # The first request calls the authorizer and caches its policy; wrk's warm-up and rounds are then served from the cache.
    # On a loaded machine the function's cold start can outlast API Gateway's wait for an authorizer: asked until it answers.
    def authorized():
        try:
            with urllib.request.urlopen(urllib.request.Request(f"{base}/authorized", headers={"Authorization": AUTHORIZER_TOKEN}), timeout=60) as answer:
                return answer.status == 200
        except urllib.error.HTTPError as refused:
            print(f"  the authorized method answered {refused.code} {refused.read()[:200]!r}, asking again", file=sys.stderr)
            return False
    wait_for(authorized, "the authorizer to allow the token", timeout=120)
    return {AUTHORIZED: WrkTarget(f"{base}/authorized", script), UNAUTHORIZED: WrkTarget(f"{base}/open", script)}


AUTHORIZED = "MOCK behind a cached TOKEN Lambda authorizer"
UNAUTHORIZED = "the same MOCK method without an authorizer"


def seed(stack, work, bare: WrkTarget, shape) -> Seed:
    print("The seed: walkthrough, accounts page, stack, RDS", file=sys.stderr)
    stratus = start_stratus(stack, "Stratus")
    deploys, teardowns = [], []
    for round_ in range(shape.walkthroughs):
        elapsed, url = walkthrough(stratus, "deploy.sh")
        deploys.append(elapsed)
        if round_ == 0:
            walkthrough_rss = stratus.rss_mb()
            # deploy.sh prints the host-based stage URL; wrk gets the path-based form of the same stage.
            api = url.split("//", 1)[1].split(".", 1)[0]
            page = Row("the seed's accounts page (function + MariaDB query), 16 conn", compare_wrk(
                {"Stratus": WrkTarget(f"{stratus.url}/restapis/{api}/demo-cct/_user_request_/", bare.script), "bare Kestrel": bare},
                16, shape, shape.page_warmup))
        teardowns.append(walkthrough(stratus, "teardown.sh")[0])
    print(f"  deploy.sh {statistics.median(deploys):.1f} s, teardown.sh {statistics.median(teardowns):.1f} s", file=sys.stderr)
    stacks = [stack_create_and_delete(stratus, round_) for round_ in range(shape.stacks)]
    print(f"  stack {statistics.median(s.create for s in stacks):.1f} s", file=sys.stderr)
    databases = alternate_and_log({"Stratus": lambda: rds_create(stratus),
                                   "reference": lambda: mariadb_start(work)}, shape.databases)
    return Seed(walkthrough_rss, page, deploys, teardowns, stacks, databases["Stratus"], databases["reference"])


# ---- report ----

def authorizer_verdict(row: Row) -> str:
    """What the cached authorizer adds to the p50 against issue #20's 0.2 ms."""
    added = row.cells["Stratus"].p50 - row.cells["without"].p50
    return f"Added p50: {added:.3f} ms (target < 0.2 ms: {'met' if added < 0.2 else 'missed'})."


def report(lambda_http: LambdaAndHttp, seed_results: Seed, shape):
    invoke = {row.name: row.cells for row in lambda_http.invoke_rows}
    cold = lambda_http.cold_starts
    dotnet_environment = statistics.median(lambda_http.environments.get(".NET", [float("nan")]))
    warm_p50 = invoke[".NET echo, 1 conn, vs Runtime API hop"]["Stratus"].p50
    at_16 = invoke[".NET echo, 16 conn, vs Runtime API hop"]
    share_16 = at_16["Stratus"].rate / at_16["reference"].rate
    cold_waiting, cold_plain = statistics.median(cold[".NET"].waiting_host), statistics.median(cold[".NET"].new_process)
    targets = [
        ("warm Invoke p50 at 1 connection", f"{warm_p50:.2f} ms", "< 0.3 ms", warm_p50 < 0.3),
        ("Invoke throughput at 16 connections, share of the Runtime API hop's", f"{share_16:.0%}", ">= 70%", share_16 >= 0.7),
        (".NET cold start, median", f"{cold_plain:.0f} ms", "< 150 ms", cold_plain < 150),
        (".NET cold start with a waiting pre-started host, median", f"{cold_waiting:.0f} ms", "< 50 ms", cold_waiting < 50),
        ("idle .NET environment", f"{dotnet_environment:.0f} MB", "< 60 MB", dotnet_environment < 60),
        ("Stratus idle", f"{lambda_http.idle_rss:.0f} MB", "< 120 MB", lambda_http.idle_rss < 120),
    ]
    lines = ["## Data plane: Stratus vs the machine's limits", "",
             "The references are `bench/References`: a bare Kestrel endpoint (`GET /`), an echo delegate called in process, and "
             "one function process behind a minimal Lambda Runtime API (the same process Stratus runs: its .NET runtime host with "
             "the echo function of `tests/Functions/DotnetFunctions`, or its shipped Python and Node runtime clients, started "
             "directly, without a sandbox). Stratus's functions run sandboxed with bubblewrap where it is installed.", "",
             "### Issue #4's targets", "", "| target | figure | goal | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {figure} | {goal} | {'yes' if met else 'no'} |" for name, figure, goal, met in targets]
    lines += ["", table("Lambda warm Invoke (wrk)", lambda_http.invoke_rows, "Stratus", "reference", "req/s",
                        "Unsigned POSTs of a small JSON payload to `/2015-03-31/functions/NAME/invocations`, against the reference "
                        "named in the row: a function process behind a minimal Runtime API (`POST /invoke`), or the echo done "
                        "in process. At 16 connections Stratus scales out to 16 environments (one event at a time each, as on "
                        "AWS) while the Runtime API reference queues the events for its one process."),
              "### Lambda cold starts", "",
              "Client-measured, from the invoke's request to its response, each after a configuration update so that a "
              "new environment answers. The reference starts a fresh function process behind the minimal Runtime API, with "
              "the variables Stratus gives a function and its first event waiting; the last column is its time to ask "
              "for that event. Once a .NET function has run, Stratus keeps one generic runtime host started "
              "ahead of need in its own sandbox (`STRATUS_LAMBDA_DOTNET_STANDBY`, default 1); a cold start links the "
              "function's files into its task root, hands it the function's variables over the Runtime API (Stratus's "
              "`/2018-06-01/stratus/assignment` extension) and the host binds the handler and asks for its first event, "
              "while a replacement host starts in the background. The second Stratus runs with "
              "`STRATUS_LAMBDA_DOTNET_STANDBY=0`, so it starts the process.", "",
              "| function | Stratus ms (median, spread) | reference ms | ratio | reference ms to its first `/next` |",
              "| --- | --- | --- | --- | --- |"]
    for runtime, starts in cold.items():
        reference = statistics.median(starts.reference)
        for label, values in (("waiting pre-started host", starts.waiting_host), ("new process", starts.new_process)):
            if values is not None:
                lines.append(f"| {runtime}, {label} | {spread(values)} | {spread(starts.reference)} "
                             f"| {statistics.median(values) / reference:.2f}x | {spread(starts.reference_first_next)} |")
    lines += ["", table("HTTP through API Gateway (wrk, 16 connections)", lambda_http.http_rows + [seed_results.page], "Stratus", "bare Kestrel", "req/s",
                        "GETs of stage URLs (path-based form) against the bare Kestrel reference. MOCK renders a response "
                        "template; the AWS and AWS_PROXY methods front warm .NET functions returning the same small page; the "
                        "accounts page is the seed's own stage after `examples/accounts/deploy.sh`, its function querying MariaDB. API "
                        "Gateway's account throttle is raised (`STRATUS_APIGATEWAY_ACCOUNT_RATE`), as AWS raises that quota on "
                        "request: its default of 10,000 requests per second would cap the MOCK row."),
              table("A cached Lambda authorizer (wrk, 1 connection)", [lambda_http.authorizer_row], "Stratus", "without", "req/s",
                    "Issue #20's target: a TOKEN Lambda authorizer with caching (TTL 300 s) adds under 0.2 ms p50 to a cached request. "
                    "The same MOCK method on one stage with and without the authorizer, wrk replaying one token, so that every "
                    "measured request is answered from the authorizer's cache. " + authorizer_verdict(lambda_http.authorizer_row)),
              "### The seed's walkthrough, stack and database", "",
              f"Wall times against a fresh Stratus, {shape.walkthroughs} walkthrough(s). `deploy.sh` is the seed's own command "
              "sequence with the aws CLI (about 40 calls, each a new Python process) and includes `package.sh` publishing the "
              "functions; the RDS reference is MariaDB alone initializing a data directory and starting to accept connections.", "",
              "| operation | Stratus s (median, spread) | reference s | ratio |", "| --- | --- | --- | --- |",
              f"| `examples/accounts/deploy.sh ENDPOINT` | {spread(seed_results.deploys, 1)} | | |",
              f"| `examples/accounts/teardown.sh ENDPOINT` | {spread(seed_results.teardowns, 1)} | | |",
              f"| `stack.yml` through CloudFormation: create | {spread([s.create for s in seed_results.stacks], 1)} | | |",
              f"| `stack.yml` through CloudFormation: delete | {spread([s.delete for s in seed_results.stacks], 1)} | | |",
              f"| RDS `create_db_instance` to `available` | {spread(seed_results.database_creates, 1)} | "
              f"{spread(seed_results.mariadb_starts, 1)} | "
              f"{statistics.median(seed_results.database_creates) / statistics.median(seed_results.mariadb_starts):.1f}x |",
              "", "### Memory", "", "| process | resident MB |", "| --- | --- |",
              f"| Stratus, idle | {lambda_http.idle_rss:.0f} |",
              f"| Stratus, after the Lambda and API Gateway runs (up to 16 environments per function) | {lambda_http.scaled_rss:.0f} |",
              f"| Stratus, after the seed's walkthrough (deployed, page served at 16 connections) | {seed_results.walkthrough_rss:.0f} |"]
    for runtime, values in lambda_http.environments.items():
        lines.append(f"| warm {runtime} echo environment (its largest process, median of {len(values)}) | {statistics.median(values):.0f} |")
    return lines + [""]
