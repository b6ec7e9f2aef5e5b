// One model of the buckets, trails and keys of a stack, whatever style the program was written in:
// v7 `aws.s3.Bucket` with split configuration resources, `BucketV2` with the `*V2` resources, or
// legacy inline bucket arguments. Links (which bucket a configuration belongs to, which bucket a
// trail writes to) follow `propertyDependencies` first, so they hold while ids are unknown in a
// first preview, then known names. Built once per AnalyzeStack request and shared by the stack
// policies (`stackModelOf`; a test asserts one build per request).
import { PolicyResource } from "@pulumi/policy";
import { enterRun, inputsGeneration, inputsOf } from "./inputs";
import * as T from "./types";
import { asArray, isUnknown, plain, Props, PropValue, Unknown, UNKNOWN } from "./values";

export type Maybe<T> = T | Unknown | undefined;

export interface Node {
  resource: PolicyResource;
  props: Props;
}

export interface LockRetention {
  mode: Maybe<string>;
  days: Maybe<number>;
  years: Maybe<number>;
  source: string;
}
export interface Encryption {
  sseAlgorithm: Maybe<string>;
  kmsMasterKeyId: Maybe<string>;
  bucketKeyEnabled: Maybe<boolean>;
  source: string;
}
export interface LifecycleRule {
  id: Maybe<string>;
  enabled: Maybe<boolean>;
  expirationDays: Maybe<number>;
  expirationDate: Maybe<string>;
  noncurrentExpirationDays: Maybe<number>;
  source: string;
}
export const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;
export type PublicAccessFlag = (typeof PUBLIC_ACCESS_FLAGS)[number];
export interface PublicAccessBlock {
  flags: Record<PublicAccessFlag, Maybe<boolean>>;
  source: string;
}

export interface LockConfiguration {
  /** `objectLockEnabled` of the configuration resource: "Enabled" by default (v7 docs). */
  enabled: Maybe<string>;
  source: string;
}

export interface BucketModel extends Node {
  /** The physical bucket name, when known. */
  bucketName: Maybe<string>;
  /** For messages: the bucket name, else the logical name. */
  label: string;
  /** `objectLockEnabled` of the bucket (at creation); false when the program left it unset. */
  objectLockEnabled: Maybe<boolean>;
  /** Split lock configurations: on a versioned bucket they enable Object Lock (S3, since 2023). */
  lockConfigurations: LockConfiguration[];
  lockRetentions: LockRetention[];
  encryptions: Encryption[];
  versioningStatuses: { status: Maybe<string>; source: string }[];
  lifecycleRules: LifecycleRule[];
  publicAccessBlocks: PublicAccessBlock[];
  policies: { json: Maybe<string>; source: string }[];
  /** Trails that write here (by link), or a policy that lets CloudTrail write here. */
  trails: Node[];
  cloudTrailWritesByPolicy: boolean;
  /** Buckets whose server access logs are delivered here. */
  accessLogSources: BucketModel[];
  /** Where this bucket's server access logs go (a bucket of the stack, a name, or unknown). */
  accessLogTargets: { target: BucketModel | string | Unknown; source: string }[];
  /** True when the inputs Analyze saw for this bucket were available to the model. */
  inputsSeen: boolean;
  /**
   * Inline arguments whose whole value is unknown: a v7 Bucket's provider-computed mirrors of its
   * configuration on a first preview, or a program passing an unknown block. They decide nothing
   * when a split resource gives the answer, and make a missing answer undetermined otherwise.
   */
  inlineUnknown: { objectLock: boolean; encryption: boolean; lifecycle: boolean; logging: boolean };
  /** Split lifecycle configurations linked to this bucket. */
  splitLifecycles: number;
}

export interface StackModel {
  buckets: BucketModel[];
  trails: Node[];
  keys: Node[];
  logGroups: Node[];
  eventRules: Node[];
  rdsClusters: Node[];
  rdsInstances: Node[];
  dynamoTables: Node[];
  /** Trails whose known `s3BucketName` names no bucket of this stack. */
  externalTrailBuckets: { trail: Node; bucketName: string }[];
  /** An account-level public access block with all four flags covers every bucket. */
  accountPublicAccessBlocks: PublicAccessBlock[];
  /** Links that could not be followed: a value is unknown and no dependency names the resource. */
  unresolvedLinks: { type: string; item: string }[];
  bucketsOf(node: Node, prop: string): BucketModel[];
  logGroupsOf(trail: Node): Node[];
  trailLogBuckets(): BucketModel[];
}

/** The types the model reads; the others are not copied (a copy of proxied props is the cost). */
const MODEL_TYPES: ReadonlySet<string> = new Set<string>([
  ...T.BUCKET_TYPES,
  ...T.OBJECT_LOCK,
  ...T.ENCRYPTION,
  ...T.VERSIONING,
  ...T.LIFECYCLE,
  ...T.LOGGING,
  T.TRAIL,
  T.KMS_KEY,
  T.LOG_GROUP,
  T.EVENT_RULE,
  T.BUCKET_POLICY,
  T.PUBLIC_ACCESS_BLOCK,
  T.ACCOUNT_PUBLIC_ACCESS_BLOCK,
  T.RDS_CLUSTER,
  T.RDS_INSTANCE,
  T.DYNAMODB_TABLE,
]);

let memo: { generation: number; resources: PolicyResource[]; urns: string; model: StackModel } | undefined;
// A process-wide counter (the harness loads the pack as a module instance of its own).
const BUILDS = Symbol.for("audit-trail-must.stackModelBuilds");
/** How many models were built in this process (the tests assert one per request). */
export const stackModelBuilds = (): number => (globalThis as { [BUILDS]?: number })[BUILDS] ?? 0;

function sameResources(a: PolicyResource[], b: PolicyResource[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The model of this AnalyzeStack request, built by the first stack policy that asks and reused by
 * the others. The pack's AnalyzeStack handler (analyzer-handlers.ts) hands every stack policy the
 * same resource objects: that identity is the key, with the inputs generation (any Analyze call
 * starts a new run). Under the SDK's own handler (another SDK version: other objects per policy)
 * the key is the request's URN sequence. The memo is also dropped on the next macrotask, so
 * requests never share it. Props are not read here: the handler deserialises them on first read.
 */
export function stackModelOf(resources: PolicyResource[], stackTags?: unknown): StackModel {
  if (stackTags !== undefined) enterRun(stackTags);
  const generation = inputsGeneration();
  if (memo && memo.generation === generation && sameResources(resources, memo.resources)) return memo.model;
  let urns = "";
  for (const r of resources) urns += "\n" + r.urn;
  if (memo && memo.generation === generation && memo.urns === urns) return memo.model;
  const model = buildStackModel(resources);
  (globalThis as { [BUILDS]?: number })[BUILDS] = stackModelBuilds() + 1;
  memo = { generation, resources: [...resources], urns, model };
  const timer = setImmediate(() => {
    if (memo?.model === model) memo = undefined;
  });
  timer.unref?.();
  return model;
}

const has = (list: readonly string[], t: string) => list.includes(t);
const num = (v: unknown): Maybe<number> =>
  isUnknown(v) ? UNKNOWN : typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined;
const str = (v: unknown): Maybe<string> => (isUnknown(v) ? UNKNOWN : typeof v === "string" ? v : undefined);
const bool = (v: unknown): Maybe<boolean> => (isUnknown(v) ? UNKNOWN : typeof v === "boolean" ? v : v === "true" ? true : v === "false" ? false : undefined);

function nodeOf(resource: PolicyResource): Node {
  return { resource, props: plain(resource.props) };
}

export function buildStackModel(resources: PolicyResource[]): StackModel {
  const nodes: Node[] = [];
  for (const r of resources) if (MODEL_TYPES.has(r.type)) nodes.push(nodeOf(r));
  const byUrn = new Map(nodes.map((n) => [n.resource.urn, n]));
  const byType = new Map<string, Node[]>();
  for (const n of nodes) {
    const list = byType.get(n.resource.type);
    if (list) list.push(n);
    else byType.set(n.resource.type, [n]);
  }
  // In registration order, as a filter over `nodes` would give them.
  const ofType = (types: readonly string[] | string) =>
    typeof types === "string" ? [...(byType.get(types) ?? [])] : nodes.filter((n) => has(types, n.resource.type));
  const unresolvedLinks: { type: string; item: string }[] = [];

  const buckets: BucketModel[] = ofType(T.BUCKET_TYPES).map((n) => {
    const bucketName = str(n.props.bucket);
    // Unknown in the outputs but not set by the program (per Analyze's inputs): not set. A bucket
    // is created with the provider's default, and a mirror is filled from split resources only.
    const seen = inputsOf(n.resource.urn, n.props);
    // A copy without those keys (built without `delete`, which leaves an object slow to read).
    const props: Props = {};
    let lockUnset = false;
    for (const k of Object.keys(n.props)) {
      const v = n.props[k];
      if (seen !== undefined && isUnknown(v) && !(k in seen.props)) {
        if (k === "objectLockEnabled") lockUnset = true;
      } else props[k] = v;
    }
    const computedUnknown = (k: string) => isUnknown(props[k]);
    // Every field written out, no spread of `n`: a spread followed by twenty more fields made
    // each model a dictionary-mode object, slow to build and to read in every policy.
    return {
      resource: n.resource,
      props,
      bucketName,
      label: typeof bucketName === "string" ? bucketName : n.resource.name,
      objectLockEnabled: lockUnset ? false : bool(props.objectLockEnabled),
      lockConfigurations: [],
      lockRetentions: [],
      encryptions: [],
      versioningStatuses: [],
      lifecycleRules: [],
      publicAccessBlocks: [],
      policies: [],
      trails: [],
      cloudTrailWritesByPolicy: false,
      accessLogSources: [],
      accessLogTargets: [],
      inputsSeen: seen !== undefined,
      inlineUnknown: {
        objectLock: computedUnknown("objectLockConfiguration"),
        encryption: computedUnknown("serverSideEncryptionConfiguration") || computedUnknown("serverSideEncryptionConfigurations"),
        lifecycle: computedUnknown("lifecycleRules"),
        logging: computedUnknown("logging") || computedUnknown("loggings"),
      },
      splitLifecycles: 0,
    };
  });
  const bucketByUrn = new Map(buckets.map((b) => [b.resource.urn, b]));
  const bucketsByName = new Map<string, BucketModel[]>();
  for (const b of buckets) {
    for (const name of new Set([b.bucketName, b.props.id])) {
      if (typeof name === "string") bucketsByName.set(name, [...(bucketsByName.get(name) ?? []), b]);
    }
  }

  function bucketsOf(node: Node, prop: string): BucketModel[] {
    const deps = (node.resource.propertyDependencies?.[prop] ?? []).map((d) => bucketByUrn.get(d.urn)).filter((b): b is BucketModel => !!b);
    if (deps.length > 0) return deps;
    const value = node.props[prop];
    if (typeof value === "string") {
      // `bucket` of a configuration resource is the name (v7 docs); an ARN is tolerated.
      const name = value.startsWith("arn:") ? (value.split(":::")[1] ?? value) : value;
      return bucketsByName.get(name) ?? [];
    }
    if (isUnknown(value)) {
      unresolvedLinks.push({
        type: node.resource.type,
        item: `${node.resource.type.split(":").pop()} "${node.resource.name}": ${prop} is unknown and names no resource`,
      });
    }
    return [];
  }

  // Inline arguments (legacy Bucket and BucketV2).
  for (const b of buckets) {
    const p = b.props;
    const src = `inline on ${b.resource.name}`;
    const lock = p.objectLockConfiguration;
    if (lock && !isUnknown(lock)) {
      if (lock.objectLockEnabled === "Enabled") b.objectLockEnabled = true;
      else if (isUnknown(lock.objectLockEnabled) && b.objectLockEnabled !== true) b.objectLockEnabled = UNKNOWN;
      const rules = lock.rule ? [lock.rule] : asArray(lock.rules);
      for (const rule of rules) {
        if (isUnknown(rule)) continue;
        const retentions = rule.defaultRetention ? [rule.defaultRetention] : asArray(rule.defaultRetentions);
        for (const r of retentions) b.lockRetentions.push({ mode: str(r.mode), days: num(r.days), years: num(r.years), source: src });
      }
    }
    const sse = p.serverSideEncryptionConfiguration;
    const sseRules = sse && !isUnknown(sse) ? [sse.rule] : asArray(p.serverSideEncryptionConfigurations).flatMap((c) => asArray(c?.rules));
    for (const rule of sseRules) {
      if (!rule || isUnknown(rule)) continue;
      const defaults = rule.applyServerSideEncryptionByDefault ? [rule.applyServerSideEncryptionByDefault] : asArray(rule.applyServerSideEncryptionByDefaults);
      for (const d of defaults) {
        b.encryptions.push({
          sseAlgorithm: str(d.sseAlgorithm),
          kmsMasterKeyId: str(d.kmsMasterKeyId),
          bucketKeyEnabled: bool(rule.bucketKeyEnabled),
          source: src,
        });
      }
    }
    const versionings = p.versioning && !isUnknown(p.versioning) ? [p.versioning] : asArray(p.versionings);
    for (const v of versionings) {
      if (v && !isUnknown(v) && v.enabled !== undefined)
        b.versioningStatuses.push({ status: isUnknown(v.enabled) ? UNKNOWN : v.enabled ? "Enabled" : "Suspended", source: src });
    }
    for (const rule of asArray(p.lifecycleRules)) {
      if (!rule || isUnknown(rule)) continue;
      const exp = rule.expiration ?? asArray(rule.expirations)[0];
      const nexp = rule.noncurrentVersionExpiration ?? asArray(rule.noncurrentVersionExpirations)[0];
      b.lifecycleRules.push({
        id: str(rule.id),
        enabled: bool(rule.enabled),
        expirationDays: exp ? num(exp.days) : undefined,
        expirationDate: exp ? str(exp.date) : undefined,
        noncurrentExpirationDays: nexp ? num(nexp.days) : undefined,
        source: src,
      });
    }
    if (p.policy !== undefined)
      b.policies.push({ json: typeof p.policy === "object" && !isUnknown(p.policy) ? JSON.stringify(p.policy) : str(p.policy), source: src });
  }

  // Split configuration resources.
  for (const n of ofType(T.OBJECT_LOCK)) {
    for (const b of bucketsOf(n, "bucket")) {
      const rule = n.props.rule;
      if (isUnknown(rule)) b.lockRetentions.push({ mode: UNKNOWN, days: UNKNOWN, years: UNKNOWN, source: n.resource.name });
      else if (rule?.defaultRetention) {
        const r = rule.defaultRetention;
        b.lockRetentions.push({ mode: str(r.mode), days: num(r.days), years: num(r.years), source: n.resource.name });
      }
      // PutObjectLockConfiguration with ObjectLockEnabled "Enabled" (the default) turns Object Lock
      // on for an existing versioned bucket (S3 user guide, "Enable Object Lock on an existing bucket").
      b.lockConfigurations.push({ enabled: n.props.objectLockEnabled === undefined ? "Enabled" : str(n.props.objectLockEnabled), source: n.resource.name });
    }
  }
  for (const n of ofType(T.ENCRYPTION)) {
    const unknownRule: Encryption = { sseAlgorithm: UNKNOWN, kmsMasterKeyId: UNKNOWN, bucketKeyEnabled: UNKNOWN, source: n.resource.name };
    for (const b of bucketsOf(n, "bucket")) {
      const rules = n.props.rules;
      for (const rule of isUnknown(rules) ? [UNKNOWN] : asArray(rules)) {
        const d = isUnknown(rule) ? UNKNOWN : rule?.applyServerSideEncryptionByDefault;
        if (isUnknown(d)) {
          b.encryptions.push(unknownRule);
          continue;
        }
        b.encryptions.push({
          sseAlgorithm: str(d?.sseAlgorithm),
          kmsMasterKeyId: str(d?.kmsMasterKeyId),
          bucketKeyEnabled: bool(rule?.bucketKeyEnabled),
          source: n.resource.name,
        });
      }
    }
  }
  for (const n of ofType(T.VERSIONING)) {
    for (const b of bucketsOf(n, "bucket")) {
      const c = n.props.versioningConfiguration;
      b.versioningStatuses.push({ status: isUnknown(c) ? UNKNOWN : str(c?.status), source: n.resource.name });
    }
  }
  for (const n of ofType(T.LIFECYCLE)) {
    for (const b of bucketsOf(n, "bucket")) {
      b.splitLifecycles++;
      for (const rule of isUnknown(n.props.rules) ? [UNKNOWN] : asArray(n.props.rules)) {
        if (isUnknown(rule)) {
          b.lifecycleRules.push({
            id: UNKNOWN,
            enabled: UNKNOWN,
            expirationDays: UNKNOWN,
            expirationDate: UNKNOWN,
            noncurrentExpirationDays: UNKNOWN,
            source: n.resource.name,
          });
          continue;
        }
        const status = str(rule.status);
        b.lifecycleRules.push({
          id: str(rule.id),
          enabled: isUnknown(status) ? UNKNOWN : status === "Enabled",
          expirationDays: rule.expiration ? num(rule.expiration.days) : undefined,
          expirationDate: rule.expiration ? str(rule.expiration.date) : undefined,
          noncurrentExpirationDays: rule.noncurrentVersionExpiration ? num(rule.noncurrentVersionExpiration.noncurrentDays) : undefined,
          source: n.resource.name,
        });
      }
    }
  }
  // An absent flag is false: S3 treats an unset flag as off.
  const pabOf = (n: Node): PublicAccessBlock => ({
    flags: Object.fromEntries(PUBLIC_ACCESS_FLAGS.map((f) => [f, bool(n.props[f]) ?? false])) as Record<PublicAccessFlag, Maybe<boolean>>,
    source: n.resource.name,
  });
  for (const n of ofType(T.PUBLIC_ACCESS_BLOCK)) {
    for (const b of bucketsOf(n, "bucket")) b.publicAccessBlocks.push(pabOf(n));
  }
  const accountPublicAccessBlocks = ofType(T.ACCOUNT_PUBLIC_ACCESS_BLOCK).map(pabOf);
  for (const n of ofType(T.BUCKET_POLICY)) {
    for (const b of bucketsOf(n, "bucket")) {
      b.policies.push({
        json: typeof n.props.policy === "object" && !isUnknown(n.props.policy) ? JSON.stringify(n.props.policy) : str(n.props.policy),
        source: n.resource.name,
      });
    }
  }
  for (const n of ofType(T.LOGGING)) {
    const sources = bucketsOf(n, "bucket");
    const targets = bucketsOf(n, "targetBucket");
    for (const target of targets) target.accessLogSources.push(...sources);
    const named: (BucketModel | string | Unknown)[] =
      targets.length > 0 ? targets : [isUnknown(n.props.targetBucket) ? UNKNOWN : String(n.props.targetBucket ?? "")];
    for (const s of sources) for (const t of named) s.accessLogTargets.push({ target: t, source: n.resource.name });
  }
  for (const b of buckets) {
    const inlineTargets = b.props.logging && !isUnknown(b.props.logging) ? [b.props.logging] : asArray(b.props.loggings);
    for (const l of inlineTargets) {
      if (!l || isUnknown(l)) continue;
      const target = typeof l.targetBucket === "string" ? buckets.find((t) => t.bucketName === l.targetBucket) : undefined;
      if (target) target.accessLogSources.push(b);
      const t: BucketModel | string | Unknown = target ?? (isUnknown(l.targetBucket) ? UNKNOWN : String(l.targetBucket ?? ""));
      b.accessLogTargets.push({ target: t, source: `inline on ${b.resource.name}` });
    }
  }

  const trails = ofType(T.TRAIL);
  const externalTrailBuckets: { trail: Node; bucketName: string }[] = [];
  for (const t of trails) {
    const found = bucketsOf(t, "s3BucketName");
    for (const b of found) b.trails.push(t);
    if (found.length === 0 && typeof t.props.s3BucketName === "string") externalTrailBuckets.push({ trail: t, bucketName: t.props.s3BucketName });
  }
  for (const b of buckets) b.cloudTrailWritesByPolicy = b.policies.some((p) => typeof p.json === "string" && allowsCloudTrailWrite(p.json));

  const logGroups = ofType(T.LOG_GROUP);
  function findLogGroups(trail: Node): Node[] {
    const deps = (trail.resource.propertyDependencies?.cloudWatchLogsGroupArn ?? [])
      .map((d) => byUrn.get(d.urn))
      .filter((n): n is Node => !!n && n.resource.type === T.LOG_GROUP);
    if (deps.length > 0) return deps;
    const arn = trail.props.cloudWatchLogsGroupArn;
    if (typeof arn === "string") {
      const name = /:log-group:([^:]+)/.exec(arn)?.[1];
      return logGroups.filter((g) => g.props.name === name);
    }
    if (isUnknown(arn)) {
      unresolvedLinks.push({ type: T.TRAIL, item: `Trail "${trail.resource.name}": cloudWatchLogsGroupArn is unknown and names no log group` });
    }
    return [];
  }
  // Eager, so the model is the same whichever policy reads it first (it is shared).
  const trailLogGroups = new Map(trails.map((t) => [t, t.props.cloudWatchLogsGroupArn === undefined ? [] : findLogGroups(t)]));

  return {
    buckets,
    trails,
    keys: ofType(T.KMS_KEY),
    logGroups,
    eventRules: ofType(T.EVENT_RULE),
    rdsClusters: ofType(T.RDS_CLUSTER),
    rdsInstances: ofType(T.RDS_INSTANCE),
    dynamoTables: ofType(T.DYNAMODB_TABLE),
    externalTrailBuckets,
    accountPublicAccessBlocks,
    unresolvedLinks,
    bucketsOf,
    logGroupsOf: (trail: Node) => trailLogGroups.get(trail) ?? [],
    trailLogBuckets: () => buckets.filter((b) => b.trails.length > 0 || b.cloudTrailWritesByPolicy),
  };
}

/** A policy statement that lets the CloudTrail service put objects. */
export function allowsCloudTrailWrite(json: string): boolean {
  let doc: PropValue;
  try {
    doc = JSON.parse(json);
  } catch {
    return false;
  }
  return asArray(doc?.Statement).some((s) => {
    if (s?.Effect !== "Allow") return false;
    const services = asArray(s.Principal?.Service);
    const actions = asArray(s.Action);
    return services.includes("cloudtrail.amazonaws.com") && actions.some((a: string) => a === "s3:PutObject" || a === "s3:*" || a === "*");
  });
}
