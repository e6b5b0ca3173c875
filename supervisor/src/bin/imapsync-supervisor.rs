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
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"))
                // Requests to workers carry passwords: never trace them.
                .add_directive("jsonrpsee=off".parse().expect("a valid directive")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(8)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("imapsync-supervisor: cannot start: {e}");
            return ExitCode::from(70);
        }
    };
    let result = runtime.block_on(supervisor::daemon::run(config));
    // A host name lookup still blocked in the pool must not delay the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("imapsync-supervisor: {e}");
            ExitCode::FAILURE
        }
    }
}
