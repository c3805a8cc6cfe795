//! Errors: the one public [`Error`] type and what it carries.
//!
//! * [`Error`] (`mod.rs`): everything that can go wrong with a call;
//! * [`ServiceError`] (`service.rs`): an endpoint answered with an error code;
//! * the catalogues of codes (`catalogue.rs`): [`Catalogue`], [`CodeEntry`], [`ErrorRow`];
//! * [`ApiError`] and [`UnexpectedBody`] (`body.rs`): what an error answer said;
//! * [`DecodeError`], [`ConfigError`], [`TransportError`].

use std::fmt;
use std::path::PathBuf;

mod body;
mod catalogue;
mod config;
mod decode;
mod service;
mod transport;

pub(crate) use body::{
    excerpt, log_id_from_headers, parse_api_error, parse_error_body, ErrorBody, EXCERPT_CHARS,
};
pub use body::{ApiError, FieldViolation, Help, PermissionViolation, UnexpectedBody};
pub(crate) use catalogue::find_entry;
pub use catalogue::{Catalogue, CodeEntry, ErrorRow};
pub use config::ConfigError;
pub use decode::DecodeError;
pub use service::{AnyCode, ServiceError};
pub use transport::{TransportError, TransportKind};

use crate::auth::TokenError;

/// Everything that can go wrong with a call.
///
/// A call returns `Error<C>`, where `C` is the service version's `ErrorCode` enum, so that
/// a documented code can be matched with [`code`](Error::code). `Error` alone (`C` =
/// [`AnyCode`]) is the service-wide error: `?` turns any call's error into it, and it still
/// gives the code, its name, meaning and advice ([`code_number`](Error::code_number),
/// [`meaning`](Error::meaning), [`advice`](Error::advice)), and the typed code back with
/// [`ServiceError::code_as`].
///
/// ```no_run
/// use lark_openapi::im::v1::{message::CreateMessageBody, ContainerIdType, ErrorCode, MsgType, ReceiveIdType};
///
/// async fn forward_first_file(client: &lark_openapi::Client) -> Result<(), lark_openapi::Error> {
///     // Three endpoints, one `?`.
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
///     // The code, its meaning and advice, and the typed code again.
///     eprintln!("{:?}: {:?}, {:?}", err.code_number(), err.meaning(), err.advice());
///     let typed = err.service_error().and_then(|e| e.code_as::<ErrorCode>());
///     if typed == Some(ErrorCode::BotNotInChat) {
///         eprintln!("add the bot to the chat (log id {:?})", err.log_id());
///     }
/// }
/// # }
/// ```
///
/// The variants keep apart what the caller can act on differently: bad configuration or
/// input (fix the code), token acquisition (fix credentials), the endpoint's error codes
/// (`Service`, with the catalogue's meaning and advice), transport failures (network,
/// timeouts), an answer that does not decode, local I/O while saving, and a body that broke
/// its promises (size limit, length). `source()` chains are kept.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<C = AnyCode> {
    /// The client or request was built with invalid settings.
    Config(ConfigError),
    /// A request parameter is invalid (for example an empty id); nothing was sent.
    InvalidRequest(String),
    /// No access token could be obtained.
    Token(TokenError),
    /// The endpoint answered with an error code.
    Service(ServiceError<C>),
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

impl<C> Error<C> {
    /// The endpoint's error, if the server answered with an error code.
    pub fn service_error(&self) -> Option<&ServiceError<C>> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The platform's error code, from the endpoint or the token endpoint.
    pub fn code_number(&self) -> Option<i64> {
        match self {
            Error::Service(e) => Some(e.code_number()),
            Error::Token(e) => e.code(),
            _ => None,
        }
    }

    /// The typed code of the service version `D` (`lark_openapi::im::v1::ErrorCode`), when
    /// the endpoint's error is of that version and its catalogue has the code: how the
    /// service-wide [`Error`] gives a typed code back.
    pub fn code_as<D: Catalogue>(&self) -> Option<D> {
        self.service_error().and_then(ServiceError::code_as)
    }

    /// The code's name in its catalogue (`bot_not_in_chat`).
    pub fn code_name(&self) -> Option<&'static str> {
        self.service_error().and_then(ServiceError::code_name)
    }

    /// What the endpoint's code means, from the catalogue (or the endpoint's spec).
    pub fn meaning(&self) -> Option<&'static str> {
        self.service_error().and_then(ServiceError::meaning)
    }

    /// What to do about the endpoint's code, from the catalogue (or the endpoint's spec).
    pub fn advice(&self) -> Option<&'static str> {
        self.service_error().and_then(ServiceError::advice)
    }

    /// The log id to quote to Lark support, when the server sent one.
    pub fn log_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.log_id(),
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

    /// The same error with another type parameter (only a service error's static type
    /// changes; nothing is lost).
    pub(crate) fn retype<D>(self) -> Error<D> {
        match self {
            Error::Config(e) => Error::Config(e),
            Error::InvalidRequest(why) => Error::InvalidRequest(why),
            Error::Token(e) => Error::Token(e),
            Error::Service(e) => Error::Service(e.retype()),
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

impl<C: Catalogue> Error<C> {
    /// The typed code of the endpoint's error, when the service version's catalogue has
    /// it: `Err(e) if e.code() == Some(ErrorCode::BotNotInChat)`.
    pub fn code(&self) -> Option<C> {
        self.service_error().and_then(ServiceError::code)
    }
}

impl<C> fmt::Display for Error<C> {
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

impl<C: fmt::Debug + 'static> std::error::Error for Error<C> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(e) => Some(e),
            Error::Token(e) => Some(e),
            Error::Service(e) => Some(e),
            Error::Transport(e) => Some(e),
            Error::RateLimit(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            Error::Decode(d) => Some(d.as_ref()),
            _ => None,
        }
    }
}

/// `?` from a call's `Error<C>` into the service-wide [`Error`].
impl<C: Catalogue> From<Error<C>> for Error {
    fn from(error: Error<C>) -> Self {
        error.retype()
    }
}

/// A `ConfigError` from `Client::builder(…).build()?` in a function returning `Error`.
impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Error::Config(error)
    }
}
