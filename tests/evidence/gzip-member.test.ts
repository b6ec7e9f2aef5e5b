import * as fc from "fast-check";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { Readable } from "node:stream";
import * as zlib from "node:zlib";
import { GzipFormatError, gunzipSingleMember, hashSingleGzipMember } from "../../cloudtrail/verify";

function chunks(buf: Buffer, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
    })(),
  );
}

function sha(data: Buffer | string): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

async function rejection(promise: Promise<unknown>): Promise<GzipFormatError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GzipFormatError, `expected GzipFormatError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a GzipFormatError");
}

/** gzip with an FNAME and FEXTRA header, as other gzip writers produce. */
function gzipWithOptionalHeaderFields(content: Buffer): Buffer {
  const plain = zlib.gzipSync(content);
  const header = Buffer.from(plain.subarray(0, 10));
  header[3] = 4 | 8; // FEXTRA | FNAME
  const extra = Buffer.from([3, 0, 1, 2, 3]);
  const name = Buffer.from("events.json\0");
  return Buffer.concat([header, extra, name, plain.subarray(10)]);
}

describe("evidence verify: single gzip member hashing", function () {
  const content = Buffer.from(JSON.stringify({ Records: Array.from({ length: 400 }, (_, i) => ({ i, id: crypto.randomBytes(8).toString("hex") })) }));
  const member = zlib.gzipSync(content);

  it("hashes the uncompressed content whatever the chunking", async function () {
    for (const size of [1, 3, 9, 4096, member.length]) {
      const result = await hashSingleGzipMember(chunks(member, size));
      assert.equal(result.sha256, sha(content), `chunk size ${size}`);
      assert.equal(result.uncompressedBytes, content.length);
      assert.equal(result.compressedBytes, member.length);
    }
  });

  it("accepts optional header fields (FEXTRA, FNAME)", async function () {
    const result = await hashSingleGzipMember(chunks(gzipWithOptionalHeaderFields(content), 5));
    assert.equal(result.sha256, sha(content));
    assert.equal(gunzipSingleMember(gzipWithOptionalHeaderFields(content)).equals(content), true);
  });

  it("rejects a second gzip member that Node's gunzip would silently concatenate", async function () {
    const tampered = Buffer.concat([member, zlib.gzipSync("appended")]);
    assert.equal(zlib.gunzipSync(tampered).toString().endsWith("appended"), true, "premise: Node concatenates members");
    const err = await rejection(hashSingleGzipMember(chunks(tampered, 1000)));
    assert.match(err.message, /follow the first gzip member/);
    assert.throws(() => gunzipSingleMember(tampered), /follow the first gzip member/);
  });

  it("rejects truncation, a wrong CRC, a wrong size and non-gzip data", async function () {
    assert.match((await rejection(hashSingleGzipMember(chunks(member.subarray(0, member.length - 4), 100)))).message, /truncated/);
    assert.match((await rejection(hashSingleGzipMember(chunks(member.subarray(0, 40), 100)))).message, /truncated|corrupt/);
    const badCrc = Buffer.from(member);
    badCrc[badCrc.length - 8] ^= 0xff;
    assert.match((await rejection(hashSingleGzipMember(chunks(badCrc, 100)))).message, /CRC-32/);
    const badSize = Buffer.from(member);
    badSize[badSize.length - 1] ^= 0x01;
    assert.match((await rejection(hashSingleGzipMember(chunks(badSize, 100)))).message, /ISIZE/);
    assert.match((await rejection(hashSingleGzipMember(chunks(content, 100)))).message, /not gzip/);
    assert.match((await rejection(hashSingleGzipMember(chunks(Buffer.alloc(0), 1)))).message, /empty/);
  });

  it("passes errors of the source through unchanged (a read error is not a format finding)", async function () {
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error("socket hang up"), { name: "NetworkError" }));
      },
    });
    await assert.rejects(hashSingleGzipMember(failing), (err: Error) => err.name === "NetworkError");
  });

  it("property: equals SHA-256 of the content for any content and chunking; any appended member is refused", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.uint8Array({ minLength: 0, maxLength: 50 }),
        async (data, size, extra) => {
          const buf = Buffer.from(data);
          const gz = zlib.gzipSync(buf);
          assert.equal((await hashSingleGzipMember(chunks(gz, size))).sha256, sha(buf));
          await rejection(hashSingleGzipMember(chunks(Buffer.concat([gz, zlib.gzipSync(Buffer.from(extra))]), size)));
        },
      ),
      { numRuns: 60 },
    );
  });
});
