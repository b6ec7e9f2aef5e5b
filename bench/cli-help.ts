// `npm run evidence -- <command> --help` start-up (issue 15: it took 2 s because every AWS client
// loaded eagerly). Prints medians of N spawns of: ts-node running an empty .ts file (the floor),
// `evidence --help`, `evidence verify --help`, and ts-node loading every AWS client the commands
// use (what the CLI paid before the clients became lazy), with ratios to the floor.
// Usage: ts-node bench/cli-help.ts [--spawns 5]
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const spawnsArg = process.argv.indexOf("--spawns");
const spawns = spawnsArg > 0 ? Number(process.argv[spawnsArg + 1]) : 5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-help-"));
const empty = path.join(tmp, "empty.ts");
fs.writeFileSync(empty, "export {};\n");
const eager = path.join(tmp, "eager.ts");
const clients = ["s3", "cloudtrail", "athena", "cloudwatch-logs", "config-service", "organizations"];
fs.writeFileSync(
  eager,
  clients.map((c) => `require(${JSON.stringify(path.join(ROOT, "node_modules/@aws-sdk", `client-${c}`))});`).join("\n") + "\nexport {};\n",
);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(args: string[]): number {
  const runs: number[] = [];
  for (let i = 0; i < spawns; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", ...args], { cwd: ROOT, encoding: "utf8" });
    runs.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  return median(runs);
}

const floor = time([empty]);
const help = time([path.join(ROOT, "evidence/cli.ts"), "--help"]);
const verifyHelp = time([path.join(ROOT, "evidence/cli.ts"), "verify", "--help"]);
const allClients = time([eager]);
fs.rmSync(tmp, { recursive: true, force: true });
const row = (name: string, ms: number) => console.log(`${name.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / floor).toFixed(2)}x the floor`);
console.log(`median of ${spawns} spawns each`);
row("ts-node, empty .ts (floor)", floor);
row("evidence --help", help);
row("evidence verify --help", verifyHelp);
row("ts-node loading every AWS client (eager)", allClients);
console.log(`help costs ${(help - floor).toFixed(0)} ms over the floor; loading the clients eagerly cost ${(allClients - floor).toFixed(0)} ms more`);
