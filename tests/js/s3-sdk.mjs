// S3 with the AWS SDK for JavaScript v3 against the Stratus at STRATUS_URL: a streamed PutObject (sent
// aws-chunked with a CRC32 trailer, as the SDK does by default), GetObject, a lib-storage multipart
// upload, and an S3 error; prints what it saw as one JSON line.
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const s3 = new S3Client({
  endpoint: process.env.STRATUS_URL,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  forcePathStyle: true,
  maxAttempts: 1,
});
const Bucket = "js-sdk-bucket";
await s3.send(new CreateBucketCommand({ Bucket }));

const text = "streamed through aws-chunked ".repeat(1000);
await s3.send(new PutObjectCommand({ Bucket, Key: "stream.txt", Body: Readable.from([Buffer.from(text)]), ContentLength: text.length, ContentType: "text/plain" }));
const got = await s3.send(new GetObjectCommand({ Bucket, Key: "stream.txt", ChecksumMode: "ENABLED" }));
const gotText = await got.Body.transformToString();

const big = Buffer.alloc(12 * 1024 * 1024);
for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
await new Upload({ client: s3, params: { Bucket, Key: "multipart.bin", Body: big }, partSize: 5 * 1024 * 1024 }).done();
const head = await s3.send(new HeadObjectCommand({ Bucket, Key: "multipart.bin" }));
const back = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket, Key: "multipart.bin" }))).Body.transformToByteArray());
const listed = await s3.send(new ListObjectsV2Command({ Bucket }));

let error = null;
try {
  await s3.send(new GetObjectCommand({ Bucket, Key: "missing" }));
} catch (e) {
  error = { name: e.name, status: e.$metadata.httpStatusCode };
}
console.log(JSON.stringify({
  sameText: gotText === text,
  checksum: got.ChecksumCRC32 ?? null,
  multipartETag: head.ETag,
  multipartSame: createHash("sha256").update(back).digest("hex") === createHash("sha256").update(big).digest("hex"),
  keys: (listed.Contents ?? []).map(c => c.Key),
  error,
}));
