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
use crate::ConfigError;

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

/// Checks a Redis call timeout or retry interval: 1 ms to 24 hours.
pub(crate) fn check_timeout(what: &str, value: Duration) -> Result<Duration, ConfigError> {
    if value < Duration::from_millis(1) || value > crate::limits::MAX_DURATION_SETTING {
        return Err(ConfigError::new(format!(
            "{what} is {value:?}; it must be 1 ms to 24 hours"
        )));
    }
    Ok(value)
}

/// Checks an outage retry interval: at most 24 hours (zero: never skip Redis).
pub(crate) fn check_retry_interval(what: &str, value: Duration) -> Result<Duration, ConfigError> {
    if value > crate::limits::MAX_DURATION_SETTING {
        return Err(ConfigError::new(format!(
            "{what} is {value:?}; it must be at most 24 hours"
        )));
    }
    Ok(value)
}

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
            let manager = self.manager(timeout).map_err(|e| (e, true))?;
            call(manager).await.map_err(|e| {
                let outage = is_outage(&e);
                (store_error(e), outage)
            })
        };
        let result = match tokio::time::timeout(timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err((StoreError::Timeout(timeout), true)),
        };
        match result {
            Ok(value) => {
                self.outage.succeeded();
                Ok(value)
            }
            // An error reply is an answer: the server is up, this one command failed. Only
            // a server that cannot be reached, or says it cannot serve, is an outage (whose
            // state every store on this connection shares).
            Err((error, false)) => {
                self.outage.succeeded();
                tracing::debug!(%error, "Redis refused a command");
                Err(error)
            }
            Err((error, true)) => {
                self.outage.failed(&error);
                Err(error)
            }
        }
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
/// deduplication (script `SET_NX_PX`): `Some(true)` if it created the key, `Some(false)` if
/// the key existed, `None` for any other answer (each caller decides what an odd answer
/// means). A key that existed without a TTL (a foreign writer's; the SDK never writes one)
/// is given `ttl`, so every key the SDK waits on or skips for ends.
pub(crate) async fn set_nx_px(
    conn: &Connection,
    timeout: Duration,
    name: &str,
    value: &str,
    ttl: Duration,
) -> Result<Option<bool>, StoreError> {
    let answer = conn
        .run(timeout, |mut manager| async move {
            scripts::SET_NX_PX_SCRIPT
                .key(name)
                .arg(value)
                .arg(px(ttl))
                .invoke_async::<::redis::Value>(&mut manager)
                .await
        })
        .await?;
    Ok(match answer {
        ::redis::Value::Int(1) => Some(true),
        ::redis::Value::Int(0) => Some(false),
        _ => None,
    })
}

/// Whether a Redis error means the server cannot be used now (unreachable, timed out,
/// loading, failing over), rather than that it answered this one command with an error.
fn is_outage(error: &RedisError) -> bool {
    use ::redis::{ErrorKind, ServerErrorKind};
    match error.kind() {
        ErrorKind::Server(kind) => matches!(
            kind,
            ServerErrorKind::BusyLoading
                | ServerErrorKind::TryAgain
                | ServerErrorKind::ClusterDown
                | ServerErrorKind::MasterDown
                | ServerErrorKind::ReadOnly
        ),
        ErrorKind::Extension | ErrorKind::UnexpectedReturnType | ErrorKind::Parse => false,
        _ => true,
    }
}

fn store_error(error: RedisError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// Milliseconds for a `PX` argument: at least 1.
pub(crate) fn px(d: Duration) -> u64 {
    super::token_store::millis(d).max(1)
}
