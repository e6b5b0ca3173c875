// Waiting for the end of one submitted action on the admin shell's event bus: the first of
// `<action>-completed|aborted|validation-failed-<eventId>`, a timeout, or a failure the caller
// reports (the POST was refused). Whichever comes first settles the outcome and removes the
// listeners of the other events, so a late answer is ignored.

const END_STATES = ["completed", "aborted", "validation-failed"];

function outcomeOf(state, first, second) {
  switch (state) {
    case "completed":
      return { status: "completed", output: second.output, result: second };
    case "aborted":
      return { status: "aborted", result: first };
    default:
      return { status: "validation-failed", errors: Array.isArray(first) ? first : [] };
  }
}

// Returns {outcome, settle}: `outcome` resolves to {status: "completed", output, result} |
// {status: "validation-failed", errors} | {status: "aborted", result} | `timeoutOutcome`
// after `timeoutMs`, or to what `settle(outcome)` is given first.
export function awaitActionEnd(bus, { action, eventId, timeoutMs, timeoutOutcome }) {
  const handlers = {};
  let timer = null;
  let settle = null;
  const outcome = new Promise((resolve) => {
    let settled = false;
    settle = (result) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      for (const state of END_STATES) {
        bus.$off(`${action}-${state}-${eventId}`, handlers[state]);
      }
      resolve(result);
    };
  });
  for (const state of END_STATES) {
    handlers[state] = (first, second) => settle(outcomeOf(state, first, second));
    bus.$once(`${action}-${state}-${eventId}`, handlers[state]);
  }
  timer = setTimeout(() => settle(timeoutOutcome), timeoutMs);
  return { outcome, settle };
}
