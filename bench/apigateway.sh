#!/usr/bin/env bash
# API Gateway data-plane benchmark: requests/s and p50/p99 latency of GET, side by side in one run:
#   bare    Stratus's health endpoint: Kestrel and routing with no service work (the floor)
#   mock    a stage method with a MOCK integration and a response mapping template
#   proxy   a stage method with an AWS_PROXY integration to a warm function
#   invoke  the same function through Lambda's Invoke API, without API Gateway
# Usage: bench/apigateway.sh            (DURATION=10s CONNECTIONS=16 THREADS=2 to change the load)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
DLL=src/Stratus/bin/Release/net10.0/stratus.dll
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

dotnet build src/Stratus -c Release -v quiet -nologo >/dev/null
dotnet "$DLL" start --port 0 --ephemeral >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    URL=$(sed -n 's/^Stratus ready on //p' "$WORK/server.log")
    [ -n "$URL" ] && break
    sleep 0.2
done
[ -n "${URL:-}" ] || { echo "Stratus did not start:"; cat "$WORK/server.log"; exit 1; }

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
aws_() { aws --endpoint-url "$URL" "$@"; }

API=$(aws_ apigateway create-rest-api --name bench --query id --output text)
ROOT=$(aws_ apigateway get-resources --rest-api-id "$API" --query "items[0].id" --output text)
MOCK=$(aws_ apigateway create-resource --rest-api-id "$API" --parent-id "$ROOT" --path-part mock --query id --output text)
aws_ apigateway put-method --rest-api-id "$API" --resource-id "$MOCK" --http-method GET --authorization-type NONE >/dev/null
aws_ apigateway put-method-response --rest-api-id "$API" --resource-id "$MOCK" --http-method GET --status-code 200 >/dev/null
aws_ apigateway put-integration --rest-api-id "$API" --resource-id "$MOCK" --http-method GET --type MOCK \
    --request-templates '{"application/json": "{\"statusCode\": 200}"}' >/dev/null
aws_ apigateway put-integration-response --rest-api-id "$API" --resource-id "$MOCK" --http-method GET --status-code 200 \
    --response-templates '{"application/json": "{\"stage\": \"$context.stage\", \"id\": \"$context.requestId\"}"}' >/dev/null

FUNCTION=bench-proxy
cat >"$WORK/handler.py" <<'PY'
def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}
PY
(cd "$WORK" && python3 -c "import zipfile; z = zipfile.ZipFile('fn.zip', 'w'); z.write('handler.py'); z.close()")
aws_ iam create-role --role-name bench --assume-role-policy-document \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' >/dev/null
aws_ lambda create-function --function-name "$FUNCTION" --runtime python3.12 --handler handler.handler \
    --role arn:aws:iam::000000000000:role/bench --zip-file "fileb://$WORK/fn.zip" >/dev/null
aws_ lambda wait function-active --function-name "$FUNCTION"
aws_ lambda add-permission --function-name "$FUNCTION" --statement-id apigw --action lambda:InvokeFunction \
    --principal apigateway.amazonaws.com >/dev/null
ARN=$(aws_ lambda get-function --function-name "$FUNCTION" --query Configuration.FunctionArn --output text)
PROXY=$(aws_ apigateway create-resource --rest-api-id "$API" --parent-id "$ROOT" --path-part proxy --query id --output text)
aws_ apigateway put-method --rest-api-id "$API" --resource-id "$PROXY" --http-method GET --authorization-type NONE >/dev/null
aws_ apigateway put-integration --rest-api-id "$API" --resource-id "$PROXY" --http-method GET --type AWS_PROXY \
    --integration-http-method POST --uri "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/$ARN/invocations" >/dev/null
aws_ apigateway create-deployment --rest-api-id "$API" --stage-name bench >/dev/null
STAGE="$URL/restapis/$API/bench/_user_request_"

cat >"$WORK/invoke.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
LUA

# Prints one markdown row: name, requests/s, p50, p99, non-2xx responses.
measure() {
    local name=$1 url=$2; shift 2
    wrk -t1 -c1 -d1s "$@" "$url" >/dev/null   # warm-up: JIT, connection pools, a warm function
    local out
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION per row; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| endpoint | requests/s | p50 | p99 | non-2xx |"
echo "| --- | --- | --- | --- | --- |"
measure "bare (health endpoint)" "$URL/_stratus/health"
measure "API Gateway MOCK" "$STAGE/mock"
measure "API Gateway AWS_PROXY" "$STAGE/proxy"
measure "Lambda Invoke" "$URL/2015-03-31/functions/$FUNCTION/invocations" -s "$WORK/invoke.lua"
