//! `imapsync-worker`: one sync process driven over JSON-RPC on stdin/stdout.

fn main() {
    worker::allocator::tune();
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
            std::process::exit(70);
        }
    };
    if let Err(e) = runtime.block_on(worker::rpc_server::serve_stdio()) {
        tracing::error!("imapsync-worker: {e}");
        std::process::exit(1);
    }
}
