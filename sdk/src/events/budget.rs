//! The handlers' budget: how many event handlers run at once, and how many bytes of events
//! they hold together.
//!
//! An event is admitted (recorded as seen, acknowledged, its handler started) only once it
//! has a place in the budget; until then it waits, and an event that is not acknowledged is
//! pushed again by the platform, so waiting loses nothing. A slow handler therefore slows
//! the intake instead of letting events pile up in memory.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The unit of the byte budget: 1 KiB (a semaphore counts in `u32`).
const UNIT: usize = 1024;

/// The limits of a [`Dispatcher`](super::Dispatcher)'s handlers; see
/// [`DispatcherBuilder::handler_limits`](super::DispatcherBuilder::handler_limits).
#[derive(Clone)]
pub(crate) struct Budget {
    handlers: Arc<Semaphore>,
    bytes: Arc<Semaphore>,
    max_handlers: usize,
    /// In [`UNIT`]s.
    max_units: u32,
}

/// A place in the budget, held by a running handler (and released when it ends).
#[derive(Debug)]
pub(crate) struct Admission {
    _handler: OwnedSemaphorePermit,
    _bytes: OwnedSemaphorePermit,
}

impl Budget {
    /// Handlers running at once by default.
    pub(crate) const DEFAULT_MAX_HANDLERS: usize = 64;
    /// Bytes of events held by running handlers together, by default: 8 MiB (events are a
    /// few KiB: this bounds the rare large ones; a larger one still runs, alone).
    pub(crate) const DEFAULT_MAX_BYTES: usize = 8 << 20;
    /// The largest byte budget: 4 TiB (what a `u32` of KiB can count).
    pub(crate) const MAX_BYTES: usize = (u32::MAX as usize / 2) * UNIT;
    /// How long the webhook waits for a place by default before answering 503 (the platform
    /// waits 3 s for an answer, then pushes the event again).
    pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(2);

    /// A budget of `max_handlers` handlers (at least 1) holding at most `max_bytes` (at least
    /// 1 KiB, at most [`MAX_BYTES`](Self::MAX_BYTES)).
    pub(crate) fn new(max_handlers: usize, max_bytes: usize) -> Budget {
        let max_handlers = max_handlers.clamp(1, Semaphore::MAX_PERMITS);
        let max_units =
            u32::try_from(max_bytes.clamp(UNIT, Self::MAX_BYTES) / UNIT).unwrap_or(u32::MAX / 2);
        Budget {
            handlers: Arc::new(Semaphore::new(max_handlers)),
            bytes: Arc::new(Semaphore::new(max_units as usize)),
            max_handlers,
            max_units,
        }
    }

    /// The units an event of `size` bytes takes: its size rounded up, at least one unit and
    /// at most the whole budget (so an event larger than the budget still runs, alone).
    fn units(&self, size: usize) -> u32 {
        let units = size.div_ceil(UNIT).max(1);
        u32::try_from(units).unwrap_or(u32::MAX).min(self.max_units)
    }

    /// Waits for a place for an event of `size` bytes (first come, first served).
    pub(crate) async fn admit(&self, size: usize) -> Admission {
        let handler = Arc::clone(&self.handlers)
            .acquire_owned()
            .await
            .expect("the budget's semaphores are never closed");
        let bytes = Arc::clone(&self.bytes)
            .acquire_many_owned(self.units(size))
            .await
            .expect("the budget's semaphores are never closed");
        Admission {
            _handler: handler,
            _bytes: bytes,
        }
    }

    /// A place now, if there is one.
    pub(crate) fn try_admit(&self, size: usize) -> Option<Admission> {
        let handler = Arc::clone(&self.handlers).try_acquire_owned().ok()?;
        let bytes = Arc::clone(&self.bytes)
            .try_acquire_many_owned(self.units(size))
            .ok()?;
        Some(Admission {
            _handler: handler,
            _bytes: bytes,
        })
    }

    /// Handlers running now.
    pub(crate) fn running(&self) -> usize {
        self.max_handlers - self.handlers.available_permits()
    }

    /// The limits: (handlers, bytes).
    pub(crate) fn limits(&self) -> (usize, usize) {
        (self.max_handlers, self.max_units as usize * UNIT)
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(Self::DEFAULT_MAX_HANDLERS, Self::DEFAULT_MAX_BYTES)
    }
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (handlers, bytes) = self.limits();
        f.debug_struct("Budget")
            .field("max_handlers", &handlers)
            .field("max_bytes", &bytes)
            .field("running", &self.running())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_and_bytes_both_bound_the_admissions() {
        let budget = Budget::new(3, 10 * UNIT);
        let a = budget.admit(4 * UNIT).await;
        let b = budget.admit(4 * UNIT).await;
        // 2 KiB left: a third event of 4 KiB waits although a handler place is free.
        assert!(budget.try_admit(4 * UNIT).is_none());
        let small = budget.try_admit(100).expect("1 KiB fits");
        // Three handlers: no fourth, however small.
        assert!(budget.try_admit(1).is_none());
        assert_eq!(budget.running(), 3);
        drop((a, small));
        assert!(budget.try_admit(4 * UNIT).is_some());
        drop(b);
    }

    #[tokio::test]
    async fn an_event_larger_than_the_budget_runs_alone() {
        let budget = Budget::new(8, 2 * UNIT);
        let big = budget.try_admit(100 * UNIT).expect("admitted alone");
        assert!(budget.try_admit(1).is_none());
        drop(big);
        assert!(budget.try_admit(1).is_some());
    }

    #[test]
    fn extreme_limits_are_clamped() {
        assert_eq!(Budget::new(0, 0).limits(), (1, UNIT));
        let (_, bytes) = Budget::new(1, usize::MAX).limits();
        assert_eq!(bytes, Budget::MAX_BYTES);
    }
}
