// The trail's resource policies (policy/lib/trail-guard.ts) for M3 and M5's log group, through the
// policy SDK's analyzer: a trail whose log bucket's public access block (seen before it) leaves a
// flag off, or whose log group (seen before it) keeps too few days, is refused in Analyze, where
// `pulumi up` stops before creating it; an account-level block seen before the trail covers the
// flag; what comes after the trail is the stack policies' to judge. The known-outputs view: in a
// `pulumi up` the configurations' `bucket` inputs (the bucket's id) are known when they are
// registered, as the trail's `s3BucketName` and `cloudWatchLogsGroupArn` are.
import { strict as assert } from "assert";
import { byPolicy, compliantStack, LOG_BUCKET, StackFixture } from "../../offline/fixtures/policy-stacks";

const PAB = "aws-s3-bucket-require-public-access-block";
const LOG_GROUP = "aws-cloudwatch-loggroup-require-retention-365-days";
const ALL_ON = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };
const ACCOUNT_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock";

/** Moves a resource of the fixture to just before another (the order Analyze sees them in). */
function moveBefore(f: StackFixture, name: string, before: string): StackFixture {
  const i = f.resources.findIndex((r) => r.name === name);
  const [r] = f.resources.splice(i, 1);
  f.resources.splice(
    f.resources.findIndex((x) => x.name === before),
    0,
    r,
  );
  return f;
}

const summary = (vs: { phase: string; level: string; resource: string; message: string }[]) =>
  vs.map((v) => `${v.phase} ${v.level} ${v.resource}: ${v.message}`);

describe("trail guard (resource phase) for M3 and the trail's log group", () => {
  it("refuses the trail when its log bucket's block leaves a flag off and no account block was seen", async () => {
    const f = compliantStack("v7", false).set("log-pab", "restrictPublicBuckets", false);
    assert.deepEqual(summary(byPolicy(await f.evaluate(), PAB)), [
      `resource mandatory aws:cloudtrail/trail:Trail::trail: Trail "trail" would write into bucket "${LOG_BUCKET}", whose inputs already break this policy: public access block log-pab leaves restrictPublicBuckets off, and no account-level block seen so far turns them on.`,
      `stack mandatory aws:s3/bucket:Bucket::log-bucket: Bucket "${LOG_BUCKET}" public access block log-pab leaves restrictPublicBuckets off.`,
    ]);
  });

  it("an unset flag is off (S3's default), an account block seen before the trail covers it", async () => {
    const unset = compliantStack("v7", false).set("log-pab", "ignorePublicAcls", undefined);
    const found = byPolicy(await unset.evaluate(), PAB).filter((v) => v.phase === "resource");
    assert.equal(found.length, 1);
    assert.match(found[0].message, /leaves ignorePublicAcls off/);

    const covered = moveBefore(unset.add(ACCOUNT_BLOCK, "account-pab", ALL_ON), "account-pab", "trail");
    assert.deepEqual(summary(byPolicy(await covered.evaluate(), PAB)), []);
  });

  it("an account block registered after the trail does not cover it at the trail (it may not exist yet), the stack policy accepts it", async () => {
    const f = compliantStack("v7", false).set("log-pab", "restrictPublicBuckets", false).add(ACCOUNT_BLOCK, "account-pab", ALL_ON);
    const found = byPolicy(await f.evaluate(), PAB);
    assert.deepEqual(
      found.map((v) => [v.phase, v.level, v.resource]),
      [["resource", "mandatory", "aws:cloudtrail/trail:Trail::trail"]],
    );
  });

  it("an account block that leaves the same flag off does not cover it", async () => {
    const f = moveBefore(
      compliantStack("v7", false)
        .set("log-pab", "restrictPublicBuckets", false)
        .add(ACCOUNT_BLOCK, "account-pab", { ...ALL_ON, restrictPublicBuckets: false }),
      "account-pab",
      "trail",
    );
    assert.deepEqual(
      byPolicy(await f.evaluate(), PAB).map((v) => [v.phase, v.level, v.resource]),
      [
        ["resource", "mandatory", "aws:cloudtrail/trail:Trail::trail"],
        ["stack", "mandatory", "aws:s3/bucket:Bucket::log-bucket"],
      ],
    );
  });

  it("refuses the trail whose log group was seen keeping fewer than 365 days; 365 and never-expire (0) pass", async () => {
    const short = compliantStack("v7", false).set("trail-log-group", "retentionInDays", 30);
    assert.deepEqual(summary(byPolicy(await short.evaluate(), LOG_GROUP)), [
      'resource mandatory aws:cloudtrail/trail:Trail::trail: Trail "trail" would deliver to log group "/aws/cloudtrail/org-trail", whose inputs already break this policy: it keeps events 30 days; at least 365 are required.',
      'stack mandatory aws:cloudwatch/logGroup:LogGroup::trail-log-group: Log group "/aws/cloudtrail/org-trail" of trail "trail" keeps events 30 days; at least 365 are required.',
    ]);
    for (const days of [365, 0]) {
      const ok = compliantStack("v7", false).set("trail-log-group", "retentionInDays", days);
      assert.deepEqual(summary(byPolicy(await ok.evaluate(), LOG_GROUP)), [], `${days} days`);
    }
  });

  it("on a first preview (bucket ids and the log group ARN unknown in Analyze) the guard is silent and the stack policies judge", async () => {
    const f = compliantStack("v7", true).set("log-pab", "restrictPublicBuckets", false).set("trail-log-group", "retentionInDays", 30);
    const vs = [...byPolicy(await f.evaluate(), PAB), ...byPolicy(await f.evaluate(), LOG_GROUP)];
    assert.deepEqual(
      vs.map((v) => [v.policy, v.phase, v.level]),
      [
        [PAB, "stack", "mandatory"],
        [LOG_GROUP, "stack", "mandatory"],
      ],
    );
  });
});
