// policy/README.md is generated from the policies' metadata and policy/config/*.json
// (policy/scripts/generate-readme.ts): it must be current, list every policy once with its level
// in each stack, and policy/CHANGELOG.md's newest version must be policy/package.json's.
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ALL_POLICIES, MUST_POLICIES } from "../../policy/policies";
import {
  compareNatural,
  firstDifference,
  loadReadmeInput,
  main,
  README_PATH,
  ReadmeInputError,
  renderPolicyReadme,
  resolveLevels,
  type PolicyPackConfig,
} from "../../policy/scripts/generate-readme";

const POLICY_DIR = path.resolve(__dirname, "../../policy");
const STACKS = ["dev", "dev2", "prd"];
const packageJson = JSON.parse(readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as { version: string };
const readConfig = (stack: string) => JSON.parse(readFileSync(path.join(POLICY_DIR, "config", `${stack}.json`), "utf8")) as PolicyPackConfig;

/** The rows of the Markdown table whose header starts with `| Policy |`, as cells. */
function policyTable(markdown: string): { header: string[]; rows: string[][] } {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.startsWith("| Policy |"));
  assert.ok(start >= 0, "README has a policy table");
  const split = (l: string) =>
    l
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i].startsWith("|"); i++) rows.push(split(lines[i]));
  return { header: split(lines[start]), rows };
}

/** The level of a policy in a stack, straight from the JSON: own entry, then `all`, then the default. */
function expectedLevel(config: PolicyPackConfig, name: string, fallback: string): string {
  const level = (v: unknown) => (typeof v === "string" ? v : (v as { enforcementLevel?: string } | undefined)?.enforcementLevel);
  return level(config[name]) ?? level(config.all) ?? fallback;
}

describe("policy/README.md (generated)", () => {
  const input = loadReadmeInput();
  const generated = renderPolicyReadme(input);

  it("is up to date with the policies' metadata and policy/config/*.json (else: npm run policy:readme)", () => {
    const onDisk = readFileSync(README_PATH, "utf8");
    const diff = firstDifference(generated, onDisk);
    assert.equal(diff, undefined, `policy/README.md is stale; run: npm run policy:readme\n${JSON.stringify(diff, null, 2)}`);
  });

  it("has one row per policy, in the pack's order, with the level in dev, dev2 and prd", () => {
    const { header, rows } = policyTable(generated);
    assert.deepEqual(header.slice(0, 6), ["Policy", "Description", "Default", "dev", "dev2", "prd"]);
    assert.deepEqual(
      rows.map((r) => r[0]),
      ALL_POLICIES.map((p) => `\`${p.name}\``),
    );
    const configs = Object.fromEntries(STACKS.map((s) => [s, readConfig(s)]));
    for (const [i, policy] of ALL_POLICIES.entries()) {
      const row = rows[i];
      assert.equal(row.length, header.length, `${policy.name}: every column filled`);
      const def = policy.enforcementLevel ?? "advisory";
      assert.equal(row[2], def);
      STACKS.forEach((stack, j) => {
        const level = expectedLevel(configs[stack], policy.name, def);
        assert.equal(row[3 + j].replace(/\*/g, ""), level, `${policy.name} in ${stack}`);
        assert.equal(row[3 + j].startsWith("**"), level !== def, `${policy.name} in ${stack}: bold exactly when it differs from the default`);
      });
      const cell = (name: string) => row[header.indexOf(name)];
      assert.equal(cell("Severity"), policy.severity);
      assert.equal(cell("Requirements"), policy.metadata.requirements.join(", "));
      for (const control of [
        ...policy.metadata.controls.pci,
        ...policy.metadata.controls.iso27001,
        ...policy.metadata.controls.soc2,
        ...policy.metadata.controls.hipaa,
      ]) {
        assert.ok(cell("Controls").includes(control), `${policy.name}: control ${control}`);
      }
      assert.ok(cell("Remediation").length > 10, `${policy.name}: remediation`);
    }
  });

  it("shows the MUST items advisory in dev and mandatory in dev2 and prd (001 section 3), the others advisory everywhere", () => {
    const { rows } = policyTable(generated);
    const must = new Set(MUST_POLICIES.map((p) => `\`${p.name}\``));
    for (const row of rows) {
      const levels = row.slice(3, 6).map((c) => c.replace(/\*/g, ""));
      assert.deepEqual(levels, must.has(row[0]) ? ["advisory", "mandatory", "mandatory"] : ["advisory", "advisory", "advisory"], row[0]);
    }
  });

  it("documents running, publishing, enabling with policy groups and the config format, and has no dates", () => {
    for (const text of [
      "--policy-pack policy --policy-pack-config policy/config/<stack>.json",
      "npx pulumi policy publish <org>",
      `npx pulumi policy enable <org>/audit-trail-must ${packageJson.version} --policy-group`,
      "--config policy/config/dev.json",
      '{"all": "advisory"}',
      '{"<policy>": {"enforcementLevel": "<level>"}}',
    ]) {
      assert.ok(generated.includes(text), `README mentions ${text}`);
    }
    assert.equal(renderPolicyReadme(loadReadmeInput()), generated, "deterministic");
    assert.doesNotMatch(generated, /\b\d{4}-\d{2}-\d{2}\b/);
  });

  describe("level resolution (as the Pulumi CLI resolves a pack config)", () => {
    const policies = ALL_POLICIES.slice(0, 3);
    const [a, b, c] = policies.map((p) => p.name);

    it("uses the policy's own entry, then all, then the policy's default; accepts the short form", () => {
      assert.deepEqual(
        [...resolveLevels("x", {}, policies).values()],
        policies.map((p) => p.enforcementLevel),
      );
      const levels = resolveLevels("x", { all: "disabled", [a]: { enforcementLevel: "advisory" }, [b]: "mandatory" }, policies);
      assert.deepEqual([levels.get(a), levels.get(b), levels.get(c)], ["advisory", "mandatory", "disabled"]);
      const partial = resolveLevels("x", { all: { enforcementLevel: "advisory" }, [a]: { someProperty: 1 } as PolicyPackConfig[string] }, policies);
      assert.equal(partial.get(a), "advisory", "an entry without enforcementLevel falls back to all");
    });

    it("refuses unknown policy names and levels", () => {
      assert.throws(
        () => resolveLevels("x", { "no-such-policy": "advisory" }, policies),
        (e: Error) => e instanceof ReadmeInputError && /no-such-policy/.test(e.message),
      );
      assert.throws(() => resolveLevels("x", { [a]: "warn" as never }, policies), /"warn" is not an enforcement level/);
      assert.throws(() => resolveLevels("x", { all: { enforcementLevel: "strict" } as never }, policies), /"strict" is not an enforcement level/);
    });

    it("sorts controls naturally on every machine", () => {
      assert.deepEqual(["10.3.10", "10.3.2", "A.8.16", "A.5.33", "10.2.1"].sort(compareNatural), ["10.2.1", "10.3.2", "10.3.10", "A.5.33", "A.8.16"]);
    });
  });

  describe("--check", () => {
    let dir: string;
    let out: string[];
    const io = { stdout: { write: (t: string) => out.push(`out: ${t}`) }, stderr: { write: (t: string) => out.push(`err: ${t}`) } };
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), "policy-readme-"));
      out = [];
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("writes the README, then reports it up to date (exit 0)", () => {
      const file = path.join(dir, "README.md");
      assert.equal(main([], io, file), 0);
      assert.equal(readFileSync(file, "utf8"), generated);
      assert.equal(main(["--check"], io, file), 0);
      assert.match(out.join(""), /is up to date/);
    });

    it("exits 1 naming the first differing line when the file is stale or missing, and writes nothing", () => {
      const file = path.join(dir, "README.md");
      const stale = generated.replace("| `aws-kms-key-enable-rotation` |", "| `aws-kms-key-enable-rotation-old` |");
      writeFileSync(file, stale);
      assert.equal(main(["--check"], io, file), 1);
      assert.match(out.join(""), /out of date[\s\S]*run: npm run policy:readme[\s\S]*first difference at line \d+/);
      assert.equal(readFileSync(file, "utf8"), stale);
      out = [];
      assert.equal(main(["--check"], io, path.join(dir, "absent.md")), 1);
      assert.match(out.join(""), /does not exist/);
    });

    it("exits 2 on an unknown argument", () => {
      assert.equal(main(["--chek"], io, path.join(dir, "README.md")), 2);
      assert.match(out.join(""), /unexpected argument "--chek"/);
    });
  });
});

describe("policy/CHANGELOG.md", () => {
  const changelog = readFileSync(path.join(POLICY_DIR, "CHANGELOG.md"), "utf8");
  const headings = [...changelog.matchAll(/^## \[([^\]]+)\](.*)$/gm)].map((m) => ({ version: m[1], rest: m[2].trim() }));

  it("has [Unreleased] first, then versions newest first, the newest equal to policy/package.json's", () => {
    assert.equal(headings[0]?.version, "Unreleased");
    const versions = headings.slice(1);
    assert.ok(versions.length > 0, "at least one released version");
    assert.equal(versions[0].version, packageJson.version, "the newest CHANGELOG entry is policy/package.json's version");
    for (const v of versions) {
      assert.match(v.version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, "semantic version");
      assert.match(v.rest, /^- \d{4}-\d{2}-\d{2}$/, `${v.version}: "- YYYY-MM-DD" after the version`);
    }
    const numeric = versions.map((v) => v.version.split(/[.-]/).slice(0, 3).map(Number));
    for (let i = 1; i < numeric.length; i++) {
      const [x, y] = [numeric[i - 1], numeric[i]];
      assert.ok(
        x[0] > y[0] || (x[0] === y[0] && (x[1] > y[1] || (x[1] === y[1] && x[2] > y[2]))),
        `${versions[i - 1].version} is newer than ${versions[i].version}`,
      );
    }
  });

  it("names every policy of the pack, and says what a major, minor and patch release is", () => {
    for (const p of ALL_POLICIES) assert.ok(changelog.includes(`\`${p.name}\``), `${p.name} is in the changelog`);
    for (const bump of ["major", "minor", "patch"]) assert.match(changelog, new RegExp(`\\*\\*${bump}\\*\\*`));
    assert.match(changelog, /keepachangelog\.com/);
    assert.match(changelog, /semver\.org/);
  });
});
