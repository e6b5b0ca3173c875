//! End-to-end harness: the real module (`imapsync-module` and its imageroot tree), the real
//! supervisor and workers, a real Dovecot (testkit's rig) and a real `redis-server`, with
//! small stand-ins for what cannot run here: the Go agent, the api-server, `systemctl
//! --user` (the supervisor runs in place of the podman container) and `runagent`.
//!
//! Run: `cargo build --workspace && cargo test -p e2e` (as root: the remote server
//! stand-in listens on `127.x.y.z:143`/`993`, workers drop to uid 65534). Set
//! `E2E_IMAGEROOT=<dir>` to install another imageroot tree, `E2E_KEEP_NODE=1` to keep each
//! node's home (state, logs, stand-in logs) and `TESTKIT_KEEP_RIG=1` to keep the Dovecot rig.
//!
//! ```no_run
//! let node = e2e::Node::start();
//! node.configure().expect_ok();
//! let tasks = node.run("list-tasks", serde_json::Value::Null);
//! assert_eq!(tasks.exit_code, 0);
//! ```

pub mod agent;
pub mod api;
pub mod comfd;
pub mod env_file;
pub mod events;
pub mod go_json;
pub mod ids;
pub mod install;
pub mod login_recorder;
pub mod mail;
pub mod node;
pub mod redis_server;
pub mod remote;
pub mod schema;
pub mod secret_scan;
pub mod shell;
pub mod step;
pub mod systemctl;
pub mod tasks;
pub mod tree_snapshot;
pub mod unit;
pub mod wait;

pub use agent::{ActionResult, Agent, EventResult, Runagent};
pub use api::{ApiCall, Mailbox, Mailboxes};
pub use node::{Node, NodeOptions};
pub use remote::SilentServer;
pub use wait::{wait_for, wait_until};
