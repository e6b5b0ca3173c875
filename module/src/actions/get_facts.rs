//! `get-facts`: task counters for the cluster inventory.

use crate::step::{Step, StepError, StepResult};
use serde_json::json;

/// `get-facts/20get_imapsync_facts`.
pub fn read(step: &mut Step) -> StepResult {
    let tasks = step
        .state
        .tasks()
        .map_err(|e| StepError::failed(format!("cannot list the tasks: {e}")))?;
    let (mut total, mut delete, mut older, mut inbox, mut inbox_delete, mut cron, mut sieve) =
        (0, 0, 0, 0, 0, 0, 0);
    for env in tasks.into_iter().filter_map(|(_, env)| env.ok()) {
        total += 1;
        let deletes = !env.delete_remote.is_empty();
        let inbox_only = !env.folder_inbox.is_empty();
        delete += usize::from(deletes);
        older += usize::from(env.delete_remote.contains("older"));
        inbox += usize::from(inbox_only);
        inbox_delete += usize::from(deletes && inbox_only);
        cron += usize::from(!env.cron.is_empty());
        sieve += usize::from(env.sieve_enabled.as_deref().is_some_and(|v| !v.is_empty()));
    }
    Ok(Some(json!({
        "tasks_total_count": total,
        "tasks_delete_count": delete,
        "tasks_delete_older_count": older,
        "tasks_inbox_count": inbox,
        "tasks_inbox_and_delete_count": inbox_delete,
        "tasks_cron_enabled_count": cron,
        "tasks_sieve_enabled_count": sieve,
    })))
}
