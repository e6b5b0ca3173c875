// Runs NS8 actions the way every module UI does: createModuleTaskForApp (or the cluster
// variant) posts the task, and the admin shell's event bus announces how it ended. Each call
// waits for one of its three end events, or gives up after a timeout.
import { TaskService, UtilService } from "@nethserver/ns8-ui-lib";
import { shellCore } from "../hostShell";
import { awaitActionEnd } from "../lib/actionEnd";

// How long an action may run before the UI stops waiting for it.
export const DEFAULT_TIMEOUT_MS = 300000;
// For the actions that only read state (list-tasks, get-log, get-status, get-name, ...).
export const QUICK_TIMEOUT_MS = 60000;

export default {
  name: "ModuleAction",
  mixins: [TaskService, UtilService],
  methods: {
    // Resolves to {status: "completed", output, result} | {status: "validation-failed", errors}
    // | {status: "aborted", result} | {status: "error", message}. Options: title, description,
    // notify (show the shell's notification), timeoutMs (default DEFAULT_TIMEOUT_MS).
    runModuleAction(action, data, options = {}) {
      return this.submitAndWait(action, data, options, (request) =>
        this.createModuleTaskForApp(this.$store.state.instanceName, request)
      );
    },
    runClusterAction(action, data, options = {}) {
      return this.submitAndWait(action, data, options, (request) =>
        this.createClusterTaskForApp(request)
      );
    },
    submitAndWait(action, data, options, submit) {
      const eventId = this.getUuid();
      const waiting = awaitActionEnd(shellCore().$root, {
        action,
        eventId,
        timeoutMs: options.timeoutMs || DEFAULT_TIMEOUT_MS,
        timeoutOutcome: { status: "error", message: this.$t("error.no_answer") },
      });
      const request = {
        action,
        extra: {
          title: options.title || this.$t(`action.${action}`),
          description: options.description || "",
          isNotificationHidden: !options.notify,
          eventId,
        },
      };
      if (data !== undefined) {
        request.data = data;
      }
      submit(request).catch((err) =>
        waiting.settle({ status: "error", message: this.getErrorMessage(err) })
      );
      return waiting.outcome;
    },
    // The text to show for an action that did not complete.
    failureText(outcome) {
      if (outcome.status === "error") {
        return outcome.message;
      }
      return this.$t("error.generic_error");
    },
  },
};
