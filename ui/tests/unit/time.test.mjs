// Durations and dates as the Tasks page shows them.

process.env.TZ = "UTC";

import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, formatShortDateTime } from "../../src/lib/time.js";

test("durations read in the two largest units", () => {
  const expected = [
    [0, "0 s"],
    [4, "4 s"],
    [59.4, "59 s"],
    [59.6, "1 min"],
    [120, "2 min"],
    [125, "2 min 5 s"],
    [3600, "1 h"],
    [3780, "1 h 3 min"],
    [3785, "1 h 3 min"],
    [86400, "1 d"],
    [90000, "1 d 1 h"],
    [3 * 86400 + 59, "3 d"],
  ];
  for (const [seconds, text] of expected) {
    assert.equal(formatDuration(seconds), text, String(seconds));
  }
});

test("a negative or unknown duration reads 0 s", () => {
  for (const seconds of [-5, NaN, null, undefined, "abc"]) {
    assert.equal(formatDuration(seconds), "0 s", String(seconds));
  }
});

// Intl may separate "PM" with a narrow no-break space.
function plain(text) {
  return text.replace(/\s/g, " ");
}

test("the last sync time is a short date and time in the UI's language", () => {
  assert.equal(plain(formatShortDateTime(1700000000, "en")), "11/14/23, 10:13 PM");
  const brazil = formatShortDateTime(1700000000, "pt_BR");
  assert.equal(brazil, formatShortDateTime(1700000000, "pt-BR"));
  assert.match(brazil, /14\/11\/2023.*22:13/);
  assert.match(formatShortDateTime(1700000000, "it"), /14\/11\/23.*22:13/);
});

test("an unknown or missing language still gives a date", () => {
  for (const locale of ["not a locale!", "", undefined]) {
    assert.match(formatShortDateTime(1700000000, locale), /2023|23/, String(locale));
  }
});
