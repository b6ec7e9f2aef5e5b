// `npm run check -- --stack <name> [options]`
//
// Runs a Pulumi TypeScript program under the mocked runtime with the stack's real configuration
// and evaluates policy packs on it as `pulumi preview --policy-pack <dir>` (or `pulumi up
// --skip-preview`, `--mode up`) would. Exit codes (cli/exit-codes.ts): 0 no mandatory violation,
// 1 at least one, 2 usage error (nothing was run), 3 the program failed.
import * as fs from "fs";
import * as path from "path";
import { parseChoice, parseFlags, ParsedFlags, stringList, UsageError } from "../cli/args";
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from "../cli/exit-codes";
import { evaluatePolicies, LoadedPack, PackSpec, PolicyConfigError, PolicyPackConfig, preparePacks, Violation } from "./analyze";
import { ProgramError, runProgram } from "./run-program";
import { StackConfigError } from "./stack-config";

const PROJECT_DIR = path.resolve(__dirname, "..");
const PACK_DIR = path.join(PROJECT_DIR, "policy");
const COMMAND = "check";

export const USAGE = `usage: npm run check -- --stack <name> [--program <dir>] [--mode preview|up] [--known]
                      [--format table|json|sarif] [--json] [--policy-pack <dir>]... [--policy-config <file>]...

  --stack <name>          stack whose Pulumi.<name>.yaml configures the program (required)
  --program <dir>         Pulumi TypeScript program to check (default: this project)
  --mode preview|up       preview (default): a first preview, computed outputs unknown;
                          up: as \`pulumi up --skip-preview\`: outputs known, and each mandatory violation says
                          whether the engine stops before creating the resource or only after creating everything
  --known                 run the program as on an update (not a dry run, outputs known), judged as a preview
  --format <f>            table (default), json (one JSON object on stdout; the program's output goes to
                          stderr), or sarif (SARIF 2.1.0 for code scanning)
  --json                  the same as --format json
  --policy-pack <dir>     a policy pack to run, repeatable, as the CLI's flag (default: this project's policy/)
  --policy-config <file>  pack config as for --policy-pack-config, repeatable: the n-th applies to the n-th pack
                          (default for this project's pack: policy/config/<stack>.json if it exists)`;

const FLAGS = {
  stack: { type: "string", describe: "stack name" },
  program: { type: "string", describe: "program directory" },
  mode: { type: "string", describe: "preview or up" },
  known: { type: "boolean", describe: "" },
  format: { type: "string", describe: "table, json or sarif" },
  json: { type: "boolean", describe: "" },
  "policy-pack": { type: "strings", describe: "policy pack directory" },
  "policy-config": { type: "strings", describe: "policy pack config file" },
  help: { type: "boolean", describe: "" },
} as const;

export interface CheckIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

type Format = "table" | "json" | "sarif";
type Mode = "preview" | "up";

interface Args {
  stack: string;
  programDir: string;
  mode: Mode;
  known: boolean;
  format: Format;
  packs: PackSpec[];
}

function parse(argv: string[]): Args | "help" {
  const flags: ParsedFlags = parseFlags(COMMAND, argv, FLAGS);
  if (flags.help) return "help";
  const stack = flags.stack;
  if (typeof stack !== "string") throw new UsageError(`${COMMAND}: --stack is required (the name of a Pulumi.<stack>.yaml beside the program)`);
  const program = typeof flags.program === "string" ? flags.program : undefined;
  const programDir = path.resolve(program ?? PROJECT_DIR);
  if (!fs.existsSync(path.join(programDir, "Pulumi.yaml")))
    throw new UsageError(`${COMMAND}: --program ${program ?? programDir}: no Pulumi.yaml in ${programDir}`);
  if (!fs.existsSync(path.join(programDir, `Pulumi.${stack}.yaml`))) {
    const known = fs
      .readdirSync(programDir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((x): x is string => !!x);
    throw new UsageError(
      `${COMMAND}: --stack ${stack}: no ${path.join(programDir, `Pulumi.${stack}.yaml`)} (stacks of this program: ${known.join(", ") || "none"})`,
    );
  }
  const mode = parseChoice(COMMAND, "mode", flags.mode as string | undefined, ["preview", "up"] as const, "preview");
  let format = parseChoice(COMMAND, "format", flags.format as string | undefined, ["table", "json", "sarif"] as const, "table");
  if (flags.json) {
    if (flags.format !== undefined && format !== "json") throw new UsageError(`${COMMAND}: --json and --format ${format} contradict each other`);
    format = "json";
  }
  const packDirs = stringList(flags, "policy-pack").map((d) => path.resolve(d));
  const configs = stringList(flags, "policy-config");
  const dirs = packDirs.length > 0 ? packDirs : [PACK_DIR];
  if (configs.length > 0 && configs.length !== dirs.length) {
    throw new UsageError(
      `${COMMAND}: ${configs.length} --policy-config for ${dirs.length} policy pack(s): give one per --policy-pack, in the same order (as the CLI's --policy-pack-config)`,
    );
  }
  for (const d of dirs)
    if (!fs.existsSync(path.join(d, "package.json"))) throw new UsageError(`${COMMAND}: --policy-pack ${d}: not a policy pack (no package.json)`);
  const packs = dirs.map((dir, i) => ({
    dir,
    config: readPolicyConfig(configs[i], dir === PACK_DIR && configs.length === 0 ? path.join(PACK_DIR, "config", `${stack}.json`) : undefined),
  }));
  return { stack, programDir, mode, known: !!flags.known || mode === "up", format, packs };
}

function readPolicyConfig(file: string | undefined, fallback: string | undefined): PolicyPackConfig | undefined {
  const candidate = file ?? fallback;
  if (!candidate || (!file && !fs.existsSync(candidate))) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(candidate, "utf8");
  } catch (e) {
    throw new UsageError(`${COMMAND}: --policy-config ${candidate}: ${(e as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a JSON object");
    return parsed;
  } catch (e) {
    throw new UsageError(
      `${COMMAND}: --policy-config ${candidate}: not a policy pack config (a JSON object of policy name -> level or settings): ${(e as Error).message}`,
    );
  }
}

/** Makes another program's `@pulumi/*` imports resolve from this project's node_modules. */
function shareNodeModules(programDir: string): void {
  if (programDir === PROJECT_DIR) return;
  const ours = path.join(PROJECT_DIR, "node_modules");
  if ((process.env.NODE_PATH ?? "").split(path.delimiter).includes(ours)) return;
  process.env.NODE_PATH = [ours, process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Module._initPaths is internal, absent from @types/node
  require("module").Module._initPaths();
}

/** The program's entry file, relative to the program folder (package.json "main", else index.ts). */
function entryFile(programDir: string): string {
  try {
    const main = JSON.parse(fs.readFileSync(path.join(programDir, "package.json"), "utf8")).main;
    if (typeof main === "string") return path.normalize(main);
  } catch {
    // no package.json: the CLI's default
  }
  return "index.ts";
}

/** When the engine acts on a mandatory violation in `pulumi up --skip-preview`. */
export function enforcedAt(v: Violation): "before-create" | "after-all-created" {
  return v.phase === "resource" ? "before-create" : "after-all-created";
}

/** What the check calls to run a program; tests pass a memoising one (the program is deterministic). */
export interface CheckDeps {
  runProgram: typeof runProgram;
}

export async function check(argv: string[], io: CheckIo, deps: CheckDeps = { runProgram }): Promise<number> {
  let args: Args | "help";
  let prepared: { pack: LoadedPack }[];
  try {
    args = parse(argv);
    if (args === "help") {
      io.out(USAGE);
      return EXIT_OK;
    }
    // Every pack loads and its config reconciles before the program runs: a bad config is a usage error.
    prepared = await preparePacks(args.packs);
  } catch (e) {
    if (e instanceof UsageError || e instanceof PolicyConfigError) {
      io.err(`${e.message.startsWith(`${COMMAND}:`) ? "" : `${COMMAND}: `}${e.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    io.err(`${COMMAND}: a policy pack could not be loaded: ${(e as Error)?.stack ?? e}`);
    return EXIT_ERROR;
  }
  shareNodeModules(args.programDir);
  let run;
  try {
    // The program's own console output never mixes with a machine-readable report.
    run = await deps.runProgram({
      programDir: args.programDir,
      stack: args.stack,
      knownOutputs: args.known,
      programOutput: args.format === "table" ? undefined : io.err,
    });
  } catch (e) {
    const why = e instanceof ProgramError || e instanceof StackConfigError ? e.message : ((e as Error)?.stack ?? String(e));
    io.err(`${COMMAND}: the program failed for stack "${args.stack}":\n${why}`);
    return EXIT_ERROR;
  }
  const violations = await evaluatePolicies(run.resources, {
    packs: args.packs,
    stackTags: { "pulumi:project": run.stackConfig.project, "pulumi:stack": args.stack },
  });
  const view =
    args.mode === "up"
      ? "as pulumi up --skip-preview: outputs known"
      : args.known
        ? "known outputs, as on an update"
        : "first preview, computed outputs unknown";
  if (args.format === "json") {
    io.out(
      JSON.stringify({
        stack: args.stack,
        mode: args.mode,
        resources: run.resources.length,
        packs: prepared.map((p) => ({ name: p.pack.name, version: p.pack.version })),
        violations: violations.map(({ policy, pack, level, resource, message, phase }) => ({
          policy,
          pack,
          level,
          resource,
          message,
          phase,
          ...(args.mode === "up" && level === "mandatory" ? { enforcedAt: enforcedAt({ phase } as Violation) } : {}),
        })),
      }),
    );
  } else if (args.format === "sarif") {
    io.out(
      JSON.stringify(
        sarif(
          prepared.map((p) => p.pack),
          violations,
          path.relative(PROJECT_DIR, path.join(args.programDir, entryFile(args.programDir))),
        ),
      ),
    );
  } else {
    io.out(
      render(
        args,
        run.resources.map((r) => r.type),
        violations,
        view,
      ),
    );
  }
  return violations.some((v) => v.level === "mandatory") ? EXIT_FINDINGS : EXIT_OK;
}

/**
 * SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html) for GitHub code
 * scanning: one rule per policy (from the pack's own metadata), one result per violation, located
 * at the program's entry file (the mocked run knows no source line), the URN as logical location.
 */
export function sarif(packs: LoadedPack[], violations: Violation[], entry: string): object {
  const rules = packs.flatMap((p) =>
    p.policies.map((pol) => ({
      id: pol.name,
      name: pol.name,
      shortDescription: { text: pol.description },
      fullDescription: { text: pol.description },
      help: { text: pol.remediationSteps || pol.description },
      defaultConfiguration: { level: pol.enforcementLevel === "mandatory" ? "error" : "warning" },
      properties: {
        tags: pol.tags,
        pack: `${p.name}@${p.version}`,
        ...(pol.severity ? { "security-severity": { low: "3.0", medium: "5.0", high: "7.5", critical: "9.5" }[pol.severity] } : {}),
      },
    })),
  );
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: { name: "audit-trail-estate offline policy check", informationUri: "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/", rules },
        },
        results: violations.map((v) => ({
          ruleId: v.policy,
          ruleIndex: index.get(v.policy),
          level: v.level === "mandatory" ? "error" : "warning",
          message: { text: `${v.resource}: ${v.message}` },
          locations: [
            {
              physicalLocation: { artifactLocation: { uri: entry.split(path.sep).join("/") }, region: { startLine: 1 } },
              logicalLocations: v.urn ? [{ fullyQualifiedName: v.urn, kind: "resource" }] : [],
            },
          ],
          partialFingerprints: { "policyResource/v1": `${v.policy}:${v.resource}` },
        })),
      },
    ],
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n");
}

function render(args: Args, types: string[], violations: Violation[], view: string): string {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  const byType = [["TYPE", "COUNT"], ...[...counts.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([t, n]) => [t, String(n)])];
  const mandatory = violations.filter((v) => v.level === "mandatory");
  const lines = [`Stack ${args.stack}: ${types.length} resources (${view})`, "", table(byType), ""];
  if (violations.length === 0) lines.push("No policy violations.");
  else {
    const multi = new Set(violations.map((v) => v.pack)).size > 1;
    const rows = [
      ["POLICY", "LEVEL", "RESOURCE", "MESSAGE"],
      ...violations.map((v) => [multi ? `${v.pack}/${v.policy}` : v.policy, v.level, v.resource, v.message.replace(/\n/g, " ")]),
    ];
    lines.push(table(rows));
  }
  if (args.mode === "up" && mandatory.length > 0) {
    lines.push("", "pulumi up --skip-preview would stop:");
    for (const v of mandatory) {
      lines.push(
        enforcedAt(v) === "before-create"
          ? `  before creating ${v.resource} (resource policy ${v.policy}): nothing of it is created`
          : `  only after every resource was created (stack policy ${v.policy}, on ${v.resource}): the offending resources exist by then`,
      );
    }
  }
  lines.push("", `${mandatory.length} mandatory, ${violations.length - mandatory.length} advisory violation(s).`);
  return lines.join("\n");
}

if (require.main === module) {
  check(process.argv.slice(2), { out: (s) => process.stdout.write(s + "\n"), err: (s) => process.stderr.write(s + "\n") }).then(
    (code) => {
      process.exitCode = code;
      // The SDK keeps handles (gRPC, timers) alive: exit once stdout is flushed.
      process.stdout.write("", () => process.exit(code));
    },
    (e) => {
      process.stderr.write(`${COMMAND}: ${(e as Error)?.stack ?? e}\n`);
      process.exit(EXIT_ERROR);
    },
  );
}
