// Issue 12 "Proof that policies do what they say": the bucket, key, topic, queue, API and role
// policies the program renders (mocked runtime, real getPolicyDocument JSON) evaluated by an IAM
// policy simulator (@cloud-copilot/iam-simulate) for the requests that matter. Each expected Allow
// or Deny is a test; a statement that stops doing its job fails one.
import { strict as assert } from "assert";
import { MOCK_ACCOUNT_ID } from "../../offline/mocks";
import { resourcesOf, Resources } from "../support/estate";
import { AUDITOR_ROLE_ARN, CALLER_ROLE_ARNS, ORGANIZATION_ID, SHARED_OPTIONS } from "../infra/shared-options";
import { decide, Decision, Request } from "./simulate";

const ACCOUNT = MOCK_ACCOUNT_ID;
const MEMBER = "111122223333";
const REGION = "ap-northeast-1";
const TRAIL = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/audit-trail-prd`;
const OTHER_TRAIL = `arn:aws:cloudtrail:${REGION}:444455556666:trail/someone-elses-trail`;
const LOG_BUCKET = `audit-trail-logs-prd-${ACCOUNT}-${REGION}`;
const ACCESS_LOG_BUCKET = `audit-access-logs-prd-${ACCOUNT}-${REGION}`;
const DATA_BUCKET = `audit-backup-data-prd-${ACCOUNT}-${REGION}`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/platform-admin`;
const REVIEW_ROLE = `arn:aws:iam::${ACCOUNT}:role/audit-prd-daily-review`;
const PRESIGN_ROLE = `arn:aws:iam::${ACCOUNT}:role/audit-prd-presign`;
const S3_VIA = `s3.${REGION}.amazonaws.com`;
const LOG_KEY = (prefix: string) => `arn:aws:s3:::${LOG_BUCKET}/${prefix}${ACCOUNT}_CloudTrail_${REGION}_20261201T0000Z_abcdefgh.json.gz`;
/** An administrator whose IAM policy allows everything: only resource policies can stop it. */
const ADMIN_POLICY = { admin: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } };

const expectDecision = async (req: Request, want: Decision) => assert.equal(await decide(req), want, `${req.principal} ${req.action} ${req.resource}`);

describe("IAM behaviour of the rendered policies (simulator), stack prd with every option", function () {
  this.timeout(60000);
  let r: Resources;
  let policyOf: (type: string, name: string) => string;
  before(async () => {
    r = await resourcesOf("prd", SHARED_OPTIONS);
    policyOf = (type, name) => r.one(type, name).inputs.policy as string;
  });
  const bucketPolicy = () => policyOf("aws:s3/bucketPolicy:BucketPolicy", "trail-log-bucket-policy");
  const cloudTrailPut = (resource: string, context: Record<string, string>, tls = true): Request => ({
    principal: "cloudtrail.amazonaws.com",
    action: "s3:PutObject",
    resource,
    resourceAccount: ACCOUNT,
    context: { "s3:x-amz-acl": "bucket-owner-full-control", ...context },
    tls,
    resourcePolicy: bucketPolicy(),
  });

  describe("log bucket: CloudTrail delivery (E5; CloudTrail docs: S3 bucket policy, organisation trail example)", () => {
    it("allows this trail to write a log under AWSLogs/<account>/", () =>
      expectDecision(cloudTrailPut(LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`), { "aws:SourceArn": TRAIL }), "Allowed"));
    it("allows this trail to write a digest", () =>
      expectDecision(
        cloudTrailPut(`arn:aws:s3:::${LOG_BUCKET}/AWSLogs/${ACCOUNT}/CloudTrail-Digest/${REGION}/2026/12/01/x.json.gz`, { "aws:SourceArn": TRAIL }),
        "Allowed",
      ));
    it("refuses CloudTrail writing for another trail (aws:SourceArn of someone else's trail)", () =>
      expectDecision(cloudTrailPut(LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`), { "aws:SourceArn": OTHER_TRAIL }), "ImplicitlyDenied"));
    it("refuses CloudTrail writing without aws:SourceArn", () =>
      expectDecision(cloudTrailPut(LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`), {}), "ImplicitlyDenied"));
    it("refuses a write that does not give the bucket owner full control", () =>
      expectDecision(
        {
          ...cloudTrailPut(LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`), { "aws:SourceArn": TRAIL }),
          context: { "aws:SourceArn": TRAIL, "s3:x-amz-acl": "private" },
        },
        "ImplicitlyDenied",
      ));
    it("allows a member account's delivery under the organisation's prefix (aws:SourceArn: the management account's trail)", () =>
      expectDecision(
        cloudTrailPut(`arn:aws:s3:::${LOG_BUCKET}/AWSLogs/${ORGANIZATION_ID}/${MEMBER}/CloudTrail/${REGION}/2026/12/01/${MEMBER}_CloudTrail_x.json.gz`, {
          "aws:SourceArn": TRAIL,
          "aws:SourceAccount": ACCOUNT,
        }),
        "Allowed",
      ));
    it("allows a member account's digest under the organisation's prefix", () =>
      expectDecision(
        cloudTrailPut(`arn:aws:s3:::${LOG_BUCKET}/AWSLogs/${ORGANIZATION_ID}/${MEMBER}/CloudTrail-Digest/${REGION}/2026/12/01/x.json.gz`, {
          "aws:SourceArn": TRAIL,
        }),
        "Allowed",
      ));
    it("refuses organisation delivery for another organisation's prefix, or outside AWSLogs/", async () => {
      await expectDecision(
        cloudTrailPut(`arn:aws:s3:::${LOG_BUCKET}/AWSLogs/o-zzzzzzzzzz/${MEMBER}/CloudTrail/x.json.gz`, { "aws:SourceArn": TRAIL }),
        "ImplicitlyDenied",
      );
      await expectDecision(cloudTrailPut(`arn:aws:s3:::${LOG_BUCKET}/${MEMBER}/CloudTrail/x.json.gz`, { "aws:SourceArn": TRAIL }), "ImplicitlyDenied");
      await expectDecision(cloudTrailPut(`arn:aws:s3:::${LOG_BUCKET}/AWSLogs/${MEMBER}/CloudTrail/x.json.gz`, { "aws:SourceArn": TRAIL }), "ImplicitlyDenied");
    });
    it("refuses a member account's delivery for a trail of its own (not the organisation trail)", () =>
      expectDecision(
        cloudTrailPut(`arn:aws:s3:::${LOG_BUCKET}/AWSLogs/${ORGANIZATION_ID}/${MEMBER}/CloudTrail/x.json.gz`, {
          "aws:SourceArn": `arn:aws:cloudtrail:${REGION}:${MEMBER}:trail/member-trail`,
        }),
        "ImplicitlyDenied",
      ));
    it("lets CloudTrail check the bucket ACL for this trail only", async () => {
      const acl = (arn: string): Request => ({
        principal: "cloudtrail.amazonaws.com",
        action: "s3:GetBucketAcl",
        resource: `arn:aws:s3:::${LOG_BUCKET}`,
        resourceAccount: ACCOUNT,
        context: { "aws:SourceArn": arn },
        resourcePolicy: bucketPolicy(),
      });
      await expectDecision(acl(TRAIL), "Allowed");
      await expectDecision(acl(OTHER_TRAIL), "ImplicitlyDenied");
    });
  });

  describe("log bucket: everyone else (E5, M2)", () => {
    const asAdmin = (action: string, resource: string, tls = true): Request => ({
      principal: ADMIN,
      action,
      resource,
      resourceAccount: ACCOUNT,
      tls,
      resourcePolicy: bucketPolicy(),
      identityPolicies: ADMIN_POLICY,
    });
    it("denies an administrator writing a log, even with s3:* in its IAM policy", () =>
      expectDecision(asAdmin("s3:PutObject", LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`)), "ExplicitlyDenied"));
    it("denies an administrator deleting a log or a log version", async () => {
      await expectDecision(asAdmin("s3:DeleteObject", LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`)), "ExplicitlyDenied");
      await expectDecision(asAdmin("s3:DeleteObjectVersion", LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`)), "ExplicitlyDenied");
    });
    it("denies shortening retention, legal holds and bypassing governance", async () => {
      for (const action of ["s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:BypassGovernanceRetention"]) {
        await expectDecision(asAdmin(action, LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`)), "ExplicitlyDenied");
      }
    });
    it("denies every request without TLS, CloudTrail's included", async () => {
      await expectDecision(asAdmin("s3:GetObject", LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`), false), "ExplicitlyDenied");
      await expectDecision(asAdmin("s3:ListBucket", `arn:aws:s3:::${LOG_BUCKET}`, false), "ExplicitlyDenied");
      await expectDecision(
        cloudTrailPut(LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`), { "aws:SourceArn": TRAIL }, false),
        "ExplicitlyDenied",
      );
    });
    it("still lets an administrator read a log over TLS (reading is not what the policy guards)", () =>
      expectDecision(asAdmin("s3:GetObject", LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`)), "Allowed"));
  });

  describe("log bucket: the daily review's role (E14)", () => {
    const asReview = (action: string, resource: string, principal = REVIEW_ROLE, identity?: Record<string, string | object>): Request => ({
      principal,
      action,
      resource,
      resourceAccount: ACCOUNT,
      resourcePolicy: bucketPolicy(),
      identityPolicies: identity ?? { review: policyOf("aws:iam/rolePolicy:RolePolicy", "daily-review-function-policy") },
    });
    it("may write its record under review/", () =>
      expectDecision(asReview("s3:PutObject", `arn:aws:s3:::${LOG_BUCKET}/review/2026/12/01/review.json`), "Allowed"));
    it("may not write outside review/ (a forged log)", async () => {
      await expectDecision(asReview("s3:PutObject", LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`)), "ExplicitlyDenied");
      await expectDecision(asReview("s3:PutObject", `arn:aws:s3:::${LOG_BUCKET}/elsewhere.json`), "ExplicitlyDenied");
    });
    it("may read logs and digests, and may not delete its own records", async () => {
      await expectDecision(asReview("s3:GetObject", LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`)), "Allowed");
      await expectDecision(asReview("s3:DeleteObject", `arn:aws:s3:::${LOG_BUCKET}/review/2026/12/01/review.json`), "ExplicitlyDenied");
    });
    it("no other role writes under review/, whatever its IAM policy", () =>
      expectDecision(asReview("s3:PutObject", `arn:aws:s3:::${LOG_BUCKET}/review/2026/12/01/forged.json`, ADMIN, ADMIN_POLICY), "ExplicitlyDenied"));
    // Issue 11: on an organisation trail the organisation verification's reducer writes the day's
    // record too; the bucket policy names its role before the role exists.
    const ORG_REDUCER = `arn:aws:iam::${ACCOUNT}:role/audit-prd-org-verify-reducer`;
    const reducerPolicy = () => ({ reducer: policyOf("aws:iam/rolePolicy:RolePolicy", "org-verification-reducer-policy") });
    it("the organisation verification's reducer may write its record under review/ (organisation trail)", async () => {
      assert.equal(r.one("aws:iam/role:Role", "org-verification-reducer-role").inputs.name, "audit-prd-org-verify-reducer");
      await expectDecision(asReview("s3:PutObject", `arn:aws:s3:::${LOG_BUCKET}/review/2026/12/01/org-review.json`, ORG_REDUCER, reducerPolicy()), "Allowed");
    });
    it("the reducer may not write outside review/ (a forged log)", () =>
      expectDecision(
        asReview("s3:PutObject", LOG_KEY(`AWSLogs/${ORGANIZATION_ID}/${MEMBER}/CloudTrail/${REGION}/2026/12/01/`), ORG_REDUCER, reducerPolicy()),
        "ExplicitlyDenied",
      ));
  });

  describe("audit key (M4; CloudTrail docs: KMS key policies for CloudTrail)", () => {
    const keyPolicy = () => r.one("aws:kms/key:Key", "audit-key").inputs.policy as string;
    const keyArn = () => r.one("aws:kms/key:Key", "audit-key").rawOutputs.arn as string;
    const asCloudTrail = (action: string, context: Record<string, string>): Request => ({
      principal: "cloudtrail.amazonaws.com",
      action,
      resource: keyArn(),
      resourceAccount: ACCOUNT,
      context,
      resourcePolicy: keyPolicy(),
    });
    const logContext = { "kms:EncryptionContext:aws:cloudtrail:arn": TRAIL, "kms:EncryptionContext:aws:s3:arn": `arn:aws:s3:::${LOG_BUCKET}` };
    it("lets CloudTrail generate data keys for this trail (encryption context of this account's trail, aws:SourceArn)", () =>
      expectDecision(asCloudTrail("kms:GenerateDataKey", { ...logContext, "aws:SourceArn": TRAIL }), "Allowed"));
    it("refuses CloudTrail data keys without this trail's aws:SourceArn", async () => {
      await expectDecision(asCloudTrail("kms:GenerateDataKey", logContext), "ImplicitlyDenied");
      await expectDecision(asCloudTrail("kms:GenerateDataKey", { ...logContext, "aws:SourceArn": OTHER_TRAIL }), "ImplicitlyDenied");
    });
    it("lets CloudTrail generate data keys for a member account's log of the organisation trail (context: the management account's trail)", () =>
      expectDecision(
        asCloudTrail("kms:GenerateDataKey", {
          "kms:EncryptionContext:aws:cloudtrail:arn": TRAIL,
          "kms:EncryptionContext:aws:s3:arn": `arn:aws:s3:::${LOG_BUCKET}/AWSLogs/${ORGANIZATION_ID}/${MEMBER}/CloudTrail/x.json.gz`,
          "aws:SourceArn": TRAIL,
        }),
        "Allowed",
      ));
    it("refuses data keys for a member account's own trail", () =>
      expectDecision(
        asCloudTrail("kms:GenerateDataKey", {
          "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws:cloudtrail:${REGION}:${MEMBER}:trail/member-trail`,
          "aws:SourceArn": `arn:aws:cloudtrail:${REGION}:${MEMBER}:trail/member-trail`,
        }),
        "ImplicitlyDenied",
      ));
    it("refuses CloudTrail data keys whose encryption context names another account's trail", () =>
      expectDecision(
        asCloudTrail("kms:GenerateDataKey", { "kms:EncryptionContext:aws:cloudtrail:arn": OTHER_TRAIL, "aws:SourceArn": TRAIL }),
        "ImplicitlyDenied",
      ));
    it("lets CloudTrail decrypt (required with an S3 Bucket Key) and describe the key, for this trail only", async () => {
      await expectDecision(asCloudTrail("kms:Decrypt", { "aws:SourceArn": TRAIL }), "Allowed");
      await expectDecision(asCloudTrail("kms:DescribeKey", { "aws:SourceArn": TRAIL }), "Allowed");
      await expectDecision(asCloudTrail("kms:Decrypt", { "aws:SourceArn": OTHER_TRAIL }), "ImplicitlyDenied");
    });
    const asAuditor = (context: Record<string, string>): Request => ({
      principal: AUDITOR_ROLE_ARN,
      action: "kms:Decrypt",
      resource: keyArn(),
      resourceAccount: ACCOUNT,
      context: { "kms:CallerAccount": ACCOUNT, ...context },
      resourcePolicy: keyPolicy(),
      identityPolicies: { auditor: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] } },
    });
    it("lets an auditor decrypt a log through S3", () =>
      expectDecision(asAuditor({ "kms:ViaService": S3_VIA, "kms:EncryptionContext:aws:s3:arn": `arn:aws:s3:::${LOG_BUCKET}` }), "Allowed"));
    it("denies an auditor decrypting directly (a copied log file), even with kms:* in its IAM policy", () => expectDecision(asAuditor({}), "ExplicitlyDenied"));
    it("denies an auditor decrypting through another service", () =>
      expectDecision(asAuditor({ "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` }), "ExplicitlyDenied"));
    it("gives a role with no IAM permission on the key nothing (the account principal delegates to IAM)", () =>
      expectDecision(
        { ...asAuditor({ "kms:ViaService": S3_VIA }), principal: `arn:aws:iam::${ACCOUNT}:role/someone`, identityPolicies: {} },
        "ImplicitlyDenied",
      ));
  });

  describe("presign role and API (E12)", () => {
    const asPresign = (action: string, resource: string): Request => ({
      principal: PRESIGN_ROLE,
      action,
      resource,
      resourceAccount: ACCOUNT,
      resourcePolicy: resource.includes(DATA_BUCKET) ? policyOf("aws:s3/bucketPolicy:BucketPolicy", "backup-data-bucket-policy") : undefined,
      identityPolicies: { presign: policyOf("aws:iam/rolePolicy:RolePolicy", "presign-api-handler-policy") },
    });
    it("may read and write under tenants/ of the data bucket", async () => {
      await expectDecision(asPresign("s3:GetObject", `arn:aws:s3:::${DATA_BUCKET}/tenants/${ACCOUNT}/backup-agent/db.dump`), "Allowed");
      await expectDecision(
        {
          ...asPresign("s3:PutObject", `arn:aws:s3:::${DATA_BUCKET}/tenants/${ACCOUNT}/backup-agent/db.dump`),
          context: {
            "s3:x-amz-server-side-encryption": "aws:kms",
            "s3:x-amz-server-side-encryption-aws-kms-key-id": r.one("aws:kms/key:Key", "backup-data-key").rawOutputs.arn as string,
          },
        },
        "Allowed",
      );
    });
    it("may not read outside tenants/ or outside the data bucket (the log bucket included)", async () => {
      await expectDecision(asPresign("s3:GetObject", `arn:aws:s3:::${DATA_BUCKET}/other/db.dump`), "ImplicitlyDenied");
      await expectDecision(asPresign("s3:GetObject", `arn:aws:s3:::some-other-bucket/tenants/x`), "ImplicitlyDenied");
      await expectDecision(
        { ...asPresign("s3:GetObject", LOG_KEY(`AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/01/`)), resourcePolicy: bucketPolicy() },
        "ImplicitlyDenied",
      );
    });
    it("may not delete or list backups", async () => {
      await expectDecision(asPresign("s3:DeleteObject", `arn:aws:s3:::${DATA_BUCKET}/tenants/${ACCOUNT}/backup-agent/db.dump`), "ImplicitlyDenied");
      await expectDecision(asPresign("s3:ListBucket", `arn:aws:s3:::${DATA_BUCKET}`), "ImplicitlyDenied");
    });
    it("reads its audit-hash salt and no other secret", async () => {
      const salt = r.one("aws:secretsmanager/secret:Secret", "presign-api-audit-hash-salt").rawOutputs.arn as string;
      await expectDecision({ ...asPresign("secretsmanager:GetSecretValue", salt), resourcePolicy: undefined }, "Allowed");
      const webhook = r.one("aws:secretsmanager/secret:Secret", "alert-delivery-slack-webhook").rawOutputs.arn as string;
      await expectDecision({ ...asPresign("secretsmanager:GetSecretValue", webhook), resourcePolicy: undefined }, "ImplicitlyDenied");
    });
    const invoke = (principal: string, account = ACCOUNT): Request => ({
      principal,
      action: "execute-api:Invoke",
      resource: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${r.one("aws:apigateway/restApi:RestApi", "presign-api-api").rawOutputs.id ?? r.one("aws:apigateway/restApi:RestApi", "presign-api-api").id}/v1/POST/backups/upload-url`,
      resourceAccount: ACCOUNT,
      context: { "aws:PrincipalAccount": account },
      resourcePolicy: policyOf("aws:apigateway/restApiPolicy:RestApiPolicy", "presign-api-resource-policy"),
      identityPolicies: { invoke: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: "*" }] } },
    });
    it("lets the configured caller roles invoke, in this account and another", async () => {
      await expectDecision(invoke(CALLER_ROLE_ARNS[0]), "Allowed");
      await expectDecision(invoke(CALLER_ROLE_ARNS[1], "210987654321"), "Allowed");
    });
    it("denies a role outside the list, even with execute-api:Invoke on * in its IAM policy", async () => {
      await expectDecision(invoke(`arn:aws:iam::${ACCOUNT}:role/platform-admin`), "ExplicitlyDenied");
      await expectDecision(invoke(`arn:aws:iam::210987654321:role/backup-agent-lookalike`, "210987654321"), "ExplicitlyDenied");
    });
  });

  describe("alert path (E8): topic, dead-letter queue, alert key", () => {
    const topic = () => r.one("aws:sns/topic:Topic", "alert-delivery-topic").rawOutputs.arn as string;
    const ruleArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`;
    const publish = (principal: string, context: Record<string, string>, tls = true): Request => ({
      principal,
      action: "sns:Publish",
      resource: topic(),
      resourceAccount: ACCOUNT,
      context,
      tls,
      resourcePolicy: policyOf("aws:sns/topicPolicy:TopicPolicy", "alert-delivery-topic-policy"),
    });
    it("lets this estate's EventBridge rules publish, and no other rule", async () => {
      await expectDecision(publish("events.amazonaws.com", { "aws:SourceArn": ruleArn("audit-prd-trail-tamper") }), "Allowed");
      await expectDecision(publish("events.amazonaws.com", { "aws:SourceArn": ruleArn("someone-elses-rule") }), "ImplicitlyDenied");
    });
    it("refuses publishing without TLS", () =>
      expectDecision(publish("events.amazonaws.com", { "aws:SourceArn": ruleArn("audit-prd-trail-tamper") }, false), "ExplicitlyDenied"));
    it("lets SNS put a failed delivery of this topic in the dead-letter queue, and not another topic's", async () => {
      const dlq = r.one("aws:sqs/queue:Queue", "alert-delivery-dlq").rawOutputs.arn as string;
      const send = (source: string): Request => ({
        principal: "sns.amazonaws.com",
        action: "sqs:SendMessage",
        resource: dlq,
        resourceAccount: ACCOUNT,
        context: { "aws:SourceArn": source },
        resourcePolicy: policyOf("aws:sqs/queuePolicy:QueuePolicy", "alert-delivery-dlq-policy"),
      });
      await expectDecision(send(topic()), "Allowed");
      await expectDecision(send(`arn:aws:sns:${REGION}:${ACCOUNT}:another-topic`), "ImplicitlyDenied");
    });
    it("lets EventBridge and alarms use the alert key for the alert topic only (SNS encryption context)", async () => {
      const key = r.one("aws:kms/key:Key", "alert-key");
      const use = (principal: string, topicArn: string, context: Record<string, string> = {}): Request => ({
        principal,
        action: "kms:GenerateDataKey",
        resource: key.rawOutputs.arn as string,
        resourceAccount: ACCOUNT,
        context: { "kms:EncryptionContext:aws:sns:topicArn": topicArn, ...context },
        resourcePolicy: key.inputs.policy,
      });
      await expectDecision(use("events.amazonaws.com", topic()), "Allowed");
      await expectDecision(use("events.amazonaws.com", `arn:aws:sns:${REGION}:${ACCOUNT}:another-topic`), "ImplicitlyDenied");
      await expectDecision(use("cloudwatch.amazonaws.com", topic(), { "aws:SourceAccount": ACCOUNT }), "Allowed");
      await expectDecision(use("cloudwatch.amazonaws.com", topic(), { "aws:SourceAccount": "444455556666" }), "ImplicitlyDenied");
      await expectDecision(use("sns.amazonaws.com", topic()), "ImplicitlyDenied");
    });
  });

  describe("access-log bucket (E6, PCI DSS 10.2, 10.5.1)", () => {
    const policy = () => policyOf("aws:s3/bucketPolicy:BucketPolicy", "access-log-bucket-policy");
    const object = `arn:aws:s3:::${ACCESS_LOG_BUCKET}/s3/${LOG_BUCKET}/${ACCOUNT}/${REGION}/${LOG_BUCKET}/2026/12/01/2026-12-01-00-00-00-ABCDEF`;
    it("lets S3 server access logging of this account deliver, and not another account's", async () => {
      const put = (source: string): Request => ({
        principal: "logging.s3.amazonaws.com",
        action: "s3:PutObject",
        resource: object,
        resourceAccount: ACCOUNT,
        context: { "aws:SourceAccount": source },
        resourcePolicy: policy(),
      });
      await expectDecision(put(ACCOUNT), "Allowed");
      await expectDecision(put("444455556666"), "ImplicitlyDenied");
    });
    it("denies an administrator deleting an access log or one of its versions", async () => {
      for (const action of ["s3:DeleteObject", "s3:DeleteObjectVersion"]) {
        await expectDecision(
          { principal: ADMIN, action, resource: object, resourceAccount: ACCOUNT, resourcePolicy: policy(), identityPolicies: ADMIN_POLICY },
          "ExplicitlyDenied",
        );
      }
    });
  });

  describe("CloudTrail's CloudWatch Logs delivery role", () => {
    it("can be assumed by CloudTrail as AWS's documented trust policy allows (no source conditions to break delivery)", () =>
      expectDecision(
        {
          principal: "cloudtrail.amazonaws.com",
          action: "sts:AssumeRole",
          resource: r.one("aws:iam/role:Role", "audit-trail-cloudwatch-delivery").rawOutputs.arn as string,
          resourceAccount: ACCOUNT,
          resourcePolicy: r.one("aws:iam/role:Role", "audit-trail-cloudwatch-delivery").inputs.assumeRolePolicy,
        },
        "Allowed",
      ));
    it("writes to the trail's log group only", async () => {
      const role = `arn:aws:iam::${ACCOUNT}:role/${r.one("aws:iam/role:Role", "audit-trail-cloudwatch-delivery").rawOutputs.name}`;
      const put = (group: string): Request => ({
        principal: role,
        action: "logs:PutLogEvents",
        resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:log-stream:${ACCOUNT}_CloudTrail_${REGION}`,
        resourceAccount: ACCOUNT,
        identityPolicies: { delivery: policyOf("aws:iam/rolePolicy:RolePolicy", "audit-trail-cloudwatch-delivery") },
      });
      await expectDecision(put("/aws/cloudtrail/audit-trail-prd"), "Allowed");
      await expectDecision(put("/aws/lambda/audit-prd-presign"), "ImplicitlyDenied");
    });
  });
});
