//! Many replicas as one client: access tokens (and, with the `events` feature, event
//! deduplication) shared by every process of an app through a store, Redis in production.
//!
//! Without a store (the default) nothing changes: each client has its own token cache.
//! With one, set by [`ClientBuilder::token_store`](crate::ClientBuilder::token_store):
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use lark_openapi::shared::RedisTokenStore;
//!
//! let store = RedisTokenStore::new("redis://10.0.0.5:6379/")?;
//! let client = lark_openapi::Client::builder("cli_a1b2c3", "app secret")
//!     .token_store(store)
//!     .build()?;
//! # let _ = client;
//! # Ok(()) }
//! # #[cfg(not(feature = "redis"))]
//! # fn main() {}
//! ```
//!
//! # Tokens across replicas
//!
//! Each client still caches its tokens in process ([`TokenCache`](crate::auth::TokenCache):
//! single flight per key, early refresh). When the cache needs a token it asks the store
//! first; only the holder of a short lock asks the platform:
//!
//! 1. **Evict a rejected token.** If the platform rejected this process's token for the key
//!    since the last fetch ([`TokenCache::invalidate`](crate::auth::TokenCache::invalidate)),
//!    it is deleted from the store *only if it is still the stored one*
//!    ([`TokenStore::compare_and_delete`], a Lua script on Redis), so a fresh token another
//!    replica stored meanwhile stays. The rejected token is never taken from the store
//!    again by this process.
//! 2. **Read.** A stored token with more life left than the cache would refresh it at
//!    (`min(refresh_ahead, lifetime / 2)`) is used, with its remaining lifetime.
//! 3. **Lock.** Otherwise the process takes the key's fetch lock (`SET NX PX`, TTL
//!    [`DEFAULT_LOCK_TTL`] = 10 s unless
//!    [`ClientBuilder::token_lock_ttl`](crate::ClientBuilder::token_lock_ttl) says
//!    otherwise). The holder reads once more, else fetches from the platform, stores the
//!    token with its lifetime as TTL, and releases the lock (compare and delete of its
//!    random [`LockId`]; a cancelled fetch releases it from a spawned task).
//! 4. **Wait.** The others look at the store again after 20 ms, then 40, 80 … up to every
//!    200 ms, trying the lock each time, so they take the token as soon as it is stored,
//!    and the lock as soon as it is free or has expired.
//!
//! So a cold fleet makes one token request per token, a rotation one more, and a replica
//! that dies holding the lock delays the others by at most the lock TTL. After twice the
//! lock TTL without a token a waiting process fetches the token itself (logged at `warn`).
//!
//! # Redis keys
//!
//! `{prefix}` is `lark` unless set (`RedisTokenStore::prefix`); the app id and tenant key
//! are escaped (`%XX` for `:`, `%`, `{`, `}`, space and control characters, and a lone
//! `-`), so no two keys collide. No key or value holds the app secret.
//!
//! | key | type, TTL | written by |
//! |-----|-----------|------------|
//! | `{prefix}:token:{app_id}:tenant:{tenant_key or -}` | hash `{token, lifetime_ms}`, TTL = token lifetime | the lock holder (`PUT_TOKEN` script: `DEL` + `HSET` + `PEXPIRE`) |
//! | `{prefix}:token:{app_id}:app:-` | same, for the app_access_token | same |
//! | `{prefix}:lock:{app_id}:{tenant\|app}:{tenant_key or -}` | string, the holder's random id, TTL = lock TTL | `SET NX PX`; released by the `UNLOCK` script (delete if the value is ours) |
//! | `{prefix}:event:{app_id}:{event_id}` | string `1`, TTL 12 h (`RedisDedup`, feature `events`) | `SET NX PX`; an id over 200 bytes is `sha256-<hex>` |
//!
//! Scripts (each atomic, one key, so Redis Cluster works too): `GET_TOKEN` (the hash and
//! its `PTTL`; the remaining lifetime comes from Redis's own clock, so replicas' clock
//! skew does not matter), `PUT_TOKEN`, `COMPARE_AND_DELETE` (delete the token hash only if
//! its `token` is the rejected one) and `UNLOCK`.
//!
//! # Degraded, not down
//!
//! Every Redis call is bounded by a timeout (500 ms by default, `RedisTokenStore::timeout`).
//! On an error or a timeout the call falls back to the process's own path: the client's
//! token fetcher directly (its cache still single-flights), the process's own
//! [`MemoryDedup`](crate::events::MemoryDedup) record for events. The outage is logged once
//! (`warn` when it starts, `info` when Redis answers again; [`Outage`]), never per request;
//! during an outage Redis is tried again at most once a second
//! (`RedisTokenStore::retry_interval`), so a hung Redis does not add its timeout to every
//! call. When Redis answers again the shared path is used again.
//!
//! A hostile or foreign value under a key (wrong type, garbage) reads as "no token": the
//! next fetch replaces it. No answer makes the SDK panic.

mod fallback;
mod fetcher;
mod memory;
#[cfg(feature = "redis")]
pub(crate) mod redis;
mod token_store;

#[cfg(test)]
mod tests;

pub use fallback::Outage;
pub(crate) use fetcher::with_store;
pub use fetcher::DEFAULT_LOCK_TTL;
pub use memory::MemoryTokenStore;
#[cfg(all(feature = "redis", feature = "events"))]
pub use redis::RedisDedup;
#[cfg(feature = "redis")]
pub(crate) use redis::{check_retry_interval, check_timeout};
#[cfg(feature = "redis")]
pub use redis::{RedisTokenStore, DEFAULT_PREFIX, DEFAULT_TIMEOUT};
pub use token_store::{LockId, StoreError, StoredToken, TokenStore, TokenStoreKey};
