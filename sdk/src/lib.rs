//! Rust SDK for the Feishu / Lark Open Platform.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod download;
pub mod transport;
