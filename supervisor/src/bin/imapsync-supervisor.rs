//! `imapsync-supervisor`: PID 1 of the imapsync container.

use clap::Parser;
use std::process::ExitCode;
use supervisor::config::Config;

fn main() -> ExitCode {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IMAPSYNC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(2)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("imapsync-supervisor: cannot start: {e}");
            return ExitCode::from(70);
        }
    };
    match runtime.block_on(supervisor::daemon::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("imapsync-supervisor: {e}");
            ExitCode::FAILURE
        }
    }
}
