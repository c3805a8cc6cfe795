//! Rust SDK for the Feishu / Lark Open Platform.
//!
//! Typed request builders, response types and error enums are generated from the endpoint
//! specs in `spec/` (see [`im`]); a small hand-written runtime sends them: a per-client token
//! cache with single-flight refresh and replay of rejected tokens, retries with backoff that
//! honour the platform's rate-limit signal, an optional client-side rate limiter
//! ([`ratelimit`], in process or shared by a fleet on Redis), and downloads that stream to
//! disk, resume with `Range` and never leave a partial file.
//!
//! ```no_run
//! use lark_openapi::im::v1::ResourceType;
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = lark_openapi::Client::from_env()?;
//! let saved = client
//!     .im().v1().message_resource()
//!     .get("om_dc13264520392913993dd051dba21dcf", "file_456a92d6-c6ea", ResourceType::File)
//!     .await?
//!     .save_to("downloads/")
//!     .await?;
//! println!("saved to {}", saved.display());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// With every service feature off only `auth` is generated, and runtime parts that only the
// other services use (downloads, uploads, pagination) go unused.
#![cfg_attr(not(feature = "im"), allow(dead_code, unused_imports))]

pub mod auth;
mod call;
mod client;
mod clock;
mod codec;
pub mod download;
mod errors;
#[cfg(feature = "events")]
pub mod events;
#[rustfmt::skip]
mod generated;
#[cfg(feature = "im")]
pub mod message_content;
mod operation;
mod options;
pub mod ratelimit;
mod settings;
pub mod shared;
mod transport;
mod upload;

pub use client::{Client, ClientBuilder, Domain};

/// Every limit the SDK enforces, in one place.
///
/// * Bodies read into memory: an auth answer at most [`MAX_AUTH_BODY`](limits::MAX_AUTH_BODY) (larger is a
///   [`TokenErrorKind::TooLarge`](crate::auth::TokenErrorKind::TooLarge) error), a JSON
///   answer at most [`MAX_JSON_BODY`](limits::MAX_JSON_BODY) (larger is an error), an error body at most
///   [`MAX_ERROR_BODY`](limits::MAX_ERROR_BODY) (the rest is not read; the error says it was cut).
///   Downloads are streamed and never held in memory, except by
///   [`Download::collect`](crate::Download::collect), which takes its own cap.
/// * A token is trusted for at most [`MAX_TOKEN_LIFETIME`](limits::MAX_TOKEN_LIFETIME), whatever `expire` says.
/// * Duration settings (timeouts, backoffs, waits) are at most [`MAX_DURATION_SETTING`](limits::MAX_DURATION_SETTING);
///   a retry policy makes at most [`MAX_ATTEMPTS`](limits::MAX_ATTEMPTS) attempts.
pub mod limits {
    pub use crate::auth::MAX_TOKEN_LIFETIME;
    pub use crate::call::DEFAULT_MAX_PAGES;
    pub use crate::settings::{MAX_ATTEMPTS, MAX_DURATION_SETTING};
    pub use crate::transport::read::{MAX_AUTH_BODY, MAX_ERROR_BODY, MAX_JSON_BODY};
}
pub use call::{Answered, Call, RawCall};
pub use download::{Download, Progress};
pub use errors::{
    AnyCode, ApiError, Catalogue, CodeEntry, ConfigError, DecodeError, Error, ErrorRow,
    FieldViolation, Help, PermissionViolation, ServiceError, TransportError, TransportKind,
    UnexpectedBody,
};
pub use generated::*;
pub use operation::{HttpMethod, ParseEnumError};
pub use options::RequestOptions;
pub use transport::retry::RetryPolicy;
pub use upload::UploadFile;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
