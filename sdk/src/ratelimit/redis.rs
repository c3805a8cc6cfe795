//! [`RedisRateLimiter`]: one budget per app × tenant × endpoint for a whole fleet, kept in
//! Redis by one atomic Lua script per call (GCRA on the server's clock).
//!
//! Key layout: `{prefix}:rate:{app_id}:{tenant_key or "-"}:{endpoint_id}` (each part
//! escaped as the token keys are, so no two keys collide), a hash whose fields are whole
//! microseconds of the Unix epoch on the Redis clock:
//!
//! | field | meaning |
//! |---|---|
//! | `s`  | theoretical arrival time (TAT) of the per-second cell |
//! | `m`  | TAT of the per-minute cell |
//! | `b`  | blocked until (a 429's `x-ogw-ratelimit-reset`) |
//! | `l`  | the per-second limit announced by `x-ogw-ratelimit-limit` |
//! | `lu` | until when `l` holds |
//!
//! The key expires one second after its last effect, so idle keys cost nothing. No secret is
//! in a key or a value. A foreign value under a key is not trusted: a key of another type is
//! replaced, and a field that is not a number, is negative, or lies more than a day ahead
//! of the Redis clock counts as unset. The limits themselves are not stored: every replica sends its own
//! (the documented ones, its overrides and headroom), so replicas of one version agree.

use futures_util::future::BoxFuture;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use ::redis::aio::ConnectionManager;
use ::redis::{Script, Value};

use super::gcra::{duration_us, us_duration, Quota};
use super::{
    InProcessLimiter, RateKey, RateLimitError, RateLimitMeta, RateLimiter, RateLimits, RateSignal,
    ANNOUNCED_LIMIT_HOLD, DEFAULT_BLOCK,
};
use crate::shared::redis::{key_part, Connection, DEFAULT_PREFIX, DEFAULT_TIMEOUT};
use crate::shared::{Outage, RedisTokenStore, StoreError};
use crate::ConfigError;

/// Reserves a turn. KEYS[1]: the key's hash. ARGV: the per-second interval, the per-minute
/// interval and tolerance (µs, 0 when the cell does not exist), the longest acceptable
/// wait (µs, -1: any), the headroom. Answers `{1, wait}` (turn reserved `wait` µs from
/// now) or `{0, wait}` (the turn would be later than allowed; nothing reserved).
pub(crate) const ACQUIRE_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function num(v, cap)
  local n = tonumber(v)
  if n == nil or n ~= n or n < 0 or n > cap then return 0 end
  return n
end
local day = 86400000000
local si = num(ARGV[1], day)
local mi = num(ARGV[2], day)
local mt = num(ARGV[3], day * 1000)
local max_wait = tonumber(ARGV[4]) or -1
local headroom = num(ARGV[5], 1000)
local h = redis.pcall('HMGET', KEYS[1], 's', 'm', 'b', 'l', 'lu')
if type(h) ~= 'table' or h.err then
  redis.call('DEL', KEYS[1])
  h = {}
end
local s = num(h[1], now + day)
local m = num(h[2], now + day)
local b = num(h[3], now + day)
local l = num(h[4], 1000000000)
local lu = num(h[5], now + day)
if l > 0 and lu > now and headroom > 0 then
  local ai = math.ceil(1000000 / (l * headroom))
  if ai > si then si = ai end
end
local at = now
if b > at then at = b end
if si > 0 and s > at then at = s end
if mi > 0 and m - mt > at then at = m - mt end
local wait = at - now
if max_wait >= 0 and wait > max_wait then
  return {0, wait}
end
if si > 0 then
  s = math.max(s, at) + si
  redis.call('HSET', KEYS[1], 's', string.format('%.0f', s))
end
if mi > 0 then
  m = math.max(m, at) + mi
  redis.call('HSET', KEYS[1], 'm', string.format('%.0f', m))
end
if si > 0 or mi > 0 then
  local last = math.max(s, m, b, lu)
  redis.call('PEXPIRE', KEYS[1], math.ceil((last - now) / 1000) + 1000)
end
return {1, wait}
";

/// Applies a server's signal. KEYS[1]: the key's hash. ARGV: 1 if the call was refused for
/// rate, the block (µs), the announced limit (0: none), how long it holds (µs).
pub(crate) const OBSERVE_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function num(v, cap)
  local n = tonumber(v)
  if n == nil or n ~= n or n < 0 or n > cap then return 0 end
  return n
end
local day = 86400000000
local limited = ARGV[1] == '1'
local block = num(ARGV[2], day)
local limit = num(ARGV[3], 1000000000)
local hold = num(ARGV[4], day)
local h = redis.pcall('HMGET', KEYS[1], 's', 'm', 'b', 'lu')
if type(h) ~= 'table' or h.err then
  redis.call('DEL', KEYS[1])
  h = {}
end
local s = num(h[1], now + day)
local m = num(h[2], now + day)
local b = num(h[3], now + day)
local lu = num(h[4], now + day)
if limited and now + block > b then
  b = now + block
  redis.call('HSET', KEYS[1], 'b', string.format('%.0f', b))
end
if limit > 0 then
  lu = now + hold
  redis.call('HSET', KEYS[1], 'l', string.format('%.0f', limit), 'lu', string.format('%.0f', lu))
end
local last = math.max(s, m, b, lu)
if last > now then
  redis.call('PEXPIRE', KEYS[1], math.ceil((last - now) / 1000) + 1000)
end
return 1
";

/// A rate limiter whose budget lives in Redis: every replica of an app spends the same
/// budget per app × tenant × endpoint, so a fleet sending as fast as it can stays under
/// the platform's limits.
///
/// Each call runs one atomic Lua script (GCRA on the Redis clock, so replicas' clocks need
/// not agree): one round trip. The connection is a redis-rs
/// [`ConnectionManager`]: one multiplexed connection that reconnects by itself, opened on
/// first use; `rediss://` URLs use TLS (rustls, webpki roots).
///
/// **Degraded, not down**: when Redis fails or takes longer than the
/// [timeout](Self::timeout) (500 ms by default), the call is paced by an in-process
/// [`InProcessLimiter`] with the same limits instead, and goes out. The outage is logged
/// once (`warn!` when it starts, `info!` when Redis answers again); during an outage Redis
/// is tried again at most once a second, and the shared budget is used again as soon as it
/// answers. While degraded each replica paces itself alone, so a fleet may exceed the
/// limit by up to its number of replicas; the platform's 429s are still retried.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use lark_openapi::ratelimit::RedisRateLimiter;
/// let limiter = RedisRateLimiter::new("redis://127.0.0.1:6379")?.headroom(0.9);
/// let client = lark_openapi::Client::builder("cli_a1b2c3", "app secret")
///     .rate_limiter(limiter)
///     .build()?;
/// # Ok(()) }
/// ```
///
/// Clones share the connection, the fallback and the outage state.
#[derive(Clone)]
pub struct RedisRateLimiter {
    limits: RateLimits,
    prefix: Arc<str>,
    timeout: Duration,
    connection: Arc<Connection>,
    local: InProcessLimiter,
}

/// The scripts, hashed once per process (as the token store's, `shared/redis/scripts.rs`).
static ACQUIRE: LazyLock<Script> = LazyLock::new(|| Script::new(ACQUIRE_SCRIPT));
static OBSERVE: LazyLock<Script> = LazyLock::new(|| Script::new(OBSERVE_SCRIPT));

impl std::fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("limits", &self.limits)
            .field("outage", &self.connection.outage)
            .finish_non_exhaustive()
    }
}

impl RedisRateLimiter {
    /// A limiter on the Redis at `url` (`redis://[:password@]host:port/db`, `rediss://`
    /// for TLS). Only the URL is checked here: the connection opens on first use (from a
    /// tokio runtime), so a replica starts even while Redis is down.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        Ok(Self::on(Arc::new(Connection::open(url)?)))
    }

    /// A limiter on a connection the caller made (its settings apply; the limiter's own
    /// [`timeout`](Self::timeout) bounds each call too).
    pub fn with_connection(manager: ConnectionManager) -> Self {
        Self::on(Arc::new(Connection::with_manager(manager)))
    }

    /// A limiter on the token store's connection, prefix and timeout: one connection and
    /// one outage state for both.
    pub fn sharing(store: &RedisTokenStore) -> Self {
        let mut limiter = Self::on(store.conn.clone());
        limiter.prefix = store.prefix.clone();
        limiter.timeout = store.timeout;
        limiter
    }

    fn on(connection: Arc<Connection>) -> Self {
        RedisRateLimiter {
            limits: RateLimits::new(),
            prefix: DEFAULT_PREFIX.into(),
            timeout: DEFAULT_TIMEOUT,
            connection,
            local: InProcessLimiter::new(),
        }
    }

    /// The first part of every key (default `lark`), to keep apart several environments
    /// or applications on one Redis. Used as given (not escaped).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().into();
        self
    }

    /// Bounds each Redis call (default 500 ms): 1 ms to 24 hours, else an error naming the
    /// setting. Past it the call is paced by the in-process fallback.
    pub fn timeout(mut self, timeout: Duration) -> Result<Self, ConfigError> {
        self.timeout = crate::shared::check_timeout("RedisRateLimiter timeout", timeout)?;
        Ok(self)
    }

    /// During an outage, Redis is tried again at most once per `interval` (default 1 s);
    /// calls in between fall back at once. Applies to everything sharing the connection.
    /// At most 24 hours (zero: never skip Redis), else an error naming the setting.
    pub fn retry_interval(self, interval: Duration) -> Result<Self, ConfigError> {
        let interval =
            crate::shared::check_retry_interval("RedisRateLimiter retry_interval", interval)?;
        self.connection.outage.set_retry_interval(interval);
        Ok(self)
    }

    /// Replaces the limits (documented ones, overrides, headroom).
    #[must_use]
    pub fn with_limits(mut self, limits: RateLimits) -> Self {
        self.local = InProcessLimiter::with_limits(limits.clone());
        self.limits = limits;
        self
    }

    /// Scales every limit by `factor` (see [`RateLimits::headroom`]).
    #[must_use]
    pub fn headroom(self, factor: f64) -> Self {
        let limits = self.limits.clone().headroom(factor);
        self.with_limits(limits)
    }

    /// Paces `endpoint_id` at `per_second` (see [`RateLimits::limit`]).
    #[must_use]
    pub fn limit(self, endpoint_id: impl Into<String>, per_second: u32) -> Self {
        let limits = self.limits.clone().limit(endpoint_id, per_second);
        self.with_limits(limits)
    }

    /// Paces `endpoint_id` at `per_minute` (see [`RateLimits::limit_per_minute`]).
    #[must_use]
    pub fn limit_per_minute(self, endpoint_id: impl Into<String>, per_minute: u32) -> Self {
        let limits = self
            .limits
            .clone()
            .limit_per_minute(endpoint_id, per_minute);
        self.with_limits(limits)
    }

    /// The limits this limiter applies.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Whether the last Redis call failed (degraded mode: the in-process fallback paces).
    pub fn is_down(&self) -> bool {
        self.connection.outage.is_down()
    }

    /// The connection's outage state.
    pub fn outage(&self) -> &Outage {
        &self.connection.outage
    }

    /// The Redis key of `key`: `{prefix}:rate:{app_id}:{tenant_key or -}:{endpoint_id}`
    /// (parts escaped as in the token keys: `%XX` for `:`, `%`, `{`, `}`, space, control
    /// characters, and a lone `-`).
    pub fn rate_key_name(&self, key: &RateKey<'_>) -> String {
        format!(
            "{}:rate:{}:{}:{}",
            self.prefix,
            key_part(key.app_id),
            key.tenant_key.map_or("-".into(), key_part),
            key_part(key.endpoint_id)
        )
    }

    /// Reserves a turn in Redis: `Ok(Ok(wait))`, `Ok(Err(refused wait))`, or `Err` when
    /// Redis did not answer usably (the caller falls back).
    async fn reserve_shared(
        &self,
        key: &RateKey<'_>,
        quota: Quota,
        max_wait: Option<Duration>,
    ) -> Result<Result<Duration, Duration>, ()> {
        let redis_key = self.rate_key_name(key);
        let max_wait = max_wait.map_or(-1, |d| i64::try_from(duration_us(d)).unwrap_or(i64::MAX));
        let headroom = self.limits.headroom_factor();
        let script = &*ACQUIRE;
        let reply = self
            .connection
            .run(self.timeout, |mut manager| async move {
                let mut call = script.prepare_invoke();
                call.key(redis_key)
                    .arg(quota.second_interval)
                    .arg(quota.minute_interval)
                    .arg(quota.minute_tolerance)
                    .arg(max_wait)
                    .arg(headroom);
                call.invoke_async::<Value>(&mut manager).await
            })
            .await
            .map_err(|_| ())?;
        match parse_turn(&reply) {
            Some(turn) => Ok(turn),
            None => {
                self.connection
                    .outage
                    .failed(&"the rate-limit script answered something unexpected");
                Err(())
            }
        }
    }
}

/// `{allowed, wait_us}` from the script; `None` for anything else (a hostile or broken
/// server's answer). The wait is cut to [`MAX_WAIT`](super::MAX_WAIT).
pub(crate) fn parse_turn(reply: &Value) -> Option<Result<Duration, Duration>> {
    let Value::Array(items) = reply else {
        return None;
    };
    let [Value::Int(allowed), Value::Int(wait)] = items.as_slice() else {
        return None;
    };
    let wait = us_duration(u64::try_from(*wait).unwrap_or(0));
    match allowed {
        1 => Some(Ok(wait)),
        0 => Some(Err(wait)),
        _ => None,
    }
}

impl RateLimiter for RedisRateLimiter {
    fn acquire<'a>(
        &'a self,
        key: &'a RateKey<'a>,
        limit: RateLimitMeta,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Result<(), RateLimitError>> {
        let quota = self.limits.quota(key.endpoint_id, limit);
        if quota.is_none() {
            // Not paced: only what this process learnt from the server applies (no round
            // trip for endpoints without a limit).
            return self.local.acquire(key, limit, deadline);
        }
        Box::pin(async move {
            let max_wait = deadline.map(|d| d.saturating_duration_since(crate::clock::now()));
            let turn = match self.reserve_shared(key, quota, max_wait).await {
                Ok(turn) => turn,
                Err(()) => self.local.reserve_turn(key, limit, max_wait),
            };
            super::gcra::wait_turn(turn, key, max_wait).await
        })
    }

    fn observe<'a>(&'a self, key: &'a RateKey<'a>, signal: &'a RateSignal) -> BoxFuture<'a, ()> {
        // Kept locally too: the fallback knows it if Redis goes down.
        self.local.tighten_key(key, signal);
        Box::pin(async move {
            let reset = signal.reset.map(duration_us);
            let block = reset.unwrap_or(duration_us(DEFAULT_BLOCK));
            let hold = reset.unwrap_or(0).max(duration_us(ANNOUNCED_LIMIT_HOLD));
            let redis_key = self.rate_key_name(key);
            let script = &*OBSERVE;
            let _ = self
                .connection
                .run(self.timeout, |mut manager| async move {
                    let mut call = script.prepare_invoke();
                    call.key(redis_key)
                        .arg(u8::from(signal.limited))
                        .arg(block)
                        .arg(signal.limit.unwrap_or(0))
                        .arg(hold);
                    call.invoke_async::<Value>(&mut manager).await
                })
                .await;
        })
    }
}
