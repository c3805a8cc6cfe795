//! The fake's enforced rate limit ([`FakeConfig::rate_limit`](super::FakeConfig::rate_limit)):
//! a token bucket per tenant × endpoint, as the platform counts per app (the fake serves
//! one) and tenant.
//!
//! Each bucket holds one second's worth of requests (`per_second`) and refills at
//! `per_second` a second, so a client spacing its calls at the limit never meets it, and
//! a client sending as fast as it can does after its first second's burst. A request over
//! the limit is answered as the platform does: HTTP 429, body code 99991400, and the
//! headers `x-ogw-ratelimit-limit: <per_second>` and `x-ogw-ratelimit-reset: <seconds until
//! a request is accepted again, at least 1>`. Refused requests do not use the budget.
//!
//! Enforced on the endpoints the generic handler serves (every spec endpoint but the auth
//! token endpoints and the message-resource download), after the token check and before
//! faults and validation. The specs' `per_minute` is not enforced.

use std::collections::HashMap;
use std::time::Instant;

use axum::http::HeaderValue;
use axum::response::Response;

use super::errors::{self, codes};
use super::ids;

/// The enforced rate limit of a [`FakeLark`](super::FakeLark) (see
/// [`FakeConfig::rate_limit`](super::FakeConfig::rate_limit)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FakeRateLimit {
    /// Requests per second per tenant × endpoint; `None` takes each endpoint's
    /// `rate_limit.per_second` from its spec (50 when the spec has none).
    pub per_second: Option<u32>,
}

impl FakeRateLimit {
    /// Each endpoint's limit from its spec.
    pub fn from_spec() -> FakeRateLimit {
        FakeRateLimit { per_second: None }
    }

    /// `per_second` for every endpoint.
    pub fn per_second(per_second: u32) -> FakeRateLimit {
        FakeRateLimit {
            per_second: Some(per_second),
        }
    }
}

/// Buckets and counters, in the fake's shared state.
#[derive(Debug, Default)]
pub(crate) struct RateState {
    /// The limit in force (from the config, changed by `set_rate_limit`).
    pub limit: Option<FakeRateLimit>,
    /// (tenant key or "-", endpoint id) → bucket.
    buckets: HashMap<(String, String), Bucket>,
    /// Requests refused per endpoint id.
    pub refused: HashMap<String, usize>,
}

#[derive(Debug)]
struct Bucket {
    /// Requests that may go now (fractional while refilling).
    level: f64,
    at: Instant,
}

impl RateState {
    pub fn new(limit: Option<FakeRateLimit>) -> RateState {
        RateState {
            limit,
            ..RateState::default()
        }
    }

    /// Replaces the limit; the buckets start full.
    pub fn set_limit(&mut self, limit: Option<FakeRateLimit>) {
        self.limit = limit;
        self.buckets.clear();
    }

    /// Takes one request from the bucket; `Err(reset_secs)` when it is empty.
    fn take(
        &mut self,
        tenant: &str,
        endpoint_id: &str,
        per_second: u64,
        now: Instant,
    ) -> Result<(), u64> {
        let rate = per_second.max(1) as f64;
        let bucket = self
            .buckets
            .entry((tenant.to_owned(), endpoint_id.to_owned()))
            .or_insert(Bucket {
                level: rate,
                at: now,
            });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.level = (bucket.level + elapsed * rate).min(rate);
        bucket.at = now;
        if bucket.level >= 1.0 {
            bucket.level -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.level) / rate;
            *self.refused.entry(endpoint_id.to_owned()).or_insert(0) += 1;
            Err((wait.ceil() as u64).max(1))
        }
    }
}

impl RateState {
    /// Counts a request to `endpoint_id` for `tenant` against the limit in force (with
    /// `spec_per_second` when the limit does not say): `Some((per_second, reset_seconds))`
    /// when it is over the limit (and is not counted), else `None`.
    pub fn over_limit(
        &mut self,
        endpoint_id: &str,
        tenant: Option<&str>,
        spec_per_second: impl FnOnce() -> u64,
    ) -> Option<(u64, u64)> {
        let limit = self.limit?;
        let per_second = limit.per_second.map_or_else(spec_per_second, u64::from);
        let reset = self
            .take(
                tenant.unwrap_or("-"),
                endpoint_id,
                per_second,
                Instant::now(),
            )
            .err()?;
        Some((per_second, reset))
    }
}

/// The platform's answer to a request over the limit: HTTP 429, code 99991400 and the
/// `x-ogw-ratelimit-*` headers.
pub(crate) fn refusal(endpoint_id: &str, per_second: u64, reset: u64) -> Response {
    let log_id = ids::log_id();
    let body = errors::error_body(
        endpoint_id,
        codes::RATE_LIMITED,
        "request trigger frequency limit",
        &log_id,
    );
    let mut resp = errors::json_response(429, body, &log_id);
    let headers = resp.headers_mut();
    headers.insert("x-ogw-ratelimit-limit", HeaderValue::from(per_second));
    headers.insert("x-ogw-ratelimit-reset", HeaderValue::from(reset));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_holds_one_second_and_refills_at_the_rate() {
        let mut state = RateState::new(Some(FakeRateLimit::per_second(10)));
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(state.take("-", "e", 10, t0), Ok(()));
        }
        assert_eq!(state.take("-", "e", 10, t0), Err(1));
        // Another endpoint and another tenant have their own buckets.
        assert_eq!(state.take("-", "other", 10, t0), Ok(()));
        assert_eq!(state.take("t1", "e", 10, t0), Ok(()));
        // 100 ms refills one.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(state.take("-", "e", 10, t1), Ok(()));
        assert_eq!(state.take("-", "e", 10, t1), Err(1));
        assert_eq!(state.refused.get("e"), Some(&2));
        // Never more than a second's worth.
        let t2 = t1 + Duration::from_secs(60);
        for _ in 0..10 {
            assert_eq!(state.take("-", "e", 10, t2), Ok(()));
        }
        assert!(state.take("-", "e", 10, t2).is_err());
    }

    /// Over HTTP: the platform's answer, counted; off again with `set_rate_limit(None)`.
    #[tokio::test]
    async fn over_the_limit_the_fake_answers_429_with_the_platform_headers() {
        use crate::fake::{FakeConfig, FakeLark};
        let fake = FakeLark::start(FakeConfig {
            // 2 a second: a refill every 500 ms, far more than the 8 requests take.
            rate_limit: Some(FakeRateLimit::per_second(2)),
            ..FakeConfig::default()
        })
        .await
        .expect("fake starts");
        let http = reqwest::Client::new();
        let token = crate::fake::tests::tenant_token(&fake).await;
        let url = format!("{}/open-apis/im/v1/chats/oc_fake_1", fake.base_url());
        let mut statuses = Vec::new();
        let mut refused = None;
        for _ in 0..8 {
            let resp = http
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("answer");
            statuses.push(resp.status().as_u16());
            if resp.status() == 429 {
                let h = |n: &str| {
                    resp.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let (limit, reset) = (h("x-ogw-ratelimit-limit"), h("x-ogw-ratelimit-reset"));
                let bytes = resp.bytes().await.expect("error body");
                let body: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
                refused.get_or_insert((limit, reset, body));
            }
        }
        assert_eq!(statuses, [200, 200, 429, 429, 429, 429, 429, 429]);
        let (limit, reset, body) = refused.expect("a refusal");
        assert_eq!(limit.as_deref(), Some("2"));
        assert_eq!(reset.as_deref(), Some("1"));
        assert_eq!(body["code"], codes::RATE_LIMITED);
        assert_eq!(fake.rate_limited(), 6);
        assert_eq!(fake.rate_limited_for("im.v1.chat.get"), 6);
        // The spec's limit (50/s) once set so, and none at all after.
        fake.set_rate_limit(Some(FakeRateLimit::from_spec()));
        for _ in 0..50 {
            let resp = http
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("answer");
            assert_eq!(resp.status(), 200);
        }
        fake.set_rate_limit(None);
        for _ in 0..60 {
            let resp = http
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("answer");
            assert_eq!(resp.status(), 200);
        }
        assert_eq!(fake.rate_limited(), 6);
    }
}
