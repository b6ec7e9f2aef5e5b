// The README's configuration table is generated from infra/config/profile.ts (npm run
// config:readme): it must be current, list every key once with its per-environment defaults, and
// the generator must refuse to run blind.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CONFIG_KEYS, ENVIRONMENT_DEFAULTS } from "../../infra/config/profile";
import { END, main, README_PATH, renderConfigTable, START, withGeneratedTable } from "../../infra/config/readme-table";
import { objectCostUsd } from "../../infra/config/storage-cost";

const rowsOf = (table: string) =>
  table
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );

describe("README configuration table (generated from the profile's tables)", () => {
  it("is up to date (else: npm run config:readme)", () => {
    const readme = fs.readFileSync(README_PATH, "utf8");
    assert.equal(withGeneratedTable(readme), readme, "README.md configuration table is stale: run npm run config:readme");
  });
  it("has one row per key, in the table's order, and each per-environment default as the profile has it", () => {
    const rows = rowsOf(renderConfigTable());
    assert.deepEqual(
      rows.map((r) => r[0].replace(/`/g, "").replace(" (secret)", "")),
      CONFIG_KEYS.map((k) => k.key),
    );
    const row = (key: string) => rows.find((r) => r[0].startsWith("`" + key + "`"))!;
    assert.equal(
      row("retentionDays")[1],
      `\`${ENVIRONMENT_DEFAULTS.dev.retentionDays}\` / \`${ENVIRONMENT_DEFAULTS.dev2.retentionDays}\` / \`${ENVIRONMENT_DEFAULTS.prd.retentionDays}\``,
    );
    assert.equal(row("accessLogRetentionDays")[1], "`90` / `365` / `400`");
    assert.equal(row("burstPeriodSeconds")[2], "60-86400 seconds");
    assert.equal(row("authFailureThreshold")[2], "1-100000 events");
    assert.match(row("slackWebhookUrl")[0], /\(secret\)/);
    for (const r of rows)
      assert.ok(
        r.every((c) => c.length > 0),
        `${r[0]}: every cell filled`,
      );
  });
  it("--check exits 1 on a stale table and writes nothing; without it the table is rewritten; unknown arguments exit 2", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-readme-"));
    try {
      const file = path.join(dir, "README.md");
      const stale = `# x\n\n${START}\n| old |\n${END}\n\nafter\n`;
      fs.writeFileSync(file, stale);
      const out: string[] = [];
      const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s) };
      assert.equal(main(["--check"], io, file), 1);
      assert.equal(fs.readFileSync(file, "utf8"), stale);
      assert.match(out.join(""), /out of date; run: npm run config:readme/);
      assert.equal(main([], io, file), 0);
      assert.equal(fs.readFileSync(file, "utf8"), `# x\n\n${renderConfigTable()}\n\nafter\n`);
      assert.equal(main(["--check"], io, file), 0);
      assert.equal(main(["--chek"], io, file), 2);
      fs.writeFileSync(file, "# no markers\n");
      assert.throws(() => main([], io, file), /no generated configuration table/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("log bucket storage cost model (issue 15, README 'Storage classes and cost')", () => {
  const tiers = { glacierIrAfterDays: 90, deepArchiveAfterDays: 400 };
  it("a small object (20 KB, a typical log file; 2 KB, a digest) costs more tiered than left in STANDARD, even over 7 years", () => {
    for (const kb of [2, 20]) for (const years of [1, 7]) assert.ok(objectCostUsd(kb, years, tiers) > objectCostUsd(kb, years, {}), `${kb} KB, ${years} y`);
  });
  it("an object of 128 KB and more costs less tiered, within the first year already", () => {
    for (const kb of [128, 1024, 10240]) assert.ok(objectCostUsd(kb, 1, tiers) < objectCostUsd(kb, 1, {}), `${kb} KB`);
  });
  it("matches the README's figures (USD per million objects over 7 years)", () => {
    const perMillion = (kb: number, t: object) => Math.round(objectCostUsd(kb, 7, t) * 1e6);
    assert.deepEqual([perMillion(20, {}), perMillion(20, tiers), perMillion(1024, {}), perMillion(1024, tiers)], [37, 92, 1887, 259]);
  });
});
