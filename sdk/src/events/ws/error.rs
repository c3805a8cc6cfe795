//! What can stop the long connection.

use std::fmt;

/// A boxed error source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What text from the server is scrubbed of before it goes into an error or a log line: the
/// app secret, and the connection URL's query values (its ticket and access key). Every
/// message built from server-supplied text (the endpoint's `msg`, a refused handshake's
/// `Handshake-Msg`, a close frame's reason) goes through [`Scrub::text`].
#[derive(Clone, Default)]
pub(crate) struct Scrub(Vec<crate::auth::Secret>);

impl Scrub {
    /// The app secret and, once the endpoint answered, the connection URL's query values.
    pub(crate) fn new(app_secret: &crate::auth::Secret, url: Option<&str>) -> Scrub {
        let mut secrets = vec![app_secret.clone()];
        if let Some(url) = url.and_then(|u| reqwest::Url::parse(u).ok()) {
            secrets.extend(
                url.query_pairs()
                    .map(|(_, v)| crate::auth::Secret::new(v.into_owned())),
            );
        }
        Scrub(secrets)
    }

    /// `text` with every secret replaced by `***`.
    pub(crate) fn text(&self, text: &str) -> String {
        let secrets: Vec<&str> = self.0.iter().map(|s| s.expose()).collect();
        crate::auth::redact(text, &secrets)
    }
}

/// Where in the connection's life an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// The call to `POST /callback/ws/endpoint` that gets the connection URL.
    Endpoint,
    /// The WebSocket handshake (TCP, TLS, HTTP upgrade).
    Handshake,
    /// An open connection.
    Session,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Endpoint => "endpoint call",
            Stage::Handshake => "handshake",
            Stage::Session => "session",
        })
    }
}

/// Platform code: system busy (retried).
pub(crate) const CODE_SYSTEM_BUSY: i64 = 1;
/// Platform code: the app is forbidden to connect.
pub(crate) const CODE_FORBIDDEN: i64 = 403;
/// Platform code: authentication failed (wrong app id or secret, or a stale ticket).
pub(crate) const CODE_AUTH_FAILED: i64 = 514;
/// Platform code: the app has too many long connections (50 at most).
pub(crate) const CODE_TOO_MANY_CONNECTIONS: i64 = 1_000_040_350;
/// Platform code: internal error (retried).
pub(crate) const CODE_INTERNAL_ERROR: i64 = 1_000_040_343;

/// Why the long connection stopped, or why one try to connect failed.
///
/// [`LongConnection::run`](super::LongConnection::run) returns the fatal ones at once
/// ([`is_retryable`](Self::is_retryable) is false) and retries the others as the platform's
/// reconnect settings say, returning [`WsError::ReconnectExhausted`] when they are used up.
/// Messages never contain the app secret or the connection URL's ticket.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// The platform refused the app's credentials (code 514). Fatal at the endpoint call
    /// (wrong app id or secret); retried with a fresh endpoint call at the handshake (the
    /// connection ticket may have gone stale).
    #[error("long connection: authentication failed at the {stage} (514): {msg}")]
    AuthFailed {
        /// Where it happened.
        stage: Stage,
        /// The platform's message.
        msg: String,
    },
    /// The app already has the most long connections the platform allows (code
    /// 1000040350). Fatal.
    #[error(
        "long connection: too many connections for this app at the {stage} (1000040350): {msg}"
    )]
    TooManyConnections {
        /// Where it happened.
        stage: Stage,
        /// The platform's message.
        msg: String,
    },
    /// The platform forbids this app a long connection (code 403). Fatal.
    #[error("long connection: forbidden at the {stage} (403): {msg}")]
    Forbidden {
        /// Where it happened.
        stage: Stage,
        /// The platform's message.
        msg: String,
    },
    /// The platform is busy or failed internally (code 1, 1000040343, or an HTTP 5xx of
    /// the endpoint call). Retried.
    #[error("long connection: server busy at the {stage} ({code}): {msg}")]
    ServerBusy {
        /// Where it happened.
        stage: Stage,
        /// The platform's code (or the HTTP status).
        code: i64,
        /// The platform's message.
        msg: String,
    },
    /// The endpoint call answered another non-zero code. Fatal.
    #[error("long connection: the endpoint call failed with code {code}: {msg}")]
    Endpoint {
        /// The platform's code.
        code: i64,
        /// The platform's message.
        msg: String,
    },
    /// The WebSocket handshake was answered with something other than `101 Switching
    /// Protocols`, with none of the named reasons above. Retried.
    #[error(
        "long connection: handshake refused with HTTP {http_status} (Handshake-Status {}, Handshake-Autherrcode {}): {}",
        opt(status), opt(auth_code), msg.as_deref().unwrap_or("no Handshake-Msg")
    )]
    Handshake {
        /// The HTTP status of the answer.
        http_status: u16,
        /// The `Handshake-Status` header, when present.
        status: Option<i64>,
        /// The `Handshake-Autherrcode` header, when present.
        auth_code: Option<i64>,
        /// The `Handshake-Msg` header, when present.
        msg: Option<String>,
    },
    /// The endpoint call was answered with a redirect (or a caller's HTTP client followed
    /// one). The call carries the app secret, so no redirect is followed and the answer is
    /// not read. Fatal: check the base URL ([`LongConnectionBuilder::endpoint_url`](super::LongConnectionBuilder::endpoint_url)).
    #[error("long connection: the endpoint call was answered HTTP {status} redirecting to {to}; it carries the app secret and follows no redirect (check the base URL)")]
    Redirected {
        /// The HTTP status.
        status: u16,
        /// Where it pointed: scheme, host and port only.
        to: String,
    },
    /// The endpoint call's answer could not be used (not JSON, no URL, a URL that is not a
    /// WebSocket URL). Retried.
    #[error("long connection: unusable endpoint answer: {reason}")]
    InvalidEndpoint {
        /// What was wrong.
        reason: String,
    },
    /// A network, TLS or WebSocket failure. Retried.
    #[error("long connection: transport failure at the {stage}: {source}")]
    Transport {
        /// Where it happened.
        stage: Stage,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The server closed the connection, or it went silent. Retried.
    #[error("long connection: connection lost: {reason}")]
    Disconnected {
        /// What was seen.
        reason: String,
    },
    /// Every try the platform's reconnect settings allow failed.
    #[error("long connection: gave up after {attempts} tries to reconnect; last error: {last}")]
    ReconnectExhausted {
        /// How many tries were made.
        attempts: u32,
        /// The last try's error.
        last: Box<WsError>,
    },
}

fn opt(value: &Option<i64>) -> String {
    value.map_or_else(|| "absent".to_owned(), |v| v.to_string())
}

impl WsError {
    /// Whether trying again (with a fresh endpoint call) can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            WsError::AuthFailed { stage, .. } => *stage != Stage::Endpoint,
            WsError::TooManyConnections { .. }
            | WsError::Forbidden { .. }
            | WsError::Endpoint { .. }
            | WsError::Redirected { .. }
            | WsError::ReconnectExhausted { .. } => false,
            WsError::ServerBusy { .. }
            | WsError::Handshake { .. }
            | WsError::InvalidEndpoint { .. }
            | WsError::Transport { .. }
            | WsError::Disconnected { .. } => true,
        }
    }

    /// The platform's code, for the errors that carry one.
    pub fn code(&self) -> Option<i64> {
        match self {
            WsError::AuthFailed { .. } => Some(CODE_AUTH_FAILED),
            WsError::TooManyConnections { .. } => Some(CODE_TOO_MANY_CONNECTIONS),
            WsError::Forbidden { .. } => Some(CODE_FORBIDDEN),
            WsError::ServerBusy { code, .. } | WsError::Endpoint { code, .. } => Some(*code),
            WsError::Handshake { status, .. } => *status,
            WsError::ReconnectExhausted { last, .. } => last.code(),
            _ => None,
        }
    }

    /// The named error for a platform `code`, or `msg` back when the code has no name.
    fn named(stage: Stage, code: i64, msg: String) -> Result<WsError, String> {
        Ok(match code {
            CODE_SYSTEM_BUSY | CODE_INTERNAL_ERROR => WsError::ServerBusy { stage, code, msg },
            CODE_FORBIDDEN => WsError::Forbidden { stage, msg },
            CODE_AUTH_FAILED => WsError::AuthFailed { stage, msg },
            CODE_TOO_MANY_CONNECTIONS => WsError::TooManyConnections { stage, msg },
            _ => return Err(msg),
        })
    }

    /// The error for a non-zero `code` of the endpoint call.
    pub(crate) fn from_endpoint_code(code: i64, msg: String) -> WsError {
        WsError::named(Stage::Endpoint, code, msg)
            .unwrap_or_else(|msg| WsError::Endpoint { code, msg })
    }

    /// The error for a refused handshake, from its HTTP status and `Handshake-*` headers
    /// (as the official SDKs read them: a `Handshake-Autherrcode` of 1000040350 names the
    /// error too).
    pub(crate) fn from_handshake(
        http_status: u16,
        status: Option<i64>,
        auth_code: Option<i64>,
        msg: Option<String>,
    ) -> WsError {
        let code = match auth_code {
            Some(CODE_TOO_MANY_CONNECTIONS) => auth_code,
            _ => status,
        };
        if let Some(code) = code {
            let text = msg.clone().unwrap_or_default();
            if let Ok(named) = WsError::named(Stage::Handshake, code, text) {
                return named;
            }
        }
        WsError::Handshake {
            http_status,
            status,
            auth_code,
            msg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_codes_map_to_named_errors() {
        let e = |code| WsError::from_endpoint_code(code, "m".into());
        assert!(matches!(e(1), WsError::ServerBusy { code: 1, .. }));
        assert!(matches!(
            e(1_000_040_343),
            WsError::ServerBusy {
                code: 1_000_040_343,
                ..
            }
        ));
        assert!(matches!(e(403), WsError::Forbidden { .. }));
        assert!(matches!(
            e(514),
            WsError::AuthFailed {
                stage: Stage::Endpoint,
                ..
            }
        ));
        assert!(matches!(
            e(1_000_040_350),
            WsError::TooManyConnections { .. }
        ));
        assert!(matches!(e(99), WsError::Endpoint { code: 99, .. }));

        assert!(e(1).is_retryable());
        assert!(e(1_000_040_343).is_retryable());
        for fatal in [403, 514, 1_000_040_350, 99] {
            assert!(!e(fatal).is_retryable(), "{fatal}");
            assert_eq!(e(fatal).code(), Some(fatal));
        }
        assert_eq!(
            e(514).to_string(),
            "long connection: authentication failed at the endpoint call (514): m"
        );
    }

    #[test]
    fn handshake_headers_map_to_named_errors() {
        let h = |status, auth| WsError::from_handshake(403, status, auth, Some("why".into()));
        let too_many = h(Some(514), Some(1_000_040_350));
        assert!(matches!(
            too_many,
            WsError::TooManyConnections {
                stage: Stage::Handshake,
                ..
            }
        ));
        assert!(!too_many.is_retryable());
        let auth = h(Some(514), Some(7));
        assert!(matches!(
            auth,
            WsError::AuthFailed {
                stage: Stage::Handshake,
                ..
            }
        ));
        assert!(
            auth.is_retryable(),
            "a stale ticket: a fresh endpoint call may do"
        );
        assert!(matches!(h(Some(403), None), WsError::Forbidden { .. }));
        assert!(matches!(
            h(Some(1), None),
            WsError::ServerBusy { code: 1, .. }
        ));
        let other = WsError::from_handshake(502, None, None, None);
        assert!(other.is_retryable());
        assert_eq!(
            other.to_string(),
            "long connection: handshake refused with HTTP 502 (Handshake-Status absent, \
             Handshake-Autherrcode absent): no Handshake-Msg"
        );
    }

    #[test]
    fn exhausted_keeps_the_last_error() {
        let e = WsError::ReconnectExhausted {
            attempts: 3,
            last: Box::new(WsError::from_endpoint_code(1, "busy".into())),
        };
        assert!(!e.is_retryable());
        assert_eq!(e.code(), Some(1));
        assert!(e.to_string().contains("busy"));
    }
}
