// The name of a downloaded task log.

import { test } from "node:test";
import assert from "node:assert/strict";
import { logFileName } from "../../src/lib/logName.js";

test("the log is named imapsync_<localuser>_<task_id>_<YYYYMMDD>_<HHMM>.log in local time", () => {
  assert.equal(
    logFileName("u2", "ab12cd", new Date(2025, 2, 7, 9, 5, 59)),
    "imapsync_u2_ab12cd_20250307_0905.log"
  );
  assert.equal(
    logFileName("john.doe", "public_shared_test", new Date(2024, 11, 31, 23, 59)),
    "imapsync_john.doe_public_shared_test_20241231_2359.log"
  );
  assert.equal(
    logFileName("u2", "ab12cd", new Date(2026, 0, 1, 0, 0)),
    "imapsync_u2_ab12cd_20260101_0000.log"
  );
});

test("without a date the name carries the time of the download", () => {
  const before = new Date();
  const name = logFileName("u2", "ab12cd");
  const after = new Date();
  const stamps = [before, after].map((when) => logFileName("u2", "ab12cd", when));
  assert.ok(stamps.includes(name), name);
  assert.match(name, /^imapsync_u2_ab12cd_\d{8}_\d{4}\.log$/);
});
