//! What every endpoint's error enum has in common, and the type-erased form that the one
//! service-wide [`Error`](crate::Error) carries.

use std::any::Any;
use std::fmt;

use crate::ApiError;

pub(crate) mod sealed {
    /// Maps an error body to its variant. Implemented by generated code only; not part of
    /// the public API.
    pub trait FromApiError {
        /// The variant of `error.code`, or `Unhandled`.
        fn from_api_error(error: crate::ApiError) -> Self;
    }
}

pub(crate) use sealed::FromApiError;

/// An endpoint's error enum (`CreateMessageError`, `GetMessageResourceError`, …): one
/// variant per documented code plus `Unhandled`. Implemented by generated code.
pub trait ServiceError:
    sealed::FromApiError + std::error::Error + Clone + Send + Sync + 'static
{
    /// The endpoint's id, such as `im.v1.message.create`.
    fn endpoint(&self) -> &'static str;
    /// The error as the platform sent it.
    fn api_error(&self) -> &ApiError;
    /// What the code means, from the spec; `None` for a code the spec does not list.
    fn meaning(&self) -> Option<&'static str>;
    /// What to do about it, from the spec.
    fn advice(&self) -> Option<&'static str>;
    /// Whether the spec marks the code as one a retry can fix.
    fn is_retryable(&self) -> bool;
}

/// The object-safe part of [`ServiceError`], for [`AnyServiceError`].
trait DynServiceError: std::error::Error + Send + Sync + 'static {
    fn endpoint(&self) -> &'static str;
    fn api_error(&self) -> &ApiError;
    fn meaning(&self) -> Option<&'static str>;
    fn advice(&self) -> Option<&'static str>;
    fn is_retryable(&self) -> bool;
    fn clone_box(&self) -> Box<dyn DynServiceError>;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<E: ServiceError> DynServiceError for E {
    fn endpoint(&self) -> &'static str {
        ServiceError::endpoint(self)
    }
    fn api_error(&self) -> &ApiError {
        ServiceError::api_error(self)
    }
    fn meaning(&self) -> Option<&'static str> {
        ServiceError::meaning(self)
    }
    fn advice(&self) -> Option<&'static str> {
        ServiceError::advice(self)
    }
    fn is_retryable(&self) -> bool {
        ServiceError::is_retryable(self)
    }
    fn clone_box(&self) -> Box<dyn DynServiceError> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// Any endpoint's error enum, as carried by the service-wide [`Error`](crate::Error).
///
/// It keeps everything the endpoint's enum has (code, HTTP status, message, log id,
/// meaning, advice) and gives the typed enum back with [`downcast_ref`](Self::downcast_ref)
/// or [`downcast`](Self::downcast):
///
/// ```
/// # use lark_openapi::im::v1::message_resource::GetMessageResourceError;
/// fn explain(err: &lark_openapi::Error) {
///     if let Some(service) = err.service_error() {
///         match service.downcast_ref::<GetMessageResourceError>() {
///             Some(GetMessageResourceError::FileNotInMessage(_)) => println!("wrong file key"),
///             _ => println!("{} failed with code {}", service.endpoint(), service.code()),
///         }
///     }
/// }
/// ```
pub struct AnyServiceError {
    inner: Box<dyn DynServiceError>,
}

impl AnyServiceError {
    /// Wraps an endpoint's error.
    pub fn new<E: ServiceError>(error: E) -> Self {
        AnyServiceError {
            inner: Box::new(error),
        }
    }

    /// The endpoint's id, such as `im.v1.message.create`.
    pub fn endpoint(&self) -> &'static str {
        self.inner.endpoint()
    }

    /// The error as the platform sent it.
    pub fn api_error(&self) -> &ApiError {
        self.inner.api_error()
    }

    /// The platform's error code.
    pub fn code(&self) -> i64 {
        self.api_error().code
    }

    /// The HTTP status of the answer.
    pub fn http_status(&self) -> u16 {
        self.api_error().http_status
    }

    /// The server's message.
    pub fn message(&self) -> &str {
        &self.api_error().message
    }

    /// The log id to quote to Lark support.
    pub fn log_id(&self) -> Option<&str> {
        self.api_error().log_id.as_deref()
    }

    /// What the code means, from the endpoint's spec.
    pub fn meaning(&self) -> Option<&'static str> {
        self.inner.meaning()
    }

    /// What to do about it, from the endpoint's spec.
    pub fn advice(&self) -> Option<&'static str> {
        self.inner.advice()
    }

    /// Whether a retry can help, per the spec.
    pub fn is_retryable(&self) -> bool {
        self.inner.is_retryable()
    }

    /// The endpoint's typed error enum, if it is an `E`.
    pub fn downcast_ref<E: ServiceError>(&self) -> Option<&E> {
        self.inner.as_any().downcast_ref::<E>()
    }

    /// The endpoint's typed error enum, or `self` back if it is not an `E`.
    pub fn downcast<E: ServiceError>(self) -> Result<E, AnyServiceError> {
        if self.inner.as_any().is::<E>() {
            match self.inner.into_any().downcast::<E>() {
                Ok(e) => Ok(*e),
                Err(_) => unreachable!("checked with `is` above"),
            }
        } else {
            Err(self)
        }
    }
}

impl Clone for AnyServiceError {
    fn clone(&self) -> Self {
        AnyServiceError {
            inner: self.inner.clone_box(),
        }
    }
}

impl fmt::Debug for AnyServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

impl fmt::Display for AnyServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.endpoint(), self.inner)
    }
}

impl std::error::Error for AnyServiceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

/// The one-line `Display` of every generated error enum:
/// `code 234003 (HTTP 400): File not in message. [log id …]. Meaning. What to do: advice`.
pub(crate) fn fmt_service_error(
    f: &mut fmt::Formatter<'_>,
    error: &ApiError,
    meaning: Option<&str>,
    advice: Option<&str>,
) -> fmt::Result {
    write!(
        f,
        "code {} (HTTP {}): {}",
        error.code, error.http_status, error.message
    )?;
    if let Some(log_id) = &error.log_id {
        write!(f, " [log id {log_id}]")?;
    }
    if let Some(meaning) = meaning {
        write!(f, ". {meaning}")?;
    }
    if let Some(advice) = advice {
        write!(f, " What to do: {advice}")?;
    }
    if let Some(url) = &error.troubleshooter {
        write!(f, " (troubleshooter: {url})")?;
    }
    Ok(())
}
