// Bundles a Lambda handler into one self-contained CommonJS file for a Pulumi AssetArchive.
// The AWS SDK is bundled too (external: []): the function then runs the SDK version this
// repository pinned and tested, not whichever version the nodejs22.x runtime ships that day.
// Tree-shaking keeps only the SDK commands each handler actually uses.

import { buildSync } from "esbuild";

export interface HandlerBundle {
  /** Contents of index.js; the Lambda handler setting is "index.handler". */
  code: string;
  /** UTF-8 size of `code`. */
  bytes: number;
}

export function bundleHandler(entryPoint: string): HandlerBundle {
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
