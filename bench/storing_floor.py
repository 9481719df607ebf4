#!/usr/bin/env python3
"""Stratus's writes beside the machine's floor for storing a request's body (issues #15 and #17), in one run:

    python3 bench/storing_floor.py [--quick] [--output FILE]

bench/References serves three floors, each Kestrel reading the body whole and then only: storing nothing (`discard`),
writing a file per body and removing the one it replaces (`files`: a store with a file per object), or appending to
one journal and answering after a shared fdatasync (`journal`: a durable write, group committed). wrk replays one
captured request per workload against each subject, alternated round by round at 1 and 16 connections:

- a 1 KB S3 PutObject (boto3's, the same key again): Stratus ephemeral, moto's S3, and the `discard` and `files` floors;
- a CloudWatch PutMetricData: Stratus ephemeral and with a data dir (which answers after its group commit), and the
  `discard` and `journal` floors.

A floor is what any server built on Kestrel gets on this machine for the same storing, so Stratus's share of it is what
its own code (signatures, protocol, state) costs, and a target above the floor cannot be met by any such server.
bench/run builds bench/References first; run alone, build it yourself.
"""
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
from harness import WrkTarget, replay_target, run_wrk, spread, write_wrk_script

SECTION = ("<!-- bench/storing_floor: begin -->", "<!-- bench/storing_floor: end -->")
CONNECTIONS = (1, 16)


def start_floor(mode):
    return harness.start_server(f"floor-{mode}", lambda port: ["dotnet", dataplane.REFERENCES_DLL, mode, "--port", str(port)])


def put_object_target(server, workdir):
    s3 = s3bench.s3_client(server)
    s3.create_bucket(Bucket="bench-floor")
    method, url, headers, body = s3bench.capture(s3, "PutObject", Bucket="bench-floor", Key="object", Body=s3bench.payload(1024))
    script = os.path.join(workdir, f"{server.name}-put-object.lua")
    write_wrk_script(script, method, body, headers)
    return WrkTarget(url, script)


def metric_target(server, workdir):
    return replay_target(server, os.path.join(workdir, f"{server.name}-metrics.lua"), "cloudwatch", "put_metric_data",
                         Namespace="Bench", MetricData=durable_puts.METRIC_DATA)


def at(floor, target):
    """The same request (its script) sent to a floor, which reads any body and checks no signature."""
    return WrkTarget(f"{floor.url}/{target.url.split('/', 3)[3]}", target.script)


def measure(targets, rounds, seconds, peer=None):
    """Rates per subject and connection count, {connections: {subject: [rate per round]}}, and the peer's refusal or None.

    Stratus and the floors must answer every request; the peer (moto) is measured as bench/run measures it everywhere,
    where an error response makes its cell n/a with the reason (moto's S3 answers some concurrent PUTs of one key with 500)."""
    targets, refusal, rates = dict(targets), None, {}
    # A warm-up at 16 connections first, not counted: Stratus's first requests still compile code.
    for phase, connections in [("warm-up", 16)] + [("measure", c) for c in CONNECTIONS]:
        if phase == "measure":
            rates[connections] = {name: [] for name in targets}
        for _ in range(1 if phase == "warm-up" else rounds):
            for name, target in list(targets.items()):
                try:
                    run = run_wrk(target, connections, 1 if phase == "warm-up" else seconds)
                except controlplane.REFUSALS as error:
                    if name != peer:
                        raise RuntimeError(f"{name}: {error}") from error
                    refusal = harness.Refusal.of(error)
                    del targets[name]
                    for cells in rates.values():
                        cells.pop(name, None)
                    continue
                if phase == "measure":
                    rates[connections][name].append(run.rate)
    return rates, refusal


def row(workload, connections, cells, subject, moto, floors):
    """One table row: the subject, moto (when measured), the floor storing nothing and the floor storing as the subject does."""
    cell = lambda name: "" if not name else spread(cells[name]) if name in cells else "n/a"
    nothing, stored = floors
    ratio = statistics.median(cells[subject]) / statistics.median(cells[stored])
    return f"| {workload} | {connections} | {cell(subject)} | {cell(moto)} | {cell(nothing)} | {cell(stored)} | {ratio:.2f}x |"


def run(quick):
    rounds, seconds = (1, 1) if quick else (3, 3)
    if not os.path.exists(dataplane.REFERENCES_DLL):
        sys.exit(f"build bench/References first: {dataplane.REFERENCES_DLL} is missing")
    workdir = tempfile.mkdtemp(prefix="stratus-bench-floor-")
    servers = []
    try:
        ephemeral = harness.start_stratus("stratus-ephemeral")
        servers.append(ephemeral)
        durable = harness.start_stratus("stratus-data-dir", data_dir=os.path.join(workdir, "data"))
        servers.append(durable)
        moto = controlplane.start_moto()
        servers.append(moto)
        floors = {}
        for mode in ("discard", "files", "journal"):
            floors[mode] = start_floor(mode)
            servers.append(floors[mode])
        probe = durable_puts.fdatasync_rate(workdir)
        put_object = put_object_target(ephemeral, workdir)
        objects, moto_refusal = measure({"Stratus": put_object, "moto": put_object_target(moto, workdir), "discard": at(floors["discard"], put_object),
                                         "files": at(floors["files"], put_object)}, rounds, seconds, peer="moto")
        metrics = metric_target(ephemeral, workdir)
        writes, _ = measure({"ephemeral": metrics, "data dir": metric_target(durable, workdir),
                          "discard": at(floors["discard"], metrics), "journal": at(floors["journal"], metrics)}, rounds, seconds)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return report(objects, moto_refusal, writes, probe)


def report(objects, moto_refusal, writes, probe):
    median = lambda cells, name: statistics.median(cells[name])
    lines = ["## Stratus beside a bare server storing the same body (`bench/storing_floor.py`)", "",
             "Each floor is bench/References' Kestrel endpoint reading the body whole and then only: storing nothing, writing a "
             "file per body (the replaced one removed), or appending to a journal answered after a shared `fdatasync` (group "
             f"commit). wrk replays one captured request against each subject, alternated round by round; the data dir's `fdatasync` "
             f"probe read {probe:,.0f} per s. The last column is Stratus over the floor that stores as it does.", "",
             "| workload | conn | Stratus per s (median, spread) | moto per s | floor storing nothing | floor storing as Stratus does | Stratus / that floor |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for connections in CONNECTIONS:
        lines.append(row("S3 PutObject 1 KB, ephemeral (floor: a file per body)", connections, objects[connections], "Stratus", "moto", ("discard", "files")))
    for connections in CONNECTIONS:
        lines.append(row("CloudWatch PutMetricData, ephemeral (floor: nothing stored)", connections, writes[connections], "ephemeral", None, (None, "discard")))
        lines.append(row("CloudWatch PutMetricData, data dir (floor: a journal, group committed)", connections, writes[connections], "data dir", None, (None, "journal")))
    lines.append("")
    for connections in CONNECTIONS:
        cells = writes[connections]
        lines.append(f"- Durability's share of the throughput at {connections} conn: Stratus {median(cells, 'data dir') / median(cells, 'ephemeral'):.2f}x "
                     f"(data dir / ephemeral), the bare server {median(cells, 'journal') / median(cells, 'discard'):.2f}x (journal / nothing stored).")
    if moto_refusal:
        lines.append(f"- moto n/a for the 1 KB PutObject, so no reading of issue #17's 20x moto this run: {moto_refusal.reason}")
        return lines
    for connections in CONNECTIONS:
        cells = objects[connections]
        target = 20 * median(cells, "moto")
        where = ("above the floor storing nothing: no Kestrel server meets it" if target > median(cells, "discard")
                 else "above the file-per-object floor" if target > median(cells, "files") else "within the file-per-object floor")
        lines.append(f"- Issue #17's 20x moto for a 1 KB PutObject at {connections} conn: {target:,.0f} per s, {where}; Stratus "
                     f"{median(cells, 'Stratus') / median(cells, 'moto'):.1f}x moto.")
    return lines


def main():
    harness.section_main("storing_floor.py", __doc__, SECTION, run, "one round of 1 s per subject instead of three of 3 s")


if __name__ == "__main__":
    main()
