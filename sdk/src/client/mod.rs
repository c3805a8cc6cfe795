//! The client: configuration, the token cache and the HTTP connection pool, shared by clones.

mod builder;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::auth::{AppType, TokenCache};
use crate::transport::retry::RetryPolicy;

pub(crate) use builder::check_duration;
pub use builder::{ClientBuilder, Domain};

/// A Lark / Feishu Open Platform client.
///
/// Cheap to clone (an `Arc` inside) and safe to share across tasks: clones share the token
/// cache and the connection pool. Each client has its own cache; nothing is process-global.
///
/// ```no_run
/// # fn main() -> Result<(), lark_openapi::ConfigError> {
/// let client = lark_openapi::Client::builder("cli_a1b2c3", "app secret")
///     .domain(lark_openapi::Domain::Lark)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) app_id: String,
    pub(crate) app_type: AppType,
    pub(crate) tokens: TokenCache,
    pub(crate) retry: RetryPolicy,
    pub(crate) read_timeout: Duration,
    /// The default overall deadline of a call.
    pub(crate) timeout: Option<Duration>,
    pub(crate) default_headers: HeaderMap,
    /// Scrubbed from every message built from a server's answer.
    pub(crate) app_secret: crate::auth::Secret,
    /// The client-side rate limiter, if one is set (`ClientBuilder::rate_limiter`).
    pub(crate) rate_limiter: Option<crate::ratelimit::SharedLimiter>,
    /// Directories `save_to` has swept for stale temporary files.
    pub(crate) swept: crate::download::swept::SweptDirs,
}

impl Client {
    /// A call of any operation by method and path, through the same pipeline as the
    /// generated ones (tokens, retries, rate limits, the envelope check, [`Error`](crate::Error)): for an
    /// operation the SDK does not generate. See [`RawCall`](crate::RawCall).
    pub fn raw(&self, method: crate::HttpMethod, path: impl Into<String>) -> crate::RawCall {
        crate::RawCall::new(self, method, path.into())
    }

    /// Starts configuring a client for the app with this id and secret.
    pub fn builder(app_id: impl Into<String>, app_secret: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(app_id, app_secret)
    }

    /// A client configured from the environment: `LARK_APP_ID`, `LARK_APP_SECRET`
    /// (required), `LARK_BASE_URL` (optional, else Feishu) and `LARK_APP_TYPE`
    /// (`custom`, the default, or `store`).
    pub fn from_env() -> Result<Client, crate::ConfigError> {
        ClientBuilder::from_env()?.build()
    }

    /// The base URL requests go to, such as `https://open.feishu.cn`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// Store apps: hands over the `app_ticket` from the platform's `app_ticket` event, which
    /// the SDK needs to get tokens.
    pub fn set_app_ticket(&self, ticket: impl Into<String>) {
        self.inner.tokens.set_app_ticket(ticket);
    }

    /// Store apps: asks the platform to push a fresh `app_ticket` event now.
    pub async fn request_app_ticket_resend(&self) -> Result<(), crate::auth::TokenError> {
        self.inner.tokens.request_app_ticket_resend().await
    }

    /// The client's token cache (for inspection or to pre-warm it).
    pub fn token_cache(&self) -> &TokenCache {
        &self.inner.tokens
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("app_id", &self.inner.app_id)
            .field("app_type", &self.inner.app_type)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}
