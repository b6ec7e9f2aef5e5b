/**
 * Writes policy/README.md from the policies' own metadata (name, description, default enforcement
 * level, severity, remediation, requirement ids, controls) and the per-stack pack configurations
 * in policy/config/<stack>.json, so the document cannot drift from the code.
 *
 *   npm run policy:readme              write policy/README.md
 *   npm run policy:readme -- --check   exit 1 (and say why) when policy/README.md is not what
 *                                      this script would write; nothing is written
 *
 * The output is deterministic: no dates, no absolute paths; policies in the pack's order, stacks
 * and controls sorted. Exit codes: 0 written / up to date, 1 stale (--check), 2 usage or input
 * error (a config naming a policy the pack lacks, an unknown enforcement level, ...).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { EnforcementLevel } from "@pulumi/policy";
import type { Controls, DocumentedPolicy } from "../lib/metadata";
import { ALL_POLICIES, MUST_POLICIES } from "../policies";

export const POLICY_DIR = path.resolve(__dirname, "..");
export const README_PATH = path.join(POLICY_DIR, "README.md");
export const CONFIG_DIR = path.join(POLICY_DIR, "config");

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** One entry of a `--policy-pack-config` file: a level, or an object with one and properties. */
export type PolicyConfigValue = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);
export type PolicyPackConfig = Record<string, PolicyConfigValue>;

export interface ReadmeInput {
  packName: string;
  packVersion: string;
  packDescription: string;
  policies: readonly DocumentedPolicy[];
  /** The MUST items (M1-M5): the subset of `policies` mandatory by default. */
  mustPolicies: readonly DocumentedPolicy[];
  /** Stack name -> the contents of policy/config/<stack>.json. */
  stackConfigs: Readonly<Record<string, PolicyPackConfig>>;
}

export class ReadmeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReadmeInputError";
  }
}

function isLevel(value: unknown): value is EnforcementLevel {
  return typeof value === "string" && (LEVELS as readonly string[]).includes(value);
}

function levelOfEntry(stack: string, key: string, value: unknown): EnforcementLevel | undefined {
  if (typeof value === "string") {
    if (!isLevel(value)) throw new ReadmeInputError(`config/${stack}.json: "${key}": "${value}" is not an enforcement level (allowed: ${LEVELS.join(", ")})`);
    return value;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ReadmeInputError(`config/${stack}.json: "${key}" must be an enforcement level or an object such as {"enforcementLevel": "advisory"}`);
  }
  const level = (value as { enforcementLevel?: unknown }).enforcementLevel;
  if (level === undefined) return undefined;
  if (!isLevel(level))
    throw new ReadmeInputError(
      `config/${stack}.json: "${key}".enforcementLevel "${String(level)}" is not an enforcement level (allowed: ${LEVELS.join(", ")})`,
    );
  return level;
}

/**
 * The level a policy runs at in a stack, as the Pulumi CLI resolves it: the policy's own entry,
 * else the reserved `all` entry, else the policy's default. Names that are not policies of the
 * pack are refused, as the CLI refuses them.
 */
export function resolveLevels(stack: string, config: PolicyPackConfig, policies: readonly DocumentedPolicy[]): Map<string, EnforcementLevel> {
  const names = new Set(policies.map((p) => p.name));
  for (const key of Object.keys(config)) {
    if (key !== "all" && !names.has(key)) {
      throw new ReadmeInputError(`config/${stack}.json names "${key}", which is not a policy of this pack`);
    }
  }
  const all = config.all === undefined ? undefined : levelOfEntry(stack, "all", config.all);
  const levels = new Map<string, EnforcementLevel>();
  for (const policy of policies) {
    const own = config[policy.name] === undefined ? undefined : levelOfEntry(stack, policy.name, config[policy.name]);
    levels.set(policy.name, own ?? all ?? policy.enforcementLevel ?? "advisory");
  }
  return levels;
}

/** Text safe inside a Markdown table cell. */
function cell(text: string): string {
  return text
    .replace(/\r?\n+/g, " ")
    .replace(/\|/g, "\\|")
    .trim();
}

const FRAMEWORKS: ReadonlyArray<{ key: keyof Controls; label: string }> = [
  { key: "pci", label: "PCI DSS" },
  { key: "iso27001", label: "ISO 27001" },
  { key: "soc2", label: "SOC 2" },
  { key: "hipaa", label: "HIPAA" },
];

/** Natural order without locale data ("10.3.2" < "10.3.10", "A.5.33" < "A.8.15"): the same on every machine. */
export function compareNatural(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = chunks(a);
  const y = chunks(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const nx = /^\d/.test(x[i]);
    const ny = /^\d/.test(y[i]);
    if (nx && ny && Number(x[i]) !== Number(y[i])) return Number(x[i]) - Number(y[i]);
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Requirement ids in the order of requirements.md: the MUST items, the estate rows, the record fields. */
export function compareRequirements(a: string, b: string): number {
  const rank = (id: string) => ({ M: 0, E: 1, A: 2 })[id[0] as "M" | "E" | "A"] ?? 3;
  return rank(a) - rank(b) || compareNatural(a, b);
}

function controlsCell(controls: Controls): string {
  return FRAMEWORKS.filter((f) => controls[f.key].length > 0)
    .map((f) => `${f.label} ${controls[f.key].join(", ")}`)
    .join("; ");
}

function levelText(level: EnforcementLevel, fallback: EnforcementLevel | undefined): string {
  return fallback !== undefined && level !== fallback ? `**${level}**` : level;
}

function remediateText(policies: readonly DocumentedPolicy[]): string {
  const fixing = policies.filter((p) => typeof (p as { remediate?: unknown }).remediate === "function").map((p) => `\`${p.name}\``);
  return fixing.length === 0
    ? "the same as mandatory here: no policy of this pack has a remediation"
    : `fixes the resource where the policy can (${fixing.join(", ")}); mandatory for the others`;
}

function configSchemaProperties(policy: DocumentedPolicy): string[] {
  const props = (policy as { configSchema?: { properties?: Record<string, unknown> } }).configSchema?.properties;
  return props ? Object.keys(props).sort() : [];
}

/** The whole README, from the pack's own data. */
export function renderPolicyReadme(input: ReadmeInput): string {
  const stacks = Object.keys(input.stackConfigs).sort(compareNatural);
  const levels = new Map(stacks.map((s) => [s, resolveLevels(s, input.stackConfigs[s], input.policies)] as const));
  const must = new Set(input.mustPolicies.map((p) => p.name));
  const mustCount = input.policies.filter((p) => must.has(p.name)).length;
  const out: string[] = [];
  const line = (text = "") => out.push(text);

  line(`<!-- Generated by policy/scripts/generate-readme.ts from the policies' metadata and policy/config/*.json. -->`);
  line(`<!-- Do not edit by hand: change the policy or the config, then run \`npm run policy:readme\`. -->`);
  line();
  line(`# Policy pack \`${input.packName}\` ${input.packVersion}`);
  line();
  line(cell(input.packDescription) + ".");
  line();
  line(
    `A Pulumi CrossGuard policy pack of ${input.policies.length} policies: the ${mustCount} that enforce the audit-trail MUST items ` +
      `(M1-M5 of [docs/requirements.md](../docs/requirements.md)) are **mandatory** by default, the others are **advisory**. ` +
      `It is meant to be enabled for every stack of the organisation, not only this repository's: it judges resources ` +
      `it did not create, in any style (v7 \`aws.s3.Bucket\` with split configuration resources, \`BucketV2\` with the \`*V2\` ` +
      `resources, legacy inline bucket arguments), and a value that is unknown during a first preview is never a pass ` +
      `(the policy reports what it can determine, then the engine shows an advisory "can't run policy during preview" note).`,
  );
  line();
  line(`Version history and the versioning rules organisations can rely on when they pin a version: [CHANGELOG.md](CHANGELOG.md).`);
  line();

  line(`## Run it locally`);
  line();
  line(`From the repository root, with the Pulumi CLI and credentials for the stack:`);
  line();
  line("```sh");
  line(`(cd policy && npm install)          # the pack's own dependencies, once`);
  line(`npx pulumi preview --stack <stack> --policy-pack policy --policy-pack-config policy/config/<stack>.json`);
  line("```");
  line();
  line(
    `Without an AWS account or the Pulumi CLI, \`npm run check -- --stack <stack>\` runs the program under Pulumi's mocks and ` +
      `evaluates this pack through the policy SDK's own analyzer with \`policy/config/<stack>.json\` (exit 1 on a mandatory violation).`,
  );
  line();

  line(`## Publish and enable it for the organisation`);
  line();
  line(
    `The published version is \`version\` in \`policy/package.json\`. A tag \`policy-v<version>\` runs ` +
      `\`.github/workflows/policy-release.yml\`, which does the same as:`,
  );
  line();
  line("```sh");
  line(`cd policy && npm install && npx pulumi policy publish <org>`);
  line(`cd ..`);
  line(`# mandatory MUST items for the organisation's default policy group`);
  line(`npx pulumi policy enable <org>/${input.packName} ${input.packVersion} --policy-group default-policy-group --config policy/config/prd.json`);
  line(`# advisory MUST items for the group that holds the dev stacks`);
  line(`npx pulumi policy enable <org>/${input.packName} ${input.packVersion} --policy-group <dev-group> --config policy/config/dev.json`);
  line("```");
  line();
  line(
    `A policy group decides which stacks a pack applies to; \`--config\` sets the pack's per-policy levels in that group. ` +
      `Enable a specific version rather than \`latest\`, so a new release reaches the organisation only when it is enabled.`,
  );
  line();

  line(`## Configure the enforcement levels`);
  line();
  line(
    `A pack configuration file (\`--policy-pack-config\` locally, \`--config\` of \`pulumi policy enable\`) maps policy names to ` +
      `levels: \`{"<policy>": {"enforcementLevel": "<level>"}}\` or the short form \`{"<policy>": "<level>"}\`. Levels: ` +
      `\`mandatory\` (a violation fails the preview or update), \`advisory\` (reported, not blocking), \`remediate\` ` +
      `(${remediateText(input.policies)}), \`disabled\`. The reserved name \`all\` sets every policy ` +
      `(\`{"all": "advisory"}\`); a policy's own entry wins over \`all\`; a policy not named keeps its default level. ` +
      `Naming a policy the pack does not have is an error.`,
  );
  line();
  line(`| Stack config | Mandatory | Advisory | Disabled | Policies set explicitly |`);
  line(`|---|---|---|---|---|`);
  for (const stack of stacks) {
    const l = [...levels.get(stack)!.values()];
    const count = (v: EnforcementLevel) => l.filter((x) => x === v || (v === "mandatory" && x === "remediate")).length;
    const explicit = Object.keys(input.stackConfigs[stack]).length;
    line(`| \`policy/config/${stack}.json\` | ${count("mandatory")} | ${count("advisory")} | ${count("disabled")} | ${explicit} |`);
  }
  line();
  line(`A stack with no configuration runs every policy at its default level (the Default column below).`);
  line();

  line(`## Policies`);
  line();
  line(`Levels in **bold** differ from the policy's default. Requirement ids refer to [docs/requirements.md](../docs/requirements.md).`);
  line();
  line(`| Policy | Description | Default | ${stacks.join(" | ")} | Severity | Requirements | Controls | Remediation |`);
  line(`|---|---|---|${stacks.map(() => "---|").join("")}---|---|---|---|`);
  for (const p of input.policies) {
    const def = p.enforcementLevel ?? "advisory";
    const perStack = stacks.map((s) => levelText(levels.get(s)!.get(p.name)!, def));
    line(
      `| \`${p.name}\` | ${cell(p.description)} | ${def} | ${perStack.join(" | ")} | ${p.severity ?? "-"} | ` +
        `${p.metadata.requirements.join(", ")} | ${cell(controlsCell(p.metadata.controls))} | ${cell(p.remediationSteps ?? "-")} |`,
    );
  }
  line();
  const configurable = input.policies.filter((p) => configSchemaProperties(p).length > 0);
  if (configurable.length === 0) {
    line(`No policy takes configuration properties besides \`enforcementLevel\`.`);
  } else {
    line(`Configuration properties besides \`enforcementLevel\`:`);
    line();
    for (const p of configurable)
      line(
        `- \`${p.name}\`: ${configSchemaProperties(p)
          .map((k) => `\`${k}\``)
          .join(", ")}`,
      );
  }
  line();

  line(`## Controls`);
  line();
  line(`Which policies give evidence for each control, for an auditor who starts from the control.`);
  line();
  line(`| Framework | Control | Policies |`);
  line(`|---|---|---|`);
  for (const f of FRAMEWORKS) {
    const byControl = new Map<string, string[]>();
    for (const p of input.policies) {
      for (const c of p.metadata.controls[f.key]) byControl.set(c, [...(byControl.get(c) ?? []), p.name]);
    }
    for (const control of [...byControl.keys()].sort(compareNatural)) {
      line(
        `| ${f.label} | ${cell(control)} | ${byControl
          .get(control)!
          .map((n) => `\`${n}\``)
          .join(", ")} |`,
      );
    }
  }
  line();
  line(`## Requirements`);
  line();
  line(`| Requirement | Policies |`);
  line(`|---|---|`);
  const byRequirement = new Map<string, string[]>();
  for (const p of input.policies) for (const r of p.metadata.requirements) byRequirement.set(r, [...(byRequirement.get(r) ?? []), p.name]);
  for (const r of [...byRequirement.keys()].sort(compareRequirements))
    line(
      `| ${r} | ${byRequirement
        .get(r)!
        .map((n) => `\`${n}\``)
        .join(", ")} |`,
    );
  line();
  return out.join("\n");
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ReadmeInputError(`cannot read ${what} (${file}): ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ReadmeInputError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Every policy/config/<stack>.json. */
export function loadStackConfigs(dir = CONFIG_DIR): Record<string, PolicyPackConfig> {
  const configs: Record<string, PolicyPackConfig> = {};
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const value = readJson(path.join(dir, file), `config/${file}`);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ReadmeInputError(`config/${file} must hold a JSON object`);
    configs[file.slice(0, -".json".length)] = value as PolicyPackConfig;
  }
  return configs;
}

/** The pack's real inputs: policies/index.ts, package.json, config/*.json. */
export function loadReadmeInput(): ReadmeInput {
  const pkg = readJson(path.join(POLICY_DIR, "package.json"), "policy/package.json") as { name?: string; version?: string; description?: string };
  if (!pkg.name || !pkg.version) throw new ReadmeInputError("policy/package.json needs a name and a version");
  return {
    packName: pkg.name,
    packVersion: pkg.version,
    packDescription: (pkg.description ?? pkg.name).replace(/\.$/, ""),
    policies: ALL_POLICIES,
    mustPolicies: MUST_POLICIES,
    stackConfigs: loadStackConfigs(),
  };
}

/** The first line where two texts differ, 1-based, for the --check message. */
export function firstDifference(expected: string, actual: string): { line: number; expected: string; actual: string } | undefined {
  if (expected === actual) return undefined;
  const e = expected.split("\n");
  const a = actual.split("\n");
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if (e[i] !== a[i]) return { line: i + 1, expected: e[i] ?? "(end of file)", actual: a[i] ?? "(end of file)" };
  }
  return { line: e.length, expected: "(line ending)", actual: "(line ending)" };
}

export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export function main(argv: string[], io: Io = process, readmePath = README_PATH): number {
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    io.stderr.write(`error: unexpected argument "${unknown[0]}"\nUsage: npm run policy:readme [-- --check]\n`);
    return 2;
  }
  let expected: string;
  try {
    expected = renderPolicyReadme(loadReadmeInput());
  } catch (err) {
    if (err instanceof ReadmeInputError) {
      io.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const rel = path.relative(process.cwd(), readmePath) || readmePath;
  if (argv.includes("--check")) {
    let actual: string | undefined;
    try {
      actual = readFileSync(readmePath, "utf8");
    } catch {
      actual = undefined;
    }
    if (actual === undefined) {
      io.stderr.write(`${rel} does not exist; run: npm run policy:readme\n`);
      return 1;
    }
    const diff = firstDifference(expected, actual);
    if (diff) {
      io.stderr.write(
        `${rel} is out of date with the policies' metadata or policy/config/*.json; run: npm run policy:readme\n` +
          `  first difference at line ${diff.line}:\n    expected: ${diff.expected}\n    on disk:  ${diff.actual}\n`,
      );
      return 1;
    }
    io.stdout.write(`${rel} is up to date\n`);
    return 0;
  }
  writeFileSync(readmePath, expected);
  io.stdout.write(`wrote ${rel}\n`);
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
