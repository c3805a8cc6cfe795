//! Degraded mode: remembering that a shared store is down, logging it once per outage, and
//! not waiting on it again for a short while.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::clock;

/// The state of one shared store's connection, for degraded mode.
///
/// * [`failed`](Self::failed) on an error or a timeout: the first failure of an outage
///   logs one `tracing::warn!`; later ones only `debug!`.
/// * [`succeeded`](Self::succeeded) on an answer: the first answer after an outage logs
///   one `tracing::info!`.
/// * [`skip`](Self::skip): during an outage, the store is tried at most once per
///   [`retry_interval`](Self::retry_interval); calls in between go straight to the
///   in-process fallback instead of waiting for a timeout each.
///
/// The SDK's Redis stores use one per connection (shared by a `RedisTokenStore` and the
/// `RedisDedup` made from it); a custom [`TokenStore`](super::TokenStore) may use one
/// too.
pub struct Outage {
    what: &'static str,
    /// Milliseconds.
    retry_interval: AtomicU64,
    down: AtomicBool,
    last_failure: Mutex<Option<Instant>>,
}

impl Outage {
    /// While down, the store is tried again after this long (default 1 s).
    pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(1);

    /// A store named `what` in the log lines (`"redis"`), up.
    pub fn new(what: &'static str) -> Self {
        Outage {
            what,
            retry_interval: AtomicU64::new(super::token_store::millis(
                Self::DEFAULT_RETRY_INTERVAL,
            )),
            down: AtomicBool::new(false),
            last_failure: Mutex::new(None),
        }
    }

    /// Sets how long calls skip the store after a failure (zero: never skip).
    pub fn with_retry_interval(self, interval: Duration) -> Self {
        self.set_retry_interval(interval);
        self
    }

    /// [`with_retry_interval`](Self::with_retry_interval) on a shared tracker.
    pub fn set_retry_interval(&self, interval: Duration) {
        self.retry_interval
            .store(super::token_store::millis(interval), Ordering::Relaxed);
    }

    /// How long calls skip the store after a failure.
    pub fn retry_interval(&self) -> Duration {
        Duration::from_millis(self.retry_interval.load(Ordering::Relaxed))
    }

    /// Whether the last call failed.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Whether a call should not try the store now: it is down and failed less than
    /// [`retry_interval`](Self::retry_interval) ago.
    pub fn skip(&self) -> bool {
        if !self.is_down() {
            return false;
        }
        let last = *self.last_failure.lock().unwrap_or_else(|e| e.into_inner());
        last.is_some_and(|at| clock::now().saturating_duration_since(at) < self.retry_interval())
    }

    /// Records a failed call: logs the start of an outage once.
    pub fn failed(&self, error: &dyn fmt::Display) {
        *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(clock::now());
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                store = self.what,
                error = %error,
                "shared store unreachable; using in-process state until it answers again"
            );
        } else {
            tracing::debug!(store = self.what, error = %error, "shared store still unreachable");
        }
    }

    /// Records an answer: logs the end of an outage once.
    pub fn succeeded(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!(
                store = self.what,
                "shared store answers again; shared state in use"
            );
        }
    }
}

impl fmt::Debug for Outage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outage")
            .field("store", &self.what)
            .field("down", &self.is_down())
            .field("retry_interval", &self.retry_interval())
            .finish()
    }
}
