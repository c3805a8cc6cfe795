//! The narrow interface between the token cache and whatever obtains tokens.

use std::future::Future;
use std::pin::Pin;

use super::error::TokenError;
use super::key::{Fetched, TokenKey};
use super::secret::{AccessToken, Secret};

/// The boxed future a [`TokenFetcher`] returns.
pub(crate) type FetchFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, TokenError>> + Send + 'a>>;

/// What a fetcher may ask of the cache that called it: the store-app ticket, and other
/// tokens (a store app's tenant token needs the app token).
pub(crate) trait TokenSource: Send + Sync {
    /// The current `app_ticket`, if one was received.
    fn app_ticket(&self) -> Option<Secret>;
    /// The token for `key`, from the cache. Asking for the key being fetched deadlocks.
    fn token<'a>(&'a self, key: &'a TokenKey) -> FetchFuture<'a, AccessToken>;
    /// Drops `rejected` for `key`, unless it was already replaced.
    fn invalidate(&self, key: &TokenKey, rejected: &AccessToken);
}

/// Obtains tokens for a [`TokenCache`](super::TokenCache).
///
/// The SDK's own fetcher sends the auth v3 endpoints through the client's pipeline; tests
/// plug in fakes. The cache serialises fetches per key (single flight), so a fetcher does
/// not need to deduplicate.
pub(crate) trait TokenFetcher: Send + Sync + 'static {
    /// Fetches a new token for `key`.
    fn fetch<'a>(
        &'a self,
        key: &'a TokenKey,
        source: &'a dyn TokenSource,
    ) -> FetchFuture<'a, Fetched>;

    /// Asks the platform to push a new app_ticket. The default does nothing.
    fn resend_app_ticket(&self) -> FetchFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    /// Told by [`TokenCache::invalidate`](super::TokenCache::invalidate) that the platform
    /// rejected `token` for `key` and the cache dropped it. The default does nothing; a
    /// fetcher that shares tokens with other processes (a
    /// [`TokenStore`](crate::shared::TokenStore)) evicts it there before its next fetch,
    /// unless another process has already replaced it. Must not block.
    fn rejected(&self, key: &TokenKey, token: &AccessToken) {
        let _ = (key, token);
    }
}
