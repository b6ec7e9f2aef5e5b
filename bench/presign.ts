// Benchmark of the presign Lambda (E12): artifact size, cold-start import cost, and core latency.
// Run: npx ts-node --transpile-only bench/presign.ts [--spawns N] [--requests N]
//
// 1. Bundle: bytes and gzip bytes of the esbuild artifact (what Lambda downloads and unpacks).
// 2. Cold start: `node -e 'require(bundle)'` vs `node -e ''`, interleaved in the same run so both
//    see the same machine load; the difference is the cost of loading the handler module
//    (parse + module init + config validation + signer construction; the audit-hash salt is read
//    from Secrets Manager on the first invocation, not at import). Also the in-process require()
//    time, which excludes node's own start-up. Issue 13's budgets: bundle <= 250 KB, import
//    <= 25 ms over `node -e ''`; both are printed against the figures of this run.
// 3. Core: handlePresignRequest over N requests in one process with the production signer
//    (SDK SigV4 signer, static fake credentials, local signing, no network); p50 / p99 per kind.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { bundleHandler } from "../handlers/bundle";
import { loadPresignConfig, withAuditHashSalt } from "../handlers/presign/config";
import { handlePresignRequest, type PresignCoreDependencies } from "../handlers/presign/core";
import { S3UrlSigner } from "../handlers/presign/s3-url-signer";

const PRESIGN_ENTRY = path.join(__dirname, "..", "handlers", "presign", "index.ts");
const BUNDLE_BUDGET_BYTES = 250_000;
const IMPORT_BUDGET_MS = 25;

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}
const SPAWNS = argument("spawns", 20);
const REQUESTS = argument("requests", 10_000);

const ENV = {
  DATA_BUCKET: "medical-backup-data",
  DATA_KMS_KEY_ARN: "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  AWS_REGION: "ap-northeast-1",
  AUDIT_HASH_SALT_SECRET_ARN: "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:backup-presign-audit-salt-AbCdEf",
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
function summary(samples: readonly number[]): { p50: number; p90: number; p99: number; max: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
  };
}
const ms = (value: number): string => `${value.toFixed(3)} ms`;

function spawnMs(args: string[], env: NodeJS.ProcessEnv): { wallMs: number; stdout: string } {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { env, encoding: "utf8" });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${run.stderr.slice(0, 500)}`);
  return { wallMs, stdout: run.stdout };
}

async function main(): Promise<void> {
  // ---- 1. bundle -------------------------------------------------------------------------------
  const buildStarted = process.hrtime.bigint();
  const bundle = bundleHandler(PRESIGN_ENTRY);
  const buildMs = Number(process.hrtime.bigint() - buildStarted) / 1e6;
  const gzipBytes = gzipSync(bundle.code, { level: 9 }).length;
  console.log("presign bundle");
  console.log(
    `  bytes            ${bundle.bytes} (${(bundle.bytes / 1024).toFixed(1)} KiB)  budget ${BUNDLE_BUDGET_BYTES}: ${bundle.bytes <= BUNDLE_BUDGET_BYTES ? "within" : "OVER"} (${((100 * bundle.bytes) / BUNDLE_BUDGET_BYTES).toFixed(0)}% of it)`,
  );
  console.log(`  gzip bytes       ${gzipBytes} (${(gzipBytes / 1024).toFixed(1)} KiB)`);
  console.log(`  build time       ${ms(buildMs)}`);

  // ---- 2. cold start -----------------------------------------------------------------------------
  const workDir = mkdtempSync(path.join(tmpdir(), "presign-bench-"));
  const bundlePath = path.join(workDir, "index.js");
  writeFileSync(bundlePath, bundle.code);
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...ENV };
  // Wall and CPU time of the require() itself; CPU time is the figure least moved by other load.
  const requireScript =
    "const c=process.cpuUsage(),t=process.hrtime.bigint();require(process.argv[1]);const w=Number(process.hrtime.bigint()-t)/1e6,u=process.cpuUsage(c);process.stdout.write(w+' '+(u.user+u.system)/1e3)";
  const baseline: number[] = [];
  const withBundle: number[] = [];
  const inProcessRequire: number[] = [];
  const inProcessCpu: number[] = [];
  try {
    // One warm-up of each (file cache), then interleaved pairs so load drift hits both equally.
    spawnMs(["-e", ""], childEnv);
    spawnMs(["-e", requireScript, bundlePath], childEnv);
    for (let i = 0; i < SPAWNS; i++) {
      baseline.push(spawnMs(["-e", ""], childEnv).wallMs);
      const run = spawnMs(["-e", requireScript, bundlePath], childEnv);
      withBundle.push(run.wallMs);
      const [wall, cpu] = run.stdout.split(" ").map(Number);
      inProcessRequire.push(wall);
      inProcessCpu.push(cpu);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const base = summary(baseline);
  const loaded = summary(withBundle);
  const requireOnly = summary(inProcessRequire);
  const requireCpu = summary(inProcessCpu);
  console.log(`cold start (${SPAWNS} interleaved spawns each, ${process.version}, ${process.arch})`);
  console.log(`  node -e ''                    p50 ${ms(base.p50)}  p90 ${ms(base.p90)}`);
  console.log(`  node -e 'require(bundle)'     p50 ${ms(loaded.p50)}  p90 ${ms(loaded.p90)}`);
  const importCost = loaded.p50 - base.p50;
  console.log(`  difference (p50)              ${ms(importCost)}  ratio ${(loaded.p50 / base.p50).toFixed(2)}x`);
  console.log(
    `  import budget                 ${IMPORT_BUDGET_MS} ms over node's start: ${importCost <= IMPORT_BUDGET_MS ? "within" : "OVER"} (${((100 * importCost) / IMPORT_BUDGET_MS).toFixed(0)}% of it)`,
  );
  console.log(`  require() inside the process  p50 ${ms(requireOnly.p50)}  p90 ${ms(requireOnly.p90)}  (CPU p50 ${ms(requireCpu.p50)})`);
  console.log(`  machine load (1 min average)  ${loadavg()[0].toFixed(2)} on ${cpus().length} cores: wall figures grow with it`);

  // ---- 3. core latency ---------------------------------------------------------------------------
  const deps: PresignCoreDependencies = {
    config: withAuditHashSalt(loadPresignConfig(ENV), "bench-salt-0123456789abcdef0123456789abcdef"),
    signer: new S3UrlSigner({ region: ENV.AWS_REGION, credentials: { accessKeyId: ENV.AWS_ACCESS_KEY_ID, secretAccessKey: ENV.AWS_SECRET_ACCESS_KEY } }),
    now: () => new Date(),
    newObjectId: () => "0f8fad5b-d9cb-469f-a165-70867728950e",
  };
  const identity = {
    accountId: "111111111111",
    userArn: "arn:aws:sts::111111111111:assumed-role/BackupAgent/host-01",
    sourceIp: "203.0.113.10",
    userAgent: "bench",
  };
  const event = (resource: string, body: unknown) => ({
    resource,
    path: resource,
    httpMethod: "POST",
    body: JSON.stringify(body),
    requestContext: { requestId: "bench", identity },
  });
  // Mix: half uploads, a third downloads, the rest refusals (outside prefix, hostile key).
  const kinds = [
    {
      name: "upload URL issued",
      weight: 6,
      event: event("/backups/upload-url", { fileName: "nightly.dump", contentMd5: "1B2M2Y8AsgTpgAmY7PhCfg==", contentType: "application/octet-stream" }),
    },
    {
      name: "download URL issued",
      weight: 3,
      event: event("/backups/download-url", { key: "tenants/111111111111/BackupAgent/2025/06/01/0f8fad5b-d9cb-469f-a165-70867728950e" }),
    },
    { name: "refused (403 / 400)", weight: 1, event: event("/backups/download-url", { key: "tenants/222222222222/BackupAgent/x.dump" }) },
    { name: "refused (403 / 400)", weight: 1, event: event("/backups/download-url", { key: "tenants/111111111111/BackupAgent/../x" }) },
  ];
  const schedule = kinds.flatMap((kind) => Array.from({ length: kind.weight }, () => kind));
  for (let i = 0; i < 500; i++) await handlePresignRequest(schedule[i % schedule.length].event, undefined, deps); // JIT warm-up

  const all: number[] = [];
  const byKind = new Map<string, number[]>();
  const wallStarted = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    const kind = schedule[i % schedule.length];
    const started = process.hrtime.bigint();
    const outcome = await handlePresignRequest(kind.event, undefined, deps);
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (outcome.response.statusCode >= 500) throw new Error(`unexpected ${outcome.response.statusCode}`);
    all.push(elapsed);
    const samples = byKind.get(kind.name) ?? [];
    samples.push(elapsed);
    byKind.set(kind.name, samples);
  }
  const wallMs = Number(process.hrtime.bigint() - wallStarted) / 1e6;
  const overall = summary(all);
  console.log(`core (${REQUESTS} requests, one process, SDK SigV4 signer)`);
  console.log(
    `  all                  p50 ${ms(overall.p50)}  p99 ${ms(overall.p99)}  max ${ms(overall.max)}  throughput ${(REQUESTS / (wallMs / 1000)).toFixed(0)} req/s`,
  );
  for (const [name, samples] of byKind) {
    const s = summary(samples);
    console.log(`  ${name.padEnd(20)} p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  (n=${samples.length})`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
