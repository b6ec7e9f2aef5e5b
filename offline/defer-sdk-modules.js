// Loads parts of the Pulumi SDKs on first use instead of at `require("@pulumi/aws")` (issue 13:
// the import went from 1.3 s to 0.35 s on the 2-core machine; a mocked program run or the offline
// check uses none of them unless the program does):
//  - the TypeScript compiler (8.9 MB), which the SDK's closure serialiser needs only to serialise a
//    JavaScript function (`aws.lambda.CallbackFunction`, `pulumi.runtime.serializeFunction`);
//  - @npmcli/arborist and normalize-package-data (pacote, sigstore, ...), needed only to compute a
//    function's code paths (the same closures, `pulumi.runtime.computeCodePaths`);
//  - the Automation API (`pulumi.automation`);
//  - each of @pulumi/aws's ~260 service modules (`aws.s3`, `aws.bedrock`, ...).
// Each is required by one SDK module at its top level; only that request, from that module, gets a
// proxy that requires the real module at its first property access, so a program that does use it
// gets the real module (tests/offline/defer-sdk-modules.test.ts serialises a function, computes
// code paths, lists the Automation API and creates an S3 bucket class through the proxies). Every
// other require is untouched. Plain JavaScript: preloaded with `node -r` and by mocha before ts-node.
"use strict";
const Module = require("module");
const path = require("path");

const sep = "[\\\\/]";
/** request -> the SDK module that requires it at its top level. */
const DEFERRED = new Map([
  ["typescript", new RegExp(`@pulumi${sep}pulumi${sep}typescript-shim\\.js$`)],
  ["@npmcli/arborist", new RegExp(`@pulumi${sep}pulumi${sep}runtime${sep}closure${sep}codePaths\\.js$`)],
  ["normalize-package-data", new RegExp(`@pulumi${sep}pulumi${sep}runtime${sep}closure${sep}codePaths\\.js$`)],
  ["./automation", new RegExp(`@pulumi${sep}pulumi${sep}index\\.js$`)],
]);
/**
 * @pulumi/aws's index requires all of its ~260 service modules at import (each then loads its
 * resources lazily): a service the program never names (bedrock, ec2, ...) is loaded on first use.
 * A service module registers its resource types for deserialising resource references when it
 * loads; a program holds a reference only to a type it created, so its service is loaded by then.
 */
const AWS_INDEX = new RegExp(`@pulumi${sep}aws${sep}index\\.js$`);
const AWS_SERVICE = /^\.\/[a-z0-9]+$/;
function deferredFrom(request) {
  return DEFERRED.get(request) ?? (AWS_SERVICE.test(request) ? AWS_INDEX : undefined);
}

/** Requests answered with a proxy in this process (for the tests). */
const deferred = [];

/**
 * A stand-in for `require(request)` that loads the module at its first use. It says it is an ES
 * module so the SDK's `__importStar` / `__importDefault` helpers keep it as is instead of copying
 * its keys (which would load it at once); `default` of a CommonJS module is the module itself, as
 * `__importDefault` would have made it.
 */
function lazyModule(load) {
  let real;
  const target = () => (real ??= load());
  return new Proxy(
    {},
    {
      get(_, key) {
        if (key === "__esModule") return true;
        const m = target();
        if (key === "default" && !(m && m.__esModule) && !(m && Object.prototype.hasOwnProperty.call(m, "default"))) return m;
        return m[key];
      },
      has: (_, key) => key in target(),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor(_, key) {
        const d = Object.getOwnPropertyDescriptor(target(), key);
        // A proxy may not report a non-configurable property its (empty) target lacks.
        if (d) d.configurable = true;
        return d;
      },
    },
  );
}

function resolves(request, parent) {
  try {
    Module._resolveFilename(request, parent, false);
    return true;
  } catch {
    return false;
  }
}

let installed = false;

function install() {
  if (installed) return;
  installed = true;
  const load = Module._load;
  Module._load = function deferUnusedSdkModules(request, parent, isMain) {
    const from = deferredFrom(request);
    // Only what resolves is deferred: the SDK's typescript-shim falls back to its vendored compiler
    // when `typescript` is not installed, and that fallback needs the require to throw now.
    if (from && parent && parent.filename && from.test(parent.filename) && resolves(request, parent)) {
      deferred.push(`${request} <- ${path.basename(parent.filename)}`);
      return lazyModule(() => load.call(Module, request, parent, isMain));
    }
    return load.apply(this, arguments);
  };
}

install();

module.exports = { install, deferred };
