// What went wrong with an action that did not complete, from the outcome runModuleAction
// resolved to: the last line the failed step wrote, the refused parameters, or the reason
// the task could not be submitted. "" when there is nothing specific to say.

const MAX_DETAIL_LENGTH = 300;

function lastLine(text) {
  const lines = String(text || "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const line = lines.length ? lines[lines.length - 1] : "";
  return line.length > MAX_DETAIL_LENGTH ? `${line.slice(0, MAX_DETAIL_LENGTH)}…` : line;
}

export function failureDetail(outcome) {
  switch (outcome.status) {
    case "aborted":
      return lastLine(outcome.result && outcome.result.error);
    case "validation-failed":
      return (outcome.errors || [])
        .map((failure) => `${failure.parameter || failure.field}: ${failure.error}`)
        .join(", ");
    case "error":
      return outcome.message || "";
    default:
      return "";
  }
}

// The sentence telling the admin that an action failed: the text at `<key>_detail` with the
// detail filled in, or the text at `key` when there is no detail. `translate` is vue-i18n's $t.
export function failureSentence(outcome, key, translate) {
  const detail = failureDetail(outcome);
  return detail ? translate(`${key}_detail`, { detail }) : translate(key);
}
