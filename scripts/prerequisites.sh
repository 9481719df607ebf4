#!/usr/bin/env bash
# Installs what Stratus uses from the system: MariaDB (RDS instances are real mariadbd processes, snapshotted
# online with mariadb-backup) and
# bubblewrap (function sandboxes). With --for-tests, also what the tests use: PostgreSQL (postgres RDS instances,
# which Stratus runs when it is installed), wrk (benchmarks),
# Debian's aws CLI v2 (at /usr/bin/aws, beside the v1 CLI on PATH), Chromium (the console's browser
# test), skopeo and docker.io (push images to ECR's registry; the docker test starts its own dockerd)
# busybox-static (the seed-images acceptance script builds its image from /bin/busybox), buildah and
# podman (build from a Dockerfile and push without a daemon) and docker-registry (the registry that
# bench/run measures Stratus's registry beside).
# Idempotent; installing needs root.
set -euo pipefail

missing=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v mariadb-backup >/dev/null 2>&1 || [ -x /usr/bin/mariadb-backup ] || missing+=(mariadb-backup)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
if [ "${1:-}" = --for-tests ]; then
    compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    [ -x /usr/bin/aws ] || missing+=(awscli)
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
    [ -x /usr/bin/dockerd ] || [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
    [ -x /bin/busybox ] || missing+=(busybox-static)
    command -v buildah >/dev/null 2>&1 || missing+=(buildah)
    command -v podman >/dev/null 2>&1 || missing+=(podman)
    [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "prerequisites: missing ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "prerequisites: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Debian starts a system MariaDB on install where it can; Stratus runs its own, so keep the port free. (A system
# PostgreSQL may stay: it listens on 127.0.0.1 and ::1, and postgres instances take 127.0.0.2 upward.)
if pgrep -x mariadbd >/dev/null 2>&1 && [ -f /run/mysqld/mysqld.pid ]; then
    service mariadb stop >/dev/null 2>&1 || true
fi
