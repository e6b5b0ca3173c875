//! The sync engine: everything between "here are two accounts and a UID map" and "host2 now
//! has host1's mail", plus the login check and the folder sizes used by NS8 actions.

pub mod budget;
pub mod context;
pub mod copier;
pub mod events;
pub mod flags;
pub mod folder_sync;
pub mod folders;
pub mod identify;
pub mod inspect;
pub mod late_arrivals;
pub mod matching;
pub mod run;
pub mod signature;

pub use events::{CancelToken, EventSink};
pub use inspect::{check_login, folder_sizes};
pub use run::run;
