// Secrets Manager with the AWS SDK for JavaScript v3 against the Stratus at STRATUS_URL: a string and a
// binary secret, a new version, reads by stage, a listing and an error; prints what it saw as one JSON line.
import {
  SecretsManagerClient, CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand,
  ListSecretsCommand, DescribeSecretCommand, DeleteSecretCommand, GetRandomPasswordCommand,
} from "@aws-sdk/client-secrets-manager";

const sm = new SecretsManagerClient({
  endpoint: process.env.STRATUS_URL,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});
const Name = "js/sdk-secret";
const created = await sm.send(new CreateSecretCommand({ Name, SecretString: "first-js-value", Tags: [{ Key: "sdk", Value: "js" }] }));
await sm.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: "second-js-value" }));
const current = await sm.send(new GetSecretValueCommand({ SecretId: Name }));
const previous = await sm.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: "AWSPREVIOUS" }));
const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
await sm.send(new CreateSecretCommand({ Name: "js/binary", SecretBinary: bytes }));
const binary = await sm.send(new GetSecretValueCommand({ SecretId: "js/binary" }));
const described = await sm.send(new DescribeSecretCommand({ SecretId: Name }));
const listed = await sm.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: ["js/"] }] }));
const password = await sm.send(new GetRandomPasswordCommand({ PasswordLength: 20, ExcludePunctuation: true }));
let error;
try {
  await sm.send(new GetSecretValueCommand({ SecretId: "js/missing" }));
} catch (e) {
  error = { name: e.name, message: e.message, status: e.$metadata.httpStatusCode };
}
await sm.send(new DeleteSecretCommand({ SecretId: "js/binary", ForceDeleteWithoutRecovery: true }));

console.log(JSON.stringify({
  arnSuffix: /-[A-Za-z0-9]{6}$/.test(created.ARN),
  current: current.SecretString,
  previous: previous.SecretString,
  stages: current.VersionStages,
  binary: Array.from(binary.SecretBinary),
  created: current.CreatedDate instanceof Date,
  describedStages: Object.values(described.VersionIdsToStages).flat().sort(),
  names: listed.SecretList.map((s) => s.Name).sort(),
  passwordLength: password.RandomPassword.length,
  passwordAlphanumeric: /^[A-Za-z0-9]+$/.test(password.RandomPassword),
  error,
}));
