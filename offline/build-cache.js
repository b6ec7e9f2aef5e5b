// A content-addressed cache of esbuild.buildSync results for mocked program runs (issue 13: the
// check's time was mostly the estate bundling its Lambda handlers). A cached bundle is reused only
// when esbuild's version, the build options and the bytes of every input file the previous build
// read (its metafile) are unchanged, so the program gets the byte-identical output a fresh build
// would give. Builds with errors, plugins or write: true are never cached. An input whose size,
// mtime and ctime (nanoseconds; ctime cannot be set back by a program) are those recorded when its
// bytes were hashed is not read again: a mocked run bundles six handlers from some hundred files,
// and hashing them all was a tenth of a second of every run (issue 13).
// Served to the program in place of the "esbuild" module while runProgram runs it (esbuild's own
// exports cannot be reassigned).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const Module = require("module");
const esbuild = require("esbuild");

const CACHE_DIR = path.resolve(__dirname, "..", "node_modules", ".cache", "audit-trail-check", "builds");
const sha = (data) => crypto.createHash("sha256").update(data).digest("hex");

/** size, mtime and ctime of a file, as one comparable string. */
function statKey(file) {
  const st = fs.statSync(file, { bigint: true });
  return `${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

function inputsUnchanged(entry) {
  for (const [file, recorded] of Object.entries(entry.inputs)) {
    const { sha: hash, stat } = typeof recorded === "string" ? { sha: recorded } : recorded;
    try {
      if (stat !== undefined && statKey(file) === stat) continue;
      if (sha(fs.readFileSync(file)) !== hash) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The input's hash and, when the file did not change while it was read, its stat key. */
function recordInput(file) {
  const before = statKey(file);
  const hash = sha(fs.readFileSync(file));
  return before === statKey(file) ? { sha: hash, stat: before } : { sha: hash };
}

function outputsOf(entry) {
  return entry.outputFiles.map((o) => {
    const contents = Buffer.from(o.text, "utf8");
    return { path: o.path, contents: new Uint8Array(contents), text: o.text, hash: o.hash };
  });
}

function buildSync(options) {
  if (!options || options.write !== false || options.plugins) return esbuild.buildSync(options);
  const wd = options.absWorkingDir || process.cwd();
  // "v2": entries record each input's stat key beside its hash.
  const key = sha(`v2\n${esbuild.version}\n${wd}\n${JSON.stringify(options)}`);
  const file = path.join(CACHE_DIR, `${key}.json`);
  try {
    const entry = JSON.parse(fs.readFileSync(file, "utf8"));
    if (inputsUnchanged(entry))
      return {
        errors: [],
        warnings: entry.warnings,
        outputFiles: outputsOf(entry),
        metafile: options.metafile ? entry.metafile : undefined,
        mangleCache: undefined,
      };
  } catch {
    // no entry yet
  }
  const result = esbuild.buildSync({ ...options, metafile: true });
  if (result.errors.length === 0) {
    const inputs = {};
    for (const rel of Object.keys(result.metafile.inputs)) {
      const abs = path.resolve(wd, rel);
      try {
        inputs[abs] = recordInput(abs);
      } catch {
        return result; // a virtual input: not cacheable
      }
    }
    const entry = {
      inputs,
      warnings: result.warnings,
      outputFiles: result.outputFiles.map((o) => ({ path: o.path, text: o.text, hash: o.hash })),
      metafile: result.metafile,
    };
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(entry));
      fs.renameSync(tmp, file);
    } catch {
      // read-only tree: no cache
    }
  }
  if (!options.metafile) return { ...result, metafile: undefined };
  return result;
}

const cachedEsbuild = Object.assign({}, esbuild, { buildSync });

/** Serves the cached esbuild to `require("esbuild")` until the returned function is called. */
function serveCachedEsbuild() {
  const load = Module._load;
  Module._load = function (request, ...rest) {
    if (request === "esbuild") return cachedEsbuild;
    return load.call(this, request, ...rest);
  };
  return () => {
    Module._load = load;
  };
}

module.exports = { buildSync, serveCachedEsbuild, CACHE_DIR };
