// The URLs the production signer (SDK SigV4 signer) produces (E12): signed headers, expiry, no baked-in checksum.
// Static fake credentials: signing is local, nothing touches the network. presign-sigv4.test.ts
// proves these URLs byte-identical to the S3 client's presigner.

import * as assert from "node:assert/strict";
import { loadPresignConfig, withAuditHashSalt } from "../../handlers/presign/config";
import { handlePresignRequest, type PresignOutcome } from "../../handlers/presign/core";
import { S3UrlSigner } from "../../handlers/presign/s3-url-signer";

const ACCOUNT = "111111111111";
const PREFIX = `tenants/${ACCOUNT}/BackupAgent/`;
const KMS_KEY_ARN = "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const NOW = new Date("2025-06-01T12:34:56.000Z");
const OBJECT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
const MD5_OF_EMPTY = "1B2M2Y8AsgTpgAmY7PhCfg==";

const signer = new S3UrlSigner({
  region: "ap-northeast-1",
  credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
});

function event(resource: string, body: unknown): Record<string, unknown> {
  return {
    resource,
    path: resource,
    httpMethod: "POST",
    body: JSON.stringify(body),
    requestContext: {
      requestId: "req-url",
      identity: { accountId: ACCOUNT, userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/BackupAgent/host-01`, sourceIp: "203.0.113.10", userAgent: "agent" },
    },
  };
}

async function issue(
  resource: string,
  body: unknown,
  env: Record<string, string> = {},
): Promise<{ url: URL; body: Record<string, unknown>; outcome: PresignOutcome }> {
  const config = withAuditHashSalt(
    loadPresignConfig({
      DATA_BUCKET: "medical-backup-data",
      DATA_KMS_KEY_ARN: KMS_KEY_ARN,
      AWS_REGION: "ap-northeast-1",
      AUDIT_HASH_SALT_SECRET_ARN: "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:backup-presign-audit-salt-AbCdEf",
      ...env,
    }),
    "test-salt-0123456789abcdef0123456789abcdef",
  );
  const outcome = await handlePresignRequest(event(resource, body), undefined, { config, signer, now: () => NOW, newObjectId: () => OBJECT_ID });
  assert.equal(outcome.response.statusCode, 200, outcome.response.body);
  const parsed = JSON.parse(outcome.response.body) as Record<string, unknown>;
  return { url: new URL(parsed.url as string), body: parsed, outcome };
}

function signedHeaders(url: URL): string[] {
  return (url.searchParams.get("X-Amz-SignedHeaders") ?? "").split(";");
}

const UPLOAD = { contentMd5: MD5_OF_EMPTY, contentType: "application/octet-stream" };

describe("presign URLs from the SigV4 signer (E12)", () => {
  it("upload URL: virtual-hosted bucket, exact generated key, SigV4 query", async () => {
    const { url, body } = await issue("/backups/upload-url", UPLOAD);
    assert.equal(url.protocol, "https:");
    assert.equal(url.host, "medical-backup-data.s3.ap-northeast-1.amazonaws.com");
    assert.equal(decodeURIComponent(url.pathname), `/${PREFIX}2025/06/01/${OBJECT_ID}`);
    assert.equal(body.key, `${PREFIX}2025/06/01/${OBJECT_ID}`);
    assert.equal(url.searchParams.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
    assert.equal(url.searchParams.get("X-Amz-Date"), "20250601T123456Z");
    assert.equal(url.searchParams.get("X-Amz-Credential"), "AKIAIOSFODNN7EXAMPLE/20250601/ap-northeast-1/s3/aws4_request");
    assert.equal(url.searchParams.get("x-id"), "PutObject");
  });

  it("upload URL: X-Amz-Expires equals the configured expiry (default and custom)", async () => {
    assert.equal((await issue("/backups/upload-url", UPLOAD)).url.searchParams.get("X-Amz-Expires"), "300");
    assert.equal((await issue("/backups/upload-url", UPLOAD, { URL_EXPIRY_SECONDS: "3600" })).url.searchParams.get("X-Amz-Expires"), "3600");
  });

  it("upload URL: signs Content-MD5, Content-Type, host and both SSE-KMS headers", async () => {
    const headers = signedHeaders((await issue("/backups/upload-url", UPLOAD)).url);
    for (const required of ["content-md5", "content-type", "host", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"]) {
      assert.ok(headers.includes(required), `${required} missing from ${headers.join(";")}`);
    }
  });

  it("upload URL: SSE-KMS stays a header the client must send, not a query parameter", async () => {
    const { url } = await issue("/backups/upload-url", UPLOAD);
    for (const name of url.searchParams.keys()) {
      assert.ok(!name.toLowerCase().startsWith("x-amz-server-side-encryption"), `hoisted into the query: ${name}`);
    }
  });

  it("upload URL: no empty-body checksum baked in (requestChecksumCalculation WHEN_REQUIRED)", async () => {
    const { url } = await issue("/backups/upload-url", UPLOAD);
    assert.equal(url.searchParams.get("x-amz-checksum-crc32"), null);
    assert.equal(url.searchParams.get("x-amz-sdk-checksum-algorithm"), null);
    for (const name of url.searchParams.keys()) assert.ok(!name.toLowerCase().startsWith("x-amz-checksum"), name);
  });

  it("upload URL: the signature depends on Content-MD5 and Content-Type (they are really signed)", async () => {
    const base = (await issue("/backups/upload-url", UPLOAD)).url.searchParams.get("X-Amz-Signature");
    const otherMd5 = (await issue("/backups/upload-url", { ...UPLOAD, contentMd5: "AAAAAAAAAAAAAAAAAAAAAA==" })).url.searchParams.get("X-Amz-Signature");
    const otherType = (await issue("/backups/upload-url", { ...UPLOAD, contentType: "application/gzip" })).url.searchParams.get("X-Amz-Signature");
    assert.match(base ?? "", /^[0-9a-f]{64}$/);
    assert.notEqual(otherMd5, base);
    assert.notEqual(otherType, base);
  });

  it("download URL: key under the caller's prefix, host-only signature, configured expiry, no checksum mode", async () => {
    const key = `${PREFIX}2025/06/01/${OBJECT_ID}`;
    const { url } = await issue("/backups/download-url", { key }, { URL_EXPIRY_SECONDS: "120" });
    assert.equal(decodeURIComponent(url.pathname), `/${key}`);
    assert.equal(url.searchParams.get("X-Amz-Expires"), "120");
    assert.deepEqual(signedHeaders(url), ["host"]);
    assert.equal(url.searchParams.get("x-id"), "GetObject");
    assert.equal(url.searchParams.get("x-amz-checksum-mode"), null);
  });

  it("the response's expiresAt matches the URL's X-Amz-Date + X-Amz-Expires", async () => {
    const { url, body, outcome } = await issue("/backups/upload-url", UPLOAD, { URL_EXPIRY_SECONDS: "600" });
    const signedAt = Date.parse(url.searchParams.get("X-Amz-Date")!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
    const expected = new Date(signedAt + 600_000).toISOString();
    assert.equal(body.expiresAt, expected);
    assert.equal(outcome.audit.result.urlExpiresAt, expected);
  });
});
