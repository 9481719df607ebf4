#!/usr/bin/env python3
"""One 100 MB GetObject stream (issue #17) from one or more Stratus builds side by side, beside what bounds it on this
machine: the same bytes sent over loopback by a trivial server (one sendfile(2) of a cached file, no HTTP stack) and
read by `dd` from the page cache and from the disk. Each GET by curl into a file (as bench/s3.py measures) and into
/dev/null (the stream without the client's file write), of an object read once before (in the page cache) and of one
PUT just before it, untimed (Stratus writes large bodies past the page cache, so that GET reads the disk); the server's
CPU (utime + stime from /proc) per GET. Everything alternates round by round, so a loaded machine shifts all alike.

    python3 bench/s3_get_stream.py BEFORE/stratus.dll AFTER/stratus.dll [--rounds 5] [--size-mb 100]
"""
import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import compare_builds
import s3 as s3bench
from s3_put_cpu import measured, settle

MB = 1024 * 1024


def replaced(target):
    """Removes a file written before, so that each copy allocates new page-cache pages, as a first download does (truncating
    one just written would hand its freed pages straight back)."""
    if target != os.devnull:
        with contextlib.suppress(FileNotFoundError):
            os.remove(target)
    return target


def curl_get(url, target):
    replaced(target)
    subprocess.run(["curl", "-sSf", "-o", target, url], check=True)


def trivial_server(path):
    """A loopback HTTP server that answers every request with the file, by one sendfile(2): the ceiling for one stream
    into curl on this machine. Returns its URL; its thread ends with the script."""
    listener = socket.create_server(("127.0.0.1", 0))
    size = os.path.getsize(path)

    def answer(connection):
        with connection, open(path, "rb") as file:
            request = b""
            while b"\r\n\r\n" not in request:
                if not (received := connection.recv(65536)):
                    return
                request += received
            connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n".encode())
            connection.sendfile(file)

    def serve():
        while True:
            connection, _ = listener.accept()
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/"


def dd(source, target, *flags):
    replaced(target)
    subprocess.run(["dd", f"if={source}", f"of={target}", "bs=1M", *flags], check=True, stderr=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dlls", nargs="+")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size-mb", type=int, default=100)
    args = parser.parse_args()
    size = args.size_mb * MB
    work = tempfile.mkdtemp(prefix="stratus-get-stream-")
    source, received = os.path.join(work, "source"), os.path.join(work, "received")
    with open(source, "wb") as file:
        file.write(os.urandom(size))
    # The disk's copy: fsynced, so that dropping it from the page cache leaves nothing unwritten.
    on_disk = os.path.join(work, "on-disk")
    dd(source, on_disk, "conv=fsync")
    results = {}

    def record(name, wall, cpu=None):
        results.setdefault(name, []).append((wall, cpu))

    with contextlib.ExitStack() as stack:
        builds = {}
        for i, dll in enumerate(args.dlls):
            server = compare_builds.start_build(stack, f"build {i + 1}", dll)
            client = s3bench.s3_client(server)
            client.create_bucket(Bucket=s3bench.BUCKET)
            client.put_object(Bucket=s3bench.BUCKET, Key="read-before", Body=open(source, "rb"))
            builds[f"build {i + 1}"] = (server.process.pid, client)
        for pid, client in builds.values():
            for _ in range(2):
                curl_get(client.generate_presigned_url("get_object", Params={"Bucket": s3bench.BUCKET, "Key": "read-before"}), os.devnull)
            settle(pid)
        trivial = trivial_server(source)
        for round_ in range(args.rounds):
            for target, into in ((received, "file"), (os.devnull, "/dev/null")):
                for name, (pid, client) in builds.items():
                    def url(key, client=client):
                        return client.generate_presigned_url("get_object", Params={"Bucket": s3bench.BUCKET, "Key": key})
                    record(f"{name} GET read before -> {into}", *measured(pid, lambda _: curl_get(url("read-before"), target)))
                    fresh = f"fresh-{round_}-{into}"
                    subprocess.run(["curl", "-sSf", "-T", source, client.generate_presigned_url("put_object", Params={"Bucket": s3bench.BUCKET, "Key": fresh})],
                                   check=True, stdout=subprocess.DEVNULL)
                    record(f"{name} GET just written -> {into}", *measured(pid, lambda _: curl_get(url(fresh), target)))
                    client.delete_object(Bucket=s3bench.BUCKET, Key=fresh)
                started = time.perf_counter()
                curl_get(trivial, target)
                record(f"trivial server, sendfile of a cached file -> {into}", time.perf_counter() - started)
            for name, flags, cached in (("dd copy of a cached file -> file", (), True), ("dd copy of an uncached file -> file", (), False),
                                        ("dd iflag=direct copy -> file", ("iflag=direct",), False)):
                if cached:
                    dd(on_disk, os.devnull)
                else:
                    # Written just before, as the GET of a just-written object reads what its PUT wrote.
                    dd(source, on_disk, "conv=fsync")
                    s3bench.drop_from_page_cache(on_disk)
                started = time.perf_counter()
                dd(on_disk, received, *flags)
                record(name, time.perf_counter() - started)
            replaced(received)
    for path in (source, on_disk):
        os.remove(path)
    os.rmdir(work)
    print(f"{args.size_mb} MB, {args.rounds} rounds, load average after {os.getloadavg()}")
    for name, samples in results.items():
        walls = [wall for wall, _ in samples]
        cpus = [cpu for _, cpu in samples if cpu is not None]
        print(f"{name:58s} {args.size_mb / statistics.median(walls):6.0f} MB/s (median of {len(walls)}, "
              f"{args.size_mb / max(walls):.0f}-{args.size_mb / min(walls):.0f})"
              + (f"  server CPU {statistics.median(cpus):.3f} s" if cpus else ""))


if __name__ == "__main__":
    sys.exit(main())
