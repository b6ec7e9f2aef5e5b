// An independent SigV4 verifier for tests, written from AWS's description of the algorithm rather
// than from the SDK: canonical request, string to sign, signing key, signature.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
// It recomputes the signature of a request as a server receives it (method, raw path and query,
// headers) with the secret key the test holds, so a URL or call that verifies here is valid SigV4
// whatever code produced it.

import { createHash, createHmac } from "node:crypto";

const sha256Hex = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();

/** RFC 3986 unreserved characters stay, everything else is %XX (upper case), as SigV4 requires. */
export function uriEncode(value: string, keepSlash: boolean): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === "/")) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), "aws4_request");
}

export interface ReceivedRequest {
  method: string;
  /** Raw path as sent (already encoded). */
  rawPath: string;
  /** Decoded query parameters in the order received. */
  query: Array<[string, string]>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
}

export type Verdict = { ok: true; signedHeaders: string[]; accessKeyId: string; scope: string } | { ok: false; reason: string };

function canonicalQuery(query: Array<[string, string]>, omit: string | null): string {
  return query
    .filter(([name]) => name !== omit)
    .map(([name, value]) => [uriEncode(name, false), uriEncode(value, false)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

function canonicalHeaders(headers: Record<string, string>, signed: string[]): string | null {
  const lines: string[] = [];
  for (const name of signed) {
    const value = headers[name];
    if (value === undefined) return null;
    lines.push(`${name}:${value.trim().replace(/\s+/g, " ")}\n`);
  }
  return lines.join("");
}

/** Verifies a presigned (query-authenticated) request, as S3 would for the URL's signature. */
export function verifyPresignedRequest(request: ReceivedRequest, secretAccessKey: string, now: Date): Verdict {
  const q = new Map(request.query);
  if (q.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") return { ok: false, reason: "X-Amz-Algorithm" };
  const credential = q.get("X-Amz-Credential");
  const amzDate = q.get("X-Amz-Date");
  const expires = Number(q.get("X-Amz-Expires"));
  const signedHeadersText = q.get("X-Amz-SignedHeaders");
  const signature = q.get("X-Amz-Signature");
  if (!credential || !amzDate || !signedHeadersText || !signature || !Number.isInteger(expires)) return { ok: false, reason: "missing auth parameter" };
  const [accessKeyId, date, region, service, terminal] = credential.split("/");
  if (terminal !== "aws4_request" || !amzDate.startsWith(date)) return { ok: false, reason: "credential scope" };
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
  if (!(now.getTime() >= signedAt - 900_000 && now.getTime() <= signedAt + expires * 1000)) return { ok: false, reason: "expired" };
  const signed = signedHeadersText.split(";");
  const headerBlock = canonicalHeaders(request.headers, signed);
  if (headerBlock === null) return { ok: false, reason: "a signed header was not sent" };
  const payloadHash = q.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD";
  const canonical = [request.method, request.rawPath, canonicalQuery(request.query, "X-Amz-Signature"), headerBlock, signedHeadersText, payloadHash].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  const expected = createHmac("sha256", signingKey(secretAccessKey, date, region, service))
    .update(stringToSign, "utf8")
    .digest("hex");
  return expected === signature ? { ok: true, signedHeaders: signed, accessKeyId, scope } : { ok: false, reason: "SignatureDoesNotMatch" };
}

/** Verifies a request signed in the Authorization header (e.g. a Secrets Manager JSON call). */
export function verifyAuthorizationHeader(request: ReceivedRequest, secretAccessKey: string): Verdict {
  const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(request.headers.authorization ?? "");
  if (match === null) return { ok: false, reason: "Authorization header malformed" };
  const [, credential, signedHeadersText, signature] = match;
  const [accessKeyId, date, region, service, terminal] = credential.split("/");
  const amzDate = request.headers["x-amz-date"];
  if (terminal !== "aws4_request" || amzDate === undefined || !amzDate.startsWith(date)) return { ok: false, reason: "credential scope" };
  const signed = signedHeadersText.split(";");
  const headerBlock = canonicalHeaders(request.headers, signed);
  if (headerBlock === null) return { ok: false, reason: "a signed header was not sent" };
  const canonical = [request.method, request.rawPath, canonicalQuery(request.query, null), headerBlock, signedHeadersText, sha256Hex(request.body)].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  const expected = createHmac("sha256", signingKey(secretAccessKey, date, region, service))
    .update(stringToSign, "utf8")
    .digest("hex");
  return expected === signature ? { ok: true, signedHeaders: signed, accessKeyId, scope } : { ok: false, reason: "SignatureDoesNotMatch" };
}

/** Splits a raw request target ("/a/b?x=1&y") into the raw path and decoded query pairs. */
export function parseTarget(target: string): { rawPath: string; query: Array<[string, string]> } {
  const index = target.indexOf("?");
  const rawPath = index < 0 ? target : target.slice(0, index);
  const search = index < 0 ? "" : target.slice(index + 1);
  const query =
    search === ""
      ? []
      : search.split("&").map((part): [string, string] => {
          const eq = part.indexOf("=");
          const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, "%20"));
          return eq < 0 ? [decode(part), ""] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
        });
  return { rawPath, query };
}
