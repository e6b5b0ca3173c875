// Waiting for an action's end on the shell's event bus (a real Vue instance, as in NS8's
// cluster-admin): the first end event, a timeout or a refused submission settles the outcome,
// and no listener of the call is left behind.

import { test } from "node:test";
import assert from "node:assert/strict";
import Vue from "vue";
import { awaitActionEnd } from "../../src/lib/actionEnd.js";

const TIMED_OUT = { status: "error", message: "No answer from the server" };

function eventName(state) {
  return `list-tasks-${state}-ev1`;
}

// Listeners still registered for the call's three end events.
function listenersLeft(bus) {
  return ["completed", "aborted", "validation-failed"]
    .map((state) => (bus._events[eventName(state)] || []).length)
    .reduce((sum, count) => sum + count, 0);
}

function wait(bus, timeoutMs = 1000) {
  return awaitActionEnd(bus, {
    action: "list-tasks",
    eventId: "ev1",
    timeoutMs,
    timeoutOutcome: TIMED_OUT,
  });
}

test("a completed action resolves with its output and leaves no listener", async () => {
  const bus = new Vue();
  const waiting = wait(bus);
  assert.equal(listenersLeft(bus), 3);
  const result = { output: { user_properties: [] }, error: "", exit_code: 0 };
  bus.$emit(eventName("completed"), { id: "t1" }, result);
  assert.deepEqual(await waiting.outcome, {
    status: "completed",
    output: { user_properties: [] },
    result,
  });
  assert.equal(listenersLeft(bus), 0);
});

test("an aborted action resolves with its result, a refused one with its errors", async () => {
  const abortedBus = new Vue();
  const aborted = wait(abortedBus);
  const result = { output: "", error: "boom", exit_code: 1 };
  abortedBus.$emit(eventName("aborted"), result, { id: "t1" });
  assert.deepEqual(await aborted.outcome, { status: "aborted", result });
  assert.equal(listenersLeft(abortedBus), 0);

  const refusedBus = new Vue();
  const refused = wait(refusedBus);
  const errors = [{ field: "task_id", parameter: "task_id", value: "x", error: "task_id_pattern" }];
  refusedBus.$emit(eventName("validation-failed"), errors, { id: "t1" });
  assert.deepEqual(await refused.outcome, { status: "validation-failed", errors });

  const oddBus = new Vue();
  const odd = wait(oddBus);
  oddBus.$emit(eventName("validation-failed"), null, { id: "t1" });
  assert.deepEqual(await odd.outcome, { status: "validation-failed", errors: [] });
});

test("with no answer the call times out, stops listening and ignores a late answer", async () => {
  const bus = new Vue();
  const waiting = wait(bus, 20);
  const started = Date.now();
  assert.deepEqual(await waiting.outcome, TIMED_OUT);
  assert.ok(Date.now() - started >= 15);
  assert.equal(listenersLeft(bus), 0);
  bus.$emit(eventName("completed"), { id: "t1" }, { output: {} });
  assert.deepEqual(await waiting.outcome, TIMED_OUT);
});

test("a refused submission settles at once; the timer and late events change nothing", async () => {
  const bus = new Vue();
  const waiting = wait(bus, 30);
  const refused = { status: "error", message: "Network error" };
  waiting.settle(refused);
  assert.equal(listenersLeft(bus), 0);
  bus.$emit(eventName("aborted"), { error: "late" }, {});
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(await waiting.outcome, refused);
});

test("the events of other calls do not settle this one", async () => {
  const bus = new Vue();
  const waiting = wait(bus, 30);
  bus.$emit("list-tasks-completed-ev2", {}, { output: { other: true } });
  bus.$emit("list-tasks-completed", {}, { output: { other: true } });
  assert.deepEqual(await waiting.outcome, TIMED_OUT);
});
