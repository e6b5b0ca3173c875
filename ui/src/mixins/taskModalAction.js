// What the modals of one task (information, log) share around runModuleAction: the action
// runs on the modal's `task` with a timeout, `actionRunning` is true while its answer is
// awaited, and only the answer to the latest call made while the modal is open counts.
import ModuleAction from "./moduleAction";
import { failureSentence } from "../lib/actionFailure";
import { latestCallTracker } from "../lib/latestCall";

export default {
  name: "TaskModalAction",
  mixins: [ModuleAction],
  data() {
    return { actionRunning: false };
  },
  created() {
    this.latestTaskAction = latestCallTracker();
  },
  methods: {
    // Runs `action` on this.task, waiting at most `timeoutMs`. Resolves to the outcome, or to
    // null when the modal was closed or ran an action again before the answer arrived.
    async runTaskAction(action, timeoutMs) {
      this.actionRunning = true;
      const data = { task_id: this.task.task_id, localuser: this.task.localuser };
      const outcome = await this.latestTaskAction.run(() =>
        this.runModuleAction(action, data, { timeoutMs })
      );
      if (outcome !== null) {
        this.actionRunning = false;
      }
      return outcome;
    },
    // The modal was closed: the answer to the action under way, if any, is ignored.
    forgetTaskAction() {
      this.latestTaskAction.forget();
      this.actionRunning = false;
    },
    // The text at `<key>_detail` with what went wrong, or at `key` when nothing specific is known.
    taskActionFailure(outcome, key) {
      return failureSentence(outcome, key, (textKey, values) => this.$t(textKey, values));
    },
  },
};
