"""PutMetricData and PutLogEvents against a persistent data dir, where each call answers only once its data is
durable (issue #15): two builds alternated round by round (the machine's drift hits both alike), each replaying
one captured request with wrk at 1 and 16 connections, beside the data dir's own fdatasync rate.

    python3 bench/durable_puts.py BEFORE.dll AFTER.dll [--rounds N] [--seconds S]

bench/run runs Stratus ephemeral, where these calls wait for nothing; this runs only these two rows.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

from harness import REGION, Server, Summary, alternate, client, free_port, replay_target, run_wrk, spread

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
    return Server(name, ["dotnet", dll, "start", "--data-dir", data_dir, "--port", str(port := free_port())], port)


def targets(server, workdir):
    logs = client(server, "logs")
    logs.create_log_group(logGroupName="bench")
    logs.create_log_stream(logGroupName="bench", logStreamName="put")
    now = int(time.time() * 1000)
    return {
        "cloudwatch.put_metric_data": replay_target(server, os.path.join(workdir, f"{server.name}-metrics.lua"), "cloudwatch",
                                                    "put_metric_data", Namespace="Bench", MetricData=METRIC_DATA),
        "logs.put_log_events": replay_target(server, os.path.join(workdir, f"{server.name}-logs.lua"), "logs", "put_log_events",
                                             logGroupName="bench", logStreamName="put",
                                             logEvents=[{"timestamp": now, "message": "bench event " + "x" * 100}]),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="stratus-durable-")
    servers = {}
    try:
        for name, dll in (("before", args.before), ("after", args.after)):
            servers[name] = start(name, dll, os.path.join(workdir, name))
        wrk_targets = {name: targets(server, workdir) for name, server in servers.items()}
        print(f"fdatasync, 200-byte appends, one writer: {fdatasync_rate(workdir):.0f}/s; load average {os.getloadavg()[0]:.1f}")
        for operation in wrk_targets["before"]:
            for connections in (1, 16):
                for name in servers:
                    run_wrk(wrk_targets[name][operation], connections, 1)
                runs = alternate({name: (lambda t=wrk_targets[name][operation]: run_wrk(t, connections, args.seconds)) for name in servers},
                                 args.rounds)
                cells = {name: Summary.of_runs(measured) for name, measured in runs.items()}
                print(f"| {operation} | {connections} | " + " | ".join(
                    f"{spread([r.rate for r in runs[name]])}, p50 {cells[name].p50:.2f} ms" for name in servers) +
                    f" | load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
