//! `systemctl` for the end-to-end tests: `systemctl-standin --config <file> <systemctl args>`
//! (installed through a small wrapper script named `systemctl`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let config_path = match (args.next().as_deref(), args.next()) {
        (Some("--config"), Some(path)) => path,
        _ => {
            eprintln!("usage: systemctl-standin --config <file> <systemctl arguments>");
            return ExitCode::from(2);
        }
    };
    let config: e2e::systemctl::Config = match std::fs::read_to_string(&config_path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(config) => config,
        Err(e) => {
            eprintln!("systemctl-standin: {config_path}: {e}");
            return ExitCode::from(2);
        }
    };
    // Like a unit started by the user manager: nothing inherited from the caller.
    e2e::step::cloexec_from(3);
    let rest: Vec<String> = args.collect();
    let code = e2e::systemctl::run(&config, &rest);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
