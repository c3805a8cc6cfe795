//! Access tokens: secrets, the per-client token cache, store-app tickets, and the auth v3
//! endpoints (generated, under [`v3`]).
//!
//! * [`Secret`] / [`AccessToken`]: values that never show up in `Debug` or `Display` output.
//! * [`AppCredentials`] / [`AppType`]: who the app is.
//! * [`TokenCache`]: one per client; single-flight fetching, early refresh, invalidation of
//!   rejected tokens, and the store-app `app_ticket`.
//! * `TokenFetcher` / `TokenSource` (crate-private): the narrow interface between the cache
//!   and what obtains tokens. The SDK's own fetcher sends the generated [`v3`] endpoints through the
//!   client's pipeline, like every other endpoint.
//! * [`TokenError`]: why a token could not be obtained.

mod cache;
mod credential;
mod credentials;
mod error;
mod fetcher;
mod http;
mod key;
mod secret;

pub use crate::generated::auth::*;
pub use cache::{TokenCache, DEFAULT_REFRESH_AHEAD, MAX_TOKEN_LIFETIME};
pub(crate) use credential::{credential, Credential};
pub use credentials::{AppCredentials, AppType};
pub use error::{TokenError, TokenErrorKind};
pub(crate) use fetcher::{FetchFuture, TokenFetcher, TokenSource};
pub(crate) use http::HttpTokenFetcher;
pub use key::{Fetched, TokenKey};
pub(crate) use secret::{bearer_header, redact};
pub use secret::{AccessToken, Secret};
