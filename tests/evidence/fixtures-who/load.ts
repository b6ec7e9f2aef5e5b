/**
 * Recorded-shape AWS responses for the `who` tests (Athena GetQueryExecution / GetQueryResults /
 * GetTableMetadata, Logs Insights GetQueryResults, DescribeLogGroups), and mocked clients.
 * Each call returns a fresh copy, so a test may change one without touching the others.
 */
import { AthenaClient } from "@aws-sdk/client-athena";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { LogFileCheckRequest, LogFileVerifier } from "../../../evidence/who/digests";
import type { WhoServices } from "../../../evidence/who/run";
import type { AnyStub } from "../fixtures";

export function recorded<T = any>(name: string): T {
  return JSON.parse(readFileSync(path.join(__dirname, `${name}.json`), "utf8")) as T;
}

export const ACCOUNT = "111122223333";
export const REGION = "ap-northeast-1";
export const DATA_BUCKET = "audit-backup-data-prd-111122223333-ap-northeast-1";
export const LOG_BUCKET = "audit-trail-logs-prd-111122223333-ap-northeast-1";
export const LOG_GROUP = "/aws/cloudtrail/audit-prd-trail";
export const TRAIL_ARN = "arn:aws:cloudtrail:ap-northeast-1:111122223333:trail/audit-prd-trail";
export const QUERY_EXECUTION_ID = "c5e2f0a4-9b1d-4c7e-8f3a-2d6b1e9a7c40";
export const INSIGHTS_QUERY_ID = "7f3b2e1d-8c4a-4b6f-9e2d-1a0c5b8f3e72";

/** What `pulumi stack output --json -s prd` prints for the estate (the parts `who` reads). */
export function stackOutputs(): Record<string, unknown> {
  return {
    environment: "prd",
    homeRegion: REGION,
    trailArn: TRAIL_ARN,
    trailName: "audit-prd-trail",
    logBucketName: LOG_BUCKET,
    dataBucketNames: [DATA_BUCKET],
    trailLogGroup: LOG_GROUP,
    kmsKeyArn: "arn:aws:kms:ap-northeast-1:111122223333:key/0f4e2b1c-8a7d-4e3f-9b6c-5d2a1e0f8c7b",
    athena: { database: "audit_prd_audit", table: "cloudtrail_logs", workgroup: "audit-prd-audit" },
  };
}

export interface WhoMocks {
  services: WhoServices;
  athena: AthenaClient;
  logs: CloudWatchLogsClient;
  athenaMock: AnyStub;
  logsMock: AnyStub;
  /** Regions the code asked for, e.g. "athena:ap-northeast-1". */
  regionsAsked: string[];
  sleeps: number[];
  verifyRequests: LogFileCheckRequest[];
  setVerifier(verifier: LogFileVerifier): void;
}

const TEST_CREDENTIALS = { accessKeyId: "AKIDTEST", secretAccessKey: "test" };

/** Athena and Logs clients mocked per instance; sleep is instant and recorded. */
export function whoMocks(): WhoMocks {
  const athena = new AthenaClient({ region: REGION, credentials: TEST_CREDENTIALS });
  const logs = new CloudWatchLogsClient({ region: REGION, credentials: TEST_CREDENTIALS });
  const regionsAsked: string[] = [];
  const sleeps: number[] = [];
  const verifyRequests: LogFileCheckRequest[] = [];
  let verifier: LogFileVerifier = async () => {
    throw new Error("the digest check was not expected in this test");
  };
  return {
    athena,
    logs,
    athenaMock: mockClient(athena),
    logsMock: mockClient(logs),
    regionsAsked,
    sleeps,
    verifyRequests,
    setVerifier: (v) => {
      verifier = v;
    },
    services: {
      athena: (region) => (regionsAsked.push(`athena:${region}`), athena),
      logs: (region) => (regionsAsked.push(`logs:${region}`), logs),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      pollIntervalMs: 1000,
      verifyLogFiles: (request) => {
        verifyRequests.push(request);
        return verifier(request);
      },
      defaultRegion: () => undefined,
    },
  };
}
