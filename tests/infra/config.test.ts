// Config validation (issue 2): each bad value fails with the key, the value and what is allowed.
import { strict as assert } from "assert";
import { ConfigError, parseProfile, RawConfig } from "../../infra/config/profile";

function problemsOf(stack: string, raw: RawConfig, region?: string): string[] {
  try {
    parseProfile(stack, raw, region);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.match(e.message, new RegExp(`Invalid configuration for stack "${stack}" \\(Pulumi\\.${stack}\\.yaml\\)`));
    return e.problems;
  }
  assert.fail("expected a ConfigError");
}

function expectProblem(stack: string, raw: RawConfig, expected: RegExp, region?: string): void {
  const problems = problemsOf(stack, raw, region);
  assert.ok(problems.some((p) => expected.test(p)), `no problem matches ${expected}; got:\n${problems.join("\n")}`);
}

describe("environment profile", () => {
  describe("defaults per environment (001 section 3)", () => {
    it("dev: short GOVERNANCE retention, advisory, nothing protected", () => {
      const p = parseProfile("dev", {});
      assert.deepEqual(p.retention, { mode: "GOVERNANCE", days: 1 });
      assert.equal(p.protectEvidence, false);
      assert.equal(p.slackChannel, "bs-notification-dev");
      assert.equal(p.region, "ap-northeast-1");
    });
    it("dev2: COMPLIANCE 365 days, staging channel, protected", () => {
      const p = parseProfile("dev2", {});
      assert.deepEqual(p.retention, { mode: "COMPLIANCE", days: 365 });
      assert.equal(p.logGroupRetentionDays, 365);
      assert.equal(p.slackChannel, "bs-notification-stg");
      assert.equal(p.protectEvidence, true);
    });
    it("prd: COMPLIANCE 365 days, protected, E4 lifecycle 90/180", () => {
      const p = parseProfile("prd", {});
      assert.deepEqual(p.retention, { mode: "COMPLIANCE", days: 365 });
      assert.deepEqual(p.lifecycle, { glacierIrAfterDays: 90, deepArchiveAfterDays: 180 });
      assert.equal(p.protectEvidence, true);
    });
    it("a stack with another name takes the rules of its declared environment", () => {
      const p = parseProfile("prd-tokyo", { environment: "prd" });
      assert.equal(p.environment, "prd");
      assert.equal(p.stack, "prd-tokyo");
    });
    it("accepts numbers and booleans as YAML gives them, and lists as JSON strings as the engine gives them", () => {
      const p = parseProfile("prd", {
        retentionDays: 730,
        createDataBucket: "false",
        existingDataBuckets: '["medical-a","medical-b"]',
        deployerRoleArns: ["arn:aws:iam::123456789012:role/pulumi-deployer"],
      });
      assert.equal(p.retention.days, 730);
      assert.equal(p.createDataBucket, false);
      assert.deepEqual(p.existingDataBuckets, ["medical-a", "medical-b"]);
      assert.deepEqual(p.deployerRoleArns, ["arn:aws:iam::123456789012:role/pulumi-deployer"]);
    });
  });

  describe("errors name the key, the value and what is allowed", () => {
    it("retention below 365 days in prd and dev2 (M5)", () => {
      expectProblem("prd", { retentionDays: "30" }, /^retentionDays: 30 is below the 365 days prd requires \(M5\)$/);
      expectProblem("dev2", { retentionDays: 364 }, /^retentionDays: 364 is below the 365 days dev2 requires/);
    });
    it("GOVERNANCE mode where COMPLIANCE is mandatory (M2)", () => {
      expectProblem("prd", { retentionMode: "GOVERNANCE" }, /^retentionMode: GOVERNANCE is not allowed in prd: M2 requires COMPLIANCE$/);
    });
    it("an unknown lock mode", () => {
      expectProblem("dev", { retentionMode: "compliance" }, /^retentionMode: "compliance" is not a lock mode \(allowed: COMPLIANCE, GOVERNANCE\)$/);
    });
    it("days that are not a whole number, or out of range", () => {
      expectProblem("dev", { retentionDays: "1.5" }, /^retentionDays: "1.5" is not a whole number of days \(allowed: 1 to 36500\)$/);
      expectProblem("dev", { retentionDays: "0" }, /^retentionDays: 0 is outside the allowed range 1 to 36500$/);
      expectProblem("dev", { retentionDays: "a year" }, /^retentionDays: "a year" is not a whole number/);
    });
    it("a log group retention CloudWatch Logs does not accept, or below M5 in prd", () => {
      expectProblem("prd", { logGroupRetentionDays: "366" }, /^logGroupRetentionDays: 366 is not a value CloudWatch Logs accepts \(allowed: 1, 3, 5/);
      expectProblem("prd", { logGroupRetentionDays: "180" }, /^logGroupRetentionDays: 180 is below the 365 days prd requires \(M5\)$/);
    });
    it("access logs kept less than a year in prd", () => {
      expectProblem("prd", { accessLogRetentionDays: "90" }, /^accessLogRetentionDays: 90 is below the 365 days prd requires/);
    });
    it("a lifecycle that S3 would reject", () => {
      expectProblem("prd", { glacierIrAfterDays: "90", deepArchiveAfterDays: "120" }, /^deepArchiveAfterDays: 120 must be at least glacierIrAfterDays \+ 90 \(180\)/);
    });
    it("the wrong Slack channel for the environment (001)", () => {
      expectProblem("prd", { slackChannel: "bs-notification-dev" }, /^slackChannel: "bs-notification-dev" is not the channel of prd \(001 names bs-notification-prd\)$/);
    });
    it("an unknown environment, and a stack not named after one", () => {
      expectProblem("staging", {}, /^environment: "staging" is not an environment \(allowed: dev, dev2, prd/);
    });
    it("an unknown key (a typo must not fall back to a default)", () => {
      expectProblem("prd", { retentionDay: "365" }, /^retentionDay: unknown key \(allowed: .*retentionDays/);
    });
    it("role ARNs and bucket names that are not", () => {
      expectProblem("prd", { auditorRoleArns: '["arn:aws:iam::123:role/x"]' }, /^auditorRoleArns: "arn:aws:iam::123:role\/x" is not an IAM role ARN/);
      expectProblem("prd", { existingDataBuckets: '["Medical_Backups"]' }, /^existingDataBuckets: "Medical_Backups" is not an S3 bucket name$/);
      expectProblem("prd", { deployerRoleArns: "not-json" }, /^deployerRoleArns: "not-json" is not a list/);
    });
    it("no data bucket at all (the trail would record no data events, E2)", () => {
      expectProblem("prd", { createDataBucket: "false" }, /^existingDataBuckets: empty while createDataBucket is false/);
    });
    it("an organisation trail without an organisation id (E15)", () => {
      expectProblem("prd", { organizationTrail: "true" }, /^organizationId: missing; organizationTrail: true needs the id/);
      expectProblem("prd", { organizationTrail: "true", organizationId: "org-1" }, /^organizationId: "org-1" is not an organization id/);
    });
    it("a boolean that is not", () => {
      expectProblem("prd", { createDataBucket: "yes" }, /^createDataBucket: "yes" is not a boolean \(allowed: true, false\)$/);
    });
    it("a region name that is not", () => {
      expectProblem("prd", {}, /^aws:region: "tokyo" is not an AWS region name$/, "tokyo");
    });
    it("a name prefix that would make invalid bucket names", () => {
      expectProblem("prd", { namePrefix: "Audit_Logs" }, /^namePrefix: "Audit_Logs" is not allowed/);
    });
    it("chatbot delivery without the Slack ids, or an unknown delivery", () => {
      expectProblem("prd", { slackDelivery: "chatbot" }, /^chatbotSlackTeamId: missing; slackDelivery: chatbot needs it/);
      expectProblem("prd", { slackDelivery: "chatbot", chatbotSlackTeamId: "T0123ABCD", chatbotSlackChannelId: "#general" }, /^chatbotSlackChannelId: "#general" is not a Slack id/);
      expectProblem("prd", { slackDelivery: "teams" }, /^slackDelivery: "teams" is not a delivery \(allowed: webhook, chatbot\)$/);
    });
    it("alert e-mail addresses that are not, and burst periods CloudWatch would refuse", () => {
      expectProblem("prd", { alertEmailAddresses: '["soc-at-example.org"]' }, /^alertEmailAddresses: "soc-at-example.org" is not an email address$/);
      expectProblem("prd", { burstPeriodSeconds: "90" }, /^burstPeriodSeconds: 90 is not a multiple of 60/);
      expectProblem("prd", { authFailureThreshold: "0" }, /^authFailureThreshold: 0 is outside the allowed range 1 to 100000$/);
    });
    it("posture services default on in dev2/prd and off in dev, each switchable", () => {
      assert.deepEqual(parseProfile("prd", {}).posture, { config: true, guardDuty: true, securityHub: true, inspector: true, accessAnalyzer: true });
      assert.deepEqual(parseProfile("dev", {}).posture, { config: false, guardDuty: false, securityHub: false, inspector: false, accessAnalyzer: false });
      assert.equal(parseProfile("prd", { enableGuardDuty: "false" }).posture.guardDuty, false);
      expectProblem("prd", { enableInspector: "off" }, /^enableInspector: "off" is not a boolean/);
    });
    it("never echoes the Slack webhook secret, even among other errors", () => {
      const problems = problemsOf("prd", { slackWebhookUrl: "https://hooks.slack.com/services/SECRET", retentionDays: "1" });
      assert.ok(!problems.join("\n").includes("SECRET"));
    });
    it("a name prefix too long for the longest bucket name of the stack and region", () => {
      expectProblem("prd", { namePrefix: "auditestateprodx" }, /^namePrefix: "auditestateprodx" makes bucket names of 64 characters with stack "prd" in ap-northeast-1 \(S3 allows 63\): at most 15 characters here$/);
      assert.equal(parseProfile("prd", { namePrefix: "auditestateprod" }).namePrefix, "auditestateprod");
    });
    it("lists every problem at once", () => {
      const problems = problemsOf("prd", { retentionDays: "30", retentionMode: "GOVERNANCE", slackChannel: "x" });
      assert.equal(problems.length, 3);
    });
  });
});
