// Bundles a Lambda handler into one self-contained CommonJS file for a Pulumi AssetArchive.
// The AWS SDK is bundled too (external: []): the function then runs the SDK version this
// repository pinned and tested, not whichever version the nodejs22.x runtime ships that day.
// Tree-shaking keeps only the SDK commands each handler actually uses.

import type * as esbuild from "esbuild";

export interface HandlerBundle {
  /** Contents of index.js; the Lambda handler setting is "index.handler". */
  code: string;
  /** UTF-8 size of `code`. */
  bytes: number;
}

export function bundleHandler(entryPoint: string): HandlerBundle {
  // Resolved per call, not at import: a mocked program run (offline/run-program.ts) serves a
  // content-addressed cache in place of esbuild while it runs, and this module may have been loaded
  // before the run (a test of the bundle itself), when its import would pin the real one for good:
  // that rebuilt all six handlers, about 5 s of a test worker (issue 13).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: resolved when called
  const { buildSync } = require("esbuild") as typeof esbuild;
  const result = buildSync({
    entryPoints: [entryPoint],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    external: [],
    // Prefer ES module builds of dependencies: they tree-shake, the CommonJS builds do not.
    mainFields: ["module", "main"],
    legalComments: "none",
    // Keep the bundle byte-identical between runs, so Pulumi sees no change when nothing changed.
    sourcemap: false,
    write: false,
    logLevel: "silent",
  });
  if (result.errors.length > 0 || result.outputFiles.length !== 1) {
    throw new Error(`bundling ${entryPoint} failed: ${result.errors.map((e) => e.text).join("; ") || "unexpected output"}`);
  }
  const code = result.outputFiles[0].text;
  return { code, bytes: Buffer.byteLength(code, "utf8") };
}
