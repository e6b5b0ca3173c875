// Task schedules: the `cron` value of a task ("" | "<N>m" | "<N>h", "24h" = daily) to and from
// the modal's model {mode, value}, and the words the table shows for it.

export const MINUTES_RANGE = { min: 1, max: 59 };
export const HOURS_RANGE = { min: 1, max: 23 };

const MINUTES_PER_HOUR = 60;
const MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR;
const CRON_PATTERN = /^(\d+)([mh])$/;

// Minutes between two scheduled runs, or null when the task is not scheduled (or the value
// is not one the backend understands).
export function cronToMinutes(cron) {
  const match = CRON_PATTERN.exec(String(cron || "").trim());
  if (!match) {
    return null;
  }
  const amount = parseInt(match[1], 10);
  if (amount < 1) {
    return null;
  }
  return match[2] === "m" ? amount : amount * MINUTES_PER_HOUR;
}

// The modal's model for a stored value. "60m" and "1h" both read as every hour; a value the
// selector cannot express is kept as it is ("custom"), so saving does not lose it.
export function parseCron(cron) {
  const raw = String(cron || "").trim();
  if (!raw) {
    return { mode: "none", value: "" };
  }
  const minutes = cronToMinutes(raw);
  if (minutes !== null && minutes <= MINUTES_RANGE.max) {
    return { mode: "minutes", value: String(minutes) };
  }
  if (minutes === MINUTES_PER_DAY) {
    return { mode: "daily", value: "" };
  }
  if (
    minutes !== null &&
    minutes % MINUTES_PER_HOUR === 0 &&
    minutes / MINUTES_PER_HOUR <= HOURS_RANGE.max
  ) {
    return { mode: "hours", value: String(minutes / MINUTES_PER_HOUR) };
  }
  return { mode: "custom", value: raw };
}

// The value create-task expects for a model that passed validateSchedule.
export function buildCron(schedule) {
  switch (schedule.mode) {
    case "minutes":
      return `${parseInt(schedule.value, 10)}m`;
    case "hours":
      return `${parseInt(schedule.value, 10)}h`;
    case "daily":
      return "24h";
    case "custom":
      return schedule.value;
    default:
      return "";
  }
}

function inRange(value, range) {
  const text = String(value === undefined || value === null ? "" : value).trim();
  if (!/^\d+$/.test(text)) {
    return false;
  }
  const number = parseInt(text, 10);
  return number >= range.min && number <= range.max;
}

// "" when the model is acceptable, otherwise the task_modal key of the problem.
export function validateSchedule(schedule) {
  if (schedule.mode === "minutes" && !inRange(schedule.value, MINUTES_RANGE)) {
    return "schedule_minutes_range";
  }
  if (schedule.mode === "hours" && !inRange(schedule.value, HOURS_RANGE)) {
    return "schedule_hours_range";
  }
  return "";
}

// The words for a stored value, as a `tasks.<key>` i18n key and its parameters.
export function describeSchedule(cron) {
  const schedule = parseCron(cron);
  switch (schedule.mode) {
    case "none":
      return { key: "not_scheduled", params: {} };
    case "minutes":
      return schedule.value === "1"
        ? { key: "every_minute", params: {} }
        : { key: "every_n_minutes", params: { count: schedule.value } };
    case "hours":
      return schedule.value === "1"
        ? { key: "every_hour", params: {} }
        : { key: "every_n_hours", params: { count: schedule.value } };
    case "daily":
      return { key: "daily", params: {} };
    default:
      return { key: "custom_schedule", params: { value: schedule.value } };
  }
}

// Sort key for the frequency column: the most frequent first, unscheduled tasks last.
export function scheduleSortKey(cron) {
  const minutes = cronToMinutes(cron);
  return minutes === null ? Number.MAX_SAFE_INTEGER : minutes;
}
