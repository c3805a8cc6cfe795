//! A failure to exchange bytes with the server.

use std::fmt;

/// A failure to exchange bytes with the server.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportKind,
    context: &'static str,
    /// For a deadline: the call's configured timeout.
    deadline: Option<std::time::Duration>,
    source: Option<reqwest::Error>,
}

/// Whether reqwest failed because the response head (status line and headers) was larger
/// than the HTTP client accepts. No retry can fix that.
pub(crate) fn is_response_head_too_large(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        // `hyper::Error::is_parse_too_large` needs hyper's server feature; its message is
        // the same test without it (too many headers and too many bytes both give it).
        if err
            .downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.to_string().starts_with("message head is too large"))
        {
            return true;
        }
        source = err.source();
    }
    false
}

/// What kind of transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be made.
    Connect,
    /// Connecting, or waiting for the next bytes, took longer than the configured timeout.
    Timeout,
    /// The body broke off mid-way.
    Body,
    /// The response head (status line and headers) is larger than the HTTP client accepts
    /// (more than 100 headers or about 400 KiB). Not retried.
    HeadersTooLarge,
    /// Anything else reqwest reports.
    Other,
}

impl TransportError {
    pub(crate) fn from_reqwest(context: &'static str, e: reqwest::Error) -> Self {
        let kind = if is_response_head_too_large(&e) {
            TransportKind::HeadersTooLarge
        } else if e.is_connect() {
            TransportKind::Connect
        } else if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_body() || e.is_decode() {
            TransportKind::Body
        } else {
            TransportKind::Other
        };
        TransportError {
            kind,
            context,
            deadline: None,
            source: Some(e),
        }
    }

    pub(crate) fn premature_end(context: &'static str) -> Self {
        TransportError {
            kind: TransportKind::Body,
            context,
            deadline: None,
            source: None,
        }
    }

    pub(crate) fn idle_timeout(context: &'static str) -> Self {
        TransportError {
            kind: TransportKind::Timeout,
            context,
            deadline: None,
            source: None,
        }
    }

    /// The access token cannot be sent: it has characters an HTTP header cannot carry.
    pub(crate) fn invalid_token() -> Self {
        TransportError {
            kind: TransportKind::Other,
            context: "building the Authorization header: the access token has characters \
                      an HTTP header cannot carry",
            deadline: None,
            source: None,
        }
    }

    /// The call's overall deadline (`timeout`) passed.
    pub(crate) fn deadline(context: &'static str, timeout: std::time::Duration) -> Self {
        TransportError {
            kind: TransportKind::Timeout,
            context,
            deadline: Some(timeout),
            source: None,
        }
    }

    /// Whether the call's overall deadline passed (see
    /// [`RequestOptions::timeout`](crate::RequestOptions::timeout)), as opposed to a
    /// connect or idle timeout.
    pub fn is_deadline(&self) -> bool {
        self.deadline.is_some()
    }

    /// The kind of failure.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// Whether a timeout fired.
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportKind::Timeout
    }

    /// Whether the connection could not be made.
    pub fn is_connect(&self) -> bool {
        self.kind == TransportKind::Connect
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(timeout) = self.deadline {
            return write!(
                f,
                "the call's deadline of {timeout:?} passed while {}",
                self.context
            );
        }
        let what = match self.kind {
            TransportKind::Connect => "could not connect",
            TransportKind::Timeout => "timed out",
            TransportKind::Body => "the body broke off",
            TransportKind::HeadersTooLarge => {
                "the server's response headers are too large (over 100 headers or about \
                 400 KiB); not retried"
            }
            TransportKind::Other => "transport error",
        };
        write!(f, "{what} while {}", self.context)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}
