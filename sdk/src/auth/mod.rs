//! Access tokens: secrets, the per-client token cache, store-app tickets.
//!
//! * [`Secret`] / [`AccessToken`]: values that never show up in `Debug` or
//!   `Display` output.
//! * [`AppCredentials`] / [`AppType`]: who the app is.
//! * [`TokenCache`]: one per client; single-flight fetching, early refresh,
//!   invalidation of rejected tokens, and the store-app `app_ticket`.
//! * [`TokenFetcher`]: how the cache gets tokens; [`HttpTokenFetcher`] calls
//!   the auth v3 endpoints ([`endpoints`]).
//! * [`TokenError`]: why a token could not be obtained.

mod cache;
mod credentials;
mod error;
mod fetch;
mod secret;

pub use cache::{TokenCache, DEFAULT_REFRESH_AHEAD, MAX_TOKEN_LIFETIME};
pub use credentials::{AppCredentials, AppType};
pub use error::{TokenError, TokenErrorKind};
pub use fetch::{endpoints, FetchFuture, Fetched, HttpTokenFetcher, TokenFetcher, TokenKey};
pub(crate) use secret::redact;
pub use secret::{AccessToken, Secret};
