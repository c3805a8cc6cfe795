//! Per-request options: which token to use, extra headers, opt-ins.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::auth::Secret;

/// Options for one request. `Debug` never shows a token.
///
/// Options compose: every setter sets one field, and
/// [`options(…)`](crate::RequestOptions) on a prepared call merges these options into the
/// ones already set there (a field these options set replaces that field; fields they leave
/// unset keep their value; headers add up), so `.user_access_token(t).options(o)` and
/// `.options(o).user_access_token(t)` both send the user token.
///
/// ```
/// let options = lark_openapi::RequestOptions::new()
///     .tenant_key("2ed263bf32cf1651")
///     .header("x-my-trace", "abc");
/// ```
#[derive(Clone, Default)]
pub struct RequestOptions {
    pub(crate) access_token: Option<Secret>,
    pub(crate) user_access_token: Option<Secret>,
    pub(crate) tenant_key: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) retry_non_idempotent: Option<bool>,
    pub(crate) timeout: Option<std::time::Duration>,
    /// The most pages a listing reads (`.pages()`, `.items()`).
    pub(crate) max_pages: Option<u64>,
    /// For the SDK's own auth requests: a retry policy other than the client's.
    pub(crate) retry: Option<crate::RetryPolicy>,
    /// For the SDK's own auth requests: the body's credentials, scrubbed from messages.
    pub(crate) secrets: Vec<Secret>,
}

impl RequestOptions {
    /// No options: the client's cached tenant token and default headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends exactly this access token; the SDK neither caches nor refreshes it, so a
    /// rejected explicit token is reported, not replaced.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(Secret::new(token.into()));
        self
    }

    /// Acts as a user with their `user_access_token`.
    pub fn user_access_token(mut self, token: impl Into<String>) -> Self {
        self.user_access_token = Some(Secret::new(token.into()));
        self
    }

    /// Store apps: the tenant to act for.
    pub fn tenant_key(mut self, tenant_key: impl Into<String>) -> Self {
        self.tenant_key = Some(tenant_key.into());
        self
    }

    /// Adds a header; checked when the request is sent (an invalid one is a `Config` error).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Allows retries of a request that is not idempotent (POST, PATCH).
    pub fn retry_non_idempotent(mut self, allow: bool) -> Self {
        self.retry_non_idempotent = Some(allow);
        self
    }

    /// An overall deadline for this call, replacing the client's
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout): token fetch, attempts,
    /// waits between retries and, for a download, the whole body must fit in it. Checked
    /// when the call is sent (zero or more than 24 hours is a `Config` error).
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// For a listing (`.pages()`, `.items()`): the most pages to read (default
    /// [`DEFAULT_MAX_PAGES`](crate::limits::DEFAULT_MAX_PAGES), 100,000). A listing whose
    /// server still says "more" after that many pages ends with
    /// [`Error::Pagination`](crate::Error::Pagination) instead of reading on. (A page token
    /// seen before, however long ago, ends it the same way.)
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = Some(pages.max(1));
        self
    }

    pub(crate) fn with_retry_policy(mut self, policy: crate::RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    pub(crate) fn with_secrets(mut self, secrets: impl IntoIterator<Item = Secret>) -> Self {
        self.secrets.extend(secrets);
        self
    }

    /// These options with `later`'s merged in: each field `later` sets replaces this one's,
    /// each field it leaves unset keeps this one's value, and headers add up (`later`'s
    /// after these). What a prepared call's `.options(…)` does, so that no setter silently
    /// drops what another set (an identity, a retry opt-in).
    pub(crate) fn merge(self, later: RequestOptions) -> RequestOptions {
        let mut headers = self.headers;
        headers.extend(later.headers);
        let mut secrets = self.secrets;
        secrets.extend(later.secrets);
        RequestOptions {
            access_token: later.access_token.or(self.access_token),
            user_access_token: later.user_access_token.or(self.user_access_token),
            tenant_key: later.tenant_key.or(self.tenant_key),
            headers,
            retry_non_idempotent: later.retry_non_idempotent.or(self.retry_non_idempotent),
            timeout: later.timeout.or(self.timeout),
            max_pages: later.max_pages.or(self.max_pages),
            retry: later.retry.or(self.retry),
            secrets,
        }
    }

    /// Whether the caller allowed retries of a request that is not idempotent.
    pub(crate) fn retries_non_idempotent(&self) -> bool {
        self.retry_non_idempotent.unwrap_or(false)
    }

    pub(crate) fn header_map(&self) -> Result<HeaderMap, String> {
        parse_headers(&self.headers)
    }
}

/// Checks (name, value) pairs and turns them into a header map; the error names the header.
/// Used for per-request headers and the client's default headers alike.
pub(crate) fn parse_headers(pairs: &[(String, String)]) -> Result<HeaderMap, String> {
    if pairs.is_empty() {
        return Ok(HeaderMap::new());
    }
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{name}` is not a valid header name"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("the value of header `{name}` is not a valid header value"))?;
        map.append(header, value);
    }
    Ok(map)
}

impl fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("RequestOptions")
            .field("access_token", &self.access_token.as_ref().map(|_| "***"))
            .field(
                "user_access_token",
                &self.user_access_token.as_ref().map(|_| "***"),
            )
            .field("tenant_key", &self.tenant_key)
            .field("header_names", &names)
            .field("retry_non_idempotent", &self.retries_non_idempotent())
            .field("timeout", &self.timeout)
            .field("max_pages", &self.max_pages)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_tokens_and_header_values() {
        let o = RequestOptions::new()
            .access_token("t-secret-token")
            .user_access_token("u-secret-token")
            .header("x-api", "hidden-value");
        let debug = format!("{o:?}");
        assert!(!debug.contains("secret-token"), "{debug}");
        assert!(!debug.contains("hidden-value"), "{debug}");
        assert!(debug.contains("x-api"), "{debug}");
    }

    /// Every pair of settings, merged in both orders: what the later options set wins,
    /// what they leave unset is kept, headers add up (the review's finding 11).
    #[test]
    fn merged_options_keep_what_the_later_ones_leave_unset() {
        type Setter = fn(RequestOptions) -> RequestOptions;
        let setters: [(&str, Setter); 7] = [
            ("access_token", |o| o.access_token("t-explicit")),
            ("user_access_token", |o| o.user_access_token("u-user")),
            ("tenant_key", |o| o.tenant_key("tk")),
            ("header", |o| o.header("x-a", "1")),
            ("retry_non_idempotent", |o| o.retry_non_idempotent(true)),
            ("timeout", |o| o.timeout(std::time::Duration::from_secs(5))),
            ("max_pages", |o| o.max_pages(7)),
        ];
        let has = |o: &RequestOptions, name: &str| match name {
            "access_token" => o.access_token.is_some(),
            "user_access_token" => o.user_access_token.is_some(),
            "tenant_key" => o.tenant_key.is_some(),
            "header" => !o.headers.is_empty(),
            "retry_non_idempotent" => o.retries_non_idempotent(),
            "timeout" => o.timeout.is_some(),
            "max_pages" => o.max_pages.is_some(),
            _ => unreachable!(),
        };
        for (a, set_a) in setters {
            for (b, set_b) in setters {
                let merged = set_a(RequestOptions::new()).merge(set_b(RequestOptions::new()));
                assert!(
                    has(&merged, a) && has(&merged, b),
                    "{a} then {b}: {merged:?}"
                );
            }
        }
        // The later one wins a field both set; headers add up.
        let merged = RequestOptions::new()
            .user_access_token("u-first")
            .header("x-a", "1")
            .merge(
                RequestOptions::new()
                    .user_access_token("u-second")
                    .header("x-b", "2"),
            );
        assert_eq!(merged.user_access_token.unwrap().expose(), "u-second");
        assert_eq!(merged.headers.len(), 2);
        // An explicit `false` is a setting too.
        let merged = RequestOptions::new()
            .retry_non_idempotent(true)
            .merge(RequestOptions::new().retry_non_idempotent(false));
        assert!(!merged.retries_non_idempotent());
    }

    #[test]
    fn invalid_header_is_named() {
        let o = RequestOptions::new().header("bad header", "v");
        assert_eq!(
            o.header_map().unwrap_err(),
            "`bad header` is not a valid header name"
        );
    }
}
