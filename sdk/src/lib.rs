//! Rust SDK for the Feishu / Lark Open Platform.
//!
//! Typed request builders, response types and error enums are generated from the endpoint
//! specs in `spec/` (see [`im`]); a small hand-written runtime sends them: a per-client token
//! cache with single-flight refresh and replay of rejected tokens, retries with backoff that
//! honour the platform's rate-limit signal, and downloads that stream to disk, resume with
//! `Range` and never leave a partial file.
//!
//! ```no_run
//! use lark_openapi::im::v1::message_resource::ResourceType;
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

pub mod auth;
mod client;
pub mod download;
mod error;
#[rustfmt::skip]
mod generated;
pub mod operation;
mod options;
pub mod transport;

pub use client::{Client, ClientBuilder, Domain};
pub use download::{Download, Progress};
pub use error::{ConfigError, Error, TransportError, TransportKind};
pub use generated::*;
pub use options::RequestOptions;
pub use transport::error_body::ApiError;
pub use transport::retry::RetryPolicy;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
