//! `list-informations`: folders, messages and bytes in the task's scope on both sides, counted
//! by a one-shot worker (host1 is the remote account, host2 the local one).

use crate::input;
use crate::step::{Step, StepResult};
use crate::supervisor_link::Supervisor;
use serde_json::json;

/// `list-informations/20read`.
pub fn read(_step: &mut Step) -> StepResult {
    let input = input::read()?;
    let name = input::task_name(&input)?;
    let report = match Supervisor::connect().and_then(|s| s.sizes(&name)) {
        Ok(report) if report.exit_code == 0 => report,
        Ok(report) => {
            ns8::log::warning(format!(
                "{name}: cannot count the folders (exit {}): {}",
                report.exit_code,
                report.error.unwrap_or_default()
            ));
            return Ok(Some(json!({"status": false})));
        }
        Err(e) => {
            ns8::log::warning(format!("{name}: {e}"));
            return Ok(Some(json!({"status": false})));
        }
    };
    Ok(Some(json!({
        "status": true,
        "host1Folders": report.host1_totals.folders,
        "host2Folders": report.host2_totals.folders,
        "host1Messages": report.host1_totals.messages,
        "host2Messages": report.host2_totals.messages,
        "host1Sizes": report.host1_totals.bytes,
        "host2Sizes": report.host2_totals.bytes,
    })))
}
