//! Which token a request needs, and what a fetch returns.

use std::time::Duration;

use super::secret::Secret;

/// Which token to get.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenKey {
    /// A tenant_access_token. Store apps need the `tenant_key` of the tenant that installed
    /// the app; self-built apps pass `None` (a key given for a self-built app is ignored by
    /// the HTTP fetcher, but the cache keeps a separate entry for it).
    Tenant(Option<String>),
    /// The app_access_token.
    App,
}

impl TokenKey {
    /// `"tenant"` or `"app"`, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            TokenKey::Tenant(_) => "tenant",
            TokenKey::App => "app",
        }
    }

    /// The tenant key, if any.
    pub fn tenant_key(&self) -> Option<&str> {
        match self {
            TokenKey::Tenant(k) => k.as_deref(),
            TokenKey::App => None,
        }
    }
}

/// A freshly fetched token and how long the platform says it lives.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The token.
    pub token: Secret,
    /// The lifetime from the answer's `expire` field (the cache clamps it to
    /// [`MAX_TOKEN_LIFETIME`](super::MAX_TOKEN_LIFETIME)).
    pub expires_in: Duration,
}
