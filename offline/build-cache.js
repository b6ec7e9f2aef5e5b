// A content-addressed cache of esbuild.buildSync results for mocked program runs (issue 13: the
// check's time was mostly the estate bundling its Lambda handlers). A cached bundle is reused only
// when esbuild's version, the build options and the bytes of every input file the previous build
// read (its metafile) are unchanged, so the program gets the byte-identical output a fresh build
// would give. Builds with errors, plugins or write: true are never cached.
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

function inputsUnchanged(entry) {
  for (const [file, hash] of Object.entries(entry.inputs)) {
    let data;
    try {
      data = fs.readFileSync(file);
    } catch {
      return false;
    }
    if (sha(data) !== hash) return false;
  }
  return true;
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
  const key = sha(`${esbuild.version}\n${wd}\n${JSON.stringify(options)}`);
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
        inputs[abs] = sha(fs.readFileSync(abs));
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
