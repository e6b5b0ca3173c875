// Keeps only the answer to the latest of overlapping calls: a view that asks again, or is
// closed, before an answer arrives must not show that older answer.

// Returns {run, forget}: `run(call)` resolves to what `call()` resolves to, or to null when
// run() or forget() was called again before that answer arrived.
export function latestCallTracker() {
  let latest = 0;
  return {
    async run(call) {
      const mine = ++latest;
      const answer = await call();
      return mine === latest ? answer : null;
    },
    forget() {
      latest += 1;
    },
  };
}
