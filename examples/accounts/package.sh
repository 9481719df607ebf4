#!/usr/bin/env bash
# Builds the accounts functions and packages them as one Lambda zip: build/accounts-functions.zip.
# Both functions ship in the same assembly; each Lambda names its own handler.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build"
mkdir -p "$out"
# Tests and benchmarks package while others deploy: one build at a time, and the zip is replaced whole,
# so a deployment reading it never sees half a file.
exec 9>"$out/.lock"
flock 9
# Tests, deployments and image builds read build/publish while others package: an unchanged build is kept, so
# it never vanishes under a reader; it is rebuilt only when a source changed after the last build.
stamp="$out/.published"
if [ ! -f "$stamp" ] || [ ! -d "$out/publish" ] || [ -n "$(find "$here/src" \( -name bin -o -name obj \) -prune -o -newer "$stamp" -print -quit)" ]; then
    rm -rf "$out/publish"
    dotnet publish "$here/src/Accounts.Functions" -c Release -o "$out/publish" --nologo -v quiet >&2
    touch "$stamp"
fi
python3 - "$out/publish" "$out/accounts-functions.zip.partial" <<'PY'
import os, sys, zipfile
root, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(folder, name)
            z.write(path, os.path.relpath(path, root))
PY
mv -f "$out/accounts-functions.zip.partial" "$out/accounts-functions.zip"
echo "$out/accounts-functions.zip"
