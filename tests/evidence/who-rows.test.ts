import * as assert from "node:assert/strict";
import { ATHENA_COLUMNS } from "../../evidence/who/athena";
import {
  athenaHeader,
  athenaRecord,
  identityFromJson,
  mfaOf,
  resultOf,
  ResultShapeError,
  rowFromAthena,
  rowFromInsights,
  utcTime,
} from "../../evidence/who/rows";
import { ACCOUNT, DATA_BUCKET, LOG_BUCKET, recorded } from "./fixtures-who/load";

function page(n: number) {
  return recorded(`athena-get-query-results-page-${n}`).ResultSet.Rows;
}

describe("who: row mapping", function () {
  describe("from Athena ResultSet rows", function () {
    const header = athenaHeader(page(1)[0], ATHENA_COLUMNS);

    it("takes the column names from the header row", function () {
      assert.deepEqual(header, [...ATHENA_COLUMNS]);
      assert.throws(
        () => athenaHeader({ Data: [{ VarCharValue: "eventtime" }, { VarCharValue: "eventname" }] }, ATHENA_COLUMNS),
        (err: unknown) => err instanceof ResultShapeError && /missing column\(s\): eventid, awsregion, useridentity/.test(err.message),
      );
    });

    it("reads a Datum without VarCharValue as null", function () {
      const record = athenaRecord(header, page(1)[1]);
      assert.equal(record.errorcode, null);
      assert.equal(record.errormessage, null);
      assert.equal(record.eventname, "GetObject");
      const short = athenaRecord(["a", "b"], { Data: [{ VarCharValue: "x" }] });
      assert.deepEqual(short, { a: "x", b: null });
    });

    it("maps an assumed-role session with MFA (identity as a JSON string) to every A1-A6 field", function () {
      const row = rowFromAthena(athenaRecord(header, page(1)[1]));
      assert.deepEqual(row, {
        time: "2025-03-01T04:21:09Z",
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/PaymentOpsRole/alice`,
        role: `arn:aws:iam::${ACCOUNT}:role/PaymentOpsRole`,
        identityType: "AssumedRole",
        accessKeyId: "ASIA3XFRBF23QWERTY12",
        mfa: "yes",
        action: "GetObject",
        bucket: DATA_BUCKET,
        key: "patients/0042/scan-2025-02-27.dcm",
        copySource: "",
        sourceIp: "203.0.113.42",
        userAgent:
          "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.79-99.167.amzn2023.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2023 md/prompt#off md/command#s3.cp",
        result: "success",
        errorCode: "",
        errorMessage: "",
        eventId: "3f1c2a9e-7b4d-4e21-9a6f-0c8d5b2e1f47",
        region: "ap-northeast-1",
        logFile: `s3://${LOG_BUCKET}/AWSLogs/${ACCOUNT}/CloudTrail/ap-northeast-1/2025/03/01/${ACCOUNT}_CloudTrail_ap-northeast-1_20250301T0425Z_Qf3kL9xZ2mW8pT1v.json.gz`,
        digest: "not checked",
      });
    });

    it("maps a denied request without MFA to errorCode + errorMessage", function () {
      const row = rowFromAthena(athenaRecord(header, page(1)[2]));
      assert.equal(row.mfa, "no");
      assert.equal(row.result, "AccessDenied: Access Denied");
      assert.equal(row.errorCode, "AccessDenied");
      assert.equal(row.role, `arn:aws:iam::${ACCOUNT}:role/SupportRole`);
    });

    it("maps an IAM user (no session context: MFA unknown, no role) and an AWS service (principal = invokedBy)", function () {
      const user = rowFromAthena(athenaRecord(header, page(2)[0]));
      assert.equal(user.principal, `arn:aws:iam::${ACCOUNT}:user/backup-agent`);
      assert.equal(user.role, "");
      assert.equal(user.mfa, "unknown");
      assert.equal(user.identityType, "IAMUser");
      assert.equal(user.accessKeyId, "AKIA3XFRBF23BACKUP99");
      assert.equal(user.action, "PutObject");
      const service = rowFromAthena(athenaRecord(header, page(2)[1]));
      assert.equal(service.principal, "backup.amazonaws.com");
      assert.equal(service.identityType, "AWSService");
      assert.equal(service.mfa, "unknown");
    });

    it("keeps a key with quotes and a comma, and the log file of a late delivery in the next day's folder", function () {
      const row = rowFromAthena(athenaRecord(header, page(3)[0]));
      assert.equal(row.key, 'patients/0042/notes "draft", v2.txt');
      assert.equal(row.result, "NoSuchKey: The specified key does not exist.");
      assert.match(row.logFile, /\/CloudTrail\/ap-northeast-1\/2025\/03\/03\/.*_20250303T0003Z_/);
      assert.equal(row.time, "2025-03-02T23:58:40Z");
    });

    it("reads the identity in the older ROW-as-JSON-array form by the struct's field order", function () {
      const record = athenaRecord(header, page(1)[1]);
      const asArray = JSON.stringify([
        "AssumedRole",
        "AROA3XFRBF23EXAMPLE1:alice",
        `arn:aws:sts::${ACCOUNT}:assumed-role/PaymentOpsRole/alice`,
        ACCOUNT,
        null,
        "ASIA3XFRBF23QWERTY12",
        null,
        null,
        [
          ["true", "2025-03-01T04:02:17Z"],
          ["Role", "AROA3XFRBF23EXAMPLE1", `arn:aws:iam::${ACCOUNT}:role/PaymentOpsRole`, ACCOUNT, "PaymentOpsRole"],
          null,
          null,
          null,
        ],
      ]);
      assert.deepEqual(rowFromAthena({ ...record, useridentity: asArray }), rowFromAthena(record));
      const user = JSON.stringify([
        "IAMUser",
        "AIDA3XFRBF23BACKUP01",
        `arn:aws:iam::${ACCOUNT}:user/backup-agent`,
        ACCOUNT,
        null,
        "AKIA3XFRBF23BACKUP99",
        "backup-agent",
        null,
        null,
      ]);
      const mapped = rowFromAthena({ ...record, useridentity: user });
      assert.deepEqual(
        [mapped.principal, mapped.role, mapped.mfa, mapped.accessKeyId],
        [`arn:aws:iam::${ACCOUNT}:user/backup-agent`, "", "unknown", "AKIA3XFRBF23BACKUP99"],
      );
    });

    it("survives a missing or malformed identity and a missing log file path", function () {
      const record = athenaRecord(header, page(1)[1]);
      const row = rowFromAthena({ ...record, useridentity: null, log_file: null });
      assert.equal(row.principal, "unknown");
      assert.equal(row.mfa, "unknown");
      assert.equal(row.logFile, "unknown");
      assert.equal(identityFromJson("{not json").principalArn, "");
      assert.equal(identityFromJson('{"Type":"AssumedRole","SessionContext":{"Attributes":{"MfaAuthenticated":"true"}}}').mfaAuthenticated, "true");
    });
  });

  describe("from Logs Insights results", function () {
    const results = recorded("insights-get-query-results-complete").results;

    it("maps field/value pairs, ignoring @ptr, with the log file not available", function () {
      const row = rowFromInsights(results[0]);
      assert.equal(row.time, "2025-06-20T08:15:02Z");
      assert.equal(row.principal, `arn:aws:sts::${ACCOUNT}:assumed-role/PaymentOpsRole/alice`);
      assert.equal(row.role, `arn:aws:iam::${ACCOUNT}:role/PaymentOpsRole`);
      assert.equal(row.mfa, "yes");
      assert.equal(row.action, "GetObject");
      assert.equal(row.bucket, DATA_BUCKET);
      assert.equal(row.key, "patients/0042/scan-2025-06-19.dcm");
      assert.equal(row.sourceIp, "203.0.113.42");
      assert.equal(row.eventId, "0b4e7c2a-91d3-4f6a-8e25-7d1c9b3a6f10");
      assert.equal(row.result, "success");
      assert.equal(row.logFile, "n/a (CloudWatch Logs)");
      assert.equal(row.digest, "not checked");
      assert.ok(!Object.values(row).some((v) => String(v).startsWith("CnQK")), "the @ptr value is not mapped anywhere");
    });

    it("maps MFA false to no, an absent MFA field to unknown, and errors to the result", function () {
      const denied = rowFromInsights(results[1]);
      assert.equal(denied.mfa, "no");
      assert.equal(denied.result, "AccessDenied: Access Denied");
      const user = rowFromInsights(results[2]);
      assert.equal(user.mfa, "unknown");
      assert.equal(user.role, "");
      assert.equal(user.principal, `arn:aws:iam::${ACCOUNT}:user/backup-agent`);
    });
  });

  describe("field helpers", function () {
    it("MFA yes/no/unknown", function () {
      assert.deepEqual(["true", "TRUE", "1", "false", "0", "", "maybe", null].map(mfaOf), ["yes", "yes", "yes", "no", "no", "unknown", "unknown", "unknown"]);
    });

    it("result from errorCode and errorMessage", function () {
      assert.equal(resultOf("", ""), "success");
      assert.equal(resultOf("AccessDenied", ""), "AccessDenied");
      assert.equal(resultOf("AccessDenied", "Access Denied"), "AccessDenied: Access Denied");
      assert.equal(resultOf("", "Something odd"), "error: Something odd");
    });

    it("times in UTC with Z, converting offsets", function () {
      assert.equal(utcTime("2025-03-01T13:21:09+09:00"), "2025-03-01T04:21:09Z");
      assert.equal(utcTime("2025-03-01T04:21:09.250Z"), "2025-03-01T04:21:09.250Z");
      assert.equal(utcTime("garbage"), "garbage");
    });
  });
});
