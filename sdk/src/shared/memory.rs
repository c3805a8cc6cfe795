//! [`MemoryTokenStore`]: a [`TokenStore`] in this process's memory.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::token_store::{LockId, StoreError, StoredToken, TokenStore, TokenStoreKey};
use crate::auth::Secret;
use crate::clock;

/// A [`TokenStore`] in memory: the clients of one process that are given clones of it
/// share their tokens (one fetch per token for all of them), with the same protocol as
/// `RedisTokenStore` (feature `redis`) across processes. Never fails.
///
/// Cheap to clone; clones share the entries.
#[derive(Clone, Default)]
pub struct MemoryTokenStore {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    tokens: HashMap<TokenStoreKey, Entry>,
    locks: HashMap<TokenStoreKey, (LockId, Instant)>,
}

struct Entry {
    token: Secret,
    expires_at: Instant,
    lifetime: Duration,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many unexpired tokens it holds.
    pub fn len(&self) -> usize {
        let now = clock::now();
        self.lock_state()
            .tokens
            .values()
            .filter(|e| e.expires_at > now)
            .count()
    }

    /// Whether it holds no unexpired token.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get_now(&self, key: &TokenStoreKey) -> Option<StoredToken> {
        let now = clock::now();
        let state = self.lock_state();
        let entry = state.tokens.get(key).filter(|e| e.expires_at > now)?;
        Some(StoredToken::expiring_in(
            entry.token.clone(),
            entry.expires_at.saturating_duration_since(now),
            entry.lifetime,
        ))
    }
}

impl TokenStore for MemoryTokenStore {
    fn get<'a>(
        &'a self,
        key: &'a TokenStoreKey,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        let found = self.get_now(key);
        Box::pin(async move { Ok(found) })
    }

    fn put<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        token: &'a Secret,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let entry = Entry {
            token: token.clone(),
            expires_at: clock::after(clock::now(), ttl),
            lifetime: ttl,
        };
        self.lock_state().tokens.insert(key.clone(), entry);
        Box::pin(async { Ok(()) })
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        token: &'a Secret,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let mut state = self.lock_state();
        let matches = state.tokens.get(key).is_some_and(|e| &e.token == token);
        if matches {
            state.tokens.remove(key);
        }
        Box::pin(async move { Ok(matches) })
    }

    fn lock<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockId>, StoreError>> {
        let now = clock::now();
        let mut state = self.lock_state();
        let taken = state.locks.get(key).is_some_and(|(_, until)| *until > now);
        let id = (!taken).then(|| {
            let id = LockId::random();
            state
                .locks
                .insert(key.clone(), (id.clone(), clock::after(now, ttl)));
            id
        });
        Box::pin(async move { Ok(id) })
    }

    fn unlock<'a>(
        &'a self,
        key: &'a TokenStoreKey,
        lock: &'a LockId,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let now = clock::now();
        let mut state = self.lock_state();
        let held = state
            .locks
            .get(key)
            .is_some_and(|(id, until)| id == lock && *until > now);
        if held {
            state.locks.remove(key);
        }
        Box::pin(async move { Ok(held) })
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore")
            .field("tokens", &self.len())
            .finish()
    }
}
