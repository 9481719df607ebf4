#!/usr/bin/env python3
"""Stratus benchmarks, each measured side by side with its reference in one run.

Every comparison alternates its subjects round by round (A, B, A, B, ...) so that drift of the machine
hits both alike; each figure is the median over rounds with the min-max spread. Results are written
to docs/performance.md together with the machine and the command that produced them.
"""
import argparse
import datetime
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

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRATUS_DLL = os.environ.get("STRATUS_DLL") or os.path.join(ROOT, "src", "Stratus", "bin", "Release", "net10.0", "stratus.dll")
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


def client(server, service):
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))


def client_cache(server):
    """One boto3 client per service for a server, made on first use: creating clients costs milliseconds."""
    clients = {}

    def get(service):
        if service not in clients:
            clients[service] = client(server, service)
        return clients[service]

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


# ---- control plane through boto3 ----

def control_plane_workloads():
    """(name, setup, call): the same boto3 operation against each server."""
    def get_role_setup(c):
        c("iam").create_role(RoleName="bench-role", AssumeRolePolicyDocument=TRUST)

    def list_roles_setup(c):
        iam = c("iam")
        for i in range(300):
            iam.create_role(RoleName=f"bench-many-{i:03}", AssumeRolePolicyDocument=TRUST)

    return [
        ("iam.get_role", get_role_setup, lambda c: c("iam").get_role(RoleName="bench-role")),
        ("sts.get_caller_identity", None, lambda c: c("sts").get_caller_identity()),
        ("iam.list_roles (300 roles)", list_roles_setup, lambda c: c("iam").list_roles(MaxItems=100)),
    ]


def bench_boto3(subjects, rounds, calls):
    rows = []
    for name, setup, call in control_plane_workloads():
        figures = {}
        bound = {}
        for server in subjects:
            factory = client_cache(server)
            if setup:
                setup(factory)
            call(factory)
            bound[server.name] = factory
            figures[server.name] = Figure()
        for _ in range(rounds):
            for server in subjects:
                figure, factory = figures[server.name], bound[server.name]
                started = time.perf_counter()
                for _ in range(calls):
                    t = time.perf_counter()
                    call(factory)
                    figure.latencies.append((time.perf_counter() - t) * 1000)
                figure.rates.append(calls / (time.perf_counter() - started))
        rows.append((name, {k: v.summary() for k, v in figures.items()}))
        print(f"  boto3 {name}: " + ", ".join(f"{k} {v.summary()['rate']:.0f} ops/s" for k, v in figures.items()), file=sys.stderr)
    return rows


# ---- the same signed requests replayed with wrk ----

def capture_request(server, service, operation, **params):
    """The exact HTTP request boto3 sends for one call, to replay it at full speed."""
    captured = {}
    c = client(server, service)

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
    operations = [
        ("iam.get_role", "iam", "get_role", {"RoleName": "bench-role"}),
        ("sts.get_caller_identity", "sts", "get_caller_identity", {}),
    ]
    rows = []
    workdir = tempfile.mkdtemp(prefix="stratus-bench-")
    try:
        for name, service, operation, params in operations:
            for connections in (1, 16):
                figures, scripts = {}, {}
                for server in subjects:
                    request = capture_request(server, service, operation, **params)
                    scripts[server.name] = (server.url + request["url"].split(server.url, 1)[1],
                                            os.path.join(workdir, f"{server.name}-{operation}.lua"))
                    lua_script(request, scripts[server.name][1])
                    figures[server.name] = Figure()
                for _ in range(rounds):
                    for server in subjects:
                        rate, p50, p99 = run_wrk(*scripts[server.name], connections, seconds)
                        figure = figures[server.name]
                        figure.rates.append(rate)
                        figure.p50s.append(p50)
                        figure.p99s.append(p99)
                summaries = {name: figure.summary() for name, figure in figures.items()}
                rows.append((f"{name}, {connections} conn", summaries))
                print(f"  replay {name} c={connections}: " + ", ".join(f"{k} {v['rate']:.0f} req/s" for k, v in summaries.items()), file=sys.stderr)
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


def table(title, rows, subject, reference, unit, note):
    lines = [f"### {title}", "", note, "",
             f"| workload | {subject} {unit} (median, spread) | {reference} {unit} | ratio | {subject} p50 / p99 ms | {reference} p50 / p99 ms |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, figures in rows:
        a, b = figures[subject], figures[reference]
        lines.append(f"| {name} | {a['rate']:.0f} ({a['spread'][0]:.0f}-{a['spread'][1]:.0f}) | {b['rate']:.0f} ({b['spread'][0]:.0f}-{b['spread'][1]:.0f}) "
                     f"| {a['rate'] / b['rate']:.1f}x | {a['p50']:.2f} / {a['p99']:.2f} | {b['p50']:.2f} / {b['p99']:.2f} |")
    return "\n".join(lines) + "\n"


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
    rounds, calls, seconds = (2, 40, 2) if args.quick else (5, 300, 5)

    started = time.time()
    stratus, moto = start_stratus(), start_moto()
    try:
        idle_rss = stratus.rss_mb()
        subjects = [stratus, moto]
        print("control plane through boto3", file=sys.stderr)
        boto_rows = bench_boto3(subjects, rounds, calls)
        print("control plane, replayed signed requests (wrk)", file=sys.stderr)
        replay_rows = bench_replay(subjects, rounds, seconds)
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
    replay = dict(replay_rows)
    for name in ("iam.get_role, 16 conn", "sts.get_caller_identity, 16 conn"):
        if name in replay:
            r = replay[name]
            report.append(f"- {name}: Stratus {r['Stratus']['rate']:.0f} req/s vs moto {r['moto']['rate']:.0f} req/s "
                          f"({r['Stratus']['rate'] / r['moto']['rate']:.0f}x).")
    report += ["",
               table("Through boto3", boto_rows, "Stratus", "moto", "ops/s",
                     "The same boto3 calls against each server, one Python process; boto3 itself costs about a millisecond per call, "
                     "which caps both sides."),
               table("Replayed signed requests (wrk)", replay_rows, "Stratus", "moto", "req/s",
                     "One request captured from boto3 per operation, replayed by wrk at 1 and 16 connections: the servers themselves."),
               f"Stratus resident memory: {idle_rss:.0f} MB idle, {busy_rss:.0f} MB after the control-plane runs.",
               ""]
    report += data_plane
    write_section(args.output, "\n".join(report))
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
