//! Fetching tokens from the auth v3 endpoints.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use tracing::Instrument;

use super::cache::TokenCache;
use super::credentials::{AppCredentials, AppType};
use super::error::{TokenError, TokenErrorKind};
use super::secret::redact;
use super::secret::Secret;
use crate::transport::error_body::{self, log_id_from_headers};
use crate::transport::read::{read_capped, ReadError, MAX_AUTH_BODY};
use crate::transport::retry::{decide, rate_limit_reset, Failure, RetryDecision, RetryPolicy};

/// Paths of the auth v3 endpoints (all `POST`, JSON body, no access token).
pub mod endpoints {
    /// Tenant token of a self-built app (`app_id`, `app_secret`).
    pub const TENANT_ACCESS_TOKEN_INTERNAL: &str =
        "/open-apis/auth/v3/tenant_access_token/internal";
    /// App token of a self-built app (`app_id`, `app_secret`).
    pub const APP_ACCESS_TOKEN_INTERNAL: &str = "/open-apis/auth/v3/app_access_token/internal";
    /// App token of a store app (`app_id`, `app_secret`, `app_ticket`).
    pub const APP_ACCESS_TOKEN: &str = "/open-apis/auth/v3/app_access_token";
    /// Tenant token of a store app (`app_access_token`, `tenant_key`).
    pub const TENANT_ACCESS_TOKEN: &str = "/open-apis/auth/v3/tenant_access_token";
    /// Asks the platform to push a new `app_ticket` event (store apps only).
    pub const APP_TICKET_RESEND: &str = "/open-apis/auth/v3/app_ticket/resend";
}

/// Which token to get.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenKey {
    /// A tenant_access_token. Store apps need the `tenant_key` of the tenant
    /// that installed the app; self-built apps pass `None` (a key given for a
    /// self-built app is ignored by [`HttpTokenFetcher`], but the cache keeps
    /// a separate entry for it).
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
    /// The lifetime from the answer's `expire` field.
    pub expires_in: Duration,
}

/// The boxed future a [`TokenFetcher`] returns.
pub type FetchFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TokenError>> + Send + 'a>>;

/// Obtains tokens for a [`TokenCache`].
///
/// [`HttpTokenFetcher`] is the real one; tests plug in fakes. The cache
/// serialises fetches per key (single flight), so a fetcher does not need to
/// deduplicate.
pub trait TokenFetcher: Send + Sync + 'static {
    /// Fetches a new token for `key`.
    ///
    /// `cache` is the cache asking; a fetcher may use it to get *another* key
    /// (a store app's tenant token needs the app token, which should come from
    /// the cache) and to read the app_ticket. Asking it for the same `key`
    /// would deadlock.
    fn fetch<'a>(&'a self, key: &'a TokenKey, cache: &'a TokenCache) -> FetchFuture<'a, Fetched>;

    /// Asks the platform to push a new app_ticket. The default does nothing.
    fn resend_app_ticket(&self) -> FetchFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

/// Retries of auth requests: the shared classification (connection errors, timeouts, 5xx,
/// 429 and 99991400 honouring `x-ogw-ratelimit-reset`), 3 attempts, short waits. Fixed rather
/// than the client's policy: a client with retries off still gets a token through a blip.
fn auth_retry_policy() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(1))
        .with_max_rate_limit_wait(Duration::from_secs(10))
}
/// Automatic app_ticket resends (on a missing or rejected ticket) are sent at
/// most this often.
const AUTO_RESEND_INTERVAL: Duration = Duration::from_secs(10);
/// The app_access_token passed to the store tenant endpoint is invalid.
const APP_TOKEN_INVALID_CODES: [i64; 2] = [99991664, 20014];
/// app_ticket invalid (GO SDK `errCodeAppTicketInvalid`).
const CODE_APP_TICKET_INVALID: i64 = 10012;

/// The real [`TokenFetcher`]: calls the auth v3 endpoints over HTTP.
///
/// * Self-built apps: `tenant_access_token/internal` and
///   `app_access_token/internal` with `app_id` + `app_secret`.
/// * Store apps: `app_access_token` with `app_id` + `app_secret` +
///   `app_ticket` (read from the cache), then `tenant_access_token` with that
///   app token (taken from the cache, key [`TokenKey::App`]) + `tenant_key`.
///   Without an app_ticket it requests a resend and fails with
///   [`TokenErrorKind::AppTicketMissing`].
///
/// Each request is sent up to 3 times on connect errors, timeouts, HTTP 5xx,
/// HTTP 429 and code 99991400, waiting 100 ms and then 200 ms.
pub struct HttpTokenFetcher {
    http: reqwest::Client,
    base_url: String,
    creds: AppCredentials,
    request_timeout: Duration,
    last_auto_resend: Mutex<Option<Instant>>,
}

impl HttpTokenFetcher {
    /// A fetcher for `creds`, talking to `base_url` (for example
    /// `https://open.feishu.cn`; a trailing `/` is removed).
    pub fn new(http: reqwest::Client, base_url: impl Into<String>, creds: AppCredentials) -> Self {
        let mut base_url = base_url.into();
        while base_url.ends_with('/') {
            base_url.pop();
        }
        HttpTokenFetcher {
            http,
            base_url,
            creds,
            request_timeout: Duration::from_secs(10),
            last_auto_resend: Mutex::new(None),
        }
    }

    /// Sets the timeout of each auth request (default 10 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The app's credentials.
    pub fn credentials(&self) -> &AppCredentials {
        &self.creds
    }

    /// Calls `app_ticket/resend`, which makes the platform push a new
    /// `app_ticket` event. Only store apps may call it (a self-built app gets
    /// code 10016).
    pub async fn resend_app_ticket(&self) -> Result<(), TokenError> {
        let body = AppCredsBody {
            app_id: self.creds.app_id(),
            app_secret: self.creds.app_secret().expose(),
        };
        self.post(endpoints::APP_TICKET_RESEND, &body, &[body.app_secret])
            .instrument(tracing::debug_span!(
                "lark.app_ticket.resend",
                app_id = self.creds.app_id()
            ))
            .await
            .map(|_| ())
    }

    /// Requests a resend unless one was requested recently; failures are only
    /// logged, since the caller reports its own error.
    async fn auto_resend(&self) {
        {
            let mut last = self
                .last_auto_resend
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let now = crate::clock::now();
            if last.is_some_and(|t| now.saturating_duration_since(t) < AUTO_RESEND_INTERVAL) {
                tracing::debug!("app_ticket resend requested recently; not sending another");
                return;
            }
            *last = Some(now);
        }
        match self.resend_app_ticket().await {
            Ok(()) => tracing::info!("requested an app_ticket resend"),
            Err(e) => tracing::warn!(error = %e, "app_ticket resend failed"),
        }
    }

    async fn fetch_key(&self, key: &TokenKey, cache: &TokenCache) -> Result<Fetched, TokenError> {
        let creds_body = AppCredsBody {
            app_id: self.creds.app_id(),
            app_secret: self.creds.app_secret().expose(),
        };
        match (self.creds.app_type(), key) {
            (AppType::Custom, TokenKey::Tenant(tenant_key)) => {
                if tenant_key.is_some() {
                    tracing::debug!("self-built app: tenant_key ignored");
                }
                let ep = endpoints::TENANT_ACCESS_TOKEN_INTERNAL;
                self.post(ep, &creds_body, &[creds_body.app_secret])
                    .await?
                    .token(ep, "tenant_access_token")
            }
            (AppType::Custom, TokenKey::App) => {
                let ep = endpoints::APP_ACCESS_TOKEN_INTERNAL;
                self.post(ep, &creds_body, &[creds_body.app_secret])
                    .await?
                    .token(ep, "app_access_token")
            }
            (AppType::Store, TokenKey::App) => {
                let ep = endpoints::APP_ACCESS_TOKEN;
                let Some(ticket) = cache.app_ticket() else {
                    self.auto_resend().await;
                    return Err(TokenError::new(ep, TokenErrorKind::AppTicketMissing));
                };
                let body = StoreAppBody {
                    app_id: self.creds.app_id(),
                    app_secret: self.creds.app_secret().expose(),
                    app_ticket: ticket.expose(),
                };
                match self
                    .post(ep, &body, &[body.app_secret, body.app_ticket])
                    .await
                {
                    Ok(answer) => answer.token(ep, "app_access_token"),
                    Err(e) => {
                        if e.code() == Some(CODE_APP_TICKET_INVALID) {
                            self.auto_resend().await;
                        }
                        Err(e)
                    }
                }
            }
            (AppType::Store, TokenKey::Tenant(None)) => Err(TokenError::new(
                endpoints::TENANT_ACCESS_TOKEN,
                TokenErrorKind::MissingTenantKey,
            )),
            (AppType::Store, TokenKey::Tenant(Some(tenant_key))) => {
                let ep = endpoints::TENANT_ACCESS_TOKEN;
                let mut retried = false;
                loop {
                    let app_token = cache.get(&TokenKey::App).await?;
                    let body = StoreTenantBody {
                        app_access_token: app_token.expose(),
                        tenant_key,
                    };
                    let secrets = [self.creds.app_secret().expose(), body.app_access_token];
                    match self.post(ep, &body, &secrets).await {
                        Ok(answer) => return answer.token(ep, "tenant_access_token"),
                        Err(e)
                            if !retried
                                && e.code()
                                    .is_some_and(|c| APP_TOKEN_INVALID_CODES.contains(&c)) =>
                        {
                            tracing::debug!(
                                code = e.code(),
                                "app_access_token rejected; refreshing it once"
                            );
                            cache.invalidate(&TokenKey::App, &app_token);
                            retried = true;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }

    /// POSTs `body` to `endpoint`, retrying transient failures, and returns
    /// the parsed answer with `code == 0`. `secrets` are the credential values
    /// in `body`: they are scrubbed from every message built from the answer.
    async fn post<B: Serialize>(
        &self,
        endpoint: &'static str,
        body: &B,
        secrets: &[&str],
    ) -> Result<Answer, TokenError> {
        let url = format!("{}{}", self.base_url, endpoint);
        let body = Bytes::from(serde_json::to_vec(body).map_err(|e| {
            TokenError::new(
                endpoint,
                TokenErrorKind::Malformed(format!("encoding request: {e}")),
            )
        })?);
        let policy = auth_retry_policy();
        let mut attempt = 1;
        loop {
            let (err, failure) = match self.post_once(&url, endpoint, body.clone(), secrets).await {
                Ok(answer) => return Ok(answer),
                Err(failed) => failed,
            };
            // Token requests are safe to repeat.
            match decide(&policy, attempt, true, &failure) {
                RetryDecision::RetryAfter(wait) => {
                    tracing::debug!(attempt, error = %err, wait_ms = wait.as_millis() as u64, "retrying auth request");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                RetryDecision::Stop => return Err(err),
            }
        }
    }

    /// One attempt; the error comes with how the retry policy should see it.
    async fn post_once(
        &self,
        url: &str,
        endpoint: &'static str,
        body: Bytes,
        secrets: &[&str],
    ) -> Result<Answer, (TokenError, Failure)> {
        let mut resp = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .timeout(self.request_timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                let failure = transport_failure(&e);
                (TokenError::transport(endpoint, e), failure)
            })?;
        let status = resp.status();
        let log_id = log_id_from_headers(resp.headers());
        let reset = rate_limit_reset(resp.headers());
        let http_failure = |code: Option<i64>| Failure::Http {
            status: status.as_u16(),
            code,
            spec_retryable: false,
            rate_limit_reset: reset,
        };
        tracing::debug!(
            status = status.as_u16(),
            log_id = log_id.as_deref(),
            "auth endpoint answered"
        );
        let fail = |kind: TokenErrorKind, code: Option<i64>| {
            (
                TokenError::new(endpoint, kind).with_log_id(log_id.clone()),
                http_failure(code),
            )
        };
        // The SDK's own HTTP client follows no redirect of an auth request; a caller's client
        // might have: its answer did not come from the configured server, so it is refused.
        if status.is_redirection() || resp.url().as_str() != url {
            let to = if status.is_redirection() {
                resp.headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| reqwest::Url::parse(url).ok()?.join(l).ok())
            } else {
                Some(resp.url().clone())
            };
            let to = to.map_or_else(|| "an unreadable location".to_owned(), |u| origin(&u));
            let kind = TokenErrorKind::Redirected {
                status: status.as_u16(),
                to,
            };
            return Err((
                TokenError::new(endpoint, kind).with_log_id(log_id.clone()),
                Failure::Fatal,
            ));
        }
        let capped = read_capped(&mut resp, MAX_AUTH_BODY, None)
            .await
            .map_err(|e| match e {
                ReadError::Http(e) => {
                    let failure = transport_failure(&e);
                    (
                        TokenError::transport(endpoint, e).with_log_id(log_id.clone()),
                        failure,
                    )
                }
                ReadError::Idle => (
                    TokenError::new(endpoint, TokenErrorKind::Transport)
                        .with_log_id(log_id.clone()),
                    Failure::Timeout,
                ),
            })?;
        if capped.over_cap {
            return Err((
                TokenError::new(
                    endpoint,
                    TokenErrorKind::TooLarge {
                        limit: MAX_AUTH_BODY,
                    },
                )
                .with_log_id(log_id.clone()),
                Failure::Fatal,
            ));
        }
        let bytes = capped.bytes;

        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            let kind = TokenErrorKind::Http {
                status: status.as_u16(),
                excerpt: redact(&excerpt(&bytes), secrets),
            };
            return Err(fail(kind, None));
        };
        let Some(code) = json.get("code").and_then(serde_json::Value::as_i64) else {
            let kind = if status.is_success() {
                TokenErrorKind::Malformed("answer has no integer `code`".into())
            } else {
                TokenErrorKind::Http {
                    status: status.as_u16(),
                    excerpt: redact(&excerpt(&bytes), secrets),
                }
            };
            return Err(fail(kind, None));
        };
        if code != 0 {
            // The answer's own tokens, if a broken server sent any, are secrets too.
            let mut scrub: Vec<&str> = secrets.to_vec();
            scrub.extend(
                ["tenant_access_token", "app_access_token"]
                    .iter()
                    .filter_map(|field| json.get(*field)?.as_str()),
            );
            let msg = json
                .get("msg")
                .and_then(serde_json::Value::as_str)
                .map(|m| redact(m, &scrub))
                .unwrap_or_default();
            let kind = TokenErrorKind::Rejected { code, msg };
            return Err(fail(kind, Some(code)));
        }
        if !status.is_success() {
            let kind = TokenErrorKind::Http {
                status: status.as_u16(),
                excerpt: redact(&excerpt(&bytes), secrets),
            };
            return Err(fail(kind, None));
        }
        Ok(Answer { json, log_id })
    }
}

/// `scheme://host[:port]` of a URL: where a redirect pointed, without its path or query.
fn origin(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

impl fmt::Debug for HttpTokenFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTokenFetcher")
            .field("base_url", &self.base_url)
            .field("creds", &self.creds)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl TokenFetcher for HttpTokenFetcher {
    fn fetch<'a>(&'a self, key: &'a TokenKey, cache: &'a TokenCache) -> FetchFuture<'a, Fetched> {
        Box::pin(self.fetch_key(key, cache))
    }

    fn resend_app_ticket(&self) -> FetchFuture<'_, ()> {
        Box::pin(HttpTokenFetcher::resend_app_ticket(self))
    }
}

/// A successful (`code == 0`) answer. No `Debug`: it holds the token.
struct Answer {
    json: serde_json::Value,
    log_id: Option<String>,
}

impl Answer {
    /// Reads the token in `field` and the `expire` seconds.
    fn token(self, endpoint: &'static str, field: &str) -> Result<Fetched, TokenError> {
        let malformed = |what: String| {
            TokenError::new(endpoint, TokenErrorKind::Malformed(what))
                .with_log_id(self.log_id.clone())
        };
        let token = match self.json.get(field).and_then(serde_json::Value::as_str) {
            Some(t) if !t.is_empty() => Secret::from(t),
            _ => return Err(malformed(format!("answer has no `{field}`"))),
        };
        let expire = self
            .json
            .get("expire")
            .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)));
        match expire {
            Some(secs) if secs > 0 => Ok(Fetched {
                token,
                expires_in: Duration::from_secs(secs),
            }),
            _ => Err(malformed("answer has no positive `expire`".into())),
        }
    }
}

#[derive(Serialize)]
struct AppCredsBody<'a> {
    app_id: &'a str,
    app_secret: &'a str,
}

#[derive(Serialize)]
struct StoreAppBody<'a> {
    app_id: &'a str,
    app_secret: &'a str,
    app_ticket: &'a str,
}

#[derive(Serialize)]
struct StoreTenantBody<'a> {
    app_access_token: &'a str,
    tenant_key: &'a str,
}

/// How the retry policy sees a failed exchange with an auth endpoint.
fn transport_failure(e: &reqwest::Error) -> Failure {
    if crate::error::is_response_head_too_large(e) {
        Failure::Fatal
    } else if e.is_connect() {
        Failure::Connect
    } else if e.is_timeout() {
        Failure::Timeout
    } else {
        Failure::BodyInterrupted
    }
}

/// The start of an unexpected body, for error messages (the shared excerpt). Anything that
/// looks like it carries a credential is withheld.
fn excerpt(body: &[u8]) -> String {
    let lower = String::from_utf8_lossy(body).to_ascii_lowercase();
    if ["access_token", "app_secret", "app_ticket"]
        .iter()
        .any(|needle| lower.contains(needle))
    {
        return "<withheld: body mentions a credential>".into();
    }
    error_body::excerpt(body, error_body::EXCERPT_CHARS)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::auth::DEFAULT_REFRESH_AHEAD;

    const SECRET: &str = "app-secret-do-not-leak";

    /// One request as the server saw it.
    #[derive(Debug)]
    struct Seen {
        method: String,
        path: String,
        content_type: String,
        body: serde_json::Value,
    }

    /// A canned answer: status, extra headers, body.
    struct Canned(u16, &'static [(&'static str, &'static str)], String);

    fn json(status: u16, body: serde_json::Value) -> Canned {
        Canned(
            status,
            &[
                ("Content-Type", "application/json; charset=utf-8"),
                ("X-Tt-Logid", "log-123"),
            ],
            body.to_string(),
        )
    }

    /// A tiny HTTP/1.1 server on 127.0.0.1 answering the canned responses in
    /// order, one per connection.
    async fn serve(answers: Vec<Canned>) -> (String, Arc<Mutex<Vec<Seen>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            for Canned(status, headers, body) in answers {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let header_end = loop {
                    let n = sock.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "client closed early");
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let len: usize = header("content-length").parse().unwrap_or(0);
                while buf.len() < header_end + len {
                    let n = sock.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "client closed early");
                    buf.extend_from_slice(&chunk[..n]);
                }
                let mut request_line = head.lines().next().unwrap().split(' ');
                log.lock().unwrap().push(Seen {
                    method: request_line.next().unwrap().to_owned(),
                    path: request_line.next().unwrap().to_owned(),
                    content_type: header("content-type"),
                    body: serde_json::from_slice(&buf[header_end..header_end + len])
                        .unwrap_or_default(),
                });
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                sock.write_all(out.as_bytes()).await.unwrap();
                sock.shutdown().await.ok();
            }
        });
        (base, seen)
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder().no_proxy().build().unwrap()
    }

    fn cache(base: &str, creds: AppCredentials) -> TokenCache {
        TokenCache::http(client(), format!("{base}/"), creds, DEFAULT_REFRESH_AHEAD)
    }

    #[tokio::test]
    async fn custom_app_tenant_token() {
        let (base, seen) = serve(vec![json(
            200,
            serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-abc", "expire": 7200}),
        )])
        .await;
        let cache = cache(&base, AppCredentials::custom("cli_1", SECRET));
        let before = crate::clock::now();
        let token = cache.get(&TokenKey::Tenant(None)).await.unwrap();
        let after = crate::clock::now();
        assert_eq!(token.expose(), "t-abc");
        assert!(token.expires_at() >= before + Duration::from_secs(7200));
        assert!(token.expires_at() <= after + Duration::from_secs(7200));

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].method, "POST");
        assert_eq!(seen[0].path, endpoints::TENANT_ACCESS_TOKEN_INTERNAL);
        assert_eq!(seen[0].content_type, "application/json; charset=utf-8");
        assert_eq!(
            seen[0].body,
            serde_json::json!({"app_id": "cli_1", "app_secret": SECRET})
        );
    }

    #[tokio::test]
    async fn custom_app_app_token() {
        let (base, seen) = serve(vec![json(
            200,
            serde_json::json!({"code": 0, "msg": "ok", "app_access_token": "a-1", "tenant_access_token": "t-1", "expire": 7140}),
        )])
        .await;
        let cache = cache(&base, AppCredentials::custom("cli_1", SECRET));
        let token = cache.get(&TokenKey::App).await.unwrap();
        assert_eq!(token.expose(), "a-1");
        assert_eq!(
            seen.lock().unwrap()[0].path,
            endpoints::APP_ACCESS_TOKEN_INTERNAL
        );
    }

    #[tokio::test]
    async fn rejected_answer_becomes_rejected_error() {
        let (base, seen) = serve(vec![json(
            400,
            serde_json::json!({"code": 10015, "msg": "app secret invalid"}),
        )])
        .await;
        let cache = cache(&base, AppCredentials::custom("cli_1", SECRET));
        let err = cache.get(&TokenKey::Tenant(None)).await.unwrap_err();
        assert_eq!(
            err.kind(),
            &TokenErrorKind::Rejected {
                code: 10015,
                msg: "app secret invalid".into()
            }
        );
        assert_eq!(err.code(), Some(10015));
        assert_eq!(err.message(), Some("app secret invalid"));
        assert_eq!(err.log_id(), Some("log-123"));
        assert_eq!(err.endpoint(), endpoints::TENANT_ACCESS_TOKEN_INTERNAL);
        let text = format!("{err} {err:?}");
        assert!(text.contains("10015") && text.contains("log-123"), "{text}");
        assert!(!text.contains(SECRET), "{text}");
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "a 400 rejection is not retried"
        );
    }

    #[tokio::test]
    async fn transient_failures_are_retried() {
        let (base, seen) = serve(vec![
            Canned(503, &[("Content-Type", "text/plain")], "upstream busy".into()),
            json(429, serde_json::json!({"code": 99991400, "msg": "request trigger frequency limit"})),
            json(200, serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-ok", "expire": 7200})),
        ])
        .await;
        let cache = cache(&base, AppCredentials::custom("cli_1", SECRET));
        assert_eq!(
            cache.get(&TokenKey::Tenant(None)).await.unwrap().expose(),
            "t-ok"
        );
        assert_eq!(seen.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn gives_up_after_three_attempts_and_reports_http_status() {
        let busy = || {
            Canned(
                502,
                &[("Content-Type", "text/html")],
                "<html>bad gateway</html>".into(),
            )
        };
        let (base, seen) = serve(vec![busy(), busy(), busy()]).await;
        let cache = cache(&base, AppCredentials::custom("cli_1", SECRET));
        let err = cache.get(&TokenKey::Tenant(None)).await.unwrap_err();
        assert_eq!(
            err.kind(),
            &TokenErrorKind::Http {
                status: 502,
                excerpt: "<html>bad gateway</html>".into()
            }
        );
        assert_eq!(seen.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn success_without_expire_is_malformed() {
        let (base, _seen) = serve(vec![json(
            200,
            serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-x"}),
        )])
        .await;
        let cache = cache(&base, AppCredentials::custom("cli_1", SECRET));
        let err = cache.get(&TokenKey::Tenant(None)).await.unwrap_err();
        assert!(
            matches!(err.kind(), TokenErrorKind::Malformed(_)),
            "{err:?}"
        );
        assert!(!err.to_string().contains("t-x"));
    }

    #[tokio::test]
    async fn connection_refused_is_a_transport_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let cache = cache(
            &format!("http://{addr}"),
            AppCredentials::custom("cli_1", SECRET),
        );
        let err = cache.get(&TokenKey::App).await.unwrap_err();
        assert_eq!(err.kind(), &TokenErrorKind::Transport);
        assert!(err.is_connect(), "{err:?}");
        assert!(std::error::Error::source(&err).is_some());
        assert!(!format!("{err} {err:?}").contains(SECRET));
    }

    #[tokio::test]
    async fn store_app_tenant_token_uses_ticket_and_cached_app_token() {
        let (base, seen) = serve(vec![
            json(200, serde_json::json!({"code": 0, "msg": "ok", "app_access_token": "a-store", "expire": 7140})),
            json(200, serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-one", "expire": 7140})),
            json(200, serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-two", "expire": 7140})),
        ])
        .await;
        let cache = cache(&base, AppCredentials::store("cli_s", SECRET));
        cache.set_app_ticket("ticket-1");
        let one = cache
            .get(&TokenKey::Tenant(Some("tk-1".into())))
            .await
            .unwrap();
        let two = cache
            .get(&TokenKey::Tenant(Some("tk-2".into())))
            .await
            .unwrap();
        assert_eq!((one.expose(), two.expose()), ("t-one", "t-two"));

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "the app token is fetched once");
        assert_eq!(seen[0].path, endpoints::APP_ACCESS_TOKEN);
        assert_eq!(
            seen[0].body,
            serde_json::json!({"app_id": "cli_s", "app_secret": SECRET, "app_ticket": "ticket-1"})
        );
        assert_eq!(seen[1].path, endpoints::TENANT_ACCESS_TOKEN);
        assert_eq!(
            seen[1].body,
            serde_json::json!({"app_access_token": "a-store", "tenant_key": "tk-1"})
        );
        assert_eq!(
            seen[2].body,
            serde_json::json!({"app_access_token": "a-store", "tenant_key": "tk-2"})
        );
    }

    #[tokio::test]
    async fn store_app_refreshes_a_rejected_app_token_once() {
        let (base, seen) = serve(vec![
            json(200, serde_json::json!({"code": 0, "msg": "ok", "app_access_token": "a-old", "expire": 7140})),
            json(400, serde_json::json!({"code": 99991664, "msg": "invalid app_access_token"})),
            json(200, serde_json::json!({"code": 0, "msg": "ok", "app_access_token": "a-new", "expire": 7140})),
            json(200, serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-ok", "expire": 7140})),
        ])
        .await;
        let cache = cache(&base, AppCredentials::store("cli_s", SECRET));
        cache.set_app_ticket("ticket-1");
        let token = cache
            .get(&TokenKey::Tenant(Some("tk".into())))
            .await
            .unwrap();
        assert_eq!(token.expose(), "t-ok");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[3].body["app_access_token"], "a-new");
    }

    #[tokio::test]
    async fn store_app_without_ticket_requests_resend() {
        let (base, seen) =
            serve(vec![json(200, serde_json::json!({"code": 0, "msg": "ok"}))]).await;
        let cache = cache(&base, AppCredentials::store("cli_s", SECRET));
        let err = cache
            .get(&TokenKey::Tenant(Some("tk".into())))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &TokenErrorKind::AppTicketMissing);
        assert_eq!(err.endpoint(), endpoints::APP_ACCESS_TOKEN);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].path, endpoints::APP_TICKET_RESEND);
        assert_eq!(
            seen[0].body,
            serde_json::json!({"app_id": "cli_s", "app_secret": SECRET})
        );
    }

    #[tokio::test]
    async fn explicit_resend_reports_rejection() {
        let (base, _seen) = serve(vec![json(
            400,
            serde_json::json!({"code": 10016, "msg": "resend failed"}),
        )])
        .await;
        let cache = cache(&base, AppCredentials::custom("cli_1", SECRET));
        let err = cache.request_app_ticket_resend().await.unwrap_err();
        assert_eq!(err.code(), Some(10016));
        assert_eq!(err.endpoint(), endpoints::APP_TICKET_RESEND);
    }

    #[tokio::test]
    async fn store_app_tenant_token_needs_tenant_key() {
        let cache = cache("http://127.0.0.1:9", AppCredentials::store("cli_s", SECRET));
        let err = cache.get(&TokenKey::Tenant(None)).await.unwrap_err();
        assert_eq!(err.kind(), &TokenErrorKind::MissingTenantKey);
    }

    #[test]
    fn excerpt_withholds_credentials_and_truncates() {
        assert_eq!(
            excerpt(b"{\"tenant_access_token\":\"t-1\""),
            "<withheld: body mentions a credential>"
        );
        let long = "x".repeat(500);
        let e = excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), error_body::EXCERPT_CHARS + 1);
        assert_eq!(excerpt(b"  line1\nline2 "), "line1 line2");
    }

    #[test]
    fn fetcher_debug_hides_secret() {
        let f = HttpTokenFetcher::new(
            client(),
            "https://open.feishu.cn///",
            AppCredentials::custom("cli_1", SECRET),
        );
        let dbg = format!("{f:?}");
        assert!(dbg.contains("\"https://open.feishu.cn\""), "{dbg}");
        assert!(!dbg.contains(SECRET), "{dbg}");
    }
}
