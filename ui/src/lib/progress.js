// Live progress of a run, from list-tasks `progress`: whether it is still listing folders, how
// far it is, how fast it goes (messages per second, measured between two polls or since the
// run started), how long it still needs, and byte counts in readable units.

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
// Weight of the newest measurement when smoothing the rate between polls.
const RATE_SMOOTHING = 0.5;
// Two polls closer than this are not used to measure a rate.
const MIN_SAMPLE_GAP_MS = 1000;

function count(value) {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : 0;
}

// About three significant digits: two decimals below 10, one below 100, none above. The
// choice is made on the rounded text, so 9.996 reads "10.0" and 99.96 reads "100".
function threeDigits(value) {
  const twoDecimals = value.toFixed(2);
  if (Number(twoDecimals) < 10) {
    return twoDecimals;
  }
  const oneDecimal = value.toFixed(1);
  return Number(oneDecimal) < 100 ? oneDecimal : value.toFixed(0);
}

// Percent done (0-100) by messages, else bytes, else folders; null when no total is known yet.
export function percentDone(progress) {
  if (!progress) {
    return null;
  }
  const pairs = [
    [progress.messages_done, progress.messages_total],
    [progress.bytes_done, progress.bytes_total],
    [progress.folders_done, progress.folders_total],
  ];
  for (const [done, total] of pairs) {
    if (count(total) > 0) {
      return Math.min(100, Math.max(0, (count(done) / count(total)) * 100));
    }
  }
  return null;
}

// A run that has not counted its messages yet (it is still listing the folders).
export function isListingFolders(progress) {
  return Boolean(progress) && progress.state === "running" && count(progress.messages_total) === 0;
}

// "512 B", "3.20 MiB", "120 GiB"; "-" when the size is unknown.
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined || bytes === "") {
    return "-";
  }
  let size = Number(bytes);
  if (!Number.isFinite(size) || size < 0) {
    return "-";
  }
  let unit = 0;
  while (size >= 1024 && unit < BYTE_UNITS.length - 1) {
    size /= 1024;
    unit += 1;
  }
  if (unit === 0) {
    return `${Math.round(size)} B`;
  }
  let text = threeDigits(size);
  // 1023.7 KiB rounds to "1024": that is 1.00 MiB.
  if (Number(text) >= 1024 && unit < BYTE_UNITS.length - 1) {
    text = threeDigits(size / 1024);
    unit += 1;
  }
  return `${text} ${BYTE_UNITS[unit]}`;
}

// Rate in messages per second: "0.40", "12.5", "230".
export function formatRate(rate) {
  return threeDigits(rate);
}

// The next rate sample of a task from its previous sample and the progress just polled.
// Returns {sample, rate}; rate is messages per second or null while it cannot be measured.
export function nextRateSample(previous, progress, nowMs) {
  if (!progress || progress.state !== "running") {
    return { sample: null, rate: null };
  }
  const done = count(progress.messages_done);
  const startedAt = progress.started_at || null;
  const sameRun =
    previous && previous.startedAt === startedAt && done >= previous.messagesDone;
  if (sameRun && nowMs - previous.atMs < MIN_SAMPLE_GAP_MS) {
    return { sample: previous, rate: previous.rate };
  }
  let rate = null;
  if (sameRun) {
    const measured = (done - previous.messagesDone) / ((nowMs - previous.atMs) / 1000);
    rate =
      previous.rate === null
        ? measured
        : RATE_SMOOTHING * measured + (1 - RATE_SMOOTHING) * previous.rate;
  } else if (startedAt) {
    const elapsed = nowMs / 1000 - startedAt;
    rate = elapsed >= 1 ? done / elapsed : null;
  }
  return { sample: { startedAt, messagesDone: done, atMs: nowMs, rate }, rate };
}

// Seconds still needed at `rate` messages per second; null when it cannot be estimated.
export function etaSeconds(progress, rate) {
  if (!progress || !rate || rate <= 0) {
    return null;
  }
  const total = count(progress.messages_total);
  if (total === 0) {
    return null;
  }
  const remaining = Math.max(0, total - count(progress.messages_done));
  return remaining / rate;
}
