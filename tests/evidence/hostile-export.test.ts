/**
 * E13 (issue 12, "Evidence verifier under hostile exports"): a crafted export must neither hang
 * the verifier nor exhaust its memory. Real symlinks (to /dev/zero, to files outside the export),
 * a real FIFO (mkfifo), sparse oversized files and gzip bombs generated here (never committed),
 * each refused as a finding while the walk goes on.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { MAX_DIGEST_COMPRESSED_BYTES, type VerificationResult } from "../../cloudtrail/verify";
import { ChainFixture, makeSigningKey, makeTempDir, removeDir } from "./fixtures";
import { kindsAndKeys, verifyVia } from "./helpers";

const START = new Date("2024-03-01T00:00:00Z");
const END = new Date("2024-03-01T06:00:00Z");
const MiB = 1024 * 1024;

/**
 * A gzip member of `mib` MiB of zeros, about 1 KiB per MiB: one full-flushed deflate block of
 * 1 MiB of zeros repeated (each block is independent after Z_FULL_FLUSH), then a final empty block.
 * The CRC is computed only when asked (it costs a pass over the content).
 */
function zeroBomb(mib: number, withCrc: boolean): Buffer {
  const zeros = Buffer.alloc(MiB);
  const block = zlib.deflateRawSync(zeros, { finishFlush: zlib.constants.Z_FULL_FLUSH });
  const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])];
  let crc = 0;
  for (let i = 0; i < mib; i++) {
    parts.push(block);
    if (withCrc) crc = zlib.crc32(zeros, crc);
  }
  parts.push(zlib.deflateRawSync(Buffer.alloc(0)));
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((mib * MiB) % 2 ** 32, 4);
  parts.push(trailer);
  return Buffer.concat(parts);
}

function kinds(result: VerificationResult): string[] {
  return [...new Set(result.findings.map((f) => f.kind))].sort();
}

describe("evidence verify --dir: hostile exports (E13)", function () {
  const signingKey = makeSigningKey();
  let outside: string;

  before(async function () {
    outside = await makeTempDir("outside-export");
  });

  after(async function () {
    await removeDir(outside);
  });

  const chain = () => ChainFixture.build({ signingKey, start: START, digests: 6, logsPerDigest: 2 });
  const fileOf = (dir: string, fixture: ChainFixture, key: string) => path.join(dir, fixture.trail.bucket, key);

  async function replaceWith(file: string, make: (file: string) => Promise<void> | void): Promise<void> {
    await fs.rm(file, { force: true });
    await make(file);
  }

  it("refuses a digest that is a symlink to /dev/zero, and verifies the rest", async function () {
    const fixture = chain();
    const d2 = fixture.digests[2];
    const result = await verifyVia("local export", fixture, {
      start: START,
      end: END,
      prepareExport: (dir) => replaceWith(fileOf(dir, fixture, d2.key), (f) => fs.symlink("/dev/zero", f)),
    });
    assert.equal(result.valid, false);
    const refused = result.findings.find((f) => f.kind === "object-refused");
    assert.ok(refused, JSON.stringify(kindsAndKeys(result)));
    assert.equal(refused.key, d2.key);
    assert.match(refused.message, /a symbolic link, not a regular file/);
    assert.deepEqual(kinds(result), ["object-refused"]);
    assert.equal(result.digestsChecked, 5);
    assert.equal(result.logFilesChecked, 10);
  });

  it("refuses a log file that is a symlink to /dev/zero", async function () {
    const fixture = chain();
    const logKey = fixture.digests[1].logKeys[0];
    const result = await verifyVia("local export", fixture, {
      start: START,
      end: END,
      prepareExport: (dir) => replaceWith(fileOf(dir, fixture, logKey), (f) => fs.symlink("/dev/zero", f)),
    });
    assert.deepEqual(kindsAndKeys(result), [["object-refused", logKey]]);
    assert.equal(result.digestsChecked, 6);
    assert.equal(result.logFilesChecked, 12);
  });

  it("refuses a digest symlinked to a genuine copy outside the export root", async function () {
    const fixture = chain();
    const d4 = fixture.digests[4];
    const copy = path.join(outside, "copied-digest.json.gz");
    const result = await verifyVia("local export", fixture, {
      start: START,
      end: END,
      prepareExport: async (dir) => {
        await fs.copyFile(fileOf(dir, fixture, d4.key), copy);
        await replaceWith(fileOf(dir, fixture, d4.key), (f) => fs.symlink(copy, f));
      },
    });
    assert.deepEqual(kindsAndKeys(result), [["object-refused", d4.key]]);
  });

  it("refuses log files in a folder symlinked outside the export root", async function () {
    const fixture = chain();
    const logKey = fixture.digests[3].logKeys[0];
    const result = await verifyVia("local export", fixture, {
      start: START,
      end: END,
      prepareExport: async (dir) => {
        const folder = path.dirname(fileOf(dir, fixture, logKey));
        const moved = path.join(outside, `logs-${Date.now()}`);
        await fs.cp(folder, moved, { recursive: true });
        await fs.rm(folder, { recursive: true });
        await fs.symlink(moved, folder);
      },
    });
    assert.equal(result.valid, false);
    const refused = result.findings.filter((f) => f.kind === "object-refused");
    assert.ok(
      refused.some((f) => f.key === logKey),
      JSON.stringify(kindsAndKeys(result)),
    );
    for (const f of refused) assert.match(f.message, /outside the export root/);
    assert.deepEqual(kinds(result), ["object-refused"]);
  });

  it("refuses a FIFO digest, log file and sidecar without opening them (no hang)", async function () {
    const fixture = chain();
    const [, d1, , d3] = fixture.digests;
    const logKey = fixture.digests[4].logKeys[1];
    const mkfifo = (f: string) => void execFileSync("mkfifo", [f]);
    const result = await verifyVia("local export", fixture, {
      start: START,
      end: END,
      prepareExport: async (dir) => {
        await replaceWith(fileOf(dir, fixture, d1.key), mkfifo);
        await replaceWith(fileOf(dir, fixture, d3.key) + ".meta.json", mkfifo);
        await replaceWith(fileOf(dir, fixture, logKey), mkfifo);
      },
    });
    const refused = result.findings.filter((f) => f.kind === "object-refused");
    assert.deepEqual(refused.map((f) => f.key).sort(), [d1.key, `${d3.key}.meta.json`, logKey].sort());
    for (const f of refused) assert.match(f.message, /a FIFO \(named pipe\), not a regular file/);
    assert.deepEqual(kinds(result), ["object-refused"]);
    assert.equal(result.digestsChecked, 4);
  });

  it("refuses a 300 MB digest and a 1 GiB sidecar from their size, without reading them", async function () {
    const fixture = chain();
    const [, , d2, d3] = fixture.digests;
    const result = await verifyVia("local export", fixture, {
      start: START,
      end: END,
      prepareExport: async (dir) => {
        // Sparse files: the size is real, the disk blocks are not.
        await fs.truncate(fileOf(dir, fixture, d2.key), 300 * 1000 * 1000);
        await fs.truncate(fileOf(dir, fixture, d3.key) + ".meta.json", 1024 * MiB);
      },
    });
    const refused = result.findings.filter((f) => f.kind === "object-refused");
    assert.deepEqual(refused.map((f) => f.key).sort(), [d2.key, `${d3.key}.meta.json`].sort());
    assert.match(
      refused.find((f) => f.key === d2.key)!.message,
      new RegExp(`300000000 bytes; no CloudTrail digest file comes near ${MAX_DIGEST_COMPRESSED_BYTES}`),
    );
    assert.deepEqual(kinds(result), ["object-refused"]);
    assert.equal(result.digestsChecked, 4);
  });

  for (const mib of [1024, 3994]) {
    it(`reports a digest expanding to ${mib >= 3994 ? "3.9 GiB" : "1 GiB"} as invalid without inflating it`, async function () {
      const fixture = chain();
      const d3 = fixture.digests[3];
      fixture.get(d3.bucket, d3.key).body = zeroBomb(mib, false);
      const rssBefore = process.memoryUsage().rss;
      const result = await verifyVia("local export", fixture, { start: START, end: END });
      const grown = process.memoryUsage().rss - rssBefore;
      const invalid = result.findings.find((f) => f.kind === "digest-invalid-format");
      assert.equal(invalid?.key, d3.key, JSON.stringify(kindsAndKeys(result)));
      assert.match(invalid.message, /expands to more than 67108864 bytes/);
      assert.ok(grown < 256 * MiB, `RSS grew ${Math.round(grown / MiB)} MiB`);
      assert.equal(result.digestsChecked, 6, "the walk went on");
      assert.equal(result.logFilesChecked, 10);
    });
  }

  it("hashes a log file expanding to 160 MiB with flat memory (streamed)", async function () {
    const fixture = chain();
    const d5 = fixture.digests[5];
    const logKey = d5.logKeys[0];
    fixture.get(fixture.trail.bucket, logKey).body = zeroBomb(160, true);
    const rssBefore = process.memoryUsage().rss;
    const result = await verifyVia("local export", fixture, { start: START, end: END, concurrency: 1 });
    const grown = process.memoryUsage().rss - rssBefore;
    assert.deepEqual(kindsAndKeys(result), [["log-hash-mismatch", logKey]]);
    assert.ok(result.uncompressedLogBytes >= 160 * MiB, "the whole expansion was hashed");
    // Buffered, it would need 160 MiB at least; streamed, it needs the chunks in flight.
    assert.ok(grown < 96 * MiB, `RSS grew ${Math.round(grown / MiB)} MiB`);
  });

  it("bounds the time per log file: a 3.9 GiB expansion becomes a finding and the walk goes on", async function () {
    const fixture = chain();
    const logKey = fixture.digests[2].logKeys[1];
    fixture.get(fixture.trail.bucket, logKey).body = zeroBomb(3994, false);
    const result = await verifyVia("local export", fixture, { start: START, end: END, fileTimeoutMs: 150 });
    const timedOut = result.findings.find((f) => f.key === logKey);
    assert.equal(timedOut?.kind, "read-error", JSON.stringify(kindsAndKeys(result)));
    assert.match(timedOut.message, /not finished within 0\.15 s/);
    assert.deepEqual(kinds(result), ["read-error"]);
    assert.equal(result.logFilesChecked, 12, "every other log file was hashed");
    assert.equal(result.digestsChecked, 6);
  });
});
