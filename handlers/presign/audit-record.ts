// The audit record every request produces, allowed or refused (E12, A1-A6).
// A typed value with fixed keys; the adapter emits it as JSON through Powertools Logger.
//
// Personal data (No.50): the parts a client chose (file name, key remainder, a refused key) are
// logged as HMAC-SHA-256 under a secret key (the audit-hash salt, kept in Secrets Manager), not as plain SHA-256: file names of
// medical backups are short and guessable ("yamada_taro_2025.dump"), so an unkeyed hash could be
// reversed by trying names. The HMAC stays deterministic, so an auditor holding the key can still
// answer "was this object/file requested?" by hashing the candidate and searching the logs.

import { createHmac } from "node:crypto";
import type { ClientCertificateSummary } from "./caller-identity";

export const AUDIT_SCHEMA = "backup-presign-audit/1";

export type AuditAction =
  | "UPLOAD_URL_ISSUED"
  | "UPLOAD_URL_REFUSED"
  | "UPLOAD_URL_FAILED"
  | "DOWNLOAD_URL_ISSUED"
  | "DOWNLOAD_URL_REFUSED"
  | "DOWNLOAD_URL_FAILED"
  /** The route itself is unknown, so neither upload nor download. */
  | "URL_REQUEST_REFUSED"
  /** Failed before the request could be classified (adapter's last resort). */
  | "URL_REQUEST_FAILED";

export type AuditOutcome = "SUCCESS" | "REFUSED" | "ERROR";

export interface AuditRecord {
  schema: typeof AUDIT_SCHEMA;
  /** A1: UTC, ISO 8601 with "Z". */
  time: string;
  /** API Gateway request id (matches the access log, No.49). */
  requestId: string;
  lambdaRequestId: string | null;
  /** A3: what was done. */
  action: AuditAction;
  /** A2: who, with which credential and which permission. */
  user: {
    id: string | null;
    principalId: string | null;
    accountId: string | null;
    role: string | null;
    authorization: "AWS_IAM";
    accessKeyId: string | null;
    clientCertSerial: string | null;
    /** The permission actually exercised: the only prefix this caller may reach. */
    grantedKeyPrefix: string | null;
  };
  /** A4: what it was done to. */
  target: {
    bucket: string;
    /** Server-generated part in clear, client-chosen remainder as "hmac-sha256:<hex>"; null when refused before a key was accepted. */
    key: string | null;
    /** HMAC of the complete key as requested or issued: joins this record to CloudTrail data events (E2). */
    keyHmac: string | null;
    /** HMAC of the client-supplied file name (upload), never the name itself (No.50). */
    fileNameHmac: string | null;
  };
  /** A5: from where and how. */
  source: {
    ip: string | null;
    userAgent: string | null;
    /** "<METHOD> <path>" as received. */
    accessMethod: string;
    transport: "mTLS" | "TLS";
    clientCert: ClientCertificateSummary | null;
  };
  /** A6: result. */
  result: {
    outcome: AuditOutcome;
    httpStatus: number;
    errorCode: string | null;
    /** When the issued URL stops working (UTC). */
    urlExpiresAt: string | null;
  };
  /** No.49: processing time. */
  durationMs: number;
}

/** HMAC-SHA-256, hex, prefixed with the algorithm so a later change of scheme stays readable. */
export function auditHmac(salt: string, value: string): string {
  return `hmac-sha256:${createHmac("sha256", salt).update(value, "utf8").digest("hex")}`;
}
