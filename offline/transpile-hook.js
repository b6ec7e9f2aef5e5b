// A `.ts` require hook with a content-addressed transpile cache, for the offline check and the
// mocked program runs (issue 13). Each run still loads the program's modules afresh (runProgram
// clears them from require.cache, so no state leaks between runs); only the transpiled text is
// reused when the source is byte-identical. Transpiling is esbuild's TypeScript transform (type
// stripping per file, as ts-node --transpile-only does; no type check, like the check before).
// Cache: memory, then node_modules/.cache/audit-trail-check/ (key: sha256 of esbuild's version,
// the options and the source), so a second `npm run check` transpiles nothing.
// Plain JavaScript so that `node -r ./offline/transpile-hook.js offline/check.ts` needs no
// TypeScript compiler at all (loading it was a quarter of the check's time).
"use strict";
// Before anything loads @pulumi/pulumi: what the check does not use is loaded on first use only.
require("./defer-sdk-modules.js");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const Module = require("module");
const esbuild = require("esbuild");

const CACHE_DIR = path.resolve(__dirname, "..", "node_modules", ".cache", "audit-trail-check");
const OPTIONS = {
  loader: "ts",
  format: "cjs",
  target: "es2022",
  sourcemap: "inline",
  sourcesContent: false,
  tsconfigRaw: { compilerOptions: { esModuleInterop: true } },
  // `await import("./x")` becomes a require, as tsc's "module": "commonjs" emits it (the code
  // relies on that: a native import() of a .ts file bypasses this hook and fails).
  supported: { "dynamic-import": false },
};
const SALT = `${esbuild.version}\n${JSON.stringify(OPTIONS)}\n`;
const memory = new Map();
const roots = new Set();
let installed = false;

/**
 * Keyed by the path relative to the hook root (not the absolute one) and the source: a mutated
 * copy of the program (tests/policy/check.test.ts) then reuses every file it did not change, and
 * the disk cache does not grow by a copy's worth of entries per test run. The source map names
 * the file by its base name, which Node resolves next to the module, so it maps to the file that
 * was loaded in either tree.
 */
function transpile(source, filename, root = path.parse(filename).root) {
  const relative = path.relative(root, filename);
  const key = crypto.createHash("sha256").update(SALT).update(relative).update("\n").update(source).digest("hex");
  const hit = memory.get(key);
  if (hit !== undefined) return hit;
  const file = path.join(CACHE_DIR, key.slice(0, 2), `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(file, "utf8");
  } catch {
    code = esbuild.transformSync(source, { ...OPTIONS, sourcefile: path.basename(filename) }).code;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // Write then rename: a concurrent reader never sees half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, file);
    } catch {
      // A read-only tree only loses the disk cache.
    }
  }
  memory.set(key, code);
  return code;
}

/**
 * Installs the hook for `.ts` files under `root` (outside node_modules); other files keep the
 * handler that was there (ts-node under mocha). Idempotent per root. Source maps are inline, so
 * `node --enable-source-maps` maps stack traces when debugging.
 */
function install(root) {
  roots.add(path.resolve(root) + path.sep);
  if (installed) return;
  installed = true;
  const previous = Module._extensions[".ts"];
  Module._extensions[".ts"] = function (module, filename) {
    // The innermost root holding the file (a mutated copy under /tmp is a root of its own).
    const root = [...roots].filter((r) => filename.startsWith(r)).sort((a, b) => b.length - a.length)[0];
    const ours = root !== undefined && !filename.split(path.sep).includes("node_modules");
    if (!ours && previous) return previous(module, filename);
    module._compile(transpile(fs.readFileSync(filename, "utf8"), filename, root), filename);
  };
}

module.exports = { install, transpile, CACHE_DIR };
// `node -r ./offline/transpile-hook.js`: every .ts file of the process.
if (module.parent && module.parent.id === "internal/preload") install(path.parse(process.cwd()).root);
