/**
 * Writes docs/requirements.md: each requirement id with what it demands and the AWS pages that
 * force it (docs/scripts/requirements-catalogue.ts), where it is implemented and which tests
 * prove it, both found by scanning the code's own annotations, so the document cannot drift:
 *
 * - "implemented in": source files outside tests/ and bench/ that name the id (comments, policy
 *   metadata, messages). A range such as "A1-A6" names each id in it; "E1-E16" (the whole estate,
 *   as in "ids E1-E16 refer to ...") names none.
 * - "tested by": test files (tests/**\/*.test.ts) whose describe/it titles name the id, with the
 *   number of such titles. A mention in a test's comment does not count: a title is what fails.
 *
 *   npm run docs:requirements              write docs/requirements.md
 *   npm run docs:requirements -- --check   exit 1 (and say why) when it is stale; writes nothing
 *
 * Deterministic: no dates, paths sorted, relative links. Exit codes: 0 written / up to date,
 * 1 stale (--check), 2 usage error.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ENVIRONMENTS_SECTION, REQUIREMENT_GROUPS, type Requirement } from "./requirements-catalogue";

export const ROOT = path.resolve(__dirname, "..", "..");
export const DOC_PATH = path.join(ROOT, "docs", "requirements.md");
/** Top-level folders scanned; bench/ measures rather than implements, docs/ is this generator. */
export const SOURCE_FOLDERS = ["cli", "cloudtrail", "evidence", "handlers", "infra", "offline", "policy"] as const;
export const TEST_FOLDER = "tests";

const FAMILY_SIZE: Record<string, number> = { M: 5, E: 16, A: 6 };
export const ALL_IDS: readonly string[] = REQUIREMENT_GROUPS.flatMap((group) => group.requirements.map((r) => r.id));

/** The requirement ids a text names, ranges expanded ("A1-A6", "E8-E9"), in order of the catalogue. */
export function idsIn(text: string): Set<string> {
  const found = new Set<string>();
  for (const m of text.matchAll(/\b([MEA])(\d{1,2})(?:\s?[-\u2013]\s?\1?(\d{1,2}))?\b/g)) {
    const [, family, first, last] = m;
    const from = Number(first);
    const to = last === undefined ? from : Number(last);
    if (from < 1 || to > FAMILY_SIZE[family] || to < from) continue;
    // "E1-E16": the whole estate named as a reference, not a claim of implementing each part.
    if (family === "E" && from === 1 && to === FAMILY_SIZE.E) continue;
    for (let n = from; n <= to; n++) found.add(`${family}${n}`);
  }
  return found;
}

/** The static text of every describe/it/context title in a test file (template placeholders dropped). */
export function testTitles(source: string): string[] {
  const titles: string[] = [];
  const call = /\b(?:describe|context|it|specify)(?:\.only|\.skip)?\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`)/g;
  for (const m of source.matchAll(call)) titles.push(m[1].slice(1, -1).replace(/\$\{[^}]*\}/g, ""));
  return titles;
}

function* tsFiles(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(full);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) yield full;
  }
}

export interface Coverage {
  /** id -> repository-relative paths (POSIX separators), sorted. */
  implementedIn: Map<string, string[]>;
  /** id -> [test file, number of titles naming the id], sorted by path. */
  testedBy: Map<string, Array<[string, number]>>;
}

const posix = (root: string, file: string): string => path.relative(root, file).split(path.sep).join("/");

export function scanCoverage(root: string = ROOT): Coverage {
  const implementedIn = new Map<string, string[]>(ALL_IDS.map((id) => [id, []]));
  const testedBy = new Map<string, Array<[string, number]>>(ALL_IDS.map((id) => [id, []]));
  for (const folder of SOURCE_FOLDERS) {
    for (const file of tsFiles(path.join(root, folder))) {
      for (const id of idsIn(readFileSync(file, "utf8"))) implementedIn.get(id)!.push(posix(root, file));
    }
  }
  for (const file of tsFiles(path.join(root, TEST_FOLDER))) {
    if (!file.endsWith(".test.ts")) continue;
    const counts = new Map<string, number>();
    for (const title of testTitles(readFileSync(file, "utf8"))) for (const id of idsIn(title)) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const [id, count] of counts) testedBy.get(id)!.push([posix(root, file), count]);
  }
  for (const list of implementedIn.values()) list.sort();
  for (const list of testedBy.values()) list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { implementedIn, testedBy };
}

const link = (file: string): string => `[\`${file}\`](../${file})`;

function renderRequirement(requirement: Requirement, coverage: Coverage): string[] {
  const lines = [`### ${requirement.id}: ${requirement.title}`, "", requirement.demands, ""];
  if (requirement.references.length > 0) {
    lines.push("AWS pages that force it:", "");
    for (const ref of requirement.references) lines.push(`- [${ref.title}](${ref.url}): ${ref.forces}.`);
    lines.push("");
  }
  const implemented = coverage.implementedIn.get(requirement.id)!;
  const tested = coverage.testedBy.get(requirement.id)!;
  lines.push(`Implemented in (${implemented.length}): ${implemented.length === 0 ? "nothing names it yet." : implemented.map(link).join(", ")}`, "");
  lines.push(
    `Tested by (${tested.length}): ${tested.length === 0 ? "no test title names it yet." : tested.map(([file, count]) => `${link(file)} (${count} title${count === 1 ? "" : "s"})`).join(", ")}`,
    "",
  );
  return lines;
}

export function renderRequirementsDoc(coverage: Coverage): string {
  const lines: string[] = [
    "<!-- Generated by docs/scripts/generate-requirements.ts; do not edit. Run: npm run docs:requirements -->",
    "# Requirements",
    "",
    "What the audit-trail estate must do, by requirement id. Code comments, policy metadata and test titles cite these ids; this page is generated from",
    "them: **implemented in** lists the source files that name an id, **tested by** the test files whose test titles name it (a test title is what",
    "fails when the requirement breaks). The demands and the AWS pages are kept in `docs/scripts/requirements-catalogue.ts`.",
    "",
    ENVIRONMENTS_SECTION,
    "## Overview",
    "",
    "| id | requirement | implemented in | tested by (files / titles) |",
    "|---|---|---|---|",
  ];
  for (const group of REQUIREMENT_GROUPS) {
    for (const r of group.requirements) {
      const tested = coverage.testedBy.get(r.id)!;
      const titles = tested.reduce((sum, [, count]) => sum + count, 0);
      lines.push(
        `| [${r.id}](#${r.id.toLowerCase()}-${slug(r.title)}) | ${r.title} | ${coverage.implementedIn.get(r.id)!.length} file${coverage.implementedIn.get(r.id)!.length === 1 ? "" : "s"} | ${tested.length} / ${titles} |`,
      );
    }
  }
  const gaps = ALL_IDS.filter((id) => coverage.implementedIn.get(id)!.length === 0 || coverage.testedBy.get(id)!.length === 0);
  lines.push("", `Ids with no implementing file or no test title yet: ${gaps.length === 0 ? "none." : gaps.join(", ") + "."}`, "");
  for (const group of REQUIREMENT_GROUPS) {
    lines.push(`## ${group.heading}`, "", group.intro, "");
    for (const r of group.requirements) lines.push(...renderRequirement(r, coverage));
  }
  return (
    lines
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trimEnd() + "\n"
  );
}

/** GitHub's heading anchor for "<id>: <title>". */
export function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, "")
    .trim()
    .replace(/ /g, "-");
}

export function firstDifference(expected: string, actual: string): { line: number; expected: string; actual: string } | undefined {
  const a = expected.split("\n");
  const b = actual.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return { line: i + 1, expected: a[i] ?? "(end of file)", actual: b[i] ?? "(end of file)" };
  }
  return undefined;
}

export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export function main(argv: string[], io: Io, file: string = DOC_PATH, root: string = ROOT): number {
  const unexpected = argv.find((arg) => arg !== "--check");
  if (unexpected !== undefined) {
    io.stderr.write(`unexpected argument ${JSON.stringify(unexpected)}; usage: npm run docs:requirements [-- --check]\n`);
    return 2;
  }
  const generated = renderRequirementsDoc(scanCoverage(root));
  const shown = path.relative(root, file) || file;
  if (argv.includes("--check")) {
    if (!existsSync(file)) {
      io.stderr.write(`${shown} does not exist; run: npm run docs:requirements\n`);
      return 1;
    }
    const diff = firstDifference(generated, readFileSync(file, "utf8"));
    if (diff !== undefined) {
      io.stderr.write(
        `${shown} is out of date; run: npm run docs:requirements\nfirst difference at line ${diff.line}:\n  expected: ${diff.expected}\n  found:    ${diff.actual}\n`,
      );
      return 1;
    }
    io.stdout.write(`${shown} is up to date\n`);
    return 0;
  }
  writeFileSync(file, generated);
  io.stdout.write(`wrote ${shown}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2), process);
