//! `imapsync-module`: every NS8 action step, event handler and helper of the module.

fn main() -> std::process::ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    std::process::ExitCode::from(module::dispatch::run(&argv))
}
