// Pure core of the presign API (E12): routes, refusals, key validation, audit records (A1-A6, No.50).
// The signer is a recording fake here; presign-urls.test.ts checks the real SDK signer.

import * as assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { loadPresignConfig, PresignConfigError, withAuditHashSalt, type PresignConfig } from "../../handlers/presign/config";
import {
  handlePresignRequest,
  isBase64Md5,
  MAX_REQUEST_BODY_BYTES,
  type DownloadUrlSigningRequest,
  type PresignedUrlSigner,
  type PresignOutcome,
  type UploadUrlSigningRequest,
} from "../../handlers/presign/core";
import { checkFileName, checkObjectKey, MAX_OBJECT_KEY_LENGTH } from "../../handlers/presign/object-key";

const ACCOUNT = "111111111111";
const ROLE = "BackupAgent";
const USER_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/host-01`;
const PREFIX = `tenants/${ACCOUNT}/${ROLE}/`;
const OTHER_TENANT_PREFIX = `tenants/222222222222/${ROLE}/`;
const KMS_KEY_ARN = "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SALT = "test-salt-0123456789abcdef0123456789abcdef";
const NOW = new Date("2025-06-01T12:34:56.789Z");
const OBJECT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
const MD5_OF_EMPTY = "1B2M2Y8AsgTpgAmY7PhCfg==";
const SERVER_KEY = `${PREFIX}2025/06/01/${OBJECT_ID}`;

const BASE_ENV = {
  DATA_BUCKET: "medical-backup-data",
  DATA_KMS_KEY_ARN: KMS_KEY_ARN,
  AWS_REGION: "ap-northeast-1",
  AUDIT_HASH_SALT_SECRET_ARN: "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:backup-presign-audit-salt-AbCdEf",
};

function hmac(value: string): string {
  return `hmac-sha256:${createHmac("sha256", SALT).update(value, "utf8").digest("hex")}`;
}

class RecordingSigner implements PresignedUrlSigner {
  uploads: UploadUrlSigningRequest[] = [];
  downloads: DownloadUrlSigningRequest[] = [];
  failWith: Error | null = null;
  async signUpload(request: UploadUrlSigningRequest): Promise<string> {
    if (this.failWith) throw this.failWith;
    this.uploads.push(request);
    return `https://signed.example/${request.key}?put`;
  }
  async signDownload(request: DownloadUrlSigningRequest): Promise<string> {
    if (this.failWith) throw this.failWith;
    this.downloads.push(request);
    return `https://signed.example/${request.key}?get`;
  }
  get calls(): number {
    return this.uploads.length + this.downloads.length;
  }
}

interface EventOptions {
  resource?: string;
  path?: string;
  method?: string;
  body?: unknown;
  rawBody?: string | null;
  isBase64Encoded?: boolean;
  identity?: Record<string, unknown>;
  clientCert?: Record<string, unknown>;
}

function apiEvent(options: EventOptions = {}): Record<string, unknown> {
  const resource = options.resource ?? "/backups/upload-url";
  return {
    resource,
    path: options.path ?? resource,
    httpMethod: options.method ?? "POST",
    headers: { "content-type": "application/json" },
    body: options.rawBody !== undefined ? options.rawBody : JSON.stringify(options.body ?? {}),
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      requestId: "req-0001",
      identity: {
        accountId: ACCOUNT,
        caller: "AROAEXAMPLEROLEID:host-01",
        userArn: USER_ARN,
        accessKey: "ASIAEXAMPLEKEY",
        sourceIp: "203.0.113.10",
        userAgent: "backup-agent/1.2",
        ...(options.clientCert ? { clientCert: options.clientCert } : {}),
        ...options.identity,
      },
    },
  };
}

const VALID_UPLOAD = { fileName: "nightly.dump", contentMd5: MD5_OF_EMPTY, contentType: "application/octet-stream" };

function config(overrides: Record<string, string> = {}): PresignConfig {
  return withAuditHashSalt(loadPresignConfig({ ...BASE_ENV, ...overrides }), SALT);
}

async function run(
  event: unknown,
  overrides: Record<string, string> = {},
  signer = new RecordingSigner(),
): Promise<PresignOutcome & { signer: RecordingSigner }> {
  const outcome = await handlePresignRequest(
    event,
    { awsRequestId: "lambda-0001" },
    {
      config: config(overrides),
      signer,
      now: () => NOW,
      newObjectId: () => OBJECT_ID,
    },
  );
  return { ...outcome, signer };
}

function errorCodeOf(outcome: PresignOutcome): string {
  return (JSON.parse(outcome.response.body) as { error: { code: string } }).error.code;
}

/** The refusal contract: status, error body, no URL, no signing, audit says REFUSED with the same code. */
function assertRefused(outcome: PresignOutcome & { signer: RecordingSigner }, status: number, code: string): void {
  assert.equal(outcome.response.statusCode, status, outcome.response.body);
  const body = JSON.parse(outcome.response.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.equal(errorCodeOf(outcome), code);
  assert.equal((body.error as { requestId: string }).requestId, "req-0001");
  assert.ok(!outcome.response.body.includes("https://"), "a refusal carries no URL");
  assert.equal(outcome.signer.calls, 0, "nothing is signed for a refused request");
  assert.equal(outcome.audit.result.outcome, "REFUSED");
  assert.equal(outcome.audit.result.httpStatus, status);
  assert.equal(outcome.audit.result.errorCode, code);
  assert.equal(outcome.audit.result.urlExpiresAt, null);
  assert.match(outcome.audit.action, /_REFUSED$/);
}

// Hostile keys and names: each must be refused by the allowlist, whatever else it would do.
const HOSTILE_SUFFIXES: ReadonlyArray<[string, string]> = [
  ["parent traversal", "../222222222222/BackupAgent/x"],
  ["traversal in the middle", "2025/../../x"],
  ["bare ..", ".."],
  ["encoded traversal", "%2e%2e%2fx"],
  ["encoded slash", "a%2fb"],
  ["backslash", "a\\..\\b"],
  ["NUL", "a\u0000b"],
  ["control character", "a\u0001b"],
  ["newline (log forging)", "a\nb"],
  ["DEL", "a\u007fb"],
  ["fullwidth solidus U+FF0F", "a\uff0f..\uff0fb"],
  ["one dot leader U+2024", "\u2024\u2024/x"],
  ["fullwidth full stop U+FF0E", "\uff0e\uff0e/x"],
  ["cyrillic a look-alike", "b\u0430ckup"],
  ["zero-width space", "a\u200bb"],
  ["space", "a b"],
  ["percent", "100%"],
  ["question mark (query smuggling)", "a?x=1"],
  ["hash", "a#b"],
  ["dot segment", "./x"],
  ["empty segment", "a//b"],
];

describe("presign config (E12)", () => {
  it("applies the documented defaults", () => {
    const loaded = config();
    assert.equal(loaded.urlExpirySeconds, 300);
    assert.equal(loaded.keyPrefixRoot, "tenants/");
    assert.equal(loaded.objectKeyIncludesFileName, false);
    assert.equal(loaded.requireClientCert, false);
  });

  for (const variable of ["DATA_BUCKET", "DATA_KMS_KEY_ARN", "AWS_REGION", "AUDIT_HASH_SALT_SECRET_ARN"]) {
    it(`names ${variable} when it is missing`, () => {
      const env: Record<string, string | undefined> = { ...BASE_ENV, [variable]: undefined };
      assert.throws(
        () => loadPresignConfig(env),
        (error: unknown) => error instanceof PresignConfigError && error.variable === variable && error.message.includes(variable),
      );
    });
  }

  it("accepts the cap of 3600 s and refuses anything above it, naming the variable", () => {
    assert.equal(config({ URL_EXPIRY_SECONDS: "3600" }).urlExpirySeconds, 3600);
    assert.throws(() => config({ URL_EXPIRY_SECONDS: "3601" }), /URL_EXPIRY_SECONDS is 3601, above the hard cap of 3600/);
  });

  for (const bad of ["0", "-1", "1.5", "abc", "300s", " 300"]) {
    it(`refuses URL_EXPIRY_SECONDS=${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => config({ URL_EXPIRY_SECONDS: bad }),
        (error: unknown) => error instanceof PresignConfigError && error.variable === "URL_EXPIRY_SECONDS",
      );
    });
  }

  it("refuses a salt in the environment (it belongs in Secrets Manager) without echoing it", () => {
    assert.throws(
      () => config({ AUDIT_HASH_SALT: "short-secret-value" }),
      (error: unknown) =>
        error instanceof PresignConfigError &&
        error.variable === "AUDIT_HASH_SALT" &&
        !error.message.includes("short-secret-value") &&
        error.message.includes("AUDIT_HASH_SALT_SECRET_ARN"),
    );
  });

  for (const bad of [
    "presign-salt",
    "arn:aws:ssm:ap-northeast-1:111111111111:parameter/salt",
    "arn:aws:secretsmanager:ap-northeast-1:1111:secret:x",
    "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:",
  ]) {
    it(`refuses AUDIT_HASH_SALT_SECRET_ARN=${JSON.stringify(bad)}, naming the variable`, () => {
      assert.throws(
        () => config({ AUDIT_HASH_SALT_SECRET_ARN: bad }),
        (error: unknown) => error instanceof PresignConfigError && error.variable === "AUDIT_HASH_SALT_SECRET_ARN",
      );
    });
  }

  it("requires a key ARN, not an alias, for DATA_KMS_KEY_ARN", () => {
    assert.throws(() => config({ DATA_KMS_KEY_ARN: "alias/backup" }), /DATA_KMS_KEY_ARN/);
    assert.throws(() => config({ DATA_KMS_KEY_ARN: "arn:aws:kms:ap-northeast-1:111111111111:alias/backup" }), /DATA_KMS_KEY_ARN/);
  });

  for (const bad of ["/tenants/", "tenants", "Tenants/", "../", "tenants//", "a/b/c/d/e/"]) {
    it(`refuses KEY_PREFIX_ROOT=${JSON.stringify(bad)}`, () => {
      assert.throws(() => config({ KEY_PREFIX_ROOT: bad }), /KEY_PREFIX_ROOT/);
    });
  }

  it("refuses a boolean flag that is neither true nor false", () => {
    assert.throws(() => config({ REQUIRE_CLIENT_CERT: "yes" }), /REQUIRE_CLIENT_CERT/);
    assert.throws(() => config({ OBJECT_KEY_INCLUDES_FILE_NAME: "1" }), /OBJECT_KEY_INCLUDES_FILE_NAME/);
  });

  it("refuses an invalid bucket name", () => {
    assert.throws(() => config({ DATA_BUCKET: "Medical_Backups" }), /DATA_BUCKET/);
  });
});

describe("presign object keys (E12)", () => {
  it("accepts a server-shaped key and a plain relative key", () => {
    assert.deepEqual(checkObjectKey(SERVER_KEY), { ok: true });
    assert.deepEqual(checkObjectKey(`${PREFIX}db/2025-06-01.dump`), { ok: true });
  });

  for (const [label, suffix] of HOSTILE_SUFFIXES) {
    it(`refuses a key with ${label}`, () => {
      assert.equal(checkObjectKey(PREFIX + suffix).ok, false);
      assert.equal(checkFileName(suffix).ok, false);
    });
  }

  it("refuses empty, leading slash, trailing slash and overlong keys; accepts the bound exactly", () => {
    assert.equal(checkObjectKey("").ok, false);
    assert.equal(checkObjectKey(`/${PREFIX}x`).ok, false);
    assert.equal(checkObjectKey(PREFIX).ok, false);
    const atBound = PREFIX + "a".repeat(MAX_OBJECT_KEY_LENGTH - PREFIX.length);
    assert.equal(checkObjectKey(atBound).ok, true);
    assert.equal(checkObjectKey(atBound + "a").ok, false);
  });

  it("refuses file names that are empty, hidden, contain a slash or exceed 128 characters", () => {
    assert.equal(checkFileName("").ok, false);
    assert.equal(checkFileName(".bashrc").ok, false);
    assert.equal(checkFileName("a/b").ok, false);
    assert.equal(checkFileName("a".repeat(128)).ok, true);
    assert.equal(checkFileName("a".repeat(129)).ok, false);
  });
});

describe("presign core: issuing URLs (E12)", () => {
  it("issues an upload URL for a server-generated key under the caller's prefix", async () => {
    const outcome = await run(apiEvent({ body: VALID_UPLOAD }));
    assert.equal(outcome.response.statusCode, 200, outcome.response.body);
    const body = JSON.parse(outcome.response.body) as Record<string, unknown>;
    assert.equal(body.method, "PUT");
    assert.equal(body.key, SERVER_KEY, "UTC date path + uuid, no client text by default");
    assert.equal(body.expiresAt, "2025-06-01T12:39:56.789Z");
    assert.deepEqual(body.requiredHeaders, {
      "Content-MD5": MD5_OF_EMPTY,
      "Content-Type": "application/octet-stream",
      "x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY_ARN,
    });
    assert.deepEqual(outcome.signer.uploads, [
      {
        bucket: "medical-backup-data",
        key: SERVER_KEY,
        kmsKeyArn: KMS_KEY_ARN,
        contentMd5: MD5_OF_EMPTY,
        contentType: "application/octet-stream",
        expiresInSeconds: 300,
        signingDate: NOW,
      },
    ]);
    assert.equal(outcome.response.headers["Cache-Control"], "no-store");
    assert.equal(outcome.internalError, null);
  });

  it("puts the file name into the key only when configured, validated, after the uuid", async () => {
    const outcome = await run(apiEvent({ body: VALID_UPLOAD }), { OBJECT_KEY_INCLUDES_FILE_NAME: "true" });
    assert.equal(outcome.response.statusCode, 200);
    assert.equal((JSON.parse(outcome.response.body) as { key: string }).key, `${SERVER_KEY}-nightly.dump`);
  });

  it("uses the configured expiry", async () => {
    const outcome = await run(apiEvent({ body: VALID_UPLOAD }), { URL_EXPIRY_SECONDS: "900" });
    assert.equal(outcome.signer.uploads[0].expiresInSeconds, 900);
    assert.equal(outcome.audit.result.urlExpiresAt, "2025-06-01T12:49:56.789Z");
  });

  it("derives the prefix from the verified role, not from anything in the body", async () => {
    const otherRole = await run(apiEvent({ body: VALID_UPLOAD, identity: { userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/ArchiveAgent/host-02` } }));
    assert.equal(outcome(otherRole).key, `tenants/${ACCOUNT}/ArchiveAgent/2025/06/01/${OBJECT_ID}`);
    const otherRoot = await run(apiEvent({ body: VALID_UPLOAD }), { KEY_PREFIX_ROOT: "backups/tenants/" });
    assert.equal(outcome(otherRoot).key, `backups/tenants/${ACCOUNT}/${ROLE}/2025/06/01/${OBJECT_ID}`);
    function outcome(o: PresignOutcome): { key: string } {
      return JSON.parse(o.response.body) as { key: string };
    }
  });

  it("accepts a base64-encoded body (binary media types)", async () => {
    const outcome = await run(apiEvent({ rawBody: Buffer.from(JSON.stringify(VALID_UPLOAD)).toString("base64"), isBase64Encoded: true }));
    assert.equal(outcome.response.statusCode, 200, outcome.response.body);
  });

  it("issues a download URL for a key under the caller's prefix", async () => {
    const outcome = await run(apiEvent({ resource: "/backups/download-url", body: { key: SERVER_KEY } }));
    assert.equal(outcome.response.statusCode, 200, outcome.response.body);
    const body = JSON.parse(outcome.response.body) as Record<string, unknown>;
    assert.equal(body.method, "GET");
    assert.equal(body.key, SERVER_KEY);
    assert.deepEqual(outcome.signer.downloads, [{ bucket: "medical-backup-data", key: SERVER_KEY, expiresInSeconds: 300, signingDate: NOW }]);
    assert.equal(outcome.audit.action, "DOWNLOAD_URL_ISSUED");
  });

  it("routes a greedy proxy resource by path", async () => {
    const outcome = await run(apiEvent({ resource: "/{proxy+}", path: "/backups/download-url", body: { key: SERVER_KEY } }));
    assert.equal(outcome.response.statusCode, 200);
    assert.equal(outcome.audit.action, "DOWNLOAD_URL_ISSUED");
  });
});

describe("presign core: refusals (E12)", () => {
  it("404 for an unknown route, audited as URL_REQUEST_REFUSED without copying the path", async () => {
    const outcome = await run(apiEvent({ resource: "/{proxy+}", path: "/backups/yamada-taro" }));
    assertRefused(outcome, 404, "ROUTE_NOT_FOUND");
    assert.equal(outcome.audit.action, "URL_REQUEST_REFUSED");
    assert.ok(!JSON.stringify(outcome.audit).includes("yamada"));
  });

  for (const method of ["GET", "PUT", "DELETE", "OPTIONS"]) {
    it(`405 with Allow: POST for ${method}`, async () => {
      const outcome = await run(apiEvent({ method, body: VALID_UPLOAD }));
      assertRefused(outcome, 405, "METHOD_NOT_ALLOWED");
      assert.equal(outcome.response.headers.Allow, "POST");
      assert.equal(outcome.audit.action, "UPLOAD_URL_REFUSED");
    });
  }

  it("401 without a verified identity", async () => {
    const outcome = await run(apiEvent({ body: VALID_UPLOAD, identity: { userArn: null } }));
    assertRefused(outcome, 401, "UNAUTHENTICATED");
  });

  for (const [label, userArn] of [
    ["an IAM user (long-term keys)", `arn:aws:iam::${ACCOUNT}:user/alice`],
    ["the root user", `arn:aws:iam::${ACCOUNT}:root`],
    ["a role name outside the key allowlist", `arn:aws:sts::${ACCOUNT}:assumed-role/backup@agent/host-01`],
    ["a role name with ..", `arn:aws:sts::${ACCOUNT}:assumed-role/a..b/host-01`],
  ]) {
    it(`403 for ${label}, with the principal still recorded`, async () => {
      const outcome = await run(apiEvent({ body: VALID_UPLOAD, identity: { userArn } }));
      assertRefused(outcome, 403, "IDENTITY_NOT_ALLOWED");
      assert.equal(outcome.audit.user.id, userArn);
      assert.equal(outcome.audit.user.grantedKeyPrefix, null);
    });
  }

  it("403 when identity.accountId disagrees with the principal ARN", async () => {
    assertRefused(await run(apiEvent({ body: VALID_UPLOAD, identity: { accountId: "222222222222" } })), 403, "IDENTITY_NOT_ALLOWED");
  });

  it("403 without a client certificate when REQUIRE_CLIENT_CERT is true", async () => {
    assertRefused(await run(apiEvent({ body: VALID_UPLOAD }), { REQUIRE_CLIENT_CERT: "true" }), 403, "CLIENT_CERT_REQUIRED");
  });

  for (const [label, key] of [
    ["another tenant's prefix", `${OTHER_TENANT_PREFIX}2025/06/01/${OBJECT_ID}`],
    ["another role of the same account", `tenants/${ACCOUNT}/ArchiveAgent/x.dump`],
    ["a sibling whose name extends the role name", `tenants/${ACCOUNT}/${ROLE}Evil/x.dump`],
    ["the bucket root", "x.dump"],
    ["the prefix root", "tenants/x.dump"],
  ]) {
    it(`403 for a download outside the caller's prefix: ${label}`, async () => {
      const outcome = await run(apiEvent({ resource: "/backups/download-url", body: { key } }));
      assertRefused(outcome, 403, "KEY_OUTSIDE_CALLER_PREFIX");
      assert.equal(outcome.audit.action, "DOWNLOAD_URL_REFUSED");
      assert.equal(outcome.audit.target.key, null);
      assert.equal(outcome.audit.target.keyHmac, hmac(key));
    });
  }

  for (const [label, suffix] of [...HOSTILE_SUFFIXES, ["an overlong key", "a".repeat(MAX_OBJECT_KEY_LENGTH)]]) {
    it(`400 INVALID_KEY for a download key with ${label}`, async () => {
      const key = PREFIX + suffix;
      const outcome = await run(apiEvent({ resource: "/backups/download-url", body: { key } }));
      assertRefused(outcome, 400, "INVALID_KEY");
      assert.equal(outcome.audit.target.key, null);
      assert.equal(outcome.audit.target.keyHmac, hmac(key), "the refused key is recorded only as an HMAC (No.50)");
      assert.ok(!JSON.stringify(outcome.audit).includes(JSON.stringify(suffix).slice(1, -1)));
    });
  }

  for (const key of ["", `/${PREFIX}x.dump`, PREFIX]) {
    it(`400 INVALID_KEY for download key ${JSON.stringify(key)}`, async () => {
      assertRefused(await run(apiEvent({ resource: "/backups/download-url", body: { key } })), 400, "INVALID_KEY");
    });
  }

  for (const [label, fileName] of [...HOSTILE_SUFFIXES, ["an overlong name", "a".repeat(129)], ["an empty name", ""], ["a hidden name", ".env"]]) {
    it(`400 INVALID_FILE_NAME for an upload file name with ${label}`, async () => {
      const outcome = await run(apiEvent({ body: { ...VALID_UPLOAD, fileName } }), { OBJECT_KEY_INCLUDES_FILE_NAME: "true" });
      assertRefused(outcome, 400, "INVALID_FILE_NAME");
      assert.equal(outcome.audit.target.fileNameHmac, hmac(fileName));
    });
  }

  const BAD_BODIES: ReadonlyArray<[string, EventOptions, string]> = [
    ["no body", { rawBody: null }, "MISSING_BODY"],
    ["an empty body", { rawBody: "" }, "MISSING_BODY"],
    ["a body that is not JSON", { rawBody: "fileName=x" }, "INVALID_JSON"],
    ["truncated JSON", { rawBody: '{"contentMd5":' }, "INVALID_JSON"],
    ["invalid UTF-8 (base64)", { rawBody: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString("base64"), isBase64Encoded: true }, "INVALID_JSON"],
    ["a JSON array", { rawBody: "[]" }, "INVALID_BODY"],
    ["a JSON string", { rawBody: '"x"' }, "INVALID_BODY"],
    ["JSON null", { rawBody: "null" }, "INVALID_BODY"],
    ["a number", { rawBody: "42" }, "INVALID_BODY"],
    ["an unknown field", { body: { ...VALID_UPLOAD, acl: "public-read" } }, "UNKNOWN_FIELD"],
    ["a __proto__ field", { rawBody: `{"__proto__":{"x":1},"contentMd5":"${MD5_OF_EMPTY}","contentType":"a/b"}` }, "UNKNOWN_FIELD"],
    ["a download field on the upload route", { body: { ...VALID_UPLOAD, key: SERVER_KEY } }, "UNKNOWN_FIELD"],
    ["a missing contentMd5", { body: { contentType: "application/octet-stream" } }, "MISSING_FIELD"],
    ["a missing contentType", { body: { contentMd5: MD5_OF_EMPTY } }, "MISSING_FIELD"],
    ["a numeric contentMd5", { body: { ...VALID_UPLOAD, contentMd5: 123 } }, "INVALID_FIELD_TYPE"],
    ["a null fileName", { body: { ...VALID_UPLOAD, fileName: null } }, "INVALID_FIELD_TYPE"],
    ["an array contentType", { body: { ...VALID_UPLOAD, contentType: ["a/b"] } }, "INVALID_FIELD_TYPE"],
    ["a hex MD5", { body: { ...VALID_UPLOAD, contentMd5: "d41d8cd98f00b204e9800998ecf8427e" } }, "INVALID_CONTENT_MD5"],
    ["a 23-character MD5", { body: { ...VALID_UPLOAD, contentMd5: "1B2M2Y8AsgTpgAmY7PhCfg=" } }, "INVALID_CONTENT_MD5"],
    ["a non-canonical MD5 (padding bits set)", { body: { ...VALID_UPLOAD, contentMd5: "1B2M2Y8AsgTpgAmY7PhCfh==" } }, "INVALID_CONTENT_MD5"],
    ["base64 of 15 bytes", { body: { ...VALID_UPLOAD, contentMd5: Buffer.alloc(15).toString("base64") } }, "INVALID_CONTENT_MD5"],
    ["base64 of 17 bytes", { body: { ...VALID_UPLOAD, contentMd5: Buffer.alloc(17).toString("base64") } }, "INVALID_CONTENT_MD5"],
    ["a content type with parameters", { body: { ...VALID_UPLOAD, contentType: "text/plain; charset=utf-8" } }, "INVALID_CONTENT_TYPE"],
    ["a content type without subtype", { body: { ...VALID_UPLOAD, contentType: "text" } }, "INVALID_CONTENT_TYPE"],
    ["a content type with CRLF", { body: { ...VALID_UPLOAD, contentType: "a/b\r\nx-amz-acl: public-read" } }, "INVALID_CONTENT_TYPE"],
    ["a missing download key", { resource: "/backups/download-url", body: {} }, "MISSING_FIELD"],
    ["a numeric download key", { resource: "/backups/download-url", body: { key: 1 } }, "INVALID_FIELD_TYPE"],
  ];
  for (const [label, options, code] of BAD_BODIES) {
    it(`400 ${code} for ${label}`, async () => {
      assertRefused(await run(apiEvent(options)), 400, code);
    });
  }

  it("413 above 4 KiB, whether plain or base64, and accepts exactly 4 KiB", async () => {
    const json = JSON.stringify(VALID_UPLOAD);
    const atLimit = json + " ".repeat(MAX_REQUEST_BODY_BYTES - json.length);
    assert.equal((await run(apiEvent({ rawBody: atLimit }))).response.statusCode, 200);
    assertRefused(await run(apiEvent({ rawBody: atLimit + " " })), 413, "BODY_TOO_LARGE");
    assertRefused(await run(apiEvent({ rawBody: Buffer.from(atLimit + " ").toString("base64"), isBase64Encoded: true })), 413, "BODY_TOO_LARGE");
    assertRefused(await run(apiEvent({ rawBody: "x".repeat(10 * 1024 * 1024) })), 413, "BODY_TOO_LARGE");
  });

  for (const [label, event] of [
    ["undefined", undefined],
    ["null", null],
    ["a string", "GET /"],
    ["an empty object", {}],
    ["a non-object requestContext", { resource: "/backups/upload-url", httpMethod: "POST", requestContext: "x", body: "{}" }],
    ["a non-object identity", { resource: "/backups/upload-url", httpMethod: "POST", requestContext: { identity: 7 }, body: "{}" }],
  ] as ReadonlyArray<[string, unknown]>) {
    it(`answers a malformed event (${label}) with a 4xx and an audit record`, async () => {
      const outcome = await run(event);
      assert.ok(outcome.response.statusCode >= 400 && outcome.response.statusCode < 500);
      assert.equal(outcome.audit.result.outcome, "REFUSED");
      assert.equal(outcome.audit.lambdaRequestId, "lambda-0001");
    });
  }
});

describe("presign core: internal errors (E12)", () => {
  it("answers a signer failure with a generic 500 carrying the request id, and audits it as FAILED", async () => {
    const signer = new RecordingSigner();
    signer.failWith = new Error("secret detail: credentials for arn:aws:iam::111111111111:role/x expired");
    const outcome = await run(apiEvent({ body: VALID_UPLOAD }), {}, signer);
    assert.equal(outcome.response.statusCode, 500);
    assert.deepEqual(JSON.parse(outcome.response.body), {
      error: { code: "INTERNAL_ERROR", message: "internal error; quote the request id when reporting it", requestId: "req-0001" },
    });
    assert.ok(!outcome.response.body.includes("secret detail") && !outcome.response.body.includes("at "), "no error text or stack to the client");
    assert.equal(outcome.audit.action, "UPLOAD_URL_FAILED");
    assert.deepEqual(outcome.audit.result, { outcome: "ERROR", httpStatus: 500, errorCode: "INTERNAL_ERROR", urlExpiresAt: null });
    assert.equal(outcome.audit.target.key, SERVER_KEY, "the key that failed to sign is still recorded");
    assert.equal(outcome.internalError, signer.failWith);
  });
});

describe("presign core: audit record (A1-A6, No.50)", () => {
  it("records time, user, action, target, source and result of an issued upload URL", async () => {
    const outcome = await run(apiEvent({ body: VALID_UPLOAD }));
    assert.deepEqual(outcome.audit, {
      schema: "backup-presign-audit/1",
      time: "2025-06-01T12:34:56.789Z",
      requestId: "req-0001",
      lambdaRequestId: "lambda-0001",
      action: "UPLOAD_URL_ISSUED",
      user: {
        id: USER_ARN,
        principalId: "AROAEXAMPLEROLEID:host-01",
        accountId: ACCOUNT,
        role: ROLE,
        authorization: "AWS_IAM",
        accessKeyId: "ASIAEXAMPLEKEY",
        clientCertSerial: null,
        grantedKeyPrefix: PREFIX,
      },
      target: { bucket: "medical-backup-data", key: SERVER_KEY, keyHmac: hmac(SERVER_KEY), fileNameHmac: hmac("nightly.dump") },
      source: { ip: "203.0.113.10", userAgent: "backup-agent/1.2", accessMethod: "POST /backups/upload-url", transport: "TLS", clientCert: null },
      result: { outcome: "SUCCESS", httpStatus: 200, errorCode: null, urlExpiresAt: "2025-06-01T12:39:56.789Z" },
      durationMs: 0,
    });
  });

  it("never writes the client file name in plaintext, even when it is part of the key", async () => {
    const fileName = "yamada_taro_1970-01-01.dump";
    const outcome = await run(apiEvent({ body: { ...VALID_UPLOAD, fileName } }), { OBJECT_KEY_INCLUDES_FILE_NAME: "true" });
    const key = (JSON.parse(outcome.response.body) as { key: string }).key;
    assert.ok(key.endsWith(fileName));
    const logged = JSON.stringify(outcome.audit);
    assert.ok(!logged.includes("yamada"), logged);
    assert.equal(outcome.audit.target.key, `${SERVER_KEY}{${hmac(`-${fileName}`)}}`);
    assert.equal(outcome.audit.target.keyHmac, hmac(key), "the full-key HMAC joins the record to CloudTrail data events");
  });

  it("hashes the client-chosen part of a download key and keeps the server-generated part readable", async () => {
    const clientNamed = `${PREFIX}patients/suzuki-hanako.dump`;
    const named = await run(apiEvent({ resource: "/backups/download-url", body: { key: clientNamed } }));
    assert.equal(named.audit.target.key, `${PREFIX}{${hmac("patients/suzuki-hanako.dump")}}`);
    assert.ok(!JSON.stringify(named.audit).includes("suzuki"));
    const generated = await run(apiEvent({ resource: "/backups/download-url", body: { key: SERVER_KEY } }));
    assert.equal(generated.audit.target.key, SERVER_KEY);
  });

  it("records the mTLS client certificate subject and serial (A2, A5), not the PEM", async () => {
    const clientCert = {
      clientCertPem: "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----",
      subjectDN: "CN=backup-host-01,O=Example Clinic",
      issuerDN: "CN=Example Private CA",
      serialNumber: "a1:b2:c3:d4",
      validity: { notBefore: "May 1 00:00:00 2025 GMT", notAfter: "May 1 00:00:00 2026 GMT" },
    };
    const outcome = await run(apiEvent({ body: VALID_UPLOAD, clientCert }), { REQUIRE_CLIENT_CERT: "true" });
    assert.equal(outcome.response.statusCode, 200);
    assert.equal(outcome.audit.user.clientCertSerial, "a1:b2:c3:d4");
    assert.equal(outcome.audit.source.transport, "mTLS");
    assert.deepEqual(outcome.audit.source.clientCert, {
      subjectDN: "CN=backup-host-01,O=Example Clinic",
      issuerDN: "CN=Example Private CA",
      serialNumber: "a1:b2:c3:d4",
      notBefore: "May 1 00:00:00 2025 GMT",
      notAfter: "May 1 00:00:00 2026 GMT",
    });
    assert.ok(!JSON.stringify(outcome.audit).includes("BEGIN CERTIFICATE"));
  });

  it("bounds caller-controlled strings copied into the record", async () => {
    const outcome = await run(apiEvent({ body: VALID_UPLOAD, identity: { userAgent: "u".repeat(5000) } }));
    assert.equal(outcome.audit.source.userAgent?.length, 512);
  });

  it("stamps UTC time with Z and a non-negative duration whatever the host time zone", async () => {
    let tick = 0;
    const outcome = await handlePresignRequest(apiEvent({ body: VALID_UPLOAD }), undefined, {
      config: config(),
      signer: new RecordingSigner(),
      now: () => new Date(NOW.getTime() + 7 * tick++),
      newObjectId: () => OBJECT_ID,
    });
    assert.match(outcome.audit.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(outcome.audit.durationMs, 14);
    assert.equal(outcome.audit.lambdaRequestId, null);
  });

  it("validates Content-MD5 as 16 bytes of canonical base64", () => {
    assert.equal(isBase64Md5(MD5_OF_EMPTY), true);
    assert.equal(isBase64Md5(createHash("md5").update("backup").digest("base64")), true);
    assert.equal(isBase64Md5("AAAAAAAAAAAAAAAAAAAAAA=="), true);
    assert.equal(isBase64Md5("AAAAAAAAAAAAAAAAAAAAAB=="), false);
  });
});
