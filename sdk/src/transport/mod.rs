//! Sending requests: URL building, error bodies, retries, the send loop.
pub mod error_body;
pub(crate) mod path;
pub mod read;
pub mod retry;
pub(crate) mod send;

pub use send::TOKEN_ERROR_CODES;
