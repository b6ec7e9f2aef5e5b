// mocha's `require` (.mocharc.json): every .ts file of this repository through the transpile
// hook (esbuild, content-addressed cache) instead of ts-node's TypeScript transpiler, which spent
// about 8 s of each `npm test` transpiling the suite before its first test (issue 13). Type
// checking stays with `npm run typecheck`, as with ts-node --transpile-only before.
"use strict";
const path = require("path");
require("./transpile-hook.js").install(path.resolve(__dirname, ".."));
