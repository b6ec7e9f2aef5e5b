// Cost of the policy pack on a large stack: a synthetic first-preview stack of N resources
// (default 5,000: buckets with their split configuration resources, trails, keys, log groups)
// evaluated through the policy SDK's analyzer, as `npm run check` does. Baselines, measured in the
// same run on the same stack through the same analyzer, in interleaved rounds:
//  - an empty pack (no policies): what the analyzer protocol costs (protobuf requests and replies);
//  - a hollow pack: the same policies (names, kinds, type filters) with empty bodies, on the SDK's
//    own handlers: what the SDK pays per policy (it rebuilds every resource for each policy);
//  - a pack of two policies that read every resource's inputs and outputs, on the pack's handlers
//    (policy/lib/analyzer-handlers.ts): deserialising each resource once, the floor of any pack
//    that judges every resource;
//  - the hollow pack on the pack's handlers: what the pack's 22 policies cost before their bodies.
// On two stacks of the same size: every resource audited (copies of the compliant fixture: buckets,
// their configuration, trails, keys; the worst case), and one in ten audited among application
// resources (IAM, Lambda, SQS, security groups), as most large stacks are.
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
function inProcessPack(key: string, policies: unknown[], memo = false, packHandlers = false) {
  const dir = path.join(PACK_DIR, `.bench-${key}`);
  return capturePack(dir, () => {
    const cwd = process.cwd();
    process.chdir(PACK_DIR); // PolicyPack reads the version from ./package.json
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK instance the real pack resolves, not this project's
      const { PolicyPack } = require(require.resolve("@pulumi/policy", { paths: [PACK_DIR] }));
      if (memo && !installDeserializeMemo(PACK_DIR).active) throw new Error("the deserialisation memo is not active on this SDK");
      if (!packHandlers) new PolicyPack(`bench-${key}`, { policies });
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

/**
 * A stack as most large ones are: the audited resources of `audited` copies of the compliant
 * fixture, and application resources (IAM roles and policies, Lambda functions, SQS queues,
 * security groups) no policy of the pack judges, up to `target` resources.
 */
function mixedStack(target: number, audited: number): StackFixture {
  const mixed = syntheticStack(audited);
  for (let i = 0; mixed.resources.length < target; i++) {
    const role = `app-role-${i}`;
    mixed.add("aws:iam/role:Role", role, {
      name: role,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      tags: { app: "orders", team: "payments", env: "prd" },
    });
    mixed.add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", `${role}-basic`, {
      role,
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    });
    mixed.add(
      "aws:lambda/function:Function",
      `app-fn-${i}`,
      {
        runtime: "nodejs20.x",
        handler: "index.handler",
        memorySize: 256,
        timeout: 30,
        environment: { variables: { TABLE: `orders-${i}`, LOG_LEVEL: "INFO", POWERTOOLS_SERVICE_NAME: "orders" } },
        tracingConfig: { mode: "Active" },
        tags: { app: "orders", env: "prd" },
      },
      { deps: { role: [role] }, outputs: { arn: "", version: "" } },
    );
    mixed.add("aws:sqs/queue:Queue", `app-queue-${i}`, { visibilityTimeoutSeconds: 180, messageRetentionSeconds: 1209600, sqsManagedSseEnabled: true });
    mixed.add("aws:ec2/securityGroup:SecurityGroup", `app-sg-${i}`, {
      vpcId: "vpc-0abc",
      egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
      ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/8"] }],
    });
  }
  return mixed;
}

const row = (label: string, c: Cost) => `  ${label.padEnd(58)} ${c.wall.toFixed(0).padStart(5)} ms wall ${c.cpu.toFixed(0).padStart(5)} ms CPU`;
const ratio = (a: Cost, b: Cost) => `${(a.wall / b.wall).toFixed(2)}x wall, ${(a.cpu / b.cpu).toFixed(2)}x CPU`;

async function measure(label: string, stack: StackFixture, packs: Record<string, string>) {
  const n = stack.resources.length;
  const violations = await evaluatePolicies(stack.resources, { packDir: PACK_DIR });
  if (violations.length !== 0) throw new Error(`${label}: the synthetic stack is not compliant: ${JSON.stringify(violations.slice(0, 3))}`);
  // Interleaved rounds, best of each: the machine's load drifts over a run, and a baseline measured
  // minutes apart from the pack would make the ratio measure the drift.
  const best: Record<string, Cost> = Object.fromEntries(Object.keys(packs).map((k) => [k, { wall: Infinity, cpu: Infinity }]));
  for (let round = 0; round < REPEAT; round++) {
    for (const [k, dir] of Object.entries(packs)) {
      const c = await timeOf(() => evaluatePolicies(stack.resources, { packDir: dir }));
      best[k] = { wall: Math.min(best[k].wall, c.wall), cpu: Math.min(best[k].cpu, c.cpu) };
    }
  }
  console.log(`${label}: ${n} resources (best of ${REPEAT} interleaved rounds)`);
  console.log(row("empty pack (no policies)", best.empty));
  console.log(row("hollow pack (same policies, no-op), the SDK's handlers", best.sdkHollow));
  console.log(row("reads every resource once (1+1 policies), the pack's handlers", best.floor));
  console.log(row("hollow pack, the pack's handlers", best.hollow));
  console.log(row("audit-trail-must", best.pack) + ` = ${Math.round((n / best.pack.wall) * 1000)} resources/s`);
  console.log(`  pack / empty pack:          ${ratio(best.pack, best.empty)} (issue 14: at most 1.5x)`);
  console.log(
    `  reads-every-resource / empty: ${ratio(best.floor, best.empty)} (deserialising each resource's inputs and outputs once, which an empty pack never does)`,
  );
  console.log(`  pack / hollow (pack's handlers): ${ratio(best.pack, best.hollow)} (the pack's own code)`);
  console.log(`  hollow, SDK's handlers / pack's: ${ratio(best.sdkHollow, best.hollow)} (what the SDK's per-policy rebuilding cost)`);
}

async function main() {
  const empty = await inProcessPack("empty", []);
  const sdkHollow = await inProcessPack("hollow-sdk", hollow);
  const floor = await inProcessPack(
    "reads-every-resource",
    [
      { name: "reads-inputs", description: "reads every resource's inputs", validateResource: (args: { props: unknown }) => void args.props },
      {
        name: "reads-outputs",
        description: "reads every resource's outputs",
        validateStack: (args: { resources: { props: unknown }[] }) => {
          for (const r of args.resources) void r.props;
        },
      },
    ],
    true,
    true,
  );
  const hollowHandlers = await inProcessPack("hollow-handlers", hollow, true, true);
  await loadPolicyPack(PACK_DIR);
  const packs = { empty: empty.dir, sdkHollow: sdkHollow.dir, floor: floor.dir, hollow: hollowHandlers.dir, pack: PACK_DIR };
  // Warm up every path once.
  for (const dir of Object.values(packs)) await evaluatePolicies(syntheticStack(200).resources, { packDir: dir });
  await measure("every resource audited (the worst case)", syntheticStack(TARGET), packs);
  await measure("one resource in ten audited (application resources besides)", mixedStack(TARGET, Math.round(TARGET / 10)), packs);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
