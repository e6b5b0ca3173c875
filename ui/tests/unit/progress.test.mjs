// Live progress of a run: whether it is still listing folders, percent done, transfer rate,
// time left and byte counts.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  etaSeconds,
  formatBytes,
  formatRate,
  isListingFolders,
  nextRateSample,
  percentDone,
} from "../../src/lib/progress.js";

function running(changes = {}) {
  return {
    state: "running",
    started_at: 1700000000,
    folder: "INBOX",
    folders_done: 0,
    folders_total: 4,
    messages_done: 0,
    messages_total: 200,
    bytes_done: 0,
    bytes_total: 0,
    ...changes,
  };
}

test("percent done counts messages first, then bytes, then folders", () => {
  assert.equal(percentDone(running({ messages_done: 50 })), 25);
  assert.equal(
    percentDone(running({ messages_total: 0, bytes_done: 300, bytes_total: 1200 })),
    25
  );
  assert.equal(
    percentDone(running({ messages_total: 0, folders_done: 3, folders_total: 4 })),
    75
  );
});

test("percent done is unknown (not NaN, not Infinity) while no total is known", () => {
  assert.equal(percentDone(running({ messages_total: 0, folders_total: 0 })), null);
  assert.equal(percentDone(running({ messages_total: null, folders_total: undefined })), null);
  assert.equal(percentDone(null), null);
  assert.equal(percentDone(undefined), null);
});

test("percent done stays within 0-100 when the counts overshoot or are broken", () => {
  assert.equal(percentDone(running({ messages_done: 250 })), 100);
  assert.equal(percentDone(running({ messages_done: -5 })), 0);
  assert.equal(percentDone(running({ messages_done: "abc" })), 0);
  assert.equal(percentDone(running({ messages_done: "50" })), 25);
});

test("the time left is the remaining messages at the measured rate", () => {
  assert.equal(etaSeconds(running({ messages_done: 40, messages_total: 100 }), 2), 30);
  assert.equal(etaSeconds(running({ messages_done: 100, messages_total: 100 }), 2), 0);
});

test("no time left is guessed without a rate or a total, and none is negative", () => {
  const progress = running({ messages_done: 40, messages_total: 100 });
  assert.equal(etaSeconds(progress, 0), null);
  assert.equal(etaSeconds(progress, null), null);
  assert.equal(etaSeconds(progress, -1), null);
  assert.equal(etaSeconds(progress, NaN), null);
  assert.equal(etaSeconds(running({ messages_total: 0 }), 5), null);
  assert.equal(etaSeconds(null, 5), null);
  assert.equal(etaSeconds(running({ messages_done: 150, messages_total: 100 }), 5), 0);
});

test("the first poll measures the rate since the run started", () => {
  const nowMs = (1700000000 + 100) * 1000;
  const { sample, rate } = nextRateSample(undefined, running({ messages_done: 50 }), nowMs);
  assert.equal(rate, 0.5);
  assert.deepEqual(sample, { startedAt: 1700000000, messagesDone: 50, atMs: nowMs, rate: 0.5 });
});

test("a run that started less than a second ago, or without a start time, has no rate yet", () => {
  const justStarted = nextRateSample(undefined, running({ messages_done: 3 }), 1700000000 * 1000 + 500);
  assert.equal(justStarted.rate, null);
  const noStart = nextRateSample(undefined, running({ started_at: null, messages_done: 3 }), 5000);
  assert.equal(noStart.rate, null);
  assert.notEqual(noStart.sample, null);
});

test("later polls of the same run measure the messages copied in between, smoothed", () => {
  const startMs = 1700000000 * 1000;
  const first = nextRateSample(undefined, running({ started_at: null, messages_done: 10 }), startMs);
  const second = nextRateSample(first.sample, running({ started_at: null, messages_done: 40 }), startMs + 10000);
  assert.equal(second.rate, 3);
  const third = nextRateSample(second.sample, running({ started_at: null, messages_done: 50 }), startMs + 20000);
  assert.equal(third.rate, 2);
});

test("two polls in the same instant (or the clock going back) do not divide by zero", () => {
  const first = nextRateSample(undefined, running({ messages_done: 50 }), 1700000100 * 1000);
  for (const laterMs of [1700000100 * 1000, 1700000100 * 1000 + 999, 1700000000 * 1000]) {
    const again = nextRateSample(first.sample, running({ messages_done: 60 }), laterMs);
    assert.equal(again.rate, 0.5);
    assert.ok(Number.isFinite(again.rate));
  }
});

test("a new run starts a new measurement instead of mixing with the previous one", () => {
  const old = nextRateSample(undefined, running({ messages_done: 180 }), 1700000100 * 1000);
  const restarted = running({ started_at: 1700000200, messages_done: 20 });
  const { rate } = nextRateSample(old.sample, restarted, 1700000210 * 1000);
  assert.equal(rate, 2);
});

test("queued or finished tasks have no rate and drop their sample", () => {
  const old = nextRateSample(undefined, running({ messages_done: 50 }), 1700000100 * 1000);
  assert.deepEqual(nextRateSample(old.sample, { state: "queued" }, 1700000200 * 1000), {
    sample: null,
    rate: null,
  });
  assert.deepEqual(nextRateSample(old.sample, null, 1700000200 * 1000), { sample: null, rate: null });
});

test("byte counts read in binary units with about three significant digits", () => {
  const expected = [
    [0, "0 B"],
    [512, "512 B"],
    [1023, "1023 B"],
    [1024, "1.00 KiB"],
    [1536, "1.50 KiB"],
    [10 * 1024, "10.0 KiB"],
    [3.2 * 1024 * 1024, "3.20 MiB"],
    [120 * 1024 ** 3, "120 GiB"],
    [5 * 1024 ** 5, "5120 TiB"],
    ["2048", "2.00 KiB"],
  ];
  for (const [bytes, text] of expected) {
    assert.equal(formatBytes(bytes), text, String(bytes));
  }
});

test("a size just under a unit boundary rounds up into the next unit", () => {
  assert.equal(formatBytes(1024 * 1024 - 1), "1.00 MiB");
  assert.equal(formatBytes(1024 ** 3 - 1), "1.00 GiB");
  assert.equal(formatBytes(9.999 * 1024), "10.0 KiB");
  assert.equal(formatBytes(99.97 * 1024), "100 KiB");
});

test("an unknown or broken size shows as a dash", () => {
  for (const bytes of [null, undefined, "", -1, "abc", NaN, Infinity]) {
    assert.equal(formatBytes(bytes), "-", String(bytes));
  }
});

test("the rate keeps about three significant digits", () => {
  assert.equal(formatRate(0), "0.00");
  assert.equal(formatRate(0.4), "0.40");
  assert.equal(formatRate(12.5), "12.5");
  assert.equal(formatRate(230.4), "230");
  assert.equal(formatRate(9.996), "10.0");
  assert.equal(formatRate(99.96), "100");
});

test("a running task that has not counted its messages is still listing folders", () => {
  assert.equal(isListingFolders(running({ messages_total: 0, folders_total: 0 })), true);
  assert.equal(isListingFolders(running({ messages_total: 0, folders_done: 2 })), true);
  assert.equal(isListingFolders(running({ messages_total: null })), true);
  assert.equal(isListingFolders(running({ messages_total: 120, messages_done: 0 })), false);
  assert.equal(isListingFolders({ ...running({ messages_total: 0 }), state: "queued" }), false);
  assert.equal(isListingFolders(null), false);
});
