//! The shared fetch path against the in-memory store and failing stores (the Redis store
//! itself is tested against a real redis-server in `tests/tests/e2e_shared_tokens.rs`).

use futures_util::future::BoxFuture;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::auth::{
    FetchFuture, Fetched, Secret, TokenCache, TokenFetcher, TokenKey, TokenSource,
    DEFAULT_REFRESH_AHEAD,
};
use crate::clock;

const HOUR: Duration = Duration::from_secs(3600);

/// Counts fetches (shared by every cache of a test); tokens are `tok-<n>`.
struct Platform {
    calls: AtomicUsize,
    delay: Duration,
    lifetime: Duration,
}

impl Platform {
    fn new(delay: Duration, lifetime: Duration) -> Arc<Self> {
        Arc::new(Platform {
            calls: AtomicUsize::new(0),
            delay,
            lifetime,
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

struct Fetcher(Arc<Platform>);

impl TokenFetcher for Fetcher {
    fn fetch<'a>(
        &'a self,
        _key: &'a TokenKey,
        _source: &'a dyn TokenSource,
    ) -> FetchFuture<'a, Fetched> {
        Box::pin(async move {
            let n = self.0.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(self.0.delay).await;
            Ok(Fetched {
                token: Secret::from(format!("tok-{n}")),
                expires_in: self.0.lifetime,
            })
        })
    }
}

fn cache(platform: &Arc<Platform>, store: Arc<dyn TokenStore>) -> TokenCache {
    cache_with_ttl(platform, store, DEFAULT_LOCK_TTL)
}

fn cache_with_ttl(
    platform: &Arc<Platform>,
    store: Arc<dyn TokenStore>,
    lock_ttl: Duration,
) -> TokenCache {
    TokenCache::new(
        with_store(
            Arc::new(Fetcher(Arc::clone(platform))),
            Some(store),
            "cli_test".into(),
            DEFAULT_REFRESH_AHEAD,
            lock_ttl,
        ),
        DEFAULT_REFRESH_AHEAD,
    )
}

fn tenant() -> TokenKey {
    TokenKey::Tenant(None)
}

fn skey() -> TokenStoreKey {
    TokenStoreKey::new("cli_test", tenant())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn caches_sharing_a_store_make_one_fetch_for_a_cold_burst() {
    let platform = Platform::new(Duration::from_millis(50), HOUR);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let caches: Vec<TokenCache> = (0..4).map(|_| cache(&platform, store.clone())).collect();
    let barrier = Arc::new(tokio::sync::Barrier::new(200));
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let cache = caches[i % caches.len()].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                cache.get(&tenant()).await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().expose(), "tok-1");
    }
    assert_eq!(platform.calls(), 1);
    // The stored token carries its remaining lifetime.
    let token = caches[3].get(&tenant()).await.unwrap();
    assert!(token.remaining() > HOUR - Duration::from_secs(5));
    assert!(token.remaining() <= HOUR);
}

#[tokio::test]
async fn a_rejected_token_is_evicted_only_while_it_is_the_stored_one() {
    let platform = Platform::new(Duration::ZERO, HOUR);
    let store = MemoryTokenStore::new();
    let shared: Arc<dyn TokenStore> = Arc::new(store.clone());
    let (a, b) = (cache(&platform, shared.clone()), cache(&platform, shared));
    let t1 = a.get(&tenant()).await.unwrap();
    assert_eq!(b.get(&tenant()).await.unwrap().expose(), t1.expose());
    assert_eq!(platform.calls(), 1);

    // A's request is rejected: A evicts t1 from the store and fetches t2.
    a.invalidate(&tenant(), &t1);
    let t2 = a.get(&tenant()).await.unwrap();
    assert_eq!(t2.expose(), "tok-2");
    // B learns late that t1 was rejected: t2 stays in the store and B takes it.
    b.invalidate(&tenant(), &t1);
    assert_eq!(b.get(&tenant()).await.unwrap().expose(), "tok-2");
    assert_eq!(platform.calls(), 2);
    let stored = store.get(&skey()).await.unwrap().unwrap();
    assert_eq!(stored.token.expose(), "tok-2");
}

/// Every call fails, as a Redis that is down.
struct DownStore {
    calls: AtomicUsize,
}

impl DownStore {
    fn fail<'a, T: Send + 'a>(&'a self) -> BoxFuture<'a, Result<T, StoreError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err(StoreError::Unavailable("connection refused".into())) })
    }
}

impl TokenStore for DownStore {
    fn get<'a>(
        &'a self,
        _: &'a TokenStoreKey,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        self.fail()
    }
    fn put<'a>(
        &'a self,
        _: &'a TokenStoreKey,
        _: &'a Secret,
        _: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.fail()
    }
    fn compare_and_delete<'a>(
        &'a self,
        _: &'a TokenStoreKey,
        _: &'a Secret,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.fail()
    }
    fn lock<'a>(
        &'a self,
        _: &'a TokenStoreKey,
        _: Duration,
    ) -> BoxFuture<'a, Result<Option<LockId>, StoreError>> {
        self.fail()
    }
    fn unlock<'a>(
        &'a self,
        _: &'a TokenStoreKey,
        _: &'a LockId,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.fail()
    }
}

#[tokio::test]
async fn a_failing_store_falls_back_to_fetching_directly() {
    let platform = Platform::new(Duration::ZERO, HOUR);
    let store = Arc::new(DownStore {
        calls: AtomicUsize::new(0),
    });
    let (a, b) = (
        cache(&platform, store.clone()),
        cache(&platform, store.clone()),
    );
    assert_eq!(a.get(&tenant()).await.unwrap().expose(), "tok-1");
    assert_eq!(b.get(&tenant()).await.unwrap().expose(), "tok-2");
    // Each cache still single-flights and caches its own token.
    assert_eq!(a.get(&tenant()).await.unwrap().expose(), "tok-1");
    assert_eq!(platform.calls(), 2);
    assert_eq!(store.calls.load(Ordering::SeqCst), 2, "one look per fetch");
}

#[tokio::test(start_paused = true)]
async fn a_lock_left_by_a_dead_holder_delays_by_at_most_its_ttl() {
    let platform = Platform::new(Duration::ZERO, HOUR);
    let store = MemoryTokenStore::new();
    // A process took the lock and died.
    let ttl = Duration::from_secs(3);
    store.lock(&skey(), ttl).await.unwrap().unwrap();
    let cache = cache_with_ttl(&platform, Arc::new(store.clone()), ttl);
    let started = clock::now();
    assert_eq!(cache.get(&tenant()).await.unwrap().expose(), "tok-1");
    let waited = clock::now() - started;
    assert!(waited >= ttl, "{waited:?}");
    assert!(waited <= ttl + Duration::from_millis(250), "{waited:?}");
    assert_eq!(platform.calls(), 1);
    // The holder released its lock.
    assert!(store.lock(&skey(), ttl).await.unwrap().is_some());
}

#[tokio::test(start_paused = true)]
async fn a_waiter_takes_the_token_as_soon_as_the_holder_stores_it() {
    let platform = Platform::new(Duration::ZERO, HOUR);
    let store = MemoryTokenStore::new();
    let lock = store
        .lock(&skey(), DEFAULT_LOCK_TTL)
        .await
        .unwrap()
        .unwrap();
    let cache = cache(&platform, Arc::new(store.clone()));
    let waiter = tokio::spawn(async move { cache.get(&tenant()).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished());
    store
        .put(&skey(), &Secret::from("from-another-replica"), HOUR)
        .await
        .unwrap();
    assert!(store.unlock(&skey(), &lock).await.unwrap());
    let started = clock::now();
    let token = waiter.await.unwrap().unwrap();
    assert_eq!(token.expose(), "from-another-replica");
    assert!(clock::now() - started <= super::fetcher::POLL_MAX);
    assert_eq!(platform.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_stored_token_near_its_end_is_replaced() {
    let platform = Platform::new(Duration::ZERO, Duration::from_secs(100));
    let store = MemoryTokenStore::new();
    store
        .put(&skey(), &Secret::from("old"), Duration::from_secs(100))
        .await
        .unwrap();
    tokio::time::advance(Duration::from_secs(60)).await;
    // 40 s left of 100: less than half, so the cache would refresh it; it is not taken.
    let cache = cache(&platform, Arc::new(store.clone()));
    assert_eq!(cache.get(&tenant()).await.unwrap().expose(), "tok-1");
    let stored = store.get(&skey()).await.unwrap().unwrap();
    assert_eq!(stored.token.expose(), "tok-1");
    assert_eq!(stored.lifetime(), Duration::from_secs(100));
}

#[tokio::test]
async fn a_stored_token_no_header_can_carry_is_replaced() {
    let platform = Platform::new(Duration::ZERO, HOUR);
    let store = MemoryTokenStore::new();
    for hostile in ["", "line\nbreak", "nul\0"] {
        store
            .put(&skey(), &Secret::from(hostile), HOUR)
            .await
            .unwrap();
        let cache = cache(&platform, Arc::new(store.clone()));
        let token = cache.get(&tenant()).await.unwrap();
        assert!(token.expose().starts_with("tok-"), "{hostile:?}");
    }
}

/// The in-memory store, except that compare-and-delete fails.
struct NoEviction(MemoryTokenStore, AtomicBool);

impl TokenStore for NoEviction {
    fn get<'a>(
        &'a self,
        k: &'a TokenStoreKey,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        self.0.get(k)
    }
    fn put<'a>(
        &'a self,
        k: &'a TokenStoreKey,
        t: &'a Secret,
        d: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.0.put(k, t, d)
    }
    fn compare_and_delete<'a>(
        &'a self,
        _: &'a TokenStoreKey,
        _: &'a Secret,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.1.store(true, Ordering::SeqCst);
        Box::pin(async { Err(StoreError::Timeout(Duration::from_millis(500))) })
    }
    fn lock<'a>(
        &'a self,
        k: &'a TokenStoreKey,
        d: Duration,
    ) -> BoxFuture<'a, Result<Option<LockId>, StoreError>> {
        self.0.lock(k, d)
    }
    fn unlock<'a>(
        &'a self,
        k: &'a TokenStoreKey,
        l: &'a LockId,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.0.unlock(k, l)
    }
}

#[tokio::test]
async fn a_rejected_token_is_not_taken_again_even_if_it_could_not_be_evicted() {
    let platform = Platform::new(Duration::ZERO, HOUR);
    let store = Arc::new(NoEviction(MemoryTokenStore::new(), AtomicBool::new(false)));
    let cache = cache(&platform, store.clone());
    let t1 = cache.get(&tenant()).await.unwrap();
    cache.invalidate(&tenant(), &t1);
    // The eviction fails: this fetch goes straight to the platform.
    assert_eq!(cache.get(&tenant()).await.unwrap().expose(), "tok-2");
    assert!(store.1.load(Ordering::SeqCst));
    // The store still holds t1 (no eviction, and the fallback fetch stores nothing); the
    // next fetch tries the eviction again and, failing, fetches directly again rather than
    // reusing t1.
    let t2 = cache.get(&tenant()).await.unwrap();
    cache.invalidate(&tenant(), &t2);
    let t3 = cache.get(&tenant()).await.unwrap();
    assert_ne!(t3.expose(), t1.expose());
    assert_ne!(t3.expose(), t2.expose());
}

/// The in-memory store, except that compare-and-delete answers "not deleted" and deletes
/// nothing (as if another replica had replaced the token, but it has not).
struct LyingEviction(MemoryTokenStore);

impl TokenStore for LyingEviction {
    fn get<'a>(
        &'a self,
        k: &'a TokenStoreKey,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        self.0.get(k)
    }
    fn put<'a>(
        &'a self,
        k: &'a TokenStoreKey,
        t: &'a Secret,
        d: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.0.put(k, t, d)
    }
    fn compare_and_delete<'a>(
        &'a self,
        _: &'a TokenStoreKey,
        _: &'a Secret,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async { Ok(false) })
    }
    fn lock<'a>(
        &'a self,
        k: &'a TokenStoreKey,
        d: Duration,
    ) -> BoxFuture<'a, Result<Option<LockId>, StoreError>> {
        self.0.lock(k, d)
    }
    fn unlock<'a>(
        &'a self,
        k: &'a TokenStoreKey,
        l: &'a LockId,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.0.unlock(k, l)
    }
}

#[tokio::test]
async fn a_rejected_token_still_in_the_store_is_skipped_and_overwritten() {
    let platform = Platform::new(Duration::ZERO, HOUR);
    let memory = MemoryTokenStore::new();
    let cache = cache(&platform, Arc::new(LyingEviction(memory.clone())));
    let t1 = cache.get(&tenant()).await.unwrap();
    cache.invalidate(&tenant(), &t1);
    // The store still holds t1: it is skipped, the lock holder fetches t2 and stores it.
    let t2 = cache.get(&tenant()).await.unwrap();
    assert_eq!(t2.expose(), "tok-2");
    assert_eq!(platform.calls(), 2);
    let stored = memory.get(&skey()).await.unwrap().unwrap();
    assert_eq!(stored.token.expose(), "tok-2");
}

#[tokio::test]
async fn a_cancelled_holder_releases_the_lock() {
    struct Hang;
    impl TokenFetcher for Hang {
        fn fetch<'a>(
            &'a self,
            _: &'a TokenKey,
            _: &'a dyn TokenSource,
        ) -> FetchFuture<'a, Fetched> {
            Box::pin(std::future::pending())
        }
    }
    let store = MemoryTokenStore::new();
    let cache = TokenCache::new(
        with_store(
            Arc::new(Hang),
            Some(Arc::new(store.clone())),
            "cli_test".into(),
            DEFAULT_REFRESH_AHEAD,
            HOUR,
        ),
        DEFAULT_REFRESH_AHEAD,
    );
    let holder = tokio::spawn(async move { cache.get(&tenant()).await });
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(store.lock(&skey(), HOUR).await.unwrap().is_none(), "held");
    holder.abort();
    let _ = holder.await;
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(
        store.lock(&skey(), HOUR).await.unwrap().is_some(),
        "released on drop"
    );
}

#[tokio::test]
async fn memory_store_semantics() {
    let store = MemoryTokenStore::new();
    let k = skey();
    assert!(store.get(&k).await.unwrap().is_none());
    assert!(store.is_empty());
    store.put(&k, &Secret::from("a"), HOUR).await.unwrap();
    assert_eq!(store.len(), 1);
    assert!(!store
        .compare_and_delete(&k, &Secret::from("b"))
        .await
        .unwrap());
    assert!(store
        .compare_and_delete(&k, &Secret::from("a"))
        .await
        .unwrap());
    assert!(store.get(&k).await.unwrap().is_none());
    let l1 = store.lock(&k, HOUR).await.unwrap().unwrap();
    assert!(store.lock(&k, HOUR).await.unwrap().is_none());
    assert!(!store.unlock(&k, &LockId::new("other")).await.unwrap());
    assert!(store.unlock(&k, &l1).await.unwrap());
    assert!(store.lock(&k, HOUR).await.unwrap().is_some());
    // Debug shows no token.
    store
        .put(&k, &Secret::from("sekrit-token"), HOUR)
        .await
        .unwrap();
    let stored = store.get(&k).await.unwrap().unwrap();
    let text = format!("{store:?} {stored:?}");
    assert!(!text.contains("sekrit-token"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn outage_state_skips_the_store_for_the_retry_interval() {
    let outage = Outage::new("test").with_retry_interval(Duration::from_secs(1));
    assert!(!outage.is_down() && !outage.skip());
    outage.failed(&"refused");
    outage.failed(&"refused");
    assert!(outage.is_down() && outage.skip());
    tokio::time::advance(Duration::from_millis(1001)).await;
    assert!(
        outage.is_down() && !outage.skip(),
        "tried again after the interval"
    );
    outage.succeeded();
    assert!(!outage.is_down() && !outage.skip());
    let never = Outage::new("test").with_retry_interval(Duration::ZERO);
    never.failed(&"refused");
    assert!(!never.skip());
    assert!(format!("{never:?}").contains("down: true"));
}

#[test]
fn store_key_and_lock_id() {
    let k = TokenStoreKey::new("cli_x", TokenKey::Tenant(Some("t".into())));
    assert_eq!(k.app_id(), "cli_x");
    assert_eq!(k.token().tenant_key(), Some("t"));
    let (a, b) = (LockId::random(), LockId::random());
    assert_ne!(a, b);
    assert_eq!(a.as_str().len(), 32);
    let s = StoredToken::expiring_in(Secret::from("x"), Duration::MAX, Duration::MAX);
    assert!(s.remaining() > HOUR);
    assert_eq!(s.lifetime_ms, u64::MAX);
}

#[test]
fn builder_takes_a_store_and_checks_the_lock_ttl() {
    let err = crate::ClientBuilder::new("cli_1", "s")
        .token_store(MemoryTokenStore::new())
        .token_lock_ttl(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), "token_lock_ttl must be greater than zero");
    let builder = crate::ClientBuilder::new("cli_1", "very-secret-value")
        .token_store(Arc::new(MemoryTokenStore::new()) as Arc<dyn TokenStore>)
        .token_lock_ttl(Duration::from_secs(2));
    let text = format!("{builder:?}");
    assert!(text.contains("token_store: true"), "{text}");
    assert!(!text.contains("very-secret-value"), "{text}");
    builder.build().unwrap();
}

#[tokio::test]
async fn clients_sharing_a_memory_store_share_the_token() {
    // Through the client: the builder wires the store into the token cache.
    let store = MemoryTokenStore::new();
    let skey = TokenStoreKey::new("cli_1", tenant());
    store
        .put(&skey, &Secret::from("t-from-the-store"), HOUR)
        .await
        .unwrap();
    let client = crate::ClientBuilder::new("cli_1", "s")
        .base_url("http://127.0.0.1:1")
        .token_store(store.clone())
        .build()
        .unwrap();
    let token = client.token_cache().get(&tenant()).await.unwrap();
    assert_eq!(token.expose(), "t-from-the-store");
}
