#!/usr/bin/env python3
"""Two Stratus builds side by side in one run, for a change's before/after on a shared machine, where only figures
taken in the same run compare. Not part of bench/run; it reuses the pieces of bench/images.py and bench/s3.py.

    python3 bench/compare_builds.py registry BEFORE/stratus.dll AFTER/stratus.dll --size-mb 200 --rounds 3
    python3 bench/compare_builds.py s3 BEFORE/stratus.dll AFTER/stratus.dll [--data-dir] [--small-only | --large-only] [--rounds N]
    python3 bench/compare_builds.py dataplane BEFORE/stratus.dll AFTER/stratus.dll --rounds 5
    python3 bench/compare_builds.py controlplane BEFORE/stratus.dll AFTER/stratus.dll --rounds 3

registry: skopeo push and pull of a several-layer image to each build and to docker-registry over TLS, alternated
round by round, medians with their ratio to docker-registry. s3: one captured boto3 PutObject and GetObject of 1 KB
and 1 MB replayed by wrk against each build and moto, then 100 MB PUT and GET (of an object read before, beside
a copy of a cached file, and of one just written, beside a copy of an uncached file) by curl on presigned URLs beside the disk (dd), then each build's resident memory while a 1 GB object moves. --large-only runs the 100 MB part alone, --rounds
times (moto, the small objects and the 1 GB memory watch left out), for a figure on a machine other work loads.
dataplane: bench/dataplane.py's REST API stage
(MOCK, AWS_PROXY in front of a warm .NET function) on each build, replayed by wrk at 16 connections with the builds
alternated round by round, then its pair of MOCK methods with and without a cached TOKEN Lambda authorizer at 1 connection.
controlplane: bench/controlplane.py's replayed signed requests on each build at 1 and 16 connections, alternated round by
round: requests per second and the server's CPU per request.
"""
import argparse
import base64
import contextlib
import os
import shutil
import statistics
import sys
import tempfile

from botocore.exceptions import ClientError

import harness
import images
import s3 as s3bench
import controlplane
import dataplane
from harness import Summary


def start_build(stack, label, dll, data_dir=None):
    """A build, ephemeral or (with data_dir) keeping its state in a data dir: what durable commits cost shows only there."""
    state = ["--data-dir", data_dir] if data_dir else ["--ephemeral"]
    # API Gateway's account throttle raised as harness.start_stratus raises it, so that it caps neither build's data plane.
    raised = ["STRATUS_APIGATEWAY_ACCOUNT_RATE=10000000", "STRATUS_APIGATEWAY_ACCOUNT_BURST=10000000"]
    return dataplane.stopped_with(stack, harness.start_server(label, lambda port: ["env", *raised, "dotnet", dll, "start", *state, "--port", str(port)]))


def registry(builds, size_mb, rounds):
    work = tempfile.mkdtemp(prefix="stratus-compare-registry-")
    try:
        with contextlib.ExitStack() as stack:
            layout = os.path.join(work, "layout")
            compressed = images.build_image(layout, size_mb)
            registries = {}
            for label, dll in builds.items():
                server = start_build(stack, label, dll)
                ecr = harness.client(server, "ecr")
                credentials = base64.b64decode(ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]).decode()
                registries[label] = images.Registry(f"127.0.0.1:{server.port}", credentials, lambda name, ecr=ecr: ecr.create_repository(repositoryName=name), server.process.pid)
            reference = images.start_docker_registry(stack, work)
            registries["docker-registry"] = images.Registry(f"127.0.0.1:{reference.port}", None, lambda name: None, reference.process.pid)
            pulled = os.path.join(work, "pulled")
            for registry_ in registries.values():
                registry_.push(layout, "bench/warmup")
                registry_.pull("bench/warmup", pulled)
            for registry_ in registries.values():
                registry_.cpu = {"push": [], "pull": []}
            pushes, pulls = {name: [] for name in registries}, {name: [] for name in registries}
            for round_ in range(rounds):
                for name, registry_ in registries.items():
                    pushes[name].append(registry_.push(layout, f"bench/push{round_}"))
                for name, registry_ in registries.items():
                    pulls[name].append(registry_.pull(f"bench/push{round_}", pulled))
            print(f"{compressed:.0f} MB compressed, {rounds} rounds, load average after: {os.getloadavg()}")
            push_reference, pull_reference = statistics.median(pushes["docker-registry"]), statistics.median(pulls["docker-registry"])
            for name in registries:
                push, pull = statistics.median(pushes[name]), statistics.median(pulls[name])
                print(f"{name:16s} push {harness.spread(pushes[name], 2)} s, {push / push_reference:.2f}x   "
                      f"pull {harness.spread(pulls[name], 2)} s, {pull / pull_reference:.2f}x   "
                      f"server CPU push {harness.spread(registries[name].cpu['push'], 2)} s, pull {harness.spread(registries[name].cpu['pull'], 2)} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def s3(builds, persistent, small_only, large_only, rounds):
    shape = s3bench.Shape(small=(("1 KB", s3bench.KB), ("1 MB", s3bench.MB)), large=("100 MB", 100 * s3bench.MB), big=("1 GB", 1024 * s3bench.MB),
                          calls={s3bench.KB: 48, s3bench.MB: 16}, rounds=3, large_rounds=rounds, seconds=2)
    work = tempfile.mkdtemp(prefix="stratus-compare-s3-")
    try:
        with contextlib.ExitStack() as stack:
            servers = {label: start_build(stack, label, dll, os.path.join(work, "data-" + label) if persistent else None) for label, dll in builds.items()}
            clients = {name: s3bench.s3_client(server) for name, server in servers.items()}
            if not large_only:
                clients["moto"] = s3bench.s3_client(dataplane.stopped_with(stack, controlplane.start_moto()))
            for client in clients.values():
                client.create_bucket(Bucket=s3bench.BUCKET)
            rows = []
            for label, size in () if large_only else shape.small:
                rows += s3bench.bench_replay(clients, label, size, s3bench.payload(size), shape, work)
            for row in rows:
                print(row.name + ": " + "  ".join(f"{name} {cell.rate:.0f}/s" if isinstance(cell, Summary) else f"{name} n/a" for name, cell in row.cells.items()))
            if small_only:
                print(f"load average after: {os.getloadavg()}")
                return
            size = 100 * s3bench.MB
            source = os.path.join(work, "large-source")
            with open(source, "wb") as f:
                f.write(s3bench.payload(size))
            curl = {name: s3bench.curl_operations(clients[name], source, size, work, name) for name in servers}
            disk = s3bench.disk_operations(source, work)
            for operation in s3bench.LARGE_OPERATIONS:
                for connections in (1, 16):
                    rates = {name: [] for name in [*curl, "disk"]}
                    for _ in range(shape.large_rounds):
                        for name in curl:
                            rates[name].append(connections * 100 / curl[name][operation](connections))
                        rates["disk"].append(connections * 100 / disk[operation](connections))
                    on_disk = statistics.median(rates["disk"])
                    print(f"{operation} 100 MB, {connections} conn, curl, disk by {s3bench.REFERENCES[operation]}: " + "  ".join(
                        f"{name} {statistics.median(values):.0f} MB/s ({statistics.median(values) / on_disk:.2f}x disk)" for name, values in rates.items()))
            os.remove(source)
            for name, server in {} if large_only else servers.items():
                for run in s3bench.bench_memory(server, clients[name], shape.big[1], work):
                    print(f"{name} {run.operation} 1 GB: {run.before:.0f} MB before, {run.peak:.0f} MB peak, {run.after:.0f} MB after, {run.seconds:.1f} s")
            print(f"load average after: {os.getloadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


DATAPLANE_ROWS = ("API Gateway MOCK", "API Gateway AWS_PROXY (.NET function)")


def data_plane(builds, rounds):
    shape = dataplane.Shape(rounds=rounds, seconds=3, warmup=3, cold_starts=0, walkthroughs=0, stacks=0, databases=0, page_warmup=0)
    dataplane.ensure_built()
    work = tempfile.mkdtemp(prefix="stratus-compare-dataplane-")
    try:
        with contextlib.ExitStack() as stack:
            servers = {label: start_build(stack, label, dll) for label, dll in builds.items()}
            get_script = os.path.join(work, "get.lua")
            harness.write_wrk_script(get_script, "GET", b"", {})
            stages = {label: dataplane.http_api(server) for label, server in servers.items()}
            try:
                pairs = {label: dataplane.authorizer_pair(server, work) for label, server in servers.items()}
            except ClientError as refusal:
                pairs = None  # a build from before Lambda authorizers: the stage rows still compare
                print(f"authorizer rows left out: {refusal}")
            print("| workload | " + " | ".join(f"{label} req/s (median, spread) | {label} p50 / p99 ms" for label in builds) + " | after / before |")
            print("| --- |" + " --- | --- |" * len(builds) + " --- |")

            def print_row(name, figures):
                cells = " | ".join(f"{harness.rate_cell(figures[label])} | {harness.latency_cell(figures[label])}" for label in builds)
                print(f"| {name} | {cells} | {figures['after'].rate / figures['before'].rate:.2f}x |", flush=True)

            for row in DATAPLANE_ROWS:
                figures = dataplane.compare_wrk({label: harness.WrkTarget(stages[label][row], get_script) for label in builds}, 16, shape)
                print_row(f"{row}, 16 conn", figures)
            if pairs is not None:
                targets = {f"{label} {kind}": pairs[label][kind] for label in builds for kind in (dataplane.AUTHORIZED, dataplane.UNAUTHORIZED)}
                figures = dataplane.compare_wrk(targets, 1, shape)
                for kind in (dataplane.AUTHORIZED, dataplane.UNAUTHORIZED):
                    print_row(f"{kind}, 1 conn", {label: figures[f"{label} {kind}"] for label in builds})
                for label in builds:
                    row = harness.Row(label, {"Stratus": figures[f"{label} {dataplane.AUTHORIZED}"], "without": figures[f"{label} {dataplane.UNAUTHORIZED}"]})
                    print(f"{label}: {dataplane.authorizer_verdict(row)}")
            print(f"{rounds} rounds of {shape.seconds} s per subject, load average after: {os.getloadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def control_plane(builds, rounds, only=None, seconds=2):
    """Each replayable control-plane request at 1 and 16 connections: requests per second, and the server's own CPU
    per request (utime + stime around the run over the requests it answered), which other work on the machine
    disturbs far less than throughput."""
    work = tempfile.mkdtemp(prefix="stratus-compare-controlplane-")
    try:
        with contextlib.ExitStack() as stack:
            subjects = [controlplane.Subject(start_build(stack, label, dll)) for label, dll in builds.items()]
            print("| request | conn | before req/s | after req/s | before CPU us/req | after CPU us/req | CPU after / before |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            for index, workload in enumerate(w for w in controlplane.workloads() if w.replay and (not only or only in w.name)):
                targets = {s.name: harness.replay_target(s.server, os.path.join(work, f"{s.name}-{index}.lua"), workload.service,
                                                         workload.operation, credentials=workload.credentials_on(s),
                                                         **workload.params_on(s)) for s in subjects}
                pids = {s.name: s.server.process.pid for s in subjects}
                for connections in (1, 16):
                    def measure(label):
                        def run():
                            cpu = images.cpu_seconds(pids[label])
                            measured = harness.run_wrk(targets[label], connections, seconds)
                            return measured.rate, (images.cpu_seconds(pids[label]) - cpu) / (measured.rate * seconds) * 1e6
                        return run
                    figures = harness.alternate({label: measure(label) for label in builds}, rounds)
                    rate = {label: statistics.median(r for r, _ in runs) for label, runs in figures.items()}
                    cpu = {label: statistics.median(c for _, c in runs) for label, runs in figures.items()}
                    print(f"| {workload.name} | {connections} | {rate['before']:.0f} | {rate['after']:.0f} | {cpu['before']:.0f} | "
                          f"{cpu['after']:.0f} | {cpu['after'] / cpu['before']:.2f}x |", flush=True)
            print(f"{rounds} rounds of {seconds} s per build, medians; load average after: {os.getloadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["registry", "s3", "dataplane", "controlplane"])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", action="store_true", help="s3: each build keeps its state in a data dir (durable commits) instead of --ephemeral")
    parser.add_argument("--small-only", action="store_true", help="s3: only the small objects replayed by wrk")
    parser.add_argument("--only", help="controlplane: only the requests whose name holds this text")
    parser.add_argument("--large-only", action="store_true", help="s3: only the 100 MB PUT and GET beside the disk, --rounds times")
    args = parser.parse_args()
    builds = {"before": args.before, "after": args.after}
    if args.what == "registry":
        registry(builds, args.size_mb, args.rounds)
    elif args.what == "dataplane":
        data_plane(builds, args.rounds)
    elif args.what == "controlplane":
        control_plane(builds, args.rounds, args.only)
    else:
        s3(builds, args.data_dir, args.small_only, args.large_only, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
