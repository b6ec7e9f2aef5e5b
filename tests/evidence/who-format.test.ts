import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { binaryString } from "../../testkit/fast-check-units";
import { ATHENA_COLUMNS } from "../../evidence/who/athena";
import { CSV_COLUMNS, csvField, formatCsv, formatJson, formatRowsTable, formatTable, type WhoReport } from "../../evidence/who/format";
import { athenaHeader, athenaRecord, rowFromAthena, type WhoRow } from "../../evidence/who/rows";
import { DATA_BUCKET, recorded } from "./fixtures-who/load";

/** RFC 4180 reader: records of fields, CRLF between records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") {
      quoted = true;
      i++;
    } else if (c === ",") {
      record.push(field);
      field = "";
      i++;
    } else if (c === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i += 2;
    } else {
      if (c === '"' || c === "\n" || c === "\r") throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
      field += c;
      i++;
    }
  }
  if (quoted) throw new Error("unterminated quote");
  if (field !== "" || record.length > 0) throw new Error("last record not terminated by CRLF");
  return records;
}

function recordedRows(): WhoRow[] {
  const pages = [1, 2, 3].map((n) => recorded(`athena-get-query-results-page-${n}`).ResultSet.Rows);
  const header = athenaHeader(pages[0][0], ATHENA_COLUMNS);
  return [...pages[0].slice(1), ...pages[1], ...pages[2]].map((r) => rowFromAthena(athenaRecord(header, r)));
}

function report(rows: WhoRow[]): WhoReport {
  return {
    query: {
      source: "athena",
      bucket: DATA_BUCKET,
      key: "patients/0042/",
      keyMatch: "prefix",
      principal: null,
      start: "2025-03-01T00:00:00Z",
      end: "2025-03-03T00:00:00Z",
      statement: "SELECT ...",
      workgroup: "audit-prd-audit",
      database: "audit_prd_audit",
      table: "cloudtrail_logs",
      account: "111122223333",
      region: "ap-northeast-1",
      partitionDays: ["2025/03/01", "2025/03/02", "2025/03/03"],
    },
    rows,
    stats: { rows: rows.length, bytesScanned: 48213377, estimatedUsd: 0.000219, queryExecutionId: "c5e2f0a4-9b1d-4c7e-8f3a-2d6b1e9a7c40" },
  };
}

describe("who: output formats", function () {
  describe("CSV (RFC 4180)", function () {
    it("quotes fields with commas, quotes and newlines, doubling the quotes", function () {
      assert.equal(csvField("plain"), "plain");
      assert.equal(csvField("a,b"), '"a,b"');
      assert.equal(csvField('say "hi"'), '"say ""hi"""');
      assert.equal(csvField("line1\nline2"), '"line1\nline2"');
      assert.equal(csvField("cr\r"), '"cr\r"');
      assert.equal(csvField(""), "");
    });

    it("writes a header row and one CRLF-terminated record per event that reads back to the same values", function () {
      const rows = recordedRows();
      rows[0].errorMessage = "first line\nsecond line";
      const csv = formatCsv(rows);
      assert.ok(
        csv.startsWith(
          "time,principal,role,identityType,accessKeyId,mfa,action,bucket,key,copySource,sourceIp,userAgent,result,errorCode,errorMessage,eventId,region,logFile,digest\r\n",
        ),
      );
      const parsed = parseCsv(csv);
      assert.deepEqual(parsed[0], [...CSV_COLUMNS]);
      assert.equal(parsed.length, 6);
      parsed.slice(1).forEach((record, i) =>
        assert.deepEqual(
          record,
          CSV_COLUMNS.map((c) => String(rows[i][c])),
        ),
      );
      assert.ok(csv.includes(',"patients/0042/notes ""draft"", v2.txt",'), "key with quotes and a comma");
      assert.ok(csv.includes(',"[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 '), "user agent with a comma");
      assert.ok(csv.includes(',"first line\nsecond line",'), "newline kept inside quotes");
    });

    it("reads back any values (property)", function () {
      const rows = recordedRows();
      fc.assert(
        fc.property(fc.array(binaryString({ maxLength: 20 }), { minLength: 3, maxLength: 3 }), ([a, b, c]) => {
          const row = { ...rows[0], principal: a, key: b, userAgent: c };
          const parsed = parseCsv(formatCsv([row]));
          assert.deepEqual(
            parsed[1],
            CSV_COLUMNS.map((col) => String(row[col])),
          );
        }),
        { numRuns: 200 },
      );
    });

    it("is only the header when there are no events", function () {
      assert.equal(formatCsv([]), `${CSV_COLUMNS.join(",")}\r\n`);
    });
  });

  describe("JSON", function () {
    it("is one object {query, rows, stats} on one line", function () {
      const rows = recordedRows();
      const text = formatJson(report(rows));
      assert.equal(text.split("\n").length, 2);
      assert.ok(text.endsWith("}\n"));
      const parsed = JSON.parse(text);
      assert.deepEqual(Object.keys(parsed), ["query", "rows", "stats"]);
      for (const name of ["source", "bucket", "key", "principal", "start", "end"]) assert.ok(name in parsed.query, name);
      assert.equal(parsed.query.principal, null);
      assert.deepEqual(parsed.stats, { rows: 5, bytesScanned: 48213377, estimatedUsd: 0.000219, queryExecutionId: "c5e2f0a4-9b1d-4c7e-8f3a-2d6b1e9a7c40" });
      assert.equal(parsed.rows.length, 5);
      assert.deepEqual(Object.keys(parsed.rows[0]).sort(), [...CSV_COLUMNS].sort());
      assert.deepEqual(parsed.rows[4], rows[4]);
    });
  });

  describe("table", function () {
    it("aligns every column under its title", function () {
      const rows = recordedRows();
      const lines = formatRowsTable(rows).trimEnd().split("\n");
      assert.equal(lines.length, 2 + rows.length);
      const titles = ["TIME (UTC)", "PRINCIPAL", "ROLE", "MFA", "ACTION", "KEY", "SOURCE IP", "USER AGENT", "RESULT", "EVENT ID", "LOG FILE", "DIGEST"];
      const starts = titles.map((t) => lines[0].indexOf(t));
      assert.ok(
        starts.every((s, i) => s >= 0 && (i === 0 || s > starts[i - 1])),
        "titles in order",
      );
      const dashes = [...lines[1].matchAll(/-+/g)].map((m) => m.index);
      assert.deepEqual(dashes, starts);
      rows.forEach((row, i) => {
        const line = lines[2 + i];
        assert.equal(line.indexOf(row.time), starts[0]);
        assert.equal(line.indexOf(row.principal, starts[1]), starts[1]);
        assert.equal(line.indexOf(row.mfa, starts[3]), starts[3]);
        assert.equal(line.indexOf(row.action, starts[4]), starts[4]);
        assert.equal(line.indexOf(row.eventId, starts[9]), starts[9]);
        assert.equal(line.slice(starts[11]), "not checked");
      });
      assert.ok(lines[3].includes("AccessDenied: Access Denied"));
      assert.ok(lines[2].includes("20250301T0425Z_Qf3kL9xZ2mW8pT1v.json.gz") && !lines[2].includes("s3://"), "log file shown by name");
    });

    it("keeps one event on one line and says what was asked, from where, and the cost", function () {
      const rows = recordedRows();
      rows[1].errorMessage = "a\nb";
      rows[1].result = "AccessDenied: a\nb";
      const text = formatTable(report(rows));
      assert.ok(
        text.startsWith(
          `Who accessed s3://${DATA_BUCKET}/patients/0042/* (key prefix) from 2025-03-01T00:00:00Z to 2025-03-03T00:00:00Z (end exclusive)\nPrincipal: anyone\n`,
        ),
      );
      assert.match(
        text,
        /Source: Athena audit_prd_audit\.cloudtrail_logs \(workgroup audit-prd-audit\), partitions 2025\/03\/01\.\.2025\/03\/03, account 111122223333, region ap-northeast-1\n/,
      );
      assert.match(text, /AccessDenied: a\\nb/);
      assert.match(
        text,
        /\n5 event\(s\)\. Athena scanned 46\.0 MiB \(48213377 bytes\), estimated 0\.000219 USD at 5 USD\/TB \(10 MB minimum\)\. Query execution id: c5e2f0a4-9b1d-4c7e-8f3a-2d6b1e9a7c40\.\n$/,
      );
    });

    it("says so when there are no events", function () {
      const text = formatTable(report([]));
      assert.match(
        text,
        /No events: no S3 data event on s3:\/\/audit-backup-data-prd-111122223333-ap-northeast-1\/patients\/0042\/\* \(key prefix\) between 2025-03-01T00:00:00Z and 2025-03-03T00:00:00Z/,
      );
      assert.match(text, /\n0 event\(s\)\./);
      assert.doesNotMatch(text, /TIME \(UTC\)/);
    });
  });
});
