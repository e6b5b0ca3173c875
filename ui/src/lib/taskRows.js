// The rows of the tasks table: one normalized object per list-tasks item (always the same set
// of fields, so the table stays reactive when a poll updates a row in place), its run status,
// sort keys, the merge of a new poll into the rows on screen, and the search filter.

import { scheduleSortKey } from "./schedule.js";

const STATUS_ORDER = { running: 0, queued: 1, stopped: 2 };

export function taskKey(item) {
  return `${item.localuser}_${item.task_id}`;
}

// "running", "queued" (waiting for a free run slot) or "stopped".
export function taskStatus(item) {
  const progress = item.progress;
  if (progress && progress.state === "queued") {
    return "queued";
  }
  if (item.service_running || (progress && progress.state === "running")) {
    return "running";
  }
  return "stopped";
}

// The fields that follow from a status; used for optimistic updates too.
export function statusFields(status) {
  return { status, statusOrder: STATUS_ORDER[status] };
}

export function isActive(row) {
  return row.status !== "stopped";
}

function integerOrNull(value) {
  return Number.isInteger(value) ? value : null;
}

export function toTaskRow(item) {
  const lastSync = integerOrNull(item.last_sync_timestamp);
  return {
    key: taskKey(item),
    task_id: String(item.task_id || ""),
    localuser: String(item.localuser || ""),
    remoteusername: String(item.remoteusername || ""),
    remotehostname: String(item.remotehostname || ""),
    remoteport: item.remoteport === undefined || item.remoteport === null ? "" : String(item.remoteport),
    security: item.security || "",
    delete_local: Boolean(item.delete_local),
    delete_remote: Boolean(item.delete_remote),
    delete_remote_older: Number(item.delete_remote_older) || 0,
    foldersynchronization: item.foldersynchronization || "all",
    exclude: item.exclude || "",
    cron: item.cron || "",
    sieve_enabled: Boolean(item.sieve_enabled),
    service_running: Boolean(item.service_running),
    has_log: Boolean(item.has_log),
    last_sync_timestamp: lastSync,
    last_sync_exit_code: integerOrNull(item.last_sync_exit_code),
    last_sync_summary: item.last_sync_summary || null,
    progress: item.progress || null,
    rate: null,
    scheduleOrder: scheduleSortKey(item.cron),
    lastSyncOrder: lastSync === null ? -1 : lastSync,
    ...statusFields(taskStatus(item)),
  };
}

// The rows to show after a poll. When the same tasks are listed, the rows on screen are
// updated in place (the table keeps its sort order and open menus); otherwise a new array
// keeps the known rows in their current order and appends the new ones.
export function mergeTaskRows(current, incoming) {
  const incomingByKey = new Map(incoming.map((row) => [row.key, row]));
  const sameTasks =
    current.length === incoming.length && current.every((row) => incomingByKey.has(row.key));
  if (sameTasks) {
    for (const row of current) {
      Object.assign(row, incomingByKey.get(row.key));
    }
    return current;
  }
  const kept = current
    .filter((row) => incomingByKey.has(row.key))
    .map((row) => Object.assign(row, incomingByKey.get(row.key)));
  const keptKeys = new Set(kept.map((row) => row.key));
  return kept.concat(incoming.filter((row) => !keptKeys.has(row.key)));
}

// Rows whose users, server, id or any of `extraTexts(row)` contain the query (any case).
export function filterTaskRows(rows, query, extraTexts = () => []) {
  const needle = String(query || "").trim().toLowerCase();
  if (!needle) {
    return rows;
  }
  return rows.filter((row) =>
    [row.localuser, row.remoteusername, row.remotehostname, row.task_id, ...extraTexts(row)].some(
      (text) => String(text).toLowerCase().includes(needle)
    )
  );
}
