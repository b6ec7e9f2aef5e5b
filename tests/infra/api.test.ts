// E12 infra under the mocked runtime: routes with IAM auth, the handler's least-privilege policy,
// the access-log format (No.49), the WAF and its logging, and the mTLS option on and off.
import { strict as assert } from "assert";
import { MOCK_ACCOUNT_ID } from "../../offline/mocks";
import { asList, resourcesOf, Resources, statement, statements } from "../support/estate";
import { CALLER_ROLE_ARNS, OWNERSHIP_CERTIFICATE_ARN, SHARED_OPTIONS } from "./shared-options";

const ACCOUNT = MOCK_ACCOUNT_ID;
const REGION = "ap-northeast-1";
const P = "audit-trail-estate";
const SECRET_T = "aws:secretsmanager/secret:Secret";
const T = {
  resource: "aws:apigateway/resource:Resource",
  method: "aws:apigateway/method:Method",
  integration: "aws:apigateway/integration:Integration",
  stage: "aws:apigateway/stage:Stage",
  restApi: "aws:apigateway/restApi:RestApi",
  domain: "aws:apigateway/domainName:DomainName",
  fn: "aws:lambda/function:Function",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  acl: "aws:wafv2/webAcl:WebAcl",
  aclLogging: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
  aclAssociation: "aws:wafv2/webAclAssociation:WebAclAssociation",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  filter: "aws:cloudwatch/logMetricFilter:LogMetricFilter",
  ca: "aws:acmpca/certificateAuthority:CertificateAuthority",
  key: "aws:kms/key:Key",
};
const MTLS = SHARED_OPTIONS;

describe("presign API (E12), stack prd", () => {
  let r: Resources;
  before(async () => {
    r = await resourcesOf("prd");
  });
  const dataBucket = `audit-backup-data-prd-${ACCOUNT}-${REGION}`;

  it("routes POST /backups/upload-url and /backups/download-url with IAM auth to the handler", () => {
    assert.equal(r.one(T.resource, "presign-api-backups").inputs.pathPart, "backups");
    for (const route of ["upload-url", "download-url"]) {
      assert.equal(r.one(T.resource, `presign-api-${route}`).inputs.pathPart, route);
      const m = r.one(T.method, `presign-api-${route}`).inputs;
      assert.equal(m.httpMethod, "POST");
      assert.equal(m.authorization, "AWS_IAM");
      const i = r.one(T.integration, `presign-api-${route}`).inputs;
      assert.equal(i.type, "AWS_PROXY");
      assert.match(i.uri, new RegExp(`functions/arn:aws:lambda:${REGION}:${ACCOUNT}:function:audit-prd-presign/invocations$`));
    }
    assert.equal(r.ofType(T.method).length, 2, "no other method is exposed");
  });

  it("runs the bundled handler with the data bucket, its key, a 5-minute expiry and a secret salt", () => {
    const fn = r.one(T.fn, "presign-api-handler");
    assert.equal(fn.inputs.runtime, "nodejs22.x");
    assert.deepEqual(fn.inputs.architectures, ["arm64"]);
    const env = fn.inputs.environment.variables;
    assert.equal(env.DATA_BUCKET, dataBucket);
    assert.equal(env.DATA_KMS_KEY_ARN, r.one(T.key, "backup-data-key").rawOutputs.arn);
    assert.equal(env.URL_EXPIRY_SECONDS, "300");
    assert.equal(env.KEY_PREFIX_ROOT, "tenants/");
    assert.equal(env.REQUIRE_CLIENT_CERT, "false");
    // No.50: the salt is not in the environment (readable with lambda:GetFunctionConfiguration):
    // the handler reads it from Secrets Manager, encrypted with the estate key.
    assert.equal(env.AUDIT_HASH_SALT, undefined);
    const secret = r.one(SECRET_T, "presign-api-audit-hash-salt");
    assert.equal(env.AUDIT_HASH_SALT_SECRET_ARN, secret.rawOutputs.arn);
    assert.equal(secret.inputs.kmsKeyId, r.one(T.key, "audit-key").rawOutputs.arn);
    const version = r.one("aws:secretsmanager/secretVersion:SecretVersion", "presign-api-audit-hash-salt");
    assert.equal(version.inputs.secretString.length, 48);
    const SIG = "4dabf18193072939515e22adb298388d";
    assert.ok((version.rawInputs as any).secretString?.[SIG] || (version.rawInputs as any)[SIG], "the salt is a Pulumi secret in state");
    assert.ok(
      r.one("auditTrail:compute:HandlerFunction", "presign-api-handler").dependencies.includes(version.urn),
      "the function starts only after the salt exists",
    );
  });

  it("lets the handler read the salt's secret, and only that one, decrypting through Secrets Manager for that secret", () => {
    const policy = r.one(T.rolePolicy, "presign-api-handler-policy").inputs.policy;
    const secretArn = r.one(SECRET_T, "presign-api-audit-hash-salt").rawOutputs.arn;
    const read = statement(policy, "ReadAuditHashSalt");
    assert.equal(read.Action, "secretsmanager:GetSecretValue");
    assert.equal(read.Resource, secretArn);
    const kms = statement(policy, "DecryptAuditHashSaltThroughSecretsManager");
    assert.equal(kms.Action, "kms:Decrypt");
    assert.equal(kms.Resource, r.one(T.key, "audit-key").rawOutputs.arn);
    assert.equal(kms.Condition?.StringEquals["kms:ViaService"], `secretsmanager.${REGION}.amazonaws.com`);
    assert.equal(kms.Condition?.StringEquals["kms:EncryptionContext:SecretARN"], secretArn);
    const secretActions = statements(policy).filter((s) => asList(s.Action).some((a) => a.startsWith("secretsmanager:")));
    assert.equal(secretActions.length, 1);
  });

  it("without presignCallerRoleArns the resource policy denies every caller (closed by default)", () => {
    const policy = r.one("aws:apigateway/restApiPolicy:RestApiPolicy", "presign-api-resource-policy").inputs.policy;
    assert.deepEqual(
      statements(policy).map((s) => [s.Sid, s.Effect, s.Condition]),
      [["DenyEveryoneElse", "Deny", undefined]],
    );
  });

  it("lets the handler touch objects under tenants/ of the data bucket only, and its key only through S3 for that bucket", () => {
    const policy = r.one(T.rolePolicy, "presign-api-handler-policy").inputs.policy;
    const s3 = statement(policy, "ObjectsUnderTheTenantPrefixOnly");
    assert.deepEqual(asList(s3.Action).sort(), ["s3:GetObject", "s3:PutObject"]);
    assert.deepEqual(asList(s3.Resource), [`arn:aws:s3:::${dataBucket}/tenants/*`]);
    const kms = statement(policy, "DataKeyThroughS3OnThisBucketOnly");
    assert.deepEqual(asList(kms.Resource), [r.one(T.key, "backup-data-key").rawOutputs.arn]);
    assert.equal(kms.Condition?.StringEquals["kms:ViaService"], `s3.${REGION}.amazonaws.com`);
    assert.deepEqual(asList(kms.Condition?.ArnLike["kms:EncryptionContext:aws:s3:arn"]), [`arn:aws:s3:::${dataBucket}`, `arn:aws:s3:::${dataBucket}/*`]);
    const actions = statements(policy).flatMap((s) => asList(s.Action));
    assert.ok(!actions.some((a) => /^s3:(Delete|List|PutObjectRetention|PutObjectLegalHold|BypassGovernance)/.test(a)), actions.join(","));
  });

  it("logs every request as JSON with the No.49 fields to a KMS-encrypted group kept >= 365 days", () => {
    const stage = r.one(T.stage, "presign-api-stage").inputs;
    const group = r.one(T.logGroup, "presign-api-access-logs");
    assert.equal(stage.accessLogSettings.destinationArn, group.rawOutputs.arn);
    const format = JSON.parse(stage.accessLogSettings.format);
    assert.deepEqual(
      [
        format.requestId,
        format.caller,
        format.userArn,
        format.sourceIp,
        format.userAgent,
        format.httpMethod,
        format.resourcePath,
        format.status,
        format.responseLatency,
        format.tlsVersion,
        format.clientCertSerialNumber,
      ],
      [
        "$context.requestId",
        "$context.identity.caller",
        "$context.identity.userArn",
        "$context.identity.sourceIp",
        "$context.identity.userAgent",
        "$context.httpMethod",
        "$context.resourcePath",
        "$context.status",
        "$context.responseLatency",
        "$context.tlsVersion",
        "$context.identity.clientCert.serialNumber",
      ],
    );
    assert.equal(group.inputs.kmsKeyId, r.one(T.key, "audit-key").rawOutputs.arn);
    assert.ok(group.inputs.retentionInDays >= 365);
  });

  it("keeps execution logging (which would log URLs and bodies) off", () => {
    const s = r.one("aws:apigateway/methodSettings:MethodSettings", "presign-api-method-settings").inputs.settings;
    assert.equal(s.loggingLevel, "OFF");
    assert.equal(s.dataTraceEnabled, false);
    assert.equal(s.metricsEnabled, true);
  });

  it("protects the stage with a WAF: common rules, known bad inputs, IP reputation, a per-IP rate limit", () => {
    const acl = r.one(T.acl, "presign-api-waf").inputs;
    assert.equal(acl.scope, "REGIONAL");
    const managed = acl.rules.filter((x: any) => x.statement.managedRuleGroupStatement).map((x: any) => x.statement.managedRuleGroupStatement.name);
    assert.deepEqual(managed, ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"]);
    const rate = acl.rules.find((x: any) => x.statement.rateBasedStatement);
    assert.deepEqual(rate.action, { block: {} });
    assert.equal(rate.statement.rateBasedStatement.limit, 1000);
    assert.equal(rate.statement.rateBasedStatement.aggregateKeyType, "IP");
    assert.equal(r.one(T.aclAssociation, "presign-api-waf").inputs.resourceArn, r.one(T.stage, "presign-api-stage").rawOutputs.arn);
  });

  it("logs the WAF to an aws-waf-logs- group, encrypted, with the SigV4 credentials redacted", () => {
    const logging = r.one(T.aclLogging, "presign-api-waf-logging").inputs;
    const group = r.one(T.logGroup, "presign-api-waf-logs");
    assert.match(group.inputs.name, /^aws-waf-logs-/);
    assert.deepEqual(logging.logDestinationConfigs, [group.rawOutputs.arn]);
    assert.deepEqual(
      logging.redactedFields.map((f: any) => f.singleHeader.name),
      ["authorization", "x-amz-security-token"],
    );
  });

  it("alarms on bursts of WAF blocks and of probes of nonexistent endpoints (E9, 001 No.29)", () => {
    assert.equal(r.one(T.filter, "anomaly-alarms-waf-blocks").inputs.logGroupName, "aws-waf-logs-audit-prd-presign");
    assert.equal(r.one(T.filter, "anomaly-alarms-waf-blocks").inputs.pattern, '{ $.action = "BLOCK" }');
    assert.equal(r.one(T.filter, "anomaly-alarms-api-not-found").inputs.logGroupName, "/aws/apigateway/audit-prd-presign-access");
    // IAM auth answers an unknown path or method with 403 MISSING_AUTHENTICATION_TOKEN, not 404.
    assert.equal(r.one(T.filter, "anomaly-alarms-api-not-found").inputs.pattern, '{ $.errorResponseType = "MISSING_AUTHENTICATION_TOKEN" }');
    assert.equal(JSON.parse(r.one(T.stage, "presign-api-stage").inputs.accessLogSettings.format).errorResponseType, "$context.error.responseType");
  });

  it("without mTLS: no custom domain, no private CA, the execute-api endpoint stays on", () => {
    assert.equal(r.ofType(T.domain).length, 0);
    assert.equal(r.ofType(T.ca).length, 0);
    assert.equal(r.one(T.restApi, "presign-api-api").inputs.disableExecuteApiEndpoint, false);
    assert.match(r.output("presignApiUrl"), /^https:\/\/\w+\.execute-api\.ap-northeast-1\.amazonaws\.com\/v1\/backups$/);
  });
});

describe("presign API with mTLS (E12 option)", () => {
  let r: Resources;
  before(async () => {
    r = await resourcesOf("prd", MTLS);
  });
  it("proves domain ownership with a public certificate when the domain's certificate is private (ownershipVerificationCertificateArn)", () => {
    assert.equal(r.one(T.domain, "presign-api-domain").inputs.ownershipVerificationCertificateArn, OWNERSHIP_CERTIFICATE_ARN);
  });
  it("lets only the configured caller roles invoke, denying every other principal explicitly, and redeploys when that list changes", () => {
    const policyRes = r.one("aws:apigateway/restApiPolicy:RestApiPolicy", "presign-api-resource-policy");
    const allow = statement(policyRes.inputs.policy, "AllowConfiguredCallerRoles");
    assert.equal(allow.Action, "execute-api:Invoke");
    assert.deepEqual(asList(allow.Condition?.ArnEquals["aws:PrincipalArn"]), CALLER_ROLE_ARNS);
    const deny = statement(policyRes.inputs.policy, "DenyEveryoneElse");
    assert.equal(deny.Principal, "*");
    assert.deepEqual(asList(deny.Condition?.ArnNotEquals["aws:PrincipalArn"]), CALLER_ROLE_ARNS);
    const deployment = r.one("aws:apigateway/deployment:Deployment", "presign-api-deployment");
    assert.equal(deployment.inputs.triggers.resourcePolicy, policyRes.inputs.policy);
  });
  it("uses a regional custom domain with TLS_1_2 (TLS 1.3 negotiated; TLS-1.3-only policies exclude mTLS)", () => {
    const d = r.one(T.domain, "presign-api-domain").inputs;
    assert.equal(d.domainName, "backup-api.example.org");
    assert.equal(d.securityPolicy, "TLS_1_2");
    assert.deepEqual(d.endpointConfiguration, { types: "REGIONAL" });
    assert.equal(d.regionalCertificateArn, MTLS[`${P}:mtlsCertificateArn`]);
  });
  it("trusts the root of an ACM Private CA in short-lived mode, from a versioned S3 object", () => {
    const ca = r.one(T.ca, "presign-api-client-ca").inputs;
    assert.equal(ca.usageMode, "SHORT_LIVED_CERTIFICATE");
    assert.equal(ca.type, "ROOT");
    const d = r.one(T.domain, "presign-api-domain").inputs;
    assert.equal(d.mutualTlsAuthentication.truststoreUri, `s3://audit-mtls-truststore-prd-${ACCOUNT}-${REGION}/truststore.pem`);
    assert.match(d.mutualTlsAuthentication.truststoreVersion, /^[0-9a-f]{32}$/);
    const pem = r.one("aws:s3/bucketObjectv2:BucketObjectv2", "presign-api-truststore-pem").inputs;
    assert.match(pem.content, /BEGIN CERTIFICATE/);
    assert.equal(
      r.forBucket("aws:s3/bucketVersioning:BucketVersioning", `audit-mtls-truststore-prd-${ACCOUNT}-${REGION}`).inputs.versioningConfiguration.status,
      "Enabled",
    );
  });
  it("disables the default execute-api endpoint and makes the handler require a client certificate", () => {
    assert.equal(r.one(T.restApi, "presign-api-api").inputs.disableExecuteApiEndpoint, true);
    assert.equal(r.one(T.fn, "presign-api-handler").inputs.environment.variables.REQUIRE_CLIENT_CERT, "true");
    assert.equal(r.output("presignApiUrl"), "https://backup-api.example.org/backups");
  });
  it("needs the domain and its certificate (config error otherwise)", async () => {
    await assert.rejects(resourcesOf("prd", { [`${P}:mtlsEnabled`]: "true" }), /mtlsDomainName: missing; mtlsEnabled: true needs the API's custom domain/);
  });
});
