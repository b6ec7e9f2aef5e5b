// docs/requirements.md is generated (docs/scripts/generate-requirements.ts) from the requirement
// catalogue and the code's own annotations: it must be current, name every id once, link only
// files that exist and AWS pages over https, and depend on nothing outside the repository.
import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ALL_IDS, DOC_PATH, idsIn, main, renderRequirementsDoc, ROOT, scanCoverage, testTitles } from "../../docs/scripts/generate-requirements";
import { REQUIREMENT_GROUPS } from "../../docs/scripts/requirements-catalogue";

const onDisk = readFileSync(DOC_PATH, "utf8");

describe("docs/requirements.md (generated)", () => {
  const coverage = scanCoverage();
  const generated = renderRequirementsDoc(coverage);

  it("is up to date with the catalogue and the code's annotations (else: npm run docs:requirements)", () => {
    const io = { out: "", stdout: { write: (t: string) => (io.out += t) }, stderr: { write: (t: string) => (io.out += t) } };
    assert.equal(main(["--check"], io), 0, `docs/requirements.md is stale; run: npm run docs:requirements\n${io.out}`);
    assert.equal(generated, onDisk);
  });

  it("has one section per id, M1-M5, E1-E16 and A1-A6, in order", () => {
    const expected = [...[1, 2, 3, 4, 5].map((n) => `M${n}`), ...Array.from({ length: 16 }, (_, i) => `E${i + 1}`), ...[1, 2, 3, 4, 5, 6].map((n) => `A${n}`)];
    assert.deepEqual(ALL_IDS, expected);
    assert.deepEqual(
      [...onDisk.matchAll(/^### ([MEA]\d+): /gm)].map((m) => m[1]),
      expected,
    );
  });

  it("links only files that exist in the repository, and nothing outside it", () => {
    const targets = [...onDisk.matchAll(/\]\(\.\.\/([^)#]+)\)/g)].map((m) => m[1]);
    assert.ok(targets.length > 50, "the coverage lists link their files");
    for (const target of targets) assert.ok(existsSync(path.join(ROOT, target)), `${target} exists`);
    assert.doesNotMatch(onDisk, /shared\/design|\.\.\/\.\.\//);
  });

  it("links each AWS page it names (https, docs.aws.amazon.com), at least one per MUST and estate id", () => {
    for (const group of REQUIREMENT_GROUPS) {
      for (const r of group.requirements) {
        if (!r.id.startsWith("A")) assert.ok(r.references.length > 0, `${r.id} cites the AWS page that forces it`);
        for (const ref of r.references) {
          assert.match(ref.url, /^https:\/\/docs\.aws\.amazon\.com\/[A-Za-z0-9/_.#-]+$/, `${r.id}: ${ref.url}`);
          assert.ok(onDisk.includes(`[${ref.title}](${ref.url})`), `${r.id} links ${ref.url}`);
        }
      }
    }
  });

  it("finds what the code says: the presign tests prove E12 and A1-A6, the pack's policies implement M1-M5", () => {
    const tested = (id: string) => coverage.testedBy.get(id)!.map(([file]) => file);
    assert.ok(tested("E12").includes("tests/handlers/presign-core.test.ts"));
    for (const id of ["A1", "A2", "A3", "A4", "A5", "A6"])
      assert.ok(tested(id).includes("tests/handlers/presign-handler.test.ts"), `${id} tested by the handler's titles`);
    for (const id of ["M1", "M2", "M3", "M4", "M5"])
      assert.ok(
        coverage.implementedIn.get(id)!.some((file) => file.startsWith("policy/policies/")),
        `${id} implemented by a policy`,
      );
    assert.ok(coverage.implementedIn.get("E12")!.includes("handlers/presign/core.ts"));
  });

  it("reads ids and ranges as a reader would, and counts test titles only, not comments", () => {
    assert.deepEqual([...idsIn("audit record (E12, A1-A6)")], ["E12", "A1", "A2", "A3", "A4", "A5", "A6"]);
    assert.deepEqual([...idsIn("E8-E9 and M5")], ["E8", "E9", "M5"]);
    assert.deepEqual(
      [...idsIn("ids (M1-M5, E1-E16, A1-A6) refer to this page")].filter((id) => id.startsWith("E")),
      [],
      "E1-E16 is a reference, not a claim",
    );
    assert.deepEqual([...idsIn("E17 M6 A0 SHA256 1B2M2Y8 e12")], []);
    const source = `// covers E3 in a comment only\ndescribe("bucket (E4)", () => { it(\`keeps \${x} 365 days (M5)\`, () => {}); });`;
    assert.deepEqual(testTitles(source), ["bucket (E4)", "keeps  365 days (M5)"]);
  });

  describe("--check on a scratch repository", () => {
    let dir: string;
    let out: string;
    const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (out += t) } };
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), "requirements-doc-"));
      out = "";
      mkdirSync(path.join(dir, "handlers"));
      mkdirSync(path.join(dir, "tests"));
      writeFileSync(path.join(dir, "handlers", "a.ts"), "// E12: issues URLs\n");
      writeFileSync(path.join(dir, "tests", "a.test.ts"), 'describe("a (E12)", () => {});\n');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("writes the page, then reports it up to date; a changed annotation makes it stale with the command to run", () => {
      const file = path.join(dir, "requirements.md");
      assert.equal(main([], io, file, dir), 0);
      assert.match(readFileSync(file, "utf8"), /Implemented in \(1\): \[`handlers\/a\.ts`\]/);
      assert.equal(main(["--check"], io, file, dir), 0);
      writeFileSync(path.join(dir, "tests", "b.test.ts"), 'it("b (E12)", () => {});\n');
      out = "";
      assert.equal(main(["--check"], io, file, dir), 1);
      assert.match(out, /out of date; run: npm run docs:requirements\nfirst difference at line \d+/);
    });

    it("exits 1 when the page is missing and 2 on an unknown argument", () => {
      assert.equal(main(["--check"], io, path.join(dir, "absent.md"), dir), 1);
      assert.match(out, /does not exist; run: npm run docs:requirements/);
      assert.equal(main(["--chek"], io, path.join(dir, "x.md"), dir), 2);
      assert.match(out, /unexpected argument "--chek"/);
    });
  });
});
