// The folder shape (docs: README "Layout"): which top-level folder may import which. A new import
// across folders that is not listed here fails this test, so the published policy pack stays whole
// (policy/ imports nothing outside itself) and no cycle between folders can come back (issue 15:
// handlers/daily-review imported evidence/, and evidence/who imported handlers/daily-review).
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/** folder -> the other top-level folders (or folder/subfolder) it may import from. */
const ALLOWED: Record<string, readonly string[]> = {
  cloudtrail: [],
  cli: [],
  policy: [],
  handlers: ["cloudtrail", "policy/lib"],
  infra: ["handlers", "cloudtrail", "policy/lib"],
  evidence: ["cloudtrail", "cli"],
  offline: ["policy", "cli"],
  bench: ["cloudtrail", "cli", "evidence", "handlers", "infra", "offline", "policy", "testkit"],
  // Fixtures shared by the tests and the benchmarks (the synthetic organisation, the local Step
  // Functions run): they build on the code under test, never on tests/ or bench/.
  testkit: ["cloudtrail"],
  tests: ["*"],
};

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (entry.name.endsWith(".ts")) yield full;
  }
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']|require\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) found.push(m[1] ?? m[2]);
  return found;
}

function topOf(relative: string): string {
  return relative.split(path.sep)[0];
}

describe("architecture: imports between top-level folders", () => {
  const edges: { from: string; to: string; file: string; spec: string }[] = [];
  for (const folder of Object.keys(ALLOWED)) {
    const dir = path.join(ROOT, folder);
    if (!fs.existsSync(dir)) continue;
    for (const file of sourceFiles(dir)) {
      for (const spec of relativeImports(file)) {
        const target = path.relative(ROOT, path.resolve(path.dirname(file), spec));
        const to = topOf(target);
        if (to === folder) continue;
        edges.push({ from: folder, to: target, file: path.relative(ROOT, file), spec });
      }
    }
  }

  it("finds the cross-folder imports it judges (the scan itself works)", () => {
    assert.ok(
      edges.some((e) => e.from === "evidence" && e.to.startsWith("cloudtrail")),
      "evidence/ imports cloudtrail/",
    );
    assert.ok(
      edges.some((e) => e.from === "infra" && e.to.startsWith("handlers")),
      "infra/ bundles handlers/",
    );
  });

  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`${folder}/ imports only from ${allowed.length ? allowed.join(", ") : "itself"}`, () => {
      if (allowed.includes("*")) return;
      const bad = edges
        .filter((e) => e.from === folder)
        .filter((e) => !allowed.some((a) => e.to === a || e.to.startsWith(a + path.sep)))
        .map((e) => `${e.file}: ${e.spec}`);
      assert.deepEqual(bad, [], `${folder}/ may import only ${allowed.join(", ") || "itself"}`);
    });
  }

  it("nothing outside tests/ imports tests/", () => {
    const bad = edges.filter((e) => e.from !== "tests" && topOf(e.to) === "tests").map((e) => `${e.file}: ${e.spec}`);
    assert.deepEqual(bad, []);
  });

  it("nothing but tests/ and bench/ imports testkit/; nothing imports bench/", () => {
    const bad = edges
      .filter((e) => (topOf(e.to) === "testkit" && e.from !== "tests" && e.from !== "bench") || topOf(e.to) === "bench")
      .map((e) => `${e.file}: ${e.spec}`);
    assert.deepEqual(bad, []);
    assert.ok(
      edges.some((e) => e.from === "tests" && topOf(e.to) === "testkit"),
      "tests/ imports the shared fixtures from testkit/",
    );
  });

  it("no cycle between top-level folders", () => {
    const graph = new Map<string, Set<string>>();
    for (const e of edges) {
      const to = topOf(e.to);
      if (e.from === "tests" || e.from === "bench" || e.from === "testkit") continue;
      if (!graph.has(e.from)) graph.set(e.from, new Set());
      graph.get(e.from)!.add(to);
    }
    const cycles: string[] = [];
    const visit = (node: string, trail: string[]) => {
      for (const next of graph.get(node) ?? []) {
        if (trail.includes(next)) cycles.push([...trail.slice(trail.indexOf(next)), next].join(" -> "));
        else visit(next, [...trail, next]);
      }
    };
    for (const node of graph.keys()) visit(node, [node]);
    assert.deepEqual(cycles, []);
  });
});
