//! The [`TokenStore`] interface: where the replicas of one app keep their access tokens.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;

use crate::auth::{Secret, TokenKey};

/// Why a shared store could not answer. The SDK then falls back to the process's own state
/// (see the [module docs](super)); the error is never returned to a caller of an API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store did not answer within its timeout.
    #[error("the store did not answer within {0:?}")]
    Timeout(Duration),
    /// The store is failing (connection refused or dropped, an error reply, or skipped
    /// because it failed a moment ago).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The store answered something this SDK does not understand.
    #[error("the store answered unexpectedly: {0}")]
    Malformed(String),
}

/// Which token of which app: the key of a [`TokenStore`] entry and of its lock.
///
/// It names the app (its id) and the token ([`TokenKey`]: tenant or app token, and the
/// tenant key of a store app's tenant), never the app secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenStoreKey {
    app_id: String,
    token: TokenKey,
}

impl TokenStoreKey {
    /// The entry of `token` for the app `app_id`.
    pub fn new(app_id: impl Into<String>, token: TokenKey) -> Self {
        TokenStoreKey {
            app_id: app_id.into(),
            token,
        }
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Which token.
    pub fn token(&self) -> &TokenKey {
        &self.token
    }
}

/// A token as a [`TokenStore`] holds it.
///
/// `Debug` does not show the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The access token.
    pub token: Secret,
    /// When it expires, in milliseconds since the Unix epoch (wall clock).
    pub expires_at_unix_ms: u64,
    /// The lifetime it was stored with ([`TokenStore::put`]'s `ttl`), in milliseconds: the
    /// SDK replaces a stored token when less than `min(refresh_ahead, lifetime / 2)` is
    /// left, as its own cache does.
    pub lifetime_ms: u64,
}

impl StoredToken {
    /// A token that expires `remaining` from now (wall clock) and was stored for
    /// `lifetime`.
    pub fn expiring_in(token: Secret, remaining: Duration, lifetime: Duration) -> Self {
        StoredToken {
            token,
            expires_at_unix_ms: unix_ms_now().saturating_add(millis(remaining)),
            lifetime_ms: millis(lifetime),
        }
    }

    /// Time left until [`expires_at_unix_ms`](Self::expires_at_unix_ms), zero once expired.
    pub fn remaining(&self) -> Duration {
        Duration::from_millis(self.expires_at_unix_ms.saturating_sub(unix_ms_now()))
    }

    /// The stored lifetime.
    pub fn lifetime(&self) -> Duration {
        Duration::from_millis(self.lifetime_ms)
    }
}

/// Milliseconds since the Unix epoch now (0 if the clock is before it).
pub(crate) fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(millis)
        .unwrap_or(0)
}

/// Whole milliseconds of `d`, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Who holds a [`TokenStore`] lock: a random value only its taker knows, so that only the
/// taker releases it ([`TokenStore::unlock`] compares it).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LockId(String);

impl LockId {
    /// A new random id (128 bits, hex).
    pub fn random() -> Self {
        LockId(format!(
            "{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        ))
    }

    /// An id with this value (for stores that make their own).
    pub fn new(value: impl Into<String>) -> Self {
        LockId(value.into())
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockId({})", self.0)
    }
}

/// Where several processes of one app share their access tokens, so that a fleet fetches
/// each token once (see the [module docs](super) for the protocol).
///
/// Set one with [`ClientBuilder::token_store`](crate::ClientBuilder::token_store); without
/// one (the default) each client keeps its tokens to itself. `RedisTokenStore`
/// (feature `redis`) is the SDK's implementation; [`MemoryTokenStore`] shares tokens
/// between the clients of one process.
///
/// Every method may fail ([`StoreError`]); the SDK then gets the token itself, as if there
/// were no store, so an implementation should bound its calls with a short timeout.
/// An implementation logs its own outages (once per outage, e.g. with
/// [`Outage`](super::Outage)); the SDK logs falling back at `debug` level only.
///
/// [`MemoryTokenStore`]: super::MemoryTokenStore
pub trait TokenStore: Send + Sync + 'static {
    /// The stored token for `key`, if any and not expired.
    fn get<'a>(
        &'a self,
        key: &'a TokenStoreKey,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>>;

    /// Stores `token` for `key`, replacing any other, for `ttl` (the token's lifetime; the
    /// entry is gone after it).
    fn put<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        token: &'a Secret,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Deletes the entry of `key` if it holds `token`, atomically; whether it did. A token
    /// another process stored meanwhile stays.
    fn compare_and_delete<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        token: &'a Secret,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Takes the fetch lock of `key` for `ttl` if nobody holds it; `None` if somebody does.
    /// A lock not released expires after `ttl`.
    fn lock<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockId>, StoreError>>;

    /// Releases the lock of `key` if `lock` still holds it (compare and delete); whether it
    /// did.
    fn unlock<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        lock: &'a LockId,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}

impl<T: TokenStore + ?Sized> TokenStore for Arc<T> {
    fn get<'a>(
        &'a self,
        key: &'a TokenStoreKey,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        (**self).get(key)
    }

    fn put<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        token: &'a Secret,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        (**self).put(key, token, ttl)
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        token: &'a Secret,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        (**self).compare_and_delete(key, token)
    }

    fn lock<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockId>, StoreError>> {
        (**self).lock(key, ttl)
    }

    fn unlock<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        lock: &'a LockId,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        (**self).unlock(key, lock)
    }
}
