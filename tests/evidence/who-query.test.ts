import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { binaryString } from "../../testkit/fast-check-units";
import { UsageError } from "../../cli/args";
import {
  ATHENA_MAX_QUERY_BYTES,
  AthenaQueryTooLongError,
  buildAthenaStatement,
  DEFAULT_PROJECTION_START,
  partitionPrefixes,
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
import { buildInsightsQuery, insightsExactRegex, insightsPrefixRegex, insightsTimeRange } from "../../evidence/who/insights";
import { CLOUDTRAIL_PARTITION_KEYS, cloudTrailTableParameters } from "../../infra/components/audit-queries";
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

const keyArbitrary = binaryString({ minLength: 1, maxLength: 60 })
  // eslint-disable-next-line no-control-regex -- the arbitrary excludes the control characters validateKey rejects (tested below)
  .filter((s) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s) && !s.endsWith("*"));

describe("who: query building", function () {
  describe("Athena statement", function () {
    const ACCOUNT_ID = "111122223333";
    const opts = (extra: Partial<Parameters<typeof buildAthenaStatement>[2]> = {}) => ({ account: ACCOUNT_ID, today: TODAY, ...extra });

    it("is exactly this SQL for an exact key and a principal over two days, values inlined as literals", function () {
      const statement = buildAthenaStatement(
        query({ key: { value: "patients/0042/scan-2025-02-27.dcm", match: "exact" }, principal: ROLE }),
        TABLE,
        opts({ region: "ap-northeast-1" }),
      );
      const copySource = (decode: boolean) =>
        `regexp_replace(regexp_replace(${decode ? "try(url_decode(" : ""}json_extract_scalar(requestparameters, '$["x-amz-copy-source"]')${decode ? "))" : ""}, '^/', ''), '\\?versionId=.*$', '')`;
      const source = `'${DATA_BUCKET}/patients/0042/scan-2025-02-27.dcm'`;
      assert.equal(
        statement.sql,
        [
          "SELECT eventtime, eventid, eventname, awsregion,",
          "  json_format(CAST(useridentity AS JSON)) AS useridentity,",
          "  sourceipaddress, useragent, errorcode, errormessage,",
          "  json_extract_scalar(requestparameters, '$.bucketName') AS bucket,",
          "  json_extract_scalar(requestparameters, '$.key') AS object_key,",
          `  json_extract_scalar(requestparameters, '$["x-amz-copy-source"]') AS copy_source,`,
          '  "$path" AS log_file',
          'FROM "audit_prd_audit"."cloudtrail_logs"',
          "WHERE \"timestamp\" IN ('2025/03/01', '2025/03/02', '2025/03/03')",
          "  AND account = '111122223333'",
          "  AND region = 'ap-northeast-1'",
          "  AND eventsource = 's3.amazonaws.com'",
          "  AND eventcategory = 'Data'",
          "  AND eventtime >= '2025-03-01T00:00:00Z'",
          "  AND eventtime < '2025-03-03T00:00:00Z'",
          `  AND ((json_extract_scalar(requestparameters, '$.bucketName') = '${DATA_BUCKET}' AND (json_extract_scalar(requestparameters, '$.key') = 'patients/0042/scan-2025-02-27.dcm' OR eventname = 'DeleteObjects'))` +
            ` OR (eventname IN ('CopyObject', 'UploadPartCopy') AND (${copySource(false)} = ${source} OR ${copySource(true)} = ${source})))`,
          `  AND (useridentity.arn = '${ROLE}' OR useridentity.sessioncontext.sessionissuer.arn = '${ROLE}')`,
          "ORDER BY eventtime, eventid",
        ].join("\n"),
      );
      assert.deepEqual(statement.partitionDays, ["2025/03/01", "2025/03/02", "2025/03/03"]);
      assert.equal(statement.account, ACCOUNT_ID);
    });

    it("prunes partitions by static predicates only: the days, the account and (when known) the region", function () {
      const s = buildAthenaStatement(query({ key: { value: "patients/0042/", match: "prefix" } }), TABLE, opts({ account: "444455556666" }));
      const where = s.sql.slice(s.sql.indexOf("WHERE")).split("\n");
      assert.deepEqual(where.slice(0, 2), ["WHERE \"timestamp\" IN ('2025/03/01', '2025/03/02', '2025/03/03')", "  AND account = '444455556666'"]);
      assert.ok(!/region =/.test(s.sql), "no region predicate when the bucket's region is unknown: every projected region is read");
      // Partition columns appear nowhere else: no OR can widen the partitions read.
      const partitionMentions = s.sql.match(/"timestamp"|\baccount\b|\bregion\b/g) ?? [];
      assert.deepEqual(partitionMentions, ['"timestamp"', "account"]);
      assert.match(s.sql, /starts_with\(json_extract_scalar\(requestparameters, '\$\.key'\), 'patients\/0042\/'\)/);
    });

    it("without --key: every call on the bucket and every copy out of it", function () {
      const s = buildAthenaStatement(query(), TABLE, opts());
      assert.match(
        s.sql,
        new RegExp(
          `AND \\(json_extract_scalar\\(requestparameters, '\\$\\.bucketName'\\) = '${DATA_BUCKET}' OR \\(eventname IN \\('CopyObject', 'UploadPartCopy'\\)`,
        ),
      );
      assert.ok(
        s.sql.includes(
          `starts_with(regexp_replace(regexp_replace(json_extract_scalar(requestparameters, '$["x-amz-copy-source"]'), '^/', ''), '\\?versionId=.*$', ''), '${DATA_BUCKET}/')`,
        ),
      );
      assert.doesNotMatch(s.sql, /\$\.key'\) =|useridentity\.arn =|DeleteObjects/);
    });

    /** The statement with every string literal replaced by a placeholder, and the literals' values. */
    function skeleton(sql: string): { shape: string; literals: string[] } {
      const literals: string[] = [];
      let shape = "";
      for (let i = 0; i < sql.length; i++) {
        if (sql[i] !== "'") {
          shape += sql[i];
          continue;
        }
        let value = "";
        for (i++; i < sql.length; i++) {
          if (sql[i] === "'" && sql[i + 1] === "'") {
            value += "'";
            i++;
          } else if (sql[i] === "'") break;
          else value += sql[i];
        }
        assert.ok(i < sql.length, "every literal is closed");
        literals.push(value);
        shape += "?";
      }
      return { shape, literals };
    }

    it("keeps hostile keys and principals (quotes, backslashes, SQL, Unicode, 1,024 bytes, 2,048 characters) inside their literals", function () {
      const principal = `arn:aws:iam::111122223333:role/${"r".repeat(2048 - "arn:aws:iam::111122223333:role/".length)}`;
      const plain = skeleton(buildAthenaStatement(query({ key: { value: "plain", match: "exact" }, principal: ROLE }), TABLE, opts()).sql);
      for (const key of ["x'; DROP TABLE cloudtrail_logs; --", "back\\slash\\' OR '1'='1", "ключ/日本語/😀'", "'".repeat(1024), "é".repeat(512)]) {
        const s = buildAthenaStatement(query({ key: { value: key, match: "exact" }, principal }), TABLE, opts());
        const { shape, literals } = skeleton(s.sql);
        assert.equal(shape, plain.shape, `the statement's structure does not change with ${JSON.stringify(key.slice(0, 20))}`);
        assert.ok(literals.includes(key), "the key is one literal, read back exactly");
        assert.ok(literals.includes(`${DATA_BUCKET}/${key}`), "and the copy source");
        assert.ok(literals.includes(principal));
        assert.ok(Buffer.byteLength(s.sql) < ATHENA_MAX_QUERY_BYTES);
      }
    });

    it("round-trips any key through its literal, the structure never changing (property)", function () {
      const reference = (match: "exact" | "prefix") => skeleton(buildAthenaStatement(query({ key: { value: "plain", match } }), TABLE, opts()).sql).shape;
      fc.assert(
        fc.property(keyArbitrary, fc.boolean(), (key, prefix) => {
          const match = prefix ? "prefix" : "exact";
          const { shape, literals } = skeleton(buildAthenaStatement(query({ key: { value: key, match } }), TABLE, opts()).sql);
          assert.equal(shape, reference(match));
          assert.ok(literals.includes(key));
        }),
        { numRuns: 300 },
      );
    });

    it("sends no ExecutionParameters, so no value meets their 1,024-character limit", function () {
      const s = buildAthenaStatement(query({ key: { value: "k".repeat(1024), match: "exact" } }), TABLE, opts());
      assert.equal((s as unknown as { parameters?: unknown }).parameters, undefined);
      assert.ok(
        !s.sql.includes("?versionId") || s.sql.split("?").length === s.sql.split("\\?").length,
        "the only ? are escaped regex characters, not parameter markers",
      );
    });

    it("refuses identifiers, accounts and regions that were not validated, and statements over 262,144 bytes", function () {
      assert.throws(() => buildAthenaStatement(query(), { database: 'db"; DROP', table: "t" }, opts()), RangeError);
      assert.throws(() => buildAthenaStatement(query(), TABLE, opts({ region: "eu-west-1' OR '1'='1" })), RangeError);
      assert.throws(() => buildAthenaStatement(query(), TABLE, opts({ account: "1' OR '1'='1" })), RangeError);
      const lifetime = query({ start: new Date("2025-01-01T00:00:00Z"), end: new Date("2085-01-01T00:00:00Z") });
      assert.throws(() => buildAthenaStatement(lifetime, TABLE, opts({ today: new Date("2085-01-01T00:00:00Z") })), AthenaQueryTooLongError);
    });

    it("sqlStringLiteral doubles single quotes and leaves backslashes alone (Trino)", function () {
      assert.equal(sqlStringLiteral("o'brien\\x"), "'o''brien\\x'");
    });
  });

  describe("the table's projection (AWS's documented CloudTrail partition-projection table, plus the account)", function () {
    it("projects account (injected), region (enum) and day, in CloudTrail's organization key layout", function () {
      const params = cloudTrailTableParameters({
        logRoot: "s3://org-trail-logs/AWSLogs/o-a1b2c3d4e5",
        regions: ["eu-west-1", "us-east-1"],
        projectionStart: "2025/01/01",
        defaultAccount: "111122223333",
      }) as Record<string, string>;
      assert.equal(params["projection.enabled"], "true");
      assert.equal(params["projection.account.type"], "injected");
      assert.equal(params["projection.region.type"], "enum");
      assert.equal(params["projection.timestamp.type"], "date");
      assert.equal(params["projection.timestamp.format"], "yyyy/MM/dd");
      assert.equal(params["projection.timestamp.range"], "2025/01/01,NOW");
      assert.equal(params.read_restored_glacier_objects, "true");
      assert.deepEqual(
        CLOUDTRAIL_PARTITION_KEYS.map((k) => k.name),
        ["account", "region", "timestamp"],
      );
    });

    it("locates exactly the folders CloudTrail writes: AWSLogs/<o-id>/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/", function () {
      const template = "s3://org-trail-logs/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}";
      assert.deepEqual(partitionPrefixes(template, "444455556666", ["eu-west-1"], ["2025/03/01", "2025/03/02"]), {
        bucket: "org-trail-logs",
        prefixes: ["AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/eu-west-1/2025/03/01/", "AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/eu-west-1/2025/03/02/"],
      });
      // A real organization-trail log key (CloudTrail log file name format) falls under its day's prefix.
      const key = "AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/eu-west-1/2025/03/02/444455556666_CloudTrail_eu-west-1_20250302T0005Z_Ab12Cd34Ef56Gh78.json.gz";
      assert.ok(key.startsWith(partitionPrefixes(template, "444455556666", ["eu-west-1"], ["2025/03/02"])!.prefixes[0]));
      assert.equal(partitionPrefixes("s3://b/AWSLogs/${account}/CloudTrail/${region}", "1", ["r"], ["d"]), null, "a template without the day is not ours");
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
    /** The body of a `/.../` regex literal as a JS RegExp (Logs Insights: the same escapes). */
    const regexOf = (literal: string) => {
      assert.ok(literal.startsWith("/") && literal.endsWith("/"));
      const body = literal.slice(1, -1);
      assert.ok(!/(^|[^\\])(\\\\)*\//.test(body), "no unescaped / ends the regex early");
      return new RegExp(body);
    };

    it("is exactly this query for an exact key and a principal: the key only as an anchored, escaped regex", function () {
      const key = 'notes "draft", v2.txt';
      const q = buildInsightsQuery(query({ key: { value: key, match: "exact" }, principal: ROLE }));
      const lines = q.split("\n");
      assert.deepEqual(lines.slice(0, 8), [
        "fields eventTime, eventID as eventId, eventName, awsRegion,",
        "  userIdentity.type as identityType, userIdentity.arn as principalArn, userIdentity.principalId as principalId,",
        "  userIdentity.accessKeyId as accessKeyId, userIdentity.invokedBy as invokedBy,",
        "  userIdentity.sessionContext.sessionIssuer.arn as roleArn,",
        "  userIdentity.sessionContext.attributes.mfaAuthenticated as mfaAuthenticated,",
        "  sourceIPAddress, userAgent, errorCode, errorMessage,",
        "  requestParameters.bucketName as bucket, requestParameters.key as objectKey, `requestParameters.x-amz-copy-source` as copySource",
        '| filter eventSource = "s3.amazonaws.com" and eventCategory = "Data"',
      ]);
      assert.equal(
        lines[8],
        `| filter (requestParameters.bucketName = "${DATA_BUCKET}" and (requestParameters.key like ${insightsExactRegex(key)} or eventName = "DeleteObjects"))` +
          ` or (eventName in ["CopyObject", "UploadPartCopy"] and (\`requestParameters.x-amz-copy-source\` like /^\\/?${DATA_BUCKET.replace(/-/g, "\\-")}\\/notes \\"draft\\"\\, v2\\.txt(\\?versionId=.*)?$/` +
          ` or \`requestParameters.x-amz-copy-source\` like /^\\/?${DATA_BUCKET.replace(/-/g, "\\-")}\\/notes\\%20\\%22draft\\%22\\%2C\\%20v2\\.txt(\\?versionId=.*)?$/))`,
      );
      assert.equal(lines[9], `| filter userIdentity.arn = "${ROLE}" or userIdentity.sessionContext.sessionIssuer.arn = "${ROLE}"`);
      assert.deepEqual(lines.slice(10), ["| sort eventTime asc", "| limit 10000"]);
      assert.ok(!q.includes(`"${key}"`) && !q.includes('key = "'), "the key is never a string literal");
    });

    it("matches a prefix with an anchored regex whose punctuation is escaped", function () {
      const q = buildInsightsQuery(query({ key: { value: "a/b.c(1)/", match: "prefix" } }));
      assert.ok(q.includes("requestParameters.key like /^a\\/b\\.c\\(1\\)\\// or"), q);
      assert.doesNotMatch(buildInsightsQuery(query()), /requestParameters\.key like|userIdentity\.arn =/);
    });

    it("exact-key and prefix regexes match exactly what they should, for any key (property)", function () {
      fc.assert(
        fc.property(keyArbitrary, binaryString({ maxLength: 8 }), (key, other) => {
          const exact = regexOf(insightsExactRegex(key));
          assert.ok(exact.test(key));
          assert.ok(!exact.test(key + "x") && !exact.test("x" + key));
          assert.equal(exact.test(other), other === key);
          const prefix = regexOf(insightsPrefixRegex(key));
          assert.ok(prefix.test(key + "/rest"));
          assert.ok(!prefix.test(key.slice(0, -1)));
          assert.equal(prefix.test(other), other.startsWith(key));
          const q = buildInsightsQuery(query({ key: { value: key, match: "exact" } }));
          assert.equal(q.split("\n").length, 11, "the key cannot add a line");
        }),
        { numRuns: 300 },
      );
    });

    it("matches CopyObject by its recorded source in every form S3 records it, and nothing else", function () {
      const key = "reports/o'brien+final 2025.pdf";
      const line = buildInsightsQuery(query({ key: { value: key, match: "exact" } })).split("\n")[8];
      const sources = [...line.matchAll(/`requestParameters\.x-amz-copy-source` like (\/\^.*?\$\/)/g)].map((m) => regexOf(m[1]));
      assert.equal(sources.length, 2);
      const matches = (value: string) => sources.some((r) => r.test(value));
      assert.ok(matches(`${DATA_BUCKET}/${key}`), "bucket/key (the Stratus Red Team record's form)");
      assert.ok(matches(`/${DATA_BUCKET}/${key}`), "/bucket/key");
      assert.ok(matches(`${DATA_BUCKET}/${key.split("/").map(encodeURIComponent).join("/")}`), "URL-encoded by an SDK");
      assert.ok(matches(`${DATA_BUCKET}/${key}?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY`), "with a version id");
      assert.ok(!matches(`${DATA_BUCKET}/${key}.bak`) && !matches(`other-bucket/${key}`) && !matches(`x${DATA_BUCKET}/${key}`));
    });

    it("asks StartQuery for [start, end) in whole seconds (endTime inclusive)", function () {
      assert.deepEqual(insightsTimeRange(new Date("2025-06-20T00:00:00Z"), new Date("2025-06-27T00:00:00Z")), {
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
      [
        "a bucket with a quote and SQL",
        () => validateBucket("who", "data'; DROP TABLE x; --"),
        /--bucket "data'; DROP TABLE x; --" is not an S3 bucket name; allowed: 3-63/,
      ],
      ["a bucket with a semicolon", () => validateBucket("who", "data;bucket"), /--bucket "data;bucket" is not an S3 bucket name/],
      ["a bucket with a newline", () => validateBucket("who", "data\nbucket"), /--bucket "data\\nbucket" is not an S3 bucket name/],
      ["an overlong bucket", () => validateBucket("who", "b".repeat(256)), /--bucket "b{77}\.\.\." is not an S3 bucket name/],
      [
        "a principal with a quote",
        () => validatePrincipal("who", "arn:aws:iam::111122223333:role/x' OR '1'='1"),
        /--principal .* is not an IAM or STS principal ARN; allowed: arn:aws:iam::/,
      ],
      [
        "a principal with a semicolon",
        () => validatePrincipal("who", "arn:aws:iam::111122223333:role/a;b"),
        /--principal .* is not an IAM or STS principal ARN/,
      ],
      [
        "a principal with a newline",
        () => validatePrincipal("who", "arn:aws:iam::111122223333:role/a\nb"),
        /--principal "arn:aws:iam::111122223333:role\/a\\nb" is not/,
      ],
      [
        "an overlong principal",
        () => validatePrincipal("who", `arn:aws:iam::111122223333:role/${"r".repeat(2100)}`),
        /is not an IAM or STS principal ARN; .*at most 2048 characters/,
      ],
      ["a principal that is not IAM/STS", () => validatePrincipal("who", "arn:aws:s3:::bucket"), /--principal "arn:aws:s3:::bucket"/],
      ["a key with a newline", () => validateKey("who", "a\nb"), /--key "a\\nb" contains a control character/],
      ["a key with a NUL", () => validateKey("who", "a\u0000b"), /--key .* contains a control character/],
      ["a key with a carriage return", () => validateKey("who", "a\rb"), /contains a control character/],
      [
        "an overlong key",
        () => validateKey("who", "é".repeat(513)),
        /--key is 1026 bytes long, more than an S3 key can be; allowed: an S3 object key of 1-1024 UTF-8 bytes/,
      ],
      ["a key of only *", () => validateKey("who", "*"), /--key "\*" matches every object; leave --key out/],
      [
        "a database with a quote",
        () => validateGlueName("who", "--database", 'audit"; DROP TABLE x'),
        /--database "audit\\"; DROP TABLE x" is not an Athena database or table name; allowed: 1-255 letters, digits and _/,
      ],
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
