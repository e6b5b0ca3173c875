//! Empties every capability set of the calling thread; threads it starts later inherit them.

use caps::errors::CapsError;
use caps::{CapSet, Capability};

/// Clears the bounding set when the thread holds CAP_SETPCAP (the kernel refuses otherwise,
/// and an unprivileged worker has nothing there to lose), then the ambient, inheritable,
/// effective and permitted sets, in an order each step allows.
pub fn drop_all() -> Result<(), CapsError> {
    if caps::has_cap(None, CapSet::Effective, Capability::CAP_SETPCAP)? {
        caps::clear(None, CapSet::Bounding)?;
    }
    for set in [
        CapSet::Ambient,
        CapSet::Inheritable,
        CapSet::Effective,
        CapSet::Permitted,
    ] {
        caps::clear(None, set)?;
    }
    Ok(())
}
