#!/usr/bin/env bash
# The seed tutorial's walkthrough with the aws CLI, in its order and with its names: the RDS database,
# the IAM role, the seeding and accounts Lambdas, and the API Gateway REST API with stage demo-cct.
#
#   ./deploy.sh http://localhost:4566    against Stratus: functions are container images in its ECR when docker,
#                                        podman or buildah can build them (images.sh), else a zip (no Docker needed)
#   ./deploy.sh                          against real AWS: functions are container images in ECR, as in the seed
#
# Prints the stage URL on the last line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ENDPOINT="${1:-}"

. "$(dirname "$0")/aws-target.sh"
. "$(dirname "$0")/images.sh"

TAGS="Key=Environment,Value=demo-cct-paas"
SEED_LAMBDA=demo-cct-lambda-seed-db
ACCOUNTS_LAMBDA=demo-cct-lambda-retrieve-accounts

## RDS
MYSQL_PORT=3306
MYSQL_DATABASE=accounts
MYSQL_MASTER_USERNAME=democct
MYSQL_MASTER_PASSWORD=demo-cct-password
say "RDS: creating the MySQL instance demo-cct-db"
awsx rds create-db-instance \
    --db-name "$MYSQL_DATABASE" \
    --db-instance-identifier demo-cct-db \
    --db-instance-class db.t3.small \
    --port "$MYSQL_PORT" \
    --engine mysql \
    --no-publicly-accessible \
    --master-username "$MYSQL_MASTER_USERNAME" \
    --tags "$TAGS" \
    --master-user-password "$MYSQL_MASTER_PASSWORD" \
    --allocated-storage 20 >/dev/null
say "RDS: waiting for demo-cct-db to be available"
awsx rds wait db-instance-available --db-instance-identifier demo-cct-db
DB_ENDPOINT="$(awsx rds describe-db-instances \
    --db-instance-identifier "demo-cct-db" \
    --query "DBInstances[0].Endpoint.Address" \
    --output text)"
say "RDS: endpoint $DB_ENDPOINT:$MYSQL_PORT"

## Function code
ACCOUNT_ID="$(awsx sts get-caller-identity --query Account --output text)"
IMAGE_CLIENT="$(image_client)"
if [ -z "$IMAGE_CLIENT" ]; then
    say "Lambda: packaging the functions as a zip"
    ZIP="$("$here/package.sh")"
else
    # ---- image path (images.sh): publish, then build and push one image per function ----
    "$here/package.sh" >/dev/null
    for name in "$SEED_LAMBDA" "$ACCOUNTS_LAMBDA"; do build_and_push_image "$IMAGE_CLIENT" "$name"; done
fi

## IAM
say "IAM: creating role-demo-cct"
awsx iam create-role \
    --role-name role-demo-cct \
    --tags "$TAGS" \
    --assume-role-policy-document '{
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "Service": "lambda.amazonaws.com"
                },
                "Action": "sts:AssumeRole"
            }
        ]
    }' >/dev/null
awsx iam attach-role-policy \
    --role-name role-demo-cct \
    --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
# necessary because the lambda is connected to a VPC
awsx iam attach-role-policy \
    --role-name role-demo-cct \
    --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole
ROLE_ARN="$(awsx iam list-roles \
    --query "Roles[?RoleName==\`role-demo-cct\`].Arn" \
    --output text)"
# A new role takes a few seconds to be assumable by Lambda on AWS.
[ -n "$ENDPOINT" ] || sleep 10

## Lambda
SUBNET_IDS="$(awsx rds describe-db-instances \
    --db-instance-identifier demo-cct-db \
    --query "DBInstances[0].DBSubnetGroup.Subnets[*].SubnetIdentifier" \
    --output json)"
SEC_GROUP_IDS="$(awsx rds describe-db-instances \
    --db-instance-identifier demo-cct-db \
    --query "DBInstances[0].VpcSecurityGroups[*].VpcSecurityGroupId" \
    --output json)"
ENVIRONMENT="{\"Variables\":{\"MYSQL_HOST\":\"$DB_ENDPOINT\",\"MYSQL_USER\":\"$MYSQL_MASTER_USERNAME\",\"MYSQL_PASSWORD\":\"$MYSQL_MASTER_PASSWORD\",\"MYSQL_DATABASE\":\"$MYSQL_DATABASE\",\"MYSQL_PORT\":\"$MYSQL_PORT\"}}"
VPC_CONFIG="{\"SubnetIds\":$SUBNET_IDS,\"SecurityGroupIds\":$SEC_GROUP_IDS}"

create_function() {
    local name="$1" handler="$2"
    say "Lambda: creating $name"
    if [ -z "$IMAGE_CLIENT" ]; then
        awsx lambda create-function --function-name "$name" \
            --runtime dotnet10 --handler "$handler" --memory-size 512 \
            --zip-file "fileb://$ZIP" \
            --environment "$ENVIRONMENT" --vpc-config "$VPC_CONFIG" \
            --timeout 30 --tags Environment=demo-cct-paas --role "$ROLE_ARN" >/dev/null
    else
        local repository
        repository="$(awsx ecr describe-repositories --repository-names "$name" --query "repositories[0].repositoryUri" --output text)"
        awsx lambda create-function --function-name "$name" \
            --package-type Image --code "ImageUri=$repository:latest" \
            --environment "$ENVIRONMENT" --vpc-config "$VPC_CONFIG" \
            --timeout 30 --tags Environment=demo-cct-paas --role "$ROLE_ARN" >/dev/null
    fi
    awsx lambda wait function-active --function-name "$name"
}

create_function "$SEED_LAMBDA" "Accounts.Functions::Accounts.Functions.SeedDb::HandleAsync"
say "Lambda: seeding the database"
response="$(mktemp)"
awsx lambda invoke --function-name "$SEED_LAMBDA" "$response" >/dev/null
say "Lambda: seed result $(cat "$response")"
rm -f "$response"

create_function "$ACCOUNTS_LAMBDA" "Accounts.Functions::Accounts.Functions.RetrieveAccounts::HandleAsync"
# authorize the api gateway to call the lambda function
awsx lambda add-permission \
    --function-name "$ACCOUNTS_LAMBDA" \
    --statement-id authorize-apigateway \
    --action lambda:InvokeFunction \
    --principal apigateway.amazonaws.com >/dev/null

## API Gateway
say "API Gateway: creating apigw-demo-cct"
LAMBDA_ARN="$(awsx lambda get-function \
    --function-name "$ACCOUNTS_LAMBDA" \
    --query 'Configuration.FunctionArn' \
    --output text)"
awsx apigateway create-rest-api \
    --name apigw-demo-cct \
    --tags "Environment=demo-cct-paas" >/dev/null
REST_API_ID="$(awsx apigateway get-rest-apis \
    --query "items[?name==\`apigw-demo-cct\`].id" \
    --output text)"
RESOURCE_ID="$(awsx apigateway get-resources \
    --rest-api-id "$REST_API_ID" \
    --query "items[0].id" \
    --output text)"
awsx apigateway put-method \
    --rest-api-id "$REST_API_ID" \
    --resource-id "$RESOURCE_ID" \
    --http-method GET \
    --authorization-type "NONE" >/dev/null
for status in 200 503; do
    awsx apigateway put-method-response \
        --rest-api-id "$REST_API_ID" \
        --resource-id "$RESOURCE_ID" \
        --http-method GET \
        --response-parameters '{"method.response.header.Content-Type": false}' \
        --status-code "$status" >/dev/null
done
awsx apigateway put-integration \
    --rest-api-id "$REST_API_ID" \
    --resource-id "$RESOURCE_ID" \
    --http-method GET \
    --type AWS \
    --integration-http-method POST \
    --uri "arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${LAMBDA_ARN}/invocations" >/dev/null
awsx apigateway put-integration-response \
    --rest-api-id "$REST_API_ID" \
    --resource-id "$RESOURCE_ID" \
    --http-method GET \
    --status-code 200 \
    --selection-pattern "" \
    --response-parameters "{\"method.response.header.Content-Type\": \"'text/html'\"}" \
    --response-templates '{"text/html": "$input.path(\"$\")"}' >/dev/null
# Beyond the seed: a database that is down gives a 503 page instead of a bare error.
awsx apigateway put-integration-response \
    --rest-api-id "$REST_API_ID" \
    --resource-id "$RESOURCE_ID" \
    --http-method GET \
    --status-code 503 \
    --selection-pattern ".*Database unavailable.*" \
    --response-parameters "{\"method.response.header.Content-Type\": \"'text/html'\"}" \
    --response-templates '{"text/html": "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Accounts unavailable</title></head><body><h1>Accounts are unavailable</h1><p>The database cannot be reached right now. Please try again shortly.</p></body></html>"}' >/dev/null
awsx apigateway create-deployment --rest-api-id "$REST_API_ID" --stage-name demo-cct >/dev/null

if [ -n "$ENDPOINT" ]; then
    port="${ENDPOINT##*:}"; port="${port%%/*}"
    say "Done. The accounts page is served at (either URL):"
    say "  ${ENDPOINT%/}/restapis/$REST_API_ID/demo-cct/_user_request_/"
    echo "http://$REST_API_ID.execute-api.localhost:$port/demo-cct/"
else
    say "Done. The accounts page:"
    echo "https://$REST_API_ID.execute-api.$REGION.amazonaws.com/demo-cct/"
fi
