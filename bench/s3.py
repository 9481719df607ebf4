#!/usr/bin/env python3
"""S3 (issue #17), Stratus beside moto's S3 and beside the disk itself, in one run: PutObject and GetObject of small
and large objects at 1 and 16 connections through boto3; the small ones also replayed by wrk (one signed request
captured from boto3, as the control plane replays), the large ones also sent by curl to presigned URLs (the server
without boto3's hashing), and GET by curl of a large object just written too; the same bytes written with fsync and
copied back by dd, from the page cache and from the disk, on the filesystem Stratus stores on (the physical limit); and Stratus's resident memory before, during and after a PUT and a GET of one big object.

bench.py runs it after container images; alone, quick or full:
    python3 bench/s3.py --quick --output /tmp/s3.md
    python3 bench/s3.py
"""
import argparse
import base64
import contextlib
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import boto3
from botocore.config import Config

import controlplane
import dataplane
import harness
from images import load
from harness import REGION, ROOT, Refusal, Row, Summary, WrkTarget, machine, run_wrk, table, write_wrk_script

KB, MB = 1024, 1024 * 1024
SECTION = ("<!-- bench/s3: begin -->", "<!-- bench/s3: end -->")
BUCKET = "bench-s3"
CONNECTIONS = (1, 16)
# Memory is flat while a big object moves when Stratus's peak stays within this share of the object above its RSS before.
FLAT_SHARE = 0.1


@dataclass(frozen=True)
class Shape:
    small: tuple[tuple[str, int], ...]   # sizes through boto3 and replayed by wrk
    large: tuple[str, int]               # the size compared with the disk
    big: tuple[str, int]                 # the object whose PUT and GET Stratus's memory is watched through
    calls: dict[int, int]                # calls per subject and round through boto3, by small size
    rounds: int                          # alternations of each small-object comparison
    large_rounds: int                    # alternations of each large-object comparison (16 x 100 MB a measure)
    seconds: int                         # length of one wrk run


QUICK = Shape(small=(("1 KB", KB), ("1 MB", MB)), large=("10 MB", 10 * MB), big=("256 MB", 256 * MB),
              calls={KB: 48, MB: 16}, rounds=2, large_rounds=2, seconds=1)
FULL = Shape(small=(("1 KB", KB), ("1 MB", MB)), large=("100 MB", 100 * MB), big=("1 GB", 1024 * MB),
             calls={KB: 320, MB: 64}, rounds=3, large_rounds=2, seconds=3)


def payload(size):
    """Incompressible printable bytes: wrk's Lua script carries the body as a string, which binary would corrupt."""
    return base64.b64encode(os.urandom(size))[:size]


def s3_client(server):
    """Path-style (localhost:port/bucket/key) with the SDK's default flexible checksums; one pool wide enough for 16 threads."""
    return boto3.client("s3", endpoint_url=server.url, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}, max_pool_connections=32,
                                      # boto3 presigns S3 URLs with the legacy SigV2 query unless told otherwise.
                                      signature_version="s3v4"))


# ---- through boto3 ----

def concurrent_calls(call, connections, calls) -> tuple[float, list[float]]:
    """`calls` calls spread over `connections` threads (call(thread) each); the aggregate rate and every latency in ms."""
    per_thread = max(1, calls // connections)

    def worker(thread):
        latencies = []
        for _ in range(per_thread):
            started = time.perf_counter()
            call(thread)
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        latencies = [ms for result in pool.map(worker, range(connections)) for ms in result]
    return len(latencies) / (time.perf_counter() - started), latencies


def boto3_operations(s3, body, size):
    """PutObject to a key per thread (16 threads do not contend for one key); GetObject of one stored object, read whole."""
    key = f"object-{size}"
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return {
        "PutObject": lambda thread: s3.put_object(Bucket=BUCKET, Key=f"{key}-{thread}", Body=body),
        "GetObject": lambda thread: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(),
    }


def bench_boto3(clients, label, size, body, shape) -> list[Row]:
    rows = []
    operations = {name: boto3_operations(s3, body, size) for name, s3 in clients.items()}
    for operation in ("PutObject", "GetObject"):
        for connections in CONNECTIONS:
            calls = max(connections, shape.calls[size])
            measured = harness.alternate({name: (lambda op=ops[operation]: concurrent_calls(op, connections, calls))
                                          for name, ops in operations.items()}, shape.rounds)
            rows.append(Row(f"{operation} {label}, {connections} conn, boto3",
                            {name: Summary.of_calls([rate for rate, _ in runs], [ms for _, latencies in runs for ms in latencies])
                             for name, runs in measured.items()}))
            log_row(rows[-1], size)
    return rows


# ---- replayed by wrk ----

METHODS = {"PutObject": "put_object", "GetObject": "get_object"}


def capture(s3, operation, **params):
    """The exact request boto3 sends for one call (signed, with its checksum headers), to replay it at full speed. Its
    body is the Body passed: botocore hands the hook a stream it has already read for the signature."""
    captured = []

    def before_send(request, **_):
        captured.append((request.method, request.url, dict(request.headers)))

    s3.meta.events.register("before-send", before_send)
    try:
        getattr(s3, METHODS[operation])(**params)
    finally:
        s3.meta.events.unregister("before-send", before_send)
    method, url, headers = captured[-1]
    return method, url, headers, params.get("Body", b"")


def bench_replay(clients, label, size, body, shape, work) -> list[Row]:
    """Each server's captured PutObject (the same key again: the same effect each time) and GetObject, by wrk."""
    rows = []
    for operation in ("PutObject", "GetObject"):
        targets, refused = {}, {}
        for name, s3 in clients.items():
            params = {"Bucket": BUCKET, "Key": f"replayed-{size}"} | ({"Body": body} if operation == "PutObject" else {})
            try:
                method, url, headers, sent = capture(s3, operation, **params)
                script = os.path.join(work, f"{name}-{operation}-{size}.lua")
                write_wrk_script(script, method, sent, headers)
                targets[name] = WrkTarget(url, script)
            except controlplane.REFUSALS as error:
                refused[name] = Refusal.of(error)
        for connections in CONNECTIONS:
            runs = {name: [] for name in targets}
            for _ in range(shape.rounds):
                for name, target in list(targets.items()):
                    try:
                        runs[name].append(run_wrk(target, connections, shape.seconds))
                    except controlplane.REFUSALS as error:
                        refused[name] = Refusal.of(error)
                        del targets[name], runs[name]
            rows.append(Row(f"{operation} {label}, {connections} conn, replayed",
                            {**{name: Summary.of_runs(measured) for name, measured in runs.items()}, **refused}))
            log_row(rows[-1], size)
    return rows


# ---- large objects: boto3, curl to presigned URLs, and the disk ----

def parallel(commands):
    """Runs the commands at once; the seconds until the last one ends."""
    started = time.perf_counter()
    processes = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for command in commands]
    for process, command in zip(processes, commands):
        _, error = process.communicate()
        if process.returncode:
            raise RuntimeError(f"{command[0]} failed: {error.decode(errors='replace').strip()[:200]}")
    return time.perf_counter() - started


# The large-object workloads and the disk reference each is judged against. A GET of an object Stratus just wrote reads
# the disk (its large blocks are written past the page cache), so its reference is a read of an uncached file; a GET of
# an object read before is served from the page cache, so its reference is a copy of a cached file.
LARGE_OPERATIONS = ("PutObject", "GetObject", "GetObject just written")
REFERENCES = {"PutObject": "`dd conv=fsync`", "GetObject": "`dd` copy, file cached",
              "GetObject just written": "`dd` copy, file uncached"}


def curl_operations(s3, source, size, work, name):
    """PUT of the source file to a presigned URL per connection; GET into a file per connection of one stored object read
    once before (in the server's page cache, where it keeps one), and of one PUT just before the GET (not timed)."""
    key = f"curl-{size}"
    s3.put_object(Bucket=BUCKET, Key=key, Body=open(source, "rb").read())
    # Read once, so the timed GETs of this object all find it where a server caches what was read.
    parallel([["curl", "-sSf", "-o", "/dev/null", s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key})]])

    def put(connections):
        urls = [s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": f"{key}-{i}"}) for i in range(connections)]
        return parallel([["curl", "-sSf", "-T", source, url] for url in urls])

    def fetch(fetched, connections):
        url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": fetched})
        try:
            return parallel([["curl", "-sSf", "-o", os.path.join(work, f"{name}-got-{i}"), url] for i in range(connections)])
        finally:
            for i in range(connections):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(work, f"{name}-got-{i}"))

    def get_just_written(connections):
        fresh = f"{key}-fresh"
        parallel([["curl", "-sSf", "-T", source, s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": fresh})]])
        return fetch(fresh, connections)

    return {"PutObject": put, "GetObject": lambda connections: fetch(key, connections), "GetObject just written": get_just_written}


def drop_from_page_cache(path):
    """Evicts a file's pages from the page cache (clean ones only: write it with fsync first), so its next read is the disk's."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


def disk_operations(source, work):
    """The physical limit on the filesystem Stratus stores on: the same bytes written by dd and fsynced (PUT); the written
    file copied by dd into another file there (GET: read from the filesystem into a file, as curl's GET does), from the
    page cache, and from the disk: one fsynced file dropped from the cache and copied by as many dd at once as there are
    connections (as the servers send one object to every connection). The uncached copy reads through the kernel's
    readahead, the most a plain sequential reader gets from this disk; `dd iflag=direct` (1 MB at a time, none ahead)
    would be a lower bar."""
    def target(i):
        return os.path.join(work, f"disk-{i}")

    def remove(paths):
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)

    def put(connections):
        return parallel([["dd", f"if={source}", f"of={target(i)}", "bs=1M", "conv=fsync"] for i in range(connections)])

    def get(connections):
        put(connections)
        try:
            return parallel([["dd", f"if={target(i)}", f"of={target(i)}.copy", "bs=1M"] for i in range(connections)])
        finally:
            remove([path for i in range(connections) for path in (target(i), target(i) + ".copy")])

    def get_uncached(connections):
        put(1)
        try:
            drop_from_page_cache(target(0))
            return parallel([["dd", f"if={target(0)}", f"of={target(i)}.copy", "bs=1M"] for i in range(connections)])
        finally:
            remove([target(0), *(target(i) + ".copy" for i in range(connections))])

    return {"PutObject": put, "GetObject": get, "GetObject just written": get_uncached}


@dataclass(frozen=True)
class LargeRow:
    """MB/s (medians over rounds, with their spread) of one large-object workload: each server's, and the disk's."""
    name: str
    operation: str                       # a key of REFERENCES: which disk figure this row is judged against
    servers: dict[str, list[float] | Refusal]
    disk: list[float]


def bench_large(clients, label, size, body, shape, work) -> list[LargeRow]:
    source = os.path.join(work, "large-source")
    with open(source, "wb") as f:
        f.write(body)
    mb = size / MB
    rows = []
    boto3_ops = {name: boto3_operations(s3, body, size) for name, s3 in clients.items()}
    curl_ops = {name: curl_operations(s3, source, size, work, name) for name, s3 in clients.items()}
    disk = disk_operations(source, work)
    for operation in LARGE_OPERATIONS:
        for connections in CONNECTIONS:
            # boto3 only PUTs and GETs an object read before; the GET of one just written is curl's alone.
            for path, subjects in (("boto3", {name: (lambda op=ops[operation]: connections * mb / timed_calls(op, connections))
                                               for name, ops in boto3_ops.items() if operation in ops}),
                                   ("curl, presigned URL", {name: (lambda op=ops[operation]: connections * mb / op(connections))
                                                            for name, ops in curl_ops.items()})):
                if not subjects:
                    continue
                measures = {**subjects, "disk": lambda op=disk[operation]: connections * mb / op(connections)}
                values = {name: [] for name in measures}
                for _ in range(shape.large_rounds):
                    for name, measure in measures.items():
                        if isinstance(values[name], Refusal):
                            continue
                        try:
                            values[name].append(measure())
                        except controlplane.REFUSALS as error:
                            values[name] = Refusal.of(error)
                disk_values = values.pop("disk")
                rows.append(LargeRow(f"{operation} {label}, {connections} conn, {path}", operation, values, disk_values))
                print(f"  {rows[-1].name}: " + ", ".join(f"{k} {statistics.median(v):.0f} MB/s" if isinstance(v, list) else f"{k} n/a ({v.reason})"
                                                         for k, v in (values | {"disk": disk_values}).items()), file=sys.stderr)
    os.remove(source)
    return rows


def timed_calls(call, connections):
    """Seconds for one call on each of `connections` threads at once."""
    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(call, range(connections)))
    return time.perf_counter() - started


# ---- Stratus's memory while a big object moves ----

@dataclass(frozen=True)
class MemoryRun:
    """Stratus's resident MB before the transfer, its peak while it ran (sampled every 20 ms), and after it; seconds."""
    operation: str
    before: float
    peak: float
    after: float
    seconds: float


def watch_memory(pid, operation, action) -> MemoryRun:
    before = harness.rss_mb(pid)
    samples, done = [before], threading.Event()

    def sample():
        while not done.is_set():
            samples.append(harness.rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        seconds = dataplane.timed(action)[0]
    finally:
        done.set()
        sampler.join()
    time.sleep(1)
    return MemoryRun(operation, before, max(samples), harness.rss_mb(pid), seconds)


def bench_memory(stratus, s3, size, work) -> list[MemoryRun]:
    """One PUT and one GET of the big object by curl on presigned URLs, streamed from and to a file, so only Stratus holds it."""
    source, target = os.path.join(work, "big-source"), os.path.join(work, "big-got")
    with open(source, "wb") as f:
        for _ in range(size // (64 * MB)):
            f.write(os.urandom(64 * MB))
    try:
        put_url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "big"})
        get_url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "big"})
        runs = [watch_memory(stratus.process.pid, "PutObject", lambda: parallel([["curl", "-sSf", "-T", source, put_url]])),
                watch_memory(stratus.process.pid, "GetObject", lambda: parallel([["curl", "-sSf", "-o", target, get_url]]))]
        if os.path.getsize(target) != size:
            raise RuntimeError(f"the big object came back with {os.path.getsize(target)} bytes, not {size}")
        return runs
    finally:
        for path in (source, target):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


# ---- the benchmark ----

def log_row(row: Row, size):
    print(f"  {row.name}: " + ", ".join(f"{k} {v.rate:.0f} ops/s ({v.rate * size / MB:.1f} MB/s)" if isinstance(v, Summary) else f"{k} n/a ({v.reason})"
                                       for k, v in row.cells.items()), file=sys.stderr)


def run(quick, shape=None):
    """Measures everything and returns the markdown for the performance page."""
    shape = shape or (QUICK if quick else FULL)
    # Stratus's --ephemeral state lives under the system's temp directory: the disk baseline writes there too.
    work = tempfile.mkdtemp(prefix="stratus-bench-s3-")
    try:
        with contextlib.ExitStack() as stack:
            return measure(stack, shape, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(stack, shape, work):
    stratus = dataplane.start_stratus(stack, "Stratus")
    moto = dataplane.stopped_with(stack, controlplane.start_moto())
    clients = {"Stratus": s3_client(stratus), "moto": s3_client(moto)}
    for s3 in clients.values():
        s3.create_bucket(Bucket=BUCKET)
    small_rows, replay_rows = [], []
    for label, size in shape.small:
        body = payload(size)
        print(f"S3: {label} objects through boto3", file=sys.stderr)
        small_rows += bench_boto3(clients, label, size, body, shape)
        print(f"S3: {label} objects replayed by wrk", file=sys.stderr)
        replay_rows += bench_replay(clients, label, size, body, shape, work)
    # Beside `dd conv=fsync`, a Stratus that syncs what it acknowledges: an ephemeral one syncs nothing.
    durable = dataplane.start_stratus(stack, "Stratus, data dir", data_dir=os.path.join(work, "stratus-data"))
    clients["Stratus"] = s3_client(durable)
    clients["Stratus"].create_bucket(Bucket=BUCKET)
    label, size = shape.large
    print(f"S3: {label} objects through boto3 and curl, beside the disk", file=sys.stderr)
    large_rows = bench_large(clients, label, size, payload(size), shape, work)
    print(f"S3: Stratus's memory while a {shape.big[0]} object moves", file=sys.stderr)
    memory = bench_memory(durable, clients["Stratus"], shape.big[1], work)
    for m in memory:
        print(f"  {m.operation}: {m.before:.0f} MB before, {m.peak:.0f} MB peak, {m.after:.0f} MB after, {m.seconds:.1f} s", file=sys.stderr)
    return report(shape, small_rows, replay_rows, large_rows, memory)


# ---- report ----

def median_cell(values):
    return "n/a" if isinstance(values, Refusal) else harness.spread(values)


def large_table(rows: list[LargeRow]):
    lines = ["| workload | Stratus MB/s (median, spread) | moto MB/s | disk MB/s | disk measured by | Stratus / disk | target 0.5x met? |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    refusals = []
    for row in rows:
        stratus, moto = row.servers["Stratus"], row.servers["moto"]
        for who, cell in row.servers.items():
            if isinstance(cell, Refusal):
                refusals.append(f"- {row.name}: {who} n/a, {cell.reason}")
        share = statistics.median(stratus) / statistics.median(row.disk) if isinstance(stratus, list) else None
        lines.append(f"| {row.name} | {median_cell(stratus)} | {median_cell(moto)} | {harness.spread(row.disk)} | {REFERENCES[row.operation]} | "
                     f"{'n/a' if share is None else f'{share:.2f}x'} | {'n/a' if share is None else 'yes' if share >= 0.5 else 'no'} |")
    return "\n".join(lines + ([""] + refusals if refusals else [])) + "\n"


def is_flat(run: MemoryRun, size):
    return run.peak - run.before <= FLAT_SHARE * size / MB


def verdict(replay_rows, large_rows, memory, big_size):
    def meets(row):
        stratus, moto = row.cells["Stratus"], row.cells["moto"]
        return isinstance(stratus, Summary) and isinstance(moto, Summary) and stratus.rate >= 20 * moto.rate

    def half_disk(row):
        stratus = row.servers["Stratus"]
        return isinstance(stratus, list) and statistics.median(stratus) >= 0.5 * statistics.median(row.disk)

    def line(label, missed, of):
        return f"- {label}: " + ("met on every row." if not missed else f"missed or n/a on {len(missed)} of {of}: {'; '.join(missed)}.")

    return "\n".join([
        "Targets of issue #17:",
        "",
        line("small objects replayed, Stratus at least 20x moto's throughput", [r.name for r in replay_rows if not meets(r)], len(replay_rows)),
        line("large objects, Stratus at least half the disk's throughput", [r.name for r in large_rows if not half_disk(r)], len(large_rows)),
        "- Stratus's memory flat while the big object moves (peak within a tenth of the object above the RSS before): "
        + ", ".join(f"{m.operation} {'yes' if is_flat(m, big_size) else 'no'}" for m in memory) + ".",
    ]) + "\n"


def report(shape, small_rows, replay_rows, large_rows, memory):
    big_label, big_size = shape.big
    return [
        "### S3: Stratus beside moto's S3 and the disk",
        "",
        verdict(replay_rows, large_rows, memory, big_size),
        table("S3 small objects", small_rows + replay_rows, "Stratus", "moto", "ops/s",
              "PutObject and GetObject through boto3 (path-style, the SDK's default CRC32 checksums, a key per thread for PUTs, "
              "GETs read whole) on 1 or 16 threads sharing one client, and one signed request captured from boto3 replayed by wrk "
              "at 1 and 16 connections (the same PUT again overwrites one key). Subjects alternate round by round. "
              "Stratus runs ephemeral, as moto keeps nothing either: it stores every object in a file, unsynced (a data dir would "
              "sync each before answering); moto keeps them in memory."),
        f"### S3 {shape.large[0]} objects beside the disk",
        "",
        f"MB/s moved (connections x {shape.large[0]} / seconds until the last ends): through boto3 (threads sharing one client; boto3 "
        "hashes each body for its signature and checksum), and by curl to presigned URLs from and to files (the servers without "
        "boto3's cost), to a Stratus with a data dir (it syncs each object before answering, as `dd conv=fsync` does). "
        "The disk: the same bytes written by `dd conv=fsync` for PUT, and the written file copied by `dd` into another "
        "file for GET (curl's GET writes a file too), the same number at once, on the filesystem Stratus stores on. Two GETs, each "
        "with its own reference: of an object read once before (\"GetObject\": served from the page cache, beside a `dd` copy of a "
        "cached file), and of an object PUT just before it, untimed (\"GetObject just written\": Stratus writes large bodies past "
        "the page cache, so this GET reads the disk, beside a `dd` copy of a file dropped from the cache with "
        "`posix_fadvise(DONTNEED)`, read through the kernel's readahead). Subjects alternate round by round.",
        "",
        large_table(large_rows),
        f"### Stratus's memory while a {big_label} object moves",
        "",
        f"One PUT then one GET of a {big_label} object by curl on presigned URLs, streamed from and to a file; Stratus's VmRSS "
        "from /proc/PID/status before, sampled every 20 ms during (peak) and 1 s after.",
        "",
        "| operation | before MB | peak during MB | after MB | seconds | flat? |",
        "| --- | --- | --- | --- | --- | --- |",
        *[f"| {m.operation} {big_label} | {m.before:.0f} | {m.peak:.0f} | {m.after:.0f} | {m.seconds:.1f} | {'yes' if is_flat(m, big_size) else 'no'} |"
          for m in memory],
        "",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 MB instead of 100 MB, 256 MB instead of 1 GB, short rounds")
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "performance.md"), help="where to write the section")
    args = parser.parse_args()
    started, load_before = time.time(), load()
    lines = run(args.quick)
    command = "python3 bench/s3.py" + (" --quick" if args.quick else "")
    header = [f"Generated by `{command}` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, in "
              f"{time.time() - started:.0f} s. Machine: {machine()}; load average before the run: {load_before}"
              + (f", above the {os.cpu_count()} cores: the machine was loaded by other work, so the figures are direction only."
                 if float(load_before.split()[0]) > (os.cpu_count() or 1) else "."), ""]
    harness.write_section(args.output, "\n".join(lines[:2] + header + lines[2:]), SECTION)
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
