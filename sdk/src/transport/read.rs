//! Reading a response body into memory, never past a cap.
//!
//! Every body the SDK buffers goes through [`read_capped`]: token answers
//! ([`MAX_AUTH_BODY`]), JSON answers ([`MAX_JSON_BODY`]), error bodies ([`MAX_ERROR_BODY`]). A server that answers
//! a gigabyte costs at most the cap in memory.

use std::time::Duration;

use reqwest::header::CONTENT_LENGTH;

/// Largest answer of an auth endpoint read into memory (token answers are a few hundred
/// bytes). A larger one is an error.
pub const MAX_AUTH_BODY: usize = 64 * 1024;

/// Largest JSON answer read into memory (a page of a list is tens of kilobytes). A larger
/// one is an error that says so; the rest is not read.
pub const MAX_JSON_BODY: usize = 16 * 1024 * 1024;

/// Largest part of an error body read into memory (error envelopes are a few hundred bytes);
/// a longer body is cut there and reported as not a Lark error envelope.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// A body read up to a cap.
#[derive(Debug)]
pub(crate) struct Capped {
    /// At most `cap` bytes: the whole body, or its start when `over_cap`.
    pub(crate) bytes: Vec<u8>,
    /// The body is (or was announced to be) longer than the cap; the rest was not read.
    pub(crate) over_cap: bool,
}

/// Why reading stopped short.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The connection failed or the body broke off.
    Http(reqwest::Error),
    /// No byte arrived for the idle timeout.
    Idle,
}

/// Reads at most `cap` bytes of `response`'s body. `idle` bounds the wait for each chunk.
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    cap: usize,
    idle: Option<Duration>,
) -> Result<Capped, ReadError> {
    let announced = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let announced_over = announced.is_some_and(|n| n > cap as u64);
    let initial = announced
        .map_or(0, |n| n.min(cap as u64) as usize)
        .min(8 * 1024);
    let mut bytes = Vec::with_capacity(initial);
    loop {
        let chunk = match idle {
            Some(idle) => tokio::time::timeout(idle, response.chunk())
                .await
                .map_err(|_| ReadError::Idle)?,
            None => response.chunk().await,
        };
        let Some(chunk) = chunk.map_err(ReadError::Http)? else {
            return Ok(Capped {
                bytes,
                over_cap: announced_over,
            });
        };
        let room = cap - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(Capped {
                bytes,
                over_cap: true,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
}
