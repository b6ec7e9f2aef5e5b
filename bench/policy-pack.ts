// Cost of the policy pack on a large stack: a synthetic first-preview stack of N resources
// (default 5,000: buckets with their split configuration resources, trails, keys, log groups)
// evaluated through the policy SDK's analyzer, as `npm run check` does. Baselines, measured in the
// same run on the same stack through the same analyzer:
//  - an empty pack (no policies): what the analyzer protocol costs (protobuf requests and replies);
//  - a hollow pack: the same policies (names, kinds, type filters) with empty bodies: adds what the
//    SDK pays per policy (it deserialises every resource again for each stack policy).
// Issue 14's bar: the pack at most 1.5x the empty pack.
// Run: npx ts-node --transpile-only bench/policy-pack.ts [--resources 5000] [--repeat 3]
import * as path from "node:path";
import { capturePack, evaluatePolicies, loadPolicyPack } from "../offline/analyze";
import { compliantStack, StackFixture } from "../offline/fixtures/policy-stacks";
import { ALL_POLICIES } from "../policy/policies";

const argOf = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const TARGET = argOf("--resources", 5000);
const REPEAT = argOf("--repeat", 3);
const PACK_DIR = path.resolve(__dirname, "../policy");

/** Whole copies of the compliant fixture (renamed) until the stack has at least TARGET resources. */
function syntheticStack(target: number): StackFixture {
  const big = new StackFixture(true);
  for (let i = 0; big.resources.length < target; i++) {
    for (const r of compliantStack(i % 2 === 0 ? "v7" : "v2", true).resources) {
      const rename = (urn: string) => `${urn}-${i}`;
      big.resources.push({
        ...r,
        name: `${r.name}-${i}`,
        urn: rename(r.urn),
        dependencies: r.dependencies.map(rename),
        propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.map(rename)])),
        rawInputs: rewriteNames(r.rawInputs, i),
        rawOutputs: rewriteNames(r.rawOutputs, i),
      });
    }
  }
  return big;
}

function rewriteNames(o: Record<string, unknown>, i: number): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o).replace(/org-(trail-logs|access-logs|medical-backups|trail)/g, (m) => `${m}-${i}`));
}

/** A pack built in-process by the policy SDK resolved from the real pack's folder. */
function inProcessPack(key: string, policies: unknown[]) {
  const dir = path.join(PACK_DIR, `.bench-${key}`);
  return capturePack(dir, () => {
    const cwd = process.cwd();
    process.chdir(PACK_DIR); // PolicyPack reads the version from ./package.json
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK instance the real pack resolves, not this project's
      const { PolicyPack } = require(require.resolve("@pulumi/policy", { paths: [PACK_DIR] }));
      new PolicyPack(`bench-${key}`, { policies });
    } finally {
      process.chdir(cwd);
    }
  });
}

/** A validation function; the SDK's validateResourceOfType marks it with the resource type it applies to. */
type Validation = (() => undefined) & { __pulumiType?: string };
/** The fields of a policy the hollow copy keeps. */
interface PolicyShape {
  name: string;
  description: string;
  enforcementLevel?: string;
  validateResource?: Validation;
  validateStack?: Validation;
}

const hollow = (ALL_POLICIES as unknown as PolicyShape[]).map((p) => {
  const out: PolicyShape = { name: p.name, description: p.description, enforcementLevel: p.enforcementLevel };
  if (p.validateResource) {
    const fn: Validation = () => undefined;
    if (p.validateResource.__pulumiType) fn.__pulumiType = p.validateResource.__pulumiType;
    out.validateResource = fn;
  }
  if (p.validateStack) {
    const fn: Validation = () => undefined;
    if (p.validateStack.__pulumiType) fn.__pulumiType = p.validateStack.__pulumiType;
    out.validateStack = fn;
  }
  return out;
});

async function timeOf(run: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < REPEAT; i++) {
    const t = process.hrtime.bigint();
    await run();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

async function main() {
  const stack = syntheticStack(TARGET);
  const n = stack.resources.length;
  const empty = await inProcessPack("empty", []);
  const hollowPack = await inProcessPack("hollow", hollow);
  await loadPolicyPack(PACK_DIR);
  const packs = { empty: empty.dir, hollow: hollowPack.dir, pack: PACK_DIR };
  // Warm up every path once.
  for (const dir of Object.values(packs)) await evaluatePolicies(syntheticStack(200).resources, { packDir: dir });

  const violations = await evaluatePolicies(stack.resources, { packDir: PACK_DIR });
  if (violations.length !== 0) throw new Error(`synthetic stack is not compliant: ${JSON.stringify(violations.slice(0, 3))}`);
  const ms: Record<string, number> = {};
  for (const [k, dir] of Object.entries(packs)) ms[k] = await timeOf(() => evaluatePolicies(stack.resources, { packDir: dir }));

  console.log(`resources:                        ${n} (best of ${REPEAT})`);
  console.log(`empty pack (no policies):         ${ms.empty.toFixed(0)} ms`);
  console.log(`hollow pack (same policies, no-op): ${ms.hollow.toFixed(0)} ms`);
  console.log(
    `audit-trail-must:                 ${ms.pack.toFixed(0)} ms = ${Math.round((n / ms.pack) * 1000)} resources/s, ${((ms.pack / n) * 1000).toFixed(0)} µs per resource`,
  );
  console.log(`ratio to the empty pack:          ${(ms.pack / ms.empty).toFixed(2)}x (issue 14: at most 1.5x)`);
  console.log(`ratio to the hollow pack:         ${(ms.pack / ms.hollow).toFixed(2)}x (the pack's own code; the rest is the SDK's per-policy cost)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
