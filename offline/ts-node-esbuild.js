// A ts-node transpiler (tsconfig.json "ts-node".transpiler) that hands each file to the project's
// esbuild transform and its content-addressed cache (./transpile-hook.js): mocha still loads the
// suite through ts-node (`ts-node/register/transpile-only`), but a file is transpiled once per
// content instead of by TypeScript's compiler on every run (issue 13: that was about 8 s of each
// `npm test`). Type checking stays with `npm run typecheck`, as with --transpile-only before.
// esbuild's inline source map is handed to ts-node as the file's map (ts-node re-attaches it), so
// stack traces keep pointing at the .ts lines.
"use strict";
const path = require("path");
const { transpile } = require("./transpile-hook.js");

const ROOT = path.resolve(__dirname, "..");
const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

exports.create = function create() {
  return {
    transpile(input, { fileName }) {
      const root = fileName.startsWith(ROOT + path.sep) ? ROOT : path.parse(fileName).root;
      const code = transpile(input, fileName, root);
      const inline = INLINE_MAP.exec(code);
      if (!inline) throw new Error(`ts-node-esbuild: no inline source map in the transform of ${fileName}`);
      const map = JSON.parse(Buffer.from(inline[1], "base64").toString("utf8"));
      map.sources = [fileName];
      return { outputText: code.slice(0, inline.index), sourceMapText: JSON.stringify(map) };
    },
  };
};
