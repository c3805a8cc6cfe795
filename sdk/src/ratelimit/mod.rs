//! Client-side rate limiting: pace calls so that the platform's limits are never hit.
//!
//! The platform limits calls per endpoint × app × tenant (platform-facts §4): a call over
//! the per-second or per-minute cap is refused with HTTP 429 / code 99991400. Off by
//! default (the SDK then only retries after the server's `x-ogw-ratelimit-reset`); with
//! [`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter) every attempt first
//! waits for its turn:
//!
//! - the limit is the endpoint's documented one (the spec's `rate_limit`, from the
//!   platform's tiers), times an optional [headroom](RateLimits::headroom), replaceable per
//!   endpoint ([`RateLimits::limit`]); endpoints without a documented limit are not paced
//!   unless given one;
//! - a call waits for its turn instead of failing; when the turn would come after the
//!   call's deadline ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout),
//!   [`RequestOptions::timeout`](crate::RequestOptions::timeout)) the call fails at once
//!   with [`RateLimitError::DeadlineTooSoon`] (in [`Error::RateLimit`](crate::Error::RateLimit)),
//!   naming the endpoint and the wait; nothing is sent;
//! - the server's word tightens the budget: a 429 / 99991400 holds the key until its
//!   `x-ogw-ratelimit-reset` (1 s without one), and an `x-ogw-ratelimit-limit` lower than
//!   the documented per-second limit replaces it for at least a minute.
//!
//! Two limiters come with the SDK: [`InProcessLimiter`] (one process) and, with the
//! `redis` feature, `RedisRateLimiter` (one budget for a fleet of replicas, with the
//! in-process limiter as its fallback while Redis is unreachable). Anything implementing
//! [`RateLimiter`] can be plugged in.
//!
//! How the budget is spent (GCRA, see `gcra.rs`): calls under a per-second cap are spaced
//! `1 / per_second` apart; a per-minute cap lets a burst of up to `min(per_second,
//! per_minute / 10)` calls through and then paces the rest, so that no one-second or
//! sixty-second window, aligned or sliding, ever holds more calls than the caps.

mod gcra;
mod headers;
#[cfg(feature = "redis")]
mod redis;
#[cfg(test)]
mod tests;

use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::operation::RateLimitMeta;
#[cfg(feature = "redis")]
pub(crate) use gcra::ANNOUNCED_LIMIT_HOLD;
pub use gcra::{InProcessLimiter, DEFAULT_BLOCK, MAX_WAIT};
#[cfg(test)]
use headers::announced_limit;
pub use headers::RateSignal;
#[cfg(feature = "redis")]
pub use redis::RedisRateLimiter;

pub(crate) use gcra::Quota;

/// Whose budget a call spends: the platform counts per app × tenant × endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateKey<'a> {
    /// The app id.
    pub app_id: &'a str,
    /// The tenant of the call (`RequestOptions::tenant_key`); `None` for a custom app's own
    /// tenant.
    pub tenant_key: Option<&'a str>,
    /// The endpoint id, `service.version.resource.method` (`im.v1.message.create`).
    pub endpoint_id: &'a str,
}

impl RateKey<'_> {
    /// The key's identity as one string, `{app_id}:{tenant_key or "-"}:{endpoint_id}`, for
    /// logs and custom limiters. Not escaped (a tenant key `-` reads as none); the Redis key
    /// (`RedisRateLimiter::rate_key_name`) escapes its parts.
    pub fn storage_id(&self) -> String {
        format!(
            "{}:{}:{}",
            self.app_id,
            self.tenant_key.unwrap_or("-"),
            self.endpoint_id
        )
    }
}

/// Why a limiter did not give a call its turn.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimitError {
    /// The call's turn would come after its deadline: it failed at once, nothing was sent.
    DeadlineTooSoon {
        /// The endpoint.
        endpoint: String,
        /// How long the call would have had to wait for its turn.
        wait: Duration,
        /// How long was left before the call's deadline.
        time_left: Option<Duration>,
    },
}

impl RateLimitError {
    /// The [`DeadlineTooSoon`](RateLimitError::DeadlineTooSoon) error of `key` for a turn
    /// `wait` away with `time_left` before the deadline.
    pub fn too_soon(key: &RateKey<'_>, wait: Duration, time_left: Option<Duration>) -> Self {
        RateLimitError::DeadlineTooSoon {
            endpoint: key.endpoint_id.to_string(),
            wait,
            time_left,
        }
    }

    /// The wait the limiter asked for.
    pub fn wait(&self) -> Duration {
        match self {
            RateLimitError::DeadlineTooSoon { wait, .. } => *wait,
        }
    }
}

impl fmt::Display for RateLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimitError::DeadlineTooSoon {
                endpoint,
                wait,
                time_left,
            } => {
                write!(
                    f,
                    "{endpoint}: the client-side rate limit gives this call its turn in {wait:?}"
                )?;
                match time_left {
                    Some(left) => write!(f, ", after its deadline (in {left:?})")?,
                    None => write!(f, ", after its deadline")?,
                }
                write!(f, "; nothing was sent")
            }
        }
    }
}

impl std::error::Error for RateLimitError {}

/// Paces calls: waits for each call's turn under a budget per [`RateKey`].
///
/// Set one with [`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter); the
/// client calls [`acquire`](RateLimiter::acquire) before every attempt (retries and token
/// replays included) and [`observe`](RateLimiter::observe) after every answer that says
/// something about the limit. Implementations must not panic and should be quick when
/// there is nothing to wait for: `acquire` is on every call's path.
pub trait RateLimiter: Send + Sync + 'static {
    /// Waits until the call of `key` may go, under the endpoint's documented `limit`
    /// (both fields `None` when it has none). `deadline` is when the call must be over:
    /// when the turn would come later, return [`RateLimitError::DeadlineTooSoon`] at once
    /// rather than wait.
    fn acquire<'a>(
        &'a self,
        key: &'a RateKey<'a>,
        limit: RateLimitMeta,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Result<(), RateLimitError>>;

    /// Learns from an answer: a refusal for rate, or an announced limit. The default
    /// ignores it.
    fn observe<'a>(&'a self, key: &'a RateKey<'a>, signal: &'a RateSignal) -> BoxFuture<'a, ()> {
        let _ = (key, signal);
        Box::pin(std::future::ready(()))
    }
}

impl<T: RateLimiter + ?Sized> RateLimiter for Arc<T> {
    fn acquire<'a>(
        &'a self,
        key: &'a RateKey<'a>,
        limit: RateLimitMeta,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Result<(), RateLimitError>> {
        (**self).acquire(key, limit, deadline)
    }

    fn observe<'a>(&'a self, key: &'a RateKey<'a>, signal: &'a RateSignal) -> BoxFuture<'a, ()> {
        (**self).observe(key, signal)
    }
}

/// Which limits a limiter applies: the documented ones, scaled by a headroom factor,
/// with per-endpoint replacements.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    headroom: f64,
    /// Per endpoint: a field left `None` keeps the documented value.
    overrides: HashMap<String, RateLimitMeta>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::new()
    }
}

/// The smallest and largest headroom factors.
const HEADROOM_RANGE: (f64, f64) = (0.01, 100.0);

impl RateLimits {
    /// The documented limits as they are (headroom 1.0, no replacement).
    pub fn new() -> Self {
        RateLimits {
            headroom: 1.0,
            overrides: HashMap::new(),
        }
    }

    /// Scales every limit (documented, replaced and announced by the server) by `factor`:
    /// 0.8 keeps a fifth of each budget for other clients of the app; above 1.0 for an app
    /// whose limits were raised. Clamped to `[0.01, 100]`; a value that is not a number
    /// counts as 1.0.
    #[must_use]
    pub fn headroom(mut self, factor: f64) -> Self {
        self.headroom = if factor.is_nan() {
            1.0
        } else {
            factor.clamp(HEADROOM_RANGE.0, HEADROOM_RANGE.1)
        };
        self
    }

    /// Paces `endpoint_id` (`im.v1.message.create`) at `per_second` calls a second instead
    /// of its documented per-second limit; its documented per-minute limit still applies
    /// unless replaced too. An endpoint with no documented limit gets one this way. 0 means
    /// no per-second limit.
    #[must_use]
    pub fn limit(mut self, endpoint_id: impl Into<String>, per_second: u32) -> Self {
        self.overrides
            .entry(endpoint_id.into())
            .or_default()
            .per_second = Some(per_second);
        self
    }

    /// Paces `endpoint_id` at `per_minute` calls a minute instead of its documented
    /// per-minute limit. 0 means no per-minute limit.
    #[must_use]
    pub fn limit_per_minute(mut self, endpoint_id: impl Into<String>, per_minute: u32) -> Self {
        self.overrides
            .entry(endpoint_id.into())
            .or_default()
            .per_minute = Some(per_minute);
        self
    }

    /// The headroom factor.
    pub fn headroom_factor(&self) -> f64 {
        self.headroom
    }

    /// The limit applied to `endpoint_id` whose documented limit is `documented`.
    pub fn effective(&self, endpoint_id: &str, documented: RateLimitMeta) -> RateLimitMeta {
        match self.overrides.get(endpoint_id) {
            None => documented,
            Some(o) => RateLimitMeta {
                per_second: o.per_second.or(documented.per_second),
                per_minute: o.per_minute.or(documented.per_minute),
            },
        }
    }

    /// The pacing of `endpoint_id`.
    pub(crate) fn quota(&self, endpoint_id: &str, documented: RateLimitMeta) -> Quota {
        Quota::of(self.effective(endpoint_id, documented), self.headroom)
    }
}

/// The client's limiter, as the send loop uses it.
pub(crate) type SharedLimiter = Arc<dyn RateLimiter>;
