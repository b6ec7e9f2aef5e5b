// Archived evidence (issue 15): which listings count as "not readable yet", and the restore
// command an auditor can paste, for keys with shell-hostile characters too.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  ArchivedObjectsError,
  archivedObjectsMessage,
  isArchivedAndNotRestored,
  isInvalidObjectState,
  restoreCommands,
} from "../../cloudtrail/archived-objects";

describe("archived objects (Glacier Flexible Retrieval, Deep Archive)", function () {
  it("counts GLACIER and DEEP_ARCHIVE without a finished restore as unreadable; every other class and finished restores as readable", function () {
    assert.equal(isArchivedAndNotRestored({ StorageClass: "DEEP_ARCHIVE" }), true);
    assert.equal(isArchivedAndNotRestored({ StorageClass: "GLACIER" }), true);
    assert.equal(isArchivedAndNotRestored({ StorageClass: "GLACIER", RestoreStatus: { IsRestoreInProgress: true } }), true);
    assert.equal(
      isArchivedAndNotRestored({ StorageClass: "GLACIER", RestoreStatus: { IsRestoreInProgress: false, RestoreExpiryDate: new Date("2025-07-01T00:00:00Z") } }),
      false,
    );
    for (const cls of ["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", undefined]) {
      assert.equal(isArchivedAndNotRestored({ StorageClass: cls as never }), false, String(cls));
    }
  });

  it("recognises S3's InvalidObjectState error by name or code", function () {
    assert.equal(isInvalidObjectState(Object.assign(new Error("x"), { name: "InvalidObjectState" })), true);
    assert.equal(isInvalidObjectState({ Code: "InvalidObjectState" }), true);
    assert.equal(isInvalidObjectState(Object.assign(new Error("x"), { name: "NoSuchKey" })), false);
  });

  it("writes one restore-object per object, quoting keys so the shell passes them unchanged", function () {
    const key = "AWSLogs/111122223333/CloudTrail/eu-west-1/2025/03/02/o'brien $(rm -rf ~) `x`.json.gz";
    const [command] = restoreCommands([{ bucket: "logs", key, storageClass: "DEEP_ARCHIVE" }]);
    assert.equal(
      command,
      `aws s3api restore-object --bucket 'logs' --key 'AWSLogs/111122223333/CloudTrail/eu-west-1/2025/03/02/o'\\''brien $(rm -rf ~) \`x\`.json.gz' --restore-request '{"Days":7,"GlacierJobParameters":{"Tier":"Bulk"}}'`,
    );
    // A real POSIX shell reads the quoted key back exactly.
    const echoed = spawnSync("sh", ["-c", `printf %s ${command.split("--key ")[1].split(" --restore-request")[0]}`], { encoding: "utf8" });
    assert.equal(echoed.stdout, key);
  });

  it("switches to one listing loop per day folder when there are many", function () {
    const objects = Array.from({ length: 12 }, (_, i) => ({
      bucket: "logs",
      key: `AWSLogs/1/CloudTrail/eu-west-1/2025/03/0${1 + (i % 2)}/f${i}.json.gz`,
      storageClass: "GLACIER",
    }));
    const commands = restoreCommands(objects);
    assert.equal(commands.length, 2);
    assert.ok(commands[0].startsWith("aws s3api list-objects-v2 --bucket 'logs' --prefix 'AWSLogs/1/CloudTrail/eu-west-1/2025/03/01/'"), commands[0]);
    assert.match(commands[0], /StorageClass=='GLACIER' \|\| StorageClass=='DEEP_ARCHIVE'/);
    const message = archivedObjectsMessage(new ArchivedObjectsError(objects.slice(0, 5), 12));
    assert.match(message, /^12 object\(s\) needed for this answer are in an archive storage class/);
    assert.match(message, /\.\.\. and 7 more/);
    assert.match(message, /needs s3:RestoreObject/);
  });
});
