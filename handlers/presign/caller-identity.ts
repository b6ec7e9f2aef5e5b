// Who is calling, and which key prefix that grants (E12, A2).
//
// Authorizer choice: AWS_IAM (SigV4) on the API methods, not a Cognito user pool authorizer.
// - The callers are backup agents (servers, jobs), which already hold IAM roles (instance
//   profiles, task roles, IAM Roles Anywhere for on-premises hosts with certificates from the same
//   ACM Private CA). IAM auth needs no second user directory and no long-lived client secret.
// - Every request is SigV4-signed with temporary credentials; API Gateway verifies the signature
//   and hands over userArn / accountId / accessKey that the caller cannot forge. The credentials
//   themselves come from STS AssumeRole* calls that CloudTrail records (E1), so an audit record's
//   accessKeyId links to the CloudTrail event that issued it (A2 "credential used").
// - Cognito would fit human users in browsers; the API has none.
//
// The tenant prefix is derived from the verified role, never from the request body. The session
// name is chosen by whoever assumes the role, so it identifies the session (logged, A2) but never
// selects a prefix.

import type { ApiGatewayClientCert, ApiGatewayIamIdentity } from "./api-gateway-event";

export interface CallerIdentity {
  /** The IAM principal as API Gateway verified it (A2 user id). */
  userArn: string;
  /** requestContext.identity.caller, e.g. "AROA...:session". */
  principalId: string | null;
  accountId: string;
  /** IAM role the caller assumed (A2 role). */
  roleName: string;
  sessionName: string;
  /** Temporary access key id of the SigV4 signature (A2 credential used). */
  accessKeyId: string | null;
  /** `<KEY_PREFIX_ROOT><accountId>/<roleName>/`: the only part of the bucket this caller may touch. */
  keyPrefix: string;
}

/** mTLS client certificate as API Gateway verified it against the truststore (A2, A5). */
export interface ClientCertificateSummary {
  subjectDN: string | null;
  issuerDN: string | null;
  serialNumber: string | null;
  notBefore: string | null;
  notAfter: string | null;
}

export type CallerDecision =
  { ok: true; caller: CallerIdentity } | { ok: false; httpStatus: 401 | 403; errorCode: "UNAUTHENTICATED" | "IDENTITY_NOT_ALLOWED"; message: string };

/** Strings copied from the event into the audit record are bounded; JSON logging escapes the rest. */
export function boundedText(value: unknown, maxLength: number): string | null {
  return typeof value === "string" && value.length > 0 ? value.slice(0, maxLength) : null;
}

// Only assumed-role sessions. IAM users (long-term access keys) and the root user are refused:
// a backup agent must use temporary credentials.
const ASSUMED_ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{2,64})$/;
// The role name becomes a key segment, so it must pass the key allowlist. IAM also allows
// "+=,@" in role names; such roles are refused rather than mapped, so two roles can never share
// a prefix.
const ROLE_AS_KEY_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

export function resolveCaller(identity: ApiGatewayIamIdentity | undefined, keyPrefixRoot: string): CallerDecision {
  const userArn = identity?.userArn;
  if (typeof userArn !== "string" || userArn === "") {
    return { ok: false, httpStatus: 401, errorCode: "UNAUTHENTICATED", message: "request carries no verified IAM identity" };
  }
  const match = ASSUMED_ROLE_ARN.exec(userArn);
  if (match === null) {
    return { ok: false, httpStatus: 403, errorCode: "IDENTITY_NOT_ALLOWED", message: "only IAM role sessions may request backup URLs" };
  }
  const [, , accountId, roleName, sessionName] = match;
  if (typeof identity?.accountId === "string" && identity.accountId !== "" && identity.accountId !== accountId) {
    return { ok: false, httpStatus: 403, errorCode: "IDENTITY_NOT_ALLOWED", message: "identity account does not match the principal" };
  }
  if (!ROLE_AS_KEY_SEGMENT.test(roleName) || roleName.includes("..")) {
    return { ok: false, httpStatus: 403, errorCode: "IDENTITY_NOT_ALLOWED", message: "role name cannot be used as a key prefix (allowed: [A-Za-z0-9._-])" };
  }
  return {
    ok: true,
    caller: {
      userArn,
      principalId: boundedText(identity?.caller, 256),
      accountId,
      roleName,
      sessionName,
      accessKeyId: boundedText(identity?.accessKey, 128),
      keyPrefix: `${keyPrefixRoot}${accountId}/${roleName}/`,
    },
  };
}

export function summariseClientCert(cert: ApiGatewayClientCert | null | undefined): ClientCertificateSummary | null {
  if (cert === null || cert === undefined || typeof cert !== "object") return null;
  const summary: ClientCertificateSummary = {
    subjectDN: boundedText(cert.subjectDN, 512),
    issuerDN: boundedText(cert.issuerDN, 512),
    serialNumber: boundedText(cert.serialNumber, 128),
    notBefore: boundedText(cert.validity?.notBefore, 64),
    notAfter: boundedText(cert.validity?.notAfter, 64),
  };
  // The PEM is deliberately not copied: serial + issuer identify the certificate.
  return summary.subjectDN === null && summary.serialNumber === null ? null : summary;
}
