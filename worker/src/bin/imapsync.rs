//! `imapsync`: runs one sync from imapsync-compatible flags.

fn main() {
    std::process::exit(worker::cli::main_with(std::env::args().collect()));
}
