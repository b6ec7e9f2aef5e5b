/**
 * Logs and digests in an archive storage class (S3 Glacier Flexible Retrieval, Glacier Deep
 * Archive) cannot be read until they are restored: GetObject fails with InvalidObjectState and
 * Athena skips them (unless the table sets read_restored_glacier_objects, and then only restored
 * copies are read). An answer computed over them silently is incomplete, so every evidence command
 * detects them and stops with the restore command instead (issue 15).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects.html
 * https://docs.aws.amazon.com/athena/latest/ug/querying-glacier.html
 */
import type { S3Client, _Object } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import type { TrailLocation } from "./verify/digest-key";
import type { PublicKeyRecord } from "./verify/signature";
import type { DigestStore, StoredDigest } from "./verify/store";

/** Storage classes whose objects need a RestoreObject before GetObject. */
export const ARCHIVE_STORAGE_CLASSES: ReadonlySet<string> = new Set(["GLACIER", "DEEP_ARCHIVE"]);

export interface ArchivedObject {
  bucket: string;
  key: string;
  storageClass: string;
}

/**
 * Evidence needed for the answer is archived. The commands throw it when the S3 store
 * (cloudtrail/verify/s3-store.ts) met ArchivedObjectErrors; `who` throws it when a listing of the partitions
 * it reads shows archived objects. The CLI prints the restore command and exits 3.
 */
export class ArchivedObjectsError extends Error {
  constructor(
    readonly objects: readonly ArchivedObject[],
    /** How many archived objects there are in all (`objects` may be a sample). */
    readonly total: number = objects.length,
  ) {
    super(
      `${total} object(s) needed for this answer are archived (${[...new Set(objects.map((o) => o.storageClass))].join(", ")}) and cannot be read until restored, ` +
        `e.g. s3://${objects[0]?.bucket}/${objects[0]?.key}`,
    );
    this.name = "ArchivedObjectsError";
  }
}

/**
 * One object S3 refused to read because it is archived: what the S3 store (verify/s3-store.ts)
 * throws for GetObject's InvalidObjectState (HTTP 403, with the object's StorageClass; S3 API
 * reference, GetObject, "Errors"). It keeps S3's error code as `Code`, so the verifier's read-error
 * finding says InvalidObjectState, and carries bucket, key and storage class, so the commands can
 * print the restore command for exactly that object.
 */
export class ArchivedObjectError extends Error {
  /** S3's error code, kept (the verifier's findings print `Code ?? name`). */
  readonly Code = "InvalidObjectState";

  constructor(
    readonly bucket: string,
    readonly key: string,
    /** GLACIER or DEEP_ARCHIVE when S3 said which; otherwise "GLACIER or DEEP_ARCHIVE". */
    readonly storageClass: string,
    s3Message?: string,
  ) {
    super(`s3://${bucket}/${key} is archived (storage class ${storageClass}) and not restored${s3Message ? `; S3 said: ${s3Message}` : ""}`);
    this.name = "ArchivedObjectError";
  }

  /** S3's InvalidObjectState error for one object, as the SDK deserialises it (StorageClass from the error body). */
  static fromS3(bucket: string, key: string, err: unknown): ArchivedObjectError {
    const e = err as { StorageClass?: string; message?: string };
    const storageClass = e.StorageClass && ARCHIVE_STORAGE_CLASSES.has(e.StorageClass) ? e.StorageClass : "GLACIER or DEEP_ARCHIVE";
    return new ArchivedObjectError(bucket, key, storageClass, e.message);
  }
}

/** True for S3's refusal to read an archived object (GetObject on GLACIER/DEEP_ARCHIVE), raw or as the store's ArchivedObjectError. */
export function isInvalidObjectState(err: unknown): boolean {
  const e = err as { name?: string; Code?: string } | null;
  return !!e && (err instanceof ArchivedObjectError || e.name === "InvalidObjectState" || e.Code === "InvalidObjectState");
}

/** The archived object a verifier read-error finding names (its message carries the ArchivedObjectError text); undefined for any other finding. */
export function archivedObjectOfFinding(finding: { kind: string; key: string; message: string }): ArchivedObject | undefined {
  if (finding.kind !== "read-error" || !/InvalidObjectState/.test(finding.message)) return undefined;
  const precise = /s3:\/\/([^/\s]+)\/(\S+) is archived \(storage class (GLACIER or DEEP_ARCHIVE|GLACIER|DEEP_ARCHIVE)\)/.exec(finding.message);
  if (precise) return { bucket: precise[1], key: precise[2], storageClass: precise[3] };
  const bucket = /s3:\/\/([^/\s]+)\//.exec(finding.message)?.[1] ?? "<log bucket>";
  return { bucket, key: finding.key, storageClass: "GLACIER or DEEP_ARCHIVE" };
}

/** True when the listing says the object is archived and has no restored copy available. */
export function isArchivedAndNotRestored(object: Pick<_Object, "StorageClass" | "RestoreStatus">): boolean {
  if (!object.StorageClass || !ARCHIVE_STORAGE_CLASSES.has(object.StorageClass)) return false;
  const restore = object.RestoreStatus;
  // A finished restore leaves a temporary copy until RestoreExpiryDate: readable.
  return !(restore && restore.IsRestoreInProgress === false && restore.RestoreExpiryDate !== undefined);
}

/** Restores requested per command line before the auditor is told to use S3 Batch Operations. */
const RESTORE_DAYS = 7;

/**
 * What to run to make the objects readable: one `aws s3api restore-object` per object for a few,
 * and a listing-driven loop per prefix for many (Bulk tier: cheapest; Deep Archive within 48 h,
 * Flexible Retrieval within 12 h).
 */
export function restoreCommands(objects: readonly ArchivedObject[], max = 5): string[] {
  const request = `'{"Days":${RESTORE_DAYS},"GlacierJobParameters":{"Tier":"Bulk"}}'`;
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  if (objects.length <= max) {
    return objects.map((o) => `aws s3api restore-object --bucket ${quote(o.bucket)} --key ${quote(o.key)} --restore-request ${request}`);
  }
  // Group by bucket and the folder (day) above the object.
  const prefixes = new Map<string, { bucket: string; prefix: string }>();
  for (const o of objects) {
    const prefix = o.key.slice(0, o.key.lastIndexOf("/") + 1);
    prefixes.set(`${o.bucket}/${prefix}`, { bucket: o.bucket, prefix });
  }
  return [...prefixes.values()].map(
    ({ bucket, prefix }) =>
      `aws s3api list-objects-v2 --bucket ${quote(bucket)} --prefix ${quote(prefix)} --query "Contents[?StorageClass=='GLACIER' || StorageClass=='DEEP_ARCHIVE'].Key" --output text | tr '\\t' '\\n' | ` +
      `xargs -I{} aws s3api restore-object --bucket ${quote(bucket)} --key {} --restore-request ${request}`,
  );
}

/** The message an evidence command prints (stderr) before exiting 3. */
export function archivedObjectsMessage(error: ArchivedObjectsError, maxShown = 5): string {
  const lines = [
    `${error.total} object(s) needed for this answer are in an archive storage class and cannot be read until they are restored; the answer would be incomplete, so none is given.`,
    ...error.objects.slice(0, maxShown).map((o) => `  ${o.storageClass}: s3://${o.bucket}/${o.key}`),
  ];
  if (error.total > Math.min(maxShown, error.objects.length)) lines.push(`  ... and ${error.total - Math.min(maxShown, error.objects.length)} more`);
  lines.push("Restore them (needs s3:RestoreObject on the log bucket), wait for the restore to finish, then run the command again:");
  for (const command of restoreCommands(error.objects)) lines.push(`  ${command}`);
  return lines.join("\n");
}

/**
 * Lists each prefix (ListObjectsV2, with RestoreStatus) and returns the archived objects not yet
 * restored: at most `sample` of them, and how many there are.
 */
export async function findArchivedObjects(
  s3: S3Client,
  bucket: string,
  prefixes: readonly string[],
  sample = 50,
): Promise<{ objects: ArchivedObject[]; total: number; listed: number }> {
  const { ListObjectsV2Command } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3"); // eslint-disable-line @typescript-eslint/no-require-imports -- lazy: loads only when used
  const objects: ArchivedObject[] = [];
  let total = 0;
  let listed = 0;
  for (const prefix of prefixes) {
    let token: string | undefined;
    do {
      const out = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, OptionalObjectAttributes: ["RestoreStatus"] }),
      );
      for (const object of out?.Contents ?? []) {
        listed++;
        if (!object.Key || !isArchivedAndNotRestored(object)) continue;
        total++;
        if (objects.length < sample) objects.push({ bucket, key: object.Key, storageClass: object.StorageClass as string });
      }
      token = out?.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }
  return { objects, total, listed };
}

/**
 * A DigestStore that notes every object S3 refused as archived (InvalidObjectState) and passes the
 * error on unchanged, so a command can tell "restore first" from "could not read".
 */
export class ArchiveDetectingStore implements DigestStore {
  readonly archived: ArchivedObject[] = [];

  constructor(private readonly inner: DigestStore) {}

  private note(bucket: string, key: string, err: unknown): never {
    if (isInvalidObjectState(err)) {
      const storageClass = err instanceof ArchivedObjectError ? err.storageClass : (err as { StorageClass?: string }).StorageClass;
      this.archived.push({ bucket, key, storageClass: storageClass && ARCHIVE_STORAGE_CLASSES.has(storageClass) ? storageClass : "GLACIER or DEEP_ARCHIVE" });
    }
    throw err;
  }

  listDigestRegions(trail: TrailLocation): Promise<string[]> {
    return this.inner.listDigestRegions(trail);
  }

  listDigestKeys(trail: TrailLocation, region: string, start: Date, end: Date): Promise<string[]> {
    return this.inner.listDigestKeys(trail, region, start, end);
  }

  async getDigest(bucket: string, key: string): Promise<StoredDigest> {
    try {
      return await this.inner.getDigest(bucket, key);
    } catch (err) {
      return this.note(bucket, key, err);
    }
  }

  async openLogStream(bucket: string, key: string): Promise<Readable> {
    try {
      return await this.inner.openLogStream(bucket, key);
    } catch (err) {
      return this.note(bucket, key, err);
    }
  }

  listPublicKeys(region: string, start: Date, end: Date): Promise<PublicKeyRecord[]> {
    return this.inner.listPublicKeys(region, start, end);
  }
}
