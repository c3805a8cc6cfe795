//! The shared fetch path: a [`TokenFetcher`] that asks a [`TokenStore`] before the platform.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::token_store::{LockId, StoreError, TokenStore, TokenStoreKey};
use crate::auth::{
    bearer_header, AccessToken, FetchFuture, Fetched, Secret, TokenError, TokenFetcher, TokenKey,
    TokenSource, MAX_TOKEN_LIFETIME,
};
use crate::clock;

/// How long a process may hold a token's fetch lock by default: a process that dies holding
/// it delays the others by at most this.
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(10);

/// First wait between two looks at the store while another process fetches.
pub(crate) const POLL_MIN: Duration = Duration::from_millis(20);
/// Longest wait between two looks.
pub(crate) const POLL_MAX: Duration = Duration::from_millis(200);

/// The client's token fetcher: `fetcher` itself without a store, else a [`SharedFetcher`]
/// around it.
pub(crate) fn with_store(
    fetcher: Arc<dyn TokenFetcher>,
    store: Option<Arc<dyn TokenStore>>,
    app_id: String,
    refresh_ahead: Duration,
    lock_ttl: Duration,
) -> Arc<dyn TokenFetcher> {
    match store {
        None => fetcher,
        Some(store) => Arc::new(SharedFetcher::new(
            fetcher,
            store,
            app_id,
            refresh_ahead,
            lock_ttl,
        )),
    }
}

/// Wraps the client's own fetcher: a token another process stored is used as is; otherwise
/// one process (the lock holder) fetches and stores it while the others wait for it. Any
/// store failure falls back to the wrapped fetcher, as without a store.
pub(crate) struct SharedFetcher {
    inner: Arc<dyn TokenFetcher>,
    store: Arc<dyn TokenStore>,
    app_id: String,
    refresh_ahead: Duration,
    lock_ttl: Duration,
    /// The last token the platform rejected, per key: never taken from the store again,
    /// and evicted from it (compare and delete) before the next fetch.
    rejected: Mutex<HashMap<TokenKey, Rejected>>,
}

struct Rejected {
    token: Secret,
    evicted: bool,
}

/// What the shared path produced.
enum Shared {
    /// A usable token from the store.
    Found(Fetched),
    /// This process held the lock and asked the platform: its answer.
    Fetched(Result<Fetched, TokenError>),
}

impl SharedFetcher {
    pub(crate) fn new(
        inner: Arc<dyn TokenFetcher>,
        store: Arc<dyn TokenStore>,
        app_id: impl Into<String>,
        refresh_ahead: Duration,
        lock_ttl: Duration,
    ) -> Self {
        SharedFetcher {
            inner,
            store,
            app_id: app_id.into(),
            refresh_ahead,
            lock_ttl,
            rejected: Mutex::new(HashMap::new()),
        }
    }

    fn rejected_map(&self) -> MutexGuard<'_, HashMap<TokenKey, Rejected>> {
        self.rejected.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn fetch_key(
        &self,
        key: &TokenKey,
        source: &dyn TokenSource,
    ) -> Result<Fetched, TokenError> {
        let skey = TokenStoreKey::new(self.app_id.as_str(), key.clone());
        match self.shared(&skey, source).await {
            Ok(Shared::Found(fetched)) => {
                tracing::debug!(
                    remaining_secs = fetched.expires_in.as_secs(),
                    "token taken from the shared store"
                );
                Ok(fetched)
            }
            Ok(Shared::Fetched(result)) => result,
            Err(error) => {
                tracing::debug!(%error, "token store unavailable; fetching the token directly");
                self.inner.fetch(key, source).await
            }
        }
    }

    async fn shared(
        &self,
        skey: &TokenStoreKey,
        source: &dyn TokenSource,
    ) -> Result<Shared, StoreError> {
        let key = skey.token();
        self.evict_rejected(skey).await?;
        let give_up = clock::after(clock::now(), self.lock_ttl.saturating_mul(2));
        let mut pause = POLL_MIN;
        loop {
            if let Some(found) = self.usable(key, self.store.get(skey).await?) {
                return Ok(Shared::Found(found));
            }
            if let Some(lock) = self.store.lock(skey, self.lock_ttl).await? {
                let guard = LockGuard {
                    store: Arc::clone(&self.store),
                    key: skey.clone(),
                    lock: Some(lock),
                };
                return self.fetch_holding(skey, source, guard).await;
            }
            if clock::now() >= give_up {
                tracing::warn!(
                    waited_ms = super::token_store::millis(self.lock_ttl.saturating_mul(2)),
                    "another process has held the token lock too long; fetching the token directly"
                );
                return Err(StoreError::Unavailable(
                    "the token lock stayed taken".into(),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = pause.saturating_mul(2).min(POLL_MAX);
        }
    }

    /// Holding the lock: look once more (another process may have stored a token since),
    /// else fetch from the platform and store the token for the others.
    async fn fetch_holding(
        &self,
        skey: &TokenStoreKey,
        source: &dyn TokenSource,
        guard: LockGuard,
    ) -> Result<Shared, StoreError> {
        let key = skey.token();
        match self.store.get(skey).await {
            Ok(found) => {
                if let Some(found) = self.usable(key, found) {
                    guard.release().await;
                    return Ok(Shared::Found(found));
                }
            }
            Err(error) => {
                guard.release().await;
                return Err(error);
            }
        }
        let started = clock::now();
        let result = self.inner.fetch(key, source).await;
        if let Ok(fetched) = &result {
            let ttl = fetched
                .expires_in
                .min(MAX_TOKEN_LIFETIME)
                .saturating_sub(clock::now().saturating_duration_since(started));
            if !ttl.is_zero() {
                match self.store.put(skey, &fetched.token, ttl).await {
                    Ok(()) => tracing::debug!(
                        ttl_secs = ttl.as_secs(),
                        "token stored in the shared store"
                    ),
                    Err(error) => {
                        tracing::debug!(%error, "could not store the token in the shared store")
                    }
                }
            }
        }
        guard.release().await;
        Ok(Shared::Fetched(result))
    }

    /// The stored token as the cache should take it, if it is usable: a token an HTTP
    /// header can carry, not the one the platform last rejected, and with more life left
    /// than the cache would refresh it at (`min(refresh_ahead, lifetime / 2)`).
    fn usable(
        &self,
        key: &TokenKey,
        found: Option<super::token_store::StoredToken>,
    ) -> Option<Fetched> {
        let stored = found?;
        if stored.token.is_empty() || bearer_header(stored.token.expose()).is_none() {
            tracing::debug!("the shared store holds a token no header can carry; ignoring it");
            return None;
        }
        if self
            .rejected_map()
            .get(key)
            .is_some_and(|r| r.token == stored.token)
        {
            return None;
        }
        let remaining = stored.remaining().min(MAX_TOKEN_LIFETIME);
        let lifetime = stored.lifetime().max(remaining);
        let lead = self.refresh_ahead.min(lifetime / 2);
        (remaining > lead).then_some(Fetched {
            token: stored.token,
            expires_in: remaining,
        })
    }

    /// Deletes the token the platform last rejected for this key from the store, unless
    /// another process has replaced it.
    async fn evict_rejected(&self, skey: &TokenStoreKey) -> Result<(), StoreError> {
        let pending = self
            .rejected_map()
            .get(skey.token())
            .filter(|r| !r.evicted)
            .map(|r| r.token.clone());
        let Some(token) = pending else {
            return Ok(());
        };
        let deleted = self.store.compare_and_delete(skey, &token).await?;
        if let Some(r) = self.rejected_map().get_mut(skey.token()) {
            if r.token == token {
                r.evicted = true;
            }
        }
        tracing::debug!(
            deleted,
            "rejected token evicted from the shared store (unless already replaced)"
        );
        Ok(())
    }
}

impl TokenFetcher for SharedFetcher {
    fn fetch<'a>(
        &'a self,
        key: &'a TokenKey,
        source: &'a dyn TokenSource,
    ) -> FetchFuture<'a, Fetched> {
        Box::pin(self.fetch_key(key, source))
    }

    fn resend_app_ticket(&self) -> FetchFuture<'_, ()> {
        self.inner.resend_app_ticket()
    }

    fn rejected(&self, key: &TokenKey, token: &AccessToken) {
        self.rejected_map().insert(
            key.clone(),
            Rejected {
                token: token.secret().clone(),
                evicted: false,
            },
        );
        self.inner.rejected(key, token);
    }
}

impl fmt::Debug for SharedFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedFetcher")
            .field("app_id", &self.app_id)
            .field("lock_ttl", &self.lock_ttl)
            .finish_non_exhaustive()
    }
}

/// A held fetch lock: released by [`release`](Self::release), or, if the fetch is dropped
/// (cancelled), by a task spawned on drop; at worst it expires with its TTL.
struct LockGuard {
    store: Arc<dyn TokenStore>,
    key: TokenStoreKey,
    lock: Option<LockId>,
}

impl LockGuard {
    async fn release(mut self) {
        if let Some(lock) = self.lock.take() {
            if let Err(error) = self.store.unlock(&self.key, &lock).await {
                tracing::debug!(%error, "could not release the token lock; it expires with its TTL");
            }
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let Some(lock) = self.lock.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let store = Arc::clone(&self.store);
            let key = self.key.clone();
            runtime.spawn(async move {
                let _ = store.unlock(&key, &lock).await;
            });
        }
    }
}
