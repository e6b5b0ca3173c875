// What the admin is told when an action does not complete.

import { test } from "node:test";
import assert from "node:assert/strict";
import { failureDetail, failureSentence } from "../../src/lib/actionFailure.js";
import { english } from "./support.mjs";

test("an aborted action shows the last line its failed step wrote", () => {
  const outcome = {
    status: "aborted",
    result: { output: "", error: "starting\ncannot reach the supervisor: connection refused\n\n  \n", exit_code: 1 },
  };
  assert.equal(failureDetail(outcome), "cannot reach the supervisor: connection refused");
});

test("a very long last line is cut at 300 characters", () => {
  const outcome = { status: "aborted", result: { error: "x".repeat(400) } };
  assert.equal(failureDetail(outcome), `${"x".repeat(300)}…`);
});

test("an aborted action that wrote nothing has no detail", () => {
  assert.equal(failureDetail({ status: "aborted", result: { error: "" } }), "");
  assert.equal(failureDetail({ status: "aborted" }), "");
});

test("refused parameters are listed with their error, never with the refused value", () => {
  const outcome = {
    status: "validation-failed",
    errors: [
      { field: "remotepassword", parameter: "remotepassword", value: "s3cret", error: "remotepassword_is_not_valid" },
      { field: "createTask", parameter: "createTask", value: "bad_user_credentials", error: "bad_user_credentials" },
      { field: "remoteport", value: 0, error: "remoteport_is_not_valid" },
    ],
  };
  const detail = failureDetail(outcome);
  assert.equal(
    detail,
    "remotepassword: remotepassword_is_not_valid, createTask: bad_user_credentials, remoteport: remoteport_is_not_valid"
  );
  assert.ok(!detail.includes("s3cret"));
});

test("a task that could not be submitted shows why; a completed one has nothing to say", () => {
  assert.equal(failureDetail({ status: "error", message: "no answer in 30 s" }), "no answer in 30 s");
  assert.equal(failureDetail({ status: "error" }), "");
  assert.equal(failureDetail({ status: "validation-failed" }), "");
  assert.equal(failureDetail({ status: "completed", output: {} }), "");
});

// vue-i18n's $t over the English texts, for the keys the task modals pass.
const translate = (key, values) => english(...key.split("."), values);

test("a failed comparison or log read tells the admin what went wrong when it is known", () => {
  const aborted = { status: "aborted", result: { error: "login failed: bad password\n" } };
  assert.equal(
    failureSentence(aborted, "information.failed", translate),
    english("information", "failed_detail", { detail: "login failed: bad password" })
  );
  assert.equal(
    failureSentence({ status: "error", message: "no answer" }, "log.failed", translate),
    "The log could not be read: no answer"
  );
});

test("a failure with nothing specific to say shows the plain sentence", () => {
  const silent = { status: "aborted", result: { error: "" } };
  assert.equal(
    failureSentence(silent, "information.failed", translate),
    english("information", "failed")
  );
  assert.equal(failureSentence(silent, "log.failed", translate), "The log could not be read");
});
