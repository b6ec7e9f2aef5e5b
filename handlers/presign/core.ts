// Pure core of the presign API (E12): route, authorise, validate, decide, and describe the decision
// as exactly one audit record (A1-A6). No AWS calls: URL signing is injected (PresignedUrlSigner),
// as are the clock and the object id source, so tests drive every path deterministically.
//
// The core never throws. Every outcome, including an unexpected error, becomes a response plus one
// audit record; an internal error is answered with a generic 500 (no stack, no message from the
// error) and handed to the adapter separately for diagnostics.

import type {
  ApiGatewayIamIdentity,
  ApiGatewayProxyEventV1,
  ApiGatewayProxyResult,
  ApiGatewayRequestContext,
  LambdaInvocationContext,
} from "./api-gateway-event";
import { AUDIT_SCHEMA, auditHmac, type AuditAction, type AuditOutcome, type AuditRecord } from "./audit-record";
import { boundedText, resolveCaller, summariseClientCert, type CallerIdentity } from "./caller-identity";
import type { PresignConfig } from "./config";
import { checkFileName, checkObjectKey, generateUploadKey, isUnderPrefix, splitServerGeneratedPart } from "./object-key";

/** Request bodies are a few hundred bytes; anything above 4 KiB is refused before parsing (413). */
export const MAX_REQUEST_BODY_BYTES = 4096;

export const UPLOAD_ROUTE = "/backups/upload-url";
export const DOWNLOAD_ROUTE = "/backups/download-url";
type RouteKind = "upload" | "download";
const ROUTES: Readonly<Record<string, RouteKind>> = { [UPLOAD_ROUTE]: "upload", [DOWNLOAD_ROUTE]: "download" };

export interface UploadUrlSigningRequest {
  bucket: string;
  key: string;
  kmsKeyArn: string;
  /** base64 MD5 of the content; signed so S3 rejects any other body (Object Lock needs it). */
  contentMd5: string;
  contentType: string;
  expiresInSeconds: number;
  signingDate: Date;
}

export interface DownloadUrlSigningRequest {
  bucket: string;
  key: string;
  expiresInSeconds: number;
  signingDate: Date;
}

/** Signs URLs; the production implementation is S3UrlSigner (SDK v3 presigner). */
export interface PresignedUrlSigner {
  signUpload(request: UploadUrlSigningRequest): Promise<string>;
  signDownload(request: DownloadUrlSigningRequest): Promise<string>;
}

export interface PresignCoreDependencies {
  config: PresignConfig;
  signer: PresignedUrlSigner;
  now: () => Date;
  /** Lower-case uuid v4 for generated keys. */
  newObjectId: () => string;
}

export interface PresignOutcome {
  response: ApiGatewayProxyResult;
  audit: AuditRecord;
  /** Set only for a 500: the error, for a diagnostic log line. Never sent to the client. */
  internalError: unknown;
}

export interface ErrorResponseBody {
  error: { code: string; message: string; requestId: string };
}

/** A decided refusal (4xx). Thrown inside the core only; never escapes it. */
class Refusal {
  constructor(
    readonly httpStatus: number,
    readonly errorCode: string,
    readonly message: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {}
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const SAFE_HEADER_VALUE = /^[A-Za-z0-9._:-]{1,128}$/;

function jsonResponse(httpStatus: number, body: unknown, requestId: string, extraHeaders: Record<string, string> = {}): ApiGatewayProxyResult {
  return {
    statusCode: httpStatus,
    headers: {
      "Content-Type": "application/json",
      // The body may hold a bearer URL: no cache, no proxy, may keep it.
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "X-Request-Id": SAFE_HEADER_VALUE.test(requestId) ? requestId : "unknown",
      ...extraHeaders,
    },
    body: JSON.stringify(body),
  };
}

function errorBody(code: string, message: string, requestId: string): ErrorResponseBody {
  return { error: { code, message, requestId } };
}

/** The route template when API Gateway has one (explicit resources), else the raw path (greedy proxy). */
function routePathOf(event: ApiGatewayProxyEventV1): string | null {
  if (typeof event.resource === "string" && event.resource !== "" && !event.resource.includes("{")) return event.resource;
  return typeof event.path === "string" ? event.path : null;
}

function readJsonObjectBody(event: ApiGatewayProxyEventV1): Record<string, unknown> {
  const body = event.body;
  if (body === undefined || body === null || body === "") throw new Refusal(400, "MISSING_BODY", "request body is required (JSON object)");
  if (typeof body !== "string") throw new Refusal(400, "INVALID_BODY", "request body must be a JSON object");
  // Cheap bound before any decoding: base64 inflates by 4/3, UTF-8 needs at least one byte per code unit.
  if (body.length > MAX_REQUEST_BODY_BYTES * 2) throw new Refusal(413, "BODY_TOO_LARGE", `request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes`);
  const raw = event.isBase64Encoded === true ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
  if (raw.length > MAX_REQUEST_BODY_BYTES) throw new Refusal(413, "BODY_TOO_LARGE", `request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new Refusal(400, "INVALID_JSON", "request body is not valid UTF-8");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Refusal(400, "INVALID_JSON", "request body is not valid JSON");
  }
  if (!isPlainObject(parsed)) throw new Refusal(400, "INVALID_BODY", "request body must be a JSON object");
  return parsed;
}

/** Unknown fields are refused, not ignored: a typo or a smuggled field must not pass silently. */
function refuseUnknownFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const field of Object.keys(body)) {
    if (!allowed.includes(field)) {
      const shown = /^[A-Za-z0-9_]{1,32}$/.test(field) ? `"${field}"` : "a field";
      throw new Refusal(400, "UNKNOWN_FIELD", `${shown} is not accepted; allowed fields: ${allowed.join(", ")}`);
    }
  }
}

function requiredString(body: Record<string, unknown>, field: string): string {
  if (!Object.prototype.hasOwnProperty.call(body, field)) throw new Refusal(400, "MISSING_FIELD", `${field} is required`);
  const value = body[field];
  if (typeof value !== "string") throw new Refusal(400, "INVALID_FIELD_TYPE", `${field} must be a string`);
  return value;
}

function optionalString(body: Record<string, unknown>, field: string): string | null {
  if (!Object.prototype.hasOwnProperty.call(body, field)) return null;
  const value = body[field];
  if (typeof value !== "string") throw new Refusal(400, "INVALID_FIELD_TYPE", `${field} must be a string`);
  return value;
}

/** 24 characters of canonical base64 that decode to exactly 16 bytes (an MD5 digest). */
export function isBase64Md5(value: string): boolean {
  if (!/^[A-Za-z0-9+/]{22}==$/.test(value)) return false;
  const bytes = Buffer.from(value, "base64");
  return bytes.length === 16 && bytes.toString("base64") === value;
}

// type/subtype without parameters; the value is signed, so the client must send exactly it.
const CONTENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}$/;

export function isAcceptableContentType(value: string): boolean {
  return CONTENT_TYPE.test(value);
}

/** Key as the audit record shows it: server-generated part in clear, client-chosen rest hashed (No.50). */
export function describeKeyForAudit(key: string, prefix: string, salt: string): string {
  const { serverPart, clientPart } = splitServerGeneratedPart(key, prefix);
  return clientPart === "" ? serverPart : `${serverPart}{${auditHmac(salt, clientPart)}}`;
}

function actionFor(route: RouteKind | null, outcome: AuditOutcome): AuditAction {
  if (route === null) return outcome === "ERROR" ? "URL_REQUEST_FAILED" : "URL_REQUEST_REFUSED";
  const stem = route === "upload" ? "UPLOAD_URL" : "DOWNLOAD_URL";
  return `${stem}_${outcome === "SUCCESS" ? "ISSUED" : outcome === "REFUSED" ? "REFUSED" : "FAILED"}` as AuditAction;
}

export async function handlePresignRequest(
  event: unknown,
  invocation: LambdaInvocationContext | undefined,
  deps: PresignCoreDependencies,
): Promise<PresignOutcome> {
  const { config, signer } = deps;
  const startedAt = deps.now();
  // The event is untrusted in shape too: every level is checked before it is read.
  const apiEvent = (isPlainObject(event) ? event : {}) as ApiGatewayProxyEventV1;
  const requestContext = (isPlainObject(apiEvent.requestContext) ? apiEvent.requestContext : {}) as ApiGatewayRequestContext;
  const identity = (isPlainObject(requestContext.identity) ? requestContext.identity : undefined) as ApiGatewayIamIdentity | undefined;
  const lambdaRequestId = boundedText(invocation?.awsRequestId, 128);
  const requestId = boundedText(requestContext.requestId, 128) ?? lambdaRequestId ?? "unknown";
  const clientCert = summariseClientCert(identity?.clientCert);
  const httpMethod = boundedText(apiEvent.httpMethod, 16);
  const routePath = routePathOf(apiEvent);
  const route: RouteKind | null = routePath !== null && Object.prototype.hasOwnProperty.call(ROUTES, routePath) ? ROUTES[routePath] : null;

  // Filled in as the request is understood, so a refusal or failure at any step still records
  // everything known up to that point.
  let caller: CallerIdentity | null = null;
  const target: AuditRecord["target"] = { bucket: config.dataBucket, key: null, keyHmac: null, fileNameHmac: null };
  let urlExpiresAt: string | null = null;

  let httpStatus: number;
  let outcome: AuditOutcome;
  let errorCode: string | null = null;
  let response: ApiGatewayProxyResult;
  let internalError: unknown = null;

  try {
    if (route === null) throw new Refusal(404, "ROUTE_NOT_FOUND", "no such route; use POST /backups/upload-url or POST /backups/download-url");
    if (httpMethod !== "POST") throw new Refusal(405, "METHOD_NOT_ALLOWED", "only POST is allowed on this route", { Allow: "POST" });

    const decision = resolveCaller(identity, config.keyPrefixRoot);
    if (!decision.ok) throw new Refusal(decision.httpStatus, decision.errorCode, decision.message);
    caller = decision.caller;
    if (config.requireClientCert && clientCert === null) {
      throw new Refusal(403, "CLIENT_CERT_REQUIRED", "a mutual-TLS client certificate is required");
    }

    const body = readJsonObjectBody(apiEvent);
    const signingDate = deps.now();
    const expiresAt = new Date(signingDate.getTime() + config.urlExpirySeconds * 1000).toISOString();
    let responseBody: unknown;

    if (route === "upload") {
      refuseUnknownFields(body, ["fileName", "contentMd5", "contentType"]);
      const fileName = optionalString(body, "fileName");
      if (fileName !== null) target.fileNameHmac = auditHmac(config.auditHashSalt, fileName);
      const contentMd5 = requiredString(body, "contentMd5");
      const contentType = requiredString(body, "contentType");
      if (fileName !== null) {
        const nameCheck = checkFileName(fileName);
        if (!nameCheck.ok) throw new Refusal(400, "INVALID_FILE_NAME", nameCheck.reason);
      }
      if (!isBase64Md5(contentMd5))
        throw new Refusal(400, "INVALID_CONTENT_MD5", "contentMd5 must be the base64 encoding of a 16-byte MD5 digest (24 characters)");
      if (!isAcceptableContentType(contentType))
        throw new Refusal(400, "INVALID_CONTENT_TYPE", "contentType must be a type/subtype media type without parameters");

      const key = generateUploadKey({
        prefix: caller.keyPrefix,
        date: signingDate,
        objectId: deps.newObjectId(),
        fileName,
        includeFileName: config.objectKeyIncludesFileName,
      });
      target.key = describeKeyForAudit(key, caller.keyPrefix, config.auditHashSalt);
      target.keyHmac = auditHmac(config.auditHashSalt, key);
      const url = await signer.signUpload({
        bucket: config.dataBucket,
        key,
        kmsKeyArn: config.dataKmsKeyArn,
        contentMd5,
        contentType,
        expiresInSeconds: config.urlExpirySeconds,
        signingDate,
      });
      responseBody = {
        method: "PUT",
        url,
        key,
        expiresAt,
        // Signed headers: the upload fails unless the client sends exactly these.
        requiredHeaders: {
          "Content-MD5": contentMd5,
          "Content-Type": contentType,
          "x-amz-server-side-encryption": "aws:kms",
          "x-amz-server-side-encryption-aws-kms-key-id": config.dataKmsKeyArn,
        },
      };
    } else {
      refuseUnknownFields(body, ["key"]);
      const key = requiredString(body, "key");
      target.keyHmac = auditHmac(config.auditHashSalt, key);
      const keyCheck = checkObjectKey(key);
      if (!keyCheck.ok) throw new Refusal(400, "INVALID_KEY", keyCheck.reason);
      if (!isUnderPrefix(key, caller.keyPrefix)) throw new Refusal(403, "KEY_OUTSIDE_CALLER_PREFIX", "key is outside the prefix granted to the caller");
      target.key = describeKeyForAudit(key, caller.keyPrefix, config.auditHashSalt);
      const url = await signer.signDownload({ bucket: config.dataBucket, key, expiresInSeconds: config.urlExpirySeconds, signingDate });
      responseBody = { method: "GET", url, key, expiresAt };
    }

    urlExpiresAt = expiresAt;
    httpStatus = 200;
    outcome = "SUCCESS";
    response = jsonResponse(200, responseBody, requestId);
  } catch (error) {
    if (error instanceof Refusal) {
      httpStatus = error.httpStatus;
      outcome = "REFUSED";
      errorCode = error.errorCode;
      response = jsonResponse(error.httpStatus, errorBody(error.errorCode, error.message, requestId), requestId, error.extraHeaders);
    } else {
      httpStatus = 500;
      outcome = "ERROR";
      errorCode = "INTERNAL_ERROR";
      internalError = error;
      response = jsonResponse(500, errorBody("INTERNAL_ERROR", "internal error; quote the request id when reporting it", requestId), requestId);
    }
  }

  const finishedAt = deps.now();
  const audit: AuditRecord = {
    schema: AUDIT_SCHEMA,
    time: startedAt.toISOString(),
    requestId,
    lambdaRequestId,
    action: actionFor(route, outcome),
    user: {
      // The verified principal even when refused: a refused caller is exactly who an auditor asks about.
      id: caller?.userArn ?? boundedText(identity?.userArn, 256),
      principalId: caller?.principalId ?? boundedText(identity?.caller, 256),
      accountId: caller?.accountId ?? boundedText(identity?.accountId, 32),
      role: caller?.roleName ?? null,
      authorization: "AWS_IAM",
      accessKeyId: caller?.accessKeyId ?? boundedText(identity?.accessKey, 128),
      clientCertSerial: clientCert?.serialNumber ?? null,
      grantedKeyPrefix: caller?.keyPrefix ?? null,
    },
    target,
    source: {
      ip: boundedText(identity?.sourceIp, 64),
      userAgent: boundedText(identity?.userAgent, 512),
      // An unknown path is client-chosen text (could name a patient): not copied (No.50).
      accessMethod: `${httpMethod ?? "-"} ${route === null ? "(unknown route)" : routePath}`,
      transport: clientCert === null ? "TLS" : "mTLS",
      clientCert,
    },
    result: { outcome, httpStatus, errorCode, urlExpiresAt },
    durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
  };
  return { response, audit, internalError };
}
