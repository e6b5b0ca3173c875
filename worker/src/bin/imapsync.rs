//! `imapsync`: runs one sync from imapsync-compatible flags.

fn main() {
    worker::allocator::tune();
    std::process::exit(worker::cli::main_with(std::env::args().collect()));
}
