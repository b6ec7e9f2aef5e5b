/**
 * Shared setup of the organisation verification tests: two synthetic organisations (signed with a
 * committed test key), generated and seeded once per mocha process into one s3rver on 127.0.0.1
 * (through s3rver's own store; every read in the tests then goes over the S3 API), each with
 * tampering planted in exactly two shards over the S3 API:
 *  - `orgWorld()`: 20 accounts x 3 regions x 2 days, issue 11's scale, for the two runs that assert
 *    the whole organisation (the local fan-out and the Step Functions execution);
 *  - `smallOrgWorld()`: 4 accounts x 3 regions x 2 days in another bucket, for the tests of retries,
 *    missing accounts and regions, whose assertions do not depend on the scale (issue 13: every
 *    shard walked is about ten S3 round trips, the bulk of these tests' time).
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import * as zlib from "node:zlib";
import type { OrgReviewRecord } from "../../cloudtrail/org/reducer";
import { s3JsonObjects } from "../../cloudtrail/org/s3-ports";
import { buildOrgVerificationDefinition } from "../../cloudtrail/org/state-machine";
import { withPublicKeyCache } from "../../cloudtrail/org/shard-verifier";
import { S3DigestStore } from "../../cloudtrail/verify/s3-store";
import type { DigestStore } from "../../cloudtrail/verify/store";
import { buildSyntheticOrg, fixtureCloudTrail, ORG_TRAIL, startLocalS3, seedSyntheticOrg, type LocalS3, type SyntheticOrg } from "../../testkit/org-fixture";
import { createPlannerHandler } from "../../handlers/org-verification/planner";
import { createReducerHandler, s3PutRecord } from "../../handlers/org-verification/reducer";
import { createShardHandler } from "../../handlers/org-verification/shard";
import { onceAfterTests } from "../support/cleanup";

export const RESULTS_BUCKET = "org-verify-results";
export const REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2"];
export const FIRST_DAY = "2026-03-01";
export const SECOND_DAY = "2026-03-02";
/**
 * Digests per day per (account, region): three, the fewest with a middle digest to tamper with (a
 * day's first and last digests are read by the neighbouring day's walk too). Every digest is two
 * S3 GETs per walk, the bulk of these tests' time (issue 13); bench/org-verify.ts keeps 24 a day.
 */
export const DIGESTS_PER_DAY = 3;
const MIDDLE = 1;
const SMALL_BUCKET = `${ORG_TRAIL.bucket}-small`;

export interface Tampering {
  /** A log file of this shard altered after delivery: log-hash-mismatch. */
  alteredLog: { shard: string; key: string };
  /** A digest of this shard deleted: digest-missing. */
  deletedDigest: { shard: string; key: string };
}

export interface OrgWorld {
  org: SyntheticOrg;
  s3: LocalS3;
  tampering: Tampering;
  env: Record<string, string>;
  publicKeyCalls: { count: number };
  /** A fresh store per execution (its own public key cache). */
  store(): DigestStore;
}

let server: Promise<LocalS3> | undefined;
let big: Promise<OrgWorld> | undefined;
let small: Promise<OrgWorld> | undefined;
const SHAPE = { regions: REGIONS, firstDay: FIRST_DAY, days: 2, digestsPerDay: DIGESTS_PER_DAY, logsPerDigest: 1 };

/** One s3rver per mocha process (in parallel mode: per worker), for whichever organisations a file uses. */
function localS3(): Promise<LocalS3> {
  if (!server) {
    server = startLocalS3([ORG_TRAIL.bucket, SMALL_BUCKET, RESULTS_BUCKET]);
    // Stopped after the tests of this process (in parallel mode: of this file), see tests/support/cleanup.ts.
    onceAfterTests("organisation s3rver", closeOrgWorlds);
  }
  return server;
}

/**
 * Tampering after delivery, in two shards of different accounts, regions and days; middle digests,
 * so the neighbouring day's walk (which checks the link across midnight) is unaffected.
 */
async function plant(s3: LocalS3, org: SyntheticOrg, alteredAccount: number, deletedAccount: number): Promise<Tampering> {
  const shardA = `${org.accounts[alteredAccount]}/eu-west-1/${FIRST_DAY}`;
  const logA = org.logsByDigest.get(org.digestsByShard.get(shardA)![MIDDLE])![0];
  await s3.client.send(
    new PutObjectCommand({ Bucket: org.trail.bucket, Key: logA, Body: zlib.gzipSync(Buffer.from('{"Records":[{"eventName":"DeleteTrail"}]}')) }),
  );
  const shardB = `${org.accounts[deletedAccount]}/us-east-1/${SECOND_DAY}`;
  const digestB = org.digestsByShard.get(shardB)![MIDDLE];
  await s3.client.send(new DeleteObjectCommand({ Bucket: org.trail.bucket, Key: digestB }));
  return { alteredLog: { shard: shardA, key: logA }, deletedDigest: { shard: shardB, key: digestB } };
}

async function world(org: SyntheticOrg, tampered: [number, number]): Promise<OrgWorld> {
  const s3 = await localS3();
  await seedSyntheticOrg(s3, org);
  const tampering = await plant(s3, org, ...tampered);
  const publicKeyCalls = { count: 0 };
  return {
    org,
    s3,
    tampering,
    publicKeyCalls,
    env: {
      TRAIL_ARN: `arn:aws:cloudtrail:${org.trail.homeRegion}:111111111111:trail/${org.trail.trailName}`,
      ORGANIZATION_ID: org.trail.organizationId,
      LOG_BUCKET: org.trail.bucket,
      TRAIL_S3_KEY_PREFIX: org.trail.prefix!,
      RESULTS_BUCKET,
      RESULTS_PREFIX: "runs/",
      RESULTS_KMS_KEY_ARN: "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555",
      KMS_KEY_ARN: "arn:aws:kms:eu-west-1:111111111111:key/99999999-2222-3333-4444-555555555555",
      ALERT_TOPIC_ARN: "arn:aws:sns:eu-west-1:111111111111:audit-alerts",
      EXPECTED_ACCOUNTS: "listed",
    },
    store: () => withPublicKeyCache(new S3DigestStore({ s3: s3.client, cloudTrailFor: () => fixtureCloudTrail(org, publicKeyCalls) })),
  };
}

/** 20 accounts x 3 regions x 2 days (120 shards), built and seeded on first use in this process. */
export function orgWorld(): Promise<OrgWorld> {
  big ??= world(buildSyntheticOrg({ ...SHAPE, accounts: 20 }), [3, 11]);
  return big;
}

/** 4 accounts x 3 regions x 2 days (24 shards) in another bucket of the same server. */
export function smallOrgWorld(): Promise<OrgWorld> {
  small ??= world(buildSyntheticOrg({ ...SHAPE, accounts: 4 }, { ...ORG_TRAIL, bucket: SMALL_BUCKET }), [1, 2]);
  return small;
}

export async function closeOrgWorlds(): Promise<void> {
  if (!server) return;
  const s3 = await server;
  server = big = small = undefined;
  await s3.close();
}

/** The state machine the Step Functions tests execute, as the component would deploy it. */
export const LOCAL_DEFINITION = buildOrgVerificationDefinition({
  plannerFunctionArn: "arn:aws:lambda:eu-west-1:111111111111:function:org-verify-planner",
  shardFunctionArn: "arn:aws:lambda:eu-west-1:111111111111:function:org-verify-shard",
  reducerFunctionArn: "arn:aws:lambda:eu-west-1:111111111111:function:org-verify-reducer",
  maxConcurrency: 16,
  shardTimeoutSeconds: 120,
  childExecutionType: "STANDARD",
  executionTimeoutSeconds: 3600,
});

/** What the reducer Task returns as the execution's output. */
export interface ReducerOutput {
  recordKey: string;
  outcome: string;
  shards: OrgReviewRecord["shards"];
}

export function shardOf(f: { accountId?: string; region?: string; day?: string }): string {
  return `${f.accountId}/${f.region}/${f.day}`;
}

export interface Handlers {
  planner: (event: unknown) => Promise<unknown>;
  shard: (event: unknown) => Promise<unknown>;
  reducer: (event: unknown) => Promise<unknown>;
  published: Array<{ topicArn: string; subject: string; message: string }>;
}

/** The project's three handlers, wired to s3rver; `shardWrapper` lets a test make one shard fail. */
export function handlersFor(w: OrgWorld, shardWrapper?: (inner: (event: unknown) => Promise<unknown>) => (event: unknown) => Promise<unknown>): Handlers {
  const published: Handlers["published"] = [];
  const objects = s3JsonObjects(w.s3.client);
  const shard = createShardHandler({ env: w.env, store: w.store(), objects, fileConcurrency: 4 });
  return {
    planner: createPlannerHandler({ env: w.env, s3: w.s3.client, now: () => new Date("2026-03-03T01:30:00Z") }),
    shard: shardWrapper ? shardWrapper(shard) : shard,
    reducer: createReducerHandler({
      env: w.env,
      objects,
      putRecord: s3PutRecord(w.s3.client),
      publish: async (topicArn, subject, message) => {
        published.push({ topicArn, subject, message });
      },
      now: () => new Date("2026-03-03T01:45:00Z"),
    }),
    published,
  };
}

export async function readJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await response.Body!.transformToString());
}

export async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}
