//! The one public error type, [`Error`]: per call it carries the endpoint's generated error
//! enum (`Error<CreateMessageError>`); with its default parameter it is the service-wide
//! error every endpoint's error converts into with `?`.

use std::fmt;
use std::path::PathBuf;

use crate::auth::TokenError;
use crate::service_error::{AnyServiceError, ServiceError};
use crate::transport::error_body::UnexpectedBody;
use crate::ApiError;

/// Everything that can go wrong with a call.
///
/// A call returns `Error<E>`, where `E` is the endpoint's error enum (one variant per
/// documented code). `Error` alone (`E` = [`AnyServiceError`]) is the service-wide error:
/// `?` turns any endpoint's error into it, and
/// [`service_error`](Error::service_error)`.downcast_ref::<E>()` gives the typed enum back.
///
/// ```no_run
/// use lark_openapi::im::v1::{message::CreateMessageBody, ContainerIdType, MsgType, ReceiveIdType};
/// use lark_openapi::im::v1::message_resource::GetMessageResourceError;
/// use lark_openapi::im::v1::ResourceType;
///
/// async fn forward_first_file(client: &lark_openapi::Client) -> Result<(), lark_openapi::Error> {
///     // Three endpoints, three error enums, one `?`.
///     let page = client.im().v1().message().list("oc_1", ContainerIdType::Chat).send().await?;
///     let message = client.im().v1().message().get("om_1").send().await?;
///     let body = CreateMessageBody::new("oc_2", MsgType::Text, r#"{"text":"hi"}"#);
///     client.im().v1().message().create(ReceiveIdType::ChatId, body).send().await?;
///     # let _ = (page, message);
///     Ok(())
/// }
///
/// # async fn f(client: lark_openapi::Client) {
/// if let Err(err) = forward_first_file(&client).await {
///     // The typed variant is reachable again.
///     let typed = err
///         .service_error()
///         .and_then(|e| e.downcast_ref::<GetMessageResourceError>());
///     if let Some(GetMessageResourceError::FileNotInMessage(e)) = typed {
///         eprintln!("wrong file key, log id {:?}", e.log_id);
///     }
/// }
/// # }
/// ```
///
/// The variants keep apart what the caller can act on differently: bad configuration or
/// input (fix the code), token acquisition (fix credentials), the endpoint's documented
/// errors (`Service`, the generated enum with the spec's advice), transport failures
/// (network, timeouts), an answer that does not decode, local I/O while saving, and a body
/// that broke its promises (size limit, length). `source()` chains are kept.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E = AnyServiceError> {
    /// The client or request was built with invalid settings.
    Config(ConfigError),
    /// A request parameter is invalid (for example an empty id); nothing was sent.
    InvalidRequest(String),
    /// No access token could be obtained.
    Token(TokenError),
    /// The endpoint answered with an error code: the generated enum of that endpoint.
    Service(E),
    /// The server answered an error status with a body that is not the JSON error envelope
    /// (a gateway's HTML page, an empty body).
    UnexpectedResponse(UnexpectedBody),
    /// The request or the body transfer failed: connection, timeout, broken body.
    Transport(TransportError),
    /// The client-side rate limiter ([`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter))
    /// would give the call its turn only after its deadline; nothing was sent.
    RateLimit(crate::ratelimit::RateLimitError),
    /// Writing the download failed; the target file is untouched.
    Io {
        /// The file or directory being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The body is larger than the allowed size; nothing was kept.
    SizeLimitExceeded {
        /// The limit, in bytes.
        limit: u64,
        /// The size the server announced, when it did.
        content_length: Option<u64>,
    },
    /// The server broke the rules of a ranged transfer: a partial answer (206) to a request
    /// for the whole body, or a resumed part of a resource that changed since the download
    /// started (its ETag or Last-Modified differs). Nothing was kept.
    BadPartialContent {
        /// What was wrong.
        reason: String,
    },
    /// The body ended with a length other than the announced `Content-Length`.
    Integrity {
        /// The announced length.
        expected: u64,
        /// What arrived.
        received: u64,
    },
    /// The answer said success (2xx) but cannot be read as the endpoint's model: not JSON,
    /// over the cap, no `code`, or the wrong shape (boxed: it is the largest variant).
    Decode(Box<DecodeError>),
    /// A paginated listing went wrong: a page token seen before (the stream would loop),
    /// or `has_more` without a token.
    Pagination {
        /// The endpoint.
        endpoint: &'static str,
        /// What went wrong.
        reason: String,
    },
}

pub(crate) mod sealed {
    /// What both a generated error enum and [`AnyServiceError`](super::AnyServiceError)
    /// offer, so that [`Error`](super::Error)'s accessors work for either.
    pub trait ServiceErrorLike {
        fn api_error_of(&self) -> &crate::ApiError;
    }
}

impl<E: ServiceError> sealed::ServiceErrorLike for E {
    fn api_error_of(&self) -> &ApiError {
        self.api_error()
    }
}

impl sealed::ServiceErrorLike for AnyServiceError {
    fn api_error_of(&self) -> &ApiError {
        self.api_error()
    }
}

impl<E: sealed::ServiceErrorLike> Error<E> {
    /// The endpoint's error enum (or, for the service-wide `Error`, the type-erased one), if
    /// the server answered with an error code.
    pub fn service_error(&self) -> Option<&E> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The platform error code, from the endpoint or the token endpoint.
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Service(e) => Some(e.api_error_of().code),
            Error::Token(e) => e.code(),
            _ => None,
        }
    }

    /// The log id to quote to Lark support, when the server sent one.
    pub fn log_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.api_error_of().log_id.as_deref(),
            Error::Token(e) => e.log_id(),
            Error::UnexpectedResponse(u) => u.log_id.as_deref(),
            Error::Decode(d) => d.log_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the request timed out (connect or idle read).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(t) => t.is_timeout(),
            Error::Token(t) => t.is_timeout(),
            _ => false,
        }
    }

    /// Whether the connection could not be made.
    pub fn is_connect(&self) -> bool {
        match self {
            Error::Transport(t) => t.is_connect(),
            Error::Token(t) => t.is_connect(),
            _ => false,
        }
    }
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => write!(f, "invalid configuration: {e}"),
            Error::InvalidRequest(why) => write!(f, "invalid request, nothing was sent: {why}"),
            Error::Token(e) => write!(f, "could not get an access token: {e}"),
            Error::Service(e) => write!(f, "{e}"),
            Error::UnexpectedResponse(u) => write!(f, "unexpected response: {u}"),
            Error::Transport(e) => write!(f, "{e}"),
            Error::RateLimit(e) => write!(f, "{e}"),
            Error::Io { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            Error::SizeLimitExceeded {
                limit,
                content_length,
            } => {
                write!(f, "response body exceeds the limit of {limit} bytes")?;
                if let Some(len) = content_length {
                    write!(f, " (the server announced {len})")?;
                }
                write!(f, "; nothing was kept")
            }
            Error::BadPartialContent { reason } => write!(f, "{reason}; nothing was kept"),
            Error::Decode(d) => write!(f, "{d}"),
            Error::Pagination { endpoint, reason } => write!(f, "{endpoint}: {reason}"),
            Error::Integrity { expected, received } => write!(
                f,
                "body ended after {received} of the announced {expected} bytes; nothing was kept"
            ),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(e) => Some(e),
            Error::Token(e) => Some(e),
            Error::Service(e) => e.source(),
            Error::Transport(e) => Some(e),
            Error::RateLimit(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            Error::Decode(d) => Some(d.as_ref()),
            _ => None,
        }
    }
}

/// `?` from any endpoint's `Error<E>` into the service-wide [`Error`].
impl<E: ServiceError> From<Error<E>> for Error {
    fn from(error: Error<E>) -> Self {
        match error {
            Error::Config(e) => Error::Config(e),
            Error::InvalidRequest(why) => Error::InvalidRequest(why),
            Error::Token(e) => Error::Token(e),
            Error::Service(e) => Error::Service(AnyServiceError::new(e)),
            Error::UnexpectedResponse(u) => Error::UnexpectedResponse(u),
            Error::Transport(e) => Error::Transport(e),
            Error::RateLimit(e) => Error::RateLimit(e),
            Error::Io { path, source } => Error::Io { path, source },
            Error::SizeLimitExceeded {
                limit,
                content_length,
            } => Error::SizeLimitExceeded {
                limit,
                content_length,
            },
            Error::BadPartialContent { reason } => Error::BadPartialContent { reason },
            Error::Integrity { expected, received } => Error::Integrity { expected, received },
            Error::Decode(d) => Error::Decode(d),
            Error::Pagination { endpoint, reason } => Error::Pagination { endpoint, reason },
        }
    }
}

/// A `ConfigError` from `Client::builder(…).build()?` in a function returning `Error`.
impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Error::Config(error)
    }
}

/// A success (2xx) answer that cannot be read as the endpoint's model: not JSON, larger than
/// the cap, without the envelope's `code`, or of the wrong shape. Every such failure names
/// the endpoint, and the JSON path where there is one.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DecodeError {
    /// The endpoint.
    pub endpoint: &'static str,
    /// Where in the answer decoding failed, as a JSON path (`data.items[3].sender.id`).
    pub path: String,
    /// What serde said.
    pub message: String,
    /// The answer's log id.
    pub log_id: Option<String>,
    /// The start of the answer, cleaned, for the error message.
    pub excerpt: String,
    /// The answer was larger than this many bytes; only its start was read.
    pub cut_at: Option<usize>,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the answer does not fit the model at `{}`: {}",
            self.endpoint, self.path, self.message
        )?;
        if let Some(id) = &self.log_id {
            write!(f, " (log id {id})")?;
        }
        write!(f, "; the answer starts: \"{}\"", self.excerpt)
    }
}

impl std::error::Error for DecodeError {}

/// A client or request setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    message: String,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ConfigError {
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

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
