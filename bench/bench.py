#!/usr/bin/env python3
"""Stratus benchmarks, each measured side by side with its reference in one run.

Every comparison alternates its subjects round by round (A, B, A, B, ...) so that drift of the machine
hits both alike; each figure is the median over rounds with the min-max spread. Results are written
to docs/performance.md together with the machine and the command that produced them.
"""
import argparse
import datetime
import functools
import io
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRATUS_DLL = os.environ.get("STRATUS_DLL") or os.path.join(ROOT, "src", "Stratus", "bin", "Release", "net10.0", "stratus.dll")
REGION = "us-east-1"
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on a loopback port, stopped when the benchmark ends."""

    def __init__(self, name, argv, port):
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"{name} did not start on port {port}")

    def rss_mb(self):
        return rss_mb(self.process.pid)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def rss_mb(pid):
    """Resident memory of a process; 0 once it has gone (the bench reads processes it does not own)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def start_stratus():
    port = free_port()
    return Server("Stratus", ["dotnet", STRATUS_DLL, "start", "--ephemeral", "--port", str(port)], port)


def start_moto():
    port = free_port()
    return Server("moto", ["moto_server", "-H", "127.0.0.1", "-p", str(port)], port)


def client(server, service, region=REGION):
    return boto3.client(service, endpoint_url=server.url, region_name=region, aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))


def client_cache(server):
    """One boto3 client per service and region for a server, made on first use: creating clients costs milliseconds."""
    clients = {}

    def get(service, region=REGION):
        if (service, region) not in clients:
            clients[service, region] = client(server, service, region)
        return clients[service, region]

    return get


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Figure:
    """One subject's measurements over the rounds of a comparison: a rate per round, and either every
    call's latency (in-process clients) or each round's percentiles (load generators)."""

    def __init__(self):
        self.rates, self.latencies, self.p50s, self.p99s = [], [], [], []

    def summary(self):
        return {
            "rate": statistics.median(self.rates),
            "spread": (min(self.rates), max(self.rates)),
            "p50": percentile(self.latencies, 50) if self.latencies else statistics.median(self.p50s),
            "p99": percentile(self.latencies, 99) if self.latencies else statistics.median(self.p99s),
        }


# ---- what the control-plane workloads work on ----

# A server that refuses an operation or a fixture gets "n/a" and the reason in its cell instead of a figure.
REFUSALS = (BotoCoreError, ClientError, RuntimeError, subprocess.CalledProcessError)


def refusal(error):
    return f"{type(error).__name__}: {str(error).splitlines()[0][:160]}" if str(error) else type(error).__name__


class Subject:
    """A server under test, with its boto3 clients and the fixtures made on it. Each fixture is made once per
    server and its outcome kept, refusal included, so that the boto3 and the replayed rows share it."""

    def __init__(self, server):
        self.server, self.name, self.client = server, server.name, client_cache(server)
        self.made = {}

    def make(self, fixture):
        if fixture not in self.made:
            try:
                self.made[fixture] = (fixture(self.client), None)
            except REFUSALS as error:
                self.made[fixture] = (None, error)
        value, error = self.made[fixture]
        if error:
            raise error
        return value


def bench_role(c):
    c("iam").create_role(RoleName="bench-role", AssumeRolePolicyDocument=TRUST)
    return "bench-role"


def many_roles(c):
    iam = c("iam")
    for i in range(300):
        iam.create_role(RoleName=f"bench-many-{i:03}", AssumeRolePolicyDocument=TRUST)


def rest_api(c):
    """The id of a REST API with a MOCK GET on its root, alone in its region (get_rest_apis reads one API)."""
    return configure_api(c("apigateway"), "bench-api")


def configure_api(apigateway, name):
    api = apigateway.create_rest_api(name=name)["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    return api


def function(c):
    """A Python function; Stratus checks that its role exists and trusts Lambda, so the role comes first."""
    role = c("iam").create_role(RoleName="bench-function-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    c("lambda").create_function(FunctionName="bench-function", Runtime="python3.12", Role=role, Handler="index.handler",
                                Code={"ZipFile": code.getvalue()})
    return "bench-function"


def db_instance(c):
    """One small instance; on Stratus a real MariaDB server, available after a few seconds."""
    rds = c("rds")
    rds.create_db_instance(DBInstanceIdentifier="bench-db", DBInstanceClass="db.t3.micro", Engine="mysql",
                           MasterUsername="admin", MasterUserPassword="bench-secret", AllocatedStorage=20)
    rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="bench-db", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    return "bench-db"


def stack(c):
    cloudformation = c("cloudformation")
    template = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "bench-stack-logs"}}}}
    cloudformation.create_stack(StackName="bench-stack", TemplateBody=json.dumps(template))
    cloudformation.get_waiter("stack_create_complete").wait(StackName="bench-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    return "bench-stack"


def seeded_metric(c):
    """An hour of one data point a minute, read back in one window. It is not the metric put_metric_data
    writes, so what the statistics cover does not depend on how long that row ran."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
    points = [{"MetricName": "Seeded", "Value": float(i), "Unit": "Count", "Timestamp": now - datetime.timedelta(minutes=i)}
              for i in range(60)]
    for batch in range(0, len(points), 20):
        c("cloudwatch").put_metric_data(Namespace="Bench", MetricData=points[batch:batch + 20])
    return {"Namespace": "Bench", "MetricName": "Seeded", "StartTime": now - datetime.timedelta(hours=1),
            "EndTime": now + datetime.timedelta(minutes=1), "Period": 300, "Statistics": ["Sum", "Maximum"]}


# ---- the workloads ----

class Workload:
    """One row: a boto3 operation on what `fixture` made (its per-server value goes through `params`), or a
    `sequence` of calls counted as one iteration. `replay` says whether wrk replays its signed request."""

    def __init__(self, name, service=None, operation=None, params=None, fixture=None, replay=True, sequence=None, calls=1):
        self.name, self.service, self.operation, self.fixture = name, service, operation, fixture
        self.params, self.replay, self.sequence, self.calls = params or (lambda _: {}), replay, sequence, calls

    def params_on(self, subject):
        return self.params(subject.make(self.fixture) if self.fixture else None)

    def bind(self, subject):
        """The call to time on a subject, made once untimed: warms its connection and finds refusals early."""
        if self.sequence:
            call = functools.partial(self.sequence, subject.client)
        else:
            call = functools.partial(getattr(subject.client(self.service), self.operation), **self.params_on(subject))
        call()
        return call


def api_iteration(c):
    """create_rest_api + get_resources + put_method + put_integration + get_rest_apis: the APIs pile up (names
    need not be unique), in a region of their own so that the other API Gateway rows read the same one API."""
    apigateway = c("apigateway", "us-west-2")
    configure_api(apigateway, "bench-iteration")
    apigateway.get_rest_apis()


METRIC_DATA = [{"MetricName": "Written", "Value": 1.0, "Unit": "Count", "Dimensions": [{"Name": "Bench", "Value": "put"}]}]


def control_plane_workloads():
    return [
        Workload("iam.get_role", "iam", "get_role", lambda role: {"RoleName": role}, bench_role),
        Workload("sts.get_caller_identity", "sts", "get_caller_identity"),
        Workload("iam.list_roles (300 roles)", "iam", "list_roles", lambda _: {"MaxItems": 100}, many_roles, replay=False),
        # Creating is not idempotent, so only the reads of the API Gateway sequence are replayed.
        Workload("apigateway create, get_resources, put_method, put_integration, get_rest_apis (one iteration)",
                 sequence=api_iteration, calls=5, replay=False),
        Workload("apigateway.get_rest_api", "apigateway", "get_rest_api", lambda api: {"restApiId": api}, rest_api),
        Workload("apigateway.get_resources", "apigateway", "get_resources", lambda api: {"restApiId": api}, rest_api),
        Workload("apigateway.get_rest_apis (1 API)", "apigateway", "get_rest_apis", fixture=rest_api),
        Workload("lambda.get_function", "lambda", "get_function", lambda name: {"FunctionName": name}, function),
        Workload("rds.describe_db_instances (by id)", "rds", "describe_db_instances",
                 lambda db: {"DBInstanceIdentifier": db}, db_instance),
        Workload("rds.describe_db_instances (all)", "rds", "describe_db_instances", fixture=db_instance),
        Workload("cloudformation.describe_stacks", "cloudformation", "describe_stacks", lambda name: {"StackName": name}, stack),
        # Every replayed put adds a data point to the same metric: the same effect again, so it is safe to replay.
        Workload("cloudwatch.put_metric_data", "cloudwatch", "put_metric_data", lambda _: {"Namespace": "Bench", "MetricData": METRIC_DATA}),
        Workload("cloudwatch.get_metric_statistics", "cloudwatch", "get_metric_statistics", lambda query: query, seeded_metric),
    ]


# ---- control plane through boto3 ----

def time_calls(calls_by_subject, rounds, calls):
    """Each subject's call `calls` times per round, subjects alternating round by round."""
    figures = {name: Figure() for name in calls_by_subject}
    for _ in range(rounds):
        for name, call in calls_by_subject.items():
            figure = figures[name]
            started = time.perf_counter()
            for _ in range(calls):
                t = time.perf_counter()
                call()
                figure.latencies.append((time.perf_counter() - t) * 1000)
            figure.rates.append(calls / (time.perf_counter() - started))
    return {name: figure.summary() for name, figure in figures.items()}


def bound_calls(workload, subjects):
    """Each subject's bound call, or the reason it refused the workload (its cell in the table)."""
    calls, refused = {}, {}
    for subject in subjects:
        try:
            calls[subject.name] = workload.bind(subject)
        except REFUSALS as error:
            refused[subject.name] = refusal(error)
    return calls, refused


def log_row(kind, name, cells, unit):
    print(f"  {kind} {name}: " + ", ".join(f"{k} {v['rate']:.0f} {unit}" if isinstance(v, dict) else f"{k} n/a ({v})"
                                          for k, v in cells.items()), file=sys.stderr)


def bench_boto3(subjects, rounds, calls):
    rows = []
    for workload in control_plane_workloads():
        bound, refused = bound_calls(workload, subjects)
        # A sequence of several calls runs proportionally fewer times, so that every row takes about as long.
        cells = {**time_calls(bound, rounds, max(1, calls // workload.calls)), **refused}
        rows.append((workload.name, cells))
        log_row("boto3", workload.name, cells, "ops/s")
    return rows


# ---- the same signed requests replayed with wrk ----

def capture_request(server, service, operation, region=REGION, **params):
    """The exact HTTP request boto3 sends for one call, to replay it at full speed."""
    captured = {}
    c = client(server, service, region)

    def before_send(request, **_):
        captured.update(method=request.method, url=request.url, headers=dict(request.headers), body=request.body or b"")

    c.meta.events.register("before-send", before_send)
    getattr(c, operation)(**params)
    return captured


def lua_script(request, path):
    def quote(value):
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = [f"wrk.method = {quote(request['method'])}", f"wrk.body = {quote(request['body'])}"]
    for key, value in request["headers"].items():
        if key.lower() not in ("content-length", "host"):
            lines.append(f"wrk.headers[{quote(key)}] = {quote(value)}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def replay_script(server, path, service, operation, region=REGION, **params):
    """Captures one call's request into a wrk script at `path`: (url, path), run_wrk's first arguments."""
    request = capture_request(server, service, operation, region, **params)
    lua_script(request, path)
    return request["url"], path


def run_wrk(url, script, connections, seconds):
    out = subprocess.run(["wrk", "-t", "1" if connections == 1 else "2", "-c", str(connections), "-d", f"{seconds}s",
                          "--latency", "-s", script, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(label):
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses from {url}")
    return rate, latency("50%"), latency("99%")


def bench_replay(subjects, rounds, seconds):
    rows = []
    workdir = tempfile.mkdtemp(prefix="stratus-bench-")
    try:
        for index, workload in enumerate(w for w in control_plane_workloads() if w.replay):
            # One request captured per server: ids (and the account) differ between the servers.
            scripts, refused = {}, {}
            for subject in subjects:
                try:
                    scripts[subject.name] = replay_script(subject.server, os.path.join(workdir, f"{subject.name}-{index}.lua"),
                                                          workload.service, workload.operation, **workload.params_on(subject))
                except REFUSALS as error:
                    refused[subject.name] = refusal(error)
            for connections in (1, 16):
                figures = {name: Figure() for name in scripts}
                for _ in range(rounds):
                    for name, script in list(scripts.items()):
                        try:
                            rate, p50, p99 = run_wrk(*script, connections, seconds)
                        except REFUSALS as error:
                            refused[name] = refusal(error)
                            del scripts[name], figures[name]
                            continue
                        figures[name].rates.append(rate)
                        figures[name].p50s.append(p50)
                        figures[name].p99s.append(p99)
                cells = {**{name: figure.summary() for name, figure in figures.items()}, **refused}
                rows.append((f"{workload.name}, {connections} conn", cells))
                log_row("replay", rows[-1][0], cells, "req/s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


# ---- a list as its resources pile up ----

GROWTH_REGION = "eu-west-1"
GROWTH_COUNTS = (0, 100, 200, 300)


def bench_growth(subjects, counts, rounds, calls, seconds):
    """get_rest_apis as REST APIs pile up, in a region of its own so that the count is exact: (count, cells),
    each cell the p50 through boto3, the p50 of the replayed request at one connection (the server alone,
    without boto3 parsing the page) and how many APIs the first page returned."""
    rows, made = [], 0
    workdir = tempfile.mkdtemp(prefix="stratus-bench-")
    try:
        for count in counts:
            for subject in subjects:
                apigateway = subject.client("apigateway", GROWTH_REGION)
                for i in range(made, count):
                    apigateway.create_rest_api(name=f"bench-growth-{i:03}")
            made = count
            calls_by_subject = {s.name: s.client("apigateway", GROWTH_REGION).get_rest_apis for s in subjects}
            page = {name: len(call()["items"]) for name, call in calls_by_subject.items()}
            summaries = time_calls(calls_by_subject, rounds, calls)
            cells = {}
            for subject in subjects:
                script = replay_script(subject.server, os.path.join(workdir, f"{subject.name}-growth.lua"),
                                       "apigateway", "get_rest_apis", GROWTH_REGION)
                cells[subject.name] = {"boto3": summaries[subject.name]["p50"], "replay": run_wrk(*script, 1, seconds)[1],
                                       "items": page[subject.name]}
            rows.append((count, cells))
            print(f"  get_rest_apis with {count} APIs: " + ", ".join(
                f"{k} p50 {v['boto3']:.2f} ms (boto3), {v['replay']:.2f} ms (replayed)" for k, v in cells.items()), file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


# ---- report ----

def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}"


def table(title, rows, subject, reference, unit, note, target=None):
    """A comparison table; `target`, when given, is the ratio over the reference that issue #10 asks of the subject."""
    target_head, target_rule = (f" target {target}x met? |", " --- |") if target else ("", "")
    lines = [f"### {title}", "", note, "",
             f"| workload | {subject} {unit} (median, spread) | {reference} {unit} | ratio |{target_head} "
             f"{subject} p50 / p99 ms | {reference} p50 / p99 ms |",
             f"| --- | --- | --- | --- |{target_rule} --- | --- |"]
    refusals = []
    for name, cells in rows:
        a, b = cells[subject], cells[reference]
        for who, cell in ((subject, a), (reference, b)):
            if not isinstance(cell, dict):
                refusals.append(f"- {name}: {who} n/a, {cell}")
        ratio = a["rate"] / b["rate"] if isinstance(a, dict) and isinstance(b, dict) else None
        met = f" {'n/a' if ratio is None else 'yes' if ratio >= target else 'no'} |" if target else ""
        lines.append(f"| {name} | {rate_cell(a)} | {rate_cell(b)} | {'n/a' if ratio is None else f'{ratio:.1f}x'} |{met} "
                     f"{latency_cell(a)} | {latency_cell(b)} |")
    return "\n".join(lines + ([""] + refusals if refusals else [])) + "\n"


def rate_cell(cell):
    return f"{cell['rate']:.0f} ({cell['spread'][0]:.0f}-{cell['spread'][1]:.0f})" if isinstance(cell, dict) else "n/a"


def latency_cell(cell):
    return f"{cell['p50']:.2f} / {cell['p99']:.2f}" if isinstance(cell, dict) else "n/a"


# A list is flat when its replayed p50 with the most APIs is within this factor of its p50 with the first count
# past AWS's page of 25: below that the page itself grows, which is more to send, not a slower list.
FLAT = 1.5


def growth_table(rows, subjects):
    lines = ["### apigateway.get_rest_apis as REST APIs pile up", "",
             "p50 latency in ms through boto3 and replayed by wrk at one connection (the server alone), and how many "
             f"APIs the first page returned: AWS pages by 25 unless asked for more. Flat: the replayed p50 with {rows[-1][0]} "
             f"APIs within {FLAT}x of that with {rows[1][0]}.", "",
             "| REST APIs | " + " | ".join(f"{s} p50 boto3 / replayed (items)" for s in subjects) + " |",
             "| --- |" + " --- |" * len(subjects)]
    for count, cells in rows:
        lines.append(f"| {count} | " + " | ".join(
            f"{cells[s]['boto3']:.2f} / {cells[s]['replay']:.2f} ({cells[s]['items']})" for s in subjects) + " |")
    lines.append("| flat? | " + " | ".join("yes" if is_flat(rows, s) else "no" for s in subjects) + " |")
    return "\n".join(lines) + "\n"


def is_flat(rows, subject):
    return rows[-1][1][subject]["replay"] <= FLAT * rows[1][1][subject]["replay"]


def verdict(boto_rows, replay_rows, growth_rows):
    """One line per target of issue #10, naming the rows that miss it."""
    def misses(rows, target):
        return [name for name, cells in rows if not (isinstance(cells["Stratus"], dict) and isinstance(cells["moto"], dict)
                                                     and cells["Stratus"]["rate"] >= target * cells["moto"]["rate"])]

    def line(label, missed, of):
        return f"- {label}: " + ("met on every row." if not missed else f"missed or n/a on {len(missed)} of {of}: {'; '.join(missed)}.")

    return "\n".join([
        "Targets of issue #10:",
        "",
        line("replayed, Stratus at least 20x moto's throughput", misses(replay_rows, 20), len(replay_rows)),
        line("through boto3, at least 2x", misses(boto_rows, 2), len(boto_rows)),
        f"- get_rest_apis flat from {growth_rows[1][0]} to {growth_rows[-1][0]} APIs: "
        + ", ".join(f"{s} {'yes' if is_flat(growth_rows, s) else 'no'}" for s in ("Stratus", "moto")) + ".",
    ]) + "\n"


BEGIN, END = "<!-- bench/run: begin -->", "<!-- bench/run: end -->"


def write_section(path, body):
    """Replaces bench/run's own section of the performance page, leaving the other benchmarks' sections."""
    text = open(path).read() if os.path.exists(path) else "# Performance\n"
    section = f"{BEGIN}\n{body}\n{END}"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        head, _, rest = text.partition("\n")
        text = f"{head}\n\n{section}\n{rest}"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run for smoke tests (numbers are rough)")
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "performance.md"), help="where to write the table")
    args = parser.parse_args()
    rounds, calls, seconds = (2, 40, 1) if args.quick else (5, 300, 3)
    # Thirteen replayed operations at two connection counts, on two servers: one round each keeps --quick short,
    # three keep the full run within about half an hour.
    replay_rounds = 1 if args.quick else 3

    started = time.time()
    stratus, moto = start_stratus(), start_moto()
    try:
        idle_rss = stratus.rss_mb()
        subjects = [Subject(stratus), Subject(moto)]
        print("control plane through boto3", file=sys.stderr)
        boto_rows = bench_boto3(subjects, rounds, calls)
        print("control plane, replayed signed requests (wrk)", file=sys.stderr)
        replay_rows = bench_replay(subjects, replay_rounds, seconds)
        print("get_rest_apis as REST APIs pile up", file=sys.stderr)
        growth_rows = bench_growth(subjects, GROWTH_COUNTS, rounds, calls // 2, seconds)
        busy_rss = stratus.rss_mb()
    finally:
        stratus.stop()
        moto.stop()

    # The data plane, after the control plane and in the same section; imported here as it imports this module.
    import dataplane
    data_plane = dataplane.run(args.quick)

    command = "bench/run" + (" --quick" if args.quick else "")
    report = [
        "## Control plane: Stratus vs moto (`bench/run`)",
        "",
        f"Generated by `{command}` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"in {time.time() - started:.0f} s. Machine: {machine()}.",
        "",
        "Each comparison runs its subjects alternately in the same run (A, B, A, B, ...), so drift of the "
        "machine affects both; figures are medians over rounds with the min-max spread. The load generator "
        "shares the machine's cores with the servers.",
        "",
    ]
    report += [verdict(boto_rows, replay_rows, growth_rows),
               table("Through boto3", boto_rows, "Stratus", "moto", "ops/s",
                     "The same boto3 calls against each server, one Python process; boto3 itself costs about a millisecond per call, "
                     "which caps both sides. The API Gateway sequence counts iterations of its five calls.", 2),
               table("Replayed signed requests (wrk)", replay_rows, "Stratus", "moto", "req/s",
                     "One request captured from boto3 per operation, replayed by wrk at 1 and 16 connections: the servers themselves. "
                     "Of API Gateway only the reads are replayed: a replayed create would not be the same request twice.", 20),
               growth_table(growth_rows, ("Stratus", "moto")),
               f"Stratus resident memory: {idle_rss:.0f} MB idle, {busy_rss:.0f} MB after the control-plane runs.",
               ""]
    report += data_plane
    write_section(args.output, "\n".join(report))
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
