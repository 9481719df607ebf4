"""What every benchmark shares: servers on free loopback ports, subjects alternated round by round, medians
with their spread, wrk replaying one request, the comparison tables and bench/run's section of
docs/performance.md. It imports no other benchmark module.
"""
import argparse
import datetime
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRATUS_DLL = os.environ.get("STRATUS_DLL") or os.path.join(ROOT, "src", "Stratus", "bin", "Release", "net10.0", "stratus.dll")
REGION = "us-east-1"
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


# ---- processes ----

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


def start_server(name, argv_for_port: Callable[[int], list[str]]) -> Server:
    port = free_port()
    return Server(name, argv_for_port(port), port)


def start_stratus(name="Stratus", options=(), data_dir=None, **variables) -> Server:
    """Stratus with an ephemeral state (or its state in `data_dir`, where it syncs what it acknowledges) and `stratus
    start`'s further `options` (`--auth enforce`). env(1) sets the variables and execs, so the process is still
    Stratus's own (its RSS, its children)."""
    # The benches measure what Stratus can serve, which is above API Gateway's default account throttle (10,000 requests per
    # second, a quota AWS raises on request): raised here as a user raises it, unless a bench sets its own.
    variables = {"STRATUS_APIGATEWAY_ACCOUNT_RATE": 10_000_000, "STRATUS_APIGATEWAY_ACCOUNT_BURST": 10_000_000, **variables}
    assignments = [f"{key}={value}" for key, value in variables.items()]
    # The accounts zip is deployed through the stratus-local convention, which only reads under the local code root.
    return start_server(name, lambda port: ["env", *assignments, "dotnet", STRATUS_DLL, "start",
                                            *(["--data-dir", data_dir] if data_dir else ["--ephemeral"]), "--port", str(port),
                                            "--local-code-root", ROOT, *options])


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


TEST_CREDENTIALS = ("test", "test")


def client(server, service, region=REGION, credentials=TEST_CREDENTIALS):
    """A boto3 client of the server that never retries (a retry would hide a refusal and skew a time);
    `credentials` (key id, secret) for a server that checks signatures."""
    key, secret = credentials
    return boto3.client(service, endpoint_url=server.url, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))


# ---- figures ----

@dataclass(frozen=True)
class WrkRun:
    """One wrk run: requests per second and latency percentiles in ms."""
    rate: float
    p50: float
    p99: float


@dataclass(frozen=True)
class Summary:
    """One subject's figure in a comparison: the median rate over the rounds with its min-max spread, and the
    latency percentiles in ms."""
    rate: float
    low: float
    high: float
    p50: float
    p99: float

    @classmethod
    def of_calls(cls, rates: list[float], latencies: list[float]) -> "Summary":
        """From an in-process client's rounds: percentiles over every call's latency."""
        return cls(statistics.median(rates), min(rates), max(rates), percentile(latencies, 50), percentile(latencies, 99))

    @classmethod
    def of_runs(cls, runs: list[WrkRun]) -> "Summary":
        """From a load generator's rounds: the median of each round's percentiles."""
        rates = [run.rate for run in runs]
        return cls(statistics.median(rates), min(rates), max(rates),
                   statistics.median(run.p50 for run in runs), statistics.median(run.p99 for run in runs))


@dataclass(frozen=True)
class Refusal:
    """A subject that refused a workload or its fixture: its cell reads n/a, and the reason goes below the table."""
    reason: str

    @classmethod
    def of(cls, error: BaseException) -> "Refusal":
        return cls(f"{type(error).__name__}: {str(error).splitlines()[0][:160]}" if str(error) else type(error).__name__)


Cell = Summary | Refusal


@dataclass(frozen=True)
class Row:
    """One row of a comparison table: its workload and each subject's cell, by subject name."""
    name: str
    cells: dict[str, Cell]


def timed(action):
    """Seconds one call takes, and its answer."""
    started = time.perf_counter()
    answer = action()
    return time.perf_counter() - started, answer


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# ---- rounds ----

T = TypeVar("T")


def alternate(measures: dict[str, Callable[[], T]], rounds) -> dict[str, list[T]]:
    """Each subject's measure called once per round, subjects alternating (A, B, A, B, ...) so that drift of the
    machine hits them alike; each subject's values in round order."""
    values = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            values[name].append(measure())
    return values


def time_calls(calls_by_subject: dict[str, Callable[[], object]], rounds, calls) -> dict[str, Summary]:
    """Each subject's call `calls` times per round, subjects alternating round by round."""
    def round_of(call):
        def measure():
            latencies = []
            started = time.perf_counter()
            for _ in range(calls):
                t = time.perf_counter()
                call()
                latencies.append((time.perf_counter() - t) * 1000)
            return calls / (time.perf_counter() - started), latencies
        return measure

    rounds_by_subject = alternate({name: round_of(call) for name, call in calls_by_subject.items()}, rounds)
    return {name: Summary.of_calls([rate for rate, _ in measured], [ms for _, latencies in measured for ms in latencies])
            for name, measured in rounds_by_subject.items()}


# ---- wrk ----

@dataclass(frozen=True)
class WrkTarget:
    """A URL and the wrk script that sends its request."""
    url: str
    script: str


@dataclass(frozen=True)
class CapturedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def write_wrk_script(path, method, body, headers):
    def quote(value):
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = [f"wrk.method = {quote(method)}", f"wrk.body = {quote(body)}"]
    for key, value in headers.items():
        if key.lower() not in ("content-length", "host"):
            lines.append(f"wrk.headers[{quote(key)}] = {quote(value)}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def capture_request(server, service, operation, region=REGION, credentials=TEST_CREDENTIALS, **params) -> CapturedRequest:
    """The exact HTTP request boto3 sends for one call, signed with `credentials`, to replay it at full speed."""
    captured = []
    c = client(server, service, region, credentials)

    def before_send(request, **_):
        captured.append(CapturedRequest(request.method, request.url, dict(request.headers), request.body or b""))

    c.meta.events.register("before-send", before_send)
    getattr(c, operation)(**params)
    return captured[-1]


def replay_target(server, path, service, operation, region=REGION, credentials=TEST_CREDENTIALS, **params) -> WrkTarget:
    """Captures one call's request into a wrk script at `path`."""
    request = capture_request(server, service, operation, region, credentials, **params)
    write_wrk_script(path, request.method, request.body, request.headers)
    return WrkTarget(request.url, path)


def run_wrk(target: WrkTarget, connections, seconds) -> WrkRun:
    out = subprocess.run(["wrk", "-t", "1" if connections == 1 else "2", "-c", str(connections), "-d", f"{seconds}s",
                          "--latency", "-s", target.script, target.url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(label):
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses from {target.url}")
    return WrkRun(rate, latency("50%"), latency("99%"))


# ---- report ----

def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}"


def table(title, rows: list[Row], subject, reference, unit, note, target=None):
    """A comparison table; `target`, when given, is the ratio over the reference that issue #10 asks of the subject."""
    target_head, target_rule = (f" target {target}x met? |", " --- |") if target else ("", "")
    lines = [f"### {title}", "", note, "",
             f"| workload | {subject} {unit} (median, spread) | {reference} {unit} | ratio |{target_head} "
             f"{subject} p50 / p99 ms | {reference} p50 / p99 ms |",
             f"| --- | --- | --- | --- |{target_rule} --- | --- |"]
    refusals = []
    for row in rows:
        a, b = row.cells[subject], row.cells[reference]
        for who, cell in ((subject, a), (reference, b)):
            if isinstance(cell, Refusal):
                refusals.append(f"- {row.name}: {who} n/a, {cell.reason}")
        ratio = a.rate / b.rate if isinstance(a, Summary) and isinstance(b, Summary) else None
        met = f" {'n/a' if ratio is None else 'yes' if ratio >= target else 'no'} |" if target else ""
        lines.append(f"| {row.name} | {rate_cell(a)} | {rate_cell(b)} | {'n/a' if ratio is None else f'{ratio:.1f}x'} |{met} "
                     f"{latency_cell(a)} | {latency_cell(b)} |")
    return "\n".join(lines + ([""] + refusals if refusals else [])) + "\n"


def rate_cell(cell: Cell):
    return f"{cell.rate:.0f} ({cell.low:.0f}-{cell.high:.0f})" if isinstance(cell, Summary) else "n/a"


def latency_cell(cell: Cell):
    return f"{cell.p50:.2f} / {cell.p99:.2f}" if isinstance(cell, Summary) else "n/a"


def spread(values, digits=0):
    """A median with its min-max spread, as the tables print it."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


BEGIN, END = "<!-- bench/run: begin -->", "<!-- bench/run: end -->"


def write_section(path, body, markers=(BEGIN, END)):
    """Replaces one benchmark's own section of the performance page (bench/run's by default), leaving the others."""
    begin, end = markers
    text = open(path).read() if os.path.exists(path) else "# Performance\n"
    section = f"{begin}\n{body}\n{end}"
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        head, _, rest = text.partition("\n")
        text = f"{head}\n\n{section}\n{rest}"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def section_main(script, doc, section, run, quick_help):
    """A benchmark run alone (`python3 bench/SCRIPT.py [--quick] [--output FILE]`): `run(quick)` gives its section's
    lines, a title and then the body; the section is written under the title with the command, the date, the time the
    run took and the machine, to docs/performance.md unless --output says where."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "performance.md"), help="where to write the section")
    args = parser.parse_args()
    started, load_before = time.time(), os.getloadavg()[0]
    lines = run(args.quick)
    command = f"python3 bench/{script}" + (" --quick" if args.quick else "")
    header = [f"Generated by `{command}` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, in "
              f"{time.time() - started:.0f} s. Machine: {machine()}; load average before: {load_before:.1f}.", ""]
    write_section(args.output, "\n".join(lines[:2] + header + lines[2:]), section)
    print(f"wrote {args.output}", file=sys.stderr)
