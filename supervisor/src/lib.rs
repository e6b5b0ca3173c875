//! The supervisor of the imapsync container (PID 1): it schedules tasks from cron files, runs
//! each one in a sandboxed worker process within a concurrency limit, owns every task file and
//! serves the control API that `syncctl` and the NS8 module use.

pub mod cron;
