/**
 * Streaming SHA-256 of the uncompressed content of exactly one gzip member (RFC 1952).
 *
 * Why not zlib.createGunzip(): Node's gunzip silently continues into a second member appended
 * after the first, so `gzip(original) + gzip(extra)` would decompress to `original + extra` and a
 * tampered file could still be read as if it were one member (the hash is of the uncompressed log file:
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html).
 * Here the header is parsed by hand, the deflate body goes through a raw inflater that stops at
 * the end of the deflate stream, and the 8-byte trailer (CRC-32, ISIZE) is checked; any byte
 * after that trailer is a finding. Memory stays flat: only the bytes in flight are held.
 */
import * as crypto from "node:crypto";
import * as zlib from "node:zlib";

export class GzipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GzipFormatError";
  }
}

export interface GzipMemberDigest {
  /** lowercase hex SHA-256 of the uncompressed bytes */
  sha256: string;
  uncompressedBytes: number;
  compressedBytes: number;
}

const MAX_HEADER_BYTES = 64 * 1024;
const FTEXT = 1;
const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/** Header length, or "need-more" when the buffer does not yet hold the whole header. */
export function parseGzipHeader(buf: Buffer): number | "need-more" {
  if (buf.length >= 1 && buf[0] !== 0x1f) throw new GzipFormatError("not gzip data (bad magic number)");
  if (buf.length >= 2 && buf[1] !== 0x8b) throw new GzipFormatError("not gzip data (bad magic number)");
  if (buf.length >= 3 && buf[2] !== 8) throw new GzipFormatError(`unsupported gzip compression method ${buf[2]}`);
  if (buf.length < 10) return "need-more";
  const flags = buf[3];
  if (flags & ~(FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT)) {
    throw new GzipFormatError("reserved gzip header flags are set");
  }
  let offset = 10;
  if (flags & FEXTRA) {
    if (buf.length < offset + 2) return "need-more";
    offset += 2 + buf.readUInt16LE(offset);
    if (buf.length < offset) return "need-more";
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      const zero = buf.indexOf(0, offset);
      if (zero < 0) return "need-more";
      offset = zero + 1;
    }
  }
  if (flags & FHCRC) {
    offset += 2;
    if (buf.length < offset) return "need-more";
  }
  return offset;
}

function writeAndWait(stream: zlib.InflateRaw, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Hashes the first (and only allowed) gzip member of `source`.
 * Throws GzipFormatError for anything that is not exactly one valid member; errors of the
 * source itself (network, disk) are rethrown unchanged so callers can tell them apart.
 */
export async function hashSingleGzipMember(source: AsyncIterable<Buffer | Uint8Array | string>): Promise<GzipMemberDigest> {
  const hash = crypto.createHash("sha256");
  const inflater = zlib.createInflateRaw({ chunkSize: 64 * 1024 });
  let crc = 0;
  let uncompressedBytes = 0;
  inflater.on("data", (chunk: Buffer) => {
    hash.update(chunk);
    crc = zlib.crc32(chunk, crc);
    uncompressedBytes += chunk.length;
  });
  const inflaterClosed = new Promise<void>((resolve, reject) => {
    inflater.once("end", resolve);
    inflater.once("error", reject);
  });
  // A rejection before we await it must not surface as an unhandled rejection.
  inflaterClosed.catch(() => undefined);

  let compressedBytes = 0;
  let headerLength = -1;
  let pendingHeader: Buffer = Buffer.alloc(0);
  let bodyFed = 0;
  let deflateEnded = false;
  let lastEight: Buffer = Buffer.alloc(0);

  try {
    for await (const piece of source) {
      const chunk = typeof piece === "string" ? Buffer.from(piece) : Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
      if (chunk.length === 0) continue;
      compressedBytes += chunk.length;
      lastEight = chunk.length >= 8 ? chunk.subarray(chunk.length - 8) : Buffer.concat([lastEight, chunk]).subarray(-8);
      let body = chunk;
      if (headerLength < 0) {
        pendingHeader = pendingHeader.length ? Buffer.concat([pendingHeader, chunk]) : chunk;
        const parsed = parseGzipHeader(pendingHeader);
        if (parsed === "need-more") {
          if (pendingHeader.length > MAX_HEADER_BYTES) throw new GzipFormatError("gzip header is too long");
          continue;
        }
        headerLength = parsed;
        body = pendingHeader.subarray(headerLength);
        pendingHeader = Buffer.alloc(0);
      }
      if (deflateEnded || body.length === 0) continue;
      bodyFed += body.length;
      try {
        await writeAndWait(inflater, body);
      } catch (err) {
        throw new GzipFormatError(`corrupt deflate data: ${(err as Error).message}`);
      }
      // The raw inflater stops consuming at the end of the deflate stream; whatever it left is
      // trailer (and possibly more). See Node's zlib processCallback: leftover input ends it.
      if (inflater.bytesWritten < bodyFed) deflateEnded = true;
    }
    if (compressedBytes === 0) throw new GzipFormatError("the object is empty (not gzip data)");
    if (headerLength < 0) throw new GzipFormatError("truncated gzip header");
    inflater.end();
    try {
      await inflaterClosed;
    } catch (err) {
      throw new GzipFormatError(`corrupt or truncated deflate data: ${(err as Error).message}`);
    }
  } finally {
    if (!inflater.destroyed) inflater.destroy();
  }

  const deflateLength = inflater.bytesWritten;
  const afterDeflate = compressedBytes - headerLength - deflateLength;
  if (afterDeflate < 8) throw new GzipFormatError("truncated gzip trailer (CRC-32/ISIZE missing)");
  if (afterDeflate > 8) {
    throw new GzipFormatError(`${afterDeflate - 8} byte(s) follow the first gzip member (an appended member or other data)`);
  }
  const expectedCrc = lastEight.readUInt32LE(0);
  const expectedSize = lastEight.readUInt32LE(4);
  if (expectedCrc !== crc >>> 0) throw new GzipFormatError("gzip CRC-32 does not match the content");
  if (expectedSize !== uncompressedBytes % 2 ** 32) throw new GzipFormatError("gzip ISIZE does not match the content length");
  return { sha256: hash.digest("hex"), uncompressedBytes, compressedBytes };
}

/** Raised when a member expands beyond the caller's limit (a gzip bomb; E13 hostile exports). */
export class GzipTooLargeError extends GzipFormatError {
  constructor(readonly limit: number) {
    super(`the content expands to more than ${limit} bytes`);
    this.name = "GzipTooLargeError";
  }
}

/**
 * Decompresses a small in-memory gzip buffer that must be exactly one member (digests).
 * Same rules as the streaming version, returned as bytes because the digest's signature is over
 * its uncompressed bytes exactly as stored. `maxOutputBytes` bounds the expansion: zlib stops at
 * the limit, so a 1 MiB member claiming gigabytes costs at most the limit in memory.
 */
export function gunzipSingleMember(buf: Buffer, maxOutputBytes = 2 ** 31 - 1): Buffer {
  if (buf.length === 0) throw new GzipFormatError("the object is empty (not gzip data)");
  const headerLength = parseGzipHeader(buf);
  if (headerLength === "need-more") throw new GzipFormatError("truncated gzip header");
  let result: { buffer: Buffer; engine: zlib.InflateRaw };
  try {
    result = zlib.inflateRawSync(buf.subarray(headerLength), { info: true, maxOutputLength: maxOutputBytes }) as unknown as {
      buffer: Buffer;
      engine: zlib.InflateRaw;
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) throw new GzipTooLargeError(maxOutputBytes);
    throw new GzipFormatError(`corrupt or truncated deflate data: ${(err as Error).message}`);
  }
  const deflateLength = result.engine.bytesWritten;
  const afterDeflate = buf.length - headerLength - deflateLength;
  if (afterDeflate < 8) throw new GzipFormatError("truncated gzip trailer (CRC-32/ISIZE missing)");
  if (afterDeflate > 8) {
    throw new GzipFormatError(`${afterDeflate - 8} byte(s) follow the first gzip member (an appended member or other data)`);
  }
  const trailer = buf.subarray(buf.length - 8);
  if (trailer.readUInt32LE(0) !== zlib.crc32(result.buffer) >>> 0) {
    throw new GzipFormatError("gzip CRC-32 does not match the content");
  }
  if (trailer.readUInt32LE(4) !== result.buffer.length % 2 ** 32) {
    throw new GzipFormatError("gzip ISIZE does not match the content length");
  }
  return result.buffer;
}
