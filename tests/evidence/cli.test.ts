import { GetTrailCommand } from "@aws-sdk/client-cloudtrail";
import { DescribeOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { digestWalkReporter, StderrProgress } from "../../cli/progress";
import { main } from "../../evidence/cli";
import { ChainFixture, gzip, makeSigningKey, makeTempDir, removeDir, type SigningKey } from "./fixtures";
import { CapturedIO, mockedAws, type MockedAws } from "./helpers";

const START = new Date("2024-03-01T00:00:00Z");
const TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/audit-trail";
const NOW = () => new Date("2024-04-01T00:00:00Z");
const REPO = path.resolve(__dirname, "../..");

function serveTrail(aws: MockedAws, fixture: ChainFixture, extra: Record<string, unknown> = {}): void {
  fixture.serve(aws.s3Mock, aws.cloudTrailMock);
  aws.cloudTrailMock.on(GetTrailCommand, { Name: TRAIL_ARN }).resolves({
    Trail: {
      Name: "audit-trail",
      TrailARN: TRAIL_ARN,
      S3BucketName: fixture.trail.bucket,
      S3KeyPrefix: fixture.trail.prefix,
      HomeRegion: "eu-west-1",
      IsMultiRegionTrail: false,
      LogFileValidationEnabled: true,
      ...extra,
    },
  });
}

describe("evidence CLI", function () {
  let signingKey: SigningKey;
  let dir: string;
  let keysFile: string;
  let keysDir: string;
  let fixture: ChainFixture;

  before(async function () {
    signingKey = makeSigningKey();
    fixture = ChainFixture.build({ signingKey, start: START, digests: 24, logsPerDigest: 1 });
    dir = await makeTempDir("cli");
    // The keys an auditor obtained from CloudTrail, kept apart from the export they judge.
    keysDir = await makeTempDir("cli-keys");
    keysFile = path.join(keysDir, "public-keys.json");
    await fixture.writeExport(dir, keysFile);
  });

  after(async function () {
    await removeDir(dir);
    await removeDir(keysDir);
  });

  async function run(argv: string[], overrides: Parameters<typeof main>[2] = {}, tty = false): Promise<{ code: number; io: CapturedIO }> {
    const io = new CapturedIO(tty);
    const code = await main(argv, io, { now: NOW, ...overrides });
    return { code, io };
  }

  describe("verify --dir (offline)", function () {
    it("exits 0 on a clean export and prints exactly the JSON shape", async function () {
      const { code, io } = await run([
        "verify",
        "--dir",
        dir,
        "--public-keys",
        keysFile,
        "--start",
        "2024-03-01T00:00:00Z",
        "--end",
        "2024-03-02T00:00:00Z",
        "--json",
      ]);
      assert.equal(code, 0, io.err);
      const parsed = JSON.parse(io.out);
      assert.deepEqual(Object.keys(parsed).sort(), ["digestsChecked", "findings", "logFilesChecked", "trustedPublicKeys", "valid"]);
      const trusted = [
        {
          fingerprint: signingKey.fingerprint,
          validityStartTime: signingKey.record.ValidityStartTime,
          validityEndTime: signingKey.record.ValidityEndTime,
          regions: ["eu-west-1"],
          digestsAuthenticated: 24,
        },
      ];
      assert.deepEqual(parsed, { valid: true, findings: [], digestsChecked: 24, logFilesChecked: 24, trustedPublicKeys: trusted });
      assert.equal(io.out.trim().split("\n").length, 1, "one JSON object, nothing else on stdout");
    });

    it("warns when --public-keys lies inside --dir (keys shipped with an export prove nothing), and not when it lies outside", async function () {
      const insideKeys = path.join(dir, "public-keys.json");
      await fs.copyFile(keysFile, insideKeys);
      try {
        const inside = await run(["verify", "--dir", dir, "--public-keys", insideKeys, "--json"]);
        assert.equal(inside.code, 0, inside.io.err);
        assert.match(inside.io.err, /warning: --public-keys .* lies inside --dir .*aws cloudtrail list-public-keys/);
        assert.doesNotThrow(() => JSON.parse(inside.io.out), "the warning goes to stderr, stdout stays JSON");
        const outside = await run(["verify", "--dir", dir, "--public-keys", keysFile, "--json"]);
        assert.equal(outside.code, 0, outside.io.err);
        assert.doesNotMatch(outside.io.err, /warning/);
        // A symlink from outside into the export is still the export's own file.
        const linked = path.join(keysDir, "linked.json");
        await fs.symlink(insideKeys, linked);
        const viaLink = await run(["verify", "--dir", dir, "--public-keys", linked, "--json"]);
        assert.match(viaLink.io.err, /warning: --public-keys .* lies inside --dir/);
        await fs.unlink(linked);
      } finally {
        await fs.unlink(insideKeys);
      }
    });

    it("infers the only trail and the period of the export when they are not given", async function () {
      const { code, io } = await run(["verify", "--dir", dir, "--public-keys", keysFile, "--json"]);
      assert.equal(code, 0, io.err);
      assert.equal(JSON.parse(io.out).digestsChecked, 24);
    });

    it("prints a readable report without --json", async function () {
      const { code, io } = await run(["verify", "--dir", dir, "--public-keys", keysFile, "--trail-arn", TRAIL_ARN]);
      assert.equal(code, 0, io.err);
      assert.match(io.out, /Validating log files for trail arn:aws:cloudtrail:eu-west-1:123456789012:trail\/audit-trail/);
      assert.match(io.out, /VALID: 24 digest file\(s\) and 24 log file\(s\) checked/);
      assert.match(io.out, new RegExp(`public keys trusted: ${signingKey.fingerprint}`));
    });

    it("exits 1 and lists findings when the export was tampered with", async function () {
      const tampered = await makeTempDir("cli-tampered");
      try {
        await fixture.writeExport(tampered);
        const logKey = fixture.digests[5].logKeys[0];
        await fs.writeFile(path.join(tampered, fixture.trail.bucket, logKey), gzip("changed"));
        const { code, io } = await run(["verify", "--dir", tampered, "--public-keys", keysFile, "--json"]);
        assert.equal(code, 1);
        const parsed = JSON.parse(io.out);
        assert.equal(parsed.valid, false);
        assert.deepEqual(
          parsed.findings.map((f: { kind: string; key: string }) => [f.kind, f.key]),
          [["log-hash-mismatch", logKey]],
        );
        const text = await run(["verify", "--dir", tampered, "--public-keys", keysFile]);
        assert.equal(text.code, 1);
        assert.match(text.io.out, /\[log-hash-mismatch\]/);
        assert.match(text.io.out, /INVALID/);
      } finally {
        await removeDir(tampered);
      }
    });

    it("exits 0 when the only findings are gaps", async function () {
      const gapped = ChainFixture.build({ signingKey, start: START, digests: 6, gapHoursBefore: { 3: 4 } });
      const gapDir = await makeTempDir("cli-gap");
      try {
        await gapped.writeExport(gapDir);
        const { code, io } = await run(["verify", "--dir", gapDir, "--public-keys", path.join(gapDir, "public-keys.json"), "--json"]);
        assert.equal(code, 0, io.out);
        assert.deepEqual(
          JSON.parse(io.out).findings.map((f: { kind: string }) => f.kind),
          ["gap"],
        );
      } finally {
        await removeDir(gapDir);
      }
    });

    it("writes progress lines to stderr every N digests when stderr is not a terminal", async function () {
      const { code, io } = await run(["verify", "--dir", dir, "--public-keys", keysFile], { progressEvery: 10 });
      assert.equal(code, 0);
      assert.equal(io.err.split("\n").filter((l) => l.startsWith("progress: eu-west-1: ")).length, 2);
      const quiet = await run(["verify", "--dir", dir, "--public-keys", keysFile]);
      assert.equal(quiet.io.err, "", "short runs stay quiet");
    });
  });

  describe("usage errors exit 2 and name the bad argument", function () {
    const cases: Array<[string, () => string[], RegExp]> = [
      ["no command", () => [], /Usage: npm run evidence/],
      ["an unknown command", () => ["verfy"], /unknown command "verfy"; allowed: verify, export, package/],
      ["an unknown option", () => ["verify", "--dir", dir, "--public-keys", keysFile, "--since", "x"], /unknown option --since; allowed options: .*--start/],
      [
        "a malformed date",
        () => ["verify", "--dir", dir, "--public-keys", keysFile, "--start", "2024-13-01"],
        /--start "2024-13-01" is not a valid date; allowed: YYYY-MM-DD/,
      ],
      [
        "a time without zone",
        () => ["verify", "--dir", dir, "--public-keys", keysFile, "--end", "2024-03-01T10:00:00"],
        /--end .* \(a time zone is required\)/,
      ],
      [
        "start after end",
        () => ["verify", "--dir", dir, "--public-keys", keysFile, "--start", "2024-03-02", "--end", "2024-03-01"],
        /--start \(2024-03-02\) is after --end \(2024-03-01\)/,
      ],
      ["a missing --dir folder", () => ["verify", "--dir", path.join(dir, "nope"), "--public-keys", keysFile], /--dir .*nope is not an existing folder/],
      ["--dir without --public-keys", () => ["verify", "--dir", dir], /--public-keys is required \(with --dir/],
      ["a missing option value", () => ["verify", "--dir"], /--dir needs a value/],
      [
        "an invalid trail ARN",
        () => ["verify", "--trail-arn", "arn:aws:s3:::bucket", "--start", "2024-03-01", "--end", "2024-03-02"],
        /--trail-arn "arn:aws:s3:::bucket" is not a trail ARN/,
      ],
      ["online verify without --start", () => ["verify", "--trail-arn", TRAIL_ARN, "--end", "2024-03-02"], /--start is required/],
      [
        "a bad concurrency",
        () => ["verify", "--dir", dir, "--public-keys", keysFile, "--concurrency", "0"],
        /--concurrency "0" must be a whole number from 1 to 64/,
      ],
      [
        "a bad region list",
        () => ["verify", "--dir", dir, "--public-keys", keysFile, "--regions", "eu-west-1,Tokyo"],
        /--regions .*"Tokyo" is not an AWS region name/,
      ],
      [
        "a trail not in the export",
        () => ["verify", "--dir", dir, "--public-keys", keysFile, "--trail-arn", "arn:aws:cloudtrail:eu-west-1:123456789012:trail/other"],
        /holds no digest files of --trail-arn .*trail\/other; it holds: .*trail\/audit-trail/,
      ],
      [
        "package into a non-empty folder",
        () => ["package", "--stack", "prd", "--start", "2024-03-01", "--end", "2024-03-02", "--out", dir],
        /--out .* is not empty/,
      ],
      ["export without --out", () => ["export", "--trail-arn", TRAIL_ARN, "--start", "2024-03-01", "--end", "2024-03-02"], /--out is required/],
    ];
    for (const [name, argv, message] of cases) {
      it(name, async function () {
        const { code, io } = await run(argv());
        assert.equal(code, 2, io.err);
        assert.match(io.err, message);
        assert.equal(io.out, "");
      });
    }

    it("--start after the last digest of the export names --start and what the export covers", async function () {
      const { code, io } = await run(["verify", "--dir", dir, "--public-keys", keysFile, "--start", "2024-03-05T00:00:00Z"]);
      assert.equal(code, 2);
      assert.match(
        io.err,
        /verify: --start 2024-03-05T00:00:00Z is after the last digest of the export; the export's digests cover 2024-03-01T00:00:00Z to 2024-03-02T00:00:00Z, so nothing would be verified; give an earlier --start/,
      );
      assert.equal(io.out, "");
    });

    it("--end before the first digest names --end, not --start", async function () {
      const { code, io } = await run(["verify", "--dir", dir, "--public-keys", keysFile, "--end", "2024-02-20T00:00:00Z"]);
      assert.equal(code, 2);
      assert.match(io.err, /verify: --end 2024-02-20T00:00:00Z is before the first digest of the export; .*give a later --end/);
      assert.doesNotMatch(io.err, /--start/);
    });

    it("a window inside the export's span but between digests is verified and reported, not refused", async function () {
      const { code, io } = await run([
        "verify",
        "--dir",
        dir,
        "--public-keys",
        keysFile,
        "--start",
        "2024-03-01T05:00:00Z",
        "--end",
        "2024-03-01T07:00:00Z",
        "--json",
      ]);
      assert.equal(code, 0, io.err);
      assert.ok(JSON.parse(io.out).digestsChecked >= 2);
    });

    it("a corrupt public keys file", async function () {
      const corrupt = path.join(dir, "corrupt-keys.json");
      await fs.writeFile(corrupt, '{"PublicKeyList": [{"Value": 1}]}');
      const { code, io } = await run(["verify", "--dir", dir, "--public-keys", corrupt]);
      assert.equal(code, 2);
      assert.match(io.err, /--public-keys: .*corrupt-keys.json: PublicKeyList\[0\] needs string "Value"/);
      await fs.writeFile(corrupt, "not json");
      const again = await run(["verify", "--dir", dir, "--public-keys", corrupt]);
      assert.equal(again.code, 2);
      assert.match(again.io.err, /--public-keys: .* is not JSON/);
    });

    it("several trails in one export without --trail-arn", async function () {
      const two = await makeTempDir("cli-two");
      try {
        await fixture.writeExport(two);
        const second = ChainFixture.build({ signingKey, start: START, digests: 2, trail: { trailName: "second-trail" } });
        await second.writeExport(two);
        const { code, io } = await run(["verify", "--dir", two, "--public-keys", keysFile]);
        assert.equal(code, 2);
        assert.match(
          io.err,
          /holds 2 trails; choose one with --trail-arn: .*trail\/audit-trail.*trail\/second-trail|holds 2 trails; choose one with --trail-arn: .*trail\/second-trail.*trail\/audit-trail/,
        );
      } finally {
        await removeDir(two);
      }
    });
  });

  describe("verify --trail-arn (online) and export", function () {
    it("verifies the trail's bucket found through GetTrail", async function () {
      const aws = mockedAws();
      serveTrail(aws, fixture);
      const { code, io } = await run(["verify", "--trail-arn", TRAIL_ARN, "--start", "2024-03-01T00:00:00Z", "--end", "2024-03-01T12:00:00Z", "--json"], {
        clients: aws.clients,
      });
      assert.equal(code, 0, io.err);
      const { trustedPublicKeys, ...verdict } = JSON.parse(io.out);
      assert.deepEqual(verdict, { valid: true, findings: [], digestsChecked: 13, logFilesChecked: 13 });
      assert.deepEqual(
        trustedPublicKeys.map((k: { fingerprint: string; digestsAuthenticated: number }) => [k.fingerprint, k.digestsAuthenticated]),
        [[signingKey.fingerprint, 13]],
      );
      assert.ok(aws.regionsAsked.includes("cloudtrail:eu-west-1"), "GetTrail and ListPublicKeys in the home region");
    });

    it("exits 2 when the trail does not exist and 3 when AWS fails", async function () {
      const aws = mockedAws();
      aws.cloudTrailMock.on(GetTrailCommand).rejects(Object.assign(new Error("Unknown trail"), { name: "TrailNotFoundException" }));
      const missing = await run(["verify", "--trail-arn", TRAIL_ARN, "--start", "2024-03-01", "--end", "2024-03-02"], { clients: aws.clients });
      assert.equal(missing.code, 2);
      assert.match(missing.io.err, /--trail-arn: .*no such trail/);
      aws.cloudTrailMock.reset();
      aws.cloudTrailMock.on(GetTrailCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
      const failed = await run(["verify", "--trail-arn", TRAIL_ARN, "--start", "2024-03-01", "--end", "2024-03-02"], { clients: aws.clients });
      assert.equal(failed.code, 3);
      assert.match(failed.io.err, /verify could not complete: ThrottlingException: Rate exceeded/);
    });

    describe("organization trails (E15, issue 11)", function () {
      const ORG = "o-a1b2c3d4e5";
      let orgFixture: ChainFixture;
      before(function () {
        orgFixture = ChainFixture.build({ signingKey, start: START, digests: 6, logsPerDigest: 1, trail: { organizationId: ORG } });
      });
      function withOrganizations(aws: MockedAws, answer: "id" | "denied") {
        const organizations = new OrganizationsClient({ region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } });
        const mock = mockClient(organizations);
        if (answer === "id")
          mock.on(DescribeOrganizationCommand).resolves({ Organization: { Id: ORG, Arn: `arn:aws:organizations::123456789012:organization/${ORG}` } });
        else
          mock
            .on(DescribeOrganizationCommand)
            .rejects(Object.assign(new Error("You don't have permissions to access this resource."), { name: "AccessDeniedException" }));
        return { clients: { ...aws.clients, organizations: () => organizations }, mock };
      }
      const period = ["--start", "2024-03-01T00:00:00Z", "--end", "2024-03-01T06:00:00Z", "--json"];

      it("reads the organization id with Organizations DescribeOrganization, as aws-cli does, and walks AWSLogs/<o-id>/", async function () {
        const aws = mockedAws();
        serveTrail(aws, orgFixture, { IsOrganizationTrail: true });
        const { clients, mock } = withOrganizations(aws, "id");
        const { code, io } = await run(["verify", "--trail-arn", TRAIL_ARN, ...period], { clients });
        assert.equal(code, 0, io.err);
        const trusted = [
          {
            fingerprint: signingKey.fingerprint,
            validityStartTime: signingKey.record.ValidityStartTime,
            validityEndTime: signingKey.record.ValidityEndTime,
            regions: ["eu-west-1"],
            digestsAuthenticated: 6,
          },
        ];
        assert.deepEqual(JSON.parse(io.out), { valid: true, findings: [], digestsChecked: 6, logFilesChecked: 6, trustedPublicKeys: trusted });
        assert.equal(mock.commandCalls(DescribeOrganizationCommand).length, 1);
        assert.ok(orgFixture.digests[0].key.includes(`/AWSLogs/${ORG}/123456789012/CloudTrail-Digest/`), orgFixture.digests[0].key);
      });

      it("uses --organization-id when given, without calling Organizations", async function () {
        const aws = mockedAws();
        serveTrail(aws, orgFixture, { IsOrganizationTrail: true });
        const { clients, mock } = withOrganizations(aws, "denied");
        const { code, io } = await run(["verify", "--trail-arn", TRAIL_ARN, "--organization-id", ORG, ...period], { clients });
        assert.equal(code, 0, io.err);
        assert.equal(JSON.parse(io.out).digestsChecked, 6);
        assert.equal(mock.commandCalls(DescribeOrganizationCommand).length, 0);
      });

      it("exits 2 naming --organization-id when DescribeOrganization is denied", async function () {
        const aws = mockedAws();
        serveTrail(aws, orgFixture, { IsOrganizationTrail: true });
        const { clients } = withOrganizations(aws, "denied");
        const { code, io } = await run(["verify", "--trail-arn", TRAIL_ARN, ...period], { clients });
        assert.equal(code, 2);
        assert.match(
          io.err,
          /error: verify: --organization-id: .*is an organization trail: .*DescribeOrganization failed \(AccessDeniedException: .*\); give the organization id/,
        );
        assert.equal(io.out, "");
      });

      it("refuses a malformed --organization-id before calling AWS", async function () {
        const aws = mockedAws();
        const { code, io } = await run(["verify", "--trail-arn", TRAIL_ARN, "--organization-id", "o-SHORT", ...period], { clients: aws.clients });
        assert.equal(code, 2);
        assert.match(io.err, /--organization-id "o-SHORT" is not an AWS Organizations id \(o- followed by 10-32 lowercase letters or digits\)/);
        assert.equal(aws.cloudTrailMock.commandCalls(GetTrailCommand).length, 0);
      });
    });

    it("exits 3 with the restore command when a log file is archived (S3 InvalidObjectState)", async function () {
      const aws = mockedAws();
      serveTrail(aws, fixture);
      const archived = fixture.digests[2].logKeys[0];
      aws.s3Mock
        .on(GetObjectCommand, { Bucket: fixture.trail.bucket, Key: archived })
        .rejects(
          Object.assign(new Error("The operation is not valid for the object's storage class"), { name: "InvalidObjectState", StorageClass: "DEEP_ARCHIVE" }),
        );
      const { code, io } = await run(["verify", "--trail-arn", TRAIL_ARN, "--start", "2024-03-01T00:00:00Z", "--end", "2024-03-01T06:00:00Z", "--json"], {
        clients: aws.clients,
      });
      assert.equal(code, 3, io.err);
      assert.deepEqual(
        JSON.parse(io.out).findings.map((f: { kind: string; key: string }) => [f.kind, f.key]),
        [["read-error", archived]],
      );
      assert.match(io.err, /1 object\(s\) needed for this answer are in an archive storage class and cannot be read until they are restored/);
      assert.ok(
        io.err.includes(
          `aws s3api restore-object --bucket '${fixture.trail.bucket}' --key '${archived}' --restore-request '{"Days":7,"GlacierJobParameters":{"Tier":"Bulk"}}'`,
        ),
        io.err,
      );
      assert.match(io.err, /needs s3:RestoreObject/);
    });

    it("export exits 3 with the restore command when a log file is archived, instead of a silent gap", async function () {
      const aws = mockedAws();
      serveTrail(aws, fixture);
      const archived = fixture.digests[1].logKeys[0];
      aws.s3Mock
        .on(GetObjectCommand, { Bucket: fixture.trail.bucket, Key: archived })
        .rejects(
          Object.assign(new Error("The operation is not valid for the object's storage class"), { name: "InvalidObjectState", StorageClass: "GLACIER" }),
        );
      const out = await makeTempDir("cli-export-archived");
      try {
        const { code, io } = await run(["export", "--trail-arn", TRAIL_ARN, "--start", "2024-03-01T00:00:00Z", "--end", "2024-03-01T04:00:00Z", "--out", out], {
          clients: aws.clients,
        });
        assert.equal(code, 3, io.err);
        assert.match(io.err, /error: the export is incomplete: 1 object\(s\) needed for this answer are in an archive storage class/);
        assert.ok(io.err.includes(`  GLACIER: s3://${fixture.trail.bucket}/${archived}`), io.err);
        assert.ok(io.err.includes(`aws s3api restore-object --bucket '${fixture.trail.bucket}' --key '${archived}'`), io.err);
      } finally {
        await removeDir(out);
      }
    });

    it("exports what the offline verify needs, and the offline verify then agrees with S3", async function () {
      const tamperedFixture = ChainFixture.build({ signingKey, start: START, digests: 8, logsPerDigest: 2 });
      const deleted = tamperedFixture.digests[3];
      tamperedFixture.delete(deleted.bucket, deleted.key);
      const aws = mockedAws();
      serveTrail(aws, tamperedFixture);
      const out = await makeTempDir("cli-export");
      try {
        const exported = await run(["export", "--trail-arn", TRAIL_ARN, "--start", "2024-03-01T00:00:00Z", "--end", "2024-03-01T08:00:00Z", "--out", out], {
          clients: aws.clients,
        });
        assert.equal(exported.code, 0, exported.io.err);
        assert.match(exported.io.out, /Exported 7 digest file\(s\) and 14 log file\(s\)/);
        const keys = JSON.parse(await fs.readFile(path.join(out, "public-keys.json"), "utf8"));
        assert.deepEqual(
          keys.PublicKeyList.map((k: { Fingerprint: string }) => k.Fingerprint),
          [signingKey.fingerprint],
        );
        const meta = JSON.parse(await fs.readFile(path.join(out, tamperedFixture.trail.bucket, tamperedFixture.digests[0].key + ".meta.json"), "utf8"));
        assert.equal(meta["signature-algorithm"], "SHA256withRSA");

        const online = await run(["verify", "--trail-arn", TRAIL_ARN, "--start", "2024-03-01T00:00:00Z", "--end", "2024-03-01T08:00:00Z", "--json"], {
          clients: aws.clients,
        });
        const offline = await run([
          "verify",
          "--dir",
          out,
          "--public-keys",
          path.join(out, "public-keys.json"),
          "--start",
          "2024-03-01T00:00:00Z",
          "--end",
          "2024-03-01T08:00:00Z",
          "--json",
        ]);
        assert.equal(online.code, 1);
        assert.equal(offline.code, 1);
        assert.deepEqual(JSON.parse(offline.io.out), JSON.parse(online.io.out));
        assert.deepEqual(
          JSON.parse(offline.io.out).findings.map((f: { kind: string; key: string }) => [f.kind, f.key]),
          [["digest-missing", deleted.key]],
        );
      } finally {
        await removeDir(out);
      }
    });
  });

  describe("help", function () {
    const synopsis: Record<string, RegExp> = {
      verify: /verify --dir <exportRoot> --public-keys <file>/,
      export: /export --trail-arn <arn> --start <time> --end <time> --out <dir>/,
      package: /package --stack <name> --start <time> --end <time> --out <dir>/,
      who: /who --bucket <name> \[--key <key> \| --key <prefix>\*\]/,
    };
    for (const command of Object.keys(synopsis)) {
      it(`${command} --help prints that command's usage on stdout and exits 0, calling nothing`, async function () {
        const aws = mockedAws();
        for (const argv of [
          [command, "--help"],
          [command, "-h"],
          ["help", command],
          [command, "--dir", "x", "--help"],
        ]) {
          const { code, io } = await run(argv, { clients: aws.clients });
          assert.equal(code, 0, `${argv.join(" ")}: ${io.err}`);
          assert.match(io.out, synopsis[command]);
          for (const other of Object.keys(synopsis).filter((c) => c !== command))
            assert.doesNotMatch(io.out, synopsis[other], `${command} help shows only ${command}`);
          assert.match(io.out, /Exit codes .*0 valid \/ done, 1 findings/s);
          assert.equal(io.err, "");
        }
        assert.equal(aws.regionsAsked.length, 0, "no AWS client was asked for");
      });
    }

    it("a usage error points to the command's own help", async function () {
      const { code, io } = await run(["export", "--trail-arn", TRAIL_ARN]);
      assert.equal(code, 2);
      assert.match(io.err, /Run "npm run evidence -- export --help" for usage\./);
    });
  });

  describe("as a process", function () {
    it("runs through ts-node with the documented exit codes, loading no AWS SDK for help or an offline verify (smoke test)", function () {
      this.timeout(60_000);
      const cli = path.join(REPO, "evidence/cli.ts");
      const ok = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", cli, "verify", "--dir", dir, "--public-keys", keysFile, "--json"], {
        cwd: REPO,
        encoding: "utf8",
      });
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).valid, true);
      // One more process runs help, an offline verify and a usage error, then reports which
      // @aws-sdk modules were loaded: none (issue 15: subcommands load their clients lazily).
      const script = `
        const { main } = require(${JSON.stringify(cli)});
        const io = { out: "", err: "", stdout: { write: (t) => (io.out += t) }, stderr: { write: (t) => (io.err += t) } };
        (async () => {
          const codes = [
            await main(["verify", "--help"], io),
            await main(["verify", "--dir", ${JSON.stringify(dir)}, "--public-keys", ${JSON.stringify(keysFile)}, "--json"], io),
            await main(["verify", "--trail-arn", ${JSON.stringify(TRAIL_ARN)}, "--start", "yesterday", "--end", "2024-03-02"], io),
          ];
          const sdk = Object.keys(require.cache).filter((k) => k.includes("/@aws-sdk/") || k.includes("/@smithy/"));
          process.stdout.write(JSON.stringify({ codes, sdk: sdk.length, err: io.err, help: io.out.includes("verify --dir <exportRoot> --public-keys <file>") }));
        })();`;
      const probe = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: REPO, encoding: "utf8" });
      assert.equal(probe.status, 0, probe.stderr);
      const report = JSON.parse(probe.stdout);
      assert.deepEqual(report.codes, [0, 0, 2]);
      assert.equal(report.help, true);
      assert.match(report.err, /--start "yesterday" is not an ISO 8601 time/);
      assert.equal(report.sdk, 0, "no AWS SDK module loaded");
    });
  });
});

describe("cli/progress: the one stderr progress display", function () {
  const sink = (isTTY: boolean) => {
    const lines: string[] = [];
    return { lines, stderr: { isTTY, write: (t: string) => void lines.push(t) } };
  };

  it("off a terminal prints milestones and every Nth update as progress: lines", function () {
    const s = sink(false);
    const p = new StderrProgress(s.stderr, { every: 3 });
    for (let i = 1; i <= 7; i++) p.update(`step ${i}`, i === 1);
    p.done();
    assert.deepEqual(s.lines, ["progress: step 1\n", "progress: step 3\n", "progress: step 6\n"]);
  });

  it("on a terminal redraws one line at most every 200 ms (milestones always), and clears it at the end", function () {
    const s = sink(true);
    let now = 0;
    const p = new StderrProgress(s.stderr, { clock: () => now });
    p.update("a");
    now = 100;
    p.update("b");
    p.update("c", true);
    now = 350;
    p.update("d");
    p.done();
    assert.deepEqual(s.lines, ["\ra\u001b[K", "\rc\u001b[K", "\rd\u001b[K", "\r\u001b[K"]);
  });

  it("reports a digest walk every N digests off a terminal", function () {
    const s = sink(false);
    const report = digestWalkReporter(new StderrProgress(s.stderr, { every: Infinity }), 10);
    for (let d = 1; d <= 25; d++) report({ region: "eu-west-1", digestsChecked: d, logFilesChecked: d * 2, uncompressedLogBytes: d * 1024 * 1024 });
    assert.deepEqual(s.lines, [
      "progress: eu-west-1: 10 digests, 20 log files, 10.0 MiB verified\n",
      "progress: eu-west-1: 20 digests, 40 log files, 20.0 MiB verified\n",
    ]);
  });
});
