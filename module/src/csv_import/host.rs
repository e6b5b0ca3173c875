//! What the import takes from the process it runs in: standard input, the state directory,
//! random ids and the api-server client. Tests replace it with a fake.

use super::apply::{ApiTaskCreator, TaskCreator};
use super::existing::ExistingTasks;
use crate::layout::StateDir;
use crate::random_id::random_task_id;
use std::io::{IsTerminal, Read};

/// The module id when neither `MODULE_ID` nor `AGENT_ID` is set.
const DEFAULT_MODULE_ID: &str = "imapsync1";

/// The import's view of its environment.
pub trait Host {
    /// The module id for messages, e.g. `imapsync1`.
    fn module_id(&self) -> String;
    /// The whole CSV input.
    fn read_csv(&mut self) -> Result<Vec<u8>, String>;
    /// The tasks already defined.
    fn existing_tasks(&self) -> Result<ExistingTasks, String>;
    /// A random task id.
    fn new_task_id(&mut self) -> Result<String, String>;
    /// The way to run `create-task`.
    fn task_creator(&mut self) -> Result<&mut dyn TaskCreator, String>;
}

/// The real environment: stdin, `AGENT_STATE_DIR`, the OS random source and the api-server.
#[derive(Default)]
pub struct ProcessHost {
    creator: Option<ApiTaskCreator>,
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

impl Host for ProcessHost {
    fn module_id(&self) -> String {
        env_var("MODULE_ID")
            .or_else(|| env_var("AGENT_ID").map(|id| id.trim_start_matches("module/").to_string()))
            .unwrap_or_else(|| DEFAULT_MODULE_ID.to_string())
    }

    fn read_csv(&mut self) -> Result<Vec<u8>, String> {
        let mut stdin = std::io::stdin().lock();
        if stdin.is_terminal() {
            return Err(format!(
                "no CSV on standard input: run runagent -m {} import-csv-tasks < users.csv",
                self.module_id()
            ));
        }
        let mut bytes = Vec::new();
        stdin
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(bytes)
    }

    fn existing_tasks(&self) -> Result<ExistingTasks, String> {
        let state = StateDir::from_env();
        ExistingTasks::load(&state).map_err(|e| {
            format!(
                "cannot list the existing tasks in {}: {e}",
                state.tasks_dir().display()
            )
        })
    }

    fn new_task_id(&mut self) -> Result<String, String> {
        random_task_id()
    }

    fn task_creator(&mut self) -> Result<&mut dyn TaskCreator, String> {
        let creator = match self.creator.take() {
            Some(creator) => creator,
            None => {
                let agent_id = env_var("AGENT_ID").ok_or_else(|| {
                    format!(
                        "AGENT_ID is not set: run this command as runagent -m {} import-csv-tasks",
                        self.module_id()
                    )
                })?;
                // An admin waits at the terminal: give up on an unreachable api-server within
                // about half a minute rather than after Python's twenty attempts.
                let client = ns8::api::ApiClient::from_env()
                    .map_err(|e| format!("cannot use the api-server: {e}"))?
                    .with_retry_attempts(5);
                ApiTaskCreator::new(client, agent_id)
            }
        };
        Ok(self.creator.insert(creator))
    }
}
