// A CDK app as a user writes one for a database: rds.DatabaseInstance (MySQL) in an ec2.Vpc's isolated subnets,
// its credentials a generated Secrets Manager secret, and a Lambda function in the same VPC that reads the
// secret and connects, served to callers by an API Gateway REST API (apigateway.LambdaRestApi). Removal policies let `cdk destroy` remove what AWS would otherwise keep.
// CommonJS, so that NODE_PATH (the test's installed packages under tests/js) resolves aws-cdk-lib.
const { App, Stack, RemovalPolicy, CfnOutput, Duration } = require("aws-cdk-lib");
const ec2 = require("aws-cdk-lib/aws-ec2");
const rds = require("aws-cdk-lib/aws-rds");
const lambda = require("aws-cdk-lib/aws-lambda");
const apigateway = require("aws-cdk-lib/aws-apigateway");
const path = require("node:path");

const app = new App();
const stack = new Stack(app, process.env.CDK_STACK_NAME ?? "StratusCdkRdsApp");
const vpc = new ec2.Vpc(stack, "Vpc", {
  maxAzs: 2,
  natGateways: 0,
  subnetConfiguration: [{ name: "isolated", subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
});
const db = new rds.DatabaseInstance(stack, "Db", {
  engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 }),
  instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
  vpc,
  vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  credentials: rds.Credentials.fromGeneratedSecret("admin"),
  databaseName: "app",
  removalPolicy: RemovalPolicy.DESTROY,
  deleteAutomatedBackups: true,
});
const fn = new lambda.Function(stack, "Reader", {
  runtime: lambda.Runtime.PYTHON_3_12,
  handler: "app.handler",
  code: lambda.Code.fromAsset(path.join(__dirname, "handler")),
  vpc,
  vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  timeout: Duration.seconds(30),
  environment: { SECRET_ARN: db.secret.secretArn },
});
db.secret.grantRead(fn);
db.connections.allowDefaultPortFrom(fn);
const api = new apigateway.LambdaRestApi(stack, "Api", { handler: fn, proxy: false });
api.root.addResource("version").addMethod("GET");
new CfnOutput(stack, "FunctionName", { value: fn.functionName });
new CfnOutput(stack, "ApiId", { value: api.restApiId });
new CfnOutput(stack, "StageName", { value: api.deploymentStage.stageName });
new CfnOutput(stack, "SecretArn", { value: db.secret.secretArn });
app.synth();
