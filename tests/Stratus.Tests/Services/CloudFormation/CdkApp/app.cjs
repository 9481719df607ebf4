// A CDK app as a user writes one: a function whose code is a folder asset behind a LambdaRestApi,
// a bucket and a parameter. Resources that would outlive `cdk destroy` by default on AWS
// (the bucket, the API's CloudWatch role) are given the removal policy that lets destroy remove them.
// CommonJS, so that NODE_PATH (the test's installed packages under tests/js) resolves aws-cdk-lib.
const { App, Stack, RemovalPolicy, CfnOutput } = require("aws-cdk-lib");
const lambda = require("aws-cdk-lib/aws-lambda");
const apigateway = require("aws-cdk-lib/aws-apigateway");
const s3 = require("aws-cdk-lib/aws-s3");
const ssm = require("aws-cdk-lib/aws-ssm");
const path = require("node:path");

const here = __dirname;
const app = new App();
const stack = new Stack(app, process.env.CDK_STACK_NAME ?? "StratusCdkApp");
const bucket = new s3.Bucket(stack, "Uploads", { versioned: true, removalPolicy: RemovalPolicy.DESTROY });
const greeting = new ssm.StringParameter(stack, "Greeting", { parameterName: "/cdk-app/greeting", stringValue: "hello from cdk" });
const fn = new lambda.Function(stack, "Handler", {
  runtime: lambda.Runtime.PYTHON_3_12,
  handler: "app.handler",
  code: lambda.Code.fromAsset(path.join(here, "handler")),
  environment: { BUCKET: bucket.bucketName, GREETING_PARAMETER: greeting.parameterName },
});
const api = new apigateway.LambdaRestApi(stack, "Api", { handler: fn, cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY });
new CfnOutput(stack, "BucketName", { value: bucket.bucketName });
new CfnOutput(stack, "ParameterName", { value: greeting.parameterName });
app.synth();
