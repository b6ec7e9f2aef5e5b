// The pack's Analyze and AnalyzeStack handlers (policy/lib/analyzer-handlers.ts) restate the policy
// SDK's with one change (what each policy is handed is built once per request). The proof is
// differential: the SDK's own handlers and the pack's get the same requests, in the same order, and
// every response (diagnostics, not-applicable entries, errors) must be identical, field by field:
//  - the real pack, on every fixture of the policy tests, under several pack configs and stack tags;
//  - a pack of probe policies that exercise each SDK rule (levels, type fast paths, arrays of
//    validations, remediation-only policies, notApplicable, unknown values, both reportViolation
//    forms, getConfig, stack tags, options, provider, parent and dependency links, errors), on
//    requests carrying every field the engine sends.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { capturePack, evaluatePolicies, LoadedPack, PolicyPackConfig } from "../../offline/analyze";
import { compliantStack } from "../../offline/fixtures/policy-stacks";
import { UNKNOWN_SENTINEL } from "../../offline/run-program";
import { PINNED_SERVER_SHA256, servePolicyPack, analyzerHandlersRefusal } from "../../policy/lib/analyzer-handlers";
import { PINNED_POLICY_SDK } from "../../policy/lib/sdk-memo";
import { PACK_DIR, packInstance, PackInstance, SDK_DIR, shortcutCorpus } from "../support/pack-instances";

import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";

// The protobuf module instances the SDK uses (see offline/analyze.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
const pb = require("@pulumi/pulumi/proto/analyzer_pb") as typeof AnalyzerPb;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as typeof StructPb;

type Handler = (call: { request: unknown }, cb: (err: unknown, resp?: unknown) => void) => void;
interface Outcome {
  phase: string;
  urn?: string;
  response?: unknown;
  error?: { message: string; code?: number };
}

// An error's message carries the policy's stack trace, whose frames name the handler's own lines.
const withoutFrames = (message: string) => message.replace(/\n\s+at .*/g, "");
const outcomeOf = (phase: string, urn: string | undefined, err: unknown, resp: unknown): Outcome =>
  err
    ? { phase, urn, error: { message: withoutFrames((err as Error).message), code: (err as { code?: number }).code } }
    : { phase, urn, response: (resp as { toObject(): unknown }).toObject() };

/** Wraps a pack's Analyze and AnalyzeStack handlers so every outcome is recorded in `log`; returns the undo. */
function recording(pack: LoadedPack, log: Outcome[]): () => void {
  const saved = { analyze: pack.handlers.analyze, analyzeStack: pack.handlers.analyzeStack };
  for (const phase of ["analyze", "analyzeStack"] as const) {
    const inner = saved[phase];
    pack.handlers[phase] = (call, cb) =>
      inner(call, (err, resp) => {
        const urn = phase === "analyze" ? (call.request as AnalyzerPb.AnalyzeRequest).getUrn() : undefined;
        log.push(outcomeOf(phase, urn, err, resp));
        cb(err, resp);
      });
  }
  return () => Object.assign(pack.handlers, saved);
}

describe("the pack's analyzer handlers (policy/lib/analyzer-handlers.ts)", () => {
  describe("guard", () => {
    it("serves in the pack under the pinned SDK, and not with AUDIT_TRAIL_MUST_SDK_MEMO=off", async () => {
      const on = await packInstance(true);
      const off = await packInstance(false);
      assert.equal(on.exports.analyzerHandlers.active, true, on.exports.analyzerHandlers.reason);
      assert.equal(on.exports.analyzerHandlers.reason, undefined);
      assert.equal(typeof on.exports.analyzerHandlers.sdk?.analyzeStack, "function");
      // The captured handlers are the pack's, not the SDK's.
      assert.notEqual(on.pack.handlers.analyzeStack, on.exports.analyzerHandlers.sdk?.analyzeStack);
      assert.notEqual(on.pack.handlers.analyze, on.exports.analyzerHandlers.sdk?.analyze);
      assert.deepEqual(off.exports.analyzerHandlers, { active: false, reason: "AUDIT_TRAIL_MUST_SDK_MEMO=off" });
    });

    it("refuses an SDK of another version or whose server.js differs from the one it restates", () => {
      assert.equal(analyzerHandlersRefusal(SDK_DIR), undefined);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sdk-handlers-"));
      try {
        const server = fs.readFileSync(path.join(SDK_DIR, "server.js"));
        fs.writeFileSync(path.join(tmp, "package.json"), JSON.stringify({ version: "1.22.0" }));
        fs.writeFileSync(path.join(tmp, "server.js"), server);
        assert.equal(analyzerHandlersRefusal(tmp), `@pulumi/policy 1.22.0 is not ${PINNED_POLICY_SDK}`);
        fs.writeFileSync(path.join(tmp, "package.json"), JSON.stringify({ version: PINNED_POLICY_SDK }));
        assert.equal(analyzerHandlersRefusal(tmp), undefined);
        fs.writeFileSync(path.join(tmp, "server.js"), Buffer.concat([server, Buffer.from("\n// patched\n")]));
        const reason = analyzerHandlersRefusal(tmp) ?? "";
        assert.match(reason, /^server\.js has SHA-256 [0-9a-f]{64}, not the [0-9a-f]{64} these handlers restate$/);
        assert.ok(reason.includes(PINNED_SERVER_SHA256));
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  });

  describe("the real pack: the SDK's responses and the pack's, request by request", () => {
    let on: PackInstance;
    let off: PackInstance;
    const logs: { on: Outcome[]; off: Outcome[] } = { on: [], off: [] };
    before(async () => {
      on = await packInstance(true);
      off = await packInstance(false);
    });

    /** Both instances on the same requests; returns the number of diagnostics compared. */
    async function compare(label: string, resources: Parameters<typeof evaluatePolicies>[0], config?: PolicyPackConfig, stackTags?: Record<string, string>) {
      logs.on.length = 0;
      logs.off.length = 0;
      const undo = [recording(on.pack, logs.on), recording(off.pack, logs.off)];
      try {
        await evaluatePolicies(resources, {
          packs: [
            { dir: on.pack.dir, config },
            { dir: off.pack.dir, config },
          ],
          stackTags,
        });
      } finally {
        for (const u of undo) u();
      }
      assert.equal(logs.on.length, resources.length + 1, label);
      assert.deepEqual(logs.on, logs.off, label);
      let diagnostics = 0;
      for (const o of logs.on) diagnostics += (o.response as { diagnosticsList?: unknown[] } | undefined)?.diagnosticsList?.length ?? 0;
      return diagnostics;
    }

    it("every fixture of the policy tests, with the pack's default levels", async () => {
      const fixtures = shortcutCorpus();
      assert.ok(fixtures.length > 80, `only ${fixtures.length} fixtures`);
      let diagnostics = 0;
      for (const { label, fixture } of fixtures) diagnostics += await compare(label, fixture.resources);
      // Real verdicts were compared, not silent stacks.
      assert.ok(diagnostics > 60, `only ${diagnostics} diagnostics compared`);
    });

    it("under dev's config, a mostly disabled pack, remediate levels, policy properties and stack tags", async () => {
      const dev = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "config", "dev.json"), "utf8")) as PolicyPackConfig;
      const configs: { label: string; config: PolicyPackConfig; tags?: Record<string, string> }[] = [
        { label: "dev.json", config: dev, tags: { "pulumi:project": "audit-trail-estate", env: "dev" } },
        {
          label: "all disabled but two",
          config: { all: "disabled", "aws-s3-bucket-require-object-lock-compliance": "mandatory", "aws-cloudtrail-trail-require-kms-key": "advisory" },
        },
        {
          label: "remediate on a resource and a stack policy",
          config: { "aws-cloudtrail-trail-enable-log-file-validation": "remediate", "aws-s3-bucket-protect-trail-logs": "remediate" },
        },
        { label: "E16 properties", config: { "aws-rds-dynamodb-require-audit-logs": { enforcementLevel: "mandatory", allTables: true, tagKey: "Class" } } },
      ];
      const fixtures = shortcutCorpus().filter((f) => /compliant|GOVERNANCE|without (log-lock|log-bucket|trail-log-group)$/.test(f.label));
      assert.ok(fixtures.length >= 12, `only ${fixtures.length} fixtures`);
      let diagnostics = 0;
      for (const { label, config, tags } of configs) {
        for (const f of fixtures) diagnostics += await compare(`${label}: ${f.label}`, f.fixture.resources, config, tags);
      }
      assert.ok(diagnostics > 50, `only ${diagnostics} diagnostics compared`);
    });
  });

  describe("probe policies: each SDK rule, on requests with every field the engine sends", () => {
    const BUCKET = "aws:s3/bucket:Bucket";
    const TRAIL = "aws:cloudtrail/trail:Trail";
    const urn = (type: string, name: string) => `urn:pulumi:prd::estate::${type}::${name}`;
    const describe = (r: Record<string, unknown>) => {
      const res = r as {
        type: string;
        name: string;
        urn: string;
        opts: unknown;
        provider?: { type: string; name: string; urn: string; props: Record<string, unknown> };
        parent?: { name: string };
        dependencies: { name: string }[];
        propertyDependencies: Record<string, { name: string }[]>;
        isType(c: unknown): boolean;
        asType(c: unknown): unknown;
      };
      const bucketClass = { __pulumiType: BUCKET };
      return JSON.stringify({
        type: res.type,
        name: res.name,
        urn: res.urn,
        opts: res.opts,
        provider: res.provider && { type: res.provider.type, name: res.provider.name, urn: res.provider.urn, region: res.provider.props.region },
        parent: res.parent?.name,
        dependencies: res.dependencies?.map((d) => d.name),
        propertyDependencies:
          res.propertyDependencies && Object.fromEntries(Object.entries(res.propertyDependencies).map(([k, v]) => [k, v.map((d) => d.name)])),
        isBucket: res.isType(bucketClass),
        asBucket: res.asType(bucketClass) !== undefined,
      });
    };
    const typed = <F extends (...a: never[]) => unknown>(type: string, fn: F) => Object.assign(fn, { __pulumiType: type });
    const tags = (args: { stackTags: ReadonlyMap<string, string> }) => JSON.stringify([...args.stackTags.entries()]);

    const probes = (): any[] => [
      {
        name: "typed-bucket",
        description: "typed to buckets, string form with a URN",
        enforcementLevel: "mandatory",
        validateResource: typed(BUCKET, (args: any, report: any) => report(`${describe(args)} ${JSON.stringify(args.getConfig())} ${tags(args)}`, args.urn)),
        configSchema: { properties: { threshold: { type: "number", default: 3 } } },
      },
      {
        name: "array-of-validations",
        description: "an array: no type fast path, each validation runs",
        validateResource: [typed(TRAIL, (args: any, report: any) => report(`first ${args.type}`)), (args: any, report: any) => report(`second ${args.name}`)],
      },
      { name: "remediation-only", description: "remediates, never validates", enforcementLevel: "remediate", remediateResource: () => undefined },
      {
        name: "not-applicable-unless-trail",
        description: "calls notApplicable",
        validateResource: (args: any, report: any) => (args.type === TRAIL ? report("a trail") : args.notApplicable(`not a trail: ${args.type}`)),
      },
      {
        name: "reads-unknown",
        description: "reads a value unknown during preview",
        enforcementLevel: "mandatory",
        validateResource: (args: any, report: any) => report(`arn ${String(args.props.arn)}`),
      },
      {
        name: "object-form",
        description: "object-form violations under another name and level",
        enforcementLevel: "advisory",
        validateResource: (args: any, report: any) => {
          report({ name: "renamed", message: `object ${args.name}`, enforcementLevel: "mandatory", urn: args.urn, severity: "high" });
          report({ description: "only a description" });
        },
        severity: "low",
      },
      { name: "disabled-resource", description: "disabled by the pack config", validateResource: (_a: any, report: any) => report("must not run") },
      {
        name: "stack-sees-all",
        description: "describes every resource it is handed",
        enforcementLevel: "mandatory",
        validateStack: (args: any, report: any) => {
          for (const r of args.resources) report(describe(r), r.urn);
          report(`${JSON.stringify(args.getConfig())} ${tags(args)} ${args.resources.length}`);
        },
      },
      {
        name: "stack-typed-absent",
        description: "typed to a type the stack lacks",
        validateStack: typed("aws:rds/cluster:Cluster", (_a: any, report: any) => report("must not run")),
      },
      {
        name: "stack-typed-present",
        description: "typed to a present type",
        validateStack: typed(TRAIL, (args: any, report: any) => report(`trails: ${args.resources.length}`)),
      },
      {
        name: "stack-remediate",
        description: "remediate on a stack policy reads as mandatory",
        enforcementLevel: "remediate",
        validateStack: (_a: any, report: any) => report("x"),
      },
      {
        name: "stack-unknown",
        description: "reads an unknown output",
        validateStack: (args: any) => {
          for (const r of args.resources) void String(r.props.arn);
        },
        remediationSteps: "carried into the advisory note",
      },
      { name: "stack-not-applicable", description: "calls notApplicable", validateStack: (args: any) => args.notApplicable("nothing to judge") },
      {
        name: "resource-async",
        description: "returns a promise, and one that rejects with notApplicable",
        validateResource: async (args: any, report: any) => {
          await Promise.resolve();
          if (args.type === TRAIL) args.notApplicable("after an await");
          report(`later ${args.name}`);
        },
      },
      { name: "stack-async", description: "returns a promise", validateStack: async (_a: any, report: any) => (await Promise.resolve(), report("later")) },
    ];
    const throwing = {
      name: "stack-throws",
      description: "throws",
      validateStack: () => {
        throw new Error("boom");
      },
    };
    const writing = {
      name: "stack-writes",
      description: "writes to a resource",

      validateStack: function (args: any) {
        "use strict"; // as tsc emits the pack's modules: a write to a frozen object throws
        args.resources[0].name = "changed";
      },
    };

    async function probePack(key: string, shortcuts: boolean, policies: unknown[]): Promise<LoadedPack> {
      return capturePack(path.join(PACK_DIR, `.probe-${key}`), () => {
        const before = process.env.AUDIT_TRAIL_MUST_SDK_MEMO;
        const cwd = process.cwd();
        if (shortcuts) delete process.env.AUDIT_TRAIL_MUST_SDK_MEMO;
        else process.env.AUDIT_TRAIL_MUST_SDK_MEMO = "off";
        try {
          process.chdir(PACK_DIR); // PolicyPack reads the version from ./package.json
          const status = servePolicyPack("probe", { enforcementLevel: "advisory", policies: policies as never }, { fromDir: PACK_DIR });
          assert.equal(status.active, shortcuts, status.reason);
        } finally {
          process.chdir(cwd);
          if (before === undefined) delete process.env.AUDIT_TRAIL_MUST_SDK_MEMO;
          else process.env.AUDIT_TRAIL_MUST_SDK_MEMO = before;
        }
      });
    }

    const options = (parent?: string) => {
      const o = new pb.AnalyzerResourceOptions();
      o.setProtect(true);
      o.setIgnorechangesList(["tags"]);
      o.setAliasesList(["urn:pulumi:prd::estate::old::alias"]);
      o.setAdditionalsecretoutputsList(["policy"]);
      o.setDeletebeforereplace(true);
      o.setDeletebeforereplacedefined(true);
      const t = new pb.AnalyzerResourceOptions.CustomTimeouts();
      t.setCreate(60);
      t.setDelete(1.5);
      o.setCustomtimeouts(t);
      if (parent) o.setParent(parent);
      return o;
    };
    const provider = () => {
      const p = new pb.AnalyzerProviderResource();
      p.setType("pulumi:providers:aws");
      p.setName("eu");
      p.setUrn(urn("pulumi:providers:aws", "eu"));
      p.setProperties(Struct.fromJavaScript({ region: "eu-central-1", version: "7.0.0" }));
      return p;
    };
    const component = urn("audit:storage:ImmutableLogBucket", "logs");
    const resources = [
      { type: "audit:storage:ImmutableLogBucket", name: "logs", props: {}, deps: [] as string[], propDeps: {} as Record<string, string[]> },
      {
        type: BUCKET,
        name: "log-bucket",
        parent: component,
        props: { bucket: "org-trail-logs", arn: UNKNOWN_SENTINEL, tags: { a: "b" } },
        deps: [],
        propDeps: {},
      },
      {
        type: TRAIL,
        name: "trail",
        parent: component,
        props: { s3BucketName: "org-trail-logs", arn: UNKNOWN_SENTINEL },
        deps: [urn(BUCKET, "log-bucket"), urn("x:y:Z", "absent")],
        propDeps: { s3BucketName: [urn(BUCKET, "log-bucket")] },
        provider: true,
      },
    ];
    /** The fields an Analyze request and an AnalyzeStack resource share, set on either. */
    const withResourceFields = <M extends AnalyzerPb.AnalyzeRequest | AnalyzerPb.AnalyzerResource>(m: M, r: (typeof resources)[number]): M => {
      m.setType(r.type);
      m.setName(r.name);
      m.setUrn(urn(r.type, r.name));
      m.setProperties(Struct.fromJavaScript(r.props as Record<string, StructPb.JavaScriptValue>));
      m.setOptions(options(r.parent));
      if (r.provider) m.setProvider(provider());
      return m;
    };
    const analyzeRequests = () => resources.map((r) => withResourceFields(new pb.AnalyzeRequest(), r));
    const stackRequest = () => {
      const q = new pb.AnalyzeStackRequest();
      q.setResourcesList(
        resources.map((r) => {
          const a = withResourceFields(new pb.AnalyzerResource(), r);
          if (r.parent) a.setParent(r.parent);
          a.setDependenciesList(r.deps);
          for (const [k, v] of Object.entries(r.propDeps)) {
            const d = new pb.AnalyzerPropertyDependencies();
            d.setUrnsList(v);
            a.getPropertydependenciesMap().set(k, d);
          }
          return a;
        }),
      );
      return q;
    };
    const configure = (levels: Record<string, number>, props: Record<string, Record<string, StructPb.JavaScriptValue>> = {}) => {
      const q = new pb.ConfigureAnalyzerRequest();
      for (const [name, level] of Object.entries(levels)) {
        const c = new pb.PolicyConfig();
        c.setEnforcementlevel(level);
        c.setProperties(Struct.fromJavaScript(props[name] ?? {}));
        q.getPolicyconfigMap().set(name, c);
      }
      return q;
    };
    const stackTags = (t: Record<string, string>) => {
      const q = new pb.AnalyzerStackConfigureRequest();
      for (const [k, v] of Object.entries(t)) q.getTagsMap().set(k, v);
      return q;
    };
    const send = (h: Handler, request: unknown, phase: string, u?: string) =>
      new Promise<Outcome>((resolve) => h({ request }, (err, resp) => resolve(outcomeOf(phase, u, err, resp))));

    /** One run (configure, tags, Analyze per resource, AnalyzeStack) against a pack. */
    async function run(
      pack: LoadedPack,
      levels: Record<string, number>,
      props: Record<string, Record<string, StructPb.JavaScriptValue>>,
      tags: Record<string, string>,
    ) {
      const out: Outcome[] = [];
      await send(pack.handlers.configure, configure(levels, props), "configure");
      await send(pack.handlers.configureStack, stackTags(tags), "configureStack");
      for (const q of analyzeRequests()) out.push(await send(pack.handlers.analyze, q, "analyze", q.getUrn()));
      out.push(await send(pack.handlers.analyzeStack, stackRequest(), "analyzeStack"));
      return out;
    }

    // The protobuf levels: 0 advisory, 1 mandatory, 2 disabled, 3 remediate.
    const RUNS: {
      label: string;
      levels: Record<string, number>;
      props?: Record<string, Record<string, StructPb.JavaScriptValue>>;
      tags: Record<string, string>;
    }[] = [
      { label: "pack levels", levels: { "disabled-resource": 2 }, tags: {} },
      {
        label: "config levels, properties and tags",
        levels: { "disabled-resource": 2, "typed-bucket": 0, "stack-sees-all": 3, "object-form": 1 },
        props: { "typed-bucket": { threshold: 5 }, "stack-sees-all": { note: "n", list: [1, "a"] } },
        tags: { env: "prd", "pulumi:project": "estate" },
      },
      { label: "everything disabled", levels: Object.fromEntries(probes().map((p) => [p.name, 2])), tags: { only: "tags" } },
    ];

    it("gives the SDK's responses for every rule, level, config and tag set", async () => {
      const sdk = await probePack("sdk", false, probes());
      const own = await probePack("own", true, probes());
      let diagnostics = 0;
      let notApplicable = 0;
      for (const r of RUNS) {
        const expected = await run(sdk, r.levels, r.props ?? {}, r.tags);
        const actual = await run(own, r.levels, r.props ?? {}, r.tags);
        assert.deepEqual(actual, expected, r.label);
        for (const o of expected) {
          assert.equal(o.error, undefined, `${r.label}: ${o.error?.message}`);
          const resp = o.response as { diagnosticsList: unknown[]; notApplicableList: unknown[] };
          diagnostics += resp.diagnosticsList.length;
          notApplicable += resp.notApplicableList.length;
        }
      }
      // The probes did speak: every rule produced output to compare.
      assert.ok(diagnostics >= 20, `${diagnostics} diagnostics`);
      assert.ok(notApplicable >= 10, `${notApplicable} not-applicable entries`);
      // Spot checks on what the SDK itself produced (so "identical" is not identical emptiness).
      const first = await run(own, RUNS[1].levels, RUNS[1].props ?? {}, RUNS[1].tags);
      const stack = first[first.length - 1].response as { diagnosticsList: { policyname: string; message: string; enforcementlevel: number }[] };
      const seesAll = stack.diagnosticsList.filter((d) => d.policyname === "stack-sees-all");
      assert.equal(seesAll.length, 4);
      assert.ok(
        seesAll.every((d) => d.enforcementlevel === 1),
        "remediate on a stack policy reads as mandatory",
      );
      assert.match(seesAll[2].message, /"parent":"logs","dependencies":\["log-bucket"\],"propertyDependencies":\{"s3BucketName":\["log-bucket"\]\}/);
      assert.match(seesAll[2].message, /"provider":\{"type":"pulumi:providers:aws","name":"eu".*"region":"eu-central-1"\}/);
      assert.match(seesAll[3].message, /\{"list":\[1,"a"\],"note":"n"\} \[\["env","prd"\],\["pulumi:project","estate"\]\] 3$/);
    });

    it("fails the request with the SDK's error when a stack policy throws", async () => {
      const sdk = await probePack("throw-sdk", false, [throwing]);
      const own = await probePack("throw-own", true, [throwing]);
      const expected = await run(sdk, {}, {}, {});
      const actual = await run(own, {}, {}, {});
      assert.deepEqual(actual, expected);
      const last = expected[expected.length - 1];
      assert.match(last.error?.message ?? "", /^Error validating resource with policy 'stack-throws' from policy pack 'probe@v[0-9.]+':\nError: boom$/);
    });

    it("fails loudly, where the SDK would let it pass, when a stack policy writes to a shared resource", async () => {
      const own = await probePack("write-own", true, [writing]);
      const out = await run(own, {}, {}, {});
      assert.match(out[out.length - 1].error?.message ?? "", /Error validating resource with policy 'stack-writes'.*read only property 'name'/s);
      // The SDK hands each policy its own copy, so there the write passes unnoticed.
      const sdk = await probePack("write-sdk", false, [writing]);
      const passed = await run(sdk, {}, {}, {});
      assert.equal(passed[passed.length - 1].error, undefined);
    });

    it("deserialises only what the real pack reads: never an application resource's properties", async () => {
      const on = await packInstance(true);
      const fixture = compliantStack("v7");
      const audited = fixture.resources.length;
      for (let i = 0; i < 20; i++) {
        fixture.add("aws:lambda/function:Function", `app-fn-${i}`, { runtime: "nodejs20.x", handler: "index.handler", tags: { app: "orders" } });
        fixture.add("aws:iam/role:Role", `app-role-${i}`, { assumeRolePolicy: "{}" });
      }
      const structs = new Set<unknown>();
      const read: Record<string, unknown>[] = [];
      let calls = 0;
      const d = on.deserialize as { deserializeProperties: (s: unknown, p: boolean) => unknown };
      const original = d.deserializeProperties;
      d.deserializeProperties = (struct, proxySecrets) => {
        calls++;
        structs.add(struct);
        const out = original(struct, proxySecrets);
        read.push(out as Record<string, unknown>);
        return out;
      };
      let violations;
      try {
        violations = await evaluatePolicies(fixture.resources, { packDir: on.pack.dir });
      } finally {
        d.deserializeProperties = original;
      }
      assert.deepEqual(violations, await evaluatePolicies(compliantStack("v7").resources, { packDir: on.pack.dir }));
      // The 40 application resources: never (the SDK deserialises every resource for every policy
      // that runs on it); an audited resource's inputs (Analyze) and outputs (AnalyzeStack) at most
      // once each, and only the types some policy reads.
      assert.equal(read.filter((p) => "runtime" in p || "assumeRolePolicy" in p).length, 0);
      assert.equal(calls, structs.size, "each Struct deserialised once");
      assert.ok(structs.size > audited && structs.size <= 2 * audited, `${structs.size} Structs for ${audited} audited resources`);
    });

    it("builds the real pack's resource list once per AnalyzeStack request, whatever the number of stack policies", async () => {
      // The pack has 13 stack policies; with the SDK's handler the stack model is keyed on the
      // same props objects, with the pack's handler on the same resource objects too.
      const on = await packInstance(true);
      const seen = new Set<unknown>();
      const stackPolicies = on.policies.filter((p) => p.validateStack);
      assert.equal(stackPolicies.length, 13);
      const originals = stackPolicies.map((p) => p.validateStack!);
      stackPolicies.forEach((p, i) => {
        p.validateStack = (a, r) => {
          seen.add(a.resources[0]);
          return originals[i](a, r);
        };
      });
      try {
        await evaluatePolicies(compliantStack("v7").resources, { packDir: on.pack.dir });
      } finally {
        stackPolicies.forEach((p, i) => (p.validateStack = originals[i]));
      }
      // Only the policies of the type fast path that apply ran; all saw the same first resource object.
      assert.equal(seen.size, 1);
    });
  });
});
