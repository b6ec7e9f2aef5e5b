// `npm run check -- --stack <name> [--program <dir>] [--json] [--known] [--policy-config <file>]`
//
// Runs a Pulumi TypeScript program under the mocked runtime with the stack's real configuration
// and evaluates this project's policy pack on it as `pulumi preview --policy-pack policy` would.
// Exit 0: no mandatory violation; 1: at least one; 2: usage error or the program failed.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { evaluatePolicies, PolicyPackConfig, Violation } from "./analyze";
import { ProgramError, runProgram } from "./runProgram";
import { StackConfigError } from "./stackConfig";

const PROJECT_DIR = path.resolve(__dirname, "..");
const PACK_DIR = path.join(PROJECT_DIR, "policy");

export const USAGE = `usage: npm run check -- --stack <name> [--program <dir>] [--json] [--known] [--policy-config <file>]

  --stack <name>          stack whose Pulumi.<name>.yaml configures the program (required)
  --program <dir>         Pulumi TypeScript program to check (default: this project)
  --json                  print one JSON object instead of tables
  --known                 evaluate with known outputs, as on an update (default: first preview, outputs unknown)
  --policy-config <file>  policy pack config, as for --policy-pack-config (default: policy/config/<stack>.json if it exists)`;

export interface CheckIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface CheckReport {
  stack: string;
  resources: number;
  violations: Violation[];
}

class UsageError extends Error {}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        program: { type: "string" },
        json: { type: "boolean", default: false },
        known: { type: "boolean", default: false },
        "policy-config": { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { help: true as const };
  if (!v.stack) throw new UsageError("--stack is required (the name of a Pulumi.<stack>.yaml beside the program)");
  const programDir = path.resolve(v.program ?? PROJECT_DIR);
  if (!fs.existsSync(path.join(programDir, "Pulumi.yaml"))) {
    throw new UsageError(`--program ${v.program ?? programDir}: no Pulumi.yaml in ${programDir}`);
  }
  return { help: false as const, stack: v.stack, programDir, json: !!v.json, known: !!v.known, policyConfig: v["policy-config"] };
}

function readPolicyConfig(file: string | undefined, stack: string): PolicyPackConfig {
  const candidate = file ?? path.join(PACK_DIR, "config", `${stack}.json`);
  if (!file && !fs.existsSync(candidate)) return {};
  let text: string;
  try {
    text = fs.readFileSync(candidate, "utf8");
  } catch (e) {
    throw new UsageError(`--policy-config ${candidate}: ${(e as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a JSON object");
    return parsed;
  } catch (e) {
    throw new UsageError(`--policy-config ${candidate}: not a policy pack config (a JSON object of policy name -> level or settings): ${(e as Error).message}`);
  }
}

/** Makes another program's `@pulumi/*` imports resolve from this project's node_modules. */
function shareNodeModules(programDir: string): void {
  if (programDir === PROJECT_DIR) return;
  const ours = path.join(PROJECT_DIR, "node_modules");
  process.env.NODE_PATH = [ours, process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  require("module").Module._initPaths();
}

export async function check(argv: string[], io: CheckIo): Promise<number> {
  let args;
  let config: PolicyPackConfig;
  try {
    args = parse(argv);
    if (args.help) {
      io.out(USAGE);
      return 0;
    }
    config = readPolicyConfig(args.policyConfig, args.stack);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`check: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  shareNodeModules(args.programDir);
  let report: CheckReport;
  try {
    const run = await runProgram({ programDir: args.programDir, stack: args.stack, knownOutputs: args.known });
    const violations = await evaluatePolicies(run.resources, { packDir: PACK_DIR, config, stackTags: { "pulumi:project": run.stackConfig.project } });
    report = { stack: args.stack, resources: run.resources.length, violations };
    if (args.json) io.out(JSON.stringify({ stack: report.stack, resources: report.resources, violations: violations.map(({ policy, level, resource, message }) => ({ policy, level, resource, message })) }));
    else io.out(render(report, run.resources.map((r) => r.type), args.known));
  } catch (e) {
    const why = e instanceof ProgramError || e instanceof StackConfigError ? e.message : (e as Error)?.stack ?? String(e);
    io.err(`check: the program failed for stack "${args.stack}":\n${why}`);
    return 2;
  }
  return report.violations.some((v) => v.level === "mandatory") ? 1 : 0;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n");
}

function render(report: CheckReport, types: string[], known: boolean): string {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  const byType = [["TYPE", "COUNT"], ...[...counts.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([t, n]) => [t, String(n)])];
  const mandatory = report.violations.filter((v) => v.level === "mandatory").length;
  const lines = [
    `Stack ${report.stack}: ${report.resources} resources (${known ? "known outputs, as on an update" : "first preview, computed outputs unknown"})`,
    "",
    table(byType),
    "",
  ];
  if (report.violations.length === 0) lines.push("No policy violations.");
  else {
    const rows = [["POLICY", "LEVEL", "RESOURCE", "MESSAGE"], ...report.violations.map((v) => [v.policy, v.level, v.resource, v.message.replace(/\n/g, " ")])];
    lines.push(table(rows));
  }
  lines.push("", `${mandatory} mandatory, ${report.violations.length - mandatory} advisory violation(s).`);
  return lines.join("\n");
}

if (require.main === module) {
  check(process.argv.slice(2), { out: (s) => console.log(s), err: (s) => console.error(s) }).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`check: ${(e as Error)?.stack ?? e}`);
      process.exit(2);
    },
  );
}
