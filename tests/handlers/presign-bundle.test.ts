// The deployable artifact (E12): the esbuild bundle is self-contained, stable, small enough, and
// behaves like the source when loaded by a bare `node` (no node_modules next to it).

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bundlePresignHandler, type HandlerBundle } from "../../handlers/presign/build";

/** ~470 KB today (S3 client + presigner + Powertools Logger, minified). 700 KB catches a lost tree-shake or a stray dependency. */
const BUNDLE_BUDGET_BYTES = 700_000;

const RUNTIME_ENV = {
  PATH: process.env.PATH ?? "",
  DATA_BUCKET: "medical-backup-data",
  DATA_KMS_KEY_ARN: "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  AWS_REGION: "ap-northeast-1",
  AUDIT_HASH_SALT: "test-salt-0123456789abcdef0123456789abcdef",
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

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

  before(() => {
    bundle = bundlePresignHandler();
    workDir = mkdtempSync(path.join(tmpdir(), "presign-bundle-"));
    bundlePath = path.join(workDir, "index.js");
    writeFileSync(bundlePath, bundle.code);
  });
  after(() => rmSync(workDir, { recursive: true, force: true }));

  it("reports its size and stays within budget", () => {
    assert.equal(bundle.bytes, Buffer.byteLength(bundle.code, "utf8"));
    assert.ok(bundle.bytes > 50_000, "the SDK is inside the bundle");
    assert.ok(bundle.bytes < BUNDLE_BUDGET_BYTES, `bundle is ${bundle.bytes} bytes`);
  });

  it("requires nothing but Node.js built-ins (SDK and Powertools are bundled, version-pinned)", () => {
    // Calls only: the SDK also mentions require("@aws-sdk/signature-v4-crt") inside an error message.
    const required = new Set([...bundle.code.matchAll(/(?<![\w.$\[])require\("([^"]+)"\)/g)].map((match) => match[1]));
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const foreign = [...required].filter((name) => !builtins.has(name));
    assert.deepEqual(foreign, []);
  });

  it("is byte-identical across builds (no spurious Pulumi diffs)", () => {
    assert.equal(bundlePresignHandler().code, bundle.code);
  });

  it("runs from a bare directory: issues a URL and writes exactly one audit line", () => {
    const run = spawnSync(process.execPath, ["-e", INVOKE_SCRIPT, bundlePath], { cwd: workDir, env: RUNTIME_ENV, encoding: "utf8" });
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
