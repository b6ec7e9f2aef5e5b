// The Lambda adapter (E12): exactly one audit record per invocation through Powertools Logger,
// stable JSON keys, cold-start configuration errors, and property fuzzing of the request:
// never 5xx, never a URL outside the caller's prefix, always exactly one audit record.

import * as assert from "node:assert/strict";
import fc from "fast-check";
import { binaryString } from "../../testkit/fast-check-units";
import { AUDIT_LOG_MESSAGE, createAuditLogger, createPresignHandler, powertoolsAuditSink, type AuditSink } from "../../handlers/presign/adapter";
import type { AuditRecord } from "../../handlers/presign/audit-record";
import { PresignConfigError } from "../../handlers/presign/config";
import { S3UrlSigner } from "../../handlers/presign/s3-url-signer";

const KMS_KEY_ARN = "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ENV = {
  DATA_BUCKET: "medical-backup-data",
  DATA_KMS_KEY_ARN: KMS_KEY_ARN,
  AWS_REGION: "ap-northeast-1",
  AUDIT_HASH_SALT_SECRET_ARN: "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:backup-presign-audit-salt-AbCdEf",
};
const MD5 = "1B2M2Y8AsgTpgAmY7PhCfg==";
const BUCKET_HOST = "medical-backup-data.s3.ap-northeast-1.amazonaws.com";

const realSigner = new S3UrlSigner({
  region: "ap-northeast-1",
  credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
});
const SALT = "test-salt-0123456789abcdef0123456789abcdef";
/** The salt as Secrets Manager would hand it over; presign-salt.test.ts covers the real call. */
const auditHashSalt = async (): Promise<string> => SALT;

interface Caller {
  userArn: string;
  prefix: string | null;
}
const CALLERS: readonly Caller[] = [
  { userArn: "arn:aws:sts::111111111111:assumed-role/BackupAgent/host-01", prefix: "tenants/111111111111/BackupAgent/" },
  { userArn: "arn:aws:sts::222222222222:assumed-role/BackupAgent/host-09", prefix: "tenants/222222222222/BackupAgent/" },
  { userArn: "arn:aws:sts::111111111111:assumed-role/BackupAgentEvil/x1", prefix: "tenants/111111111111/BackupAgentEvil/" },
  { userArn: "arn:aws:iam::111111111111:user/alice", prefix: null },
  { userArn: "", prefix: null },
];

function event(options: { resource?: string; method?: string; body?: string | null; isBase64Encoded?: boolean; userArn?: string }): Record<string, unknown> {
  const resource = options.resource ?? "/backups/upload-url";
  const userArn = options.userArn ?? CALLERS[0].userArn;
  return {
    resource,
    path: resource,
    httpMethod: options.method ?? "POST",
    body: options.body === undefined ? JSON.stringify({ contentMd5: MD5, contentType: "application/octet-stream" }) : options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      requestId: "req-handler",
      identity: { accountId: /::(\d{12}):/.exec(userArn)?.[1] ?? null, userArn, sourceIp: "198.51.100.7", userAgent: "agent/1" },
    },
  };
}

class CountingSink implements AuditSink {
  records: AuditRecord[] = [];
  internalErrors: unknown[] = [];
  emitAudit(record: AuditRecord): void {
    this.records.push(record);
  }
  reportInternalError(_requestId: string, error: unknown): void {
    this.internalErrors.push(error);
  }
}

/** Captures what Powertools writes to stdout/stderr while `action` runs. */
async function captureOutput(action: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const originalOut = process.stdout.write.bind(process.stdout);
  const originalErr = process.stderr.write.bind(process.stderr);
  const capture = (chunk: unknown): boolean => {
    lines.push(
      ...String(chunk)
        .split("\n")
        .filter((line) => line.trim() !== ""),
    );
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    await action();
  } finally {
    process.stdout.write = originalOut;
    process.stderr.write = originalErr;
  }
  return lines;
}

const AUDIT_KEYS = ["schema", "time", "requestId", "lambdaRequestId", "action", "user", "target", "source", "result", "durationMs"];

describe("presign handler: cold start (E12)", () => {
  it("throws PresignConfigError naming the variable when the expiry is above the cap", () => {
    assert.throws(
      () => createPresignHandler({ auditHashSalt, env: { ...ENV, URL_EXPIRY_SECONDS: "86400" }, signer: realSigner, auditSink: new CountingSink() }),
      (error: unknown) => error instanceof PresignConfigError && error.variable === "URL_EXPIRY_SECONDS",
    );
  });

  it("throws naming DATA_BUCKET when it is missing", () => {
    assert.throws(() => createPresignHandler({ auditHashSalt, env: { ...ENV, DATA_BUCKET: undefined }, signer: realSigner }), /DATA_BUCKET is missing/);
  });
});

describe("presign handler: audit emission (E12, A1-A6)", () => {
  it("writes exactly one Powertools JSON line per request, the record under the stable key 'audit'", async () => {
    const handler = createPresignHandler({ auditHashSalt, env: ENV, signer: realSigner, auditSink: powertoolsAuditSink(createAuditLogger()) });
    let status = 0;
    const lines = await captureOutput(async () => {
      status = (await handler(event({}), { awsRequestId: "lambda-1" })).statusCode;
    });
    assert.equal(status, 200);
    const auditLines = lines.filter((line) => line.includes(AUDIT_LOG_MESSAGE));
    assert.equal(auditLines.length, 1, lines.join("\n"));
    const parsed = JSON.parse(auditLines[0]) as { level: string; message: string; service: string; audit: AuditRecord };
    assert.equal(parsed.level, "INFO");
    assert.equal(parsed.message, AUDIT_LOG_MESSAGE);
    assert.equal(parsed.service, "backup-presign");
    assert.deepEqual(Object.keys(parsed.audit), AUDIT_KEYS);
    assert.equal(parsed.audit.action, "UPLOAD_URL_ISSUED");
    assert.equal(parsed.audit.lambdaRequestId, "lambda-1");
    assert.ok(!auditLines[0].includes("X-Amz-Signature"), "the bearer URL is never logged");
  });

  it("still writes the audit record when POWERTOOLS_LOG_LEVEL asks for errors only", async () => {
    const saved = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = "ERROR";
    try {
      const handler = createPresignHandler({ auditHashSalt, env: ENV, signer: realSigner, auditSink: powertoolsAuditSink(createAuditLogger()) });
      const lines = await captureOutput(() => handler(event({ method: "GET" })));
      assert.equal(lines.filter((line) => line.includes(AUDIT_LOG_MESSAGE)).length, 1);
    } finally {
      if (saved === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = saved;
    }
  });

  it("for a 500, writes one audit record plus one diagnostic line, and the client sees no error text", async () => {
    const failing = { signUpload: async () => Promise.reject(new Error("boom at signer")), signDownload: async () => Promise.reject(new Error("boom")) };
    const handler = createPresignHandler({ auditHashSalt, env: ENV, signer: failing, auditSink: powertoolsAuditSink(createAuditLogger()) });
    let body = "";
    const lines = await captureOutput(async () => {
      const response = await handler(event({}));
      assert.equal(response.statusCode, 500);
      body = response.body;
    });
    assert.ok(!body.includes("boom"));
    assert.equal(lines.filter((line) => line.includes(AUDIT_LOG_MESSAGE)).length, 1);
    const diagnostics = lines.filter((line) => line.includes("backup-presign internal error"));
    assert.equal(diagnostics.length, 1);
    assert.equal((JSON.parse(diagnostics[0]) as { errorMessage: string }).errorMessage, "boom at signer");
  });

  it("keeps the one-record guarantee even if the core itself throws", async () => {
    const sink = new CountingSink();
    const handler = createPresignHandler({
      auditHashSalt,
      env: ENV,
      signer: realSigner,
      auditSink: sink,
      now: () => {
        throw new Error("clock broken");
      },
    });
    const response = await handler(event({}), { awsRequestId: "lambda-2" });
    assert.equal(response.statusCode, 500);
    assert.equal((JSON.parse(response.body) as { error: { requestId: string } }).error.requestId, "lambda-2");
    assert.equal(sink.records.length, 1);
    assert.equal(sink.records[0].result.outcome, "ERROR");
    assert.equal(sink.records[0].action, "URL_REQUEST_FAILED");
    assert.equal(sink.internalErrors.length, 1);
  });

  it("emits one record for each of a sequence of mixed requests", async () => {
    const sink = new CountingSink();
    const handler = createPresignHandler({ auditHashSalt, env: ENV, signer: realSigner, auditSink: sink });
    const requests = [event({}), event({ method: "GET" }), event({ resource: "/x" }), event({ body: "nope" }), event({ userArn: "" })];
    const statuses: number[] = [];
    for (const request of requests) statuses.push((await handler(request)).statusCode);
    assert.deepEqual(statuses, [200, 405, 404, 400, 401]);
    assert.deepEqual(
      sink.records.map((record) => record.result.httpStatus),
      statuses,
    );
    assert.equal(sink.internalErrors.length, 0);
  });
});

// ---- property fuzzing -------------------------------------------------------------------------

const hostileString = fc.constantFrom(
  "../x",
  "%2e%2e%2f",
  "a\\b",
  "/abs",
  "a\u0000b",
  "\u2024\u2024/x",
  "a\uff0fb",
  "",
  "x".repeat(600),
  "tenants/222222222222/BackupAgent/2025/06/01/0f8fad5b-d9cb-469f-a165-70867728950e",
  "tenants/111111111111/BackupAgent/../../222222222222/BackupAgent/x",
  "tenants/111111111111/BackupAgentEvil/x",
  "tenants/111111111111/BackupAgent/",
  "tenants/111111111111/BackupAgent/ok.dump",
  MD5,
  "application/octet-stream",
);
const anyFieldValue = fc.oneof(
  hostileString,
  binaryString({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(...CALLERS.filter((c) => c.prefix !== null).map((c) => `${c.prefix}${"a".repeat(3)}.dump`)),
  fc.jsonValue({ maxDepth: 2 }),
);
const bodyObject = fc.record(
  { fileName: anyFieldValue, contentMd5: anyFieldValue, contentType: anyFieldValue, key: anyFieldValue, extra: anyFieldValue },
  { requiredKeys: [] },
);
const keySegment = fc.stringMatching(/^[A-Za-z0-9._-]{1,16}$/);
const wellFormedUpload = fc.record(
  {
    fileName: fc.oneof(keySegment, hostileString),
    contentMd5: fc.constantFrom(MD5, "AAAAAAAAAAAAAAAAAAAAAA=="),
    contentType: fc.constantFrom("application/octet-stream", "application/gzip"),
  },
  { requiredKeys: ["contentMd5", "contentType"] },
);
const wellFormedDownload = fc.record({
  key: fc.oneof(
    fc
      .tuple(fc.constantFrom(...CALLERS.filter((c) => c.prefix !== null).map((c) => c.prefix!)), fc.array(keySegment, { minLength: 1, maxLength: 3 }))
      .map(([prefix, segments]) => prefix + segments.join("/")),
    hostileString,
  ),
});
const anyBody = fc.oneof(
  bodyObject.map((o) => JSON.stringify(o)),
  fc.json({ maxDepth: 3 }),
  binaryString({ maxLength: 200 }),
  fc.constant(null),
  fc.constant("x".repeat(5000)),
);
// Bodies follow the route most of the time, so the success path and the prefix check are
// exercised, not only the parser; the rest is arbitrary.
function bodyFor(resource: string): fc.Arbitrary<string | null> {
  if (resource === "/backups/upload-url")
    return fc.oneof({ arbitrary: wellFormedUpload.map((o) => JSON.stringify(o)), weight: 3 }, { arbitrary: anyBody, weight: 1 });
  if (resource === "/backups/download-url")
    return fc.oneof({ arbitrary: wellFormedDownload.map((o) => JSON.stringify(o)), weight: 3 }, { arbitrary: anyBody, weight: 1 });
  return anyBody;
}
const requestArbitrary = fc
  .record({
    resource: fc.constantFrom("/backups/upload-url", "/backups/upload-url", "/backups/download-url", "/backups/download-url", "/backups/list", "/{proxy+}", ""),
    method: fc.constantFrom("POST", "POST", "POST", "POST", "POST", "GET", "PUT", "DELETE"),
    caller: fc.constantFrom(CALLERS[0], CALLERS[0], CALLERS[1], CALLERS[2], CALLERS[3], CALLERS[4]),
    isBase64Encoded: fc.boolean(),
  })
  .chain((request) => bodyFor(request.resource).map((body) => ({ ...request, body })));

describe("presign handler: property fuzzing of requests (E12)", () => {
  it("never answers 5xx, never signs outside the caller's prefix, always writes exactly one audit record", async () => {
    const sink = new CountingSink();
    const handler = createPresignHandler({ auditHashSalt, env: ENV, signer: realSigner, auditSink: sink });
    let issued = 0;
    await fc.assert(
      fc.asyncProperty(requestArbitrary, async (request) => {
        const before = sink.records.length;
        const body = request.isBase64Encoded && request.body !== null ? Buffer.from(request.body, "utf8").toString("base64") : request.body;
        const response = await handler(
          event({ resource: request.resource, method: request.method, body, isBase64Encoded: request.isBase64Encoded, userArn: request.caller.userArn }),
        );
        assert.ok(response.statusCode < 500, `status ${response.statusCode}: ${response.body}`);
        assert.equal(sink.records.length, before + 1, "exactly one audit record per request");
        const audit = sink.records[sink.records.length - 1];
        assert.equal(audit.result.httpStatus, response.statusCode);
        const parsed = JSON.parse(response.body) as { url?: string; key?: string; error?: { code: string } };
        if (response.statusCode === 200) {
          issued++;
          assert.ok(request.caller.prefix !== null, "only role sessions get URLs");
          const url = new URL(parsed.url!);
          assert.equal(url.host, BUCKET_HOST);
          const signedKey = decodeURIComponent(url.pathname.slice(1));
          assert.ok(signedKey.startsWith(request.caller.prefix), `${signedKey} outside ${request.caller.prefix}`);
          assert.equal(signedKey, parsed.key);
          assert.ok(!signedKey.includes(".."));
          assert.ok(audit.target.key?.startsWith(request.caller.prefix));
        } else {
          assert.equal(parsed.url, undefined);
          assert.equal(typeof parsed.error?.code, "string");
          assert.equal(audit.result.outcome, "REFUSED");
        }
      }),
      { numRuns: 1000, seed: 20250601 },
    );
    assert.equal(sink.internalErrors.length, 0);
    // The generator must reach the success path often enough for the prefix assertion to mean something.
    assert.ok(issued >= 40, `only ${issued} URLs issued`);
  });

  it("issues download URLs only for keys under the caller's own prefix (targeted)", async () => {
    const sink = new CountingSink();
    const handler = createPresignHandler({ auditHashSalt, env: ENV, signer: realSigner, auditSink: sink });
    const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CALLERS.slice(0, 3)),
        fc.constantFrom(...CALLERS.slice(0, 3)),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        async (caller, owner, segments) => {
          const key = `${owner.prefix}${segments.join("/")}`;
          const response = await handler(event({ resource: "/backups/download-url", body: JSON.stringify({ key }), userArn: caller.userArn }));
          if (caller === owner && !key.includes("..") && !segments.includes(".")) {
            assert.equal(response.statusCode, 200, response.body);
          } else {
            assert.ok(response.statusCode === 403 || response.statusCode === 400, `${response.statusCode} for ${key} by ${caller.userArn}`);
          }
        },
      ),
      { numRuns: 300 },
    );
    assert.equal(sink.records.length, 300);
  });
});
