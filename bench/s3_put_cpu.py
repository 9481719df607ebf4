#!/usr/bin/env python3
"""Server CPU seconds per 100 MB PutObject (issue #17), one or more Stratus builds side by side, beside `dd conv=fsync`
of the same bytes. On a shared machine a PUT's wall time follows the CPU share the server gets, so the CPU it spends
(utime + stime from /proc/PID/stat, read before and after each PUT) is the figure the load distorts least.

    python3 bench/s3_put_cpu.py BEFORE/stratus.dll AFTER/stratus.dll [--puts 5] [--size-mb 100] [--connections 16] [--ways curl]

Each build answers, alternated PUT by PUT: curl to a presigned URL (the server computes MD5 only); the same bytes as an
aws-chunked body in 64 KB chunks with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER, what the SDKs send by
default over HTTPS) by curl to a presigned URL; and boto3's put_object over plain HTTP, where botocore signs the
payload (the server checks its SHA-256) and sends its default CRC32 in a header.
dd's own CPU (its children's rusage) for the same bytes written with fsync on the filesystem the builds store on.
--connections N sends N such PUTs at once (to N keys) for each measurement and reports the server CPU per PUT (the CPU
over all N divided by N) and MB/s over all N; --ways keeps only the ways whose name holds that text.
"""
import argparse
import base64
import concurrent.futures
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zlib

import compare_builds
import s3 as s3bench
from images import cpu_seconds

MB = 1024 * 1024


def measured(pid, action, connections=1):
    """(wall seconds, CPU seconds of pid per PUT) of `connections` actions at once, action(i) for i in range(connections)."""
    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        cpu, start = cpu_seconds(pid), time.perf_counter()
        for done in [pool.submit(action, i) for i in range(connections)]:
            done.result()
        return time.perf_counter() - start, (cpu_seconds(pid) - cpu) / connections


def settle(pid, timeout=60):
    """Waits until a fresh server's own CPU use dies down: for a minute after start .NET's tiered JIT recompiles hot
    methods on a background thread, CPU that would be counted against the first PUTs measured."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        before = cpu_seconds(pid)
        time.sleep(1)
        if cpu_seconds(pid) - before < 0.02:
            return


def aws_chunked(source, target, chunk=64 * 1024):
    """The source as an SDK streams it with a trailing checksum: hex-size lines, the chunks, the final empty chunk, the
    CRC32 trailer (base64 of the big-endian digest)."""
    crc = 0
    with open(source, "rb") as data, open(target, "wb") as body:
        while block := data.read(chunk):
            crc = zlib.crc32(block, crc)
            body.write(b"%x\r\n" % len(block) + block + b"\r\n")
        body.write(b"0\r\nx-amz-checksum-crc32:" + base64.b64encode(crc.to_bytes(4, "big")) + b"\r\n\r\n")


def dd_fsync(source, target):
    """(wall seconds, dd's CPU seconds) of writing source to target with one fsync at the end, as a PUT answers."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(["dd", f"if={source}", f"of={target}", "bs=1M", "conv=fsync"], check=True, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.remove(target)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dlls", nargs="+")
    parser.add_argument("--puts", type=int, default=5)
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--ways", default="", help="only the ways whose name holds this text")
    args = parser.parse_args()
    size = args.size_mb * MB
    work = tempfile.mkdtemp(prefix="stratus-put-cpu-")
    source = os.path.join(work, "source")
    with open(source, "wb") as file:
        file.write(os.urandom(size))
    with open(source, "rb") as file:
        body = file.read()
    chunked = os.path.join(work, "chunked")
    aws_chunked(source, chunked)
    chunked_headers = [f"x-amz-decoded-content-length: {size}", "Content-Encoding: aws-chunked",
                       "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-trailer: x-amz-checksum-crc32"]
    results = {}
    with contextlib.ExitStack() as stack:
        builds = {}
        for i, dll in enumerate(args.dlls):
            server = compare_builds.start_build(stack, f"build {i + 1}", dll)
            client = s3bench.s3_client(server)
            client.create_bucket(Bucket=s3bench.BUCKET)
            builds[f"{i + 1}: {dll}"] = (server.process.pid, client)
        ways = {
            "curl, presigned URL": lambda client, key: subprocess.run(
                ["curl", "-sSf", "-T", source, client.generate_presigned_url("put_object", Params={"Bucket": s3bench.BUCKET, "Key": key})],
                check=True, stdout=subprocess.DEVNULL),
            "curl, aws-chunked CRC32": lambda client, key: subprocess.run(
                ["curl", "-sSf", "-T", chunked, *(arg for header in chunked_headers for arg in ("-H", header)),
                 client.generate_presigned_url("put_object", Params={"Bucket": s3bench.BUCKET, "Key": key})],
                check=True, stdout=subprocess.DEVNULL),
            "boto3, SHA-256 + CRC32": lambda client, key: client.put_object(Bucket=s3bench.BUCKET, Key=key, Body=body),
        }
        ways = {way: put for way, put in ways.items() if args.ways in way}
        for name, (pid, client) in builds.items():
            for way, put in ways.items():
                for _ in range(3):
                    put(client, "warmup")
        for pid, _ in builds.values():
            settle(pid)
        for round_ in range(args.puts):
            for way, put in ways.items():
                for name, (pid, client) in builds.items():
                    results.setdefault((name, way), []).append(measured(pid, lambda i: put(client, f"put-{round_}-{i}"), args.connections))
            results.setdefault(("dd conv=fsync", ""), []).append(dd_fsync(source, os.path.join(work, "dd-target")))
    os.remove(source)
    os.remove(chunked)
    os.rmdir(work)
    print(f"{args.size_mb} MB, {args.puts} x {args.connections} at once each, load average after {os.getloadavg()}")
    for (name, way), samples in results.items():
        walls, cpus = [w for w, _ in samples], [c for _, c in samples]
        print(f"{name:40s} {way:24s} wall {statistics.median(walls):5.2f} s ({args.size_mb * (1 if name.startswith('dd') else args.connections) / statistics.median(walls):4.0f} MB/s)"
              f"  CPU per PUT {statistics.median(cpus):5.2f} s (min {min(cpus):.2f}, max {max(cpus):.2f})")


if __name__ == "__main__":
    sys.exit(main())
