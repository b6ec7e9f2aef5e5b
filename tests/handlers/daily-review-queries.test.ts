import * as assert from "node:assert/strict";
import {
  failedAccessQuery,
  insightsString,
  nonRoutineOperationsQuery,
  PLACEHOLDER_BUCKET,
  PLACEHOLDER_OBJECT_KEY,
  PLACEHOLDER_PRINCIPAL_ARN,
  principalActivityQuery,
  savedQueryDefinitions,
  whoAccessedObjectQuery,
} from "../../cloudtrail/queries";

describe("daily review (E7): Logs Insights queries for the 5W1H questions", function () {
  it("escapes values so a key cannot break out of the string literal", function () {
    assert.equal(insightsString('a"b\\c'), '"a\\"b\\\\c"');
    const query = whoAccessedObjectQuery("backup-data", 'patients/"x".csv');
    assert.match(query, /requestParameters\.key = "patients\/\\"x\\"\.csv"/);
    assert.match(query, /eventSource = "s3.amazonaws.com" and requestParameters.bucketName = "backup-data"/);
  });

  it("selects write events with the numeric readOnly Logs Insights produces, never `= false`", function () {
    const query = nonRoutineOperationsQuery([]);
    assert.match(query, /filter readOnly = 0 and userIdentity.type != "AWSService"/);
    assert.doesNotMatch(query, /readOnly = false/);
    assert.doesNotMatch(query, /not in/, "no exclusion line when there is no deployer role");
    assert.match(
      query,
      /stats count\(\*\) as calls, earliest\(eventTime\) as firstSeen, latest\(eventTime\) as lastSeen by principalArn, eventSource, eventName/,
    );
  });

  it("excludes every deployer role by the session issuer's role ARN", function () {
    const query = nonRoutineOperationsQuery(["arn:aws:iam::111111111111:role/a", "arn:aws:iam::111111111111:role/b"]);
    assert.match(query, /^fields coalesce\(userIdentity.sessionContext.sessionIssuer.arn, userIdentity.arn/);
    assert.match(query, /\| filter principalArn not in \["arn:aws:iam::111111111111:role\/a", "arn:aws:iam::111111111111:role\/b"\]/);
  });

  it("answers 'what did principal Y do' for the role and its sessions", function () {
    const query = principalActivityQuery("arn:aws:iam::111111111111:role/ops");
    assert.match(
      query,
      /filter userIdentity.arn = "arn:aws:iam::111111111111:role\/ops" or userIdentity.sessionContext.sessionIssuer.arn = "arn:aws:iam::111111111111:role\/ops"/,
    );
  });

  it("counts failed accesses including failed console sign-ins", function () {
    const query = failedAccessQuery();
    assert.match(query, /errorCode like \/AccessDenied\|Unauthorized\|Forbidden\|NotAuthorized\//);
    assert.match(query, /responseElements.ConsoleLogin = "Failure"/);
  });

  it("exports saved query definitions with placeholders for infra", function () {
    const saved = savedQueryDefinitions(["arn:aws:iam::111111111111:role/deployer"]);
    assert.deepEqual(
      saved.map((q) => q.name),
      ["audit-trail/who-accessed-object", "audit-trail/principal-activity", "audit-trail/failed-access", "audit-trail/non-routine-operations"],
    );
    assert.ok(saved[0].queryString.includes(PLACEHOLDER_BUCKET) && saved[0].queryString.includes(PLACEHOLDER_OBJECT_KEY));
    assert.ok(saved[1].queryString.includes(PLACEHOLDER_PRINCIPAL_ARN));
    assert.ok(saved[3].queryString.includes('not in ["arn:aws:iam::111111111111:role/deployer"]'));
    for (const q of saved) assert.ok(q.description.length > 20 && q.queryString.includes("limit"), q.name);
  });
});
