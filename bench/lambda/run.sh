#!/usr/bin/env bash
# Lambda benchmark: warm invoke latency/throughput, cold starts and memory of a dotnet10 echo function,
# measured against a running Release Stratus. Results go to stdout as markdown rows (see docs/performance.md).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PORT="${PORT:-4711}"
dotnet build -c Release "$ROOT/src/Stratus" -v q -nologo >/dev/null
dotnet build -c Release "$ROOT/tests/Functions/DotnetFunctions" -v q -nologo >/dev/null
DATA="$(mktemp -d)"
dotnet "$ROOT/src/Stratus/bin/Release/net10.0/stratus.dll" start --port "$PORT" --ephemeral >"$DATA/stratus.log" 2>&1 &
STRATUS_PID=$!
trap 'kill $STRATUS_PID; wait $STRATUS_PID 2>/dev/null; rm -rf "$DATA"' EXIT
until grep -q "Stratus ready" "$DATA/stratus.log"; do sleep 0.2; done
URL="http://127.0.0.1:$PORT"
python3 "$(dirname "$0")/measure.py" "$URL" "$ROOT/tests/Functions/DotnetFunctions/bin/Release/net10.0" "$STRATUS_PID"
