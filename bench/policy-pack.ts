// Throughput of the policy pack on a large stack: a synthetic first-preview stack of N resources
// (default 5,000: buckets with their split configuration resources, trails, keys, log groups)
// evaluated through the policy SDK's analyzer, as `npm run check` does. Baseline, measured in the
// same run: the protobuf round trip of the same resources alone (what any analyzer pays to receive
// them), so the per-resource overhead of the policies themselves can be read off.
// Run: npx ts-node --transpile-only bench/policy-pack.ts [--resources 5000]
import * as path from "node:path";
import { evaluatePolicies } from "../offline/analyze";
import { compliantStack, StackFixture } from "../offline/fixtures/policyStacks";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

const arg = process.argv.indexOf("--resources");
const TARGET = arg >= 0 ? Number(process.argv[arg + 1]) : 5000;
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

async function main() {
  const stack = syntheticStack(TARGET);
  const n = stack.resources.length;
  // Warm up: load the pack and JIT the paths once.
  await evaluatePolicies(syntheticStack(200).resources, { packDir: PACK_DIR });

  const t0 = process.hrtime.bigint();
  for (const r of stack.resources) {
    Struct.fromJavaScript(r.rawInputs).toJavaScript();
    Struct.fromJavaScript(r.rawOutputs).toJavaScript();
  }
  const baselineMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const rss0 = process.memoryUsage().rss;
  const t1 = process.hrtime.bigint();
  const violations = await evaluatePolicies(stack.resources, { packDir: PACK_DIR });
  const packMs = Number(process.hrtime.bigint() - t1) / 1e6;
  const rss1 = process.memoryUsage().rss;

  if (violations.length !== 0) throw new Error(`synthetic stack is not compliant: ${JSON.stringify(violations.slice(0, 3))}`);
  console.log(`resources:                         ${n}`);
  console.log(`pack evaluation (analyze + stack): ${packMs.toFixed(0)} ms = ${Math.round((n / packMs) * 1000)} resources/s`);
  console.log(`per-resource cost:                 ${((packMs / n) * 1000).toFixed(0)} µs`);
  console.log(`baseline (protobuf round trip):    ${baselineMs.toFixed(0)} ms = ${((baselineMs / n) * 1000).toFixed(0)} µs per resource`);
  console.log(`policy overhead per resource:      ${(((packMs - baselineMs) / n) * 1000).toFixed(0)} µs (${(packMs / baselineMs).toFixed(1)}x the baseline)`);
  console.log(`RSS growth during evaluation:      ${((rss1 - rss0) / 1048576).toFixed(0)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
