//! What an answer says about the rate limit: HTTP 429 or code 99991400, and the
//! `x-ogw-ratelimit-limit` / `x-ogw-ratelimit-reset` headers (platform-facts §4).

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::transport::retry::{rate_limit_reset, RATE_LIMIT_CODE};

/// Header with the window's limit for the endpoint × app × tenant. The SDK reads it as a
/// per-second limit (as the platform's per-second window and the fake's); were it a
/// per-minute figure, that reading is only looser, and an announced limit never loosens
/// the documented one.
pub const RATE_LIMIT_LIMIT_HEADER: &str = "x-ogw-ratelimit-limit";

/// What one answer said about the rate limit, handed to [`RateLimiter::observe`](super::RateLimiter::observe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateSignal {
    /// The call was refused for its rate: HTTP 429, or code 99991400 at any status.
    pub limited: bool,
    /// The limit the server announced in `x-ogw-ratelimit-limit` (a positive integer).
    pub limit: Option<u32>,
    /// The wait the server announced in `x-ogw-ratelimit-reset`.
    pub reset: Option<Duration>,
}

impl RateSignal {
    /// A refusal for rate (429 / 99991400) with the server's reset, if any.
    pub fn limited(reset: Option<Duration>) -> Self {
        RateSignal {
            limited: true,
            limit: None,
            reset,
        }
    }

    /// An announced per-second limit, held for `reset` (at least a minute).
    pub fn announced(limit: u32, reset: Option<Duration>) -> Self {
        RateSignal {
            limited: false,
            limit: Some(limit),
            reset,
        }
    }

    /// The signal of an answer with this HTTP status, platform code (if the body had one)
    /// and headers; `None` when it says nothing about the rate limit.
    pub fn from_answer(status: u16, code: Option<i64>, headers: &HeaderMap) -> Option<Self> {
        let limited = status == 429 || code == Some(RATE_LIMIT_CODE);
        let limit = announced_limit(headers);
        if !limited && limit.is_none() {
            return None;
        }
        Some(RateSignal {
            limited,
            limit,
            reset: rate_limit_reset(headers),
        })
    }
}

/// `x-ogw-ratelimit-limit` as a positive integer; `None` when absent, zero, or not a
/// plain decimal number that fits a `u32`.
pub fn announced_limit(headers: &HeaderMap) -> Option<u32> {
    let value = headers.get(RATE_LIMIT_LIMIT_HEADER)?.to_str().ok()?.trim();
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u32>().ok().filter(|&n| n > 0)
}
