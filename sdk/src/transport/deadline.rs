//! The overall deadline of a call (`ClientBuilder::timeout`, `RequestOptions::timeout`).

use std::time::Duration;

use crate::errors::TransportError;
use crate::Error;

/// When a call must be over, and the configured timeout (for the error message).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(crate) at: tokio::time::Instant,
    pub(crate) timeout: Duration,
}

impl Deadline {
    pub(crate) fn starting_now(timeout: Duration) -> Self {
        Deadline {
            at: crate::clock::after_tokio(tokio::time::Instant::now(), timeout),
            timeout,
        }
    }

    pub(crate) fn error(&self, context: &'static str) -> TransportError {
        TransportError::deadline(context, self.timeout)
    }

    /// Whether waiting `wait` from now would pass the deadline.
    pub(crate) fn passed_after(&self, wait: Duration) -> bool {
        crate::clock::after_tokio(tokio::time::Instant::now(), wait) >= self.at
    }
}

/// Runs `fut` bounded by the call's deadline, if it has one.
pub(crate) async fn within_deadline<T>(
    deadline: Option<Deadline>,
    context: &'static str,
    fut: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match deadline {
        None => fut.await,
        Some(d) => match tokio::time::timeout_at(d.at, fut).await {
            Ok(result) => result,
            Err(_) => Err(Error::Transport(d.error(context))),
        },
    }
}

/// The earlier of `now + idle` and the deadline, with the error to report when it passes.
pub(crate) fn wait_limit(
    deadline: Option<Deadline>,
    idle: Duration,
    context: &'static str,
) -> (tokio::time::Instant, TransportError) {
    let idle_at = crate::clock::after_tokio(tokio::time::Instant::now(), idle);
    match deadline {
        Some(d) if d.at < idle_at => (d.at, d.error(context)),
        _ => (idle_at, TransportError::idle_timeout(context)),
    }
}
