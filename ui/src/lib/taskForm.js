// The create/edit task form: its model for a new or a listed task, the client-side checks,
// the create-task input it sends, and where each server validation error belongs.

import { buildCron, parseCron, validateSchedule } from "./schedule.js";

export const DEFAULT_PORTS = { "": "143", tls: "143", ssl: "993" };
export const DELETE_DAYS_RANGE = { min: 1, max: 99999 };
const DEFAULT_DELETE_DAYS = "15";

// Form fields that show their own error; "form" is the inline error of the whole modal.
export const FORM_ERROR_FIELDS = [
  "task_id",
  "localuser",
  "remoteusername",
  "remotepassword",
  "remotehostname",
  "remoteport",
  "security",
  "foldersynchronization",
  "exclude",
  "delete",
  "delete_days",
  "schedule",
  "schedule_value",
];

export function emptyFormErrors() {
  const errors = { form: "" };
  for (const field of FORM_ERROR_FIELDS) {
    errors[field] = "";
  }
  return errors;
}

export function newTaskForm(taskId) {
  return {
    task_id: taskId,
    localuser: "",
    remoteusername: "",
    remotepassword: "",
    remotehostname: "",
    remoteport: DEFAULT_PORTS.tls,
    security: "tls",
    foldersynchronization: "all",
    sieve_enabled: false,
    exclusions: "",
    deletion: "none",
    delete_days: DEFAULT_DELETE_DAYS,
    schedule_mode: "none",
    schedule_value: "",
    delete_local: false,
  };
}

function deletionOf(task) {
  if (!task.delete_remote) {
    return { deletion: "none", delete_days: DEFAULT_DELETE_DAYS };
  }
  if (task.delete_remote_older > 0) {
    return { deletion: "older", delete_days: String(task.delete_remote_older) };
  }
  return { deletion: "after_sync", delete_days: DEFAULT_DELETE_DAYS };
}

// The form of a listed task (a row of the table). The password stays empty: unchanged.
export function taskToForm(task) {
  const schedule = parseCron(task.cron);
  return {
    ...newTaskForm(task.task_id),
    localuser: task.localuser,
    remoteusername: task.remoteusername,
    remotehostname: task.remotehostname,
    remoteport: task.remoteport || DEFAULT_PORTS[task.security] || DEFAULT_PORTS.tls,
    security: task.security,
    foldersynchronization: task.foldersynchronization,
    sieve_enabled: task.sieve_enabled,
    exclusions: exclusionLines(task.exclude).join("\n"),
    ...deletionOf(task),
    schedule_mode: schedule.mode,
    schedule_value: schedule.value,
    delete_local: task.delete_local,
  };
}

// The stored exclusion list (comma-separated, maybe with a leading comma) as one regex a line.
export function exclusionLines(exclude) {
  return String(exclude || "")
    .split(/[,\n]/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

// The trimmed text of an input; a cleared input (null or undefined) is empty, not "null".
function textOf(value) {
  return value === undefined || value === null ? "" : String(value).trim();
}

function isIntegerIn(text, min, max) {
  const value = textOf(text);
  if (!/^\d+$/.test(value)) {
    return false;
  }
  const number = parseInt(value, 10);
  return number >= min && number <= max;
}

// The client-side checks: {field: task_modal key} for every field in error.
export function validateTaskForm(form, isEdit) {
  const errors = {};
  if (!textOf(form.localuser)) {
    errors.localuser = "required";
  }
  if (!textOf(form.remoteusername)) {
    errors.remoteusername = "required";
  }
  if (!isEdit && !form.remotepassword) {
    errors.remotepassword = "required";
  }
  if (!textOf(form.remotehostname)) {
    errors.remotehostname = "required";
  } else if (/\s/.test(textOf(form.remotehostname))) {
    errors.remotehostname = "invalid_hostname";
  }
  if (!textOf(form.remoteport)) {
    errors.remoteport = "required";
  } else if (!isIntegerIn(form.remoteport, 1, 65535)) {
    errors.remoteport = "port_range";
  }
  if (form.foldersynchronization === "exclusion" && !exclusionLines(form.exclusions).length) {
    errors.exclude = "exclusion_required";
  }
  if (
    form.deletion === "older" &&
    !isIntegerIn(form.delete_days, DELETE_DAYS_RANGE.min, DELETE_DAYS_RANGE.max)
  ) {
    errors.delete_days = "delete_days_range";
  }
  const scheduleError = validateSchedule({ mode: form.schedule_mode, value: form.schedule_value });
  if (scheduleError) {
    errors.schedule_value = scheduleError;
  }
  return errors;
}

// The create-task input for a form that passed validateTaskForm. The form has no certificate
// check setting: tls_verify is not sent, so the backend keeps the stored one.
export function formToTaskInput(form) {
  return {
    task_id: form.task_id,
    localuser: textOf(form.localuser),
    remoteusername: textOf(form.remoteusername),
    remotepassword: typeof form.remotepassword === "string" ? form.remotepassword : "",
    remotehostname: textOf(form.remotehostname),
    remoteport: parseInt(textOf(form.remoteport), 10),
    security: form.security,
    delete_local: Boolean(form.delete_local),
    delete_remote: form.deletion !== "none",
    delete_remote_older: form.deletion === "older" ? parseInt(form.delete_days, 10) : 0,
    sieve_enabled: form.foldersynchronization === "inbox" && Boolean(form.sieve_enabled),
    exclude: exclusionLines(form.exclusions).join(","),
    cron: buildCron({ mode: form.schedule_mode, value: form.schedule_value }),
    foldersynchronization: form.foldersynchronization,
  };
}

// The form field where a server error about `parameter` is shown, or "form".
export function fieldOfParameter(parameter, form) {
  switch (parameter) {
    case "task_id":
    case "localuser":
    case "remoteusername":
    case "remotepassword":
    case "remotehostname":
    case "remoteport":
    case "security":
    case "exclude":
    case "foldersynchronization":
      return parameter;
    case "tls_verify":
      return "security";
    case "sieve_enabled":
      return "foldersynchronization";
    case "cron":
      return ["minutes", "hours"].includes(form.schedule_mode) ? "schedule_value" : "schedule";
    case "delete_remote_older":
      return form.deletion === "older" ? "delete_days" : "delete";
    case "delete_remote":
    case "delete_local":
      return "delete";
    default:
      return "form";
  }
}

// Login and connection refusals (parameter "createTask"): the fields they concern and the
// task_modal key of the short hint shown under them. The full text is the modal's inline error.
export const LOGIN_ERROR_HINTS = {
  bad_user_credentials: {
    fields: ["remoteusername", "remotepassword"],
    hint: "check_remote_login",
  },
  Check_hostname_or_tcp_port: {
    fields: ["remotehostname", "remoteport"],
    hint: "check_host_and_port",
  },
  SSL_encryption_error: { fields: ["security"], hint: "check_encryption" },
  STARTTLS_not_allowed_use_IMAPS: { fields: ["security"], hint: "use_imaps" },
};

function addOnce(placed, field, key) {
  placed[field] = placed[field] || [];
  if (!placed[field].includes(key)) {
    placed[field].push(key);
  }
}

// Server validation errors grouped by where they are shown: {field: [error key, ...]}, each
// key once per place. A login refusal shows in the inline error ("form") and as a short hint
// under each field it concerns.
export function placeServerErrors(errors, form) {
  const placed = {};
  for (const failure of errors || []) {
    const key = String(failure.error || "");
    const field = fieldOfParameter(failure.parameter || failure.field, form);
    addOnce(placed, field, key);
    const isLogin =
      field === "form" && Object.prototype.hasOwnProperty.call(LOGIN_ERROR_HINTS, key);
    if (isLogin) {
      for (const hinted of LOGIN_ERROR_HINTS[key].fields) {
        addOnce(placed, hinted, LOGIN_ERROR_HINTS[key].hint);
      }
    }
  }
  return placed;
}
