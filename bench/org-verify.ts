/**
 * Organisation verification throughput (issue 11 "Figures"): the same synthetic organisation
 * verified, in one run, by
 *   1. the single-process verifier as the CLI runs it today: verifyTrailLogs once per member
 *      account over all its regions and the whole period, one account after another (baseline);
 *   2. the local fan-out (verifyOrganization, bounded concurrency) that `evidence verify` gains;
 *   3. the state machine on aws-local-stepfunctions with the project's three handlers, the
 *      Distributed Map emulated as in the tests (testkit/local-sfn.ts);
 * all against s3rver on 127.0.0.1. Prints shards/s, log files/s and MB/s of log content, and each
 * rate against the baseline.
 *
 *   npx ts-node --transpile-only bench/org-verify.ts [--accounts 20] [--regions 3] [--days 2]
 *       [--digests-per-day 24] [--logs-per-digest 2] [--events-per-log 200] [--concurrency 16]
 *
 * The machine is shared and s3rver is a single-threaded Node process: the figures are for the
 * ratio and the per-shard cost, not for what S3 and Lambda deliver (README "Organisation-scale
 * verification" turns them into a model of a real run).
 */
import { verifyOrganization } from "../cloudtrail/org/fanout";
import { S3OrganizationListing, s3JsonObjects } from "../cloudtrail/org/s3-ports";
import { memberTrail } from "../cloudtrail/org/shards";
import { buildOrgVerificationDefinition } from "../cloudtrail/org/state-machine";
import { verifyTrailLogs } from "../cloudtrail/verify/verifier";
import { S3DigestStore } from "../cloudtrail/verify/s3-store";
import { withPublicKeyCache } from "../cloudtrail/org/shard-verifier";
import { createPlannerHandler } from "../handlers/org-verification/planner";
import { createReducerHandler, s3PutRecord } from "../handlers/org-verification/reducer";
import { createShardHandler } from "../handlers/org-verification/shard";
import { runLocally } from "../testkit/local-sfn";
import { buildSyntheticOrg, fixtureCloudTrail, seedSyntheticOrg, startLocalS3 } from "../testkit/org-fixture";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name}: "${raw}" is not allowed (a whole number of at least 1)`);
    process.exit(2);
  }
  return value;
}

const ALL_REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1", "us-west-2", "ap-northeast-1", "sa-east-1", "ca-central-1"];

async function main(): Promise<void> {
  const accounts = arg("accounts", 20);
  const regions = ALL_REGIONS.slice(0, Math.min(arg("regions", 3), ALL_REGIONS.length));
  const days = arg("days", 2);
  const concurrency = arg("concurrency", 16);
  const firstDay = "2026-03-01";
  const lastDay = new Date(Date.parse(`${firstDay}T00:00:00Z`) + (days - 1) * 86_400_000).toISOString().slice(0, 10);

  let t = Date.now();
  const org = buildSyntheticOrg({
    accounts,
    regions,
    firstDay,
    days,
    digestsPerDay: arg("digests-per-day", 24),
    logsPerDigest: arg("logs-per-digest", 2),
    eventsPerLog: arg("events-per-log", 200),
  });
  const s3 = await startLocalS3([org.trail.bucket, "org-verify-results"]);
  await seedSyntheticOrg(s3, org);
  const shards = accounts * regions.length * days;
  console.log(
    `synthetic organisation: ${accounts} accounts x ${regions.length} regions x ${days} days = ${shards} shards, ${org.objects.size} objects (built and seeded in ${((Date.now() - t) / 1000).toFixed(1)} s)`,
  );

  const store = () => withPublicKeyCache(new S3DigestStore({ s3: s3.client, cloudTrailFor: () => fixtureCloudTrail(org) }));
  const dayList = Array.from({ length: days }, (_, d) => new Date(Date.parse(`${firstDay}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10));
  const periodEnd = new Date(Date.parse(`${lastDay}T00:00:00Z`) + 86_400_000);

  // 1. baseline: one walk per account, sequential (what one process does without the fan-out).
  t = Date.now();
  let baselineLogs = 0;
  let baselineBytes = 0;
  const baselineStore = store();
  for (const accountId of org.accounts) {
    const result = await verifyTrailLogs({
      store: baselineStore,
      trail: memberTrail(org.trail, accountId),
      start: new Date(`${firstDay}T00:00:00Z`),
      end: periodEnd,
      regions,
      now: () => periodEnd,
    });
    if (!result.valid) throw new Error(`baseline found findings in ${accountId}: ${result.findings[0]?.message}`);
    baselineLogs += result.logFilesChecked;
    baselineBytes += result.uncompressedLogBytes;
  }
  const baselineSeconds = (Date.now() - t) / 1000;

  // 2. local fan-out.
  t = Date.now();
  const fan = await verifyOrganization({
    store: store(),
    listing: new S3OrganizationListing(s3.client),
    trail: org.trail,
    days: dayList,
    concurrency,
    now: () => periodEnd,
  });
  const fanSeconds = (Date.now() - t) / 1000;
  if (fan.record.outcome !== "clean") throw new Error(`fan-out found findings: ${fan.record.findings[0]?.message}`);

  // 3. the state machine, locally.
  const env = {
    TRAIL_ARN: `arn:aws:cloudtrail:${org.trail.homeRegion}:111111111111:trail/${org.trail.trailName}`,
    ORGANIZATION_ID: org.trail.organizationId,
    LOG_BUCKET: org.trail.bucket,
    TRAIL_S3_KEY_PREFIX: org.trail.prefix ?? "",
    RESULTS_BUCKET: "org-verify-results",
    RESULTS_PREFIX: "runs/",
    RESULTS_KMS_KEY_ARN: "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555",
    KMS_KEY_ARN: "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555",
    ALERT_TOPIC_ARN: "arn:aws:sns:eu-west-1:111111111111:audit-alerts",
    EXPECTED_ACCOUNTS: "listed",
  };
  const objects = s3JsonObjects(s3.client);
  const definition = buildOrgVerificationDefinition({
    plannerFunctionArn: "arn:aws:lambda:eu-west-1:111111111111:function:planner",
    shardFunctionArn: "arn:aws:lambda:eu-west-1:111111111111:function:shard",
    reducerFunctionArn: "arn:aws:lambda:eu-west-1:111111111111:function:reducer",
    maxConcurrency: concurrency,
    shardTimeoutSeconds: 900,
    childExecutionType: "STANDARD",
    executionTimeoutSeconds: 6 * 3600,
  });
  t = Date.now();
  const sfn = (await runLocally({
    definition,
    s3: s3.client,
    planner: createPlannerHandler({ env, s3: s3.client, now: () => periodEnd }),
    shard: createShardHandler({ env, store: store(), objects, fileConcurrency: 4 }),
    reducer: createReducerHandler({ env, objects, putRecord: s3PutRecord(s3.client), publish: async () => undefined, now: () => periodEnd }),
    input: { first: firstDay, last: lastDay },
    executionName: "bench",
  })) as { outcome: string; shards: { verified: number } };
  const sfnSeconds = (Date.now() - t) / 1000;
  if (sfn.outcome !== "clean" || sfn.shards.verified !== shards) throw new Error(`state machine: ${JSON.stringify(sfn)}`);
  await s3.close();

  const mb = baselineBytes / 1e6;
  const row = (label: string, seconds: number, logs: number) =>
    console.log(
      `${label.padEnd(44)} ${seconds.toFixed(2).padStart(7)} s  ${(shards / seconds).toFixed(1).padStart(7)} shards/s  ${(logs / seconds).toFixed(0).padStart(6)} log files/s  ${(mb / seconds).toFixed(1).padStart(6)} MB/s  x${(baselineSeconds / seconds).toFixed(2)}`,
    );
  console.log(`log content: ${mb.toFixed(1)} MB uncompressed in ${baselineLogs} log files`);
  row("single process, one account after another", baselineSeconds, baselineLogs);
  row(`local fan-out (concurrency ${concurrency})`, fanSeconds, fan.record.totals.logFilesChecked);
  row(`local state machine (MaxConcurrency ${concurrency})`, sfnSeconds, baselineLogs);
  console.log(
    `per shard (state machine): ${(((sfnSeconds * concurrency) / shards) * 1000).toFixed(0)} ms of one worker, ${((baselineSeconds / shards) * 1000).toFixed(0)} ms sequential`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(3);
});
