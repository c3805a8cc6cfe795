//! [`ClientBuilder`]: every client setting, with safe defaults.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, USER_AGENT};

use super::{Client, Inner};
use crate::auth::{
    AppCredentials, AppType, HttpTokenFetcher, TokenCache, DEFAULT_REFRESH_AHEAD,
    MAX_TOKEN_LIFETIME,
};
use crate::settings::{MAX_ATTEMPTS, MAX_DURATION_SETTING};
use crate::transport::retry::RetryPolicy;
use crate::ConfigError;

/// Which platform to talk to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Domain {
    /// Feishu, `https://open.feishu.cn`.
    #[default]
    Feishu,
    /// Lark, `https://open.larksuite.com`.
    Lark,
    /// An explicit base URL, for proxies and tests (`http://127.0.0.1:8080`).
    Custom(String),
}

impl Domain {
    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Domain::Feishu => "https://open.feishu.cn",
            Domain::Lark => "https://open.larksuite.com",
            Domain::Custom(url) => url.trim_end_matches('/'),
        }
    }
}

/// Default time allowed to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default longest silence while waiting for response headers or the next body bytes.
/// It stops a stalled download without capping a long, healthy one.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Configures a [`Client`]. Timeouts and retries are on by default.
///
/// `Debug` shows the settings but neither the secret nor default-header values.
#[must_use]
pub struct ClientBuilder {
    app_id: String,
    app_secret: crate::auth::Secret,
    app_type: AppType,
    domain: Domain,
    connect_timeout: Duration,
    read_timeout: Duration,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
    headers: Vec<(String, String)>,
    refresh_ahead: Duration,
    token_store: Option<Arc<dyn crate::shared::TokenStore>>,
    token_lock_ttl: Duration,
    rate_limiter: Option<crate::ratelimit::SharedLimiter>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("ClientBuilder")
            .field("app_id", &self.app_id)
            .field("app_secret", &self.app_secret)
            .field("app_type", &self.app_type)
            .field("domain", &self.domain)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("custom_http_client", &self.http.is_some())
            .field("header_names", &header_names)
            .field("refresh_ahead", &self.refresh_ahead)
            .field("token_store", &self.token_store.is_some())
            .field("token_lock_ttl", &self.token_lock_ttl)
            .field("rate_limiter", &self.rate_limiter.is_some())
            .finish()
    }
}

impl ClientBuilder {
    /// A builder for the app with this id and secret; a custom (self-built) app on Feishu.
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<String>) -> Self {
        ClientBuilder {
            app_id: app_id.into(),
            app_secret: crate::auth::Secret::new(app_secret.into()),
            app_type: AppType::Custom,
            domain: Domain::Feishu,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            timeout: None,
            retry: RetryPolicy::default(),
            http: None,
            headers: Vec::new(),
            refresh_ahead: DEFAULT_REFRESH_AHEAD,
            token_store: None,
            token_lock_ttl: crate::shared::DEFAULT_LOCK_TTL,
            rate_limiter: None,
        }
    }

    /// Reads `LARK_APP_ID`, `LARK_APP_SECRET`, optional `LARK_BASE_URL` and `LARK_APP_TYPE`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let id = var("LARK_APP_ID").ok_or_else(|| ConfigError::new("LARK_APP_ID is not set"))?;
        let secret =
            var("LARK_APP_SECRET").ok_or_else(|| ConfigError::new("LARK_APP_SECRET is not set"))?;
        let mut builder = ClientBuilder::new(id, secret);
        if let Some(url) = var("LARK_BASE_URL") {
            builder = builder.base_url(url);
        }
        match var("LARK_APP_TYPE").as_deref() {
            None | Some("custom") => {}
            Some("store") => builder = builder.app_type(AppType::Store),
            Some(other) => {
                return Err(ConfigError::new(format!(
                    "LARK_APP_TYPE is `{other}`; expected `custom` or `store`"
                )))
            }
        }
        Ok(builder)
    }

    /// Custom (self-built, the default) or store (marketplace) app.
    pub fn app_type(mut self, app_type: AppType) -> Self {
        self.app_type = app_type;
        self
    }

    /// Feishu (the default) or Lark.
    pub fn domain(mut self, domain: Domain) -> Self {
        self.domain = domain;
        self
    }

    /// An explicit base URL such as `http://127.0.0.1:8080` (tests, proxies).
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.domain(Domain::Custom(url.into()))
    }

    /// Time allowed to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest silence while waiting for headers or the next bytes of a body (default 30 s).
    /// A download of any length succeeds as long as bytes keep arriving.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// An overall deadline for each call (default: none): from the moment the call starts,
    /// through the token fetch, every attempt, the waits between retries and, for a
    /// download, the whole body. When it passes the call fails with a timeout
    /// ([`TransportError::is_deadline`](crate::TransportError::is_deadline)). Unlike the
    /// read timeout, it caps a slow but steady transfer too. A per-call
    /// [`RequestOptions::timeout`](crate::RequestOptions::timeout) replaces it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy (default: 3 attempts with backoff); `RetryPolicy::disabled()` turns
    /// retries off.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Uses this `reqwest::Client` (its own timeouts and proxies apply; the read timeout
    /// above is still enforced by the SDK).
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`: every request of the
    /// SDK carries a credential (the app secret, a ticket or an access token), and the SDK
    /// cannot stop a caller's client from following a redirect. It does refuse every
    /// answer that was redirected (an error naming where it pointed), so nothing is read
    /// from another server. (The SDK's own client follows no redirect at all.)
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// A header sent with every request (checked by [`build`](Self::build)).
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// How long before expiry a cached token is replaced (default 3 minutes).
    pub fn token_refresh_ahead(mut self, ahead: Duration) -> Self {
        self.refresh_ahead = ahead;
        self
    }

    /// Shares tokens with every other client (in this process or another) that uses the
    /// same store: a token is fetched once for all of them, and one the platform rejects is
    /// evicted for all of them. Default: none, each client keeps its tokens to itself.
    /// When the store fails the client gets its tokens itself, as without one. See
    /// [`shared`](crate::shared) (`RedisTokenStore` with the `redis` feature).
    pub fn token_store(mut self, store: impl crate::shared::TokenStore) -> Self {
        self.token_store = Some(Arc::new(store));
        self
    }

    /// With a [`token_store`](Self::token_store): how long this client may hold a token's
    /// fetch lock (default 10 s, [`DEFAULT_LOCK_TTL`](crate::shared::DEFAULT_LOCK_TTL)). A
    /// process that dies holding it delays the others by at most this.
    pub fn token_lock_ttl(mut self, ttl: Duration) -> Self {
        self.token_lock_ttl = ttl;
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, ConfigError> {
        if self.app_id.trim().is_empty() {
            return Err(ConfigError::new("the app id is empty"));
        }
        if self.app_secret.is_empty() {
            return Err(ConfigError::new("the app secret is empty"));
        }
        let base_url = self.domain.base_url().to_string();
        match reqwest::Url::parse(&base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
            _ => {
                return Err(ConfigError::new(format!(
                    "base URL `{base_url}` is not an http(s) URL"
                )))
            }
        }
        check_duration("connect_timeout", self.connect_timeout, false)?;
        check_duration("read_timeout", self.read_timeout, false)?;
        if let Some(timeout) = self.timeout {
            check_duration("timeout", timeout, false)?;
        }
        if self.refresh_ahead > MAX_TOKEN_LIFETIME {
            return Err(ConfigError::new(format!(
                "token_refresh_ahead is {:?}; it must be at most {:?}, the longest token lifetime",
                self.refresh_ahead, MAX_TOKEN_LIFETIME
            )));
        }
        check_retry_policy(&self.retry)?;
        check_duration("token_lock_ttl", self.token_lock_ttl, false)?;
        let mut default_headers = HeaderMap::new();
        default_headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("lark-openapi-rust/", env!("CARGO_PKG_VERSION"))),
        );
        default_headers
            .extend(crate::options::parse_headers(&self.headers).map_err(ConfigError::new)?);
        let (http, default_headers) = match self.http {
            // A caller's client: the SDK adds its default headers to every request.
            Some(http) => (http, default_headers),
            // The SDK's own client carries them itself (a request's own headers of the same
            // name win, as before), so a request does not copy them. No reqwest read timeout:
            // the SDK enforces its own idle timeout on headers and bodies, and a timer per
            // socket read would tax every request.
            None => (
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .redirect(crate::transport::redirect::policy())
                    .default_headers(default_headers)
                    .build()
                    .map_err(|e| ConfigError::new(format!("cannot build the HTTP client: {e}")))?,
                HeaderMap::new(),
            ),
        };
        let app_secret = self.app_secret.clone();
        let creds = AppCredentials::new(self.app_id.clone(), self.app_secret, self.app_type);
        let refresh_ahead = self.refresh_ahead;
        let token_store = self.token_store;
        let token_lock_ttl = self.token_lock_ttl;
        let store_app_id = self.app_id.clone();
        Ok(Client {
            // The token fetcher sends the auth endpoints through this client's pipeline; it
            // holds the client weakly, since the client owns it (through the cache).
            inner: Arc::new_cyclic(|client| Inner {
                http,
                base_url,
                app_id: self.app_id,
                app_type: self.app_type,
                tokens: TokenCache::new(
                    crate::shared::with_store(
                        Arc::new(HttpTokenFetcher::new(client.clone(), creds)),
                        token_store,
                        store_app_id,
                        refresh_ahead,
                        token_lock_ttl,
                    ),
                    refresh_ahead,
                ),
                retry: self.retry,
                read_timeout: self.read_timeout,
                timeout: self.timeout,
                default_headers,
                app_secret,
                swept: Default::default(),
                rate_limiter: self.rate_limiter,
            }),
        })
    }

    /// Paces calls with a client-side rate limiter (default: none, and no cost): before
    /// every attempt the call waits for its turn under the endpoint's documented limit,
    /// per app × tenant × endpoint, instead of being refused with a 429. A turn later than
    /// the call's deadline fails the call at once with
    /// [`Error::RateLimit`](crate::Error::RateLimit); 429s and `x-ogw-ratelimit-*` headers
    /// tighten the budget. [`InProcessLimiter`](crate::ratelimit::InProcessLimiter) paces
    /// one process; `RedisRateLimiter` (feature `redis`) a whole fleet. Pass a clone (or an
    /// `Arc`) of one limiter to several clients of the same app to share its budget. See
    /// [`ratelimit`](crate::ratelimit).
    pub fn rate_limiter(mut self, limiter: impl crate::ratelimit::RateLimiter) -> Self {
        self.rate_limiter = Some(Arc::new(limiter));
        self
    }
}

/// Checks one duration setting: at most [`MAX_DURATION_SETTING`], and above zero unless
/// `zero_ok`.
pub(crate) fn check_duration(
    name: &str,
    value: Duration,
    zero_ok: bool,
) -> Result<(), ConfigError> {
    if value.is_zero() && !zero_ok {
        return Err(ConfigError::new(format!(
            "{name} must be greater than zero"
        )));
    }
    if value > MAX_DURATION_SETTING {
        return Err(ConfigError::new(format!(
            "{name} is {value:?}; it must be at most {MAX_DURATION_SETTING:?} (24 hours)"
        )));
    }
    Ok(())
}

fn check_retry_policy(policy: &RetryPolicy) -> Result<(), ConfigError> {
    check_duration("retry initial_backoff", policy.initial_backoff(), true)?;
    check_duration("retry max_backoff", policy.max_backoff(), true)?;
    check_duration(
        "retry max_rate_limit_wait",
        policy.max_rate_limit_wait(),
        true,
    )?;
    if policy.max_attempts() > MAX_ATTEMPTS {
        return Err(ConfigError::new(format!(
            "retry max_attempts is {}; it must be at most {MAX_ATTEMPTS}",
            policy.max_attempts()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_err(builder: ClientBuilder) -> String {
        builder.build().unwrap_err().to_string()
    }

    #[test]
    fn domains_have_their_base_urls() {
        assert_eq!(Domain::Feishu.base_url(), "https://open.feishu.cn");
        assert_eq!(Domain::Lark.base_url(), "https://open.larksuite.com");
        assert_eq!(
            Domain::Custom("http://127.0.0.1:8/".into()).base_url(),
            "http://127.0.0.1:8"
        );
        let client = ClientBuilder::new("cli_1", "s")
            .domain(Domain::Lark)
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "https://open.larksuite.com");
        assert_eq!(
            ClientBuilder::new("cli_1", "s").build().unwrap().base_url(),
            "https://open.feishu.cn"
        );
    }

    #[test]
    fn bad_settings_are_named() {
        assert_eq!(
            build_err(ClientBuilder::new(" ", "s")),
            "the app id is empty"
        );
        assert_eq!(
            build_err(ClientBuilder::new("cli_1", "")),
            "the app secret is empty"
        );
        assert_eq!(
            build_err(ClientBuilder::new("cli_1", "s").base_url("ftp://x")),
            "base URL `ftp://x` is not an http(s) URL"
        );
        assert_eq!(
            build_err(ClientBuilder::new("cli_1", "s").default_header("a b", "v")),
            "`a b` is not a valid header name"
        );
        assert_eq!(
            build_err(ClientBuilder::new("cli_1", "s").read_timeout(Duration::ZERO)),
            "read_timeout must be greater than zero"
        );
    }

    #[test]
    fn extreme_durations_are_refused_with_their_name() {
        for huge in [
            Duration::MAX,
            Duration::from_secs(u64::MAX),
            MAX_DURATION_SETTING + Duration::from_nanos(1),
        ] {
            let b = || ClientBuilder::new("cli_1", "s");
            let cases = [
                (b().read_timeout(huge), "read_timeout is "),
                (b().connect_timeout(huge), "connect_timeout is "),
                (b().timeout(huge), "timeout is "),
                (b().token_refresh_ahead(huge), "token_refresh_ahead is "),
                (
                    b().retry_policy(RetryPolicy::new().with_max_backoff(huge)),
                    "retry max_backoff is ",
                ),
                (
                    b().retry_policy(RetryPolicy::new().with_initial_backoff(huge)),
                    "retry initial_backoff is ",
                ),
                (
                    b().retry_policy(RetryPolicy::new().with_max_rate_limit_wait(huge)),
                    "retry max_rate_limit_wait is ",
                ),
            ];
            for (builder, expected) in cases {
                let err = build_err(builder);
                assert!(err.starts_with(expected), "{err}");
            }
        }
        assert_eq!(
            build_err(ClientBuilder::new("cli_1", "s").timeout(Duration::ZERO)),
            "timeout must be greater than zero"
        );
        assert_eq!(
            build_err(
                ClientBuilder::new("cli_1", "s")
                    .retry_policy(RetryPolicy::new().with_max_attempts(u32::MAX))
            ),
            "retry max_attempts is 4294967295; it must be at most 100"
        );
        // The largest accepted values build.
        ClientBuilder::new("cli_1", "s")
            .read_timeout(MAX_DURATION_SETTING)
            .connect_timeout(MAX_DURATION_SETTING)
            .timeout(MAX_DURATION_SETTING)
            .token_refresh_ahead(MAX_TOKEN_LIFETIME)
            .build()
            .unwrap();
    }

    #[test]
    fn builder_debug_shows_header_names_not_values() {
        let builder = ClientBuilder::new("cli_1", "s3cr3t-app-secret")
            .default_header("x-api-key", "header-value-do-not-print");
        let text = format!("{builder:?} {builder:#?}");
        assert!(text.contains("x-api-key"), "{text}");
        assert!(!text.contains("header-value-do-not-print"), "{text}");
        assert!(!text.contains("s3cr3t-app-secret"), "{text}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let builder = ClientBuilder::new("cli_1", "very-secret-value");
        assert!(!format!("{builder:?}").contains("very-secret-value"));
        let client = builder.build().unwrap();
        let text = format!("{client:?}");
        assert!(
            text.contains("cli_1") && !text.contains("very-secret-value"),
            "{text}"
        );
    }
}
