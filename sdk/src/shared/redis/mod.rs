//! The Redis implementations: [`RedisTokenStore`] and (with the `events` feature)
//! [`RedisDedup`], on one lazily opened [`ConnectionManager`] each (or shared).

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::RedisError;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::fallback::Outage;
use super::token_store::StoreError;

#[cfg(feature = "events")]
mod dedup;
mod scripts;
mod tokens;

#[cfg(feature = "events")]
pub use dedup::RedisDedup;
pub use tokens::RedisTokenStore;

/// The key prefix used unless one is set: `lark`.
pub const DEFAULT_PREFIX: &str = "lark";
/// How long one Redis call may take by default before the SDK falls back to in-process
/// state: 500 ms.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// Characters escaped (`%XX`) in a key part: the `:` separator, `%` itself, the `{}` of
/// cluster hash tags, space and control characters.
const KEY_PART: &AsciiSet = &CONTROLS.add(b':').add(b'%').add(b' ').add(b'{').add(b'}');

/// One part of a key, escaped so that no two different parts give the same key (a lone
/// `-`, which stands for "no tenant key", is escaped too).
pub(crate) fn key_part(part: &str) -> Cow<'_, str> {
    if part == "-" {
        return Cow::Borrowed("%2D");
    }
    utf8_percent_encode(part, KEY_PART).into()
}

/// A Redis connection shared by the stores made from one another: opened on first use,
/// reconnecting by itself ([`ConnectionManager`]: one multiplexed connection, no pool to
/// size), and its [`Outage`] state.
pub(crate) struct Connection {
    client: Option<::redis::Client>,
    manager: OnceLock<Result<ConnectionManager, StoreError>>,
    pub(crate) outage: Outage,
}

impl Connection {
    /// Checks `url` (`redis://`, `rediss://` for TLS, `redis+unix://`); connects later.
    pub(crate) fn open(url: &str) -> Result<Connection, StoreError> {
        let client = ::redis::Client::open(url).map_err(|e| {
            // The error names what is wrong, never the URL (which may carry a password).
            StoreError::Malformed(format!("not a usable Redis URL ({:?})", e.kind()))
        })?;
        Ok(Connection {
            client: Some(client),
            manager: OnceLock::new(),
            outage: Outage::new("redis"),
        })
    }

    pub(crate) fn with_manager(manager: ConnectionManager) -> Connection {
        let cell = OnceLock::new();
        let _ = cell.set(Ok(manager));
        Connection {
            client: None,
            manager: cell,
            outage: Outage::new("redis"),
        }
    }

    /// The manager; created (without connecting) on the first call, which must be on a
    /// tokio runtime.
    fn manager(&self, timeout: Duration) -> Result<ConnectionManager, StoreError> {
        self.manager
            .get_or_init(|| {
                let Some(client) = self.client.clone() else {
                    return Err(StoreError::Unavailable("no Redis connection".into()));
                };
                // One connection attempt per call (the SDK retries by calling again), each
                // bounded like the calls.
                let config = ConnectionManagerConfig::new()
                    .set_number_of_retries(0)
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout));
                ConnectionManager::new_lazy_with_config(client, config).map_err(|e| {
                    StoreError::Unavailable(format!("cannot set up the Redis connection: {e}"))
                })
            })
            .clone()
    }

    /// Runs one call: skipped during an outage's retry interval, bounded by `timeout`,
    /// and recorded in the outage state.
    pub(crate) async fn run<T, F, Fut>(&self, timeout: Duration, call: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        if self.outage.skip() {
            return Err(StoreError::Unavailable(
                "Redis failed a moment ago; not tried again yet".into(),
            ));
        }
        let attempt = async {
            let manager = self.manager(timeout)?;
            call(manager).await.map_err(store_error)
        };
        let result = match tokio::time::timeout(timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Timeout(timeout)),
        };
        match &result {
            Ok(_) => self.outage.succeeded(),
            Err(error) => self.outage.failed(error),
        }
        result
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("outage", &self.outage)
            .finish_non_exhaustive()
    }
}

/// `SET name value NX PX ttl`, the one command behind the token fetch lock and event
/// deduplication: `Some(true)` if it created the key, `Some(false)` if the key existed
/// (nil), `None` for any other answer (each caller decides what an odd answer means).
pub(crate) async fn set_nx_px(
    conn: &Connection,
    timeout: Duration,
    name: &str,
    value: &str,
    ttl: Duration,
) -> Result<Option<bool>, StoreError> {
    let answer = conn
        .run(timeout, |mut manager| async move {
            ::redis::cmd("SET")
                .arg(name)
                .arg(value)
                .arg("NX")
                .arg("PX")
                .arg(px(ttl))
                .query_async::<::redis::Value>(&mut manager)
                .await
        })
        .await?;
    Ok(match answer {
        ::redis::Value::Okay => Some(true),
        ::redis::Value::SimpleString(s) => (s == "OK").then_some(true),
        ::redis::Value::Nil => Some(false),
        _ => None,
    })
}

fn store_error(error: RedisError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// Milliseconds for a `PX` argument: at least 1.
pub(crate) fn px(d: Duration) -> u64 {
    super::token_store::millis(d).max(1)
}
