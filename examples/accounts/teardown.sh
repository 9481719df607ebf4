#!/usr/bin/env bash
# Removes everything deploy.sh created, in reverse order. Safe to run twice.
#   ./teardown.sh http://localhost:4566    (Stratus)      ./teardown.sh    (real AWS)
set -uo pipefail
ENDPOINT="${1:-}"
. "$(dirname "$0")/aws-target.sh"

say "API Gateway: deleting apigw-demo-cct"
for id in $(awsx apigateway get-rest-apis --query "items[?name==\`apigw-demo-cct\`].id" --output text 2>/dev/null); do
    awsx apigateway delete-rest-api --rest-api-id "$id"
done
for name in demo-cct-lambda-retrieve-accounts demo-cct-lambda-seed-db; do
    say "Lambda: deleting $name"
    awsx lambda delete-function --function-name "$name" >/dev/null 2>&1
    awsx logs delete-log-group --log-group-name "/aws/lambda/$name" 2>/dev/null
    awsx ecr delete-repository --repository-name "$name" --force >/dev/null 2>&1
done
say "IAM: deleting role-demo-cct"
for policy in AWSLambdaBasicExecutionRole AWSLambdaVPCAccessExecutionRole; do
    awsx iam detach-role-policy --role-name role-demo-cct --policy-arn "arn:aws:iam::aws:policy/service-role/$policy" 2>/dev/null
done
awsx iam delete-role --role-name role-demo-cct 2>/dev/null
say "RDS: deleting demo-cct-db"
if awsx rds delete-db-instance --db-instance-identifier demo-cct-db --skip-final-snapshot >/dev/null 2>&1; then
    awsx rds wait db-instance-deleted --db-instance-identifier demo-cct-db
fi
say "Done."
