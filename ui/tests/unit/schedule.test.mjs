// Task schedules: what the table says for each stored cron value, how the modal reads it
// back, and the order of the frequency column.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildCron,
  cronToMinutes,
  describeSchedule,
  parseCron,
  scheduleSortKey,
  validateSchedule,
} from "../../src/lib/schedule.js";
import { english } from "./support.mjs";

// The frequency column's text, as the admin reads it.
function label(cron) {
  const { key, params } = describeSchedule(cron);
  return english("tasks", key, params);
}

test("the frequency column names each schedule in words", () => {
  const expected = [
    ["", "Not scheduled"],
    ["1m", "Every minute"],
    ["5m", "Every 5 minutes"],
    ["59m", "Every 59 minutes"],
    ["60m", "Every hour"],
    ["1h", "Every hour"],
    ["120m", "Every 2 hours"],
    ["3h", "Every 3 hours"],
    ["23h", "Every 23 hours"],
    ["24h", "Daily"],
    ["90m", "Custom schedule (90m)"],
    ["25h", "Custom schedule (25h)"],
    ["0m", "Custom schedule (0m)"],
  ];
  for (const [cron, words] of expected) {
    assert.equal(label(cron), words, JSON.stringify(cron));
  }
  assert.equal(label(null), "Not scheduled");
  assert.equal(label(undefined), "Not scheduled");
});

test("the modal reads 60m and 1h as every 1 hour and 24h as daily", () => {
  assert.deepEqual(parseCron("60m"), { mode: "hours", value: "1" });
  assert.deepEqual(parseCron("1h"), { mode: "hours", value: "1" });
  assert.deepEqual(parseCron("24h"), { mode: "daily", value: "" });
  assert.deepEqual(parseCron("15m"), { mode: "minutes", value: "15" });
  assert.deepEqual(parseCron(""), { mode: "none", value: "" });
});

test("a value the selector cannot express is kept as it is and saved back unchanged", () => {
  for (const cron of ["90m", "25h", "0m", "48h", "7d"]) {
    const schedule = parseCron(cron);
    assert.deepEqual(schedule, { mode: "custom", value: cron });
    assert.equal(validateSchedule(schedule), "");
    assert.equal(buildCron(schedule), cron);
  }
});

test("every schedule the selector can express is saved back as it was stored", () => {
  for (const cron of ["", "1m", "30m", "59m", "1h", "12h", "23h", "24h"]) {
    assert.equal(buildCron(parseCron(cron)), cron);
  }
});

test("minutes outside 1-59 and hours outside 1-23 are refused", () => {
  assert.equal(validateSchedule({ mode: "minutes", value: "0" }), "schedule_minutes_range");
  assert.equal(validateSchedule({ mode: "minutes", value: "60" }), "schedule_minutes_range");
  assert.equal(validateSchedule({ mode: "minutes", value: "abc" }), "schedule_minutes_range");
  assert.equal(validateSchedule({ mode: "minutes", value: null }), "schedule_minutes_range");
  assert.equal(validateSchedule({ mode: "minutes", value: " 7 " }), "");
  assert.equal(validateSchedule({ mode: "hours", value: "0" }), "schedule_hours_range");
  assert.equal(validateSchedule({ mode: "hours", value: "24" }), "schedule_hours_range");
  assert.equal(validateSchedule({ mode: "hours", value: "23" }), "");
  assert.equal(validateSchedule({ mode: "daily", value: "" }), "");
  assert.equal(validateSchedule({ mode: "none", value: "" }), "");
});

test("the interval in minutes, as the backend reads the value", () => {
  assert.equal(cronToMinutes("5m"), 5);
  assert.equal(cronToMinutes("2h"), 120);
  assert.equal(cronToMinutes("24h"), 1440);
  assert.equal(cronToMinutes(""), null);
  assert.equal(cronToMinutes("0h"), null);
  assert.equal(cronToMinutes("5"), null);
  assert.equal(cronToMinutes("*/5"), null);
});

test("sorting by frequency puts the most frequent first and unscheduled tasks last", () => {
  const crons = ["", "24h", "90m", "1h", "5m", "0m", "59m", "2h"];
  const sorted = [...crons].sort((a, b) => scheduleSortKey(a) - scheduleSortKey(b));
  assert.deepEqual(sorted.slice(0, 6), ["5m", "59m", "1h", "90m", "2h", "24h"]);
  assert.deepEqual(sorted.slice(6).sort(), ["", "0m"]);
});
