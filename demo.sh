#!/usr/bin/env bash
# Starts Stratus with the accounts demo deployed (the seed's whole system): installs MariaDB and
# bubblewrap if missing (as root), builds Stratus, and runs `stratus demo`, which prints the URL of the
# accounts page and keeps serving until Ctrl-C. Extra arguments go to `stratus demo` (see --help).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/prerequisites.sh
echo "==> Building Stratus (Release)"
dotnet build src/Stratus -c Release --nologo -v quiet
exec dotnet src/Stratus/bin/Release/net10.0/stratus.dll demo "$@"
