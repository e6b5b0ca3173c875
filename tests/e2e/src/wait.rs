//! Bounded polling: tests wait for outcomes, never for fixed times.

use std::time::{Duration, Instant};

/// Polls `probe` every 200 ms until it returns `Some`, for at most `limit`; panics naming
/// `what` (and the last value seen by `describe`) when time runs out.
pub fn wait_for<T>(limit: Duration, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let begin = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            begin.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Polls `condition` until it holds (see [`wait_for`]).
pub fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    wait_for(limit, what, || condition().then_some(()))
}
