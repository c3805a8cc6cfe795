//! Sending requests: path encoding, error bodies, retries.
pub mod error_body;
pub mod retry;
