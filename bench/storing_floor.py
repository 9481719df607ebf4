#!/usr/bin/env python3
"""Stratus's writes beside the machine's floor for storing a request's body (issues #15 and #17), in one run:

    python3 bench/storing_floor.py [--rounds N] [--seconds S]

bench/References serves three floors, each Kestrel reading the body whole and then only: storing nothing (`discard`),
writing a file per body and removing the one it replaces (`files`: a store with a file per object), or appending to
one journal and answering after a shared fdatasync (`journal`: a durable write, group committed). wrk replays one
captured request per workload against each subject, alternated round by round at 1 and 16 connections:

- a 1 KB S3 PutObject (boto3's, the same key again): Stratus ephemeral, moto's S3, and the `discard` and `files` floors;
- a CloudWatch PutMetricData: Stratus ephemeral and with a data dir (which answers after its group commit), and the
  `discard` and `journal` floors.

A floor is what any server built on Kestrel gets on this machine for the same storing, so Stratus's share of it is what
its own code (signatures, protocol, state) costs, and a target above the floor cannot be met by any such server.
Build bench/References first (bench/run does).
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile

import controlplane
import dataplane
import durable_puts
import harness
import s3 as s3bench
from harness import WrkTarget, replay_target, run_wrk, write_wrk_script

FLOORS = ("discard", "files", "journal")


def start_floor(mode):
    return harness.start_server(f"floor {mode}", lambda port: ["dotnet", dataplane.REFERENCES_DLL, mode, "--port", str(port)])


def put_object_target(server, workdir):
    s3 = s3bench.s3_client(server)
    s3.create_bucket(Bucket="bench-floor")
    method, url, headers, body = s3bench.capture(s3, "PutObject", Bucket="bench-floor", Key="object", Body=s3bench.payload(1024))
    script = os.path.join(workdir, f"{server.name}-put-object.lua".replace(" ", "-"))
    write_wrk_script(script, method, body, headers)
    return WrkTarget(url, script)


def metric_target(server, workdir):
    return replay_target(server, os.path.join(workdir, f"{server.name}-metrics.lua".replace(" ", "-")), "cloudwatch",
                         "put_metric_data", Namespace="Bench", MetricData=durable_puts.METRIC_DATA)


def at(floor, target):
    """The same request (its script) sent to a floor: the floors read any body and check no signature."""
    return WrkTarget(f"{floor.url}/{target.url.split('/', 3)[3]}", target.script)


def measure(workload, targets, rounds, seconds):
    for connections in (1, 16):
        runs = {name: [] for name in targets}
        for _ in range(rounds):
            for name, target in targets.items():
                runs[name].append(run_wrk(target, connections, seconds))
        cells = {name: (statistics.median(r.rate for r in measured), min(r.rate for r in measured), max(r.rate for r in measured))
                 for name, measured in runs.items()}
        print(f"| {workload} | {connections} | " + " | ".join(f"{name} {rate:,.0f} ({low:,.0f}-{high:,.0f})" for name, (rate, low, high) in cells.items())
              + f" | load {os.getloadavg()[0]:.1f} |", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()
    if not os.path.exists(dataplane.REFERENCES_DLL):
        sys.exit(f"build bench/References first: {dataplane.REFERENCES_DLL} is missing")
    workdir = tempfile.mkdtemp(prefix="stratus-bench-floor-")
    servers = []
    try:
        ephemeral = harness.start_stratus("Stratus ephemeral")
        durable = harness.start_stratus("Stratus data dir", data_dir=os.path.join(workdir, "data"))
        moto = controlplane.start_moto()
        floors = {mode: start_floor(mode) for mode in FLOORS}
        servers = [ephemeral, durable, moto, *floors.values()]
        print(f"{harness.machine()}; fdatasync probe {durable_puts.fdatasync_rate(workdir):,.0f} per s", flush=True)
        put_object = put_object_target(ephemeral, workdir)
        measure("S3 PutObject 1 KB", {"Stratus ephemeral": put_object, "moto": put_object_target(moto, workdir),
                                      "floor discard": at(floors["discard"], put_object), "floor files": at(floors["files"], put_object)},
                args.rounds, args.seconds)
        metrics = metric_target(ephemeral, workdir)
        measure("CloudWatch PutMetricData", {"Stratus ephemeral": metrics, "Stratus data dir": metric_target(durable, workdir),
                                             "floor discard": at(floors["discard"], metrics), "floor journal": at(floors["journal"], metrics)},
                args.rounds, args.seconds)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
