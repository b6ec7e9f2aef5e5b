// Thin Lambda adapter: wires configuration, the audit-hash salt (Secrets Manager), the SigV4 URL
// signer and Powertools Logger around the pure core, and emits exactly one audit record per
// invocation (E12, A1-A6).
// Kept apart from index.ts so tests can build handlers with their own environment and sinks;
// index.ts only instantiates it at cold start.

import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import type { ApiGatewayProxyResult, LambdaInvocationContext } from "./api-gateway-event";
import { AUDIT_SCHEMA, type AuditRecord } from "./audit-record";
import { SECRETS_MANAGER_ENDPOINT_VARIABLE, secretsManagerAuditSalt } from "./audit-salt";
import { loadPresignConfig, withAuditHashSalt, type PresignConfig, type PresignSettings } from "./config";
import { handlePresignRequest, type PresignedUrlSigner } from "./core";
import { S3UrlSigner } from "./s3-url-signer";
import { credentialsFromEnvironment } from "./sigv4";

export const AUDIT_LOG_MESSAGE = "backup-presign audit record";
export const SERVICE_NAME = "backup-presign";

/** Where audit records go. One call of emitAudit per request, no more, no fewer. */
export interface AuditSink {
  emitAudit(record: AuditRecord): void;
  /** Diagnostics for a 500; not an audit record. */
  reportInternalError(requestId: string, error: unknown): void;
}

export function createAuditLogger(): Logger {
  // Level fixed at INFO in code: POWERTOOLS_LOG_LEVEL / LOG_LEVEL set to WARN must not silence
  // audit records. (Lambda advanced logging controls still override this; keep them at INFO.)
  return new Logger({ serviceName: SERVICE_NAME, logLevel: "INFO" });
}

/** Audit records as Powertools JSON lines, the record under the stable key "audit". */
export function powertoolsAuditSink(logger: Logger): AuditSink {
  return {
    emitAudit(record) {
      logger.info(AUDIT_LOG_MESSAGE, { audit: record });
    },
    reportInternalError(requestId, error) {
      // Name and message only: enough to diagnose, and no request data is copied (No.50).
      const name = error instanceof Error ? error.name : typeof error;
      const message = error instanceof Error ? error.message.slice(0, 500) : "non-Error thrown";
      logger.error("backup-presign internal error", { requestId, errorName: name, errorMessage: message });
    },
  };
}

export interface PresignHandlerOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Defaults to S3UrlSigner (SDK SigV4 signer) with the Lambda role's credentials. */
  signer?: PresignedUrlSigner;
  /**
   * Where the audit-hash salt comes from. Defaults to GetSecretValue on AUDIT_HASH_SALT_SECRET_ARN,
   * read on the first invocation and kept for the sandbox's life (a failed read is retried).
   */
  auditHashSalt?: () => Promise<string>;
  auditSink?: AuditSink;
  now?: () => Date;
  newObjectId?: () => string;
}

export type PresignLambdaHandler = (event: unknown, context?: LambdaInvocationContext) => Promise<ApiGatewayProxyResult>;

/** Only reached if the core broke its never-throw contract: still one audit record, still no stack. */
function lastResortOutcome(config: PresignSettings, context: LambdaInvocationContext | undefined): { response: ApiGatewayProxyResult; audit: AuditRecord } {
  const requestId = typeof context?.awsRequestId === "string" ? context.awsRequestId.slice(0, 128) : "unknown";
  return {
    response: {
      statusCode: 500,
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
      body: JSON.stringify({ error: { code: "INTERNAL_ERROR", message: "internal error; quote the request id when reporting it", requestId } }),
    },
    audit: {
      schema: AUDIT_SCHEMA,
      time: new Date().toISOString(),
      requestId,
      lambdaRequestId: requestId === "unknown" ? null : requestId,
      action: "URL_REQUEST_FAILED",
      user: {
        id: null,
        principalId: null,
        accountId: null,
        role: null,
        authorization: "AWS_IAM",
        accessKeyId: null,
        clientCertSerial: null,
        grantedKeyPrefix: null,
      },
      target: { bucket: config.dataBucket, key: null, keyHmac: null, fileNameHmac: null },
      source: { ip: null, userAgent: null, accessMethod: "-", transport: "TLS", clientCert: null },
      result: { outcome: "ERROR", httpStatus: 500, errorCode: "INTERNAL_ERROR", urlExpiresAt: null },
      durationMs: 0,
    },
  };
}

/**
 * Validates the environment now (throws PresignConfigError naming the variable) and returns the
 * handler. The salt is read on the first invocation rather than at import: the import stays cheap
 * (issue 13 budget), and a salt that cannot be read still yields a 500 with its audit record and
 * a diagnostic line naming the secret and the problem (never the value).
 */
export function createPresignHandler(options: PresignHandlerOptions): PresignLambdaHandler {
  const settings = loadPresignConfig(options.env);
  const credentials = credentialsFromEnvironment(options.env);
  const signer = options.signer ?? new S3UrlSigner({ region: settings.region, credentials });
  const auditHashSalt =
    options.auditHashSalt ??
    secretsManagerAuditSalt({ secretArn: settings.auditHashSaltSecretArn, credentials, endpoint: options.env[SECRETS_MANAGER_ENDPOINT_VARIABLE] });
  const auditSink = options.auditSink ?? powertoolsAuditSink(createAuditLogger());
  const now = options.now ?? (() => new Date());
  const newObjectId = options.newObjectId ?? (() => randomUUID());

  return async (event, context) => {
    let outcome: { response: ApiGatewayProxyResult; audit: AuditRecord };
    try {
      const config: PresignConfig = withAuditHashSalt(settings, await auditHashSalt());
      const decided = await handlePresignRequest(event, context, { config, signer, now, newObjectId });
      if (decided.internalError !== null) auditSink.reportInternalError(decided.audit.requestId, decided.internalError);
      outcome = decided;
    } catch (error) {
      outcome = lastResortOutcome(settings, context);
      auditSink.reportInternalError(outcome.audit.requestId, error);
    }
    auditSink.emitAudit(outcome.audit);
    return outcome.response;
  };
}
