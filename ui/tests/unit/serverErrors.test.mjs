// The words the admin reads for a server validation error: every key the backend or the
// agent's schema check sends has an English text, and an unknown key reads "Required" or
// "Invalid value", never as the raw key.

import { test } from "node:test";
import assert from "node:assert/strict";
import { isRequiredError, serverErrorTextKey } from "../../src/lib/serverErrors.js";
import { configureModuleSchema, createTaskSchema, english, hasEnglishText } from "./support.mjs";

function textOf(section, error) {
  const [keySection, key] = serverErrorTextKey(section, error, hasEnglishText).split(".");
  return english(keySection, key);
}

// The error type the agent (gojsonschema) names for each schema keyword.
const SCHEMA_ERROR_TYPES = {
  pattern: "pattern",
  minLength: "string_gte",
  maxLength: "string_lte",
  minimum: "number_gte",
  maximum: "number_lte",
  enum: "enum",
  format: "format",
  anyOf: "number_any_of",
};

// `<parameter>_<error type>` for every constraint of a schema's properties.
function schemaErrorKeys(schema) {
  const keys = [];
  for (const [parameter, rules] of Object.entries(schema.properties)) {
    for (const [keyword, type] of Object.entries(SCHEMA_ERROR_TYPES)) {
      if (keyword in rules) {
        keys.push(`${parameter}_${type}`);
      }
    }
  }
  return keys;
}

test("required errors are told apart from the others", () => {
  assert.ok(isRequiredError("remotehostname_is_required"));
  assert.ok(isRequiredError("cron_required"));
  assert.ok(!isRequiredError("remoteport_is_not_valid"));
  assert.ok(!isRequiredError("task_id_pattern"));
  assert.ok(!isRequiredError(""));
  assert.ok(!isRequiredError(undefined));
});

test("a key with its own text reads that text", () => {
  assert.equal(
    textOf("task_modal", "bad_user_credentials"),
    english("task_modal", "bad_user_credentials")
  );
  assert.equal(textOf("settings", "mail_server_is_not_valid"), "This mail server is not valid");
});

test("unknown keys read Required or Invalid value, never the raw key", () => {
  for (const section of ["task_modal", "settings"]) {
    assert.equal(textOf(section, "sieve_enabled_is_required"), "Required");
    assert.equal(textOf(section, "tls_verify_required"), "Required");
    assert.equal(textOf(section, "tls_verify_invalid_type"), "Invalid value");
    assert.equal(textOf(section, "something_new"), "Invalid value");
    assert.equal(textOf(section, ""), "Invalid value");
    assert.equal(textOf(section, undefined), "Invalid value");
  }
});

test("every error key the create-task steps send has its own English text", () => {
  const keys = [
    "task_id_is_required",
    "task_id_is_not_valid",
    "task_id_conflicts",
    "task_is_being_edited",
    "invalid_input",
    "localuser_is_required",
    "localuser_is_not_valid",
    "remoteusername_is_required",
    "remoteusername_is_not_valid",
    "remotepassword_is_required",
    "remotepassword_is_not_valid",
    "remotehostname_is_required",
    "remotehostname_is_not_valid",
    "remoteport_is_not_valid",
    "security_is_not_valid",
    "foldersynchronization_is_not_valid",
    "cron_is_not_valid",
    "exclude_is_not_valid",
    "bad_user_credentials",
    "Check_hostname_or_tcp_port",
    "SSL_encryption_error",
    "STARTTLS_not_allowed_use_IMAPS",
    "validation_failed",
  ];
  for (const key of keys) {
    assert.equal(serverErrorTextKey("task_modal", key, hasEnglishText), `task_modal.${key}`, key);
  }
});

test("every constraint of the create-task schema has its own English text", () => {
  const keys = schemaErrorKeys(createTaskSchema);
  assert.ok(keys.includes("task_id_pattern"));
  assert.ok(keys.includes("remoteport_number_lte"));
  for (const key of keys) {
    assert.equal(serverErrorTextKey("task_modal", key, hasEnglishText), `task_modal.${key}`, key);
  }
});

test("every configure-module refusal has its own English text", () => {
  const keys = [...schemaErrorKeys(configureModuleSchema), "mail_server_is_not_valid"];
  assert.ok(keys.includes("mail_host_format"));
  for (const key of keys) {
    assert.equal(serverErrorTextKey("settings", key, hasEnglishText), `settings.${key}`, key);
  }
});
