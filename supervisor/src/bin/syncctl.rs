//! `syncctl`: control imapsync tasks through the supervisor's socket.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = supervisor::syncctl::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("syncctl: {e}");
            return ExitCode::from(70);
        }
    };
    match runtime.block_on(supervisor::syncctl::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("syncctl: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
