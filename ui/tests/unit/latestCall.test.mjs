// A task modal shows only the answer to its latest request, and none once it is closed.

import { test } from "node:test";
import assert from "node:assert/strict";
import { latestCallTracker } from "../../src/lib/latestCall.js";

// A call whose answer arrives when the test says so.
function pendingCall() {
  let answer = null;
  const promise = new Promise((resolve) => {
    answer = resolve;
  });
  return { call: () => promise, answer };
}

test("a single call gets its answer", async () => {
  const tracker = latestCallTracker();
  assert.deepEqual(await tracker.run(async () => ({ status: "completed" })), {
    status: "completed",
  });
});

test("an older answer arriving after a newer request is dropped, the newer one is kept", async () => {
  const tracker = latestCallTracker();
  const first = pendingCall();
  const second = pendingCall();
  const firstOutcome = tracker.run(first.call);
  const secondOutcome = tracker.run(second.call);
  second.answer("log of the second request");
  first.answer("log of the first request");
  assert.equal(await firstOutcome, null);
  assert.equal(await secondOutcome, "log of the second request");
});

test("an answer arriving after the modal closed is dropped; the next request counts", async () => {
  const tracker = latestCallTracker();
  const beforeClose = pendingCall();
  const outcome = tracker.run(beforeClose.call);
  tracker.forget();
  beforeClose.answer("counts of the closed modal");
  assert.equal(await outcome, null);
  assert.equal(await tracker.run(async () => "counts after reopening"), "counts after reopening");
});

test("each modal keeps its own latest request", async () => {
  const informationModal = latestCallTracker();
  const logModal = latestCallTracker();
  const comparison = pendingCall();
  const counts = informationModal.run(comparison.call);
  await logModal.run(async () => "log");
  comparison.answer("counts");
  assert.equal(await counts, "counts");
});
