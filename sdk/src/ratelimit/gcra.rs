//! GCRA (the generic cell rate algorithm) for one key, and the in-process limiter.
//!
//! A key has up to two cells, one per documented window:
//! - the per-second cell spaces calls `1 / per_second` apart with no burst, so no one-second
//!   window (aligned or sliding) ever holds more than `per_second` calls;
//! - the per-minute cell lets a burst of `b` calls through at once (at most the per-second
//!   rate, a tenth of the minute's budget) and then `per_minute - b + 1` calls a minute, so
//!   no sixty-second window holds more than `per_minute` calls.
//!
//! Each cell keeps a theoretical arrival time (TAT). A call reserves the earliest instant
//! every cell allows (`TAT - tolerance`), then moves each TAT to `max(TAT, that instant) +
//! interval`: one reservation per call, no polling. The Redis script (`redis.rs`) runs the
//! same arithmetic on the server's clock.
//!
//! Times are whole microseconds since an epoch (the limiter's creation here, the Unix
//! epoch in Redis).

use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{RateKey, RateLimitError, RateLimitMeta, RateLimiter, RateLimits, RateSignal};

/// Microseconds in a second.
pub(crate) const SECOND_US: u64 = 1_000_000;

/// How long a limit announced by `x-ogw-ratelimit-limit` is kept at least (longer if the
/// server's `x-ogw-ratelimit-reset` says so). Every answer carrying the header renews it.
pub const ANNOUNCED_LIMIT_HOLD: Duration = Duration::from_secs(60);

/// The block after a 429 / 99991400 that came without `x-ogw-ratelimit-reset`.
pub const DEFAULT_BLOCK: Duration = Duration::from_secs(1);

/// The longest wait any limiter asks for (a larger one, say from a hostile Redis, is cut
/// to this): 24 hours, the longest duration setting.
pub const MAX_WAIT: Duration = crate::settings::MAX_DURATION_SETTING;

/// The pacing of one key, resolved from the documented limit, the per-endpoint overrides
/// and the headroom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Quota {
    /// Interval of the per-second cell, µs (0: no such cell).
    pub(crate) second_interval: u64,
    /// Interval of the per-minute cell, µs (0: no such cell).
    pub(crate) minute_interval: u64,
    /// Tolerance of the per-minute cell, µs: `(burst - 1) * minute_interval`.
    pub(crate) minute_tolerance: u64,
}

impl Quota {
    /// The cells of `limit` scaled by `headroom`; `NONE` when the limit has no cap.
    pub(crate) fn of(limit: RateLimitMeta, headroom: f64) -> Quota {
        let per_second = limit
            .per_second
            .filter(|&n| n > 0)
            .map(|n| f64::from(n) * headroom);
        let per_minute = limit
            .per_minute
            .filter(|&n| n > 0)
            .map(|n| f64::from(n) * headroom);
        let second_interval = per_second.map_or(0, |r| interval_us(1.0, r));
        let (minute_interval, minute_tolerance) = match per_minute {
            None => (0, 0),
            Some(budget) => {
                let burst_cap = per_second.unwrap_or(f64::INFINITY).min(budget / 10.0);
                let burst = burst_cap.floor().max(1.0);
                // A burst of `b` plus `r` more a minute: `b + r - 1 <= budget`.
                let per_minute = (budget - burst + 1.0).max(budget.min(1.0));
                let interval = interval_us(60.0, per_minute);
                // `burst` is at most the budget, itself at most ~4e11: the product fits.
                (interval, interval.saturating_mul(burst as u64 - 1))
            }
        };
        Quota {
            second_interval,
            minute_interval,
            minute_tolerance,
        }
    }

    /// Whether this quota paces anything.
    pub(crate) fn is_none(&self) -> bool {
        self.second_interval == 0 && self.minute_interval == 0
    }
}

/// `window_secs / calls` in whole microseconds, at least 1, rounded up (so pacing never
/// runs faster than the limit).
fn interval_us(window_secs: f64, calls: f64) -> u64 {
    let us = (window_secs * SECOND_US as f64 / calls).ceil();
    if us.is_finite() && us >= 1.0 {
        // `as` saturates at u64::MAX.
        us as u64
    } else {
        1
    }
}

/// The state of one key. Times in µs since the epoch; 0 means "never set".
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct KeyState {
    /// TAT of the per-second cell.
    pub(crate) second_tat: u64,
    /// TAT of the per-minute cell.
    pub(crate) minute_tat: u64,
    /// Nothing goes before this instant (a 429's reset).
    pub(crate) blocked_until: u64,
    /// A per-second limit announced by the server, and until when it holds.
    pub(crate) announced: Option<(u32, u64)>,
}

impl KeyState {
    /// The instant after which this state no longer affects anything.
    pub(crate) fn last_effect(&self) -> u64 {
        let announced = self.announced.map_or(0, |(_, until)| until);
        self.second_tat
            .max(self.minute_tat)
            .max(self.blocked_until)
            .max(announced)
    }
}

/// Reserves the next turn at `now` under `quota` (with the server's announced limit scaled
/// by `headroom`). `Ok(wait)`: the turn is reserved `wait` µs from now. `Err(wait)`: the
/// turn would come later than `max_wait`; nothing was reserved.
pub(crate) fn reserve(
    state: &mut KeyState,
    now: u64,
    quota: Quota,
    headroom: f64,
    max_wait: Option<u64>,
) -> Result<u64, u64> {
    let mut second_interval = quota.second_interval;
    if let Some((limit, until)) = state.announced {
        if until > now && limit > 0 {
            second_interval = second_interval.max(interval_us(1.0, f64::from(limit) * headroom));
        }
    }
    let mut at = now.max(state.blocked_until);
    if second_interval > 0 {
        at = at.max(state.second_tat);
    }
    if quota.minute_interval > 0 {
        at = at.max(state.minute_tat.saturating_sub(quota.minute_tolerance));
    }
    let wait = at - now;
    if max_wait.is_some_and(|max| wait > max) {
        return Err(wait);
    }
    if second_interval > 0 {
        state.second_tat = state.second_tat.max(at).saturating_add(second_interval);
    }
    if quota.minute_interval > 0 {
        state.minute_tat = state
            .minute_tat
            .max(at)
            .saturating_add(quota.minute_interval);
    }
    Ok(wait)
}

/// Applies a server's signal at `now`: a 429 / 99991400 blocks the key until its reset
/// (default [`DEFAULT_BLOCK`]); an announced limit caps the per-second rate for
/// `max(reset, ANNOUNCED_LIMIT_HOLD)`.
pub(crate) fn tighten(state: &mut KeyState, now: u64, signal: &RateSignal) {
    let reset = signal.reset.map(duration_us);
    if signal.limited {
        let block = reset.unwrap_or(duration_us(DEFAULT_BLOCK));
        state.blocked_until = state.blocked_until.max(now.saturating_add(block));
    }
    if let Some(limit) = signal.limit.filter(|&l| l > 0) {
        let hold = reset.unwrap_or(0).max(duration_us(ANNOUNCED_LIMIT_HOLD));
        state.announced = Some((limit, now.saturating_add(hold)));
    }
}

/// A duration in whole µs, saturating (and capped at [`MAX_WAIT`]).
pub(crate) fn duration_us(d: Duration) -> u64 {
    u64::try_from(d.min(MAX_WAIT).as_micros()).unwrap_or(u64::MAX)
}

/// µs to a duration, capped at [`MAX_WAIT`].
pub(crate) fn us_duration(us: u64) -> Duration {
    Duration::from_micros(us).min(MAX_WAIT)
}

/// Over this many keys, a reservation sweeps the keys whose state no longer matters.
const SWEEP_ABOVE: usize = 4_096;

/// A rate limiter for this process alone: GCRA per app × tenant × endpoint, in memory.
///
/// Right for a single replica; a fleet shares one budget with
/// `RedisRateLimiter` (feature `redis`). Clones share
/// the budget, so one limiter can pace several clients of the same app.
///
/// ```
/// use lark_openapi::ratelimit::InProcessLimiter;
/// let limiter = InProcessLimiter::new()
///     .headroom(0.8)
///     .limit("im.v1.message.create", 20);
/// let client = lark_openapi::Client::builder("cli_a1b2c3", "app secret")
///     .rate_limiter(limiter)
///     .build()?;
/// # Ok::<(), lark_openapi::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct InProcessLimiter {
    limits: RateLimits,
    shared: Arc<Local>,
}

/// The state shared by clones.
struct Local {
    epoch: Instant,
    keys: Mutex<Keys>,
}

/// A key's identity in the map: its parts as they are, so that no two keys share a state
/// (a joined string would make tenant `-` the app-level key, as the Redis key's escaping
/// prevents there).
type StateId = (String, Option<String>, String);

fn state_id(key: &RateKey<'_>) -> StateId {
    (
        key.app_id.to_owned(),
        key.tenant_key.map(str::to_owned),
        key.endpoint_id.to_owned(),
    )
}

/// The keys' states, and the size above which the next reservation sweeps the idle ones.
struct Keys {
    states: HashMap<StateId, KeyState>,
    sweep_above: usize,
}

impl Default for InProcessLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for InProcessLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessLimiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl InProcessLimiter {
    /// A limiter pacing every endpoint by its documented limit (headroom 1.0).
    pub fn new() -> Self {
        InProcessLimiter::with_limits(RateLimits::new())
    }

    /// A limiter with these limits.
    pub fn with_limits(limits: RateLimits) -> Self {
        InProcessLimiter {
            limits,
            shared: Arc::new(Local {
                epoch: crate::clock::now(),
                keys: Mutex::new(Keys {
                    states: HashMap::new(),
                    sweep_above: SWEEP_ABOVE,
                }),
            }),
        }
    }

    /// Scales every limit by `factor` (see [`RateLimits::headroom`]).
    #[must_use]
    pub fn headroom(mut self, factor: f64) -> Self {
        self.limits = self.limits.headroom(factor);
        self
    }

    /// Paces `endpoint_id` at `per_second` (see [`RateLimits::limit`]).
    #[must_use]
    pub fn limit(mut self, endpoint_id: impl Into<String>, per_second: u32) -> Self {
        self.limits = self.limits.limit(endpoint_id, per_second);
        self
    }

    /// Paces `endpoint_id` at `per_minute` (see [`RateLimits::limit_per_minute`]).
    #[must_use]
    pub fn limit_per_minute(mut self, endpoint_id: impl Into<String>, per_minute: u32) -> Self {
        self.limits = self.limits.limit_per_minute(endpoint_id, per_minute);
        self
    }

    /// The limits this limiter applies.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Now, in µs since the epoch.
    fn now_us(&self) -> u64 {
        duration_us_uncapped(crate::clock::now().saturating_duration_since(self.shared.epoch))
    }

    /// Reserves a turn; the wait, or the refused wait.
    pub(crate) fn reserve_turn(
        &self,
        key: &RateKey<'_>,
        limit: RateLimitMeta,
        max_wait: Option<Duration>,
    ) -> Result<Duration, Duration> {
        let quota = self.limits.quota(key.endpoint_id, limit);
        let mut keys = self.shared.keys.lock().unwrap_or_else(|e| e.into_inner());
        let id = state_id(key);
        if quota.is_none() && !keys.states.contains_key(&id) {
            return Ok(Duration::ZERO);
        }
        let now = self.now_us();
        if keys.states.len() > keys.sweep_above {
            keys.states.retain(|_, s| s.last_effect() > now);
            keys.sweep_above = (keys.states.len() * 2).max(SWEEP_ABOVE);
        }
        let state = keys.states.entry(id).or_default();
        reserve(
            state,
            now,
            quota,
            self.limits.headroom_factor(),
            max_wait.map(duration_us),
        )
        .map(us_duration)
        .map_err(us_duration)
    }

    /// How many keys have a state.
    #[cfg(test)]
    pub(crate) fn key_count(&self) -> usize {
        let keys = self.shared.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.states.len()
    }

    /// Applies a server's signal to the key.
    pub(crate) fn tighten_key(&self, key: &RateKey<'_>, signal: &RateSignal) {
        let now = self.now_us();
        let mut keys = self.shared.keys.lock().unwrap_or_else(|e| e.into_inner());
        tighten(keys.states.entry(state_id(key)).or_default(), now, signal);
    }
}

/// A duration in µs without the [`MAX_WAIT`] cap (for clock readings).
fn duration_us_uncapped(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl RateLimiter for InProcessLimiter {
    fn acquire<'a>(
        &'a self,
        key: &'a RateKey<'a>,
        limit: RateLimitMeta,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Result<(), RateLimitError>> {
        let max_wait = deadline.map(|d| d.saturating_duration_since(crate::clock::now()));
        let turn = self.reserve_turn(key, limit, max_wait);
        Box::pin(wait_turn(turn, key, max_wait))
    }

    fn observe<'a>(&'a self, key: &'a RateKey<'a>, signal: &'a RateSignal) -> BoxFuture<'a, ()> {
        self.tighten_key(key, signal);
        Box::pin(std::future::ready(()))
    }
}

/// Waits out a reserved turn (`Ok(wait)`), or refuses the call whose turn would come after
/// its deadline (`Err(wait)`): nothing was reserved for it.
pub(crate) async fn wait_turn(
    turn: Result<Duration, Duration>,
    key: &RateKey<'_>,
    max_wait: Option<Duration>,
) -> Result<(), RateLimitError> {
    match turn {
        Ok(wait) if wait.is_zero() => Ok(()),
        Ok(wait) => {
            tokio::time::sleep(wait).await;
            Ok(())
        }
        Err(wait) => Err(RateLimitError::too_soon(key, wait, max_wait)),
    }
}
