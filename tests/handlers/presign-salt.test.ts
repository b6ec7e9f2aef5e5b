// The audit-hash salt comes from Secrets Manager (issue 12, No.50), read once per cold start.
// A local Secrets Manager stand-in on 127.0.0.1 checks each request as the service would: POST /,
// JSON 1.1 (Content-Type application/x-amz-json-1.1, X-Amz-Target secretsmanager.GetSecretValue),
// body {"SecretId": <arn>}, and a valid SigV4 Authorization for service "secretsmanager" in the
// ARN's region (independent verifier, presign-sigv4-verifier.ts). The SDK's own client is sent to
// the same stand-in, so the stand-in's expectations are the SDK's wire format, not ours.
// Request and error shapes: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html

import * as assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AUDIT_LOG_MESSAGE, createAuditLogger, createPresignHandler, powertoolsAuditSink, type AuditSink } from "../../handlers/presign/adapter";
import { AuditSaltError, cachedAuditSalt, getSecretString, secretsManagerAuditSalt, validateAuditSalt } from "../../handlers/presign/audit-salt";
import type { AuditRecord } from "../../handlers/presign/audit-record";
import { S3UrlSigner } from "../../handlers/presign/s3-url-signer";
import { parseTarget, verifyAuthorizationHeader, type ReceivedRequest } from "./presign-sigv4-verifier";

const SECRET_ARN = "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:backup-presign-audit-salt-AbCdEf";
const SALT = "salt-from-secrets-manager-0123456789abcdef";
const CREDENTIALS = { accessKeyId: "ASIAEXAMPLEKEY", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-from-lambda" };

interface Seen {
  request: ReceivedRequest;
  problems: string[];
}

type Reply = (response: ServerResponse) => void;

const ok =
  (secretString: string | undefined, extra: Record<string, unknown> = {}): Reply =>
  (response) =>
    response.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(
      JSON.stringify({
        ARN: SECRET_ARN,
        Name: "backup-presign-audit-salt",
        VersionId: "v1",
        VersionStages: ["AWSCURRENT"],
        CreatedDate: 1.7e9,
        ...(secretString === undefined ? {} : { SecretString: secretString }),
        ...extra,
      }),
    );

const serviceError =
  (status: number, type: string, message: string): Reply =>
  (response) =>
    response.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": `${type}:` }).end(JSON.stringify({ __type: type, message }));

describe("presign audit-hash salt from Secrets Manager (E12, the HMACs of A4; issue 12, No.50)", function () {
  let server: Server;
  let endpoint = "";
  const seen: Seen[] = [];
  let reply: Reply = ok(SALT);

  function check(request: IncomingMessage, body: Buffer): Seen {
    const { rawPath, query } = parseTarget(request.url ?? "/");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string") headers[name] = value;
    const received: ReceivedRequest = { method: request.method ?? "", rawPath, query, headers, body };
    const problems: string[] = [];
    if (received.method !== "POST" || rawPath !== "/") problems.push(`${received.method} ${rawPath}`);
    if (headers["x-amz-target"] !== "secretsmanager.GetSecretValue") problems.push(`x-amz-target ${headers["x-amz-target"]}`);
    if (headers["content-type"] !== "application/x-amz-json-1.1") problems.push(`content-type ${headers["content-type"]}`);
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      problems.push("body is not JSON");
    }
    if (JSON.stringify(parsed) !== JSON.stringify({ SecretId: SECRET_ARN })) problems.push(`body ${body.toString("utf8")}`);
    const verdict = verifyAuthorizationHeader(received, CREDENTIALS.secretAccessKey);
    if (!verdict.ok) problems.push(verdict.reason);
    else {
      if (verdict.accessKeyId !== CREDENTIALS.accessKeyId) problems.push("access key");
      if (!/^\d{8}\/ap-northeast-1\/secretsmanager\/aws4_request$/.test(verdict.scope)) problems.push(`scope ${verdict.scope}`);
      for (const name of ["host", "x-amz-date", "x-amz-target", "x-amz-security-token"])
        if (!verdict.signedHeaders.includes(name)) problems.push(`${name} not signed`);
    }
    if (headers["x-amz-security-token"] !== CREDENTIALS.sessionToken) problems.push("session token");
    return { request: received, problems };
  }

  before(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const entry = check(request, Buffer.concat(chunks));
        seen.push(entry);
        if (entry.problems.length > 0) {
          response
            .writeHead(400, { "content-type": "application/x-amz-json-1.1" })
            .end(JSON.stringify({ __type: "InvalidSignatureException", message: entry.problems.join("; ") }));
          return;
        }
        reply(response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
    reply = ok(SALT);
  });

  it("the SDK's own client passes the stand-in's checks (the checks are the real wire format)", async () => {
    const client = new SecretsManagerClient({ region: "ap-northeast-1", endpoint, credentials: CREDENTIALS });
    const output = await client.send(new GetSecretValueCommand({ SecretId: SECRET_ARN }));
    assert.equal(output.SecretString, SALT);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].problems, []);
    client.destroy();
  });

  it("GetSecretValue signed with the SigV4 signer returns the SecretString and passes every check", async () => {
    assert.equal(await getSecretString({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint }), SALT);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].problems, []);
  });

  it("a request signed with the wrong secret key is refused by the stand-in (the check can fail)", async () => {
    await assert.rejects(
      getSecretString({ secretArn: SECRET_ARN, credentials: { ...CREDENTIALS, secretAccessKey: "not-the-key" }, endpoint }),
      (error: unknown) => error instanceof AuditSaltError && /HTTP 400 InvalidSignatureException: SignatureDoesNotMatch/.test(error.message),
    );
  });

  it("reads the secret once per cold start: many invocations, one GetSecretValue", async () => {
    const handler = createPresignHandler({
      env: {
        DATA_BUCKET: "medical-backup-data",
        DATA_KMS_KEY_ARN: "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        AWS_REGION: "ap-northeast-1",
        AUDIT_HASH_SALT_SECRET_ARN: SECRET_ARN,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
      },
      auditSink: { emitAudit: () => undefined, reportInternalError: () => undefined },
    });
    const event = {
      resource: "/backups/upload-url",
      path: "/backups/upload-url",
      httpMethod: "POST",
      body: JSON.stringify({ fileName: "nightly.dump", contentMd5: "1B2M2Y8AsgTpgAmY7PhCfg==", contentType: "application/octet-stream" }),
      requestContext: { requestId: "r", identity: { accountId: "111111111111", userArn: "arn:aws:sts::111111111111:assumed-role/BackupAgent/host-01" } },
    };
    for (let i = 0; i < 3; i++) assert.equal((await handler(event)).statusCode, 200);
    assert.equal(seen.length, 1);
  });

  it("the HMACs in the audit record are keyed with the secret's value", async () => {
    const records: AuditRecord[] = [];
    const sink: AuditSink = { emitAudit: (record) => records.push(record), reportInternalError: () => undefined };
    const signer = new S3UrlSigner({ region: "ap-northeast-1", credentials: CREDENTIALS });
    const env = {
      DATA_BUCKET: "medical-backup-data",
      DATA_KMS_KEY_ARN: "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      AWS_REGION: "ap-northeast-1",
      AUDIT_HASH_SALT_SECRET_ARN: SECRET_ARN,
    };
    const handler = createPresignHandler({
      env,
      signer,
      auditSink: sink,
      auditHashSalt: secretsManagerAuditSalt({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint }),
    });
    const response = await handler({
      resource: "/backups/download-url",
      path: "/backups/download-url",
      httpMethod: "POST",
      body: JSON.stringify({ key: "tenants/111111111111/BackupAgent/x" }),
      requestContext: { identity: { userArn: "arn:aws:sts::111111111111:assumed-role/BackupAgent/host-01" } },
    });
    assert.equal(response.statusCode, 200, response.body);
    const { createHmac } = await import("node:crypto");
    assert.equal(records[0].target.keyHmac, `hmac-sha256:${createHmac("sha256", SALT).update("tenants/111111111111/BackupAgent/x").digest("hex")}`);
  });

  it("a secret that does not exist: an error naming the ARN and the service's error, retried next time", async () => {
    reply = serviceError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    const salt = secretsManagerAuditSalt({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint });
    await assert.rejects(
      salt(),
      (error: unknown) =>
        error instanceof AuditSaltError &&
        error.message.includes(SECRET_ARN) &&
        error.message.includes("HTTP 400 ResourceNotFoundException: Secrets Manager can't find the specified secret."),
    );
    reply = ok(SALT);
    assert.equal(await salt(), SALT, "a failed read is not cached");
    assert.equal(await salt(), SALT);
    assert.equal(seen.length, 2);
  });

  it("AccessDenied (a missing grant) names the problem", async () => {
    reply = serviceError(400, "AccessDeniedException", "User is not authorized to perform: secretsmanager:GetSecretValue");
    await assert.rejects(
      getSecretString({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint }),
      /AccessDeniedException: User is not authorized to perform: secretsmanager:GetSecretValue/,
    );
  });

  it("a short secret value is refused without echoing it", async () => {
    reply = ok("short-secret-value");
    await assert.rejects(
      secretsManagerAuditSalt({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint })(),
      (error: unknown) => error instanceof AuditSaltError && error.message.includes("at least 32 characters") && !error.message.includes("short-secret-value"),
    );
    assert.throws(() => validateAuditSalt(SECRET_ARN, `   ${"x".repeat(31)}\n`), /at least 32/);
    assert.equal(validateAuditSalt(SECRET_ARN, `${SALT}\n`), SALT, "a trailing newline is not part of the key");
  });

  it("a binary secret (no SecretString) is refused", async () => {
    reply = ok(undefined, { SecretBinary: Buffer.from("x".repeat(40)).toString("base64") });
    await assert.rejects(getSecretString({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint }), /has no SecretString/);
  });

  it("an oversized or non-JSON answer is an error, not a crash", async () => {
    reply = (response) => response.writeHead(200).end("x".repeat(300 * 1024));
    await assert.rejects(getSecretString({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint }), /exceeds 262144 bytes/);
    reply = (response) => response.writeHead(200).end("<html>proxy</html>");
    await assert.rejects(getSecretString({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint }), /has no SecretString/);
  });

  it("a stand-in that never answers: the call gives up (bounded), it does not hang the invocation", async () => {
    reply = () => undefined; // keeps the connection open without answering
    await assert.rejects(getSecretString({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint, timeoutMs: 50 }), /did not answer within 50 ms/);
    server.closeAllConnections();
  });

  it("refuses an endpoint override that would send the salt over plain HTTP off this machine", async () => {
    await assert.rejects(
      getSecretString({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint: "http://secrets.example.com" }),
      /must be an https:\/\/ URL/,
    );
    assert.equal(seen.length, 0);
  });

  it("when the salt cannot be read: a 500, exactly one audit record, one diagnostic naming the secret, never the value", async () => {
    reply = ok("short-secret-value");
    const records: AuditRecord[] = [];
    const diagnostics: unknown[] = [];
    const handler = createPresignHandler({
      env: {
        DATA_BUCKET: "medical-backup-data",
        DATA_KMS_KEY_ARN: "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        AWS_REGION: "ap-northeast-1",
        AUDIT_HASH_SALT_SECRET_ARN: SECRET_ARN,
      },
      signer: new S3UrlSigner({ region: "ap-northeast-1", credentials: CREDENTIALS }),
      auditHashSalt: secretsManagerAuditSalt({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint }),
      auditSink: { emitAudit: (record) => records.push(record), reportInternalError: (_id, error) => diagnostics.push(error) },
    });
    const response = await handler({ resource: "/backups/upload-url", httpMethod: "POST" }, { awsRequestId: "lambda-salt" });
    assert.equal(response.statusCode, 500);
    assert.ok(!response.body.includes(SECRET_ARN), "the client learns nothing about the configuration");
    assert.equal(records.length, 1);
    assert.equal(records[0].action, "URL_REQUEST_FAILED");
    assert.equal(records[0].result.outcome, "ERROR");
    assert.equal(diagnostics.length, 1);
    assert.ok(diagnostics[0] instanceof AuditSaltError && diagnostics[0].message.includes(SECRET_ARN));
    assert.ok(!String((diagnostics[0] as Error).message).includes("short-secret-value"));
  });

  it("the diagnostic line Powertools writes for a salt failure carries the ARN and not the value", async () => {
    reply = ok("short-secret-value");
    const handler = createPresignHandler({
      env: {
        DATA_BUCKET: "medical-backup-data",
        DATA_KMS_KEY_ARN: "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        AWS_REGION: "ap-northeast-1",
        AUDIT_HASH_SALT_SECRET_ARN: SECRET_ARN,
      },
      signer: new S3UrlSigner({ region: "ap-northeast-1", credentials: CREDENTIALS }),
      auditHashSalt: secretsManagerAuditSalt({ secretArn: SECRET_ARN, credentials: CREDENTIALS, endpoint }),
      auditSink: powertoolsAuditSink(createAuditLogger()),
    });
    const lines: string[] = [];
    const original = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
    const capture = ((chunk: unknown): boolean => {
      lines.push(
        ...String(chunk)
          .split("\n")
          .filter((line) => line.trim() !== ""),
      );
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    try {
      await handler({ resource: "/backups/upload-url", httpMethod: "POST" });
    } finally {
      process.stdout.write = original.out;
      process.stderr.write = original.err;
    }
    assert.equal(lines.filter((line) => line.includes(AUDIT_LOG_MESSAGE)).length, 1);
    const diagnostic = lines.find((line) => line.includes("backup-presign internal error"));
    assert.ok(diagnostic !== undefined, lines.join("\n"));
    assert.equal((JSON.parse(diagnostic) as { errorName: string }).errorName, "AuditSaltError");
    assert.ok(diagnostic.includes(SECRET_ARN));
    assert.ok(!lines.some((line) => line.includes("short-secret-value")));
  });

  it("cachedAuditSalt shares one read between concurrent first callers", async () => {
    let loads = 0;
    const salt = cachedAuditSalt(async () => {
      loads++;
      return SALT;
    });
    assert.deepEqual(await Promise.all([salt(), salt(), salt()]), [SALT, SALT, SALT]);
    assert.equal(loads, 1);
  });
});
