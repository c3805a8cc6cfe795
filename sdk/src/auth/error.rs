//! Errors from obtaining access tokens.

use std::fmt;
use std::sync::Arc;

/// What went wrong while obtaining a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenErrorKind {
    /// The auth endpoint answered with `code != 0` (for example 10015, wrong
    /// app_secret, or 10012/10013, failed to get an app / tenant token).
    Rejected {
        /// The platform error code.
        code: i64,
        /// The platform message (`msg`).
        msg: String,
    },
    /// The auth endpoint answered something other than the expected JSON (a
    /// proxy error page, an HTTP 5xx with an empty body, ...).
    Http {
        /// The HTTP status.
        status: u16,
        /// The start of the body, lossily decoded. Bodies that look like they
        /// carry a token or secret are replaced by a placeholder.
        excerpt: String,
    },
    /// The request did not get an answer (connect error, timeout, broken
    /// connection). The [`TransportError`](crate::TransportError) is [`TokenError`]'s
    /// [`source`](std::error::Error::source).
    Transport,
    /// A store app has no `app_ticket` yet. A resend of the ticket was
    /// requested; retry once the `app_ticket` event has been delivered (see
    /// [`TokenCache::set_app_ticket`](super::TokenCache::set_app_ticket)).
    AppTicketMissing,
    /// A tenant token of a store app was requested without a `tenant_key`.
    MissingTenantKey,
    /// The answer was JSON with `code == 0` but lacked a usable token or
    /// expiry. The text says what was missing; it never contains the body.
    Malformed(String),
    /// The auth endpoint answered with a redirect, or the HTTP client followed
    /// one. Auth requests carry the app secret, so the SDK follows no redirect
    /// for them and refuses a token that did not come from the configured base URL.
    Redirected {
        /// The HTTP status (a 3xx, or the status of the redirected answer).
        status: u16,
        /// Where the redirect pointed: scheme, host and port only.
        to: String,
    },
    /// The answer is longer than
    /// [`MAX_AUTH_BODY`](crate::transport::read::MAX_AUTH_BODY) bytes; the rest
    /// was not read.
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
}

impl fmt::Display for TokenErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenErrorKind::Rejected { code, msg } => write!(f, "rejected with code {code}: {msg}"),
            TokenErrorKind::Http { status, excerpt } if excerpt.is_empty() => {
                write!(f, "unexpected HTTP {status} answer with an empty body")
            }
            TokenErrorKind::Http { status, excerpt } => {
                write!(f, "unexpected HTTP {status} answer: {excerpt}")
            }
            TokenErrorKind::Transport => f.write_str("request failed"),
            TokenErrorKind::AppTicketMissing => {
                f.write_str("store app has no app_ticket yet (a resend was requested)")
            }
            TokenErrorKind::MissingTenantKey => {
                f.write_str("store app tenant token requested without a tenant_key")
            }
            TokenErrorKind::Malformed(what) => write!(f, "malformed answer: {what}"),
            TokenErrorKind::Redirected { status, to } => write!(
                f,
                "answered HTTP {status} redirecting to {to}; auth requests carry the app \
                 secret and follow no redirect (check the base URL)"
            ),
            TokenErrorKind::TooLarge { limit } => write!(
                f,
                "the answer is larger than {limit} bytes; it was not read further"
            ),
        }
    }
}

/// Failure to obtain an access token from one of the auth endpoints.
///
/// Cheap to clone (the transport error is shared), so that one failed fetch
/// can be handed to every request that waited on it. Its `Display` is one
/// line naming the endpoint, the error code and message, and the log id; it
/// never contains a secret or a token.
#[derive(Debug, Clone, thiserror::Error)]
#[error("lark auth {endpoint}: {kind}{}{}", TransportHint(.source.as_deref()), LogIdSuffix(.log_id.as_deref()))]
#[non_exhaustive]
pub struct TokenError {
    endpoint: &'static str,
    kind: TokenErrorKind,
    log_id: Option<String>,
    #[source]
    source: Option<Arc<crate::TransportError>>,
}

impl TokenError {
    /// An error from the auth endpoint with the given path (for example
    /// `/open-apis/auth/v3/tenant_access_token/internal`).
    pub fn new(endpoint: &'static str, kind: TokenErrorKind) -> Self {
        TokenError {
            endpoint,
            kind,
            log_id: None,
            source: None,
        }
    }

    /// A [`TokenErrorKind::Transport`] error caused by `err`.
    pub fn transport(endpoint: &'static str, err: crate::TransportError) -> Self {
        TokenError {
            endpoint,
            kind: TokenErrorKind::Transport,
            log_id: None,
            source: Some(Arc::new(err)),
        }
    }

    /// Attaches the request log id (`X-Tt-Logid`).
    pub fn with_log_id(mut self, log_id: Option<String>) -> Self {
        self.log_id = log_id;
        self
    }

    /// The path of the auth endpoint that failed.
    pub fn endpoint(&self) -> &'static str {
        self.endpoint
    }

    /// What went wrong.
    pub fn kind(&self) -> &TokenErrorKind {
        &self.kind
    }

    /// The platform error code, for [`TokenErrorKind::Rejected`].
    pub fn code(&self) -> Option<i64> {
        match &self.kind {
            TokenErrorKind::Rejected { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The platform message (`msg`), for [`TokenErrorKind::Rejected`].
    pub fn message(&self) -> Option<&str> {
        match &self.kind {
            TokenErrorKind::Rejected { msg, .. } => Some(msg),
            _ => None,
        }
    }

    /// The request log id (`X-Tt-Logid` response header), when known. Quote it
    /// when asking the platform for help.
    pub fn log_id(&self) -> Option<&str> {
        self.log_id.as_deref()
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.source.as_deref().is_some_and(|e| e.is_timeout())
    }

    /// Whether connecting to the server failed.
    pub fn is_connect(&self) -> bool {
        self.source.as_deref().is_some_and(|e| e.is_connect())
    }
}

struct TransportHint<'a>(Option<&'a crate::TransportError>);

impl fmt::Display for TransportHint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(e) => write!(f, " ({e})"),
            None => Ok(()),
        }
    }
}

struct LogIdSuffix<'a>(Option<&'a str>);

impl fmt::Display for LogIdSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (log id {id})"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EP: &str = "/open-apis/auth/v3/tenant_access_token/internal";

    #[test]
    fn display_is_one_line_with_endpoint_code_msg_log_id() {
        let e = TokenError::new(
            EP,
            TokenErrorKind::Rejected {
                code: 10015,
                msg: "app secret invalid".into(),
            },
        )
        .with_log_id(Some("20240101abc".into()));
        let s = e.to_string();
        assert_eq!(
            s,
            "lark auth /open-apis/auth/v3/tenant_access_token/internal: rejected with code 10015: \
             app secret invalid (log id 20240101abc)"
        );
        assert!(!s.contains('\n'));
        assert_eq!(e.code(), Some(10015));
        assert_eq!(e.message(), Some("app secret invalid"));
        assert_eq!(e.log_id(), Some("20240101abc"));
        assert!(!e.is_timeout() && !e.is_connect());
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn display_and_debug_of_other_kinds() {
        for kind in [
            TokenErrorKind::AppTicketMissing,
            TokenErrorKind::MissingTenantKey,
            TokenErrorKind::Malformed("no expire".into()),
            TokenErrorKind::Http {
                status: 502,
                excerpt: "bad gateway".into(),
            },
            TokenErrorKind::Transport,
        ] {
            let e = TokenError::new(EP, kind);
            let s = e.to_string();
            assert!(s.starts_with("lark auth /open-apis/"), "{s}");
            assert!(!s.contains('\n'));
            assert!(format!("{e:?}").contains("endpoint"));
            assert_eq!(e.code(), None);
        }
    }
}
