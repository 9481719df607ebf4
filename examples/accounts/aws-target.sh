# Sourced by deploy.sh and teardown.sh: where the aws CLI points. With ENDPOINT set (Stratus), every
# call gets --endpoint-url and dummy credentials unless real ones are set; without it, real AWS.
say() { printf '==> %s\n' "$*" >&2; }
awsx() {
    if [ -n "$ENDPOINT" ]; then aws --endpoint-url "$ENDPOINT" "$@"; else aws "$@"; fi
}
export AWS_PAGER=""
if [ -n "$ENDPOINT" ]; then
    export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
fi
REGION="${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}"
REGION="${REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$REGION"
