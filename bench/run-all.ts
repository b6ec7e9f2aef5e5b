// Runs every benchmark in turn (one at a time: the machine has 2 cores) and prints their figures.
// `npm run bench` for the quick sizes; `npm run bench -- --full` for the sizes the README quotes
// (1 GiB of logs for the verifier).
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const full = process.argv.includes("--full");
const benches: [string, string[]][] = [
  ["suite.ts", ["--runs", full ? "3" : "1"]],
  ["policy-pack.ts", ["--resources", "5000"]],
  ["presign.ts", full ? [] : ["--spawns", "5", "--requests", "2000"]],
  ["verify-throughput.ts", ["--gib", full ? "1" : "0.05"]],
];
let failed = 0;
for (const [file, args] of benches) {
  console.log(`\n== bench/${file} ${args.join(" ")}`);
  const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, file), ...args], {
    stdio: "inherit",
    cwd: path.resolve(__dirname, ".."),
  });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
