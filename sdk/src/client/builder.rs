//! [`ClientBuilder`]: every client setting, with safe defaults.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, USER_AGENT};

use super::{Client, Inner};
use crate::auth::{AppCredentials, AppType, TokenCache, DEFAULT_REFRESH_AHEAD};
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
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    app_id: String,
    app_secret: crate::auth::Secret,
    app_type: AppType,
    domain: Domain,
    connect_timeout: Duration,
    read_timeout: Duration,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
    headers: Vec<(String, String)>,
    refresh_ahead: Duration,
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
            retry: RetryPolicy::default(),
            http: None,
            headers: Vec::new(),
            refresh_ahead: DEFAULT_REFRESH_AHEAD,
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

    /// The retry policy (default: 3 attempts with backoff); `RetryPolicy::disabled()` turns
    /// retries off.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Uses this `reqwest::Client` (its own timeouts and proxies apply; the read timeout
    /// above is still enforced by the SDK).
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
        if self.read_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(ConfigError::new("timeouts must be greater than zero"));
        }
        let mut default_headers = HeaderMap::new();
        default_headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("lark-openapi-rust/", env!("CARGO_PKG_VERSION"))),
        );
        default_headers
            .extend(crate::options::parse_headers(&self.headers).map_err(ConfigError::new)?);
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .read_timeout(self.read_timeout)
                .build()
                .map_err(|e| ConfigError::new(format!("cannot build the HTTP client: {e}")))?,
        };
        let creds = AppCredentials::new(self.app_id.clone(), self.app_secret, self.app_type);
        let tokens = TokenCache::http(http.clone(), base_url.clone(), creds, self.refresh_ahead);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                app_id: self.app_id,
                app_type: self.app_type,
                tokens,
                retry: self.retry,
                read_timeout: self.read_timeout,
                default_headers,
            }),
        })
    }
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
            "timeouts must be greater than zero"
        );
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
