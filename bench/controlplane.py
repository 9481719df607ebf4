"""The control plane, Stratus against moto in one run: boto3 calls, the same signed requests replayed by wrk, and
get_rest_apis as REST APIs pile up. bench.py's main() calls run() first.
"""
import datetime
import functools
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from harness import (REGION, TEST_CREDENTIALS, TRUST, Refusal, Row, Server, Summary, WrkTarget, client, replay_target, run_wrk, start_server,
                     start_stratus, table, time_calls)

# A server that refuses an operation or a fixture gets "n/a" and the reason in its cell instead of a figure.
REFUSALS = (BotoCoreError, ClientError, RuntimeError, subprocess.CalledProcessError)


@dataclass(frozen=True)
class Rounds:
    boto3: int       # alternations of each boto3 comparison
    calls: int       # calls per subject and round through boto3
    replay: int      # alternations of each replayed request
    seconds: int     # length of one wrk run


# Thirteen replayed operations at two connection counts, on two servers: one round each keeps --quick short,
# three keep the full run within about half an hour.
QUICK = Rounds(boto3=2, calls=40, replay=1, seconds=1)
FULL = Rounds(boto3=5, calls=300, replay=3, seconds=3)


def start_moto():
    return start_server("moto", lambda port: ["moto_server", "-H", "127.0.0.1", "-p", str(port)])


def client_cache(server):
    """One boto3 client per service and region for a server, made on first use: creating clients costs milliseconds."""
    clients = {}

    def get(service, region=REGION):
        if (service, region) not in clients:
            clients[service, region] = client(server, service, region)
        return clients[service, region]

    return get


# ---- what the workloads work on ----

class Subject:
    """A server under test, with its boto3 clients and the fixtures made on it. Each fixture is made once per
    server and its outcome kept, refusal included, so that the boto3 and the replayed rows share it."""

    def __init__(self, server: Server):
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


def bench_user_and_role(c):
    """A role to read and an IAM user's key to sign with."""
    iam = c("iam")
    iam.create_role(RoleName="bench-user-role", AssumeRolePolicyDocument=TRUST)
    iam.create_user(UserName="bench-user")
    key = iam.create_access_key(UserName="bench-user")["AccessKey"]
    return "bench-user-role", (key["AccessKeyId"], key["SecretAccessKey"])


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

@dataclass(frozen=True)
class Workload:
    """One row: a boto3 operation on what `fixture` made (its per-server value goes through `params`), or a
    `sequence` of `calls` calls counted as one iteration. `replay` says whether wrk replays its signed request."""
    name: str
    service: str | None = None
    operation: str | None = None
    params: Callable[[object], dict] = lambda _: {}
    fixture: Callable | None = None
    replay: bool = True
    sequence: Callable | None = None
    calls: int = 1
    # The replayed request's signer, from what `fixture` made: an IAM user's key rather than the default unknown key.
    signer: Callable[[object], tuple[str, str]] | None = None

    def params_on(self, subject):
        return self.params(subject.make(self.fixture) if self.fixture else None)

    def credentials_on(self, subject):
        return self.signer(subject.make(self.fixture)) if self.signer else TEST_CREDENTIALS

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


def workloads():
    return [
        Workload("iam.get_role", "iam", "get_role", lambda role: {"RoleName": role}, bench_role),
        Workload("sts.get_caller_identity", "sts", "get_caller_identity"),
        # Signed by an IAM user: the request IAM's service last accessed data records.
        Workload("iam.get_role (signed by an IAM user)", "iam", "get_role", lambda made: {"RoleName": made[0]}, bench_user_and_role,
                 signer=lambda made: made[1]),
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


def log_row(kind, row: Row, unit):
    print(f"  {kind} {row.name}: " + ", ".join(f"{k} {v.rate:.0f} {unit}" if isinstance(v, Summary) else f"{k} n/a ({v.reason})"
                                             for k, v in row.cells.items()), file=sys.stderr)


# ---- through boto3 ----

def bound_calls(workload, subjects):
    """Each subject's bound call, or the reason it refused the workload (its cell in the table)."""
    calls, refused = {}, {}
    for subject in subjects:
        try:
            calls[subject.name] = workload.bind(subject)
        except REFUSALS as error:
            refused[subject.name] = Refusal.of(error)
    return calls, refused


def bench_boto3(subjects, rounds, calls) -> list[Row]:
    rows = []
    for workload in workloads():
        bound, refused = bound_calls(workload, subjects)
        # A sequence of several calls runs proportionally fewer times, so that every row takes about as long.
        rows.append(Row(workload.name, {**time_calls(bound, rounds, max(1, calls // workload.calls)), **refused}))
        log_row("boto3", rows[-1], "ops/s")
    return rows


# ---- the same signed requests replayed with wrk ----

def bench_replay(subjects, rounds, seconds) -> list[Row]:
    rows = []
    workdir = tempfile.mkdtemp(prefix="stratus-bench-")
    try:
        for index, workload in enumerate(w for w in workloads() if w.replay):
            # One request captured per server: ids (and the account) differ between the servers.
            targets: dict[str, WrkTarget] = {}
            refused: dict[str, Refusal] = {}
            for subject in subjects:
                try:
                    targets[subject.name] = replay_target(subject.server, os.path.join(workdir, f"{subject.name}-{index}.lua"),
                                                          workload.service, workload.operation,
                                                          credentials=workload.credentials_on(subject), **workload.params_on(subject))
                except REFUSALS as error:
                    refused[subject.name] = Refusal.of(error)
            for connections in (1, 16):
                # Alternated round by round as harness.alternate does, except that a server refusing a run drops out
                # (at both connection counts) with its reason as its cell.
                runs = {name: [] for name in targets}
                for _ in range(rounds):
                    for name, target in list(targets.items()):
                        try:
                            runs[name].append(run_wrk(target, connections, seconds))
                        except REFUSALS as error:
                            refused[name] = Refusal.of(error)
                            del targets[name], runs[name]
                rows.append(Row(f"{workload.name}, {connections} conn",
                                {**{name: Summary.of_runs(measured) for name, measured in runs.items()}, **refused}))
                log_row("replay", rows[-1], "req/s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


# ---- a list as its resources pile up ----

GROWTH_REGION = "eu-west-1"
GROWTH_COUNTS = (0, 100, 200, 300)


@dataclass(frozen=True)
class GrowthCell:
    """get_rest_apis on one server: the p50 through boto3, the p50 of the replayed request at one connection (the
    server alone, without boto3 parsing the page), both in ms, and how many APIs the first page returned."""
    boto3_p50: float
    replay_p50: float
    items: int


@dataclass(frozen=True)
class GrowthRow:
    apis: int
    cells: dict[str, GrowthCell]


def bench_growth(subjects, counts, rounds, calls, seconds) -> list[GrowthRow]:
    """get_rest_apis as REST APIs pile up, in a region of its own so that the count is exact."""
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
                target = replay_target(subject.server, os.path.join(workdir, f"{subject.name}-growth.lua"),
                                       "apigateway", "get_rest_apis", GROWTH_REGION)
                cells[subject.name] = GrowthCell(summaries[subject.name].p50, run_wrk(target, 1, seconds).p50, page[subject.name])
            rows.append(GrowthRow(count, cells))
            print(f"  get_rest_apis with {count} APIs: " + ", ".join(
                f"{k} p50 {v.boto3_p50:.2f} ms (boto3), {v.replay_p50:.2f} ms (replayed)" for k, v in cells.items()), file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


# ---- the benchmark ----

@dataclass(frozen=True)
class Results:
    boto3_rows: list[Row]
    replay_rows: list[Row]
    growth_rows: list[GrowthRow]
    idle_rss: float      # MB, Stratus before the first workload
    busy_rss: float      # MB, Stratus after the last


def run(quick) -> Results:
    rounds = QUICK if quick else FULL
    stratus, moto = start_stratus(), start_moto()
    try:
        idle_rss = stratus.rss_mb()
        subjects = [Subject(stratus), Subject(moto)]
        print("control plane through boto3", file=sys.stderr)
        boto3_rows = bench_boto3(subjects, rounds.boto3, rounds.calls)
        print("control plane, replayed signed requests (wrk)", file=sys.stderr)
        replay_rows = bench_replay(subjects, rounds.replay, rounds.seconds)
        print("get_rest_apis as REST APIs pile up", file=sys.stderr)
        growth_rows = bench_growth(subjects, GROWTH_COUNTS, rounds.boto3, rounds.calls // 2, rounds.seconds)
        return Results(boto3_rows, replay_rows, growth_rows, idle_rss, stratus.rss_mb())
    finally:
        stratus.stop()
        moto.stop()


# ---- report ----

# A list is flat when its replayed p50 with the most APIs is within this factor of its p50 with the first count
# past AWS's page of 25: below that the page itself grows, which is more to send, not a slower list.
FLAT = 1.5


def growth_table(rows: list[GrowthRow], subjects):
    lines = ["### apigateway.get_rest_apis as REST APIs pile up", "",
             "p50 latency in ms through boto3 and replayed by wrk at one connection (the server alone), and how many "
             f"APIs the first page returned: AWS pages by 25 unless asked for more. Flat: the replayed p50 with {rows[-1].apis} "
             f"APIs within {FLAT}x of that with {rows[1].apis}.", "",
             "| REST APIs | " + " | ".join(f"{s} p50 boto3 / replayed (items)" for s in subjects) + " |",
             "| --- |" + " --- |" * len(subjects)]
    for row in rows:
        lines.append(f"| {row.apis} | " + " | ".join(
            f"{row.cells[s].boto3_p50:.2f} / {row.cells[s].replay_p50:.2f} ({row.cells[s].items})" for s in subjects) + " |")
    lines.append("| flat? | " + " | ".join("yes" if is_flat(rows, s) else "no" for s in subjects) + " |")
    return "\n".join(lines) + "\n"


def is_flat(rows: list[GrowthRow], subject):
    return rows[-1].cells[subject].replay_p50 <= FLAT * rows[1].cells[subject].replay_p50


def verdict(results: Results):
    """One line per target of issue #10, naming the rows that miss it."""
    def meets(row, target):
        stratus, moto = row.cells["Stratus"], row.cells["moto"]
        return isinstance(stratus, Summary) and isinstance(moto, Summary) and stratus.rate >= target * moto.rate

    def misses(rows, target):
        return [row.name for row in rows if not meets(row, target)]

    def line(label, missed, of):
        return f"- {label}: " + ("met on every row." if not missed else f"missed or n/a on {len(missed)} of {of}: {'; '.join(missed)}.")

    growth = results.growth_rows
    return "\n".join([
        "Targets of issue #10:",
        "",
        line("replayed, Stratus at least 20x moto's throughput", misses(results.replay_rows, 20), len(results.replay_rows)),
        line("through boto3, at least 2x", misses(results.boto3_rows, 2), len(results.boto3_rows)),
        f"- get_rest_apis flat from {growth[1].apis} to {growth[-1].apis} APIs: "
        + ", ".join(f"{s} {'yes' if is_flat(growth, s) else 'no'}" for s in ("Stratus", "moto")) + ".",
    ]) + "\n"


def report(results: Results):
    """The control plane's part of the section, after its heading and the run's line."""
    return [verdict(results),
            table("Through boto3", results.boto3_rows, "Stratus", "moto", "ops/s",
                  "The same boto3 calls against each server, one Python process; boto3 itself costs about a millisecond per call, "
                  "which caps both sides. The API Gateway sequence counts iterations of its five calls.", 2),
            table("Replayed signed requests (wrk)", results.replay_rows, "Stratus", "moto", "req/s",
                  "One request captured from boto3 per operation, replayed by wrk at 1 and 16 connections: the servers themselves. "
                  "Of API Gateway only the reads are replayed: a replayed create would not be the same request twice.", 20),
            growth_table(results.growth_rows, ("Stratus", "moto")),
            f"Stratus resident memory: {results.idle_rss:.0f} MB idle, {results.busy_rss:.0f} MB after the control-plane runs.",
            ""]
