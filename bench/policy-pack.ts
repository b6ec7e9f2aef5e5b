// Cost of the policy pack on a large stack: a synthetic first-preview stack of N resources
// (default 5,000: buckets with their split configuration resources, trails, keys, log groups)
// evaluated through the policy SDK's analyzer, as `npm run check` does. Baselines, measured in the
// same run on the same stack through the same analyzer, in interleaved rounds:
//  - an empty pack (no policies): what the analyzer protocol costs (protobuf requests and replies);
//  - a hollow pack: the same policies (names, kinds, type filters) with empty bodies, on the SDK as
//    shipped: what the SDK pays per policy (it deserialises every resource again for each policy);
//  - the hollow pack on the SDK with the pack's deserialisation memo (policy/lib/sdk-memo.ts): the
//    floor for 13 stack policies, the SDK still building its resource list once per stack policy;
//  - the same with one stack policy (and every resource policy): what deserialising the outputs once
//    and one resource list cost, the floor of any pack with a stack policy.
// Wall time and this process's CPU time (user + system, GC threads included) are both printed: on a
// shared machine the wall time includes waiting for a core.
// Issue 14's bar: the pack at most 1.5x the empty pack.
// Run: npx ts-node --transpile-only bench/policy-pack.ts [--resources 5000] [--repeat 5]
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { capturePack, evaluatePolicies, loadPolicyPack } from "../offline/analyze";
import { compliantStack, StackFixture } from "../offline/fixtures/policy-stacks";
import { ALL_POLICIES } from "../policy/policies";
import { installDeserializeMemo } from "../policy/lib/sdk-memo";
import { servePolicyPack } from "../policy/lib/analyzer-handlers";
import type { PolicyPackArgs } from "@pulumi/policy";

const argOf = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const TARGET = argOf("--resources", 5000);
const REPEAT = argOf("--repeat", 5);
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
function inProcessPack(key: string, policies: unknown[], memo = false, oneList = false) {
  const dir = path.join(PACK_DIR, `.bench-${key}`);
  return capturePack(dir, () => {
    const cwd = process.cwd();
    process.chdir(PACK_DIR); // PolicyPack reads the version from ./package.json
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK instance the real pack resolves, not this project's
      const { PolicyPack } = require(require.resolve("@pulumi/policy", { paths: [PACK_DIR] }));
      if (memo && !installDeserializeMemo(PACK_DIR).active) throw new Error("the deserialisation memo is not active on this SDK");
      if (!oneList) new PolicyPack(`bench-${key}`, { policies });
      else {
        const status = servePolicyPack(`bench-${key}`, { policies: policies as PolicyPackArgs["policies"] }, { fromDir: PACK_DIR });
        if (!status.active) throw new Error(`the pack's analyzer handlers are not active: ${status.reason}`);
      }
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

// A full collection before each timed run, so no run pays for the garbage of the one before it.
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

interface Cost {
  wall: number;
  cpu: number;
}

async function timeOf(run: () => Promise<unknown>): Promise<Cost> {
  collectGarbage();
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  await run();
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  const d = process.cpuUsage(cpu);
  return { wall, cpu: (d.user + d.system) / 1e3 };
}

async function main() {
  const stack = syntheticStack(TARGET);
  const n = stack.resources.length;
  const empty = await inProcessPack("empty", []);
  const hollowPack = await inProcessPack("hollow", hollow);
  const hollowMemo = await inProcessPack("hollow-memo", hollow, true);
  let firstStack = true;
  const oneStackPolicy = hollow.filter((p) => {
    if (!p.validateStack) return true;
    const keep = firstStack && !p.validateStack.__pulumiType;
    if (keep) firstStack = false;
    return keep;
  });
  const hollowOne = await inProcessPack("hollow-one-stack", oneStackPolicy, true);
  const hollowOnce = await inProcessPack("hollow-one-list", hollow, true, true);
  await loadPolicyPack(PACK_DIR);
  const packs = { empty: empty.dir, hollow: hollowPack.dir, hollowMemo: hollowMemo.dir, hollowOne: hollowOne.dir, hollowOnce: hollowOnce.dir, pack: PACK_DIR };
  // Warm up every path once.
  for (const dir of Object.values(packs)) await evaluatePolicies(syntheticStack(200).resources, { packDir: dir });

  const violations = await evaluatePolicies(stack.resources, { packDir: PACK_DIR });
  if (violations.length !== 0) throw new Error(`synthetic stack is not compliant: ${JSON.stringify(violations.slice(0, 3))}`);
  // Interleaved rounds, best of each: the machine's load drifts over a run, and a baseline measured
  // minutes apart from the pack would make the ratio measure the drift.
  const best: Record<string, Cost> = Object.fromEntries(Object.keys(packs).map((k) => [k, { wall: Infinity, cpu: Infinity }]));
  for (let round = 0; round < REPEAT; round++) {
    for (const [k, dir] of Object.entries(packs)) {
      const c = await timeOf(() => evaluatePolicies(stack.resources, { packDir: dir }));
      best[k] = { wall: Math.min(best[k].wall, c.wall), cpu: Math.min(best[k].cpu, c.cpu) };
    }
  }
  const row = (label: string, c: Cost) => `${label.padEnd(47)} ${c.wall.toFixed(0).padStart(5)} ms wall ${c.cpu.toFixed(0).padStart(5)} ms CPU`;
  const ratio = (a: Cost, b: Cost) => `${(a.wall / b.wall).toFixed(2)}x wall, ${(a.cpu / b.cpu).toFixed(2)}x CPU`;
  console.log(`resources: ${n} (best of ${REPEAT} interleaved rounds)`);
  console.log(row("empty pack (no policies)", best.empty));
  console.log(row("hollow pack (same policies, no-op)", best.hollow));
  console.log(row("hollow pack, SDK with the deserialisation memo", best.hollowMemo));
  console.log(row("  the same with 1 stack policy instead of 13", best.hollowOne));
  console.log(row("hollow pack, memo and the pack's handlers", best.hollowOnce));
  console.log(row("audit-trail-must", best.pack) + ` = ${Math.round((n / best.pack.wall) * 1000)} resources/s`);
  console.log(`ratio to the empty pack:         ${ratio(best.pack, best.empty)} (issue 14: at most 1.5x)`);
  console.log(`hollow (memo) to the empty pack: ${ratio(best.hollowMemo, best.empty)} (the SDK's floor for these 13 stack policies)`);
  console.log(`1 stack policy to the empty pack: ${ratio(best.hollowOne, best.empty)} (the floor of any pack with a stack policy)`);
  console.log(`hollow (pack's handlers) to the empty pack: ${ratio(best.hollowOnce, best.empty)} (what the pack's policies cost before their bodies)`);
  console.log(`ratio to the hollow (pack's handlers) pack: ${ratio(best.pack, best.hollowOnce)} (the pack's own code)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
