//! `imapsync-worker`: one sync process driven over JSON-RPC on stdin/stdout, sandboxed before
//! it reads anything.

use clap::Parser;

/// Exit status when the sandbox cannot be applied or the runtime cannot start (EX_SOFTWARE).
const EX_SOFTWARE: i32 = 70;

/// Serves JSON-RPC on stdin/stdout until the input closes.
#[derive(Parser)]
#[command(name = "imapsync-worker", version)]
struct Args {
    /// Apply the sandbox, try to open a file and to run a program, print what happened as one
    /// line of JSON; exit 0 when both were refused.
    #[arg(long)]
    sandbox_check: bool,
}

fn main() {
    worker::allocator::tune();
    let args = Args::parse();
    if let Err(e) = worker::sandbox::apply() {
        eprintln!("imapsync-worker: cannot apply the sandbox: {e}");
        std::process::exit(EX_SOFTWARE);
    }
    if args.sandbox_check {
        std::process::exit(sandbox_check());
    }
    serve();
}

fn sandbox_check() -> i32 {
    let report = worker::sandbox::check::run();
    match serde_json::to_string(&report) {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("imapsync-worker: cannot print the report: {e}");
            return EX_SOFTWARE;
        }
    }
    if report.confined() {
        0
    } else {
        1
    }
}

fn serve() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(4)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("imapsync-worker: cannot start runtime: {e}");
            std::process::exit(EX_SOFTWARE);
        }
    };
    if let Err(e) = runtime.block_on(worker::rpc_server::serve_stdio()) {
        tracing::error!("imapsync-worker: {e}");
        std::process::exit(1);
    }
}
