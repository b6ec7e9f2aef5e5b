import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand as AthenaGetQueryResultsCommand,
  GetTableMetadataCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import {
  DescribeLogGroupsCommand,
  GetQueryResultsCommand as InsightsGetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { GetBucketLocationCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import * as assert from "node:assert/strict";
import { main } from "../../evidence/cli";
import { buildAthenaStatement } from "../../evidence/who/athena";
import { WHO_USAGE } from "../../evidence/who/command";
import { parseS3Uri, type LogFileCheck } from "../../evidence/who/digests";
import { formatRowsTable } from "../../evidence/who/format";
import { buildInsightsQuery, insightsTargetFilter } from "../../evidence/who/insights";
import { rowFromInsights } from "../../evidence/who/rows";
import { lookUpBucketRegion, silentProgress } from "../../evidence/who/run";
import { CapturedIO, mockedAws, type MockedAws } from "./helpers";
import {
  DATA_BUCKET,
  INSIGHTS_QUERY_ID,
  LOG_BUCKET,
  LOG_GROUP,
  QUERY_EXECUTION_ID,
  recorded,
  stackOutputs,
  TRAIL_ARN,
  whoMocks,
  type WhoMocks,
} from "./fixtures-who/load";

const NOW = new Date("2025-06-30T09:00:00Z");
const ATHENA_PERIOD = ["--start", "2025-03-01", "--end", "2025-03-03"];
const LOGS_PERIOD = ["--start", "2025-06-20", "--end", "2025-06-27"];
const PAGE_TOKENS = [undefined, recorded("athena-get-query-results-page-1").NextToken, recorded("athena-get-query-results-page-2").NextToken];
const EVENT_IDS = [
  "3f1c2a9e-7b4d-4e21-9a6f-0c8d5b2e1f47",
  "8d0e4b7a-2c5f-4a19-b3e8-6f1a9d2c7e05",
  "1a7f3c5d-9e2b-4d8a-8c6f-4b0e2a1d9f33",
  "e6b2d8f1-4a3c-4f7e-9d0b-2c5a8e1f6b94",
  "5c9a1e3b-6d2f-4b7a-a8e4-9f0c3d2b1a68",
];

interface Harness {
  who: WhoMocks;
  aws: MockedAws;
  stacksRead: string[];
  outputs: Record<string, unknown>;
}

function harness(): Harness {
  return { who: whoMocks(), aws: mockedAws(), stacksRead: [], outputs: stackOutputs() };
}

async function run(h: Harness, argv: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  const io = new CapturedIO(tty);
  const code = await main(["who", ...argv], io, {
    now: () => NOW,
    clients: h.aws.clients,
    who: h.who.services,
    readStackOutputs: async (stack) => {
      h.stacksRead.push(stack);
      return h.outputs;
    },
  });
  return { code, out: io.out, err: io.err };
}

/** Athena answering with recorded responses: executions in order (the last repeats), then pages by NextToken. */
function serveAthena(
  h: Harness,
  executions: string[],
  pages: "three" | "empty" = "three",
  tableMetadata: object = recorded("athena-get-table-metadata"),
): void {
  const m = h.who.athenaMock;
  m.on(StartQueryExecutionCommand).resolves(recorded("athena-start-query-execution"));
  m.on(GetTableMetadataCommand).resolves(tableMetadata);
  let stub = m.on(GetQueryExecutionCommand, { QueryExecutionId: QUERY_EXECUTION_ID });
  for (const name of executions.slice(0, -1)) stub = stub.resolvesOnce(recorded(name));
  stub.resolves(recorded(executions[executions.length - 1]));
  m.on(AthenaGetQueryResultsCommand).callsFake((input: { QueryExecutionId: string; NextToken?: string }) => {
    assert.equal(input.QueryExecutionId, QUERY_EXECUTION_ID);
    if (pages === "empty") return recorded("athena-get-query-results-empty");
    const index = PAGE_TOKENS.indexOf(input.NextToken);
    if (index < 0) throw new Error(`unexpected NextToken ${input.NextToken}`);
    return recorded(`athena-get-query-results-page-${index + 1}`);
  });
}

function logGroups(overrides: Record<string, unknown> = {}): object {
  const response = recorded("logs-describe-log-groups");
  Object.assign(response.logGroups[0], overrides);
  return response;
}

/** Logs Insights answering GetQueryResults with these responses (fixture names or objects) in order; the last repeats. */
function serveInsights(h: Harness, results: Array<string | object>, describe: object = logGroups()): void {
  const m = h.who.logsMock;
  const response = (r: string | object) => (typeof r === "string" ? recorded(r) : r);
  m.on(DescribeLogGroupsCommand).resolves(describe);
  m.on(StartQueryCommand).resolves(recorded("insights-start-query"));
  let stub = m.on(InsightsGetQueryResultsCommand, { queryId: INSIGHTS_QUERY_ID });
  for (const r of results.slice(0, -1)) stub = stub.resolvesOnce(response(r));
  stub.resolves(response(results[results.length - 1]));
}

const SUCCEEDED = ["athena-get-query-execution-queued", "athena-get-query-execution-running", "athena-get-query-execution-succeeded"];

describe("evidence CLI: who", function () {
  describe("Athena", function () {
    it("runs the built statement (values inlined, no ExecutionParameters), pages through 3 result pages skipping the header, and prints one JSON object", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      const { code, out, err } = await run(h, [
        "--bucket",
        DATA_BUCKET,
        "--key",
        "patients/0042/*",
        ...ATHENA_PERIOD,
        "--stack",
        "prd",
        "--source",
        "athena",
        "--format",
        "json",
      ]);
      assert.equal(code, 0, err);
      assert.deepEqual(h.stacksRead, ["prd"]);

      const starts = h.who.athenaMock.commandCalls(StartQueryExecutionCommand);
      assert.equal(starts.length, 1);
      const expected = buildAthenaStatement(
        {
          bucket: DATA_BUCKET,
          key: { value: "patients/0042/", match: "prefix" },
          start: new Date("2025-03-01T00:00:00Z"),
          end: new Date("2025-03-03T00:00:00Z"),
        },
        { database: "audit_prd_audit", table: "cloudtrail_logs" },
        { account: "111122223333", region: "ap-northeast-1", today: NOW },
      );
      assert.deepEqual(starts[0].args[0].input, {
        QueryString: expected.sql,
        WorkGroup: "audit-prd-audit",
        QueryExecutionContext: { Catalog: "AwsDataCatalog", Database: "audit_prd_audit" },
      });
      assert.match(expected.sql, /region = 'ap-northeast-1'/, "the data bucket is in the stack's dataBucketNames: its region is known");
      assert.deepEqual(
        h.who.athenaMock.commandCalls(AthenaGetQueryResultsCommand).map((c) => c.args[0].input.NextToken),
        PAGE_TOKENS,
      );
      assert.equal(h.who.athenaMock.commandCalls(GetQueryExecutionCommand).length, 3);
      assert.deepEqual(h.who.sleeps, [1000, 1000]);
      assert.deepEqual(h.who.regionsAsked, ["athena:ap-northeast-1"]);
      assert.equal(h.aws.s3Mock.commandCalls(GetBucketLocationCommand).length, 0);

      const report = JSON.parse(out);
      assert.equal(out.trim().split("\n").length, 1);
      assert.deepEqual(Object.keys(report), ["query", "rows", "stats"]);
      assert.deepEqual(
        report.rows.map((r: { eventId: string }) => r.eventId),
        EVENT_IDS,
      );
      assert.ok(!report.rows.some((r: { time: string }) => r.time === "eventtime"), "header row skipped");
      assert.equal(report.rows.length, 5, "every() below is over the five rows, not over nothing");
      assert.ok(report.rows.every((r: { digest: string }) => r.digest === "not checked"));
      assert.deepEqual(report.stats, { rows: 5, bytesScanned: 48213377, estimatedUsd: 0.000219, queryExecutionId: QUERY_EXECUTION_ID });
      assert.equal(report.query.source, "athena");
      assert.equal(report.query.key, "patients/0042/");
      assert.equal(report.query.keyMatch, "prefix");
      assert.equal(report.query.principal, null);
      assert.equal(report.query.start, "2025-03-01T00:00:00Z");
      assert.equal(report.query.end, "2025-03-03T00:00:00Z");
      assert.equal(report.query.statement, expected.sql);
      assert.deepEqual(report.query.partitionDays, ["2025/03/01", "2025/03/02", "2025/03/03"]);
      assert.doesNotMatch(err, /progress:/, "no progress lines with --format json on a non-terminal");
    });

    it("prints an aligned table with progress lines on stderr, and the cost", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      const { code, out, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena"]);
      assert.equal(code, 0, err);
      const progress = err.split("\n").filter((l) => l.startsWith("progress: "));
      assert.deepEqual(progress, [
        `progress: checking 3 log folder(s) of s3://${LOG_BUCKET} for archived objects`,
        `progress: Athena query ${QUERY_EXECUTION_ID} submitted`,
        `progress: Athena query ${QUERY_EXECUTION_ID}: QUEUED, 0 bytes scanned, 1 s`,
        `progress: Athena query ${QUERY_EXECUTION_ID}: RUNNING, 20.5 MiB (21474836 bytes) scanned, 2 s`,
      ]);
      const lines = out.split("\n");
      const header = lines.findIndex((l) => l.startsWith("TIME (UTC)"));
      assert.ok(header > 0, out);
      for (let i = 0; i < 5; i++) assert.ok(lines[header + 2 + i].includes(EVENT_IDS[i]), lines[header + 2 + i]);
      assert.match(out, /5 event\(s\)\. Athena scanned 46\.0 MiB \(48213377 bytes\), estimated 0\.000219 USD at 5 USD\/TB/);
    });

    it("shows progress in place on a terminal even with --format json", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      const { code, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena", "--format", "json"], true);
      assert.equal(code, 0);
      assert.ok(err.includes(`\rAthena query ${QUERY_EXECUTION_ID}: RUNNING`), JSON.stringify(err));
      assert.ok(err.endsWith("\r\u001b[K"), "the progress line is cleared");
    });

    it("writes RFC 4180 CSV with a header row", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      const { code, out } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena", "--format", "csv"]);
      assert.equal(code, 0);
      const records = out.split("\r\n");
      assert.equal(
        records[0],
        "time,principal,role,identityType,accessKeyId,mfa,action,bucket,key,copySource,sourceIp,userAgent,result,errorCode,errorMessage,eventId,region,logFile,digest",
      );
      assert.equal(records.length, 7, "header, 5 records, empty after the last CRLF");
      assert.ok(records[5].includes(',"patients/0042/notes ""draft"", v2.txt",'));
      assert.ok(
        records[2].startsWith(
          "2025-03-01T04:23:51Z,arn:aws:sts::111122223333:assumed-role/SupportRole/bob,arn:aws:iam::111122223333:role/SupportRole,AssumedRole,ASIA3XFRBF23ASDFGH34,no,GetObject,",
        ),
      );
    });

    it("exits 3 with the engine's StateChangeReason when the query FAILED", async function () {
      const h = harness();
      serveAthena(h, ["athena-get-query-execution-running", "athena-get-query-execution-failed"]);
      const { code, out, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena", "--format", "json"]);
      assert.equal(code, 3);
      assert.equal(out, "");
      assert.match(
        err,
        new RegExp(
          `error: who: Athena query ${QUERY_EXECUTION_ID} FAILED: Permission denied on S3 path: s3://${LOG_BUCKET}/AWSLogs/111122223333/CloudTrail/ap-northeast-1/2025/03/01\\.`,
        ),
      );
      assert.equal(h.who.athenaMock.commandCalls(AthenaGetQueryResultsCommand).length, 0);
    });

    it("exits 3 and stops the query when it does not finish within --timeout", async function () {
      const h = harness();
      serveAthena(h, ["athena-get-query-execution-running"]);
      h.who.athenaMock.on(StopQueryExecutionCommand).resolves({});
      const { code, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena", "--timeout", "5"]);
      assert.equal(code, 3);
      assert.match(err, /Athena query .* did not finish within 5 s \(last state RUNNING\); it was stopped/);
      assert.equal(h.who.athenaMock.commandCalls(GetQueryExecutionCommand).length, 5);
      assert.deepEqual(
        h.who.athenaMock.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input),
        [{ QueryExecutionId: QUERY_EXECUTION_ID }],
      );
    });

    it("exits 0 with a 'no events' message on an empty result", async function () {
      const h = harness();
      serveAthena(h, ["athena-get-query-execution-succeeded"], "empty");
      const table = await run(h, ["--bucket", DATA_BUCKET, "--key", "patients/0099/x.dcm", ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena"]);
      assert.equal(table.code, 0, table.err);
      assert.match(
        table.out,
        new RegExp(`No events: no S3 data event on s3://${DATA_BUCKET}/patients/0099/x\\.dcm between 2025-03-01T00:00:00Z and 2025-03-03T00:00:00Z`),
      );
      assert.doesNotMatch(table.out, /TIME \(UTC\)/);
      const json = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena", "--format", "json"]);
      assert.equal(json.code, 0);
      assert.deepEqual(JSON.parse(json.out).rows, []);
      assert.equal(JSON.parse(json.out).stats.rows, 0);
      assert.match(json.err, /No events: no S3 data event on/);
    });

    it("exits 2 with a clear message when the period starts before the projection, without running a query", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      const { code, out, err } = await run(h, [
        "--bucket",
        DATA_BUCKET,
        "--start",
        "2024-12-30",
        "--end",
        "2025-01-02",
        "--stack",
        "prd",
        "--source",
        "athena",
      ]);
      assert.equal(code, 2);
      assert.equal(out, "");
      assert.match(
        err,
        /the period starts 2024-12-30T00:00:00Z, before the first day the Athena table audit_prd_audit\.cloudtrail_logs serves \(its partition projection starts 2025\/01\/01\); give --start 2025-01-01 or later/,
      );
      assert.equal(h.who.athenaMock.commandCalls(StartQueryExecutionCommand).length, 0);
    });

    it("takes the projection start from the table itself", async function () {
      const h = harness();
      const metadata = recorded("athena-get-table-metadata");
      metadata.TableMetadata.Parameters["projection.timestamp.range"] = "2025/06/01,NOW";
      serveAthena(h, SUCCEEDED, "three", metadata);
      const { code, err } = await run(h, ["--bucket", DATA_BUCKET, "--start", "2025-05-20", "--end", "2025-06-02", "--stack", "prd", "--source", "athena"]);
      assert.equal(code, 2);
      assert.match(err, /partition projection starts 2025\/06\/01\); give --start 2025-06-01 or later/);
    });

    it("exits 2 when the bucket's region is not projected by the table", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      const { code, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena", "--region", "me-central-1"]);
      assert.equal(code, 2);
      assert.match(err, /the bucket's region me-central-1 is not among the regions the Athena table projects \(ap-northeast-1, /);
      assert.equal(h.who.athenaMock.commandCalls(StartQueryExecutionCommand).length, 0);
    });

    it("runs without --stack from --workgroup/--database/--table/--home-region, looking the bucket's region up", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      h.aws.s3Mock.on(GetBucketLocationCommand, { Bucket: "legacy-data" }).resolves({ LocationConstraint: "eu-west-1" });
      const flags = [
        "--bucket",
        "legacy-data",
        ...ATHENA_PERIOD,
        "--workgroup",
        "wg1",
        "--database",
        "db1",
        "--table",
        "t1",
        "--home-region",
        "eu-central-1",
        "--format",
        "json",
      ];
      const { code, err } = await run(h, flags);
      assert.equal(code, 0, err);
      assert.deepEqual(h.stacksRead, []);
      assert.deepEqual(h.who.regionsAsked, ["athena:eu-central-1"]);
      const input = h.who.athenaMock.commandCalls(StartQueryExecutionCommand)[0].args[0].input;
      assert.equal(input.WorkGroup, "wg1");
      assert.match(String(input.QueryString), /FROM "db1"\."t1"\n/);
      assert.match(String(input.QueryString), /AND region = 'eu-west-1'\n/);

      const denied = harness();
      serveAthena(denied, SUCCEEDED);
      denied.aws.s3Mock.on(GetBucketLocationCommand).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
      const second = await run(denied, flags);
      assert.equal(second.code, 0);
      assert.match(
        second.err,
        /note: The region of bucket legacy-data is unknown \(GetBucketLocation: AccessDenied: Access Denied\); reading every region's partitions/,
      );
      assert.doesNotMatch(String(denied.who.athenaMock.commandCalls(StartQueryExecutionCommand)[0].args[0].input.QueryString), /region =/);
    });
  });

  it("reads GetBucketLocation's legacy answers: none is us-east-1, EU is eu-west-1", async function () {
    const aws = mockedAws();
    const notes: string[] = [];
    const ctx = { clients: aws.clients, services: whoMocks().services, now: () => NOW, note: (t: string) => void notes.push(t), progress: silentProgress };
    aws.s3Mock.on(GetBucketLocationCommand, { Bucket: "old-virginia" }).resolves({});
    aws.s3Mock.on(GetBucketLocationCommand, { Bucket: "old-ireland" }).resolves({ LocationConstraint: "EU" });
    aws.s3Mock.on(GetBucketLocationCommand, { Bucket: "tokyo" }).resolves({ LocationConstraint: "ap-northeast-1" });
    assert.equal(await lookUpBucketRegion(aws.clients, "ap-northeast-1", "old-virginia", ctx), "us-east-1");
    assert.equal(await lookUpBucketRegion(aws.clients, "ap-northeast-1", "old-ireland", ctx), "eu-west-1");
    assert.equal(await lookUpBucketRegion(aws.clients, "ap-northeast-1", "tokyo", ctx), "ap-northeast-1");
    assert.deepEqual(notes, []);
  });

  describe("Logs Insights", function () {
    it("polls Scheduled -> Running -> Complete and maps the rows, with no log file (auto: the period is within retention)", async function () {
      const h = harness();
      serveInsights(h, ["insights-get-query-results-scheduled", "insights-get-query-results-running", "insights-get-query-results-complete"]);
      const { code, out, err } = await run(h, [
        "--bucket",
        DATA_BUCKET,
        "--key",
        "patients/0042/scan-2025-06-19.dcm",
        "--principal",
        "arn:aws:iam::111122223333:role/PaymentOpsRole",
        ...LOGS_PERIOD,
        "--stack",
        "prd",
        "--format",
        "json",
      ]);
      assert.equal(code, 0, err);
      assert.match(
        err,
        /note: Source: CloudWatch Logs Insights, because the whole period is within what log group \/aws\/cloudtrail\/audit-prd-trail \(400-day retention, created 2025-01-02T01:04:05Z\) keeps events from 2025-01-02T01:04:05Z/,
      );
      assert.deepEqual(h.who.logsMock.commandCalls(DescribeLogGroupsCommand)[0].args[0].input, { logGroupNamePrefix: LOG_GROUP, nextToken: undefined });
      const starts = h.who.logsMock.commandCalls(StartQueryCommand);
      assert.equal(starts.length, 1);
      assert.deepEqual(starts[0].args[0].input, {
        logGroupName: LOG_GROUP,
        queryString: buildInsightsQuery({
          bucket: DATA_BUCKET,
          key: { value: "patients/0042/scan-2025-06-19.dcm", match: "exact" },
          principal: "arn:aws:iam::111122223333:role/PaymentOpsRole",
          start: new Date("2025-06-20T00:00:00Z"),
          end: new Date("2025-06-27T00:00:00Z"),
        }),
        startTime: 1750377600,
        endTime: 1750982399,
        limit: 10000,
      });
      assert.equal(h.who.logsMock.commandCalls(InsightsGetQueryResultsCommand).length, 3);
      assert.deepEqual(h.who.sleeps, [1000, 1000]);
      assert.equal(h.who.athenaMock.commandCalls(StartQueryExecutionCommand).length, 0);
      const report = JSON.parse(out);
      assert.equal(report.query.source, "logs");
      assert.equal(report.query.logGroup, LOG_GROUP);
      assert.deepEqual(report.stats, { rows: 3, bytesScanned: 391823114, queryId: INSIGHTS_QUERY_ID });
      assert.deepEqual(
        report.rows.map((r: { mfa: string }) => r.mfa),
        ["yes", "no", "unknown"],
      );
      assert.equal(report.rows.length, 3);
      assert.ok(report.rows.every((r: { logFile: string; digest: string }) => r.logFile === "n/a (CloudWatch Logs)" && r.digest === "not checked"));
    });

    it("runs without --stack from --log-group and --home-region (a stray --workgroup does not matter with --source logs)", async function () {
      const h = harness();
      serveInsights(h, ["insights-get-query-results-complete"]);
      const { code, out, err } = await run(h, [
        "--bucket",
        DATA_BUCKET,
        ...LOGS_PERIOD,
        "--log-group",
        LOG_GROUP,
        "--home-region",
        "ap-northeast-1",
        "--workgroup",
        "wg",
        "--source",
        "logs",
        "--format",
        "csv",
      ]);
      assert.equal(code, 0, err);
      assert.deepEqual(h.stacksRead, []);
      assert.deepEqual(h.who.regionsAsked, ["logs:ap-northeast-1", "logs:ap-northeast-1"]);
      assert.equal(out.split("\r\n").length, 5, "header, 3 records, empty after the last CRLF");
    });

    it("auto picks Athena when the period starts before what the log group keeps", async function () {
      const h = harness();
      serveInsights(h, ["insights-get-query-results-complete"], logGroups({ retentionInDays: 90 }));
      serveAthena(h, SUCCEEDED);
      const { code, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd"]);
      assert.equal(code, 0, err);
      assert.match(
        err,
        /note: Source: Athena over the trail's S3 logs, because the period starts before what log group \/aws\/cloudtrail\/audit-prd-trail \(90-day retention, created 2025-01-02T01:04:05Z\) keeps events from 2025-04-01T09:00:00Z/,
      );
      assert.equal(h.who.athenaMock.commandCalls(StartQueryExecutionCommand).length, 1);
      assert.equal(h.who.logsMock.commandCalls(StartQueryCommand).length, 0);
    });

    it("--source logs beyond retention exits 2 and names the log group's limit", async function () {
      const h = harness();
      serveInsights(h, ["insights-get-query-results-complete"], logGroups({ retentionInDays: 90 }));
      const { code, out, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "logs"]);
      assert.equal(code, 2);
      assert.equal(out, "");
      assert.match(
        err,
        /the period starts 2025-03-01T00:00:00Z, before what log group \/aws\/cloudtrail\/audit-prd-trail \(90-day retention, .*\) keeps events from 2025-04-01T09:00:00Z; older events are only in the trail's S3 logs: use --source athena/,
      );
      assert.equal(h.who.logsMock.commandCalls(StartQueryCommand).length, 0);
    });

    it("auto with a period before both the log group and the projection exits 2", async function () {
      const h = harness();
      serveInsights(h, ["insights-get-query-results-complete"]);
      serveAthena(h, SUCCEEDED);
      const { code, err } = await run(h, ["--bucket", DATA_BUCKET, "--start", "2024-11-01", "--end", "2024-11-02", "--stack", "prd"]);
      assert.equal(code, 2);
      assert.match(err, /note: Source: Athena over the trail's S3 logs, because the period starts before what log group/);
      assert.match(err, /before the first day the Athena table audit_prd_audit\.cloudtrail_logs serves/);
      assert.equal(h.who.athenaMock.commandCalls(StartQueryExecutionCommand).length + h.who.logsMock.commandCalls(StartQueryCommand).length, 0);
    });

    it("exits 3 when the query ends Failed, and stops it after --timeout", async function () {
      const h = harness();
      serveInsights(h, ["insights-get-query-results-running", { ...recorded<object>("insights-get-query-results-running"), status: "Failed" }]);
      const failed = await run(h, ["--bucket", DATA_BUCKET, ...LOGS_PERIOD, "--stack", "prd", "--source", "logs"]);
      assert.equal(failed.code, 3);
      assert.match(failed.err, new RegExp(`error: who: Logs Insights query ${INSIGHTS_QUERY_ID} ended with status Failed`));

      const slow = harness();
      serveInsights(slow, ["insights-get-query-results-running"]);
      slow.who.logsMock.on(StopQueryCommand).resolves({ success: true });
      const timedOut = await run(slow, ["--bucket", DATA_BUCKET, ...LOGS_PERIOD, "--stack", "prd", "--source", "logs", "--timeout", "3"]);
      assert.equal(timedOut.code, 3);
      assert.match(
        timedOut.err,
        /Logs Insights query .* did not complete within 3 s \(3 polls, last status Running\); it was stopped\. Narrow the period, or raise --timeout\./,
      );
      assert.equal(slow.who.logsMock.commandCalls(InsightsGetQueryResultsCommand).length, 3);
      assert.deepEqual(
        slow.who.logsMock.commandCalls(StopQueryCommand).map((c) => c.args[0].input),
        [{ queryId: INSIGHTS_QUERY_ID }],
      );
    });
  });

  describe("--verify-digests", function () {
    function fakeCheck(request: { logFiles: string[] }): LogFileCheck {
      const keys = request.logFiles.map((f) => parseS3Uri(f)!.key);
      return {
        bucket: LOG_BUCKET,
        checkedKeys: new Set([keys[0], keys[1], keys[2]]),
        result: {
          valid: false,
          findings: [
            { kind: "log-hash-mismatch", key: keys[1], message: `Log file s3://${LOG_BUCKET}/${keys[1]} hashes to 00ff, but digest ... recorded 11ee` },
          ],
          digestsChecked: 49,
          logFilesChecked: 131,
          uncompressedLogBytes: 123456,
          regions: ["ap-northeast-1"],
          publicKeyFingerprints: ["d2f1"],
        },
      };
    }

    it("marks each row by its log file's result and exits 1 when a row did not verify", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      h.who.setVerifier(async (request) => fakeCheck(request));
      const { code, out, err } = await run(h, [
        "--bucket",
        DATA_BUCKET,
        ...ATHENA_PERIOD,
        "--stack",
        "prd",
        "--source",
        "athena",
        "--verify-digests",
        "--format",
        "json",
      ]);
      assert.equal(code, 1, err);
      const report = JSON.parse(out);
      assert.deepEqual(
        report.rows.map((r: { digest: string }) => r.digest),
        ["verified", "verified", "FAILED: log-hash-mismatch", "verified", "not verified: no authenticated digest lists it"],
      );
      assert.equal(report.verification.valid, false);
      assert.equal(report.verification.findings[0].kind, "log-hash-mismatch");
      assert.equal(h.who.verifyRequests.length, 1);
      const request = h.who.verifyRequests[0];
      assert.equal(request.trailArn, TRAIL_ARN);
      assert.deepEqual(request.logFiles, [...new Set(report.rows.map((r: { logFile: string }) => r.logFile))]);
      assert.equal(request.logFiles.length, 4);
      assert.match(err, /2 of 5 event\(s\) come from a log file that did not verify/);
    });

    it("exits 0 when every row's log file verified, and the table says so", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      h.who.setVerifier(async (request) => ({
        bucket: LOG_BUCKET,
        checkedKeys: new Set(request.logFiles.map((f) => parseS3Uri(f)!.key)),
        result: {
          valid: true,
          findings: [],
          digestsChecked: 49,
          logFilesChecked: 131,
          uncompressedLogBytes: 1,
          regions: ["ap-northeast-1"],
          publicKeyFingerprints: [],
        },
      }));
      const { code, out } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--verify-digests"]);
      assert.equal(code, 0);
      assert.equal(out.split("\n").filter((l) => l.endsWith("  verified")).length, 5);
      assert.match(out, /Digest verification of the log files: VALID \(49 digest\(s\), 131 log file\(s\), 0 finding\(s\)\)/);
    });

    it("auto uses Athena even within log retention, since only Athena names the log file", async function () {
      const h = harness();
      serveInsights(h, ["insights-get-query-results-complete"]);
      serveAthena(h, SUCCEEDED);
      h.who.setVerifier(async (request) => fakeCheck(request));
      const { err } = await run(h, ["--bucket", DATA_BUCKET, ...LOGS_PERIOD, "--stack", "prd", "--verify-digests"]);
      assert.match(err, /note: Source: Athena, because --verify-digests needs the log file each event was read from/);
      assert.equal(h.who.logsMock.commandCalls(StartQueryCommand).length, 0);
      assert.equal(h.who.athenaMock.commandCalls(StartQueryExecutionCommand).length, 1);
    });

    it("prints the rows and exits 3 when the check itself cannot run", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      h.who.setVerifier(async () => {
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      });
      const { code, out, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--verify-digests", "--format", "json"]);
      assert.equal(code, 3);
      assert.equal(JSON.parse(out).rows.length, 5, "the rows are still printed");
      assert.ok(JSON.parse(out).rows.every((r: { digest: string }) => r.digest === "not verified: the check failed (ThrottlingException: Rate exceeded)"));
      assert.match(err, /the digest check could not run: ThrottlingException: Rate exceeded/);
    });
  });

  describe("usage errors exit 2, name the argument, and call nothing", function () {
    const base = ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd"];
    const athenaFlags = ["--workgroup", "wg", "--database", "db", "--table", "t", "--home-region", "ap-northeast-1"];
    const cases: Array<[string, string[], RegExp, ((h: Harness) => void)?]> = [
      ["no --bucket", ATHENA_PERIOD.concat("--stack", "prd"), /who: --bucket is required/],
      [
        "a hostile bucket",
        ["--bucket", "x'; DROP TABLE cloudtrail_logs; --", ...ATHENA_PERIOD, "--stack", "prd"],
        /--bucket "x'; DROP TABLE cloudtrail_logs; --" is not an S3 bucket name/,
      ],
      ["a hostile principal", [...base, "--principal", "arn:aws:iam::111122223333:role/a' OR '1'='1"], /--principal .* is not an IAM or STS principal ARN/],
      ["a key with a newline", [...base, "--key", "a\nb"], /--key "a\\nb" contains a control character/],
      ["an unknown format", [...base, "--format", "xml"], /--format "xml" is not one of table, csv, json/],
      ["an unknown source", [...base, "--source", "lake"], /--source "lake" is not one of auto, athena, logs/],
      [
        "--verify-digests with --source logs",
        [...base, "--source", "logs", "--verify-digests"],
        /--verify-digests needs the log file of each event, which only Athena gives/,
      ],
      [
        "a start in the future",
        ["--bucket", DATA_BUCKET, "--start", "2025-07-01", "--end", "2025-07-02", "--stack", "prd"],
        /--start 2025-07-01T00:00:00Z is in the future/,
      ],
      [
        "an empty period",
        ["--bucket", DATA_BUCKET, "--start", "2025-03-01", "--end", "2025-03-01", "--stack", "prd"],
        /the period is empty \(--end is exclusive\)/,
      ],
      [
        "nothing to query without --stack",
        ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD],
        /nothing to query: give --stack <name>, or --workgroup, --database and --table \(Athena\), or --log-group <name>/,
      ],
      [
        "part of the Athena flags",
        ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--workgroup", "wg", "--home-region", "ap-northeast-1"],
        /Athena needs --database, --table \(give all three/,
      ],
      [
        "--source logs without a log group",
        ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, ...athenaFlags, "--source", "logs"],
        /--source logs needs --log-group <name> or --stack <name>/,
      ],
      [
        "--verify-digests without a trail",
        ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, ...athenaFlags, "--verify-digests"],
        /--verify-digests needs --trail-arn <arn>/,
      ],
      [
        "no home region",
        ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--workgroup", "wg", "--database", "db", "--table", "t"],
        /--home-region is required without --stack/,
      ],
      [
        "a hostile stack output",
        base,
        /stack prd output athena\.database "audit\\"; DROP TABLE x" is not an Athena database or table name/,
        (h) => {
          (h.outputs.athena as Record<string, string>).database = 'audit"; DROP TABLE x';
        },
      ],
      ["a bad --timeout", [...base, "--timeout", "0"], /--timeout "0" must be a whole number from 1 to 3600/],
    ];
    for (const [name, argv, message, setup] of cases) {
      it(name, async function () {
        const h = harness();
        setup?.(h);
        const { code, out, err } = await run(h, argv);
        assert.equal(code, 2, err);
        assert.match(err, message);
        assert.equal(out, "");
        assert.equal(h.who.athenaMock.calls().length + h.who.logsMock.calls().length, 0);
      });
    }
  });

  it("who --help prints its usage and exits 0; the overview lists it too", async function () {
    const h = harness();
    const help = await run(h, ["--help"]);
    assert.equal(help.code, 0);
    assert.ok(help.out.includes(WHO_USAGE));
    assert.match(
      help.out,
      /who --bucket <name> \[--key <key> \| --key <prefix>\*\] \[--principal <arn>\] --start <time> --end <time>\n\s+\[--account <12-digit id>\]/,
    );
    assert.equal(h.who.athenaMock.calls().length + h.who.logsMock.calls().length + h.aws.s3Mock.calls().length, 0);
    const io = new CapturedIO();
    assert.equal(await main(["help"], io), 0);
    assert.ok(io.out.includes(WHO_USAGE));
  });

  describe("accounts and organization trails (issue 11)", function () {
    const ORG_TEMPLATE = `s3://${LOG_BUCKET}/AWSLogs/o-a1b2c3d4e5/\${account}/CloudTrail/\${region}/\${timestamp}`;
    function orgTable(): object {
      const metadata = recorded("athena-get-table-metadata");
      metadata.TableMetadata.Parameters["storage.location.template"] = ORG_TEMPLATE;
      return metadata;
    }

    it("--account reads only that member account's partitions, and lists only its folders for archived objects", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED, "three", orgTable());
      const { code, out, err } = await run(h, [
        "--bucket",
        DATA_BUCKET,
        ...ATHENA_PERIOD,
        "--stack",
        "prd",
        "--source",
        "athena",
        "--account",
        "444455556666",
        "--format",
        "json",
      ]);
      assert.equal(code, 0, err);
      const sql = h.who.athenaMock.commandCalls(StartQueryExecutionCommand)[0].args[0].input.QueryString as string;
      assert.match(
        sql,
        /WHERE "timestamp" IN \('2025\/03\/01', '2025\/03\/02', '2025\/03\/03'\)\n {2}AND account = '444455556666'\n {2}AND region = 'ap-northeast-1'\n/,
      );
      const listed = h.aws.s3Mock.commandCalls(ListObjectsV2Command).map((c) => [c.args[0].input.Bucket, c.args[0].input.Prefix]);
      assert.deepEqual(listed.sort(), [
        [LOG_BUCKET, "AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/ap-northeast-1/2025/03/01/"],
        [LOG_BUCKET, "AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/ap-northeast-1/2025/03/02/"],
        [LOG_BUCKET, "AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/ap-northeast-1/2025/03/03/"],
      ]);
      assert.equal(JSON.parse(out).query.account, "444455556666");
    });

    it("defaults to the trail's account, and refuses a malformed --account before any call", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      const { code } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena"]);
      assert.equal(code, 0);
      assert.match(h.who.athenaMock.commandCalls(StartQueryExecutionCommand)[0].args[0].input.QueryString as string, /AND account = '111122223333'\n/);
      const bad = harness();
      const refused = await run(bad, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--account", "4444-5555-6666"]);
      assert.equal(refused.code, 2);
      assert.match(refused.err, /--account "4444-5555-6666" is not a 12-digit AWS account id/);
      assert.equal(bad.who.athenaMock.calls().length, 0);
    });

    it("passes the stack's organizationId to --verify-digests", async function () {
      const h = harness();
      h.outputs.organizationId = "o-a1b2c3d4e5";
      serveAthena(h, SUCCEEDED);
      h.who.setVerifier(async (request) => ({
        result: { valid: true, findings: [], digestsChecked: 1, logFilesChecked: 0, uncompressedLogBytes: 0, regions: [], publicKeyFingerprints: [] },
        bucket: LOG_BUCKET,
        checkedKeys: new Set(request.logFiles.map((f) => parseS3Uri(f)!.key)),
      }));
      const { code } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--verify-digests", "--format", "json"]);
      assert.equal(code, 0);
      assert.deepEqual(
        h.who.verifyRequests.map((r) => r.organizationId),
        ["o-a1b2c3d4e5"],
      );
    });
  });

  describe("archived log files (Glacier, Deep Archive)", function () {
    function archiveIn(h: Harness, storageClass: string, restore?: object) {
      h.aws.s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
        IsTruncated: false,
        Contents: input.Prefix.endsWith("2025/03/02/")
          ? [
              {
                Key: `${input.Prefix}111122223333_CloudTrail_ap-northeast-1_20250302T0005Z_Ab12Cd34Ef56Gh78.json.gz`,
                StorageClass: storageClass,
                ...(restore ? { RestoreStatus: restore } : {}),
              },
            ]
          : [{ Key: `${input.Prefix}111122223333_CloudTrail_ap-northeast-1_20250301T0005Z_Zz12Cd34Ef56Gh78.json.gz`, StorageClass: "STANDARD_IA" }],
      }));
    }

    it("exits 3 without querying, naming the archived file and the restore command", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      archiveIn(h, "DEEP_ARCHIVE");
      const { code, out, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena"]);
      assert.equal(code, 3);
      assert.equal(out, "");
      const key = "AWSLogs/111122223333/CloudTrail/ap-northeast-1/2025/03/02/111122223333_CloudTrail_ap-northeast-1_20250302T0005Z_Ab12Cd34Ef56Gh78.json.gz";
      assert.match(err, /error: who: 1 object\(s\) needed for this answer are in an archive storage class/);
      assert.ok(err.includes(`  DEEP_ARCHIVE: s3://${LOG_BUCKET}/${key}`), err);
      assert.ok(
        err.includes(`aws s3api restore-object --bucket '${LOG_BUCKET}' --key '${key}' --restore-request '{"Days":7,"GlacierJobParameters":{"Tier":"Bulk"}}'`),
        err,
      );
      assert.equal(h.who.athenaMock.commandCalls(StartQueryExecutionCommand).length, 0, "no incomplete answer is computed");
      const requests = h.aws.s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
      assert.equal(requests.length, 3);
      assert.ok(requests.every((r) => r.Bucket === LOG_BUCKET && (r.OptionalObjectAttributes as string[]).includes("RestoreStatus")));
    });

    it("answers when the archived file has a finished restore (Athena reads restored copies: read_restored_glacier_objects)", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      archiveIn(h, "GLACIER", { IsRestoreInProgress: false, RestoreExpiryDate: new Date("2025-07-07T00:00:00Z") });
      const { code, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena"]);
      assert.equal(code, 0, err);
      assert.equal(h.who.athenaMock.commandCalls(StartQueryExecutionCommand).length, 1);
    });

    it("still refuses while a restore is in progress", async function () {
      const h = harness();
      serveAthena(h, SUCCEEDED);
      archiveIn(h, "GLACIER", { IsRestoreInProgress: true });
      const { code, err } = await run(h, ["--bucket", DATA_BUCKET, ...ATHENA_PERIOD, "--stack", "prd", "--source", "athena"]);
      assert.equal(code, 3);
      assert.match(err, /GLACIER: s3:\/\//);
    });
  });

  describe("copies and batch deletes (real CloudTrail records: fixtures-who/cloudtrail-copy-delete.json)", function () {
    const records = recorded("cloudtrail-copy-delete");
    /** What Logs Insights returns for a record under the query's `fields` aliases. */
    function insightsResult(record: any, extra: Record<string, string>): Array<{ field: string; value: string }> {
      const fields: Record<string, unknown> = {
        eventTime: extra.eventTime,
        eventId: extra.eventId,
        eventName: record.eventName,
        awsRegion: extra.awsRegion,
        identityType: "IAMUser",
        principalArn: extra.principalArn,
        sourceIPAddress: extra.sourceIPAddress,
        userAgent: "[stratus-red-team_4a1b]",
        bucket: record.requestParameters.bucketName,
        objectKey: record.requestParameters.key,
        copySource: record.requestParameters["x-amz-copy-source"],
      };
      return Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([field, value]) => ({ field, value: String(value) }));
    }

    it("lists DeleteObjects on the bucket with --key, as 'object keys not recorded by S3'", async function () {
      const h = harness();
      const bucket = records.DeleteObjects.requestParameters.bucketName;
      const complete = {
        status: "Complete",
        statistics: { recordsMatched: 1, recordsScanned: 1000, bytesScanned: 4096 },
        results: [
          insightsResult(records.DeleteObjects, {
            eventTime: "2025-06-21T06:08:38Z",
            eventId: "b9e1f0c2-0d4a-4f7b-9a61-2f5c8e3d7a10",
            awsRegion: "us-east-1",
            principalArn: "arn:aws:iam::012345678901:user/attacker",
            sourceIPAddress: "198.51.100.77",
          }),
        ],
      };
      serveInsights(h, [complete]);
      const { code, out, err } = await run(h, [
        "--bucket",
        bucket,
        "--key",
        "invoices/2025/0042.pdf",
        ...LOGS_PERIOD,
        "--stack",
        "prd",
        "--source",
        "logs",
        "--region",
        "us-east-1",
        "--format",
        "json",
      ]);
      assert.equal(code, 0, err);
      const query = h.who.logsMock.commandCalls(StartQueryCommand)[0].args[0].input.queryString as string;
      assert.ok(
        query.includes(
          `(requestParameters.bucketName = "${bucket}" and (requestParameters.key like /^invoices\\/2025\\/0042\\.pdf$/ or eventName = "DeleteObjects"))`,
        ),
        query,
      );
      const rows = JSON.parse(out).rows;
      assert.equal(rows.length, 1);
      assert.equal(rows[0].action, "DeleteObjects");
      assert.equal(rows[0].key, "(object keys not recorded by S3)");
      assert.equal(rows[0].principal, "arn:aws:iam::012345678901:user/attacker");
    });

    it("matches the recorded CopyObject by its x-amz-copy-source, for the exact key and a prefix, and shows the source", function () {
      const copy = records.CopyObject;
      const source = copy.requestParameters["x-amz-copy-source"];
      const regexes = (key: { value: string; match: "exact" | "prefix" }) =>
        [...insightsTargetFilter({ bucket: "target bucket", key }).matchAll(/`requestParameters\.x-amz-copy-source` like \/(.*?)\/(?= or |\))/g)].map(
          (m) => new RegExp(m[1]),
        );
      assert.ok(regexes({ value: "target file.txt", match: "exact" }).some((r) => r.test(source)));
      assert.ok(regexes({ value: "target", match: "prefix" }).some((r) => r.test(source)));
      assert.ok(!regexes({ value: "target file.tx", match: "exact" }).some((r) => r.test(source)));
      assert.ok(!regexes({ value: "other", match: "prefix" }).some((r) => r.test(source)));
      const [row] = [
        rowFromInsights(
          insightsResult(copy, {
            eventTime: "2025-06-21T06:10:00Z",
            eventId: "e1",
            awsRegion: "us-east-1",
            principalArn: "arn:aws:iam::012345678901:user/attacker",
            sourceIPAddress: "198.51.100.77",
          }),
        ),
      ];
      assert.equal(row.copySource, "target bucket/target file.txt");
      assert.match(formatRowsTable([row]), /target file\.txt \(copy of target bucket\/target file\.txt\)/);
    });
  });
});
