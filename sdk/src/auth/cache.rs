//! The per-client token cache.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::clock::{self, now};

use super::error::TokenError;
use super::fetcher::{FetchFuture, TokenFetcher, TokenSource};
use super::key::TokenKey;
use super::secret::{AccessToken, Secret};

/// How long before expiry a cached token is replaced by default (3 minutes,
/// like the Go and Node SDKs).
pub const DEFAULT_REFRESH_AHEAD: Duration = Duration::from_secs(3 * 60);

/// The longest lifetime a token is trusted for, whatever the server says: the
/// platform's tokens live 2 hours. A larger `expire` (a hostile or broken server
/// answering `u64::MAX` or `1e300`) is clamped to this.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// Caches tenant and app access tokens for one client.
///
/// Cloning is cheap (an `Arc`); clones share the tokens. There is no global
/// cache: each client owns one.
///
/// * [`get`](Self::get) returns the cached token while it has more than
///   `refresh_ahead` left (or, for tokens that live less than twice
///   `refresh_ahead`, until half their lifetime has passed), and otherwise
///   fetches a new one.
/// * **Single flight.** Per [`TokenKey`] at most one fetch runs at a time; all
///   `get`s that find no fresh token wait for it and share its outcome, success
///   or error.
/// * **Reads are not blocked by fetches.** A fresh token is read under a
///   short `std` lock that no fetch holds across an `.await`.
/// * [`invalidate`](Self::invalidate) drops a token the platform rejected,
///   unless it has already been replaced.
/// * It also holds the store-app `app_ticket`
///   ([`set_app_ticket`](Self::set_app_ticket)) and can ask the platform to
///   push a new one ([`request_app_ticket_resend`](Self::request_app_ticket_resend)).
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<Inner>,
}

struct Inner {
    fetcher: Arc<dyn TokenFetcher>,
    refresh_ahead: Duration,
    slots: RwLock<HashMap<TokenKey, Arc<Slot>>>,
    app_ticket: RwLock<Option<Secret>>,
}

/// One key's cached token and fetch state.
#[derive(Default)]
struct Slot {
    /// The cached token. Locked only for a clone or an assignment.
    entry: RwLock<Option<Entry>>,
    /// Held by the one `get` that is fetching. Holds the error of the last
    /// finished flight (`None` if it succeeded).
    flight: tokio::sync::Mutex<Option<TokenError>>,
    /// How many flights have finished; bumped (under `flight`) when one does.
    finished: AtomicU64,
}

struct Entry {
    token: AccessToken,
    /// From this instant on, `get` fetches a replacement.
    refresh_at: Instant,
}

impl Slot {
    /// The token if it does not need refreshing yet.
    fn fresh(&self, now: Instant) -> Option<AccessToken> {
        let entry = self.entry.read().unwrap_or_else(PoisonError::into_inner);
        entry
            .as_ref()
            .filter(|e| now < e.refresh_at)
            .map(|e| e.token.clone())
    }

    /// The token if it has not expired (it may be due for a refresh).
    fn unexpired(&self, now: Instant) -> Option<AccessToken> {
        let entry = self.entry.read().unwrap_or_else(PoisonError::into_inner);
        entry
            .as_ref()
            .filter(|e| now < e.token.expires_at())
            .map(|e| e.token.clone())
    }
}

impl TokenCache {
    /// A cache that gets its tokens from `fetcher` and replaces them
    /// `refresh_ahead` before they expire (see [`DEFAULT_REFRESH_AHEAD`]).
    pub(crate) fn new(fetcher: Arc<dyn TokenFetcher>, refresh_ahead: Duration) -> Self {
        TokenCache {
            inner: Arc::new(Inner {
                fetcher,
                refresh_ahead,
                slots: RwLock::new(HashMap::new()),
                app_ticket: RwLock::new(None),
            }),
        }
    }

    /// How long before expiry tokens are replaced.
    pub fn refresh_ahead(&self) -> Duration {
        self.inner.refresh_ahead
    }

    /// The token for `key`: the cached one if it is fresh, else a new one.
    ///
    /// Concurrent calls for the same key share one fetch. If that fetch fails,
    /// every call that was waiting for it gets a clone of the same error
    /// (they do not each retry); the next call after that tries again. If the
    /// fetch fails while the previous token has not expired yet (it was only
    /// due for an early refresh), that token is returned instead of the error.
    ///
    /// Cancel-safe: if the fetching call is dropped, the next waiter fetches.
    pub async fn get(&self, key: &TokenKey) -> Result<AccessToken, TokenError> {
        let slot = self.slot(key);
        if let Some(token) = slot.fresh(now()) {
            return Ok(token);
        }
        let seen = slot.finished.load(Ordering::Acquire);
        let mut last_error = slot.flight.lock().await;
        if let Some(token) = slot.fresh(now()) {
            return Ok(token);
        }
        if slot.finished.load(Ordering::Acquire) != seen {
            // A flight finished while we were waiting for it: its outcome is ours.
            if let Some(token) = slot.unexpired(now()) {
                return Ok(token);
            }
            if let Some(err) = last_error.as_ref() {
                return Err(err.clone());
            }
        }

        let span = tracing::info_span!(
            "lark.token.fetch",
            kind = key.kind(),
            tenant_key = key.tenant_key()
        );
        let started = now();
        let result = self
            .inner
            .fetcher
            .fetch(key, self as &dyn TokenSource)
            .instrument(span.clone())
            .await;
        let outcome = match result {
            Ok(fetched) => {
                let lifetime = fetched.expires_in.min(MAX_TOKEN_LIFETIME);
                let token = AccessToken::new(fetched.token, clock::after(started, lifetime));
                let lead = self.inner.refresh_ahead.min(lifetime / 2);
                let refresh_at = clock::before(token.expires_at(), lead);
                *slot.entry.write().unwrap_or_else(PoisonError::into_inner) = Some(Entry {
                    token: token.clone(),
                    refresh_at,
                });
                *last_error = None;
                span.in_scope(|| {
                    tracing::debug!(expires_in_secs = lifetime.as_secs(), "token fetched");
                });
                Ok(token)
            }
            Err(err) => {
                *last_error = Some(err.clone());
                match slot.unexpired(now()) {
                    Some(old) => {
                        span.in_scope(|| {
                            tracing::warn!(error = %err, remaining_secs = old.remaining().as_secs(), "token refresh failed; keeping the current token");
                        });
                        Ok(old)
                    }
                    None => {
                        span.in_scope(|| tracing::warn!(error = %err, "token fetch failed"));
                        Err(err)
                    }
                }
            }
        };
        slot.finished.fetch_add(1, Ordering::Release);
        drop(last_error);
        outcome
    }

    /// Drops the cached token for `key` if it is `rejected` (the platform
    /// refused it, e.g. code 99991663). A token that has replaced it in the
    /// meantime is kept, so a late report about an old token costs no fetch.
    /// When it drops the token it tells the fetcher
    /// (its `rejected` hook), so that a shared store evicts it too.
    pub fn invalidate(&self, key: &TokenKey, rejected: &AccessToken) {
        let slot = {
            let slots = self
                .inner
                .slots
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            match slots.get(key) {
                Some(slot) => Arc::clone(slot),
                None => return,
            }
        };
        let mut entry = slot.entry.write().unwrap_or_else(PoisonError::into_inner);
        if entry
            .as_ref()
            .is_some_and(|e| e.token.secret() == rejected.secret())
        {
            *entry = None;
            drop(entry);
            tracing::debug!(
                kind = key.kind(),
                tenant_key = key.tenant_key(),
                "dropped a rejected token"
            );
            self.inner.fetcher.rejected(key, rejected);
        }
    }

    /// Stores the `app_ticket` a store app received in an `app_ticket` event.
    /// The next app token fetch uses it.
    pub fn set_app_ticket(&self, ticket: impl Into<String>) {
        *self
            .inner
            .app_ticket
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Secret::new(ticket));
        tracing::debug!("app_ticket updated");
    }

    /// The current `app_ticket`, if one was received.
    pub fn app_ticket(&self) -> Option<Secret> {
        self.inner
            .app_ticket
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Asks the platform to push a new `app_ticket` event now (store apps;
    /// the fetcher's `resend_app_ticket`).
    pub async fn request_app_ticket_resend(&self) -> Result<(), TokenError> {
        self.inner.fetcher.resend_app_ticket().await
    }

    fn slot(&self, key: &TokenKey) -> Arc<Slot> {
        if let Some(slot) = self
            .inner
            .slots
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
        {
            return Arc::clone(slot);
        }
        let mut slots = self
            .inner
            .slots
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slots.entry(key.clone()).or_default())
    }
}

impl TokenSource for TokenCache {
    fn app_ticket(&self) -> Option<Secret> {
        TokenCache::app_ticket(self)
    }

    fn token<'a>(&'a self, key: &'a TokenKey) -> FetchFuture<'a, AccessToken> {
        Box::pin(self.get(key))
    }

    fn invalidate(&self, key: &TokenKey, rejected: &AccessToken) {
        TokenCache::invalidate(self, key, rejected)
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self
            .inner
            .slots
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("TokenCache")
            .field("refresh_ahead", &self.inner.refresh_ahead)
            .field("keys", &keys)
            .field("has_app_ticket", &self.app_ticket().is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::auth::error::TokenErrorKind;
    use crate::auth::fetcher::FetchFuture;
    use crate::auth::key::Fetched;

    const EP: &str = "/open-apis/auth/v3/tenant_access_token/internal";

    /// Counts fetches; tokens are `tok-<n>`.
    struct Fake {
        calls: AtomicUsize,
        delay: Duration,
        lifetime: Duration,
        /// This many upcoming fetches fail.
        failures: AtomicUsize,
        /// Fetches of this key wait for `release`.
        blocked: Option<TokenKey>,
        release: tokio::sync::Notify,
    }

    impl Fake {
        fn new(delay: Duration, lifetime: Duration) -> Self {
            Fake {
                calls: AtomicUsize::new(0),
                delay,
                lifetime,
                failures: AtomicUsize::new(0),
                blocked: None,
                release: tokio::sync::Notify::new(),
            }
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    impl TokenFetcher for Fake {
        fn fetch<'a>(
            &'a self,
            key: &'a TokenKey,
            _source: &'a dyn TokenSource,
        ) -> FetchFuture<'a, Fetched> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                if self.blocked.as_ref() == Some(key) {
                    self.release.notified().await;
                }
                tokio::time::sleep(self.delay).await;
                let fail = self
                    .failures
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |f| f.checked_sub(1))
                    .is_ok();
                if fail {
                    return Err(TokenError::new(
                        EP,
                        TokenErrorKind::Rejected {
                            code: 10013,
                            msg: "failed to get tenant token".into(),
                        },
                    ));
                }
                Ok(Fetched {
                    token: Secret::from(format!("tok-{n}")),
                    expires_in: self.lifetime,
                })
            })
        }
    }

    fn cache_with(fake: Fake, refresh_ahead: Duration) -> (Arc<Fake>, TokenCache) {
        let fake = Arc::new(fake);
        let cache = TokenCache::new(fake.clone(), refresh_ahead);
        (fake, cache)
    }

    const HOUR: Duration = Duration::from_secs(3600);
    const MS50: Duration = Duration::from_millis(50);

    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn hundred_concurrent_cold_gets_make_one_fetch() {
        let (fake, cache) = cache_with(Fake::new(MS50, HOUR), DEFAULT_REFRESH_AHEAD);
        let barrier = Arc::new(tokio::sync::Barrier::new(100));
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let cache = cache.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    cache.get(&TokenKey::Tenant(None)).await
                })
            })
            .collect();
        for task in tasks {
            let token = task.await.unwrap().unwrap();
            assert_eq!(token.expose(), "tok-1");
        }
        assert_eq!(fake.calls(), 1);
        // Warm: no more fetches.
        assert_eq!(
            cache.get(&TokenKey::Tenant(None)).await.unwrap().expose(),
            "tok-1"
        );
        assert_eq!(fake.calls(), 1);
    }

    #[tokio::test]
    async fn valid_token_is_served_while_another_key_is_fetching() {
        let slow = TokenKey::Tenant(Some("slow-tenant".into()));
        let mut fake = Fake::new(Duration::ZERO, HOUR);
        fake.blocked = Some(slow.clone());
        let (fake, cache) = cache_with(fake, DEFAULT_REFRESH_AHEAD);

        let app = cache.get(&TokenKey::App).await.unwrap();
        let pending = tokio::spawn({
            let cache = cache.clone();
            let slow = slow.clone();
            async move { cache.get(&slow).await }
        });
        while fake.calls() < 2 {
            tokio::task::yield_now().await;
        }
        // The slow fetch is in progress (and holds its key's flight lock).
        for _ in 0..10 {
            let again = tokio::time::timeout(Duration::from_millis(100), cache.get(&TokenKey::App))
                .await
                .expect("a cached token must not wait for another key's fetch")
                .unwrap();
            assert_eq!(again, app);
        }
        assert!(!pending.is_finished());
        fake.release.notify_one();
        assert_eq!(pending.await.unwrap().unwrap().expose(), "tok-2");
        assert_eq!(fake.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_ahead_of_expiry() {
        let lifetime = Duration::from_secs(600);
        let (fake, cache) = cache_with(Fake::new(MS50, lifetime), DEFAULT_REFRESH_AHEAD);
        let key = TokenKey::Tenant(None);
        let t1 = cache.get(&key).await.unwrap();
        assert_eq!(t1.expose(), "tok-1");
        // Expiry counts from the start of the fetch.
        let expected = now() - MS50 + lifetime;
        assert_eq!(t1.expires_at(), expected);

        tokio::time::advance(Duration::from_secs(6 * 60)).await; // 4 min left
        assert_eq!(cache.get(&key).await.unwrap(), t1);
        assert_eq!(fake.calls(), 1);

        tokio::time::advance(Duration::from_secs(65)).await; // < 3 min left
        let t2 = cache.get(&key).await.unwrap();
        assert_eq!(t2.expose(), "tok-2");
        assert_eq!(fake.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn short_lived_tokens_refresh_at_half_life() {
        // refresh_ahead larger than the lifetime must not refetch on every get.
        let (fake, cache) = cache_with(Fake::new(Duration::ZERO, Duration::from_secs(100)), HOUR);
        let key = TokenKey::App;
        let t1 = cache.get(&key).await.unwrap();
        tokio::time::advance(Duration::from_secs(49)).await;
        assert_eq!(cache.get(&key).await.unwrap(), t1);
        assert_eq!(fake.calls(), 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(cache.get(&key).await.unwrap().expose(), "tok-2");
    }

    #[tokio::test]
    async fn invalidate_drops_only_the_rejected_token() {
        let (fake, cache) = cache_with(Fake::new(Duration::ZERO, HOUR), DEFAULT_REFRESH_AHEAD);
        let key = TokenKey::Tenant(None);
        let t1 = cache.get(&key).await.unwrap();

        // Another key's token is not touched.
        let app = cache.get(&TokenKey::App).await.unwrap();
        cache.invalidate(&TokenKey::App, &t1);
        assert_eq!(cache.get(&TokenKey::App).await.unwrap(), app);
        assert_eq!(fake.calls(), 2);

        cache.invalidate(&key, &t1);
        let t3 = cache.get(&key).await.unwrap();
        assert_eq!(t3.expose(), "tok-3");
        assert_eq!(fake.calls(), 3);

        // A late report about t1 keeps t3.
        cache.invalidate(&key, &t1);
        assert_eq!(cache.get(&key).await.unwrap(), t3);
        assert_eq!(fake.calls(), 3);

        // Unknown key: nothing happens.
        cache.invalidate(&TokenKey::Tenant(Some("nobody".into())), &t3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn failed_fetch_is_shared_by_its_waiters_and_retried_later() {
        let fake = Fake::new(MS50, HOUR);
        fake.failures.store(1, Ordering::SeqCst);
        let (fake, cache) = cache_with(fake, DEFAULT_REFRESH_AHEAD);
        let key = TokenKey::Tenant(None);
        let barrier = Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, barrier, key) = (cache.clone(), barrier.clone(), key.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    cache.get(&key).await
                })
            })
            .collect();
        for task in tasks {
            let err = task.await.unwrap().unwrap_err();
            assert_eq!(err.code(), Some(10013));
            assert_eq!(err.endpoint(), EP);
        }
        assert_eq!(
            fake.calls(),
            1,
            "waiters of a failed flight must not each fetch"
        );

        assert_eq!(cache.get(&key).await.unwrap().expose(), "tok-2");
        assert_eq!(fake.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_refresh_keeps_the_unexpired_token() {
        let (fake, cache) = cache_with(
            Fake::new(Duration::ZERO, Duration::from_secs(600)),
            DEFAULT_REFRESH_AHEAD,
        );
        let key = TokenKey::App;
        let t1 = cache.get(&key).await.unwrap();
        tokio::time::advance(Duration::from_secs(8 * 60)).await; // due for refresh, not expired
        fake.failures.store(1, Ordering::SeqCst);
        assert_eq!(cache.get(&key).await.unwrap(), t1);
        assert_eq!(fake.calls(), 2);

        tokio::time::advance(Duration::from_secs(3 * 60)).await; // expired
        fake.failures.store(1, Ordering::SeqCst);
        assert_eq!(cache.get(&key).await.unwrap_err().code(), Some(10013));
        assert_eq!(cache.get(&key).await.unwrap().expose(), "tok-4");
    }

    #[tokio::test]
    async fn cancelled_fetch_does_not_block_the_key() {
        let key = TokenKey::App;
        let mut fake = Fake::new(Duration::ZERO, HOUR);
        fake.blocked = Some(key.clone());
        let (fake, cache) = cache_with(fake, DEFAULT_REFRESH_AHEAD);
        let pending = tokio::spawn({
            let cache = cache.clone();
            async move { cache.get(&TokenKey::App).await }
        });
        while fake.calls() < 1 {
            tokio::task::yield_now().await;
        }
        pending.abort();
        assert!(pending.await.unwrap_err().is_cancelled());
        fake.release.notify_one();
        assert_eq!(cache.get(&key).await.unwrap().expose(), "tok-2");
    }

    #[tokio::test]
    async fn app_ticket_and_debug_are_redacted() {
        let (_fake, cache) = cache_with(Fake::new(Duration::ZERO, HOUR), DEFAULT_REFRESH_AHEAD);
        assert!(cache.app_ticket().is_none());
        cache.set_app_ticket("ticket-secret-xyz");
        assert_eq!(cache.app_ticket().unwrap().expose(), "ticket-secret-xyz");
        let token = cache.get(&TokenKey::App).await.unwrap();
        let dbg = format!("{cache:?} {token:?}");
        assert!(!dbg.contains("ticket-secret-xyz"), "{dbg}");
        assert!(!dbg.contains(token.expose()), "{dbg}");
        assert!(dbg.contains("has_app_ticket: true"), "{dbg}");
        // The fake's default resend is a no-op.
        cache.request_app_ticket_resend().await.unwrap();
    }
}
