"""What answering only once data is durable costs (issue #15), with wrk replaying one captured request per operation at
1 and 16 connections, subjects alternated round by round (the machine's drift hits them alike), beside the data dir's
own fdatasync rate. Two ways:

    python3 bench/durable_puts.py BEFORE.dll AFTER.dll [--rounds N] [--seconds S]
    python3 bench/durable_puts.py BEFORE.dll AFTER.dll --after-logs 600000
    python3 bench/durable_puts.py BEFORE.dll AFTER.dll --all [--ephemeral] [--rounds N] [--seconds S]
    python3 bench/durable_puts.py --cost STRATUS.dll [--rounds N] [--seconds S]
    python3 bench/durable_puts.py --cost BEFORE.dll AFTER.dll [--rounds N] [--seconds S]

The first compares two builds, both with a data dir, on PutMetricData and PutLogEvents; with --after-logs, on the
control-plane writes (PutParameter, UpdateFunctionConfiguration) once each build has stored that many log events, where
the state file holds megabytes of Logs chunks beside the small documents those calls rewrite; with --all, on every
operation --cost replays (the journal's and the state file's writes), and with --ephemeral too both builds run
ephemeral (for a change that must not slow the calls that wait for no disk, such as a thread-pool setting). With --cost
it runs one build twice: ephemeral (no state file, nothing synced) beside a data dir (every answer waits for its group
commit), on the control plane (PutParameter, UpdateFunctionConfiguration; CreateFunction timed through boto3 with a new
name each call), PutMetricData, PutLogEvents batches of 1 and 100 events, and asynchronous Invoke (InvocationType Event,
answered once the event is queued durably; through boto3 at one connection); given two builds, it runs AFTER ephemeral
beside both builds with a data dir, so a change's before/after and its distance from ephemeral come from one run. Each wrk
cell also gives the server's own CPU per request (median over the rounds), which other work on a shared machine
disturbs far less than the rates, its context switches per request, and (with perf) its requests per fdatasync and
sched_yields per request. bench/run runs Stratus ephemeral, where these calls wait for nothing.
"""
import argparse
import io
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import zipfile

from harness import REGION, TRUST, Server, Summary, alternate, client, free_port, replay_target, run_wrk, spread, time_calls
from images import cpu_seconds

METRIC_DATA = [{"MetricName": "Written", "Value": 1.0, "Unit": "Count", "Dimensions": [{"Name": "Bench", "Value": "put"}]}]


def fdatasync_rate(directory, seconds=3):
    """Appends of a 200-byte record, each followed by fdatasync, per second: the most durable commits one writer gets."""
    path = os.path.join(directory, "fdatasync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            os.write(fd, b"x" * 200)
            os.fdatasync(fd)
            count += 1
        return count / (time.perf_counter() - started)
    finally:
        os.close(fd)
        os.unlink(path)


def start(name, dll, data_dir):
    """A build with its state in data_dir, or ephemeral (nothing kept, nothing synced) without one."""
    state = ["--data-dir", data_dir] if data_dir else ["--ephemeral"]
    return Server(name, ["dotnet", dll, "start", *state, "--port", str(port := free_port())], port)


def log_events(count):
    now = int(time.time() * 1000)
    return [{"timestamp": now, "message": "bench event " + "x" * 100} for _ in range(count)]


def targets(server, workdir):
    logs = client(server, "logs")
    logs.create_log_group(logGroupName="bench")
    logs.create_log_stream(logGroupName="bench", logStreamName="put")
    return {
        "cloudwatch.put_metric_data": replay_target(server, os.path.join(workdir, f"{server.name}-metrics.lua"), "cloudwatch",
                                                    "put_metric_data", Namespace="Bench", MetricData=METRIC_DATA),
        "logs.put_log_events": replay_target(server, os.path.join(workdir, f"{server.name}-logs.lua"), "logs", "put_log_events",
                                             logGroupName="bench", logStreamName="put", logEvents=log_events(1)),
    }


def function_zip():
    code = io.BytesIO()
    # Readable by all, as Lambda requires: writestr's default mode (0600) leaves the file to its owner, and the
    # function, run as another user (on AWS and in Stratus), fails with Permission denied.
    entry = zipfile.ZipInfo("index.py")
    entry.external_attr = 0o644 << 16
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr(entry, "def handler(event, context):\n    return event\n")
    return code.getvalue()


def cost_targets(server, workdir):
    """The --cost operations on top of targets(): each replayed request changes stored state, so each answer waits for a sync."""
    path = lambda name: os.path.join(workdir, f"{server.name}-{name}.lua")
    role = client(server, "iam").create_role(RoleName="bench-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    # Two functions: invoking one that the configuration updates keep changing would measure its updates instead.
    for name in ("bench", "bench-invoked"):
        client(server, "lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                                                 Code={"ZipFile": function_zip()})
    client(server, "ssm").put_parameter(Name="/bench/value", Value="v", Type="String")
    return {
        **targets(server, workdir),
        "logs.put_log_events, 100 events": replay_target(server, path("logs100"), "logs", "put_log_events",
                                                         logGroupName="bench", logStreamName="put", logEvents=log_events(100)),
        "ssm.put_parameter (overwrite)": replay_target(server, path("ssm"), "ssm", "put_parameter",
                                                      Name="/bench/value", Value="v", Type="String", Overwrite=True),
        "lambda.update_function_configuration": replay_target(server, path("config"), "lambda", "update_function_configuration",
                                                              FunctionName="bench", Description="bench"),
    }


def create_functions(server, role):
    """A CreateFunction with a new name per call, for time_calls (a replay would only meet ResourceConflictException)."""
    lam, code, names = client(server, "lambda"), function_zip(), iter(range(1_000_000))
    return lambda: lam.create_function(FunctionName=f"created-{next(names)}", Runtime="python3.12", Role=role,
                                       Handler="index.handler", Code={"ZipFile": code})


def invoke_event(server):
    """An asynchronous invoke of the function no configuration update touches: answered 202 once the event is queued."""
    lam = client(server, "lambda")
    return lambda: lam.invoke(FunctionName="bench-invoked", InvocationType="Event", Payload=b"{}")


CONTROL_PLANE_WRITES = ("ssm.put_parameter (overwrite)", "lambda.update_function_configuration")


def store_log_events(name, target, events):
    """PutLogEvents of 100 events at 16 connections until about <events> are stored (answered, so durable)."""
    stored, started = 0, time.perf_counter()
    while stored < events:
        stored += int(run_wrk(target, 16, 3).rate * 3 * 100)
    print(f"{name}: about {stored:,} log events stored in {time.perf_counter() - started:.0f} s", flush=True)


def context_switches(pid):
    """The server's context switches so far, voluntary and not, per live thread (/proc/PID/task): each is a thread put
    to sleep or preempted, the cost a group commit's hand-offs add to a call."""
    counts = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as status:
                counts[task] = sum(int(line.split()[1]) for line in status if "ctxt_switches:" in line)
        except FileNotFoundError:
            pass  # a thread that ended between the listing and the read
    return counts


class SyscallCount:
    """The server's fdatasync and sched_yield calls during a run, from `perf stat -p` on its syscall tracepoints: requests
    per fdatasync is how many calls a group commit's flush served, and the yields are idle thread-pool workers spinning
    for work. perf attaches to the threads alive when it starts (threads the pool adds during the run are not counted:
    the yields are a floor, the requests per flush a ceiling); without perf (or its permission) both read None."""
    EVENTS = ("syscalls:sys_enter_fdatasync", "syscalls:sys_enter_sched_yield")

    def __init__(self, pid):
        try:
            self.perf = subprocess.Popen(["perf", "stat", "-x", ",", "-e", ",".join(self.EVENTS), "-p", str(pid)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(0.2)  # perf attaches before the run it counts
        except FileNotFoundError:
            self.perf = None

    def stop(self):
        """(fdatasyncs, sched_yields) since the start, or (None, None)."""
        if self.perf is None:
            return None, None
        self.perf.send_signal(signal.SIGINT)
        _, err = self.perf.communicate()
        counts = {}
        for line in err.splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[2] in self.EVENTS and fields[0].isdigit():
                counts[fields[2]] = int(fields[0])
        return tuple(counts.get(event) for event in self.EVENTS)


def run_with_cpu(server, target, connections, seconds):
    """One wrk run, the server's own CPU per request in microseconds (user and system, from /proc): on a shared machine
    the work a call costs, which others' load disturbs far less than the rate; its context switches per request, of
    the threads alive at the end (the thread pool retires idle workers, whose switches are lost: a floor); and its
    requests per fdatasync and sched_yields per request (SyscallCount)."""
    pid = server.process.pid
    syscalls = SyscallCount(pid)
    cpu, switches = cpu_seconds(pid), context_switches(pid)
    run = run_wrk(target, connections, seconds)
    requests = run.rate * seconds
    if requests == 0:
        raise RuntimeError(f"wrk completed no request in {seconds} s at {connections} connections: the machine stalled")
    switched = sum(count - switches.get(task, 0) for task, count in context_switches(pid).items())
    cpu_us = (cpu_seconds(pid) - cpu) / requests * 1e6
    flushes, yields = syscalls.stop()
    per_flush = requests / flushes if flushes else None
    return run, cpu_us, switched / requests, per_flush, None if yields is None else yields / requests


def measure(servers, wrk_targets, rounds, seconds):
    for operation in next(iter(wrk_targets.values())):
        for connections in (1, 16):
            for name in servers:
                run_wrk(wrk_targets[name][operation], connections, 1)
            runs = alternate({name: (lambda s=server, t=wrk_targets[name][operation]: run_with_cpu(s, t, connections, seconds))
                              for name, server in servers.items()}, rounds)
            cells = {name: Summary.of_runs([run for run, *_ in measured]) for name, measured in runs.items()}
            print(f"| {operation} | {connections} | " + " | ".join(
                f"{spread([run.rate for run, *_ in runs[name]])}, p50 {cells[name].p50:.2f} ms, "
                f"CPU {statistics.median(cpu for _, cpu, *_ in runs[name]):.0f} us, "
                f"{statistics.median(measured[2] for measured in runs[name]):.2f} switches, "
                f"{median_or_dash([measured[3] for measured in runs[name]], '.1f')} per fdatasync, "
                f"{median_or_dash([measured[4] for measured in runs[name]], '.2f')} yields" for name in servers) +
                f" | load {os.getloadavg()[0]:.1f}", flush=True)


def median_or_dash(values, spec):
    """The median of the counts perf gave ("-" when it gave none: no perf, or an ephemeral build that never syncs)."""
    present = [value for value in values if value is not None]
    return format(statistics.median(present), spec) if present else "-"


def measure_boto3_calls(servers, rounds):
    roles = {name: client(server, "iam").get_role(RoleName="bench-role")["Role"]["Arn"] for name, server in servers.items()}
    # Through boto3: wrk's replays of an Event invoke completed no request within a run in this bench (alone they do).
    timed = {"lambda.create_function": {name: create_functions(server, roles[name]) for name, server in servers.items()},
             "lambda.invoke (Event)": {name: invoke_event(server) for name, server in servers.items()}}
    for operation, calls in timed.items():
        cells = time_calls(calls, rounds, 10)
        print(f"| {operation} (boto3) | 1 | " + " | ".join(
            f"{cell.rate:.0f} ({cell.low:.0f}-{cell.high:.0f}), p50 {cell.p50:.2f} ms" for cell in cells.values()) +
            f" | load {os.getloadavg()[0]:.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("builds", nargs="+", help="BEFORE.dll AFTER.dll, or with --cost one build (or both)")
    parser.add_argument("--cost", action="store_true",
                        help="one build, ephemeral beside a data dir; with two, AFTER ephemeral beside both with a data dir")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--after-logs", type=int, metavar="EVENTS",
                        help="two builds: the control-plane writes, measured once each build has stored EVENTS log events")
    parser.add_argument("--all", action="store_true", help="two builds: every operation --cost replays, not only the journal's")
    parser.add_argument("--ephemeral", action="store_true", help="with --all: both builds ephemeral instead of with a data dir")
    args = parser.parse_args()
    if len(args.builds) not in ((1, 2) if args.cost else (2,)):
        parser.error("give BEFORE.dll AFTER.dll, or --cost and one build or two")
    if args.cost and (args.after_logs or args.all):
        parser.error("--after-logs and --all compare two builds")
    if args.ephemeral and not args.all:
        parser.error("--ephemeral goes with --all")
    workdir = tempfile.mkdtemp(prefix="stratus-durable-")
    servers = {}
    try:
        if args.cost and len(args.builds) == 2:
            subjects = (("ephemeral", args.builds[1], None), ("before, data dir", args.builds[0], os.path.join(workdir, "before")),
                        ("after, data dir", args.builds[1], os.path.join(workdir, "after")))
        elif args.cost:
            subjects = (("ephemeral", args.builds[0], None), ("data dir", args.builds[0], os.path.join(workdir, "data")))
        else:
            subjects = tuple((name, dll, None if args.ephemeral else os.path.join(workdir, name))
                             for name, dll in (("before", args.builds[0]), ("after", args.builds[1])))
        for name, dll, data_dir in subjects:
            servers[name] = start(name, dll, data_dir)
        print(f"fdatasync, 200-byte appends, one writer: {fdatasync_rate(workdir):.0f}/s; load average {os.getloadavg()[0]:.1f}")
        print("| operation | connections | " + " | ".join(f"{name} per s, p50" for name in servers) + " | load |")
        if args.cost:
            wrk_targets = {name: cost_targets(server, workdir) for name, server in servers.items()}
        elif args.after_logs:
            wrk_targets = {name: cost_targets(server, workdir) for name, server in servers.items()}
            for name in servers:
                store_log_events(name, wrk_targets[name]["logs.put_log_events, 100 events"], args.after_logs)
            wrk_targets = {name: {operation: targets_of[operation] for operation in CONTROL_PLANE_WRITES}
                           for name, targets_of in wrk_targets.items()}
        elif args.all:
            wrk_targets = {name: cost_targets(server, workdir) for name, server in servers.items()}
        else:
            wrk_targets = {name: targets(server, workdir) for name, server in servers.items()}
        measure(servers, wrk_targets, args.rounds, args.seconds)
        if args.cost:
            # After the wrk rows: the queued Event invokes run their function meanwhile and would slow the rows measured beside them.
            measure_boto3_calls(servers, args.rounds)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
