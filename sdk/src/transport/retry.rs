//! Retry policy and failure classification.
//!
//! The platform limits calls per API × app × tenant. When a limit is hit it
//! answers HTTP 429 (some older APIs: HTTP 400) with code `99991400` and an
//! `x-ogw-ratelimit-reset` header giving the seconds until the window resets.
//! Those waits follow the header; other transient failures (connection
//! errors, timeouts, interrupted bodies, 5xx) back off exponentially with
//! jitter. Requests that are not idempotent are only retried when the policy
//! opts in.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// The platform's "request trigger frequency limit" error code.
pub const RATE_LIMIT_CODE: i64 = 99991400;

/// Header with the number of seconds until the rate-limit window resets.
const RATE_LIMIT_RESET_HEADER: &str = "x-ogw-ratelimit-reset";

/// How failed requests are retried.
///
/// The default policy retries (3 attempts in total); [`RetryPolicy::disabled`]
/// makes a single attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_rate_limit_wait: Duration,
    retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_rate_limit_wait: Duration::from_secs(60),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// The default policy: 3 attempts, 200 ms initial backoff, 10 s maximum
    /// backoff, rate-limit waits of up to 60 s, idempotent requests only.
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that never retries (a single attempt).
    pub fn disabled() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Sets the total number of attempts, including the first (0 counts as 1).
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Sets the backoff before the first retry; it doubles on each retry.
    #[must_use]
    pub fn with_initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// Sets the longest exponential backoff between two attempts.
    #[must_use]
    pub fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Sets the longest wait honoured for an `x-ogw-ratelimit-reset` header.
    #[must_use]
    pub fn with_max_rate_limit_wait(mut self, max_rate_limit_wait: Duration) -> Self {
        self.max_rate_limit_wait = max_rate_limit_wait;
        self
    }

    /// Allows retrying requests that are not idempotent (e.g. sending a
    /// message without a `uuid`), at the risk of doing the action twice.
    #[must_use]
    pub fn with_retry_non_idempotent(mut self, retry_non_idempotent: bool) -> Self {
        self.retry_non_idempotent = retry_non_idempotent;
        self
    }

    /// Total number of attempts, including the first.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Backoff before the first retry.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// Longest exponential backoff between two attempts.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// Longest wait honoured for an `x-ogw-ratelimit-reset` header.
    pub fn max_rate_limit_wait(&self) -> Duration {
        self.max_rate_limit_wait
    }

    /// Whether requests that are not idempotent are retried.
    pub fn retry_non_idempotent(&self) -> bool {
        self.retry_non_idempotent
    }

    /// Whether more than one attempt is allowed.
    pub fn is_enabled(&self) -> bool {
        self.max_attempts > 1
    }
}

/// Why an attempt failed, as far as retrying is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be established.
    Connect,
    /// The request or response timed out.
    Timeout,
    /// The response body stopped before it was complete.
    BodyInterrupted,
    /// A failure that no retry can fix: a response head larger than the HTTP client
    /// accepts, a redirected auth answer.
    Fatal,
    /// The server answered with an error.
    Http {
        /// HTTP status code.
        status: u16,
        /// The platform error code from the body, if any.
        code: Option<i64>,
        /// Whether the API spec marks this error as retryable.
        spec_retryable: bool,
        /// The `x-ogw-ratelimit-reset` wait, if the header was present.
        rate_limit_reset: Option<Duration>,
    },
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Give up and report the failure.
    Stop,
    /// Wait this long, then try again.
    RetryAfter(Duration),
}

/// Whether a failure is transient.
///
/// Retryable: connection errors, timeouts, interrupted bodies, any 5xx,
/// HTTP 429, code 99991400 at any status, and errors the spec marks
/// retryable. No other 4xx is.
pub fn is_retryable(failure: &Failure) -> bool {
    match failure {
        Failure::Connect | Failure::Timeout | Failure::BodyInterrupted => true,
        Failure::Fatal => false,
        Failure::Http {
            status,
            code,
            spec_retryable,
            ..
        } => {
            (500..=599).contains(status)
                || *status == 429
                || *code == Some(RATE_LIMIT_CODE)
                || *spec_retryable
        }
    }
}

/// Decides whether to retry after attempt number `failed_attempt` (1-based)
/// failed.
///
/// Stops when all attempts are used up, when the request is not idempotent
/// and the policy does not opt in, or when the failure is not retryable.
/// Otherwise:
/// - with an `x-ogw-ratelimit-reset` value, waits that long capped at
///   [`RetryPolicy::max_rate_limit_wait`], plus up to 10 % jitter, never
///   above the cap;
/// - else waits `initial_backoff * 2^(failed_attempt - 1)` capped at
///   [`RetryPolicy::max_backoff`], with "equal jitter": half of it fixed,
///   the other half random.
pub fn decide(
    policy: &RetryPolicy,
    failed_attempt: u32,
    idempotent: bool,
    failure: &Failure,
) -> RetryDecision {
    let failed_attempt = failed_attempt.max(1);
    if failed_attempt >= policy.max_attempts
        || (!idempotent && !policy.retry_non_idempotent)
        || !is_retryable(failure)
    {
        return RetryDecision::Stop;
    }
    let wait = match failure {
        Failure::Http {
            rate_limit_reset: Some(reset),
            ..
        } => rate_limit_wait(*reset, policy.max_rate_limit_wait),
        _ => backoff(policy, failed_attempt),
    };
    RetryDecision::RetryAfter(wait)
}

/// The header's wait capped at `cap`, plus up to 10 % jitter (still capped).
fn rate_limit_wait(reset: Duration, cap: Duration) -> Duration {
    let base = reset.min(cap);
    let jitter = random_up_to(base / 10);
    base.saturating_add(jitter).min(cap)
}

/// Exponential backoff with equal jitter: in `[b / 2, b]` where
/// `b = min(initial * 2^(attempt - 1), max_backoff)`.
fn backoff(policy: &RetryPolicy, failed_attempt: u32) -> Duration {
    let exponent = failed_attempt.saturating_sub(1);
    let full = 2u32
        .checked_pow(exponent)
        .and_then(|factor| policy.initial_backoff.checked_mul(factor))
        .unwrap_or(policy.max_backoff)
        .min(policy.max_backoff);
    let half = full / 2;
    half + random_up_to(full - half)
}

/// A uniformly random duration in `[0, max]` (nanosecond resolution).
fn random_up_to(max: Duration) -> Duration {
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(fastrand::u64(0..=nanos))
}

/// The wait announced by `x-ogw-ratelimit-reset` (integer seconds).
///
/// Returns `None` when the header is absent, not a non-negative integer, or
/// not valid ASCII.
pub fn rate_limit_reset(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RATE_LIMIT_RESET_HEADER)?.to_str().ok()?.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const SAMPLES: usize = 2_000;

    fn http(status: u16, code: Option<i64>) -> Failure {
        Failure::Http {
            status,
            code,
            spec_retryable: false,
            rate_limit_reset: None,
        }
    }

    fn rate_limited(reset_secs: u64) -> Failure {
        Failure::Http {
            status: 429,
            code: Some(RATE_LIMIT_CODE),
            spec_retryable: false,
            rate_limit_reset: Some(Duration::from_secs(reset_secs)),
        }
    }

    fn wait(decision: RetryDecision) -> Duration {
        match decision {
            RetryDecision::RetryAfter(d) => d,
            RetryDecision::Stop => panic!("expected a retry"),
        }
    }

    fn reset_header(value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            RATE_LIMIT_RESET_HEADER,
            HeaderValue::from_bytes(value).unwrap(),
        );
        headers
    }

    #[test]
    fn defaults() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts(), 3);
        assert_eq!(p.initial_backoff(), Duration::from_millis(200));
        assert_eq!(p.max_backoff(), Duration::from_secs(10));
        assert_eq!(p.max_rate_limit_wait(), Duration::from_secs(60));
        assert!(!p.retry_non_idempotent());
        assert!(p.is_enabled());
        assert_eq!(RetryPolicy::new(), p);

        let d = RetryPolicy::disabled();
        assert_eq!(d.max_attempts(), 1);
        assert!(!d.is_enabled());
    }

    #[test]
    fn builder_setters() {
        let p = RetryPolicy::default()
            .with_max_attempts(5)
            .with_initial_backoff(Duration::from_millis(50))
            .with_max_backoff(Duration::from_secs(2))
            .with_max_rate_limit_wait(Duration::from_secs(30))
            .with_retry_non_idempotent(true);
        assert_eq!(p.max_attempts(), 5);
        assert_eq!(p.initial_backoff(), Duration::from_millis(50));
        assert_eq!(p.max_backoff(), Duration::from_secs(2));
        assert_eq!(p.max_rate_limit_wait(), Duration::from_secs(30));
        assert!(p.retry_non_idempotent());
        assert_eq!(
            RetryPolicy::default().with_max_attempts(0).max_attempts(),
            1
        );
    }

    #[test]
    fn classification_table() {
        let spec = Failure::Http {
            status: 400,
            code: Some(232096),
            spec_retryable: true,
            rate_limit_reset: None,
        };
        let cases: Vec<(Failure, bool)> = vec![
            (Failure::Connect, true),
            (Failure::Timeout, true),
            (Failure::BodyInterrupted, true),
            (Failure::Fatal, false),
            (http(500, None), true),
            (http(502, None), true),
            (http(503, Some(1)), true),
            (http(504, None), true),
            (http(599, None), true),
            (http(429, None), true),
            (http(429, Some(RATE_LIMIT_CODE)), true),
            (http(400, Some(RATE_LIMIT_CODE)), true),
            (http(200, Some(RATE_LIMIT_CODE)), true),
            (spec, true),
            (http(400, None), false),
            (http(400, Some(230001)), false),
            (http(401, Some(234002)), false),
            (http(403, Some(99991672)), false),
            (http(404, None), false),
            (http(408, None), false),
            (http(409, None), false),
            (http(499, None), false),
            (http(400, Some(99991401)), false),
            (http(200, Some(230020)), false),
            (http(600, None), false),
            (http(302, None), false),
        ];
        for (failure, expected) in cases {
            assert_eq!(is_retryable(&failure), expected, "{failure:?}");
        }
    }

    #[test]
    fn stops_when_attempts_are_used_up() {
        let p = RetryPolicy::default();
        assert!(matches!(
            decide(&p, 1, true, &Failure::Timeout),
            RetryDecision::RetryAfter(_)
        ));
        assert!(matches!(
            decide(&p, 2, true, &Failure::Timeout),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(decide(&p, 3, true, &Failure::Timeout), RetryDecision::Stop);
        assert_eq!(decide(&p, 4, true, &Failure::Timeout), RetryDecision::Stop);
        assert_eq!(
            decide(&p, u32::MAX, true, &Failure::Timeout),
            RetryDecision::Stop
        );
        let disabled = RetryPolicy::disabled();
        assert_eq!(
            decide(&disabled, 1, true, &Failure::Connect),
            RetryDecision::Stop
        );
        assert_eq!(
            decide(&disabled, 1, true, &rate_limited(1)),
            RetryDecision::Stop
        );
    }

    #[test]
    fn attempt_zero_is_treated_as_the_first() {
        let p = RetryPolicy::default().with_max_attempts(2);
        let d = wait(decide(&p, 0, true, &Failure::Connect));
        assert!(d <= p.initial_backoff());
        assert_eq!(
            decide(&RetryPolicy::disabled(), 0, true, &Failure::Connect),
            RetryDecision::Stop
        );
    }

    #[test]
    fn non_idempotent_requests_need_opt_in() {
        let p = RetryPolicy::default();
        for failure in [Failure::Connect, http(503, None), rate_limited(1)] {
            assert_eq!(decide(&p, 1, false, &failure), RetryDecision::Stop);
            assert!(matches!(
                decide(&p, 1, true, &failure),
                RetryDecision::RetryAfter(_)
            ));
        }
        let opt_in = RetryPolicy::default().with_retry_non_idempotent(true);
        assert!(matches!(
            decide(&opt_in, 1, false, &http(503, None)),
            RetryDecision::RetryAfter(_)
        ));
        // Opting in does not make non-retryable failures retryable.
        assert_eq!(
            decide(&opt_in, 1, false, &http(400, Some(230001))),
            RetryDecision::Stop
        );
    }

    #[test]
    fn non_retryable_failures_stop() {
        let p = RetryPolicy::default().with_max_attempts(10);
        for failure in [http(400, Some(230001)), http(404, None), http(403, None)] {
            assert_eq!(decide(&p, 1, true, &failure), RetryDecision::Stop);
        }
    }

    #[test]
    fn backoff_grows_exponentially_with_equal_jitter() {
        let p = RetryPolicy::default()
            .with_max_attempts(100)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(100));
        for attempt in 1..=6u32 {
            let full = Duration::from_millis(100) * 2u32.pow(attempt - 1);
            let mut min = Duration::MAX;
            let mut max = Duration::ZERO;
            for _ in 0..SAMPLES {
                let d = wait(decide(&p, attempt, true, &Failure::Timeout));
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
                min = min.min(d);
                max = max.max(d);
            }
            // The random half is actually used: samples spread over the range.
            assert!(min < full * 6 / 10, "attempt {attempt}: min {min:?}");
            assert!(max > full * 9 / 10, "attempt {attempt}: max {max:?}");
        }
    }

    #[test]
    fn backoff_is_capped() {
        let p = RetryPolicy::default()
            .with_max_attempts(u32::MAX)
            .with_initial_backoff(Duration::from_millis(200))
            .with_max_backoff(Duration::from_secs(1));
        for attempt in [4, 5, 10, 31, 32, 33, 64, 1_000, u32::MAX - 1] {
            let mut max = Duration::ZERO;
            for _ in 0..SAMPLES / 10 {
                let d = wait(decide(&p, attempt, true, &Failure::Connect));
                assert!(
                    d >= Duration::from_millis(500) && d <= Duration::from_secs(1),
                    "attempt {attempt}: {d:?}"
                );
                max = max.max(d);
            }
            assert!(max > Duration::from_millis(800), "attempt {attempt}");
        }
    }

    #[test]
    fn backoff_with_huge_initial_value_is_capped() {
        let p = RetryPolicy::default()
            .with_max_attempts(u32::MAX)
            .with_initial_backoff(Duration::MAX)
            .with_max_backoff(Duration::MAX);
        for attempt in [1, 2, 40] {
            let d = wait(decide(&p, attempt, true, &Failure::Timeout));
            assert!(d >= Duration::MAX / 2);
        }
        let p = p.with_max_backoff(Duration::from_secs(3));
        let d = wait(decide(&p, 2, true, &Failure::Timeout));
        assert!(d >= Duration::from_millis(1500) && d <= Duration::from_secs(3));
    }

    #[test]
    fn zero_backoff() {
        let p = RetryPolicy::default().with_initial_backoff(Duration::ZERO);
        assert_eq!(
            decide(&p, 1, true, &Failure::Connect),
            RetryDecision::RetryAfter(Duration::ZERO)
        );
    }

    #[test]
    fn rate_limit_wait_follows_header_with_jitter() {
        let p = RetryPolicy::default();
        let mut max = Duration::ZERO;
        for _ in 0..SAMPLES {
            let d = wait(decide(&p, 1, true, &rate_limited(5)));
            assert!(
                d >= Duration::from_secs(5) && d <= Duration::from_millis(5_500),
                "{d:?}"
            );
            max = max.max(d);
        }
        assert!(max > Duration::from_millis(5_250), "jitter unused: {max:?}");
        // The header wins over exponential backoff even on a late attempt
        // and even when it is longer than max_backoff.
        let p = RetryPolicy::default().with_max_attempts(10);
        let d = wait(decide(&p, 8, true, &rate_limited(20)));
        assert!(d >= Duration::from_secs(20) && d <= Duration::from_secs(22));
    }

    #[test]
    fn rate_limit_wait_is_capped() {
        let p = RetryPolicy::default().with_max_rate_limit_wait(Duration::from_secs(60));
        for _ in 0..SAMPLES / 10 {
            assert_eq!(
                wait(decide(&p, 1, true, &rate_limited(3_600))),
                Duration::from_secs(60)
            );
            let d = wait(decide(&p, 1, true, &rate_limited(58)));
            assert!(d >= Duration::from_secs(58) && d <= Duration::from_secs(60));
        }
        assert_eq!(
            wait(decide(&p, 1, true, &rate_limited(u64::MAX))),
            Duration::from_secs(60)
        );
        assert_eq!(wait(decide(&p, 1, true, &rate_limited(0))), Duration::ZERO);
    }

    #[test]
    fn rate_limit_code_without_header_uses_backoff() {
        let p = RetryPolicy::default();
        let failure = http(400, Some(RATE_LIMIT_CODE));
        for _ in 0..SAMPLES / 10 {
            let d = wait(decide(&p, 1, true, &failure));
            assert!(d >= Duration::from_millis(100) && d <= Duration::from_millis(200));
        }
    }

    #[test]
    fn reset_header_parsing() {
        assert_eq!(rate_limit_reset(&HeaderMap::new()), None);
        assert_eq!(
            rate_limit_reset(&reset_header(b"7")),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            rate_limit_reset(&reset_header(b" 12 ")),
            Some(Duration::from_secs(12))
        );
        assert_eq!(rate_limit_reset(&reset_header(b"0")), Some(Duration::ZERO));
        assert_eq!(
            rate_limit_reset(&reset_header(b"18446744073709551615")),
            Some(Duration::from_secs(u64::MAX))
        );
        for garbage in [
            &b""[..],
            b"-1",
            b"+5",
            b"1.5",
            b"abc",
            b"5s",
            b"1 2",
            b"18446744073709551616",
            b"\xff",
            b"Wed, 21 Oct 2015 07:28:00 GMT",
        ] {
            assert_eq!(
                rate_limit_reset(&reset_header(garbage)),
                None,
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn reset_header_name_is_case_insensitive() {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::HeaderName::from_bytes(b"X-Ogw-RateLimit-Reset").unwrap(),
            HeaderValue::from_static("3"),
        );
        assert_eq!(rate_limit_reset(&headers), Some(Duration::from_secs(3)));
    }
}
