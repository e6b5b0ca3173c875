//! `ui-shell`: the built module UI inside a stand-in for the NS8 admin shell, on a real node
//! (Redis, Dovecot, the module's actions through the agent stand-in, the supervisor through
//! the `systemctl` stand-in). The module is left unconfigured, for the UI's Settings page;
//! the remote account is filled with mail and reached through a slow forwarder so a run can
//! be watched. Prints one JSON line on stdout when ready, then serves until SIGINT, SIGTERM
//! or the end of stdin, and removes everything it started.
//!
//! Used by the browser tests (`ui/tests/browser/`) and by `scripts/ui-demo`.

use clap::Parser;
use e2e::node::MODULE_ID;
use e2e::remote::Forwarder;
use e2e::shell::seed;
use e2e::shell::server::{serve, Shell};
use e2e::shell::tasks::TaskDesk;
use e2e::Node;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use testkit::Personality;

/// Set by SIGINT, SIGTERM or the end of stdin.
static STOP: AtomicBool = AtomicBool::new(false);

#[derive(Parser, Debug)]
#[command(about = "The module UI in a stand-in NS8 admin shell, against a real test node")]
struct Options {
    /// The built module UI (`npm run build` in ui/).
    #[arg(long, default_value = "ui/dist")]
    ui_dist: PathBuf,
    /// Port to listen on, on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Messages put into the remote account, spread over INBOX, Sent, Archive and Projects.
    #[arg(long, default_value_t = 2000)]
    messages: usize,
    /// Speed of the link to the remote server, in bytes per second each way (0: unlimited).
    #[arg(long, default_value_t = 80_000)]
    throttle: u64,
}

extern "C" fn request_stop(_signal: nix::libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// SIGINT and SIGTERM set [`STOP`]; so does the end of stdin (the parent went away).
fn watch_for_stop() -> nix::Result<()> {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let action = SigAction::new(
        SigHandler::Handler(request_stop),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores into an atomic.
        unsafe { sigaction(signal, &action) }?;
    }
    std::thread::spawn(|| {
        let mut sink = [0u8; 1024];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        STOP.store(true, Ordering::SeqCst);
    });
    Ok(())
}

fn main() -> ExitCode {
    let options = Options::parse();
    let ui_dist = match options.ui_dist.canonicalize() {
        Ok(dir) if dir.join("index.html").is_file() => dir,
        _ => {
            eprintln!(
                "ui-shell: {} has no index.html: build the UI first (cd ui && npm ci && npm run build)",
                options.ui_dist.display()
            );
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", options.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("ui-shell: cannot listen on 127.0.0.1:{}: {e}", options.port);
            return ExitCode::from(2);
        }
    };
    let port = listener
        .local_addr()
        .map(|addr| addr.port())
        .unwrap_or(options.port);
    if let Err(e) = watch_for_stop() {
        eprintln!("ui-shell: cannot install the signal handlers: {e}");
        return ExitCode::from(2);
    }

    eprintln!("ui-shell: starting Redis, Dovecot and the module");
    let node = Node::start();
    let rig = node.rig();
    let remote_user = rig.user(rig.users - 1);
    let local_users: Vec<String> = (1..rig.users).map(|n| rig.user(n)).collect();
    eprintln!(
        "ui-shell: putting {} messages into the remote account {remote_user}",
        options.messages
    );
    let planned = match seed::seed(&node.account(&remote_user), options.messages, |done| {
        if done % 500 == 0 {
            eprintln!("ui-shell: {done} messages");
        }
    }) {
        Ok(planned) => planned,
        Err(e) => {
            eprintln!("ui-shell: cannot fill the remote account: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (imap, imaps) = (rig.port(Personality::Main), rig.tls_port(Personality::Main));
    let forwarder = match options.throttle {
        0 => Forwarder::start(imap, imaps),
        rate => Forwarder::start_throttled(imap, imaps, rate),
    };

    let shell = Shell {
        node: &node,
        desk: TaskDesk::new(&node, MODULE_ID),
        module_id: MODULE_ID.into(),
        app_label: "Imapsync".into(),
        ui_dist,
        token: e2e::ids::alphanumeric(48),
    };
    let base = format!("http://127.0.0.1:{port}");
    let ready = json!({
        "url": format!("{base}/cluster-admin/#/apps/{MODULE_ID}"),
        "module_id": MODULE_ID,
        "remote_host": forwarder.host(),
        "remote_port": e2e::remote::REMOTE_PORT,
        "remote_user": remote_user,
        "remote_password": node.user_password(),
        "remote_folders": planned.iter().map(|(f, n)| json!({"name": f, "messages": n})).collect::<Vec<_>>(),
        "local_users": local_users,
        "inspect": format!("{base}/_test"),
    });
    println!("{ready}");
    let _ = std::io::stdout().flush();
    eprintln!(
        "ui-shell: ready. Open {base}/cluster-admin/#/apps/{MODULE_ID}\n\
         ui-shell: remote IMAP server {} port {} (STARTTLS), user {remote_user}, password {}\n\
         ui-shell: local users {}; stop with Ctrl-C",
        forwarder.host(),
        e2e::remote::REMOTE_PORT,
        node.user_password(),
        local_users.join(", ")
    );

    serve(&shell, &listener, || !STOP.load(Ordering::SeqCst));
    eprintln!("ui-shell: stopping");
    drop(listener);
    drop(shell);
    drop(forwarder);
    drop(node);
    ExitCode::SUCCESS
}
