//! A byte budget shared by every copy pipeline of a run: a batch of message bodies is fetched
//! only once its bytes are reserved, and the reservation travels with the batch until it has
//! been appended. Peak memory is then bounded by the budget, whatever the folder sizes.

use super::context::lock;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Bytes of message bodies a run may hold at once.
pub const RUN_BUDGET_BYTES: u64 = 12 * 1024 * 1024;

/// The shared budget.
pub struct ByteBudget {
    total: u64,
    available: Mutex<u64>,
    freed: Condvar,
}

/// A reservation; gives its bytes back when dropped.
pub struct Reservation<'b> {
    budget: &'b ByteBudget,
    bytes: u64,
}

impl ByteBudget {
    pub fn new(total: u64) -> Self {
        ByteBudget {
            total,
            available: Mutex::new(total),
            freed: Condvar::new(),
        }
    }

    /// Waits until `bytes` (at most the whole budget) are free and reserves them; gives up
    /// with `None` as soon as `stop()` turns true.
    pub fn reserve(&self, bytes: u64, stop: impl Fn() -> bool) -> Option<Reservation<'_>> {
        let bytes = bytes.min(self.total);
        let mut available = lock(&self.available);
        while *available < bytes {
            if stop() {
                return None;
            }
            available = self
                .freed
                .wait_timeout(available, Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *available -= bytes;
        Some(Reservation {
            budget: self,
            bytes,
        })
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut available = lock(&self.budget.available);
        *available += self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_block_until_bytes_come_back() {
        let budget = ByteBudget::new(10);
        let first = budget.reserve(8, || false).unwrap();
        assert!(
            budget.reserve(5, || true).is_none(),
            "no room and told to stop"
        );
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| budget.reserve(5, || false).map(|r| r.bytes));
            std::thread::sleep(Duration::from_millis(50));
            drop(first);
            assert_eq!(waiter.join().unwrap(), Some(5));
        });
        assert_eq!(
            budget.reserve(50, || false).map(|r| r.bytes),
            Some(10),
            "capped at the total"
        );
    }
}
