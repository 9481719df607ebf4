#!/usr/bin/env python3
"""Container images (issue #16), each figure beside its reference in the same run: skopeo pushing and pulling a
several-layer image to Stratus's ECR registry and to Debian's docker-registry (the CNCF distribution registry), the
cold start of an image function whose image is already unpacked beside a zip function's running the same runtime
client, and an image function's first start after the push (the unpack included).

bench.py runs it after the data plane; alone, for a smaller image or fewer rounds:
    python3 bench/images.py --size-mb 20 --rounds 2 --output /tmp/images.md
"""
import argparse
import base64
import contextlib
import datetime
import gzip
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

import dataplane
import harness
from harness import ROOT, TRUST, client, machine, spread, start_server

MB = 1024 * 1024
LAYERS = 4  # filler layers, beside the one holding busybox and the runtime client
SECTION = ("<!-- bench/images: begin -->", "<!-- bench/images: end -->")

# The same runtime client for the image and the zip function: static busybox's shell and wget, so the two cold starts
# differ only in how the environment is made (the image's own root against the machine's with the zip at /var/task).
RUNTIME_CLIENT = b"""#!/bin/busybox sh
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  /bin/busybox wget -q -S -O /tmp/event "$API/invocation/next" 2> /tmp/headers || exit 1
  ID=$(/bin/busybox sed -n 's/^ *[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p' /tmp/headers | /bin/busybox tr -d '\\r ')
  /bin/busybox wget -q -O /dev/null --post-file=/tmp/event "$API/invocation/$ID/response" || exit 1
done
"""


# ---- the image ----

def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MB), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def add_blob(blobs, path):
    """Moves a file into the layout's blobs by its digest; returns (digest, size)."""
    digest = sha256_file(path)
    size = os.path.getsize(path)
    os.replace(path, os.path.join(blobs, digest.split(":")[1]))
    return digest, size


def write_layer(blobs, work, fill):
    """A gzip layer written by fill(tar); returns its descriptor and diff_id (the uncompressed tar's digest)."""
    plain, packed = os.path.join(work, "layer.tar"), os.path.join(work, "layer.tar.gz")
    with tarfile.open(plain, "w", format=tarfile.PAX_FORMAT) as tar:
        fill(tar)
    diff_id = sha256_file(plain)
    with open(plain, "rb") as source, gzip.open(packed, "wb", compresslevel=1) as target:
        shutil.copyfileobj(source, target, MB)
    os.remove(plain)
    digest, size = add_blob(blobs, packed)
    return {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size}, diff_id


def add_file(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def build_image(layout, size_mb, tag="latest"):
    """An OCI layout of a FROM-scratch function image: busybox and the runtime client, then LAYERS layers of random
    (incompressible) files making up size_mb, so the compressed image is as large as its files."""
    blobs = os.path.join(layout, "blobs", "sha256")
    os.makedirs(blobs)
    work = tempfile.mkdtemp(prefix="stratus-bench-layer-")
    try:
        def base(tar):
            for directory in ("bin", "tmp"):
                info = tarfile.TarInfo(directory)
                info.type, info.mode = tarfile.DIRTYPE, 0o1777 if directory == "tmp" else 0o755
                tar.addfile(info)
            with open("/bin/busybox", "rb") as f:
                add_file(tar, "bin/busybox", f.read(), 0o755)
            add_file(tar, "bootstrap", RUNTIME_CLIENT, 0o755)

        def filler(index, size):
            def fill(tar):
                for part in range(0, size, 8 * MB):
                    add_file(tar, f"data/layer{index}/part{part // (8 * MB)}", os.urandom(min(8 * MB, size - part)))
            return fill

        layers = [write_layer(blobs, work, base)]
        per_layer = size_mb * MB // LAYERS
        layers += [write_layer(blobs, work, filler(i, per_layer)) for i in range(LAYERS)]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Entrypoint": ["/bootstrap"], "Env": ["PATH=/bin"], "WorkingDir": "/"},
                         "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in layers]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + hashlib.sha256(config).hexdigest(), "size": len(config)},
                           "layers": [descriptor for descriptor, _ in layers]}).encode()
    for blob in (config, manifest):
        with open(os.path.join(blobs, hashlib.sha256(blob).hexdigest()), "wb") as f:
            f.write(blob)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + hashlib.sha256(manifest).hexdigest(),
                                                      "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    return sum(descriptor["size"] for descriptor, _ in layers) / MB


# ---- registries ----

def start_docker_registry(stack, work):
    """Debian's docker-registry (distribution 2.8) on a free loopback port, storing under work."""
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not os.path.exists(binary):
        raise RuntimeError("docker-registry is not installed (scripts/prerequisites.sh --for-tests installs it)")
    config = os.path.join(work, "docker-registry.yml")
    # skopeo tries HTTPS first and keeps it where it answers: Stratus serves TLS on its one port, so it is measured
    # over TLS, and docker-registry is given a throwaway certificate so both are measured over the same protocol.
    certificate, key = os.path.join(work, "registry-cert.pem"), os.path.join(work, "registry-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)

    def argv(port):
        with open(config, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {os.path.join(work, 'docker-registry')}\n"
                    f"http:\n  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {certificate}\n    key: {key}\n")
        return [binary, "serve", config]

    registry = start_server("docker-registry", argv)
    stack.callback(registry.stop)
    return registry


def skopeo(*args):
    """skopeo with a blob-info cache of its own for this copy: with the shared one it remembers which repositories
    of a registry hold each blob and mounts them from there, so a second push would upload nothing. The cache lives
    under XDG_DATA_HOME when containers/image takes the process for a rootless one, which that variable tells it."""
    with tempfile.TemporaryDirectory(prefix="stratus-bench-skopeo-") as cache:
        environment = {**os.environ, "XDG_DATA_HOME": cache, "_CONTAINERS_ROOTLESS_UID": str(os.getuid() or 65534)}
        subprocess.run(["skopeo", "--insecure-policy", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment)


def cpu_seconds(pid):
    """User and system CPU a process has used so far (/proc/PID/stat): on a shared machine a server's work per copy,
    which others' load disturbs far less than the copy's wall time."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Registry:
    """Where skopeo pushes: a host:port, the credentials it needs, how a new repository is made, and the server's
    process, whose CPU seconds each measured copy records in cpu["push"] or cpu["pull"]."""

    def __init__(self, host, credentials, create, pid):
        self.host, self.credentials, self.create, self.pid = host, credentials, create, pid
        self.cpu = {"push": [], "pull": []}

    def push(self, layout, repository):
        self.create(repository)
        return self.measured("push", lambda: skopeo("copy", "--dest-tls-verify=false", *self.flag("--dest-creds"), f"oci:{layout}:latest",
                                                    f"docker://{self.host}/{repository}:latest"))

    def pull(self, repository, target):
        shutil.rmtree(target, ignore_errors=True)
        elapsed = self.measured("pull", lambda: skopeo("copy", "--src-tls-verify=false", *self.flag("--src-creds"),
                                                       f"docker://{self.host}/{repository}:latest", f"oci:{target}:latest"))
        shutil.rmtree(target, ignore_errors=True)
        return elapsed

    def measured(self, operation, copy):
        cpu_before = cpu_seconds(self.pid)
        elapsed = dataplane.timed(copy)[0]
        self.cpu[operation].append(cpu_seconds(self.pid) - cpu_before)
        return elapsed

    def flag(self, name):
        return [name, self.credentials] if self.credentials else []


# ---- measuring ----

def run(quick, size_mb=None, rounds=None):
    """Measures everything below and returns the markdown for the performance page."""
    size_mb = size_mb or (20 if quick else 200)
    rounds = rounds or (2 if quick else 3)
    work = tempfile.mkdtemp(prefix="stratus-bench-images-")
    try:
        with contextlib.ExitStack() as stack:
            return measure(stack, work, size_mb, rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(stack, work, size_mb, rounds):
    print(f"Images: building a {size_mb} MB image", file=sys.stderr)
    layout = os.path.join(work, "layout")
    compressed_mb = build_image(layout, size_mb)
    stratus = dataplane.start_stratus(stack, "Stratus")
    ecr = client(stratus, "ecr")
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    credentials = base64.b64decode(token).decode()  # AWS:PASSWORD, as skopeo's --creds takes it
    reference = start_docker_registry(stack, work)
    registries = {
        "Stratus": Registry(f"127.0.0.1:{stratus.port}", credentials, lambda name: ecr.create_repository(repositoryName=name), stratus.process.pid),
        "docker-registry": Registry(f"127.0.0.1:{reference.port}", None, lambda name: None, reference.process.pid),
    }

    print("Images: skopeo push and pull", file=sys.stderr)
    pushes, pulls = {name: [] for name in registries}, {name: [] for name in registries}
    for name, registry in registries.items():
        # A warm-up push and pull each, not measured: connections, JIT and the registries' first writes.
        registry.push(layout, "bench/warmup")
        registry.pull("bench/warmup", os.path.join(work, "pulled"))
    for registry in registries.values():
        registry.cpu = {"push": [], "pull": []}
    for round_ in range(rounds):
        # Alternately, each round to a new repository, so every blob is uploaded again.
        for name, registry in registries.items():
            pushes[name].append(registry.push(layout, f"bench/push{round_}"))
        for name, registry in registries.items():
            pulls[name].append(registry.pull(f"bench/push{round_}", os.path.join(work, "pulled")))
    print("  push " + ", ".join(f"{k} {statistics.median(v):.1f} s" for k, v in pushes.items())
          + "; pull " + ", ".join(f"{k} {statistics.median(v):.1f} s" for k, v in pulls.items()), file=sys.stderr)

    print("Images: first start after the push, then cold starts beside a zip function", file=sys.stderr)
    lam, iam = client(stratus, "lambda"), client(stratus, "iam")
    role = iam.create_role(RoleName="bench-images", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    image_uri = f"127.0.0.1:{stratus.port}/bench/push0:latest"
    first_starts = []
    for round_ in range(rounds):
        # Deleting the function releases its unpacked image, so each round unpacks it again.
        started = time.perf_counter()
        lam.create_function(FunctionName="first-start", PackageType="Image", Code={"ImageUri": image_uri}, Role=role, MemorySize=512)
        dataplane.wait_for(lambda: lam.get_function_configuration(FunctionName="first-start")["State"] == "Active", "the image function to be active")
        active = time.perf_counter() - started
        dataplane.post(dataplane.invoke_url(stratus, "first-start"), dataplane.PAYLOAD)
        first_starts.append((active, time.perf_counter() - started))
        lam.delete_function(FunctionName="first-start")
    print("  first start " + spread([total for _, total in first_starts], 1) + " s", file=sys.stderr)

    lam.create_function(FunctionName="cold-image", PackageType="Image", Code={"ImageUri": image_uri}, Role=role, MemorySize=512)
    dataplane.wait_for(lambda: lam.get_function_configuration(FunctionName="cold-image")["State"] == "Active", "the image function to be active")
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        entry = zipfile.ZipInfo("bootstrap")
        entry.external_attr = 0o755 << 16
        archive.writestr(entry, RUNTIME_CLIENT)
    dataplane.create_function(stratus, "cold-zip", "provided.al2023", "bootstrap.handler", package.getvalue())
    for name in ("cold-image", "cold-zip"):
        dataplane.post(dataplane.invoke_url(stratus, name), dataplane.PAYLOAD)
    cold = dataplane.alternate_and_log({
        "image": lambda: dataplane.stratus_cold_start(stratus, "cold-image"),
        "zip": lambda: dataplane.stratus_cold_start(stratus, "cold-zip")}, max(rounds, 5))
    cpu = {name: registry.cpu for name, registry in registries.items()}
    return report(size_mb, compressed_mb, rounds, pushes, pulls, cpu, first_starts, cold)


def report(size_mb, compressed_mb, rounds, pushes, pulls, cpu, first_starts, cold):
    def ratio(a, b):
        return f"{statistics.median(a) / statistics.median(b):.2f}x"

    return [
        "### Container images: Stratus's registry and image functions",
        "",
        f"An image of {size_mb} MB of files ({compressed_mb:.0f} MB compressed, {LAYERS + 1} gzip layers: busybox with a shell runtime "
        f"client, then {LAYERS} layers of random data), built as an OCI layout. skopeo copies it to a new repository of each "
        f"registry and back to a fresh OCI layout, alternately, {rounds} round(s) after an unmeasured warm-up push and pull each; Stratus with its password, docker-registry "
        "(Debian's, distribution 2.8, filesystem storage) without one, both over TLS (skopeo uses HTTPS where a registry answers it; Stratus serves it on its one port, docker-registry with a throwaway self-signed certificate) on loopback on the same disk.",
        "",
        "| workload | Stratus s (median, spread) | docker-registry s | Stratus / docker-registry (under 1: Stratus faster) |",
        "| --- | --- | --- | --- |",
        f"| skopeo push, {compressed_mb:.0f} MB | {spread(pushes['Stratus'], 2)} | {spread(pushes['docker-registry'], 2)} | {ratio(pushes['Stratus'], pushes['docker-registry'])} |",
        f"| skopeo pull, {compressed_mb:.0f} MB | {spread(pulls['Stratus'], 2)} | {spread(pulls['docker-registry'], 2)} | {ratio(pulls['Stratus'], pulls['docker-registry'])} |",
        "",
        "The servers' own CPU (user + system seconds of the process, from /proc, per copy): the work each does, which the "
        "machine's other load disturbs far less than the wall times above.",
        "",
        "| workload | Stratus CPU s (median, spread) | docker-registry CPU s | Stratus / docker-registry |",
        "| --- | --- | --- | --- |",
        *(f"| skopeo {operation}, {compressed_mb:.0f} MB | {spread(cpu['Stratus'][operation], 2)} | {spread(cpu['docker-registry'][operation], 2)} | "
          f"{ratio(cpu['Stratus'][operation], cpu['docker-registry'][operation])} |" for operation in ("push", "pull")),
        "",
        "Image function cold start (image already unpacked) beside a zip function (`provided.al2023`) running the same "
        "busybox runtime client, alternately in one Stratus: a changed configuration retires the warm environment, the next "
        "Invoke starts one and is timed to its response. First start after the push: `CreateFunction` from the pushed image "
        f"to `Active` (the unpack of all {LAYERS + 1} layers) and to the first Invoke's response, the function deleted between "
        "rounds so each round unpacks again.",
        "",
        "| workload | image function ms (median, spread) | zip function ms | image / zip |",
        "| --- | --- | --- | --- |",
        f"| cold start, image unpacked | {spread(cold['image'])} | {spread(cold['zip'])} | {ratio(cold['image'], cold['zip'])} |",
        "",
        "| first start after push | to Active s (median, spread) | to first response s |",
        "| --- | --- | --- |",
        f"| {size_mb} MB image | {spread([a for a, _ in first_starts], 2)} | {spread([t for _, t in first_starts], 2)} |",
        "",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200, help="the image's files in MB (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each comparison (default 3)")
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "performance.md"), help="where to write the section")
    args = parser.parse_args()
    dataplane.ensure_built()
    started, load_before = time.time(), load()
    lines = run(False, args.size_mb, args.rounds)
    command = f"python3 bench/images.py --size-mb {args.size_mb} --rounds {args.rounds}"
    header = [f"Generated by `{command}` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, in "
              f"{time.time() - started:.0f} s. Machine: {machine()}; load average before the run: {load_before}"
              + (f", above the {os.cpu_count()} cores: the machine was loaded by other work, so the figures are direction only." if float(load_before.split()[0]) > (os.cpu_count() or 1) else "."), ""]
    harness.write_section(args.output, "\n".join(lines[:2] + header + lines[2:]), SECTION)
    print(f"wrote {args.output}", file=sys.stderr)


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


if __name__ == "__main__":
    main()
