//! The seam between generated endpoint modules and the hand-written runtime.
//!
//! Every generated request type implements `Operation`: its static facts
//! ([`OperationMeta`]: method, path, tokens, the error codes it documents, …), the
//! service version's error catalogue it types its errors with, and what it writes into a
//! request ([`Parts`]: path parameters by name, query parameters, the payload).
//! `Paginated` adds how a list pages; what a call gives back (`Answer`) is read by `call`. The runtime does
//! the rest, the same way for every endpoint and compiled once: tokens, encoding, retries,
//! replay, error classification, decoding, streaming.

use std::borrow::Cow;
use std::fmt;

use crate::errors::{Catalogue, CodeEntry, ErrorRow};

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

/// `GET`, `POST`, …
impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        })
    }
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
    /// The service version's error catalogue.
    pub catalogue: &'static [CodeEntry],
    /// The codes the endpoint's spec documents, pointing into the catalogue.
    pub errors: &'static [ErrorRow],
}

impl OperationMeta {
    /// Whether the spec's catalogue marks `code` as one a retry can help with (the
    /// endpoint's row when it documents the code, else the catalogue's first entry).
    pub(crate) fn retryable(&self, code: i64) -> bool {
        let found = crate::errors::find_entry(self.catalogue, self.errors, code);
        found.is_some_and(|i| self.catalogue[i].retryable)
    }
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
pub trait Operation: Send + Sync + 'static {
    /// The service version's error codes, which the call's errors are typed with.
    type Code: Catalogue;
    /// What a successful call gives: the decoded JSON answer, or a [`Download`](crate::Download)
    /// (how the runtime reads it: `call::Answer`).
    type Answer;
    /// The endpoint's static facts.
    const META: OperationMeta;
    /// Writes the path parameters (by name), the query and the body. Called once per call:
    /// every attempt sends the same bytes.
    #[doc(hidden)]
    fn write(&self, parts: &mut Parts) -> Result<(), String>;
}

/// What an operation writes into a request.
#[derive(Debug, Default)]
pub struct Parts {
    pub(crate) path: Vec<(&'static str, String)>,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) payload: Payload,
}

impl Parts {
    /// The path parameter `name` (its `:name` placeholder).
    pub(crate) fn path(&mut self, name: &'static str, value: &impl QueryValue) {
        value.write(name, &mut self.path);
    }

    /// The query parameter `name`: absent when `None`, once per element of a list.
    pub(crate) fn query(&mut self, name: &'static str, value: &impl QueryValue) {
        value.write(name, &mut self.query);
    }

    /// A query parameter that is the call's deduplication key: the caller's, else a fresh
    /// one (generated once per call, so every retry carries it).
    pub(crate) fn query_key(&mut self, name: &'static str, value: &Option<String>) {
        let key = value.clone().unwrap_or_else(idempotency_key);
        self.query.push((name, key));
    }

    /// A JSON body.
    pub(crate) fn json<T: serde::Serialize>(&mut self, body: &T) -> Result<(), String> {
        self.payload = Payload::json(body)?;
        Ok(())
    }

    /// A JSON body whose member `key` is the call's deduplication key: the caller's when
    /// the body has one, else a fresh one.
    pub(crate) fn json_with_key<T: serde::Serialize>(
        &mut self,
        body: &T,
        key: &'static str,
    ) -> Result<(), String> {
        let mut value = serde_json::to_value(body)
            .map_err(|e| format!("the body cannot be encoded as JSON: {e}"))?;
        if let serde_json::Value::Object(map) = &mut value {
            if map.get(key).is_none_or(|v| v.is_null()) {
                map.insert(key.to_owned(), serde_json::Value::String(idempotency_key()));
            }
        }
        self.json(&value)
    }

    /// A multipart body.
    pub(crate) fn multipart(&mut self, form: Multipart) {
        self.payload = Payload::Multipart(form);
    }
}

/// A value of a path or query parameter.
pub trait QueryValue {
    /// Appends `(name, text)` pairs: none for an absent value, one per element of a list.
    fn write(&self, name: &'static str, out: &mut Vec<(&'static str, String)>);
}

impl QueryValue for String {
    fn write(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        out.push((name, self.clone()));
    }
}

impl QueryValue for i64 {
    fn write(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        out.push((name, self.to_string()));
    }
}

impl QueryValue for bool {
    fn write(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        out.push((name, self.to_string()));
    }
}

impl<T: QueryValue> QueryValue for Option<T> {
    fn write(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        if let Some(value) = self {
            value.write(name, out);
        }
    }
}

impl<T: QueryValue> QueryValue for Vec<T> {
    fn write(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        for value in self {
            value.write(name, out);
        }
    }
}

/// A generated enum: its wire value.
pub trait WireEnum {
    /// The value as the platform spells it.
    fn as_str(&self) -> &str;
}

impl<T: WireEnum> QueryValue for T {
    fn write(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        out.push((name, self.as_str().to_owned()));
    }
}

/// A list operation that pages with a token.
pub trait Paginated: Operation + Clone {
    /// One element of a page.
    type Item: Send + 'static;
    /// Asks for the page after the one that returned `token`.
    fn set_page_token(&mut self, token: String);
    /// `has_more` and the next page token of a page.
    fn page_state(output: &Self::Answer) -> (bool, Option<&str>);
    /// The page's items.
    fn into_items(output: Self::Answer) -> Vec<Self::Item>;
}

/// A request body, prepared once per call.
#[derive(Debug, Clone, Default)]
pub(crate) enum Payload {
    /// No body.
    #[default]
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
    pub(crate) texts: Vec<(Cow<'static, str>, String)>,
    pub(crate) files: Vec<(Cow<'static, str>, crate::UploadFile, Option<u64>)>,
}

impl Multipart {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A text part (none for an absent value, one per element of a list).
    pub(crate) fn text(mut self, name: &'static str, value: &impl QueryValue) -> Self {
        let mut texts = Vec::new();
        value.write(name, &mut texts);
        self.texts
            .extend(texts.into_iter().map(|(n, v)| (Cow::Borrowed(n), v)));
        self
    }

    /// A file part of at most `max_bytes` (checked before anything is sent).
    pub(crate) fn file(
        mut self,
        name: &'static str,
        file: &crate::UploadFile,
        max_bytes: Option<u64>,
    ) -> Self {
        self.files
            .push((Cow::Borrowed(name), file.clone(), max_bytes));
        self
    }

    /// An optional file part.
    #[allow(dead_code)] // only upload forms with an optional file use it
    pub(crate) fn file_opt(
        self,
        name: &'static str,
        file: &Option<crate::UploadFile>,
        max_bytes: Option<u64>,
    ) -> Self {
        match file {
            Some(file) => self.file(name, file, max_bytes),
            None => self,
        }
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
    /// `value` is not one of `expected` for `parameter`.
    pub(crate) fn new(
        parameter: &'static str,
        value: &str,
        expected: &'static [&'static str],
    ) -> Self {
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
