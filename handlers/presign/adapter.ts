// Thin Lambda adapter: wires configuration, the SDK v3 signer and Powertools Logger around the
// pure core, and emits exactly one audit record per invocation (E12, A1-A6).
// Kept apart from index.ts so tests can build handlers with their own environment and sinks;
// index.ts only instantiates it at cold start.

import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import type { ApiGatewayProxyResult, LambdaInvocationContext } from "./api-gateway-event";
import { AUDIT_SCHEMA, type AuditRecord } from "./audit-record";
import { loadPresignConfig, type PresignConfig } from "./config";
import { handlePresignRequest, type PresignedUrlSigner } from "./core";
import { createDataBucketS3Client, S3UrlSigner } from "./s3-url-signer";

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
  /** Defaults to the SDK v3 presigner with the Lambda role's credentials. */
  signer?: PresignedUrlSigner;
  auditSink?: AuditSink;
  now?: () => Date;
  newObjectId?: () => string;
}

export type PresignLambdaHandler = (event: unknown, context?: LambdaInvocationContext) => Promise<ApiGatewayProxyResult>;

/** Only reached if the core broke its never-throw contract: still one audit record, still no stack. */
function lastResortOutcome(config: PresignConfig, context: LambdaInvocationContext | undefined): { response: ApiGatewayProxyResult; audit: AuditRecord } {
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
      user: { id: null, principalId: null, accountId: null, role: null, authorization: "AWS_IAM", accessKeyId: null, clientCertSerial: null, grantedKeyPrefix: null },
      target: { bucket: config.dataBucket, key: null, keyHmac: null, fileNameHmac: null },
      source: { ip: null, userAgent: null, accessMethod: "-", transport: "TLS", clientCert: null },
      result: { outcome: "ERROR", httpStatus: 500, errorCode: "INTERNAL_ERROR", urlExpiresAt: null },
      durationMs: 0,
    },
  };
}

/** Validates the environment now (throws PresignConfigError naming the variable) and returns the handler. */
export function createPresignHandler(options: PresignHandlerOptions): PresignLambdaHandler {
  const config = loadPresignConfig(options.env);
  const signer = options.signer ?? new S3UrlSigner(createDataBucketS3Client({ region: config.region }));
  const auditSink = options.auditSink ?? powertoolsAuditSink(createAuditLogger());
  const now = options.now ?? (() => new Date());
  const newObjectId = options.newObjectId ?? (() => randomUUID());

  return async (event, context) => {
    let outcome: { response: ApiGatewayProxyResult; audit: AuditRecord };
    try {
      const decided = await handlePresignRequest(event, context, { config, signer, now, newObjectId });
      if (decided.internalError !== null) auditSink.reportInternalError(decided.audit.requestId, decided.internalError);
      outcome = decided;
    } catch (error) {
      outcome = lastResortOutcome(config, context);
      auditSink.reportInternalError(outcome.audit.requestId, error);
    }
    auditSink.emitAudit(outcome.audit);
    return outcome.response;
  };
}
