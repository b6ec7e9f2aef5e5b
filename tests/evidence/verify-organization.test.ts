// Issue 11: `npm run evidence -- verify` over an organisation trail, on demand: the local fan-out
// (--all-accounts) over a synthetic organisation served by aws-sdk-client-mock (the same generator
// as the state machine tests: testkit/org-fixture.ts, signed with a committed test key), and the deployed
// state machine (--state-machine <arn> --wait) through a mocked Step Functions client.
import { GetTrailCommand } from "@aws-sdk/client-cloudtrail";
import { ListAccountsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import * as assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { buildSyntheticOrg, type SyntheticOrg } from "../../testkit/org-fixture";
import { main } from "../../evidence/cli";
import { ChainFixture } from "./fixtures";
import { CapturedIO, mockedAws, type MockedAws } from "./helpers";

const DAY = "2026-03-01";
const REGIONS = ["eu-west-1", "us-east-1"];
const TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail";
const STATE_MACHINE = "arn:aws:states:eu-west-1:111111111111:stateMachine:audit-prd-org-verification";
const NOW = () => new Date("2026-03-03T02:00:00Z");
const PERIOD = ["--start", `${DAY}T00:00:00Z`, "--end", "2026-03-02T00:00:00Z"];
const CREDENTIALS = { accessKeyId: "AKIDTEST", secretAccessKey: "test" };

interface World {
  org: SyntheticOrg;
  aws: MockedAws;
  fixture: ChainFixture;
  sfn: SFNClient;
  sfnMock: ReturnType<typeof mockClient>;
  organizations: OrganizationsClient;
  organizationsMock: ReturnType<typeof mockClient>;
  sleeps: number[];
}

let org: SyntheticOrg;

/** A fresh object model and fresh mocks per test (tampering stays in its test). */
function world(): World {
  const aws = mockedAws();
  const fixture = new ChainFixture({ ...org.trail, accountId: "111111111111" }, org.trail.homeRegion);
  for (const [key, object] of org.objects) fixture.put(org.trail.bucket, key, object.body, object.metadata);
  fixture.publicKeys.push(...org.publicKeys);
  fixture.serve(aws.s3Mock, aws.cloudTrailMock);
  aws.cloudTrailMock.on(GetTrailCommand, { Name: TRAIL_ARN }).resolves({
    Trail: {
      Name: "org-trail",
      TrailARN: TRAIL_ARN,
      S3BucketName: org.trail.bucket,
      S3KeyPrefix: org.trail.prefix,
      HomeRegion: "eu-west-1",
      IsMultiRegionTrail: true,
      IsOrganizationTrail: true,
      LogFileValidationEnabled: true,
    },
  });
  const sfn = new SFNClient({ region: "eu-west-1", credentials: CREDENTIALS });
  const organizations = new OrganizationsClient({ region: "us-east-1", credentials: CREDENTIALS });
  const w: World = { org, aws, fixture, sfn, sfnMock: mockClient(sfn), organizations, organizationsMock: mockClient(organizations), sleeps: [] };
  aws.clients.stepFunctions = () => sfn;
  aws.clients.organizations = () => organizations;
  return w;
}

async function run(w: World, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = new CapturedIO();
  const code = await main(argv, io, { clients: w.aws.clients, now: NOW, sleep: async (ms) => void w.sleeps.push(ms) });
  return { code, out: io.out, err: io.err };
}

const LOCAL = ["verify", "--all-accounts", "--organization-id", "o-abcdef1234", "--trail-arn", TRAIL_ARN, ...PERIOD];

describe("evidence verify over an organisation trail (issue 11)", function () {
  this.timeout(60_000);

  before(function () {
    org = buildSyntheticOrg({ accounts: 4, regions: REGIONS, firstDay: DAY, days: 1, digestsPerDay: 4, logsPerDigest: 1 });
  });

  describe("--all-accounts: local fan-out", function () {
    it("exits 0 on a clean organisation, every shard verified", async function () {
      const w = world();
      const { code, out, err } = await run(w, [...LOCAL, "--json"]);
      assert.equal(code, 0, err);
      const record = JSON.parse(out);
      assert.equal(record.outcome, "clean");
      assert.deepEqual(record.shards, { planned: 8, verified: 8, invalid: 0, notVerified: 0, unreported: 0, unplanned: 0 });
      assert.deepEqual(record.findings, []);
      assert.equal(record.run.engine, "local");
      assert.deepEqual(record.accounts.listed, [...org.accounts].sort());
    });

    it("reports exactly the tampered shards and exits 1, with one progress line per shard on stderr", async function () {
      const w = world();
      const altered = `${org.accounts[1]}/eu-west-1/${DAY}`;
      const alteredLog = org.logsByDigest.get(org.digestsByShard.get(altered)![1])![0];
      w.fixture.put(org.trail.bucket, alteredLog, zlib.gzipSync(Buffer.from('{"Records":[{"eventName":"DeleteTrail"}]}')));
      const deleted = `${org.accounts[2]}/us-east-1/${DAY}`;
      w.fixture.delete(org.trail.bucket, org.digestsByShard.get(deleted)![1]);

      const { code, out, err } = await run(w, [...LOCAL, "--progress", "--concurrency", "3", "--json"]);
      assert.equal(code, 1, err);
      const record = JSON.parse(out);
      assert.equal(record.outcome, "attention");
      assert.deepEqual(record.shards, { planned: 8, verified: 8, invalid: 2, notVerified: 0, unreported: 0, unplanned: 0 });
      assert.deepEqual(
        record.findings
          .map((f: { verifierKind: string; accountId: string; region: string; day: string }) => `${f.verifierKind} ${f.accountId}/${f.region}/${f.day}`)
          .sort(),
        [`digest-missing ${deleted}`, `log-hash-mismatch ${altered}`].sort(),
      );

      const shardLines = err.split("\n").filter((l) => /^shard +\d+\/8 /.test(l));
      assert.equal(shardLines.length, 8, err);
      const ids = shardLines.map((l) => l.split(/\s+/)[2]).sort();
      const expectedIds = org.accounts.flatMap((a) => REGIONS.map((r) => `${a}/${r}/${DAY}`)).sort();
      assert.deepEqual(ids, expectedIds, "each planned shard has exactly one line");
      assert.deepEqual(
        shardLines.map((l) => Number(/^shard +(\d+)\//.exec(l)![1])),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      assert.match(
        shardLines.find((l) => l.includes(altered))!,
        /INVALID \(\d+ finding\(s\): .*log-hash-mismatch/,
      );
      assert.match(
        shardLines.find((l) => l.includes(deleted))!,
        /INVALID \(\d+ finding\(s\): .*digest-missing/,
      );
      assert.match(
        shardLines.find((l) => l.includes(`${org.accounts[0]}/eu-west-1/`))!,
        /valid \(\d+ digests, \d+ log files\)$/,
      );
      assert.match(err, /^planned 8 shard\(s\): 4 account\(s\) found, 2 region\(s\), 1 day\(s\)$/m);
    });

    it("without --progress prints no shard lines; the text report names the findings", async function () {
      const w = world();
      const altered = `${org.accounts[3]}/us-east-1/${DAY}`;
      w.fixture.put(org.trail.bucket, org.logsByDigest.get(org.digestsByShard.get(altered)![2])![0], zlib.gzipSync(Buffer.from("{}")));
      const { code, out, err } = await run(w, LOCAL);
      assert.equal(code, 1, err);
      assert.doesNotMatch(err, /^shard /m);
      assert.match(out, /^Outcome: ATTENTION$/m);
      assert.match(out, /^Shards: 8 planned, 8 verified, 1 invalid, 0 not verified, 0 unreported$/m);
      assert.ok(out.includes(`integrity (log-hash-mismatch)`), out);
    });

    it("--expected-accounts organizations: an ACTIVE member that delivers nothing is a finding (exit 1)", async function () {
      const w = world();
      const ghost = "999999999999";
      w.organizationsMock.on(ListAccountsCommand).resolves({
        Accounts: [...org.accounts, ghost].map((Id) => ({ Id, Status: "ACTIVE", JoinedTimestamp: new Date("2025-01-01T00:00:00Z") })),
      });
      const { code, out, err } = await run(w, [...LOCAL, "--expected-accounts", "organizations", "--expected-regions", "eu-west-1,us-east-1", "--json"]);
      assert.equal(code, 1, err);
      const record = JSON.parse(out);
      assert.deepEqual(record.accounts.missing, [ghost]);
      assert.deepEqual(
        record.findings.filter((f: { kind: string }) => f.kind === "account-not-delivering").map((f: { key: string }) => f.key),
        [ghost],
      );
      assert.equal(record.shards.planned, 10);
    });

    it("a shard whose reads keep failing (transient) is retried --attempts times, then reported: exit 3, the run is incomplete", async function () {
      const w = world();
      const broken = `${org.accounts[0]}/us-east-1/${DAY}`;
      const brokenDigest = org.digestsByShard.get(broken)![1];
      w.aws.s3Mock.on(GetObjectCommand, { Key: brokenDigest }).rejects(Object.assign(new Error("socket hang up"), { name: "TimeoutError" }));
      const { code, out, err } = await run(w, [...LOCAL, "--attempts", "2", "--progress", "--json"]);
      assert.equal(code, 3, err);
      const record = JSON.parse(out);
      assert.deepEqual(record.shards, { planned: 8, verified: 7, invalid: 0, notVerified: 1, unreported: 0, unplanned: 0 });
      assert.deepEqual(
        record.findings.map((f: { kind: string; key: string }) => `${f.kind} ${f.key}`),
        [`shard-not-verified ${broken}`],
      );
      assert.match(err, new RegExp(`^shard ${broken} retry 2/2 after: .*socket hang up`, "m"));
      assert.match(err, new RegExp(`^shard +\\d/8 ${broken} NOT VERIFIED \\(Transient\\)$`, "m"));
      assert.deepEqual(w.sleeps, [200], "one backoff between the two attempts");
    });
  });

  it("verify --help documents every organisation flag", async function () {
    const w = world();
    const { code, out } = await run(w, ["verify", "--help"]);
    assert.equal(code, 0);
    for (const flag of [
      "--all-accounts",
      "--expected-accounts organizations|listed|<id,id,...>",
      "--expected-regions",
      "--concurrency 1-1000",
      "--file-concurrency 1-64",
      "--attempts 1-10",
      "--progress",
      "--state-machine <arn>",
      "--wait",
    ]) {
      assert.ok(out.includes(flag), `help lacks ${flag}`);
    }
  });

  describe("usage errors name the flag and run nothing", function () {
    const cases: Array<[string, string[], RegExp]> = [
      ["--concurrency 0", [...LOCAL, "--concurrency", "0"], /--concurrency "0" must be a whole number from 1 to 1000/],
      ["--concurrency 1001", [...LOCAL, "--concurrency", "1001"], /--concurrency "1001" must be a whole number from 1 to 1000/],
      ["--file-concurrency 65", [...LOCAL, "--file-concurrency", "65"], /--file-concurrency "65" must be a whole number from 1 to 64/],
      ["--attempts 11", [...LOCAL, "--attempts", "11"], /--attempts "11" must be a whole number from 1 to 10/],
      [
        "--all-accounts without --organization-id",
        ["verify", "--all-accounts", "--trail-arn", TRAIL_ARN, ...PERIOD],
        /--organization-id is required \(with --all-accounts: the organisation's id/,
      ],
      ["--all-accounts without --trail-arn", ["verify", "--all-accounts", "--organization-id", "o-abcdef1234", ...PERIOD], /--trail-arn is required/],
      ["a bad --organization-id", ["verify", "--all-accounts", "--organization-id", "o-ABC", "--trail-arn", TRAIL_ARN, ...PERIOD], /--organization-id "o-ABC"/],
      [
        "a bad account in --expected-accounts",
        [...LOCAL, "--expected-accounts", "123456789012,12345"],
        /--expected-accounts: "12345" is not a 12-digit account id/,
      ],
      ["organizations mixed with ids", [...LOCAL, "--expected-accounts", "organizations,123456789012"], /--expected-accounts .*"organizations" stands alone/],
      ["a bad --expected-regions", [...LOCAL, "--expected-regions", "eu-west-1,mars"], /"mars" is not an AWS region name/],
      ["--regions with --all-accounts", [...LOCAL, "--regions", "eu-west-1"], /--regions does not apply with --all-accounts; use --expected-regions/],
      ["--account-id with --all-accounts", [...LOCAL, "--account-id", "123456789012"], /--account-id does not apply with --all-accounts/],
      ["--wait without --state-machine", [...LOCAL, "--wait"], /--wait only applies with --state-machine/],
      [
        "--progress on a single trail",
        ["verify", "--trail-arn", TRAIL_ARN, ...PERIOD, "--progress"],
        /--progress only applies with --all-accounts or --state-machine/,
      ],
      [
        "--state-machine with a trail ARN",
        ["verify", "--state-machine", TRAIL_ARN, ...PERIOD],
        /--state-machine "arn:aws:cloudtrail:.*" is not a state machine ARN/,
      ],
      ["--state-machine and --all-accounts", [...LOCAL, "--state-machine", STATE_MACHINE], /give --all-accounts .* or --state-machine <arn> .*, not both/],
      [
        "--state-machine with --expected-accounts",
        ["verify", "--state-machine", STATE_MACHINE, ...PERIOD, "--expected-accounts", "listed"],
        /--expected-accounts does not apply with --state-machine/,
      ],
      ["--state-machine without a period", ["verify", "--state-machine", STATE_MACHINE], /--start is required/],
      [
        "a period over 366 days",
        ["verify", "--state-machine", STATE_MACHINE, "--start", "2025-01-01", "--end", "2026-03-01"],
        /--start\/--end span 424 UTC days; at most 366/,
      ],
    ];
    for (const [what, argv, message] of cases) {
      it(what, async function () {
        const w = world();
        const { code, err } = await run(w, argv);
        assert.equal(code, 2, err);
        assert.match(err, message);
        assert.equal(w.aws.s3Mock.calls().length + w.aws.cloudTrailMock.calls().length + w.sfnMock.calls().length, 0, "nothing ran");
      });
    }
  });

  describe("--state-machine <arn>: the deployed state machine", function () {
    const EXECUTION = `arn:aws:states:eu-west-1:111111111111:execution:audit-prd-org-verification:cli-${DAY}-2026-03-02`;
    const summary = (outcome: "clean" | "attention") => ({
      recordKey: `review/2026/03/03/organization-review-${DAY}.json`,
      outcome,
      shards: { planned: 8, verified: 8, invalid: outcome === "clean" ? 0 : 1 },
      findings: outcome === "clean" ? 0 : 1,
      notified: outcome !== "clean",
    });

    it("--wait starts one execution with the period's days and exits 0 when it SUCCEEDED clean", async function () {
      const w = world();
      w.sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: NOW() });
      w.sfnMock
        .on(DescribeExecutionCommand)
        .resolvesOnce({ status: "RUNNING", executionArn: EXECUTION })
        .resolves({ status: "SUCCEEDED", executionArn: EXECUTION, output: JSON.stringify(summary("clean")) });
      const { code, out, err } = await run(w, ["verify", "--state-machine", STATE_MACHINE, "--start", DAY, "--end", "2026-03-03", "--wait", "--progress"]);
      assert.equal(code, 0, err);
      const starts = w.sfnMock.commandCalls(StartExecutionCommand);
      assert.equal(starts.length, 1);
      const input = starts[0].args[0].input;
      assert.equal(input.stateMachineArn, STATE_MACHINE);
      assert.deepEqual(JSON.parse(input.input!), { first: DAY, last: "2026-03-02" });
      assert.match(input.name!, /^cli-2026-03-01-2026-03-02-/);
      assert.equal(w.sfnMock.commandCalls(DescribeExecutionCommand)[0].args[0].input.executionArn, EXECUTION);
      assert.deepEqual(w.sleeps, [5000], "one wait between the RUNNING and the SUCCEEDED poll");
      assert.match(out, /SUCCEEDED: outcome CLEAN/);
      assert.match(err, new RegExp(`^execution ${EXECUTION} RUNNING \\(poll 1\\)$`, "m"));
      assert.equal(w.aws.s3Mock.calls().length, 0, "the state machine verifies, not this process");
    });

    it("--wait exits 1 when the execution SUCCEEDED with findings", async function () {
      const w = world();
      w.sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });
      w.sfnMock.on(DescribeExecutionCommand).resolves({ status: "SUCCEEDED", output: JSON.stringify(summary("attention")) });
      const { code, out, err } = await run(w, ["verify", "--state-machine", STATE_MACHINE, ...PERIOD, "--wait", "--json"]);
      assert.equal(code, 1, err);
      assert.deepEqual(JSON.parse(out), { executionArn: EXECUTION, status: "SUCCEEDED", ...summary("attention") });
    });

    for (const status of ["FAILED", "TIMED_OUT", "ABORTED"] as const) {
      it(`--wait exits 3 when the execution ended ${status}, naming its error and cause`, async function () {
        const w = world();
        w.sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });
        w.sfnMock.on(DescribeExecutionCommand).resolves({ status, error: "States.TaskFailed", cause: "planner: AccessDenied on ListObjectsV2" });
        const { code, err } = await run(w, ["verify", "--state-machine", STATE_MACHINE, ...PERIOD, "--wait"]);
        assert.equal(code, 3, err);
        assert.ok(err.includes(`error: verify --state-machine: ${EXECUTION} ended ${status}: States.TaskFailed (planner: AccessDenied on ListObjectsV2)`), err);
      });
    }

    it("without --wait starts the execution, prints its ARN and exits 0 without polling", async function () {
      const w = world();
      w.sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });
      const { code, out, err } = await run(w, ["verify", "--state-machine", STATE_MACHINE, ...PERIOD]);
      assert.equal(code, 0, err);
      assert.deepEqual(JSON.parse(w.sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.input!), { first: DAY, last: DAY });
      assert.equal(w.sfnMock.commandCalls(DescribeExecutionCommand).length, 0);
      assert.ok(out.includes(`Started ${EXECUTION}`), out);
    });
  });
});
