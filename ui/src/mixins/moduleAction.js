// Runs NS8 actions the way every module UI does: createModuleTaskForApp (or the cluster
// variant) posts the task, and the admin shell's event bus announces how it ended. Each call
// waits for exactly one of its three end events and forgets the other two.
import { TaskService, UtilService } from "@nethserver/ns8-ui-lib";

const END_STATES = ["completed", "aborted", "validation-failed"];

export default {
  name: "ModuleAction",
  mixins: [TaskService, UtilService],
  methods: {
    // Resolves to {status: "completed", output, result} | {status: "validation-failed", errors}
    // | {status: "aborted", result} | {status: "error", message}.
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
      const bus = window.parent.core.$root;
      const eventId = this.getUuid();
      return new Promise((resolve) => {
        const handlers = {};
        const finish = (outcome) => {
          for (const state of END_STATES) {
            bus.$off(`${action}-${state}-${eventId}`, handlers[state]);
          }
          resolve(outcome);
        };
        handlers.completed = (taskContext, taskResult) =>
          finish({
            status: "completed",
            output: taskResult.output,
            result: taskResult,
          });
        handlers.aborted = (taskResult) =>
          finish({ status: "aborted", result: taskResult });
        handlers["validation-failed"] = (errors) =>
          finish({
            status: "validation-failed",
            errors: Array.isArray(errors) ? errors : [],
          });
        for (const state of END_STATES) {
          bus.$once(`${action}-${state}-${eventId}`, handlers[state]);
        }
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
          finish({ status: "error", message: this.getErrorMessage(err) })
        );
      });
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
