//! Time: the current instant and deadline arithmetic that cannot overflow.
//!
//! Every instant the runtime computes goes through [`after`], so that no setting or server
//! answer (a token `expire` of `u64::MAX`, a `Duration::MAX` timeout) can panic with
//! "overflow when adding duration to instant".

use std::time::{Duration, Instant};

/// Far enough in the future to mean "never" (as tokio does for its own far future).
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The current instant. Goes through tokio's clock so that tests with paused time can move
/// it; outside tests (or outside a runtime) it is `Instant::now()`.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// `start + duration`, or 30 years after `start` when that is earlier or the sum would
/// overflow.
pub(crate) fn after(start: Instant, duration: Duration) -> Instant {
    let duration = duration.min(FAR_FUTURE);
    start
        .checked_add(duration)
        .or_else(|| start.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(start)
}

/// The tokio form of [`after`].
pub(crate) fn after_tokio(start: tokio::time::Instant, duration: Duration) -> tokio::time::Instant {
    tokio::time::Instant::from_std(after(start.into_std(), duration))
}

/// `instant - duration`, or `instant` itself when that would underflow.
pub(crate) fn before(instant: Instant, duration: Duration) -> Instant {
    instant.checked_sub(duration).unwrap_or(instant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_durations_do_not_panic() {
        let start = Instant::now();
        for d in [Duration::MAX, Duration::from_secs(u64::MAX), FAR_FUTURE * 2] {
            let later = after(start, d);
            assert!(later > start);
            assert!(later <= start + FAR_FUTURE);
            let t = after_tokio(tokio::time::Instant::now(), d);
            assert!(t > tokio::time::Instant::now());
        }
        assert_eq!(
            after(start, Duration::from_secs(5)),
            start + Duration::from_secs(5)
        );
        assert_eq!(before(start, Duration::MAX), start);
    }
}
