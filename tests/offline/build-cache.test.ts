// The esbuild cache of mocked program runs (offline/build-cache.js): a cached bundle is served only
// while every input has the bytes it was built from. Real esbuild builds of a temporary entry file;
// the edits a developer makes (content, same-size content, a restored mtime) each give the bundle
// a fresh build would give.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
// Loaded at import, before any cache is served: as when a test of the bundle ran earlier in the worker.
import { bundleHandler } from "../../handlers/bundle";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS helper of the offline runner
const { buildSync, serveCachedEsbuild, CACHE_DIR } = require("../../offline/build-cache.js") as {
  buildSync: (o: Record<string, unknown>) => { outputFiles: { text: string }[]; errors: unknown[] };
  serveCachedEsbuild: () => () => void;
  CACHE_DIR: string;
};

describe("esbuild cache of mocked runs (offline/build-cache.js)", () => {
  let dir: string;
  let entry: string;
  let dep: string;
  const build = () =>
    buildSync({ entryPoints: [entry], bundle: true, write: false, platform: "node", format: "cjs", absWorkingDir: dir, logLevel: "silent" }).outputFiles[0]
      .text;
  const entriesNow = () => (fs.existsSync(CACHE_DIR) ? fs.readdirSync(CACHE_DIR).length : 0);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "build-cache-"));
    entry = path.join(dir, "index.js");
    dep = path.join(dir, "dep.js");
    fs.writeFileSync(entry, 'const { value } = require("./dep");\nconsole.log(value);\n');
    fs.writeFileSync(dep, 'exports.value = "first";\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("records the build and serves it again while the inputs are unchanged", () => {
    const before = entriesNow();
    const first = build();
    assert.match(first, /"first"/);
    assert.equal(entriesNow(), before + 1, "one cache entry for the new build");
    assert.equal(build(), first);
    assert.equal(entriesNow(), before + 1);
  });

  it("rebuilds when an input's content changes, even at the same size", () => {
    build();
    fs.writeFileSync(dep, 'exports.value = "other";\n'); // same length as "first"
    assert.match(build(), /"other"/);
  });

  it("rebuilds when an input changed and its mtime was set back (ctime still moved)", () => {
    // A whole-second mtime, so setting it back restores it exactly (utimes takes seconds as a double).
    const stamp = Math.floor(Date.now() / 1000) - 60;
    fs.utimesSync(dep, stamp, stamp);
    build();
    fs.writeFileSync(dep, 'exports.value = "third";\n');
    fs.utimesSync(dep, stamp, stamp);
    assert.equal(fs.statSync(dep, { bigint: true }).mtimeNs, BigInt(stamp) * 1_000_000_000n);
    assert.match(build(), /"third"/);
  });

  it("serves the cached bundle after a touch that kept the bytes", () => {
    const first = build();
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(dep, later, later);
    assert.equal(build(), first);
  });

  it("rebuilds when an input is gone, and reports esbuild's error", () => {
    build();
    fs.rmSync(dep);
    assert.throws(() => build(), /Could not resolve "\.\/dep"/);
  });

  it("the handler bundler builds through the cache while a run serves it, though it was loaded before (issue 13)", () => {
    const before = entriesNow();
    const stop = serveCachedEsbuild();
    let served: string;
    try {
      served = bundleHandler(entry).code;
    } finally {
      stop();
    }
    assert.equal(entriesNow(), before + 1, "the served cache recorded the handler's build");
    // Outside a run the real esbuild builds (and records nothing): the same bytes.
    assert.equal(bundleHandler(entry).code, served);
    assert.equal(entriesNow(), before + 1);
  });
});
