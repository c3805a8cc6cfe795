//! [`RedisDedup`]: event deduplication shared by the replicas of an app, on Redis.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::ConnectionManager;

use super::tokens::RedisTokenStore;
use super::{check_timeout, key_part, set_nx_px, Connection, DEFAULT_PREFIX, DEFAULT_TIMEOUT};
use crate::events::{DedupStore, MemoryDedup};
use crate::shared::token_store::StoreError;
use crate::ConfigError;
use futures_util::future::BoxFuture;

/// A [`DedupStore`] on Redis: an event the platform pushes again is handled once across
/// every replica of the app, whichever replica receives it.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use lark_openapi::events::Dispatcher;
/// use lark_openapi::shared::RedisDedup;
///
/// let dedup = RedisDedup::new("redis://127.0.0.1:6379/", "cli_a1b2c3")?
///     .ttl(std::time::Duration::from_secs(24 * 3600))?;
/// let dispatcher = Dispatcher::builder().dedup(dedup).build();
/// # let _ = dispatcher;
/// # Ok(()) }
/// ```
///
/// * Key `{prefix}:event:{app_id}:{event_id}` (escaped as in
///   [`RedisTokenStore::token_key_name`]; an id longer than
///   [`MAX_ID_BYTES`](crate::events::MAX_ID_BYTES) as `sha256-<hex>`),
///   set with `SET … 1 NX PX ttl`: the replica whose `SET` creates it handles the event.
/// * It also keeps an in-process [`MemoryDedup`]: an id this process has seen is never
///   handled again by it, and when Redis fails or is slow (each call bounded by
///   [`timeout`](Self::timeout), default 500 ms) that record alone decides, so an event is
///   handled rather than lost. The outage is logged once.
///
/// `Debug` shows neither the URL nor any id.
pub struct RedisDedup {
    conn: Arc<Connection>,
    prefix: Arc<str>,
    app_id: String,
    ttl: Duration,
    timeout: Duration,
    local: MemoryDedup,
}

impl RedisDedup {
    /// Deduplication for the app `app_id` on the Redis at `url`; connects on first use.
    pub fn new(url: &str, app_id: impl Into<String>) -> Result<Self, StoreError> {
        Ok(Self::from_parts(
            Arc::new(Connection::open(url)?),
            DEFAULT_PREFIX.into(),
            DEFAULT_TIMEOUT,
            app_id.into(),
        ))
    }

    /// On a connection the caller made.
    pub fn with_connection(manager: ConnectionManager, app_id: impl Into<String>) -> Self {
        Self::from_parts(
            Arc::new(Connection::with_manager(manager)),
            DEFAULT_PREFIX.into(),
            DEFAULT_TIMEOUT,
            app_id.into(),
        )
    }

    /// On `store`'s connection, with its prefix and timeout (and one outage log for both).
    pub fn from_token_store(store: &RedisTokenStore, app_id: impl Into<String>) -> Self {
        Self::from_parts(
            Arc::clone(&store.conn),
            Arc::clone(&store.prefix),
            store.timeout,
            app_id.into(),
        )
    }

    fn from_parts(
        conn: Arc<Connection>,
        prefix: Arc<str>,
        timeout: Duration,
        app_id: String,
    ) -> Self {
        RedisDedup {
            conn,
            prefix,
            app_id,
            ttl: MemoryDedup::DEFAULT_TTL,
            timeout,
            local: MemoryDedup::default(),
        }
    }

    /// The first part of every key (default `lark`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().into();
        self
    }

    /// How long an id is remembered (default 12 hours, as [`MemoryDedup::DEFAULT_TTL`]);
    /// above zero and at most [`MAX_DEDUP_TTL`](crate::events::MAX_DEDUP_TTL), else an
    /// error naming the setting (a TTL Redis would refuse is never sent).
    pub fn ttl(mut self, ttl: Duration) -> Result<Self, ConfigError> {
        self.ttl = crate::events::check_dedup_ttl("RedisDedup ttl", ttl)?;
        Ok(self)
    }

    /// Bounds each Redis call (default 500 ms): 1 ms to 24 hours, else an error naming the
    /// setting.
    pub fn timeout(mut self, timeout: Duration) -> Result<Self, ConfigError> {
        self.timeout = check_timeout("RedisDedup timeout", timeout)?;
        Ok(self)
    }

    /// The in-process record (default [`MemoryDedup::default`]).
    pub fn local(mut self, local: MemoryDedup) -> Self {
        self.local = local;
        self
    }

    /// Whether the last Redis call failed (degraded mode).
    pub fn is_down(&self) -> bool {
        self.conn.outage.is_down()
    }

    /// The Redis key of `event_id`.
    pub fn event_key_name(&self, event_id: &str) -> String {
        let id = crate::events::dedup_key(event_id);
        format!(
            "{}:event:{}:{}",
            self.prefix,
            key_part(&self.app_id),
            key_part(&id)
        )
    }

    async fn check(&self, event_id: &str) -> bool {
        let local_first = self.local.first_seen(event_id).await;
        let name = self.event_key_name(event_id);
        match set_nx_px(&self.conn, self.timeout, &name, "1", self.ttl).await {
            // Another replica (or this one) created the key first.
            Ok(Some(false)) => false,
            Ok(_) => local_first,
            Err(error) => {
                tracing::debug!(%error, "event deduplication falls back to this process's record");
                local_first
            }
        }
    }
}

impl DedupStore for RedisDedup {
    fn first_seen<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(self.check(event_id))
    }
}

impl fmt::Debug for RedisDedup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDedup")
            .field("prefix", &self.prefix)
            .field("app_id", &self.app_id)
            .field("ttl", &self.ttl)
            .field("timeout", &self.timeout)
            .field("down", &self.is_down())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_are_escaped_and_bounded() {
        let d = RedisDedup::new("redis://127.0.0.1:1/", "cli_1").unwrap();
        assert_eq!(d.event_key_name("ev_1"), "lark:event:cli_1:ev_1");
        assert_eq!(d.event_key_name("a:b"), "lark:event:cli_1:a%3Ab");
        let long = "x".repeat(1000);
        let key = d.event_key_name(&long);
        assert!(key.starts_with("lark:event:cli_1:sha256-"), "{key}");
        assert_eq!(key.len(), "lark:event:cli_1:sha256-".len() + 64);
        let d = d.prefix("p");
        assert_eq!(d.event_key_name("e"), "p:event:cli_1:e");
    }

    #[test]
    fn ttls_and_timeouts_redis_would_refuse_are_refused_here() {
        let d = || RedisDedup::new("redis://127.0.0.1:1/", "cli_1").unwrap();
        for ttl in [
            Duration::ZERO,
            Duration::MAX,
            Duration::from_secs(8 * 24 * 3600),
        ] {
            let err = d().ttl(ttl).unwrap_err().to_string();
            assert!(err.starts_with("RedisDedup ttl is "), "{err}");
        }
        for timeout in [Duration::ZERO, Duration::MAX] {
            let err = d().timeout(timeout).unwrap_err().to_string();
            assert!(err.starts_with("RedisDedup timeout is "), "{err}");
        }
        d().ttl(crate::events::MAX_DEDUP_TTL).unwrap();
    }

    #[tokio::test]
    async fn unreachable_redis_falls_back_to_the_local_record() {
        // Nothing listens on port 1: refused at once.
        let d = RedisDedup::new("redis://127.0.0.1:1/", "cli_1")
            .unwrap()
            .timeout(Duration::from_millis(200))
            .unwrap();
        assert!(d.first_seen("e1").await);
        assert!(d.is_down());
        assert!(!d.first_seen("e1").await);
        assert!(d.first_seen("e2").await);
    }
}
