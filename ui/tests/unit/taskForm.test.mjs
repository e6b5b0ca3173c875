// The create/edit task form: the exact create-task input it sends, the client-side checks
// and where the server's refusals are shown.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FORM_ERROR_FIELDS,
  LOGIN_ERROR_HINTS,
  emptyFormErrors,
  exclusionLines,
  fieldOfParameter,
  formToTaskInput,
  newTaskForm,
  placeServerErrors,
  taskToForm,
  validateTaskForm,
} from "../../src/lib/taskForm.js";
import { toTaskRow } from "../../src/lib/taskRows.js";
import { createTaskSchema, createTaskSchemaProblems, english } from "./support.mjs";

// What an admin fills in to create a task; everything else keeps the form's defaults.
function filledCreateForm(changes = {}) {
  return {
    ...newTaskForm("ab12cd"),
    localuser: "u2",
    remoteusername: "u3@example.org",
    remotepassword: "s3cret pass",
    remotehostname: "imap.example.org",
    ...changes,
  };
}

// A list-tasks item as the backend lists it.
function listedTask(changes = {}) {
  return {
    task_id: "x7k2p9",
    localuser: "u2",
    remoteusername: "old@example.org",
    remotehostname: "10.0.0.5",
    remoteport: 993,
    security: "ssl",
    delete_local: false,
    delete_remote: false,
    delete_remote_older: 0,
    foldersynchronization: "all",
    exclude: "",
    cron: "5m",
    sieve_enabled: false,
    service_running: false,
    has_log: true,
    last_sync_timestamp: 1700000000,
    last_sync_exit_code: 0,
    last_sync_summary: null,
    progress: null,
    ...changes,
  };
}

// The form the edit modal opens with for a listed task (the table hands it a row).
function editFormOf(item) {
  return taskToForm(toTaskRow(item));
}

test("a new task with the defaults sends STARTTLS on 143, all folders, no deletion, no schedule", () => {
  const form = filledCreateForm();
  assert.deepEqual(validateTaskForm(form, false), {});
  const input = formToTaskInput(form);
  assert.deepEqual(input, {
    task_id: "ab12cd",
    localuser: "u2",
    remoteusername: "u3@example.org",
    remotepassword: "s3cret pass",
    remotehostname: "imap.example.org",
    remoteport: 143,
    security: "tls",
    delete_local: false,
    delete_remote: false,
    delete_remote_older: 0,
    sieve_enabled: false,
    exclude: "",
    cron: "",
    foldersynchronization: "all",
  });
  assert.deepEqual(createTaskSchemaProblems(input), []);
});

test("typed values are trimmed, the password is sent exactly as typed and the port as a Number", () => {
  const input = formToTaskInput(
    filledCreateForm({
      localuser: " u2 ",
      remoteusername: "  u3*vmail ",
      remotepassword: " pass with spaces ",
      remotehostname: " imap.example.org\t",
      remoteport: " 2143 ",
      security: "",
    })
  );
  assert.equal(input.localuser, "u2");
  assert.equal(input.remoteusername, "u3*vmail");
  assert.equal(input.remotepassword, " pass with spaces ");
  assert.equal(input.remotehostname, "imap.example.org");
  assert.equal(input.remoteport, 2143);
  assert.equal(input.security, "");
  assert.deepEqual(createTaskSchemaProblems(input), []);
});

test("editing a task without typing a password sends an empty password: the stored one is kept", () => {
  const form = editFormOf(listedTask());
  assert.equal(form.remotepassword, "");
  assert.deepEqual(validateTaskForm(form, true), {});
  const input = formToTaskInput(form);
  assert.equal(input.remotepassword, "");
  assert.deepEqual(createTaskSchemaProblems(input), []);
  assert.equal(formToTaskInput({ ...form, remotepassword: null }).remotepassword, "");
});

test("an unchanged edit sends back every stored setting of the task", () => {
  const item = listedTask({
    remoteport: 993,
    security: "ssl",
    delete_local: true,
    delete_remote: true,
    delete_remote_older: 30,
    foldersynchronization: "exclusion",
    exclude: "^Trash$,^Junk$",
    cron: "2h",
  });
  const input = formToTaskInput(editFormOf(item));
  assert.deepEqual(input, {
    task_id: "x7k2p9",
    localuser: "u2",
    remoteusername: "old@example.org",
    remotepassword: "",
    remotehostname: "10.0.0.5",
    remoteport: 993,
    security: "ssl",
    delete_local: true,
    delete_remote: true,
    delete_remote_older: 30,
    sieve_enabled: false,
    exclude: "^Trash$,^Junk$",
    cron: "2h",
    foldersynchronization: "exclusion",
  });
  assert.deepEqual(createTaskSchemaProblems(input), []);
});

test("an edit leaves the certificate check out: the backend keeps the stored setting", () => {
  for (const tls_verify of [true, false]) {
    const input = formToTaskInput(editFormOf(listedTask({ tls_verify })));
    assert.ok(!("tls_verify" in input), String(tls_verify));
  }
});

test("an edit that types a new password sends it", () => {
  const form = { ...editFormOf(listedTask()), remotepassword: "n3w" };
  assert.equal(formToTaskInput(form).remotepassword, "n3w");
});

test("the inbox-only mode keeps the Sieve choice; other modes never send Sieve on", () => {
  const inbox = editFormOf(listedTask({ foldersynchronization: "inbox", sieve_enabled: true }));
  assert.equal(inbox.sieve_enabled, true);
  assert.equal(formToTaskInput(inbox).sieve_enabled, true);
  assert.equal(formToTaskInput(inbox).foldersynchronization, "inbox");
  const switchedToAll = { ...inbox, foldersynchronization: "all" };
  assert.equal(formToTaskInput(switchedToAll).sieve_enabled, false);
});

test("delete_local stays true only for a task already set so; the form cannot turn it on", () => {
  assert.equal(formToTaskInput(filledCreateForm()).delete_local, false);
  assert.equal(formToTaskInput(editFormOf(listedTask({ delete_local: false }))).delete_local, false);
  const setByApi = editFormOf(listedTask({ delete_local: true }));
  assert.equal(formToTaskInput(setByApi).delete_local, true);
  const edited = { ...setByApi, remoteusername: "new@example.org", deletion: "after_sync" };
  assert.equal(formToTaskInput(edited).delete_local, true);
});

test("both remote deletion options set delete_remote; the days are sent only for 'older than'", () => {
  const cases = [
    [{ deletion: "none", delete_days: "30" }, { delete_remote: false, delete_remote_older: 0 }],
    [{ deletion: "after_sync", delete_days: "30" }, { delete_remote: true, delete_remote_older: 0 }],
    [{ deletion: "older", delete_days: "30" }, { delete_remote: true, delete_remote_older: 30 }],
    [{ deletion: "older", delete_days: " 99999 " }, { delete_remote: true, delete_remote_older: 99999 }],
    [{ deletion: "older", delete_days: "1" }, { delete_remote: true, delete_remote_older: 1 }],
  ];
  for (const [changes, expected] of cases) {
    const form = filledCreateForm(changes);
    assert.deepEqual(validateTaskForm(form, false), {}, JSON.stringify(changes));
    const input = formToTaskInput(form);
    assert.deepEqual(
      { delete_remote: input.delete_remote, delete_remote_older: input.delete_remote_older },
      expected,
      JSON.stringify(changes)
    );
    assert.deepEqual(createTaskSchemaProblems(input), []);
  }
});

test("a stored deletion setting opens as the matching option, 15 days when none was set", () => {
  const none = editFormOf(listedTask({ delete_remote: false, delete_remote_older: 7 }));
  assert.deepEqual([none.deletion, none.delete_days], ["none", "15"]);
  const afterSync = editFormOf(listedTask({ delete_remote: true, delete_remote_older: 0 }));
  assert.deepEqual([afterSync.deletion, afterSync.delete_days], ["after_sync", "15"]);
  const older = editFormOf(listedTask({ delete_remote: true, delete_remote_older: 45 }));
  assert.deepEqual([older.deletion, older.delete_days], ["older", "45"]);
  assert.deepEqual([newTaskForm("a").deletion, newTaskForm("a").delete_days], ["none", "15"]);
});

test("exclusion lines are trimmed, blank lines dropped, and joined with commas", () => {
  const form = filledCreateForm({
    foldersynchronization: "exclusion",
    exclusions: "  ^Trash$  \n\n^Junk$\r\n   \n^Archive/2019$\n",
  });
  assert.deepEqual(validateTaskForm(form, false), {});
  const input = formToTaskInput(form);
  assert.equal(input.exclude, "^Trash$,^Junk$,^Archive/2019$");
  assert.equal(input.foldersynchronization, "exclusion");
});

test("a stored exclusion list opens one regex a line, also with the leading comma of older tasks", () => {
  assert.equal(editFormOf(listedTask({ exclude: ",^Trash$,^Junk$" })).exclusions, "^Trash$\n^Junk$");
  assert.deepEqual(exclusionLines(""), []);
  assert.deepEqual(exclusionLines(null), []);
});

test("the schedule is sent as '', '<N>m', '<N>h' or '24h' for daily", () => {
  const cases = [
    [{ schedule_mode: "none", schedule_value: "" }, ""],
    [{ schedule_mode: "minutes", schedule_value: "1" }, "1m"],
    [{ schedule_mode: "minutes", schedule_value: "59" }, "59m"],
    [{ schedule_mode: "hours", schedule_value: "1" }, "1h"],
    [{ schedule_mode: "hours", schedule_value: "23" }, "23h"],
    [{ schedule_mode: "daily", schedule_value: "" }, "24h"],
  ];
  for (const [changes, cron] of cases) {
    const form = filledCreateForm(changes);
    assert.deepEqual(validateTaskForm(form, false), {}, cron);
    const input = formToTaskInput(form);
    assert.equal(input.cron, cron);
    assert.deepEqual(createTaskSchemaProblems(input), []);
  }
});

test("60m and 1h both open as every 1 hour and are saved as 1h", () => {
  for (const cron of ["60m", "1h"]) {
    const form = editFormOf(listedTask({ cron }));
    assert.deepEqual([form.schedule_mode, form.schedule_value], ["hours", "1"], cron);
    assert.equal(formToTaskInput(form).cron, "1h", cron);
  }
});

test("a stored schedule the selector cannot express (90m) is saved unchanged by an edit", () => {
  const form = editFormOf(listedTask({ cron: "90m" }));
  assert.equal(form.schedule_mode, "custom");
  assert.deepEqual(validateTaskForm(form, true), {});
  const edited = { ...form, remoteusername: "renamed@example.org" };
  assert.equal(formToTaskInput(edited).cron, "90m");
});

test("the stored schedules open in their own mode and are saved unchanged", () => {
  for (const [cron, mode] of [
    ["", "none"],
    ["5m", "minutes"],
    ["3h", "hours"],
    ["24h", "daily"],
  ]) {
    const form = editFormOf(listedTask({ cron }));
    assert.equal(form.schedule_mode, mode, cron);
    assert.equal(formToTaskInput(form).cron, cron);
  }
});

test("an empty create form reports every required field, and the password only on create", () => {
  const empty = { ...newTaskForm("ab12cd"), remoteport: "" };
  assert.deepEqual(validateTaskForm(empty, false), {
    localuser: "required",
    remoteusername: "required",
    remotepassword: "required",
    remotehostname: "required",
    remoteport: "required",
  });
  assert.deepEqual(validateTaskForm(empty, true), {
    localuser: "required",
    remoteusername: "required",
    remotehostname: "required",
    remoteport: "required",
  });
});

test("blank and cleared (null) inputs count as empty", () => {
  const blank = filledCreateForm({ localuser: "   ", remoteusername: "\t", remotehostname: " " });
  assert.deepEqual(validateTaskForm(blank, false), {
    localuser: "required",
    remoteusername: "required",
    remotehostname: "required",
  });
  const cleared = filledCreateForm({ localuser: null, remoteusername: undefined, remoteport: null });
  assert.deepEqual(validateTaskForm(cleared, false), {
    localuser: "required",
    remoteusername: "required",
    remoteport: "required",
  });
});

test("the port must be a whole number from 1 to 65535", () => {
  for (const port of ["0", "65536", "abc", "14 3", "1.5", "-143"]) {
    assert.deepEqual(validateTaskForm(filledCreateForm({ remoteport: port }), false), {
      remoteport: "port_range",
    }, port);
  }
  for (const port of ["1", "65535", 993]) {
    assert.deepEqual(validateTaskForm(filledCreateForm({ remoteport: port }), false), {}, String(port));
  }
});

test("a host name with spaces inside is refused", () => {
  assert.deepEqual(validateTaskForm(filledCreateForm({ remotehostname: "imap example.org" }), false), {
    remotehostname: "invalid_hostname",
  });
});

test("the exclusion text is required only in the 'all except selected' mode", () => {
  const exclusion = filledCreateForm({ foldersynchronization: "exclusion", exclusions: " \n \n" });
  assert.deepEqual(validateTaskForm(exclusion, false), { exclude: "exclusion_required" });
  for (const mode of ["all", "inbox"]) {
    assert.deepEqual(validateTaskForm({ ...exclusion, foldersynchronization: mode }, false), {});
  }
});

test("the number of days must be 1-99999, checked only for 'older than'", () => {
  for (const days of ["0", "100000", "", "1.5", "-3", "abc"]) {
    const form = filledCreateForm({ deletion: "older", delete_days: days });
    assert.deepEqual(validateTaskForm(form, false), { delete_days: "delete_days_range" }, days);
  }
  for (const days of ["1", "99999", "15"]) {
    assert.deepEqual(validateTaskForm(filledCreateForm({ deletion: "older", delete_days: days }), false), {});
  }
  for (const deletion of ["none", "after_sync"]) {
    assert.deepEqual(validateTaskForm(filledCreateForm({ deletion, delete_days: "0" }), false), {});
  }
});

test("minutes must be 1-59 and hours 1-23", () => {
  const refused = [
    ["minutes", "0", "schedule_minutes_range"],
    ["minutes", "60", "schedule_minutes_range"],
    ["minutes", "", "schedule_minutes_range"],
    ["minutes", "5.5", "schedule_minutes_range"],
    ["hours", "0", "schedule_hours_range"],
    ["hours", "24", "schedule_hours_range"],
    ["hours", "", "schedule_hours_range"],
  ];
  for (const [mode, value, key] of refused) {
    const form = filledCreateForm({ schedule_mode: mode, schedule_value: value });
    assert.deepEqual(validateTaskForm(form, false), { schedule_value: key }, `${mode} ${value}`);
  }
  for (const [mode, value] of [
    ["minutes", "1"],
    ["minutes", "59"],
    ["hours", "1"],
    ["hours", "23"],
    ["daily", ""],
    ["none", ""],
  ]) {
    const form = filledCreateForm({ schedule_mode: mode, schedule_value: value });
    assert.deepEqual(validateTaskForm(form, false), {}, `${mode} ${value}`);
  }
});

test("every client-side problem has an English message", () => {
  const keys = new Set();
  const forms = [
    { ...newTaskForm("x"), remoteport: "" },
    filledCreateForm({ remoteport: "0", remotehostname: "a b" }),
    filledCreateForm({ foldersynchronization: "exclusion", deletion: "older", delete_days: "0" }),
    filledCreateForm({ schedule_mode: "minutes", schedule_value: "60" }),
    filledCreateForm({ schedule_mode: "hours", schedule_value: "24" }),
  ];
  for (const form of forms) {
    Object.values(validateTaskForm(form, false)).forEach((key) => keys.add(key));
  }
  assert.equal(keys.size, 7);
  for (const key of keys) {
    assert.ok(english("task_modal", key).length > 0);
  }
});

test("server refusals of a form field show under that field, each error once", () => {
  const form = filledCreateForm();
  const errors = [
    { field: "remotehostname", parameter: "remotehostname", value: "", error: "remotehostname_is_required" },
    { field: "remoteport", parameter: "remoteport", value: 0, error: "remoteport_is_not_valid" },
    { field: "exclude", parameter: "exclude", value: "([", error: "exclude_is_not_valid" },
    { field: "remotepassword", parameter: "remotepassword", value: "", error: "remotepassword_is_required" },
    { field: "task_id", parameter: "task_id", value: "ab12cd", error: "task_id_conflicts" },
    { field: "exclude", parameter: "exclude", value: "*x", error: "exclude_is_not_valid" },
  ];
  assert.deepEqual(placeServerErrors(errors, form), {
    remotehostname: ["remotehostname_is_required"],
    remoteport: ["remoteport_is_not_valid"],
    exclude: ["exclude_is_not_valid"],
    remotepassword: ["remotepassword_is_required"],
    task_id: ["task_id_conflicts"],
  });
});

test("a login refusal shows in the inline error and as a hint under the fields it concerns", () => {
  const expected = {
    bad_user_credentials: {
      form: ["bad_user_credentials"],
      remoteusername: ["check_remote_login"],
      remotepassword: ["check_remote_login"],
    },
    Check_hostname_or_tcp_port: {
      form: ["Check_hostname_or_tcp_port"],
      remotehostname: ["check_host_and_port"],
      remoteport: ["check_host_and_port"],
    },
    SSL_encryption_error: { form: ["SSL_encryption_error"], security: ["check_encryption"] },
    STARTTLS_not_allowed_use_IMAPS: {
      form: ["STARTTLS_not_allowed_use_IMAPS"],
      security: ["use_imaps"],
    },
    validation_failed: { form: ["validation_failed"] },
    task_is_being_edited: { form: ["task_is_being_edited"] },
  };
  for (const [key, places] of Object.entries(expected)) {
    const failure = { field: "createTask", parameter: "createTask", value: key, error: key };
    assert.deepEqual(placeServerErrors([failure], filledCreateForm()), places, key);
    for (const [place, keys] of Object.entries(places)) {
      for (const textKey of keys) {
        const text = english("task_modal", textKey);
        assert.ok(text.length > 0, textKey);
        if (place !== "form") {
          assert.ok(text.length < english("task_modal", key).length, `${textKey} is short`);
        }
      }
    }
  }
});

test("every field a login hint names is a field of the modal", () => {
  for (const { fields, hint } of Object.values(LOGIN_ERROR_HINTS)) {
    for (const field of fields) {
      assert.ok(FORM_ERROR_FIELDS.includes(field), field);
    }
    assert.ok(english("task_modal", hint).length > 0, hint);
  }
});

test("a login error key named by a form field stays on that field, without hints", () => {
  const failure = { field: "remoteusername", parameter: "remoteusername", error: "bad_user_credentials" };
  assert.deepEqual(placeServerErrors([failure], filledCreateForm()), {
    remoteusername: ["bad_user_credentials"],
  });
});

test("inherited object names are not taken for login errors", () => {
  for (const key of ["constructor", "toString", "__proto__"]) {
    const failure = { field: "createTask", parameter: "createTask", error: key };
    assert.deepEqual(placeServerErrors([failure], filledCreateForm()), { form: [key] });
  }
});

test("a schedule refusal shows under the value box when there is one, else under the selector", () => {
  const failure = { field: "cron", parameter: "cron", value: "90m", error: "cron_is_not_valid" };
  const place = (changes) => Object.keys(placeServerErrors([failure], filledCreateForm(changes)));
  assert.deepEqual(place({ schedule_mode: "minutes", schedule_value: "5" }), ["schedule_value"]);
  assert.deepEqual(place({ schedule_mode: "hours", schedule_value: "2" }), ["schedule_value"]);
  assert.deepEqual(place({ schedule_mode: "custom", schedule_value: "90m" }), ["schedule"]);
  assert.deepEqual(place({ schedule_mode: "daily" }), ["schedule"]);
});

test("a days refusal shows under the days box only when it is on screen", () => {
  const failure = { field: "delete_remote_older", parameter: "delete_remote_older", value: -1, error: "x" };
  const place = (deletion) => Object.keys(placeServerErrors([failure], filledCreateForm({ deletion })));
  assert.deepEqual(place("older"), ["delete_days"]);
  assert.deepEqual(place("after_sync"), ["delete"]);
});

test("an error naming only its field, or a parameter outside the form, is still shown", () => {
  const form = filledCreateForm();
  assert.deepEqual(placeServerErrors([{ field: "remoteusername", error: "x" }], form), {
    remoteusername: ["x"],
  });
  assert.deepEqual(placeServerErrors([{ field: "(root)", parameter: "", error: "x" }], form), {
    form: ["x"],
  });
  assert.deepEqual(placeServerErrors([{ parameter: "remoteport" }], form), { remoteport: [""] });
  assert.deepEqual(placeServerErrors([], form), {});
  assert.deepEqual(placeServerErrors(undefined, form), {});
});

test("every create-task parameter has a place in the modal to show its error", () => {
  const places = Object.keys(emptyFormErrors());
  assert.deepEqual(places.sort(), ["form", ...FORM_ERROR_FIELDS].sort());
  const forms = [
    filledCreateForm(),
    filledCreateForm({ deletion: "older", schedule_mode: "minutes", schedule_value: "5" }),
  ];
  for (const parameter of [...Object.keys(createTaskSchema.properties), "createTask"]) {
    for (const form of forms) {
      assert.ok(places.includes(fieldOfParameter(parameter, form)), parameter);
    }
  }
});
