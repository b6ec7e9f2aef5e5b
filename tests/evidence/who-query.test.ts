import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { UsageError } from "../../cli/args";
import {
  buildAthenaStatement,
  DEFAULT_PROJECTION_START,
  estimateAthenaUsd,
  partitionDays,
  projectionFromTableParameters,
  sqlStringLiteral,
} from "../../evidence/who/athena";
import {
  periodToSeconds,
  validateBucket,
  validateGlueName,
  validateKey,
  validateLogGroup,
  validatePrincipal,
  validateRegion,
  validateWorkgroup,
  type WhoQuery,
} from "../../evidence/who/inputs";
import { buildInsightsQuery, insightsPrefixRegex, insightsTimeRange } from "../../evidence/who/insights";
import { DATA_BUCKET, recorded } from "./fixtures-who/load";

const TABLE = { database: "audit_prd_audit", table: "cloudtrail_logs" };
const ROLE = "arn:aws:iam::111122223333:role/PaymentOpsRole";
const TODAY = new Date("2025-06-30T09:00:00Z");

function query(overrides: Partial<WhoQuery> = {}): WhoQuery {
  return {
    bucket: DATA_BUCKET,
    start: new Date("2025-03-01T00:00:00Z"),
    end: new Date("2025-03-03T00:00:00Z"),
    ...overrides,
  };
}

/** Reads one Trino string literal back (the inverse of sqlStringLiteral); null if it is not one. */
function unquoteSql(literal: string): string | null {
  const m = /^'((?:[^']|'')*)'$/s.exec(literal);
  return m ? m[1].replace(/''/g, "'") : null;
}

/** Reads one Logs Insights double-quoted literal back; null if `text` is not exactly one. */
function unquoteInsights(text: string): string | null {
  if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) return null;
  let out = "";
  for (let i = 1; i < text.length - 1; i++) {
    const c = text[i];
    if (c === "\\") {
      const next = text[++i];
      if (next !== "\\" && next !== '"') return null;
      out += next;
    } else if (c === '"') {
      return null; // an unescaped quote would end the literal early
    } else {
      out += c;
    }
  }
  return out;
}

const keyArbitrary = fc
  .string({ unit: "binary", minLength: 1, maxLength: 60 })
  .filter((s) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s) && !s.endsWith("*"));

describe("who: query building", function () {
  describe("Athena statement", function () {
    it("is exactly this SQL for an exact key and a principal over two days, with bound parameters in order", function () {
      const statement = buildAthenaStatement(
        query({ key: { value: "patients/0042/scan-2025-02-27.dcm", match: "exact" }, principal: ROLE }),
        TABLE,
        { region: "ap-northeast-1", today: TODAY },
      );
      assert.equal(
        statement.sql,
        [
          "SELECT eventtime, eventid, eventname, awsregion,",
          "  json_format(CAST(useridentity AS JSON)) AS useridentity,",
          "  sourceipaddress, useragent, errorcode, errormessage,",
          "  json_extract_scalar(requestparameters, '$.bucketName') AS bucket,",
          "  json_extract_scalar(requestparameters, '$.key') AS object_key,",
          '  "$path" AS log_file',
          'FROM "audit_prd_audit"."cloudtrail_logs"',
          "WHERE \"timestamp\" IN ('2025/03/01', '2025/03/02', '2025/03/03')",
          "  AND region = 'ap-northeast-1'",
          "  AND eventsource = 's3.amazonaws.com'",
          "  AND eventcategory = 'Data'",
          "  AND json_extract_scalar(requestparameters, '$.bucketName') = ?",
          "  AND json_extract_scalar(requestparameters, '$.key') = ?",
          "  AND (useridentity.arn = ? OR useridentity.sessioncontext.sessionissuer.arn = ?)",
          "  AND eventtime >= ?",
          "  AND eventtime < ?",
          "ORDER BY eventtime, eventid",
        ].join("\n"),
      );
      assert.deepEqual(statement.parameters, [
        `'${DATA_BUCKET}'`,
        "'patients/0042/scan-2025-02-27.dcm'",
        `'${ROLE}'`,
        `'${ROLE}'`,
        "'2025-03-01T00:00:00Z'",
        "'2025-03-03T00:00:00Z'",
      ]);
      assert.deepEqual(statement.partitionDays, ["2025/03/01", "2025/03/02", "2025/03/03"]);
    });

    it("matches a key prefix with starts_with, and leaves out the key, principal and region predicates when not asked", function () {
      const prefix = buildAthenaStatement(query({ key: { value: "patients/0042/", match: "prefix" } }), TABLE, { today: TODAY });
      const where = prefix.sql.slice(prefix.sql.indexOf("WHERE"));
      assert.equal(
        where,
        [
          "WHERE \"timestamp\" IN ('2025/03/01', '2025/03/02', '2025/03/03')",
          "  AND eventsource = 's3.amazonaws.com'",
          "  AND eventcategory = 'Data'",
          "  AND json_extract_scalar(requestparameters, '$.bucketName') = ?",
          "  AND starts_with(json_extract_scalar(requestparameters, '$.key'), ?)",
          "  AND eventtime >= ?",
          "  AND eventtime < ?",
          "ORDER BY eventtime, eventid",
        ].join("\n"),
      );
      assert.deepEqual(prefix.parameters, [`'${DATA_BUCKET}'`, "'patients/0042/'", "'2025-03-01T00:00:00Z'", "'2025-03-03T00:00:00Z'"]);
      assert.equal(prefix.region, undefined);
      const bucketOnly = buildAthenaStatement(query(), TABLE, { today: TODAY });
      assert.doesNotMatch(bucketOnly.sql, /\$\.key'\) =|starts_with|useridentity\.arn =/);
      assert.equal(bucketOnly.parameters.length, 3);
    });

    it("puts one ? per parameter", function () {
      for (const q of [query(), query({ key: { value: "k", match: "exact" }, principal: ROLE }), query({ key: { value: "k", match: "prefix" } })]) {
        const s = buildAthenaStatement(q, TABLE, { today: TODAY });
        assert.equal((s.sql.match(/\?/g) ?? []).length, s.parameters.length);
      }
    });

    it("keeps a key holding quotes, semicolons and SQL one bound string literal; the statement text never changes with it", function () {
      const hostile = "x'; DROP TABLE cloudtrail_logs; --";
      const s = buildAthenaStatement(query({ key: { value: hostile, match: "exact" } }), TABLE, { today: TODAY });
      assert.equal(s.parameters[1], "'x''; DROP TABLE cloudtrail_logs; --'");
      assert.ok(!s.sql.includes("DROP"));
      const plain = buildAthenaStatement(query({ key: { value: "plain", match: "exact" } }), TABLE, { today: TODAY });
      assert.equal(s.sql, plain.sql);
    });

    it("round-trips any key through its parameter literal (property)", function () {
      const reference = (match: "exact" | "prefix") => buildAthenaStatement(query({ key: { value: "plain", match } }), TABLE, { today: TODAY }).sql;
      fc.assert(
        fc.property(keyArbitrary, fc.boolean(), (key, prefix) => {
          const match = prefix ? "prefix" : "exact";
          const s = buildAthenaStatement(query({ key: { value: key, match } }), TABLE, { today: TODAY });
          assert.equal(unquoteSql(s.parameters[1]), key);
          assert.equal(s.sql, reference(match), "the key never enters the statement text");
        }),
        { numRuns: 300 },
      );
    });

    it("refuses identifiers and regions that were not validated", function () {
      assert.throws(() => buildAthenaStatement(query(), { database: 'db"; DROP', table: "t" }), RangeError);
      assert.throws(() => buildAthenaStatement(query(), TABLE, { region: "eu-west-1' OR '1'='1" }), RangeError);
    });

    it("sqlStringLiteral doubles single quotes and leaves backslashes alone (Trino)", function () {
      assert.equal(sqlStringLiteral("o'brien\\x"), "'o''brien\\x'");
    });
  });

  describe("partition days", function () {
    it("lists every day of a multi-day period across a month end, plus the day after for late deliveries", function () {
      assert.deepEqual(partitionDays(new Date("2025-02-27T00:00:00Z"), new Date("2025-03-02T00:00:00Z")), [
        "2025/02/27",
        "2025/02/28",
        "2025/03/01",
        "2025/03/02",
      ]);
    });

    it("reads only the one day when the period ends more than the delivery margin before midnight", function () {
      assert.deepEqual(partitionDays(new Date("2025-03-01T10:00:00Z"), new Date("2025-03-01T12:00:00Z")), ["2025/03/01"]);
      assert.deepEqual(partitionDays(new Date("2025-03-01T10:00:00Z"), new Date("2025-03-01T23:30:00Z")), ["2025/03/01", "2025/03/02"]);
    });

    it("stops at today", function () {
      assert.deepEqual(partitionDays(new Date("2025-06-29T00:00:00Z"), new Date("2026-01-01T00:00:00Z"), TODAY), ["2025/06/29", "2025/06/30"]);
    });
  });

  describe("table projection and cost", function () {
    it("reads the projection start and regions from the recorded GetTableMetadata response", function () {
      const projection = projectionFromTableParameters(recorded("athena-get-table-metadata").TableMetadata.Parameters);
      assert.equal(projection.start?.toISOString(), "2025-01-01T00:00:00.000Z");
      assert.equal(projection.regions?.length, 17);
      assert.ok(projection.regions?.includes("ap-northeast-1"));
      assert.deepEqual(projectionFromTableParameters({ "projection.timestamp.range": "2025/13/01,NOW" }), {});
      assert.equal(DEFAULT_PROJECTION_START, "2025/01/01");
    });

    it("estimates 5 USD per TB with a 10 MB minimum", function () {
      assert.equal(estimateAthenaUsd(1024 ** 4), 5);
      assert.equal(estimateAthenaUsd(0), estimateAthenaUsd(10 * 1024 ** 2));
      assert.ok(Math.abs(estimateAthenaUsd(0) - (10 * 5) / 1024 ** 2) < 1e-12);
      assert.ok(estimateAthenaUsd(11 * 1024 ** 2) > estimateAthenaUsd(10 * 1024 ** 2));
    });
  });

  describe("Logs Insights query", function () {
    it("is exactly this query for an exact key and a principal", function () {
      assert.equal(
        buildInsightsQuery(query({ key: { value: 'notes "draft", v2.txt', match: "exact" }, principal: ROLE })),
        [
          "fields eventTime, eventID as eventId, eventName, awsRegion,",
          "  userIdentity.type as identityType, userIdentity.arn as principalArn, userIdentity.principalId as principalId,",
          "  userIdentity.accessKeyId as accessKeyId, userIdentity.invokedBy as invokedBy,",
          "  userIdentity.sessionContext.sessionIssuer.arn as roleArn,",
          "  userIdentity.sessionContext.attributes.mfaAuthenticated as mfaAuthenticated,",
          "  sourceIPAddress, userAgent, errorCode, errorMessage,",
          "  requestParameters.bucketName as bucket, requestParameters.key as objectKey",
          `| filter eventSource = "s3.amazonaws.com" and eventCategory = "Data" and requestParameters.bucketName = "${DATA_BUCKET}"`,
          '| filter requestParameters.key = "notes \\"draft\\", v2.txt"',
          `| filter userIdentity.arn = "${ROLE}" or userIdentity.sessionContext.sessionIssuer.arn = "${ROLE}"`,
          "| sort eventTime asc",
          "| limit 10000",
        ].join("\n"),
      );
    });

    it("matches a prefix with an anchored regex whose punctuation is escaped", function () {
      const q = buildInsightsQuery(query({ key: { value: "a/b.c(1)/", match: "prefix" } }));
      assert.ok(q.includes("| filter requestParameters.key like /^a\\/b\\.c\\(1\\)\\//\n"), q);
      assert.doesNotMatch(buildInsightsQuery(query()), /filter requestParameters\.key|userIdentity\.arn =/);
    });

    it("keeps any key one string literal, and any prefix a regex matching exactly that prefix (property)", function () {
      fc.assert(
        fc.property(keyArbitrary, fc.string({ unit: "binary", maxLength: 8 }), (key, other) => {
          const exact = buildInsightsQuery(query({ key: { value: key, match: "exact" } }));
          const line = exact.split("\n").find((l) => l.startsWith("| filter requestParameters.key = "))!;
          assert.equal(unquoteInsights(line.slice("| filter requestParameters.key = ".length)), key);
          assert.equal(exact.split("\n").length, 11, "the key cannot add a line");
          const regex = insightsPrefixRegex(key);
          const body = regex.slice(1, -1);
          assert.ok(!/(^|[^\\])(\\\\)*\//.test(body), "no unescaped / ends the regex early");
          const re = new RegExp(body);
          assert.ok(re.test(key + "/rest"));
          assert.ok(!re.test(key.slice(0, -1)));
          assert.equal(re.test(other), other.startsWith(key));
        }),
        { numRuns: 300 },
      );
    });

    it("asks StartQuery for [start, end) in whole seconds (endTime inclusive)", function () {
      assert.deepEqual(insightsTimeRange({ start: new Date("2025-06-20T00:00:00Z"), end: new Date("2025-06-27T00:00:00Z") }), {
        startTime: 1750377600,
        endTime: 1750982399,
      });
      const rounded = periodToSeconds(new Date("2025-06-20T00:00:00.700Z"), new Date("2025-06-27T00:00:00.200Z"));
      assert.equal(rounded.start.toISOString(), "2025-06-20T00:00:00.000Z");
      assert.equal(rounded.end.toISOString(), "2025-06-27T00:00:01.000Z");
    });
  });

  describe("input validation names the argument and what is allowed", function () {
    const rejects: Array<[string, () => unknown, RegExp]> = [
      ["a bucket with a quote and SQL", () => validateBucket("who", "data'; DROP TABLE x; --"), /--bucket "data'; DROP TABLE x; --" is not an S3 bucket name; allowed: 3-63/],
      ["a bucket with a semicolon", () => validateBucket("who", "data;bucket"), /--bucket "data;bucket" is not an S3 bucket name/],
      ["a bucket with a newline", () => validateBucket("who", "data\nbucket"), /--bucket "data\\nbucket" is not an S3 bucket name/],
      ["an overlong bucket", () => validateBucket("who", "b".repeat(256)), /--bucket "b{77}\.\.\." is not an S3 bucket name/],
      ["a principal with a quote", () => validatePrincipal("who", "arn:aws:iam::111122223333:role/x' OR '1'='1"), /--principal .* is not an IAM or STS principal ARN; allowed: arn:aws:iam::/],
      ["a principal with a semicolon", () => validatePrincipal("who", "arn:aws:iam::111122223333:role/a;b"), /--principal .* is not an IAM or STS principal ARN/],
      ["a principal with a newline", () => validatePrincipal("who", "arn:aws:iam::111122223333:role/a\nb"), /--principal "arn:aws:iam::111122223333:role\/a\\nb" is not/],
      ["an overlong principal", () => validatePrincipal("who", `arn:aws:iam::111122223333:role/${"r".repeat(2100)}`), /is not an IAM or STS principal ARN; .*at most 2048 characters/],
      ["a principal that is not IAM/STS", () => validatePrincipal("who", "arn:aws:s3:::bucket"), /--principal "arn:aws:s3:::bucket"/],
      ["a key with a newline", () => validateKey("who", "a\nb"), /--key "a\\nb" contains a control character/],
      ["a key with a NUL", () => validateKey("who", "a\u0000b"), /--key .* contains a control character/],
      ["a key with a carriage return", () => validateKey("who", "a\rb"), /contains a control character/],
      ["an overlong key", () => validateKey("who", "é".repeat(513)), /--key is 1026 bytes long, more than an S3 key can be; allowed: an S3 object key of 1-1024 UTF-8 bytes/],
      ["a key of only *", () => validateKey("who", "*"), /--key "\*" matches every object; leave --key out/],
      ["a database with a quote", () => validateGlueName("who", "--database", 'audit"; DROP TABLE x'), /--database "audit\\"; DROP TABLE x" is not an Athena database or table name; allowed: 1-255 letters, digits and _/],
      ["a table with a hyphen", () => validateGlueName("who", "--table", "cloudtrail-logs"), /--table "cloudtrail-logs" is not/],
      ["a workgroup with a space", () => validateWorkgroup("who", "--workgroup", "audit prd"), /--workgroup "audit prd" is not an Athena workgroup name/],
      ["a log group with a quote", () => validateLogGroup("who", "--log-group", '/aws/x"y'), /--log-group .* is not a CloudWatch Logs log group name/],
      ["a region that is not one", () => validateRegion("who", "--region", "Tokyo"), /--region "Tokyo" is not an AWS region name/],
    ];
    for (const [name, call, message] of rejects) {
      it(`rejects ${name}`, function () {
        assert.throws(call, (err: unknown) => err instanceof UsageError && message.test(err.message));
      });
    }

    it("accepts the legal shapes, including keys with quotes and semicolons, and the prefix form", function () {
      assert.equal(validateBucket("who", DATA_BUCKET), DATA_BUCKET);
      assert.equal(validateBucket("who", "Legacy_Bucket.2009"), "Legacy_Bucket.2009");
      assert.deepEqual(validateKey("who", "reports/o'brien;final.pdf"), { value: "reports/o'brien;final.pdf", match: "exact" });
      assert.deepEqual(validateKey("who", "patients/0042/*"), { value: "patients/0042/", match: "prefix" });
      assert.deepEqual(validateKey("who", "é".repeat(512)), { value: "é".repeat(512), match: "exact" });
      for (const arn of [
        ROLE,
        "arn:aws:sts::111122223333:assumed-role/PaymentOpsRole/alice@example.com",
        "arn:aws:iam::111122223333:user/ops/backup-agent",
        "arn:aws:iam::111122223333:root",
        "arn:aws-cn:iam::111122223333:role/x",
      ]) {
        assert.equal(validatePrincipal("who", arn), arn);
      }
    });
  });
});
