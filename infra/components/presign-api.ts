// E12 (000 1.1, 7; 001 section 4, No.49, No.50): a REST API that issues short-lived presigned URLs
// for the backup-data bucket. IAM auth (SigV4) identifies every caller; each request writes one
// A1-A6 audit record (handlers/presign); the stage's access log carries request id, caller, source
// IP, user agent, method, path, status, latency, TLS version and the client certificate serial;
// a WAF (AWS managed rules + a rate limit) logs to a KMS-encrypted log group; mutual TLS on a
// regional custom domain is a per-stack option (ACM Private CA costs money every month).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { bucketBaseline } from "../lib/bucket-baseline";
import { denyInsecureTransport, policyJson } from "../lib/policy-document";
import { HandlerFunction } from "./handler-function";

export interface PresignApiArgs {
  namePrefix: string;
  stack: string;
  region: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** Encrypts the logs and the Lambda environment (the estate key). */
  kmsKeyArn: pulumi.Input<string>;
  dataBucketName: pulumi.Input<string>;
  dataBucketArn: pulumi.Input<string>;
  dataKeyArn: pulumi.Input<string>;
  logRetentionDays: number;
  urlExpirySeconds: number;
  rateLimitPer5Minutes: number;
  mtls?: { domainName: string; certificateArn: string; ownershipVerificationCertificateArn?: string; truststoreBucketName: pulumi.Input<string> };
  /** The only roles the API's resource policy lets invoke it (aws:PrincipalArn); empty: nobody. */
  callerRoleArns: string[];
  /** Manage the account's API Gateway CloudWatch Logs role (one stack per account and region). */
  manageAccountSettings: boolean;
}

/** Callers get URLs only under `tenants/<account>/<role>/` (handlers/presign/caller-identity.ts). */
export const KEY_PREFIX_ROOT = "tenants/";
export const STAGE_NAME = "v1";

/** No.49: who, from where, what, result, how long, over which TLS, with which client certificate. */
export const ACCESS_LOG_FORMAT = {
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  requestTime: "$context.requestTimeEpoch",
  caller: "$context.identity.caller",
  userArn: "$context.identity.userArn",
  accountId: "$context.identity.accountId",
  sourceIp: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  protocol: "$context.protocol",
  status: "$context.status",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  errorMessage: "$context.error.message",
  errorResponseType: "$context.error.responseType",
  wafResponseCode: "$context.wafResponseCode",
  tlsVersion: "$context.tlsVersion",
  cipherSuite: "$context.cipherSuite",
  domainName: "$context.domainName",
  clientCertSerialNumber: "$context.identity.clientCert.serialNumber",
  clientCertSubjectDN: "$context.identity.clientCert.subjectDN",
  clientCertNotAfter: "$context.identity.clientCert.validity.notAfter",
};

export const ROUTES = ["upload-url", "download-url"] as const;

export class PresignApi extends pulumi.ComponentResource {
  readonly restApiId: pulumi.Output<string>;
  readonly invokeUrl: pulumi.Output<string>;
  readonly accessLogGroupName: pulumi.Output<string>;
  readonly wafLogGroupName: pulumi.Output<string>;
  readonly functionRoleArn: pulumi.Output<string>;
  readonly customDomainName?: pulumi.Output<string>;

  constructor(name: string, args: PresignApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:api:PresignApi", name, {}, opts);
    const base = `${args.namePrefix}-${args.stack}`;
    const logs = (id: string, logName: string) =>
      new aws.cloudwatch.LogGroup(`${name}-${id}`, { name: logName, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn }, { parent: this });

    // No.50: file names are logged only as HMACs keyed by this salt. It lives in Secrets Manager
    // (encrypted with the estate key), not in the Lambda environment any admin can read with
    // lambda:GetFunctionConfiguration; the handler reads it once per cold start.
    const salt = new random.RandomPassword(`${name}-audit-hash-salt`, { length: 48, special: false }, { parent: this });
    const saltSecret = new aws.secretsmanager.Secret(
      `${name}-audit-hash-salt`,
      {
        name: `${base}/presign-audit-hash-salt`,
        description: "HMAC key that pseudonymises file names in the presign audit records (No.50)",
        kmsKeyId: args.kmsKeyArn,
      },
      { parent: this },
    );
    const saltVersion = new aws.secretsmanager.SecretVersion(
      `${name}-audit-hash-salt`,
      { secretId: saltSecret.id, secretString: pulumi.secret(salt.result) },
      { parent: this },
    );

    const handler = new HandlerFunction(
      `${name}-handler`,
      {
        entry: "presign/index.ts",
        functionName: `${base}-presign`,
        description: `Issues presigned URLs for ${args.stack}'s backup-data bucket, one audit record per request (E12)`,
        environment: {
          DATA_BUCKET: args.dataBucketName,
          DATA_KMS_KEY_ARN: args.dataKeyArn,
          URL_EXPIRY_SECONDS: String(args.urlExpirySeconds),
          KEY_PREFIX_ROOT: KEY_PREFIX_ROOT,
          AUDIT_HASH_SALT_SECRET_ARN: saltSecret.arn,
          REQUIRE_CLIENT_CERT: args.mtls ? "true" : "false",
        },
        statements: [
          {
            // The URL carries the function's credentials: this is all a caller can ever do.
            sid: "ObjectsUnderTheTenantPrefixOnly",
            effect: "Allow",
            actions: ["s3:PutObject", "s3:GetObject"],
            resources: [pulumi.interpolate`${args.dataBucketArn}/${KEY_PREFIX_ROOT}*`],
          },
          {
            sid: "ReadAuditHashSalt",
            effect: "Allow",
            actions: ["secretsmanager:GetSecretValue"],
            resources: [saltSecret.arn],
          },
          {
            // Secrets Manager decrypts the salt with the estate key under the context SecretARN.
            sid: "DecryptAuditHashSaltThroughSecretsManager",
            effect: "Allow",
            actions: ["kms:Decrypt"],
            resources: [args.kmsKeyArn],
            conditions: [
              { test: "StringEquals", variable: "kms:ViaService", values: [`secretsmanager.${args.region}.amazonaws.com`] },
              { test: "StringEquals", variable: "kms:EncryptionContext:SecretARN", values: [saltSecret.arn] },
            ],
          },
          {
            sid: "DataKeyThroughS3OnThisBucketOnly",
            effect: "Allow",
            actions: ["kms:GenerateDataKey", "kms:Decrypt"],
            resources: [args.dataKeyArn],
            conditions: [
              { test: "StringEquals", variable: "kms:ViaService", values: [`s3.${args.region}.amazonaws.com`] },
              { test: "ArnLike", variable: "kms:EncryptionContext:aws:s3:arn", values: [args.dataBucketArn, pulumi.interpolate`${args.dataBucketArn}/*`] },
            ],
          },
        ],
        accountId: args.accountId,
        kmsKeyArn: args.kmsKeyArn,
        logRetentionDays: args.logRetentionDays,
        timeoutSeconds: 10,
      },
      { parent: this, dependsOn: [saltVersion] },
    );

    const api = new aws.apigateway.RestApi(
      `${name}-api`,
      {
        name: `${base}-presign`,
        description: "Presigned URLs for the backup-data bucket (E12)",
        endpointConfiguration: { types: "REGIONAL" },
        // With mTLS, the only way in is the custom domain that checks client certificates.
        disableExecuteApiEndpoint: !!args.mtls,
      },
      { parent: this },
    );
    // Only the configured caller roles may invoke, whatever their IAM policies say (a principal with
    // a broad execute-api:Invoke must not mint URLs); everyone else is denied explicitly. aws:PrincipalArn
    // of an assumed-role session is the role's ARN (IAM: "AWS global condition context keys").
    const invokeArn = pulumi.interpolate`arn:${args.partition}:execute-api:${args.region}:${args.accountId}:${api.id}/*`;
    const callers = args.callerRoleArns;
    const resourcePolicy = new aws.apigateway.RestApiPolicy(
      `${name}-resource-policy`,
      {
        restApiId: api.id,
        policy: policyJson(
          [
            ...(callers.length > 0
              ? [
                  {
                    sid: "AllowConfiguredCallerRoles",
                    effect: "Allow",
                    principals: [{ type: "AWS", identifiers: ["*"] }],
                    actions: ["execute-api:Invoke"],
                    resources: [invokeArn],
                    conditions: [{ test: "ArnEquals", variable: "aws:PrincipalArn", values: callers }],
                  },
                ]
              : []),
            {
              sid: "DenyEveryoneElse",
              effect: "Deny",
              principals: [{ type: "*", identifiers: ["*"] }],
              actions: ["execute-api:Invoke"],
              resources: [invokeArn],
              ...(callers.length > 0 ? { conditions: [{ test: "ArnNotEquals", variable: "aws:PrincipalArn", values: callers }] } : {}),
            },
          ],
          { parent: this },
        ),
      },
      { parent: this },
    );
    const backups = new aws.apigateway.Resource(`${name}-backups`, { restApi: api.id, parentId: api.rootResourceId, pathPart: "backups" }, { parent: this });
    const integrations: pulumi.Resource[] = [];
    for (const route of ROUTES) {
      const resource = new aws.apigateway.Resource(`${name}-${route}`, { restApi: api.id, parentId: backups.id, pathPart: route }, { parent: this });
      const method = new aws.apigateway.Method(
        `${name}-${route}`,
        // IAM auth: SigV4-verified role sessions; the handler derives the caller's prefix from them.
        { restApi: api.id, resourceId: resource.id, httpMethod: "POST", authorization: "AWS_IAM" },
        { parent: this },
      );
      integrations.push(
        new aws.apigateway.Integration(
          `${name}-${route}`,
          {
            restApi: api.id,
            resourceId: resource.id,
            httpMethod: method.httpMethod,
            type: "AWS_PROXY",
            integrationHttpMethod: "POST",
            uri: pulumi.interpolate`arn:${args.partition}:apigateway:${args.region}:lambda:path/2015-03-31/functions/${handler.functionArn}/invocations`,
          },
          { parent: this },
        ),
      );
    }
    new aws.lambda.Permission(
      `${name}-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: handler.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`arn:${args.partition}:execute-api:${args.region}:${args.accountId}:${api.id}/*/POST/backups/*`,
      },
      { parent: this },
    );

    const accessLogs = logs("access-logs", `/aws/apigateway/${base}-presign-access`);
    const deployment = new aws.apigateway.Deployment(
      `${name}-deployment`,
      // A changed resource policy takes effect only with a new deployment: it is part of the trigger.
      { restApi: api.id, triggers: { routes: ROUTES.join(","), auth: "AWS_IAM", resourcePolicy: resourcePolicy.policy }, description: "Presign API routes" },
      { parent: this, dependsOn: [...integrations, resourcePolicy] },
    );
    // REST API access logging writes through the account's API Gateway CloudWatch role, a single
    // setting per account and region (README: manageApiGatewayAccount).
    const accountSettings: pulumi.Resource[] = [];
    if (args.manageAccountSettings) {
      const pushRole = new aws.iam.Role(
        `${name}-cloudwatch-push`,
        {
          description: "API Gateway writes access logs to CloudWatch Logs",
          assumeRolePolicy: policyJson(
            [
              {
                effect: "Allow",
                // As documented for API Gateway's logging role: no source condition.
                principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }],
                actions: ["sts:AssumeRole"],
              },
            ],
            { parent: this },
          ),
        },
        { parent: this },
      );
      const pushPolicy = new aws.iam.RolePolicyAttachment(
        `${name}-cloudwatch-push`,
        { role: pushRole.name, policyArn: pulumi.interpolate`arn:${args.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs` },
        { parent: this },
      );
      const account = new aws.apigateway.Account(`${name}-account`, { cloudwatchRoleArn: pushRole.arn }, { parent: this, dependsOn: [pushPolicy] });
      accountSettings.push(account);
    }
    const stage = new aws.apigateway.Stage(
      `${name}-stage`,
      {
        restApi: api.id,
        deployment: deployment.id,
        stageName: STAGE_NAME,
        accessLogSettings: { destinationArn: accessLogs.arn, format: JSON.stringify(ACCESS_LOG_FORMAT) },
      },
      { parent: this, dependsOn: accountSettings },
    );
    new aws.apigateway.MethodSettings(
      `${name}-method-settings`,
      {
        restApi: api.id,
        stageName: stage.stageName,
        methodPath: "*/*",
        // Metrics on; execution logging off: it would log presigned URLs and request bodies (No.50).
        settings: { metricsEnabled: true, loggingLevel: "OFF", dataTraceEnabled: false, throttlingBurstLimit: 100, throttlingRateLimit: 50 },
      },
      { parent: this },
    );

    const wafLogs = logs("waf-logs", `aws-waf-logs-${base}-presign`);
    const managed = (priority: number, ruleName: string) => ({
      name: ruleName,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: "AWS", name: ruleName } },
      visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: ruleName, sampledRequestsEnabled: true },
    });
    const acl = new aws.wafv2.WebAcl(
      `${name}-waf`,
      {
        name: `${base}-presign`,
        scope: "REGIONAL",
        defaultAction: { allow: {} },
        rules: [
          managed(1, "AWSManagedRulesCommonRuleSet"),
          managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
          managed(3, "AWSManagedRulesAmazonIpReputationList"),
          {
            name: "rate-limit-per-ip",
            priority: 4,
            action: { block: {} },
            statement: { rateBasedStatement: { limit: args.rateLimitPer5Minutes, aggregateKeyType: "IP", evaluationWindowSec: 300 } },
            visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: "rate-limit-per-ip", sampledRequestsEnabled: true },
          },
        ],
        visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: `${base}-presign`, sampledRequestsEnabled: true },
      },
      { parent: this },
    );
    new aws.wafv2.WebAclAssociation(`${name}-waf`, { resourceArn: stage.arn, webAclArn: acl.arn }, { parent: this });
    new aws.wafv2.WebAclLoggingConfiguration(
      `${name}-waf-logging`,
      {
        resourceArn: acl.arn,
        logDestinationConfigs: [wafLogs.arn],
        // SigV4 headers carry the caller's session token: a credential never goes into a log.
        redactedFields: [{ singleHeader: { name: "authorization" } }, { singleHeader: { name: "x-amz-security-token" } }],
      },
      { parent: this },
    );

    if (args.mtls) this.customDomainName = this.mutualTls(name, base, args, api, stage);

    this.restApiId = api.id;
    this.invokeUrl = args.mtls
      ? pulumi.interpolate`https://${args.mtls.domainName}/backups`
      : pulumi.interpolate`https://${api.id}.execute-api.${args.region}.amazonaws.com/${STAGE_NAME}/backups`;
    this.accessLogGroupName = accessLogs.name;
    this.wafLogGroupName = wafLogs.name;
    this.functionRoleArn = handler.roleArn;
    this.registerOutputs({ invokeUrl: this.invokeUrl });
  }

  /**
   * Mutual TLS (000 7): a regional custom domain with the TLS_1_2 policy (it negotiates TLS 1.3 with
   * clients that offer it; the TLS-1.3-only policies cannot be combined with mTLS), whose truststore
   * is the root certificate of an ACM Private CA in short-lived certificate mode (client
   * certificates of at most 7 days: about 50 USD a month instead of 400), kept as a versioned S3 object.
   */
  private mutualTls(name: string, base: string, args: PresignApiArgs, api: aws.apigateway.RestApi, stage: aws.apigateway.Stage): pulumi.Output<string> {
    const mtls = args.mtls!;
    const ca = new aws.acmpca.CertificateAuthority(
      `${name}-client-ca`,
      {
        type: "ROOT",
        usageMode: "SHORT_LIVED_CERTIFICATE",
        certificateAuthorityConfiguration: {
          keyAlgorithm: "EC_prime256v1",
          signingAlgorithm: "SHA256WITHECDSA",
          subject: { commonName: `${base} presign API clients`, organization: args.namePrefix },
        },
        permanentDeletionTimeInDays: 30,
      },
      { parent: this },
    );
    const rootCert = new aws.acmpca.Certificate(
      `${name}-client-ca-root`,
      {
        certificateAuthorityArn: ca.arn,
        certificateSigningRequest: ca.certificateSigningRequest,
        signingAlgorithm: "SHA256WITHECDSA",
        templateArn: pulumi.interpolate`arn:${args.partition}:acm-pca:::template/RootCACertificate/V1`,
        validity: { type: "YEARS", value: "10" },
      },
      { parent: this },
    );
    new aws.acmpca.CertificateAuthorityCertificate(
      `${name}-client-ca-install`,
      { certificateAuthorityArn: ca.arn, certificate: rootCert.certificate, certificateChain: rootCert.certificateChain },
      { parent: this },
    );

    // The truststore holds only public certificates; API Gateway reads it by version.
    const truststore = new aws.s3.Bucket(`${name}-truststore`, { bucket: mtls.truststoreBucketName, forceDestroy: false }, { parent: this });
    const child = { parent: this, dependsOn: [truststore] };
    const baseline = bucketBaseline(`${name}-truststore`, truststore, child);
    const versioning = new aws.s3.BucketVersioning(
      `${name}-truststore-versioning`,
      { bucket: truststore.id, versioningConfiguration: { status: "Enabled" } },
      child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-truststore-encryption`,
      { bucket: truststore.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      child,
    );
    new aws.s3.BucketPolicy(
      `${name}-truststore-policy`,
      { bucket: truststore.id, policy: policyJson([denyInsecureTransport(truststore.arn)], { parent: this }) },
      { parent: this, dependsOn: [baseline.publicAccessBlock] },
    );
    const pem = new aws.s3.BucketObjectv2(
      `${name}-truststore-pem`,
      { bucket: truststore.id, key: "truststore.pem", content: rootCert.certificate, contentType: "application/x-pem-file" },
      { parent: this, dependsOn: [versioning] },
    );
    const domain = new aws.apigateway.DomainName(
      `${name}-domain`,
      {
        domainName: mtls.domainName,
        regionalCertificateArn: mtls.certificateArn,
        // A certificate from ACM Private CA, or imported into ACM, needs a public ACM certificate of
        // the domain to prove ownership for mTLS (aws.apigateway.DomainName, API Gateway mTLS docs).
        ownershipVerificationCertificateArn: mtls.ownershipVerificationCertificateArn,
        endpointConfiguration: { types: "REGIONAL" },
        securityPolicy: "TLS_1_2",
        mutualTlsAuthentication: { truststoreUri: pulumi.interpolate`s3://${truststore.bucket}/${pem.key}`, truststoreVersion: pem.versionId },
      },
      { parent: this },
    );
    new aws.apigateway.BasePathMapping(
      `${name}-domain-mapping`,
      { domainName: domain.domainName, restApi: api.id, stageName: stage.stageName },
      { parent: this },
    );
    return domain.domainName;
  }
}
