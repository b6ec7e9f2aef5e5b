/**
 * Runs the verifier over a fixture through either adapter, so scenarios run on both.
 * AWS clients are mocked per instance (never on the class prototype), so these tests cannot
 * interfere with other suites that mock the same SDK clients.
 */
import { CloudTrailClient, GetTrailStatusCommand } from "@aws-sdk/client-cloudtrail";
import { ConfigServiceClient } from "@aws-sdk/client-config-service";
import { S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import type { AwsClients } from "../../cloudtrail/aws";
import { LocalExportStore, S3DigestStore, verifyTrailLogs, type PublicKeyRecord, type VerificationResult } from "../../cloudtrail/verify";
import { ChainFixture, makeTempDir, removeDir, type AnyStub } from "./fixtures";

export type Adapter = "local export" | "S3";
export const ADAPTERS: Adapter[] = ["local export", "S3"];

export interface MockedAws {
  clients: AwsClients;
  s3: S3Client;
  cloudTrail: CloudTrailClient;
  config: ConfigServiceClient;
  s3Mock: AnyStub;
  cloudTrailMock: AnyStub;
  configMock: AnyStub;
  /** Regions the code asked clients for, in order. */
  regionsAsked: string[];
}

const TEST_CREDENTIALS = { accessKeyId: "AKIDTEST", secretAccessKey: "test" };

export function mockedAws(): MockedAws {
  const s3 = new S3Client({ region: "eu-west-1", credentials: TEST_CREDENTIALS });
  const cloudTrail = new CloudTrailClient({ region: "eu-west-1", credentials: TEST_CREDENTIALS });
  const config = new ConfigServiceClient({ region: "eu-west-1", credentials: TEST_CREDENTIALS });
  const regionsAsked: string[] = [];
  return {
    s3,
    cloudTrail,
    config,
    s3Mock: mockClient(s3),
    cloudTrailMock: mockClient(cloudTrail),
    configMock: mockClient(config),
    regionsAsked,
    clients: {
      s3: (region) => (regionsAsked.push(`s3:${region}`), s3),
      cloudTrail: (region) => (regionsAsked.push(`cloudtrail:${region}`), cloudTrail),
      config: (region) => (regionsAsked.push(`config:${region}`), config),
    },
  };
}

export interface RunOptions {
  start: Date;
  end: Date;
  publicKeys?: PublicKeyRecord[];
  now?: Date;
  concurrency?: number;
  regions?: string[];
  fileTimeoutMs?: number;
  /** S3 only: what GetTrailStatus answers (the export has no trail status). */
  trailStatus?: { IsLogging?: boolean; LatestDigestDeliveryTime?: Date; StopLoggingTime?: Date; LatestDigestDeliveryError?: string };
  /** Local export only: changes the written export before it is verified (symlinks, FIFOs, bombs). */
  prepareExport?: (dir: string) => Promise<void>;
}

function walkOptions(options: RunOptions): { concurrency?: number; regions?: string[]; fileTimeoutMs?: number } {
  return { concurrency: options.concurrency, regions: options.regions, fileTimeoutMs: options.fileTimeoutMs };
}

export async function verifyVia(adapter: Adapter, fixture: ChainFixture, options: RunOptions): Promise<VerificationResult> {
  const keys = options.publicKeys ?? fixture.publicKeys;
  const now = () => options.now ?? new Date("2030-01-01T00:00:00Z");
  if (adapter === "local export") {
    const dir = await makeTempDir("verify");
    try {
      await fixture.writeExport(dir);
      await options.prepareExport?.(dir);
      const store = new LocalExportStore(dir, keys);
      return await verifyTrailLogs({ store, trail: fixture.trail, start: options.start, end: options.end, now, ...walkOptions(options) });
    } finally {
      await removeDir(dir);
    }
  }
  const aws = mockedAws();
  const saved = fixture.publicKeys.splice(0, fixture.publicKeys.length, ...keys);
  try {
    fixture.serve(aws.s3Mock, aws.cloudTrailMock);
    if (options.trailStatus) aws.cloudTrailMock.on(GetTrailStatusCommand).resolves(options.trailStatus);
    const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: () => aws.cloudTrail });
    return await verifyTrailLogs({ store, trail: fixture.trail, start: options.start, end: options.end, now, ...walkOptions(options) });
  } finally {
    fixture.publicKeys.splice(0, fixture.publicKeys.length, ...saved);
  }
}

export function kindsAndKeys(result: VerificationResult): Array<[string, string]> {
  return result.findings.map((f) => [f.kind, f.key]);
}

/** Collects what a CLI run writes. */
export class CapturedIO {
  out = "";
  err = "";
  constructor(readonly isTTY = false) {}
  readonly stdout = { write: (text: string) => ((this.out += text), true) };
  get stderr(): { write: (text: string) => boolean; isTTY: boolean } {
    return { write: (text: string) => ((this.err += text), true), isTTY: this.isTTY };
  }
}

/**
 * A different signature of the same length: the first byte changed. (Overwriting it with a fixed
 * "00" left it unchanged whenever the fresh test key's signature already began with 00: 1 in 256.)
 */
export function corruptHex(hex: string): string {
  const first = parseInt(hex.slice(0, 2), 16);
  return ((first ^ 0xff) & 0xff).toString(16).padStart(2, "0") + hex.slice(2);
}
