//! The seam between generated endpoint modules and the hand-written runtime.
//!
//! Every generated request type implements `Operation`: it says how to build the request
//! ([`OperationMeta`], path and query values, the payload) and which error enum its failures
//! map to; `JsonOperation` adds the decoded output type, `Paginated` how it pages. The
//! runtime does the rest, the same way for every endpoint: tokens, encoding, retries,
//! replay, decoding, streaming.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::ServiceError;

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
pub enum ResponseKind {
    /// A byte stream of at most `max_bytes`.
    Binary {
        /// The documented size limit.
        max_bytes: u64,
    },
    /// The `{code, msg, data}` envelope; the output is `data`.
    Json,
    /// `{code, msg, …fields}`: the output is the object itself (the auth endpoints).
    Flat,
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
    /// Accepted access-token types, preferred first; empty for the auth endpoints.
    pub access_tokens: &'static [TokenType],
    /// Whether replaying the request is safe (retries need it unless the caller opts in).
    pub idempotent: bool,
    /// How to read the response.
    pub response: ResponseKind,
    /// The API page.
    pub doc_url: &'static str,
    /// The documented rate limit (the spec's `rate_limit`, from the platform's tiers), if
    /// any. The optional client-side limiter ([`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter))
    /// paces calls by it; nothing else reads it.
    pub rate_limit: Option<RateLimitMeta>,
}

/// An endpoint's documented rate limit: the platform counts per endpoint × app × tenant, and
/// hitting either cap answers HTTP 429 / code 99991400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RateLimitMeta {
    /// Calls per second, if the platform documents a per-second cap.
    pub per_second: Option<u32>,
    /// Calls per minute, if the platform documents a per-minute cap.
    pub per_minute: Option<u32>,
}

/// A request the runtime can send. Implemented by generated request types.
pub(crate) trait Operation: Send + Sync + 'static {
    /// The endpoint's error enum.
    type Error: ServiceError;
    /// The endpoint's static facts.
    const META: OperationMeta;
    /// Path parameter values, in the order of the placeholders in [`OperationMeta::path`].
    fn path_params(&self) -> Vec<Cow<'_, str>>;
    /// Query parameters as (name, value) pairs; a repeated key appears once per value.
    fn query_params(&self) -> Vec<(&'static str, String)>;
    /// The body. Called once per call: every attempt sends the same bytes.
    fn payload(&self) -> Result<Payload, String> {
        Ok(Payload::None)
    }
}

/// An operation answering JSON (or just the envelope), decoded into `Output`.
pub(crate) trait JsonOperation: Operation {
    /// `data` (or, for flat answers, the whole object) decoded; for envelope-only answers,
    /// a struct with no public field, decoded from `{}`.
    type Output: serde::de::DeserializeOwned + Output + Send + 'static;
}

/// What every generated `<Op>Response` is: it carries the log id (`x-tt-logid`) of the
/// answer it was decoded from, which the platform's support asks for. The runtime sets it
/// after decoding; users read it with the response's `log_id()`.
pub(crate) trait Output {
    /// Records the answer's log id.
    fn set_log_id(&mut self, log_id: Option<String>);
}

/// A list operation that pages with a token.
pub(crate) trait Paginated: JsonOperation + Clone {
    /// One element of a page.
    type Item: Send + 'static;
    /// Asks for the page after the one that returned `token`.
    fn set_page_token(&mut self, token: String);
    /// `has_more` and the next page token of a page.
    fn page_state(output: &Self::Output) -> (bool, Option<&str>);
    /// The page's items.
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
}

/// A request body, prepared once per call.
#[derive(Debug, Clone)]
pub(crate) enum Payload {
    /// No body.
    None,
    /// A JSON document.
    Json(bytes::Bytes),
    /// A multipart form, rebuilt for every attempt (a file part is re-opened).
    Multipart(Multipart),
}

impl Payload {
    /// Serializes a JSON body.
    pub(crate) fn json<T: serde::Serialize>(body: &T) -> Result<Payload, String> {
        serde_json::to_vec(body)
            .map(|v| Payload::Json(v.into()))
            .map_err(|e| format!("the body cannot be encoded as JSON: {e}"))
    }
}

/// The parts of a `multipart/form-data` body.
#[derive(Debug, Clone, Default)]
pub(crate) struct Multipart {
    pub(crate) texts: Vec<(&'static str, String)>,
    pub(crate) files: Vec<(&'static str, crate::UploadFile, Option<u64>)>,
}

impl Multipart {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn text(mut self, name: &'static str, value: String) -> Self {
        self.texts.push((name, value));
        self
    }

    /// A file part of at most `max_bytes` (checked before anything is sent).
    pub(crate) fn file(
        mut self,
        name: &'static str,
        file: crate::UploadFile,
        max_bytes: Option<u64>,
    ) -> Self {
        self.files.push((name, file, max_bytes));
        self
    }
}

/// A fresh deduplication key (a random UUID, version 4), for endpoints whose body carries
/// one (`uuid` of message create and reply).
pub(crate) fn idempotency_key() -> String {
    let mut bytes = [0u8; 16];
    for b in &mut bytes {
        *b = fastrand::u8(..);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
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

#[cfg(test)]
mod tests {
    #[test]
    fn idempotency_keys_are_fresh_uuids() {
        let a = super::idempotency_key();
        let b = super::idempotency_key();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }
}
