// Config validation (issue 2): each bad value fails with the key, the value and what is allowed.
import { strict as assert } from "assert";
import * as path from "path";
import { loadStackConfig } from "../../offline/stack-config";
import { CONFIG_MIN_RETENTION_TIME_DAYS, ConfigError, parseProfile, RawConfig, singletonOwnershipProblems } from "../../infra/config/profile";

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
  assert.ok(
    problems.some((p) => expected.test(p)),
    `no problem matches ${expected}; got:\n${problems.join("\n")}`,
  );
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
    it("prd: COMPLIANCE 365 days, protected, E4 lifecycle 90/400 (the first year stays queryable)", () => {
      const p = parseProfile("prd", {});
      assert.deepEqual(p.retention, { mode: "COMPLIANCE", days: 365 });
      assert.deepEqual(p.lifecycle, { glacierIrAfterDays: 90, deepArchiveAfterDays: 400 });
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
      expectProblem("dev", { retentionDays: "0" }, /^retentionDays: 0 is outside the allowed range 1 to 36500 days$/);
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
      expectProblem(
        "prd",
        { glacierIrAfterDays: "90", deepArchiveAfterDays: "120" },
        /^deepArchiveAfterDays: 120 must be at least glacierIrAfterDays \+ 90 \(180\)/,
      );
      expectProblem("dev", { glacierIrAfterDays: "90", deepArchiveAfterDays: "120" }, /^deepArchiveAfterDays: 120 must be at least glacierIrAfterDays \+ 90/);
    });
    it("the wrong Slack channel for the environment (001)", () => {
      expectProblem(
        "prd",
        { slackChannel: "bs-notification-dev" },
        /^slackChannel: "bs-notification-dev" is not the channel of prd \(001 names bs-notification-prd\)$/,
      );
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
      expectProblem(
        "prd",
        { slackDelivery: "chatbot", chatbotSlackTeamId: "T0123ABCD", chatbotSlackChannelId: "#general" },
        /^chatbotSlackChannelId: "#general" is not a Slack id/,
      );
      expectProblem("prd", { slackDelivery: "teams" }, /^slackDelivery: "teams" is not a delivery \(allowed: webhook, chatbot\)$/);
    });
    it("alert e-mail addresses that are not, and burst periods CloudWatch would refuse", () => {
      expectProblem("prd", { alertEmailAddresses: '["soc-at-example.org"]' }, /^alertEmailAddresses: "soc-at-example.org" is not an email address$/);
      expectProblem("prd", { burstPeriodSeconds: "90" }, /^burstPeriodSeconds: 90 is not a multiple of 60/);
      expectProblem("prd", { authFailureThreshold: "0" }, /^authFailureThreshold: 0 is outside the allowed range 1 to 100000 events$/);
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
      expectProblem(
        "prd",
        { namePrefix: "auditestateprodx" },
        /^namePrefix: "auditestateprodx" makes bucket names of 64 characters with stack "prd" in ap-northeast-1 \(S3 allows 63\): at most 15 characters here$/,
      );
      assert.equal(parseProfile("prd", { namePrefix: "auditestateprod" }).namePrefix, "auditestateprod");
    });
    it("says the unit of the key when a value is not a whole number (days, seconds, counts)", () => {
      expectProblem("prd", { burstPeriodSeconds: "5m" }, /^burstPeriodSeconds: "5m" is not a whole number of seconds \(allowed: 60 to 86400\)$/);
      expectProblem("prd", { presignUrlExpirySeconds: "1.5" }, /^presignUrlExpirySeconds: "1.5" is not a whole number of seconds \(allowed: 1 to 3600\)$/);
      expectProblem(
        "prd",
        { authFailureThreshold: "five" },
        /^authFailureThreshold: "five" is not a whole number of events \(a count\) \(allowed: 1 to 100000\)$/,
      );
      expectProblem("prd", { apiRateLimitPer5Minutes: "lots" }, /^apiRateLimitPer5Minutes: "lots" is not a whole number of requests \(a count\)/);
      const all = problemsOf("prd", { burstPeriodSeconds: "5m", authFailureThreshold: "five" }).join("\n");
      assert.doesNotMatch(all, /of days/);
    });
    it("deep archive after less than a year in dev2/prd (the auditor's window stays queryable)", () => {
      expectProblem(
        "prd",
        { deepArchiveAfterDays: "180" },
        /^deepArchiveAfterDays: 180 is below 366 days: in prd the first year of logs stays readable without a restore/,
      );
      assert.equal(parseProfile("dev", { deepArchiveAfterDays: "180" }).lifecycle.deepArchiveAfterDays, 180);
    });
  });

  describe("a stack is never weaker than its name (issue 12)", () => {
    for (const [stack, weaker] of [
      ["prd", "dev"],
      ["prd", "dev2"],
      ["dev2", "dev"],
      ["prd-eu", "dev"],
      ["dev2-tokyo", "dev"],
    ] as const) {
      it(`${stack} declaring environment: ${weaker} is refused`, () => {
        expectProblem(
          stack,
          { environment: weaker },
          new RegExp(`^environment: ${weaker} is weaker than the stack's name says \\(${stack} is a ${stack.split("-")[0]} stack\\)`),
        );
      });
    }
    it("the rules of the name still apply while the error is reported (no protect flags dropped silently)", () => {
      const problems = problemsOf("prd", { environment: "dev", retentionMode: "GOVERNANCE" });
      assert.ok(
        problems.some((p) => /retentionMode: GOVERNANCE is not allowed in prd/.test(p)),
        problems.join("\n"),
      );
    });
    it("a stack named <environment>-<suffix> takes that environment's rules without an explicit label", () => {
      const p = parseProfile("prd-eu", {});
      assert.equal(p.environment, "prd");
      assert.equal(p.protectEvidence, true);
      assert.equal(p.slackChannel, "bs-notification-prd");
      assert.equal(parseProfile("dev2-tokyo", {}).environment, "dev2");
    });
    it("a stronger label is allowed (a dev-named stack run with prd rules), and unnamed stacks take the label", () => {
      assert.equal(parseProfile("dev-hardened", { environment: "prd" }).environment, "prd");
      assert.equal(parseProfile("prd", { environment: "prd" }).protectEvidence, true);
      assert.equal(parseProfile("tokyo", { environment: "dev2" }).environment, "dev2");
    });
  });

  describe("S3 bucket naming rules on every composed name (General purpose bucket naming rules)", () => {
    for (const prefix of ["xn-", "sthree", "amzn-s3-demo"]) {
      it(`namePrefix "${prefix}" is refused with the rule it breaks`, () => {
        expectProblem(
          "prd",
          { namePrefix: prefix },
          /^namePrefix: ".*" makes the bucket name ".*", which S3 refuses: the prefix "(xn--|sthree-|amzn-s3-demo-)" is reserved$/,
        );
      });
    }
    it("a stack name that cannot be part of a bucket name (Prd_EU) is refused with a clear message", () => {
      expectProblem(
        "Prd_EU",
        { environment: "prd" },
        /^stack name "Prd_EU" cannot be part of a bucket name \(1-31 characters: lowercase letters, digits, hyphens; starts with a letter or digit\): rename the stack, e\.g\. "prd-eu"$/,
      );
    });
    it("existing bucket names are checked against every rule, reserved suffixes included", () => {
      for (const [name, rule] of [
        ["medical-s3alias", /the suffix "-s3alias" is reserved/],
        ["medical--ol-s3", /the suffix "--ol-s3" is reserved/],
        ["medical.mrap", /the suffix ".mrap" is reserved/],
        ["medical--x-s3", /the suffix "--x-s3" is reserved/],
        ["medical--table-s3", /the suffix "--table-s3" is reserved/],
        ["xn--medical", /the prefix "xn--" is reserved/],
        ["192.168.5.4", /formatted as an IP address/],
        ["medical..backups", /two adjacent periods/],
        ["-medical", /begin and end with a letter or digit/],
      ] as const) {
        expectProblem(
          "prd",
          { existingDataBuckets: JSON.stringify([name]) },
          new RegExp(`^existingDataBuckets: "${name.replace(/[.]/g, "\\.")}" is not an S3 bucket name: .*${rule.source}`),
        );
      }
      assert.deepEqual(parseProfile("prd", { existingDataBuckets: '["medical.backups-2024"]' }).existingDataBuckets, ["medical.backups-2024"]);
    });
    it("existingDataBuckets may not name the estate's own log bucket (or any of its buckets)", () => {
      expectProblem(
        "prd",
        { existingDataBuckets: '["audit-trail-logs-prd-123456789012-ap-northeast-1"]' },
        /^existingDataBuckets: "audit-trail-logs-prd-123456789012-ap-northeast-1" is the estate's own trail-logs bucket/,
      );
      expectProblem(
        "prd",
        { existingDataBuckets: '["audit-access-logs-prd-123456789012-ap-northeast-1"]' },
        /is the estate's own access-logs bucket: only data buckets belong here/,
      );
    });
  });

  describe("configuration namespaces", () => {
    it("a key in a mistyped namespace is refused, naming what is allowed", () => {
      const problems = (() => {
        try {
          parseProfile("prd", {}, undefined, { foreignKeys: ["audit-trail-estat:retentionDays"] });
        } catch (e) {
          return (e as ConfigError).problems;
        }
        return [];
      })();
      assert.equal(problems.length, 1);
      assert.match(
        problems[0],
        /^audit-trail-estat:retentionDays: unknown namespace "audit-trail-estat" \(allowed: the project's own, and the providers' aws, random, pulumi\)/,
      );
    });
  });

  describe("account-wide singletons have one owner per account", () => {
    it("by default a stack owns them (a stack alone in its account)", () => {
      const p = parseProfile("prd", {});
      assert.equal(p.ownsAccountSingletons, true);
      assert.equal(p.presignApi.manageAccountSettings, true);
      assert.deepEqual(p.posture, { config: true, guardDuty: true, securityHub: true, inspector: true, accessAnalyzer: true });
    });
    it("a stack naming another owner creates no singleton, and may not switch one on", () => {
      const p = parseProfile("dev2", { accountSingletonsOwner: "prd" });
      assert.equal(p.ownsAccountSingletons, false);
      assert.equal(p.presignApi.manageAccountSettings, false);
      assert.deepEqual(p.posture, { config: false, guardDuty: false, securityHub: false, inspector: false, accessAnalyzer: false });
      expectProblem(
        "dev2",
        { accountSingletonsOwner: "prd", enableGuardDuty: "true" },
        /^enableGuardDuty: true, but accountSingletonsOwner is "prd": only the owning stack creates account-wide singletons/,
      );
      expectProblem(
        "dev2",
        { accountSingletonsOwner: "prd", manageApiGatewayAccount: "true" },
        /^manageApiGatewayAccount: true, but accountSingletonsOwner is "prd"/,
      );
    });
    it("stacks sharing an account must agree on one owner that is one of them", () => {
      const a = { stack: "prd", accountId: "111122223333", region: "ap-northeast-1" };
      const b = { stack: "dev2", accountId: "111122223333", region: "ap-northeast-1" };
      assert.deepEqual(
        singletonOwnershipProblems([
          { ...a, accountSingletonsOwner: "prd" },
          { ...b, accountSingletonsOwner: "prd" },
        ]),
        [],
      );
      assert.match(
        singletonOwnershipProblems([
          { ...a, accountSingletonsOwner: "prd" },
          { ...b, accountSingletonsOwner: "dev2" },
        ])[0],
        /share account and region 111122223333 ap-northeast-1 but name different singleton owners \(prd, dev2\)/,
      );
      assert.match(
        singletonOwnershipProblems([
          { ...a, accountSingletonsOwner: "ops" },
          { ...b, accountSingletonsOwner: "ops" },
        ])[0],
        /name "ops" as singleton owner, which is none of them/,
      );
      assert.deepEqual(
        singletonOwnershipProblems([
          { ...a, accountSingletonsOwner: "prd" },
          { ...b, accountId: "444455556666", accountSingletonsOwner: "dev2" },
        ]),
        [],
      );
    });
    it("the repository's own stack files agree (each Pulumi.<stack>.yaml parsed as the program parses it)", () => {
      const profiles = ["dev", "dev2", "prd"].map((stack) => {
        const { config, project } = loadStackConfig(path.resolve(__dirname, "../.."), stack);
        const raw: RawConfig = {};
        for (const [k, v] of Object.entries(config as Record<string, string>)) if (k.startsWith(`${project}:`)) raw[k.slice(project.length + 1)] = v;
        return parseProfile(stack, raw, config["aws:region"]);
      });
      assert.deepEqual(singletonOwnershipProblems(profiles), []);
    });
  });

  describe("AWS Config and mTLS constraints", () => {
    it("with Config on, logGroupRetentionDays must be a MinRetentionTime the Config rule accepts", () => {
      expectProblem(
        "prd",
        { logGroupRetentionDays: "1096" },
        /^logGroupRetentionDays: 1096 is not a MinRetentionTime AWS Config's CW_LOGGROUP_RETENTION_PERIOD_CHECK accepts \(allowed with enableConfig: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653\)$/,
      );
      assert.equal(parseProfile("prd", { logGroupRetentionDays: "1096", enableConfig: "false" }).logGroupRetentionDays, 1096);
      for (const days of CONFIG_MIN_RETENTION_TIME_DAYS.filter((d) => d >= 365))
        assert.equal(parseProfile("prd", { logGroupRetentionDays: String(days) }).logGroupRetentionDays, days);
    });
    const cert = "arn:aws:acm:ap-northeast-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
    const own = "arn:aws:acm:ap-northeast-1:123456789012:certificate/66666666-7777-8888-9999-000000000000";
    const mtls = { mtlsEnabled: "true", mtlsDomainName: "backup-api.example.org", mtlsCertificateArn: cert };
    it("an mTLS domain with a private or imported certificate needs an ownership verification certificate", () => {
      for (const source of ["acm-private", "imported"]) {
        expectProblem(
          "prd",
          { ...mtls, mtlsCertificateSource: source },
          /^mtlsOwnershipVerificationCertificateArn: missing; an mTLS domain whose certificate is .* needs a public ACM certificate/,
        );
        assert.equal(
          parseProfile("prd", { ...mtls, mtlsCertificateSource: source, mtlsOwnershipVerificationCertificateArn: own }).presignApi.mtls
            ?.ownershipVerificationCertificateArn,
          own,
        );
      }
      assert.equal(parseProfile("prd", mtls).presignApi.mtls?.ownershipVerificationCertificateArn, undefined);
      expectProblem(
        "prd",
        { ...mtls, mtlsCertificateSource: "self-signed" },
        /^mtlsCertificateSource: "self-signed" is not allowed \(allowed: acm-public, acm-private, imported\)$/,
      );
    });
  });

  describe("errors (continued)", () => {
    it("lists every problem at once", () => {
      const problems = problemsOf("prd", { retentionDays: "30", retentionMode: "GOVERNANCE", slackChannel: "x" });
      assert.equal(problems.length, 3);
    });
  });
});
