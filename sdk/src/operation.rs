//! The seam between generated endpoint modules and the hand-written runtime.
//!
//! Every generated request type implements [`Operation`]: it says how to build the request
//! ([`OperationMeta`], path and query values) and which error enum its failures map to
//! ([`ServiceError`]). The runtime does the rest: tokens, encoding, retries, streaming.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::ApiError;

/// A boxed, sendable future: what generated builders return from `into_future`.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// HTTP methods used by the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpMethod {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl HttpMethod {
    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
        }
    }
}

/// Access-token types an endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `tenant_access_token`: the app acting in a tenant.
    Tenant,
    /// `user_access_token`: the app acting as a user.
    User,
    /// `app_access_token`: the app itself.
    App,
}

/// How a successful response is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseKind {
    /// A byte stream of at most `max_bytes`.
    Binary {
        /// The documented size limit.
        max_bytes: u64,
    },
    /// The `{code, msg, data}` envelope.
    Json,
    /// The envelope without `data`.
    Empty,
}

/// Static facts about an endpoint, from its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationMeta {
    /// Stable id, `service.version.resource.method`.
    pub id: &'static str,
    /// HTTP method.
    pub method: HttpMethod,
    /// Path template with `:name` placeholders.
    pub path: &'static str,
    /// Accepted access-token types, preferred first.
    pub access_tokens: &'static [TokenType],
    /// Whether replaying the request is safe (retries need it unless the caller opts in).
    pub idempotent: bool,
    /// How to read the response.
    pub response: ResponseKind,
    /// The API page.
    pub doc_url: &'static str,
}

/// A request the runtime can send. Implemented by generated request types.
pub trait Operation: Send + Sync + 'static {
    /// The endpoint's error enum.
    type Error: ServiceError;
    /// The endpoint's static facts.
    const META: OperationMeta;
    /// Path parameter values, in the order of the placeholders in [`OperationMeta::path`].
    fn path_params(&self) -> Vec<Cow<'_, str>>;
    /// Query parameters as (name, value) pairs; a repeated key appears once per value.
    fn query_params(&self) -> Vec<(&'static str, String)>;
}

/// An endpoint's error enum. Implemented by generated code.
pub trait ServiceError: std::error::Error + Clone + Send + Sync + 'static {
    /// Maps an error body to the variant of its code (or `Unhandled`).
    fn from_api_error(error: ApiError) -> Self;
    /// The error as the platform sent it.
    fn api_error(&self) -> &ApiError;
    /// Whether the spec marks the code as one a retry can fix.
    fn is_retryable(&self) -> bool;
}

/// A string that is not one of an enum parameter's values (from a generated `FromStr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseEnumError {
    parameter: &'static str,
    value: String,
    expected: &'static [&'static str],
}

impl ParseEnumError {
    /// For generated code: `value` is not one of `expected` for `parameter`.
    pub fn new(parameter: &'static str, value: &str, expected: &'static [&'static str]) -> Self {
        ParseEnumError {
            parameter,
            value: value.to_string(),
            expected,
        }
    }
}

impl fmt::Display for ParseEnumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a valid `{}`; expected one of: {}",
            self.value,
            self.parameter,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for ParseEnumError {}

/// The one-line `Display` of every generated error enum:
/// `code 234003 (HTTP 400): File not in message. [log id …]. Meaning. What to do: advice`.
pub fn fmt_service_error(
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
