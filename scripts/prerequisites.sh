#!/usr/bin/env bash
# Installs what Stratus and its tests use from the system: MariaDB (RDS instances are real mariadbd
# processes), bubblewrap (function sandboxes), wrk (benchmarks), Debian's aws CLI v2 (at /usr/bin/aws;
# tests use it beside the v1 CLI on PATH) and Chromium (the console's browser test). Idempotent; needs
# root to install.
set -euo pipefail

missing=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ -x /usr/bin/aws ] || missing+=(awscli)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "prerequisites: missing ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "prerequisites: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Debian starts a system MariaDB on install where it can; Stratus runs its own, so keep the port free.
if pgrep -x mariadbd >/dev/null 2>&1 && ! pgrep -f "stratus" >/dev/null 2>&1; then
    service mariadb stop >/dev/null 2>&1 || true
fi
