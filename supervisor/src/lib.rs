//! The supervisor of the imapsync container (PID 1): it schedules tasks from cron files, runs
//! each one in a sandboxed worker process within a concurrency limit, owns every task file and
//! serves the control API that `syncctl` and the NS8 module use.

#[macro_use]
pub mod container_log;

pub mod checks;
pub mod config;
pub mod control;
pub mod cron;
pub mod daemon;
pub mod endpoints;
pub mod reaper;
pub mod run_control;
pub mod run_log;
pub mod run_record;
pub mod runs;
pub mod scheduler;
pub mod shared;
pub mod shell_job;
pub mod state_keeper;
pub mod syncctl;
pub mod task_files;
pub mod task_lock;
pub mod task_run;
pub mod worker_process;
