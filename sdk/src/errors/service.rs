//! [`ServiceError`]: an endpoint answered with an error code.

use std::fmt;
use std::marker::PhantomData;

use super::catalogue::{Catalogue, CodeEntry, ErrorRow};
use crate::ApiError;

/// The type parameter of the service-wide [`Error`](crate::Error) and [`ServiceError`]: the
/// service version is not known at the type level; the code's name, meaning and advice
/// still are, and [`ServiceError::code_as`] gives the typed code back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnyCode {}

/// An endpoint answered with an error code: the platform's error ([`ApiError`]: code, HTTP
/// status, message, log id, troubleshooter, violations) and what the catalogue of the
/// endpoint's service version says about the code.
///
/// `C` is the version's `ErrorCode` enum (`lark_openapi::im::v1::ErrorCode`) on a call's
/// error, so that [`code`](Self::code) is typed; [`AnyCode`] on the service-wide
/// [`Error`](crate::Error), where [`code_as`](Self::code_as) gives the typed code back.
///
/// ```no_run
/// use lark_openapi::im::v1::ErrorCode;
///
/// # async fn f(client: lark_openapi::Client) -> Result<(), lark_openapi::Error> {
/// match client.im().v1().chat().get("oc_1").await {
///     Ok(chat) => println!("{:?}", chat.name),
///     Err(e) if e.code() == Some(ErrorCode::BotNotInChat) => println!("add the bot first"),
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(()) }
/// ```
pub struct ServiceError<C = AnyCode> {
    /// Boxed: it is most of the size, and `Error` stays small on the `Ok` path.
    api: Box<ApiError>,
    endpoint: &'static str,
    catalogue: &'static [CodeEntry],
    /// The code's entry in the catalogue, when the catalogue has it.
    index: Option<usize>,
    /// The endpoint's row for the code, when its spec documents it.
    row: Option<&'static ErrorRow>,
    _code: PhantomData<fn() -> C>,
}

impl<C> ServiceError<C> {
    pub(crate) fn new(
        api: ApiError,
        endpoint: &'static str,
        catalogue: &'static [CodeEntry],
        rows: &'static [ErrorRow],
    ) -> Self {
        let found = super::catalogue::find(catalogue, rows, api.code);
        ServiceError {
            api: Box::new(api),
            endpoint,
            catalogue,
            index: found.index,
            row: found.row,
            _code: PhantomData,
        }
    }

    /// The same error with another type parameter (the data is the same).
    pub(crate) fn retype<D>(self) -> ServiceError<D> {
        ServiceError {
            api: self.api,
            endpoint: self.endpoint,
            catalogue: self.catalogue,
            index: self.index,
            row: self.row,
            _code: PhantomData,
        }
    }

    /// The error as the platform sent it.
    pub fn api_error(&self) -> &ApiError {
        &self.api
    }

    /// The endpoint's id, such as `im.v1.message.create`.
    pub fn endpoint(&self) -> &'static str {
        self.endpoint
    }

    /// The platform's code, as a number.
    pub fn code_number(&self) -> i64 {
        self.api.code
    }

    /// The HTTP status of the answer.
    pub fn http_status(&self) -> u16 {
        self.api.http_status
    }

    /// The server's message (`msg`).
    pub fn message(&self) -> &str {
        &self.api.message
    }

    /// The log id to quote to Lark support.
    pub fn log_id(&self) -> Option<&str> {
        self.api.log_id.as_deref()
    }

    fn entry(&self) -> Option<&'static CodeEntry> {
        self.catalogue.get(self.index?)
    }

    /// The code's name in the catalogue (`bot_not_in_chat`), if the catalogue has it.
    pub fn code_name(&self) -> Option<&'static str> {
        self.entry().map(|e| e.name)
    }

    /// What the code means: the endpoint's wording, else the catalogue's; `None` for a
    /// code neither knows.
    pub fn meaning(&self) -> Option<&'static str> {
        self.row
            .and_then(|r| r.meaning)
            .or_else(|| self.entry().map(|e| e.meaning))
    }

    /// What to do about it: the endpoint's wording, else the catalogue's.
    pub fn advice(&self) -> Option<&'static str> {
        self.row
            .and_then(|r| r.advice)
            .or_else(|| self.entry().map(|e| e.advice))
    }

    /// Whether sending the same request again can succeed, per the catalogue.
    pub fn is_retryable(&self) -> bool {
        self.entry().is_some_and(|e| e.retryable)
    }

    /// Whether the endpoint's spec lists this code (a code it does not list may still be in
    /// the service version's catalogue, or be platform-wide).
    pub fn is_documented(&self) -> bool {
        self.row.is_some()
    }

    /// The typed code of the service version `D` (`lark_openapi::im::v1::ErrorCode`), when
    /// the error came from an endpoint of that version and its catalogue has the code.
    pub fn code_as<D: Catalogue>(&self) -> Option<D> {
        let of_version = self
            .endpoint
            .strip_prefix(D::VERSION)
            // An endpoint of the version, or a raw call typed with its codes.
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'));
        if !of_version {
            return None;
        }
        D::from_index(self.index?)
    }
}

impl<C: Catalogue> ServiceError<C> {
    /// The typed code, when the service version's catalogue has it: match it against the
    /// version's `ErrorCode` variants.
    pub fn code(&self) -> Option<C> {
        C::from_index(self.index?)
    }
}

impl<C> Clone for ServiceError<C> {
    fn clone(&self) -> Self {
        ServiceError {
            api: self.api.clone(),
            endpoint: self.endpoint,
            catalogue: self.catalogue,
            index: self.index,
            row: self.row,
            _code: PhantomData,
        }
    }
}

impl<C> PartialEq for ServiceError<C> {
    fn eq(&self, other: &Self) -> bool {
        self.api == other.api && self.endpoint == other.endpoint && self.index == other.index
    }
}

impl<C> fmt::Debug for ServiceError<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("endpoint", &self.endpoint)
            .field("code", &self.api.code)
            .field("name", &self.code_name())
            .field("documented", &self.is_documented())
            .field("api_error", &self.api)
            .finish()
    }
}

/// One line: `im.v1.chat.get: code 232011 (HTTP 400): chat not found [log id …]. Meaning.
/// What to do: advice (troubleshooter: url)`.
impl<C> fmt::Display for ServiceError<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let error = &self.api;
        write!(
            f,
            "{}: code {} (HTTP {}): {}",
            self.endpoint, error.code, error.http_status, error.message
        )?;
        if let Some(log_id) = &error.log_id {
            write!(f, " [log id {log_id}]")?;
        }
        if let Some(meaning) = self.meaning() {
            write!(f, ". {meaning}")?;
        }
        if let Some(advice) = self.advice() {
            write!(f, " What to do: {advice}")?;
        }
        if let Some(url) = &error.troubleshooter {
            write!(f, " (troubleshooter: {url})")?;
        }
        Ok(())
    }
}

impl<C> std::error::Error for ServiceError<C> {}
