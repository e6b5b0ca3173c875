//! Test support for the migration engine: a throwaway Dovecot rig, a small IMAP client,
//! deterministic message corpora, account snapshots for comparing mailboxes, and a seeded
//! fault-injecting proxy.
//!
//! ```no_run
//! use testkit::{seed, Corpus, Personality, Rig, Snapshot};
//!
//! let rig = Rig::start()?;
//! let source = rig.account(Personality::Dot, "user1");
//! seed(&source, &Corpus::edge_cases())?;
//! let before = Snapshot::take(&source)?;
//! # Ok::<(), testkit::Error>(())
//! ```

pub mod account;
pub mod client;
pub mod corpus;
pub mod error;
pub mod fault_proxy;
mod fetch;
mod raw;
pub mod rig;
pub mod snapshot;

pub use account::{Account, Personality};
pub use client::{probe_capabilities, FlagAction, TestImap};
pub use corpus::{seed, Corpus, CorpusMessage};
pub use error::{Error, Result};
pub use fault_proxy::{FaultEvent, FaultKind, FaultProxy};
pub use rig::Rig;
pub use snapshot::{MessageRecord, Snapshot};
