// The rows of the tasks table: run status, normalized fields, refresh by polling and search.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  filterTaskRows,
  isActive,
  mergeTaskRows,
  statusFields,
  taskKey,
  taskStatus,
  toTaskRow,
} from "../../src/lib/taskRows.js";

function item(changes = {}) {
  return {
    task_id: "ab12cd",
    localuser: "u2",
    remoteusername: "u3@example.org",
    remotehostname: "imap.example.org",
    remoteport: 143,
    security: "tls",
    delete_local: false,
    delete_remote: false,
    delete_remote_older: 0,
    foldersynchronization: "all",
    exclude: "",
    cron: "5m",
    sieve_enabled: false,
    service_running: false,
    has_log: false,
    last_sync_timestamp: null,
    last_sync_exit_code: null,
    last_sync_summary: null,
    progress: null,
    ...changes,
  };
}

test("a task is Running when its service runs or a run is in progress, Queued while waiting", () => {
  assert.equal(taskStatus(item()), "stopped");
  assert.equal(taskStatus(item({ service_running: true })), "running");
  assert.equal(taskStatus(item({ progress: { state: "running" } })), "running");
  assert.equal(taskStatus(item({ progress: { state: "queued" } })), "queued");
  assert.equal(taskStatus(item({ service_running: true, progress: { state: "queued" } })), "queued");
});

test("running and queued tasks count as active; they sort before stopped ones", () => {
  assert.equal(isActive(toTaskRow(item({ service_running: true }))), true);
  assert.equal(isActive(toTaskRow(item({ progress: { state: "queued" } }))), true);
  assert.equal(isActive(toTaskRow(item())), false);
  const order = ["stopped", "queued", "running"].map((status) => statusFields(status).statusOrder);
  assert.deepEqual(order, [2, 1, 0]);
});

test("a row has every field even when the listed task lacks some", () => {
  const row = toTaskRow({ task_id: "ab12cd", localuser: "u2" });
  assert.equal(row.key, "u2_ab12cd");
  assert.equal(row.remoteport, "");
  assert.equal(row.cron, "");
  assert.equal(row.foldersynchronization, "all");
  assert.equal(row.delete_remote_older, 0);
  assert.equal(row.last_sync_timestamp, null);
  assert.equal(row.lastSyncOrder, -1);
  assert.equal(row.progress, null);
  assert.equal(row.rate, null);
  assert.equal(row.status, "stopped");
  assert.equal(row.scheduleOrder, Number.MAX_SAFE_INTEGER);
  const full = toTaskRow(item());
  assert.deepEqual(Object.keys(row).sort(), Object.keys(full).sort());
});

test("a row keeps what the table and the edit form need from the listed task", () => {
  const row = toTaskRow(
    item({
      remoteport: 993,
      security: "ssl",
      cron: "1h",
      last_sync_timestamp: 1700000000,
      last_sync_exit_code: 0,
      last_sync_summary: { transferred: 12, skipped: 0, errors: 0, bytes_transferred: 4096, duration_ms: 4000, error: null },
      has_log: true,
    })
  );
  assert.equal(row.remoteport, "993");
  assert.equal(row.security, "ssl");
  assert.equal(row.scheduleOrder, 60);
  assert.equal(row.last_sync_timestamp, 1700000000);
  assert.equal(row.last_sync_exit_code, 0);
  assert.equal(row.lastSyncOrder, 1700000000);
  assert.equal(row.last_sync_summary.transferred, 12);
  assert.equal(row.has_log, true);
});

test("the same task id under two local users makes two rows", () => {
  assert.notEqual(taskKey(item({ localuser: "u2" })), taskKey(item({ localuser: "u3" })));
});

test("a poll listing the same tasks updates the rows on screen in place", () => {
  const first = toTaskRow(item({ task_id: "aaaaaa" }));
  const second = toTaskRow(item({ task_id: "bbbbbb" }));
  const current = [second, first];
  const polled = [
    toTaskRow(item({ task_id: "aaaaaa", service_running: true })),
    toTaskRow(item({ task_id: "bbbbbb", cron: "2h" })),
  ];
  const merged = mergeTaskRows(current, polled);
  assert.equal(merged, current);
  assert.equal(merged[0], second);
  assert.equal(merged[1], first);
  assert.equal(second.cron, "2h");
  assert.equal(first.status, "running");
});

test("a poll with a new task appends it and drops a deleted one, keeping the order on screen", () => {
  const current = [
    toTaskRow(item({ task_id: "cccccc" })),
    toTaskRow(item({ task_id: "aaaaaa" })),
    toTaskRow(item({ task_id: "bbbbbb" })),
  ];
  const kept = current[1];
  const polled = ["aaaaaa", "bbbbbb", "dddddd"].map((id) => toTaskRow(item({ task_id: id })));
  const merged = mergeTaskRows(current, polled);
  assert.deepEqual(
    merged.map((row) => row.task_id),
    ["aaaaaa", "bbbbbb", "dddddd"]
  );
  assert.equal(merged[0], kept);
  assert.deepEqual(mergeTaskRows(current, []), []);
});

test("a poll that only adds a task shows it after the rows already on screen", () => {
  const current = ["bbbbbb", "aaaaaa"].map((id) => toTaskRow(item({ task_id: id })));
  const polled = ["aaaaaa", "bbbbbb", "cccccc"].map((id) => toTaskRow(item({ task_id: id })));
  assert.deepEqual(
    mergeTaskRows(current, polled).map((row) => row.task_id),
    ["bbbbbb", "aaaaaa", "cccccc"]
  );
});

test("search matches users, server and id in any case, and extra texts such as the status", () => {
  const rows = [
    toTaskRow(item({ task_id: "aaaaaa", localuser: "alice", remotehostname: "IMAP.Example.org" })),
    toTaskRow(item({ task_id: "bbbbbb", localuser: "bob", remoteusername: "bob@other.net", remotehostname: "10.0.0.5" })),
  ];
  const ids = (query, extra) => filterTaskRows(rows, query, extra).map((row) => row.task_id);
  assert.deepEqual(ids("imap.EXAMPLE"), ["aaaaaa"]);
  assert.deepEqual(ids("OTHER.net"), ["bbbbbb"]);
  assert.deepEqual(ids("bbb"), ["bbbbbb"]);
  assert.deepEqual(ids("ALICE"), ["aaaaaa"]);
  assert.deepEqual(ids("nobody"), []);
  assert.deepEqual(ids("  "), ["aaaaaa", "bbbbbb"]);
  assert.deepEqual(ids(null), ["aaaaaa", "bbbbbb"]);
  assert.deepEqual(ids("every 5", () => ["Every 5 minutes"]), ["aaaaaa", "bbbbbb"]);
});
