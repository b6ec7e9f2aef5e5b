// The presign handler signs with the SDK's SigV4 signer alone (issue 13). Proof that its URLs are
// still valid SigV4 and exactly what the S3 client would have issued (E12):
// 1. AWS's documented presigned-URL example reproduces its published signature;
// 2. for a grid of regions (every partition), bucket names (virtual-hosted and path-style), keys,
//    expiries and session tokens, the URL is byte-identical to @aws-sdk/client-s3 +
//    @aws-sdk/s3-request-presigner with the options the handler used before;
// 3. a local S3 stand-in on 127.0.0.1 verifies the signature of a real PUT and GET independently
//    (tests/handlers/presign-sigv4-verifier.ts, written from AWS's description) and, like S3,
//    refuses a body whose MD5 differs from the signed Content-MD5 (Object Lock buckets require it).

import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import fc from "fast-check";
import { presignS3Request, S3UrlSigner, s3ObjectLocation } from "../../handlers/presign/s3-url-signer";
import { createSigner, credentialsFromEnvironment, dnsSuffixOf, MissingCredentialsError } from "../../handlers/presign/sigv4";
import { parseTarget, verifyPresignedRequest } from "./presign-sigv4-verifier";

const ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const KMS_KEY_ARN = "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MD5_OF_EMPTY = "1B2M2Y8AsgTpgAmY7PhCfg==";
const SSE_HEADERS = ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"];

/** The S3 client and presigner exactly as handlers/presign used them before issue 13. */
async function sdkUrls(input: {
  region: string;
  bucket: string;
  key: string;
  expires: number;
  date: Date;
  sessionToken?: string;
  contentType: string;
}): Promise<{ put: string; get: string }> {
  const s3 = new S3Client({
    region: input.region,
    credentials: {
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      ...(input.sessionToken === undefined ? {} : { sessionToken: input.sessionToken }),
    },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const put = await getSignedUrl(
    s3,
    new PutObjectCommand({
      Bucket: input.bucket,
      Key: input.key,
      ContentMD5: MD5_OF_EMPTY,
      ContentType: input.contentType,
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: KMS_KEY_ARN,
    }),
    {
      expiresIn: input.expires,
      signingDate: input.date,
      signableHeaders: new Set(["content-md5", "content-type", ...SSE_HEADERS]),
      unhoistableHeaders: new Set(SSE_HEADERS),
    },
  );
  const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: input.bucket, Key: input.key }), { expiresIn: input.expires, signingDate: input.date });
  return { put, get };
}

async function ourUrls(input: {
  region: string;
  bucket: string;
  key: string;
  expires: number;
  date: Date;
  sessionToken?: string;
  contentType: string;
}): Promise<{ put: string; get: string }> {
  const signer = new S3UrlSigner({
    region: input.region,
    credentials: {
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      ...(input.sessionToken === undefined ? {} : { sessionToken: input.sessionToken }),
    },
  });
  const put = await signer.signUpload({
    bucket: input.bucket,
    key: input.key,
    kmsKeyArn: KMS_KEY_ARN,
    contentMd5: MD5_OF_EMPTY,
    contentType: input.contentType,
    expiresInSeconds: input.expires,
    signingDate: input.date,
  });
  const get = await signer.signDownload({ bucket: input.bucket, key: input.key, expiresInSeconds: input.expires, signingDate: input.date });
  return { put, get };
}

describe("presign SigV4: AWS's documented example (E12)", () => {
  it("reproduces the signature of the GET example in 'Authenticating Requests: Using Query Parameters'", async () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html ("An example"):
    // GET https://examplebucket.s3.amazonaws.com/test.txt, us-east-1, 20130524T000000Z, 86400 s,
    // the documentation's example key pair; published signature below.
    const signer = createSigner({
      service: "s3",
      region: "us-east-1",
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
      uriEscapePath: false,
    });
    const presigned = await signer.presign(
      {
        method: "GET",
        protocol: "https:",
        hostname: "examplebucket.s3.amazonaws.com",
        path: "/test.txt",
        query: {},
        headers: { host: "examplebucket.s3.amazonaws.com", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      },
      {
        expiresIn: 86400,
        signingDate: new Date("2013-05-24T00:00:00Z"),
        unhoistableHeaders: new Set(["x-amz-content-sha256"]),
        unsignableHeaders: new Set(["x-amz-content-sha256"]),
      },
    );
    assert.equal(presigned.query?.["X-Amz-Signature"], "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    assert.equal(presigned.query?.["X-Amz-Credential"], "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request");
    assert.equal(presigned.query?.["X-Amz-SignedHeaders"], "host");
  });
});

describe("presign SigV4: byte-identical to the S3 client's presigner (E12)", () => {
  const grid: Array<{ region: string; bucket: string }> = [
    { region: "ap-northeast-1", bucket: "medical-backup-data" },
    { region: "us-east-1", bucket: "medical-backup-data" },
    { region: "eu-central-1", bucket: "backups.with.dots" },
    { region: "cn-north-1", bucket: "medical-backup-data" },
    { region: "us-gov-west-1", bucket: "medical-backup-data" },
    { region: "us-iso-east-1", bucket: "medical-backup-data" },
    { region: "us-isob-east-1", bucket: "medical-backup-data" },
    { region: "eu-isoe-west-1", bucket: "medical-backup-data" },
    { region: "us-isof-south-1", bucket: "medical-backup-data" },
    { region: "eusc-de-east-1", bucket: "medical-backup-data" },
    { region: "ap-southeast-7", bucket: "192.168.10.20" },
  ];
  for (const { region, bucket } of grid) {
    it(`${region}, bucket ${bucket}: upload and download URLs equal the SDK's`, async () => {
      const input = {
        region,
        bucket,
        key: "tenants/111111111111/BackupAgent/2025/06/01/0f8fad5b-d9cb-469f-a165-70867728950e",
        expires: 300,
        date: new Date("2025-06-01T12:34:56.789Z"),
        contentType: "application/octet-stream",
      };
      const [ours, sdk] = await Promise.all([ourUrls(input), sdkUrls(input)]);
      assert.equal(ours.put, sdk.put);
      assert.equal(ours.get, sdk.get);
    });
  }

  it("equals the SDK for arbitrary keys, expiries, session tokens and content types", async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~!'()*@ +=&$,;:-]{1,12}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("ap-northeast-1", "us-west-2", "cn-northwest-1"),
        fc.constantFrom("medical-backup-data", "a.b.c"),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 3600 }),
        fc.option(fc.stringMatching(/^[A-Za-z0-9/+=]{1,60}$/), { nil: undefined }),
        fc.constantFrom("application/octet-stream", "application/gzip", "text/plain"),
        fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true }),
        async (region, bucket, segments, expires, sessionToken, contentType, date) => {
          const input = { region, bucket, key: segments.join("/"), expires, date, sessionToken, contentType };
          const [ours, sdk] = await Promise.all([ourUrls(input), sdkUrls(input)]);
          assert.equal(ours.put, sdk.put);
          assert.equal(ours.get, sdk.get);
        },
      ),
      { numRuns: 60, seed: 13 },
    );
  });

  it("addresses buckets as the S3 endpoint rules do: virtual-hosted for one DNS label, path-style otherwise", () => {
    assert.deepEqual(s3ObjectLocation("medical-backup-data", "ap-northeast-1", "a/b"), {
      hostname: "medical-backup-data.s3.ap-northeast-1.amazonaws.com",
      path: "/a/b",
    });
    assert.deepEqual(s3ObjectLocation("x.y.z", "cn-north-1", "a/b c"), { hostname: "s3.cn-north-1.amazonaws.com.cn", path: "/x.y.z/a/b%20c" });
    assert.equal(dnsSuffixOf("us-gov-east-1"), "amazonaws.com");
    assert.equal(dnsSuffixOf("xx-unknown-9"), "amazonaws.com");
  });

  it("takes the Lambda role's credentials from the environment, and names the variable that is missing", async () => {
    const fromEnv = credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: "ASIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "token" });
    assert.deepEqual(await fromEnv(), { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret", sessionToken: "token" });
    const url = new URL(
      await new S3UrlSigner({
        region: "ap-northeast-1",
        env: { AWS_ACCESS_KEY_ID: "ASIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "token" },
      }).signDownload({ bucket: "medical-backup-data", key: "k", expiresInSeconds: 60, signingDate: new Date() }),
    );
    assert.equal(url.searchParams.get("X-Amz-Security-Token"), "token");
    await assert.rejects(
      credentialsFromEnvironment({ AWS_SECRET_ACCESS_KEY: "s" })(),
      (error: unknown) => error instanceof MissingCredentialsError && error.message.includes("AWS_ACCESS_KEY_ID"),
    );
    await assert.rejects(
      credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: "a" })(),
      (error: unknown) => error instanceof MissingCredentialsError && error.message.includes("AWS_SECRET_ACCESS_KEY"),
    );
  });

  it("refuses to presign beyond SigV4's 7-day limit rather than issuing a URL S3 would reject", async () => {
    await assert.rejects(
      presignS3Request({
        method: "GET",
        hostname: "b.s3.ap-northeast-1.amazonaws.com",
        path: "/k",
        query: {},
        headers: {},
        region: "ap-northeast-1",
        credentials: { accessKeyId: "a", secretAccessKey: "s" },
        expiresInSeconds: 604801,
        signingDate: new Date(),
      }),
      /less than one week/,
    );
  });
});

// ---- a local S3 stand-in that checks signatures the way S3 does ------------------------------

interface Stored {
  body: Buffer;
  contentType: string;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string") headers[name] = value;
  return headers;
}

describe("presign SigV4: a PUT and a GET through a local S3 stand-in on 127.0.0.1 (E12)", () => {
  let server: Server;
  let port = 0;
  const objects = new Map<string, Stored>();

  before(async () => {
    server = createServer((request, response) => {
      void readBody(request).then((body) => {
        const { rawPath, query } = parseTarget(request.url ?? "/");
        const headers = headersOf(request);
        const verdict = verifyPresignedRequest({ method: request.method ?? "", rawPath, query, headers, body }, SECRET_ACCESS_KEY, new Date());
        if (!verdict.ok) {
          response.writeHead(403).end(verdict.reason);
          return;
        }
        const objectKey = `${headers.host}${decodeURIComponent(rawPath)}`;
        if (request.method === "PUT") {
          // S3's BadDigest: the body must match the Content-MD5 it was sent with.
          if (headers["content-md5"] !== createHash("md5").update(body).digest("base64")) {
            response.writeHead(400).end("BadDigest");
            return;
          }
          if (headers["x-amz-server-side-encryption"] !== "aws:kms") {
            response.writeHead(400).end("SSE-KMS required");
            return;
          }
          objects.set(objectKey, { body, contentType: headers["content-type"] ?? "" });
          response.writeHead(200).end();
          return;
        }
        const stored = objects.get(objectKey);
        if (stored === undefined) response.writeHead(404).end("NoSuchKey");
        else response.writeHead(200, { "content-type": stored.contentType }).end(stored.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends the presigned request to 127.0.0.1 with the Host header of the URL, as a client would to S3. */
  function send(url: string, method: "PUT" | "GET", headers: Record<string, string>, body?: Buffer): Promise<{ status: number; body: string }> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        { host: "127.0.0.1", port, method, path: `${target.pathname}${target.search}`, headers: { ...headers, host: target.host } },
        (response) => {
          void readBody(response).then((data) => resolve({ status: response.statusCode ?? 0, body: data.toString("utf8") }));
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  }

  const signer = new S3UrlSigner({
    region: "ap-northeast-1",
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, sessionToken: "session-token/with+chars=" },
  });
  const key = "tenants/111111111111/BackupAgent/2025/06/01/0f8fad5b-d9cb-469f-a165-70867728950e";
  const content = Buffer.from("pg_dump of the night\n");
  const contentMd5 = createHash("md5").update(content).digest("base64");
  const requiredHeaders = {
    "Content-MD5": contentMd5,
    "Content-Type": "application/octet-stream",
    "x-amz-server-side-encryption": "aws:kms",
    "x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY_ARN,
  };

  it("accepts the upload sent with exactly the required headers, then serves it through a download URL", async () => {
    const put = await signer.signUpload({
      bucket: "medical-backup-data",
      key,
      kmsKeyArn: KMS_KEY_ARN,
      contentMd5,
      contentType: "application/octet-stream",
      expiresInSeconds: 300,
      signingDate: new Date(),
    });
    assert.deepEqual(await send(put, "PUT", requiredHeaders, content), { status: 200, body: "" });
    const get = await signer.signDownload({ bucket: "medical-backup-data", key, expiresInSeconds: 300, signingDate: new Date() });
    assert.deepEqual(await send(get, "GET", {}), { status: 200, body: content.toString("utf8") });
  });

  it("refuses an upload whose body differs from the signed Content-MD5 (BadDigest)", async () => {
    const put = await signer.signUpload({
      bucket: "medical-backup-data",
      key,
      kmsKeyArn: KMS_KEY_ARN,
      contentMd5,
      contentType: "application/octet-stream",
      expiresInSeconds: 300,
      signingDate: new Date(),
    });
    assert.deepEqual(await send(put, "PUT", requiredHeaders, Buffer.from("something else")), { status: 400, body: "BadDigest" });
  });

  it("refuses an upload that changes or drops a signed header (SignatureDoesNotMatch)", async () => {
    const put = await signer.signUpload({
      bucket: "medical-backup-data",
      key,
      kmsKeyArn: KMS_KEY_ARN,
      contentMd5,
      contentType: "application/octet-stream",
      expiresInSeconds: 300,
      signingDate: new Date(),
    });
    assert.deepEqual(await send(put, "PUT", { ...requiredHeaders, "Content-Type": "text/html" }, content), { status: 403, body: "SignatureDoesNotMatch" });
    const { "x-amz-server-side-encryption-aws-kms-key-id": _dropped, ...withoutKey } = requiredHeaders;
    assert.deepEqual(await send(put, "PUT", withoutKey, content), { status: 403, body: "a signed header was not sent" });
  });

  it("refuses a URL for another key (the path is signed) and an expired URL", async () => {
    const get = await signer.signDownload({ bucket: "medical-backup-data", key, expiresInSeconds: 300, signingDate: new Date() });
    assert.deepEqual(await send(get.replace("/BackupAgent/", "/OtherAgent/"), "GET", {}), { status: 403, body: "SignatureDoesNotMatch" });
    const old = await signer.signDownload({ bucket: "medical-backup-data", key, expiresInSeconds: 60, signingDate: new Date(Date.now() - 3_600_000) });
    assert.deepEqual(await send(old, "GET", {}), { status: 403, body: "expired" });
  });
});
