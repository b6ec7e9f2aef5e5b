// The deployable artifact (E12): the esbuild bundle is self-contained, stable, small enough, and
// behaves like the source when loaded by a bare `node` (no node_modules next to it), reading its
// audit-hash salt from a Secrets Manager stand-in on 127.0.0.1.

import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { builtinModules } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bundleHandler, type HandlerBundle } from "../../handlers/bundle";

/** The handler's entry, as infra/components/presign-api.ts deploys it (entry "presign/index.ts"). */
const PRESIGN_ENTRY = path.join(__dirname, "..", "..", "handlers", "presign", "index.ts");

/**
 * Issue 13's budget for the artifact Lambda loads: 250 KB (it was 468 KB with the whole S3 client).
 * About 60 KB today: SigV4 signer + Powertools Logger + the handler, minified.
 */
const BUNDLE_BUDGET_BYTES = 250_000;

const SECRET_ARN = "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:backup-presign-audit-salt-AbCdEf";
const SALT = "test-salt-0123456789abcdef0123456789abcdef";

const RUNTIME_ENV = {
  PATH: process.env.PATH ?? "",
  DATA_BUCKET: "medical-backup-data",
  DATA_KMS_KEY_ARN: "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  AWS_REGION: "ap-northeast-1",
  AUDIT_HASH_SALT_SECRET_ARN: SECRET_ARN,
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

/** Runs node asynchronously: the Secrets Manager stand-in lives in this process and must keep answering. */
function runNode(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

// Records every module the bundle loads at run time; anything but a built-in would mean the
// artifact depends on files that will not be in the Lambda package.
const INVOKE_SCRIPT = `
const Module = require("node:module");
const loaded = [];
const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (!Module.isBuiltin(request) && request !== process.argv[1]) loaded.push(request);
  return originalLoad.apply(this, arguments);
};
const { handler } = require(process.argv[1]);
const event = {
  resource: "/backups/upload-url", path: "/backups/upload-url", httpMethod: "POST",
  body: JSON.stringify({ contentMd5: "1B2M2Y8AsgTpgAmY7PhCfg==", contentType: "application/octet-stream" }),
  requestContext: { requestId: "req-bundle", identity: { accountId: "111111111111", userArn: "arn:aws:sts::111111111111:assumed-role/BackupAgent/host-01", sourceIp: "203.0.113.1", userAgent: "agent" } },
};
handler(event, { awsRequestId: "lambda-bundle" }).then((r) => process.stdout.write("RESULT " + JSON.stringify(r) + "\\n" + "LOADED " + JSON.stringify(loaded) + "\\n"));
`;

describe("presign bundle (E12)", function () {
  this.timeout(120_000);
  let bundle: HandlerBundle;
  let workDir: string;
  let bundlePath: string;
  let secretsManager: Server;
  let secretsEndpoint = "";
  const secretRequests: string[] = [];

  before(async () => {
    bundle = bundleHandler(PRESIGN_ENTRY);
    workDir = mkdtempSync(path.join(tmpdir(), "presign-bundle-"));
    bundlePath = path.join(workDir, "index.js");
    writeFileSync(bundlePath, bundle.code);
    // presign-salt.test.ts checks the request in full; here only that the bundle makes the call.
    secretsManager = createServer((request, response) => {
      secretRequests.push(
        `${request.method} ${String(request.headers["x-amz-target"])} ${/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/ap-northeast-1\/secretsmanager\/aws4_request, /.test(String(request.headers.authorization))}`,
      );
      request.resume();
      request.on("end", () =>
        response.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify({ ARN: SECRET_ARN, SecretString: SALT })),
      );
    });
    await new Promise<void>((resolve) => secretsManager.listen(0, "127.0.0.1", resolve));
    secretsEndpoint = `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}`;
  });
  after(async () => {
    rmSync(workDir, { recursive: true, force: true });
    await new Promise<void>((resolve) => secretsManager.close(() => resolve()));
  });

  it("the artifact on disk is within issue 13's 250 KB budget, and the reported size is the file's", () => {
    // Measured on the written file, not recomputed from the string the bundler returned.
    const onDisk = statSync(bundlePath).size;
    assert.ok(onDisk <= BUNDLE_BUDGET_BYTES, `index.js is ${onDisk} bytes, budget ${BUNDLE_BUDGET_BYTES}`);
    assert.equal(bundle.bytes, onDisk);
    // The signer is inside (the artifact loads nothing else) and the S3 client is not.
    const code = readFileSync(bundlePath, "utf8");
    assert.ok(code.includes("AWS4-HMAC-SHA256"), "SigV4 signer bundled");
    assert.ok(!code.includes("PutObjectCommand"), "no S3 client in the artifact");
  });

  it("requires nothing but Node.js built-ins (SDK and Powertools are bundled, version-pinned)", () => {
    // Calls only: the SDK also mentions require("@aws-sdk/signature-v4-crt") inside an error message.
    const required = new Set([...bundle.code.matchAll(/(?<![\w.$[])require\("([^"]+)"\)/g)].map((match) => match[1]));
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const foreign = [...required].filter((name) => !builtins.has(name));
    assert.deepEqual(foreign, []);
  });

  it("is byte-identical across builds (no spurious Pulumi diffs)", () => {
    assert.equal(bundleHandler(PRESIGN_ENTRY).code, bundle.code);
  });

  it("runs from a bare directory: reads the salt from Secrets Manager, issues a URL and writes exactly one audit line", async () => {
    const run = await runNode(["-e", INVOKE_SCRIPT, bundlePath], { cwd: workDir, env: { ...RUNTIME_ENV, AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsEndpoint } });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.split("\n").filter((line) => line.trim() !== "");
    const result = JSON.parse(lines.find((line) => line.startsWith("RESULT "))!.slice("RESULT ".length)) as { statusCode: number; body: string };
    assert.equal(result.statusCode, 200, result.body);
    assert.deepEqual(JSON.parse(lines.find((line) => line.startsWith("LOADED "))!.slice("LOADED ".length)), [], "only built-ins loaded");
    const url = new URL((JSON.parse(result.body) as { url: string }).url);
    assert.ok(decodeURIComponent(url.pathname).startsWith("/tenants/111111111111/BackupAgent/"));
    assert.ok((url.searchParams.get("X-Amz-SignedHeaders") ?? "").split(";").includes("content-md5"));
    assert.equal(url.searchParams.get("x-amz-checksum-crc32"), null);
    const audits = lines.filter((line) => line.includes('"audit":'));
    assert.equal(audits.length, 1, run.stdout);
    assert.equal((JSON.parse(audits[0]) as { audit: { action: string } }).audit.action, "UPLOAD_URL_ISSUED");
    assert.deepEqual(secretRequests, ["POST secretsmanager.GetSecretValue true"]);
  });

  it("fails the cold start naming AUDIT_HASH_SALT_SECRET_ARN when it is missing", () => {
    const { AUDIT_HASH_SALT_SECRET_ARN: _missing, ...env } = RUNTIME_ENV;
    const run = spawnSync(process.execPath, ["-e", "require(process.argv[1])", bundlePath], { cwd: workDir, env, encoding: "utf8" });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /PresignConfigError: presign handler configuration: AUDIT_HASH_SALT_SECRET_ARN is missing/);
  });

  it("fails the cold start naming the variable when URL_EXPIRY_SECONDS exceeds the cap", () => {
    const run = spawnSync(process.execPath, ["-e", "require(process.argv[1])", bundlePath], {
      cwd: workDir,
      env: { ...RUNTIME_ENV, URL_EXPIRY_SECONDS: "7200" },
      encoding: "utf8",
    });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /PresignConfigError: presign handler configuration: URL_EXPIRY_SECONDS is 7200, above the hard cap of 3600 seconds/);
  });
});
