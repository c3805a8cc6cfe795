//! [`RedisTokenStore`]: tokens shared by the replicas of an app, on Redis.

use futures_util::future::BoxFuture;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::ConnectionManager;
use ::redis::Value;

use super::scripts::{
    COMPARE_AND_DELETE_SCRIPT, GET_TOKEN_SCRIPT, PUT_TOKEN_SCRIPT, UNLOCK_SCRIPT,
};
use super::{key_part, px, set_nx_px, Connection, DEFAULT_PREFIX, DEFAULT_TIMEOUT};
use crate::auth::{Secret, TokenKey};
use crate::shared::fallback::Outage;
use crate::shared::token_store::{LockId, StoreError, StoredToken, TokenStore, TokenStoreKey};
use crate::ConfigError;

/// A [`TokenStore`] on Redis: the replicas of an app (processes, hosts) that use one share
/// their tenant and app tokens, so a cold fleet makes one token request per token.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use lark_openapi::shared::RedisTokenStore;
///
/// let store = RedisTokenStore::new("redis://127.0.0.1:6379/")?.prefix("mybot");
/// let client = lark_openapi::Client::builder("cli_a1b2c3", "app secret")
///     .token_store(store)
///     .build()?;
/// # Ok(()) }
/// ```
///
/// * Keys (see the [module docs](crate::shared) for the whole layout):
///   `{prefix}:token:{app_id}:{tenant|app}:{tenant_key or -}`, a hash `{token,
///   lifetime_ms}` expiring with the token, and `{prefix}:lock:…` (same suffix), the fetch
///   lock (`SET NX PX`, value a random [`LockId`]). The app secret is never stored or
///   part of a key.
/// * Connection: one multiplexed, reconnecting [`ConnectionManager`] (no pool to size),
///   opened on first use; `rediss://` URLs use TLS (rustls).
/// * Each call is bounded by [`timeout`](Self::timeout) (default 500 ms). A failed or slow
///   call makes the SDK fetch the token itself; the outage is logged once (`warn`) and its
///   end once (`info`); during an outage Redis is tried at most once per
///   [`retry_interval`](Self::retry_interval) (default 1 s).
///
/// Cheap to clone; clones share the connection. `Debug` shows the prefix and state, not
/// the URL (it may carry a password).
#[derive(Clone)]
pub struct RedisTokenStore {
    pub(crate) conn: Arc<Connection>,
    pub(crate) prefix: Arc<str>,
    pub(crate) timeout: Duration,
}

impl RedisTokenStore {
    /// A store on the Redis at `url` (`redis://[:password@]host:port/db`, `rediss://` for
    /// TLS). Only checks the URL: it connects on first use, from a tokio runtime.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        Ok(Self::from_connection(Connection::open(url)?))
    }

    /// A store on a connection the caller made (its settings, such as its timeouts,
    /// apply; the store's own [`timeout`](Self::timeout) bounds each call too).
    pub fn with_connection(manager: ConnectionManager) -> Self {
        Self::from_connection(Connection::with_manager(manager))
    }

    fn from_connection(conn: Connection) -> Self {
        RedisTokenStore {
            conn: Arc::new(conn),
            prefix: DEFAULT_PREFIX.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The first part of every key (default `lark`), to keep apart several environments
    /// or applications on one Redis. Used as given (not escaped).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().into();
        self
    }

    /// Bounds each Redis call (default 500 ms): 1 ms to 24 hours, else an error naming the
    /// setting.
    pub fn timeout(mut self, timeout: Duration) -> Result<Self, ConfigError> {
        self.timeout = super::check_timeout("RedisTokenStore timeout", timeout)?;
        Ok(self)
    }

    /// During an outage, Redis is tried again at most once per `interval` (default 1 s);
    /// calls in between fall back at once. Applies to every store sharing the connection.
    /// At most 24 hours (zero: never skip Redis), else an error naming the setting.
    pub fn retry_interval(self, interval: Duration) -> Result<Self, ConfigError> {
        let interval = super::check_retry_interval("RedisTokenStore retry_interval", interval)?;
        self.conn.outage.set_retry_interval(interval);
        Ok(self)
    }

    /// Whether the last Redis call failed (degraded mode).
    pub fn is_down(&self) -> bool {
        self.conn.outage.is_down()
    }

    /// The connection's outage state.
    pub fn outage(&self) -> &Outage {
        &self.conn.outage
    }

    /// The Redis key of `key`'s token: `{prefix}:token:{app_id}:{tenant|app}:{tenant_key or -}`
    /// (app id and tenant key escaped: `%XX` for `:`, `%`, `{`, `}`, space, control
    /// characters, and a lone `-`).
    pub fn token_key_name(&self, key: &TokenStoreKey) -> String {
        self.key_name("token", key)
    }

    /// The Redis key of `key`'s fetch lock: `{prefix}:lock:{app_id}:{tenant|app}:{tenant_key or -}`.
    pub fn lock_key_name(&self, key: &TokenStoreKey) -> String {
        self.key_name("lock", key)
    }

    fn key_name(&self, kind: &str, key: &TokenStoreKey) -> String {
        let (token, tenant) = match key.token() {
            TokenKey::Tenant(tenant) => ("tenant", tenant.as_deref()),
            TokenKey::App => ("app", None),
        };
        format!(
            "{}:{kind}:{}:{token}:{}",
            self.prefix,
            key_part(key.app_id()),
            tenant.map(key_part).unwrap_or("-".into())
        )
    }
}

/// Reads [`GET_TOKEN`](super::scripts::GET_TOKEN)'s answer; anything else is "no token"
/// (a hostile or foreign value is replaced by the next fetch).
fn parse_stored(answer: Value) -> Option<StoredToken> {
    let Value::Array(items) = answer else {
        return None;
    };
    let [token, lifetime, pttl] = <[Value; 3]>::try_from(items).ok()?;
    let token = String::from_utf8(bulk(token)?).ok()?;
    let lifetime_ms = match lifetime {
        Value::Int(n) => u64::try_from(n).ok()?,
        other => std::str::from_utf8(&bulk(other)?).ok()?.parse().ok()?,
    };
    let Value::Int(pttl) = pttl else {
        return None;
    };
    let remaining = Duration::from_millis(u64::try_from(pttl).ok().filter(|&n| n > 0)?);
    Some(StoredToken::expiring_in(
        Secret::from(token),
        remaining,
        Duration::from_millis(lifetime_ms),
    ))
}

fn bulk(value: Value) -> Option<Vec<u8>> {
    match value {
        Value::BulkString(bytes) => Some(bytes),
        Value::SimpleString(s) => Some(s.into_bytes()),
        _ => None,
    }
}

fn is_one(value: &Value) -> bool {
    matches!(value, Value::Int(1))
}

impl TokenStore for RedisTokenStore {
    fn get<'a>(
        &'a self,
        key: &'a TokenStoreKey,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        let name = self.token_key_name(key);
        Box::pin(async move {
            let answer = self
                .conn
                .run(self.timeout, |mut conn| async move {
                    GET_TOKEN_SCRIPT
                        .key(&name)
                        .invoke_async::<Value>(&mut conn)
                        .await
                })
                .await?;
            Ok(parse_stored(answer))
        })
    }

    fn put<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        token: &'a Secret,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let name = self.token_key_name(key);
        Box::pin(async move {
            self.conn
                .run(self.timeout, |mut conn| async move {
                    PUT_TOKEN_SCRIPT
                        .key(&name)
                        .arg(token.expose())
                        .arg(px(ttl))
                        .invoke_async::<Value>(&mut conn)
                        .await
                })
                .await?;
            Ok(())
        })
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        token: &'a Secret,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let name = self.token_key_name(key);
        Box::pin(async move {
            let answer = self
                .conn
                .run(self.timeout, |mut conn| async move {
                    COMPARE_AND_DELETE_SCRIPT
                        .key(&name)
                        .arg(token.expose())
                        .invoke_async::<Value>(&mut conn)
                        .await
                })
                .await?;
            Ok(is_one(&answer))
        })
    }

    fn lock<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockId>, StoreError>> {
        let name = self.lock_key_name(key);
        Box::pin(async move {
            let id = LockId::random();
            let created = set_nx_px(&self.conn, self.timeout, &name, id.as_str(), ttl).await?;
            Ok((created == Some(true)).then_some(id))
        })
    }

    fn unlock<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        lock: &'a LockId,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let name = self.lock_key_name(key);
        Box::pin(async move {
            let answer = self
                .conn
                .run(self.timeout, |mut conn| async move {
                    UNLOCK_SCRIPT
                        .key(&name)
                        .arg(lock.as_str())
                        .invoke_async::<Value>(&mut conn)
                        .await
                })
                .await?;
            Ok(is_one(&answer))
        })
    }
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("down", &self.is_down())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_app_and_tenant_never_the_secret() {
        let store = RedisTokenStore::new("redis://127.0.0.1:1/")
            .unwrap()
            .prefix("p");
        let tenant = TokenStoreKey::new("cli_1", TokenKey::Tenant(None));
        assert_eq!(store.token_key_name(&tenant), "p:token:cli_1:tenant:-");
        assert_eq!(store.lock_key_name(&tenant), "p:lock:cli_1:tenant:-");
        let app = TokenStoreKey::new("cli_1", TokenKey::App);
        assert_eq!(store.token_key_name(&app), "p:token:cli_1:app:-");
        let store_tenant = TokenStoreKey::new("cli_1", TokenKey::Tenant(Some("t1".into())));
        assert_eq!(
            store.token_key_name(&store_tenant),
            "p:token:cli_1:tenant:t1"
        );
        // Escaping keeps different keys apart.
        let odd = TokenStoreKey::new("a:tenant:b", TokenKey::Tenant(Some("-".into())));
        assert_eq!(
            store.token_key_name(&odd),
            "p:token:a%3Atenant%3Ab:tenant:%2D"
        );
        let braces = TokenStoreKey::new("{x}", TokenKey::Tenant(Some("a b%".into())));
        assert_eq!(
            store.token_key_name(&braces),
            "p:token:%7Bx%7D:tenant:a%20b%25"
        );
        assert_eq!(
            RedisTokenStore::new("redis://h/")
                .unwrap()
                .token_key_name(&app),
            "lark:token:cli_1:app:-"
        );
    }

    #[test]
    fn url_errors_and_debug_do_not_show_the_url() {
        let err = RedisTokenStore::new("redis://:hunter2-password@/").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = RedisTokenStore::new("nonsense://:hunter2-password@h/").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let store = RedisTokenStore::new("redis://:hunter2-password@127.0.0.1:1/").unwrap();
        let dbg = format!("{store:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("prefix"), "{dbg}");
    }

    #[test]
    fn hostile_answers_read_as_no_token() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let good = Value::Array(vec![bulk("t-1"), bulk("7200000"), Value::Int(5000)]);
        let stored = parse_stored(good).unwrap();
        assert_eq!(stored.token.expose(), "t-1");
        assert_eq!(stored.lifetime_ms, 7_200_000);
        assert!(stored.remaining() <= Duration::from_secs(5));
        assert!(stored.remaining() >= Duration::from_secs(4));
        for hostile in [
            Value::Nil,
            Value::Okay,
            Value::Int(1),
            Value::Array(vec![]),
            Value::Array(vec![bulk("t"), bulk("1")]),
            Value::Array(vec![bulk("t"), bulk("x"), Value::Int(5)]),
            Value::Array(vec![bulk("t"), bulk("-5"), Value::Int(5)]),
            Value::Array(vec![bulk("t"), bulk("5"), Value::Int(-1)]),
            Value::Array(vec![bulk("t"), bulk("5"), bulk("5")]),
            Value::Array(vec![
                Value::BulkString(vec![0xff, 0xfe]),
                bulk("5"),
                Value::Int(5),
            ]),
            Value::Array(vec![Value::Nil, bulk("5"), Value::Int(5)]),
            Value::Array(vec![bulk("t"), bulk("5"), Value::Int(5), Value::Int(5)]),
        ] {
            assert!(parse_stored(hostile.clone()).is_none(), "{hostile:?}");
        }
        assert!(is_one(&Value::Int(1)));
        assert!(!is_one(&Value::Int(2)));
        assert!(!is_one(&bulk("1")));
    }
}
