//! Running one case and checking what came back.

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use lark_openapi::{Catalogue, Error};

use super::{Harness, MAX_ATTEMPTS};
use crate::fake::{AcceptedToken, Fault};

/// A case that has not answered by then has hung.
const CASE_TIMEOUT: Duration = Duration::from_secs(30);

/// Codes after which the SDK fetches a new token and replays the request once.
const TOKEN_CODES: [i64; 5] = [99991661, 99991663, 99991664, 99991665, 99991671];

/// Runs `call` once from the seeded store with `faults` queued for `id`; returns what it
/// gave and how many requests the endpoint received meanwhile.
pub(crate) async fn run_case<F, Fut, R>(
    h: &Harness,
    id: &str,
    case: &str,
    faults: Vec<Fault>,
    call: &F,
) -> (R, usize)
where
    F: Fn() -> Fut,
    Fut: Future<Output = R>,
{
    let fake = h.fake();
    fake.clear_endpoint_faults(id);
    fake.reset_store();
    fake.push_endpoint_faults(id, faults);
    let before = fake.requests_for(id).len();
    let result = tokio::time::timeout(CASE_TIMEOUT, call())
        .await
        .unwrap_or_else(|_| panic!("{id}: case `{case}`: no answer within {CASE_TIMEOUT:?}"));
    let attempts = fake.requests_for(id).len() - before;
    fake.clear_endpoint_faults(id);
    (result, attempts)
}

/// Panics unless the last request to `id` was accepted with the token type the SDK
/// should pick for it from its spec's `access_tokens`: a tenant token where `tenant` is
/// accepted, else an app token where `app` is, else the caller's user token; none for an
/// endpoint that takes no token (and then no `Authorization` header at all).
pub(crate) fn expect_token_type(h: &Harness, id: &str, case: &str) {
    let ep = h.endpoint(id);
    let takes = |t: &str| ep.spec.access_tokens.iter().any(|a| a == t);
    let want = if ep.needs_no_token() {
        AcceptedToken::None
    } else if takes("tenant") {
        AcceptedToken::Tenant
    } else if takes("app") {
        AcceptedToken::App
    } else {
        AcceptedToken::User
    };
    let last = h.fake().requests_for(id).pop();
    let mut got = last.as_ref().and_then(|r| r.accepted_as);
    if want == AcceptedToken::None {
        // The hand-written auth handlers check credentials in the body, not a token.
        got = Some(got.unwrap_or(AcceptedToken::None));
    }
    assert!(
        got == Some(want),
        "{id}: case `{case}`: expected the request to be accepted with {want:?} (access_tokens: {:?}), the fake accepted it with {got:?}",
        ep.spec.access_tokens
    );
    if want == AcceptedToken::None {
        let bearer = last.and_then(|r| r.bearer);
        assert!(
            bearer.is_none(),
            "{id}: case `{case}`: takes no access token, but the SDK sent one"
        );
    }
}

/// Panics unless the endpoint received `want` requests.
pub(crate) fn expect_attempts(id: &str, case: &str, got: usize, want: usize) {
    assert!(
        got == want,
        "{id}: case `{case}`: expected {want} request(s) to the endpoint, the fake received {got}"
    );
}

/// The value, or a panic showing the error.
pub(crate) fn expect_ok<T: Debug, E: Catalogue>(
    id: &str,
    case: &str,
    result: Result<T, Error<E>>,
) -> T {
    result.unwrap_or_else(|e| panic!("{id}: case `{case}`: expected success, got {e:?}"))
}

/// The endpoint's error with `code`, or a panic showing what came instead.
pub(crate) fn expect_service<T: Debug, E: Catalogue>(
    id: &str,
    case: &str,
    result: Result<T, Error<E>>,
    code: i64,
) -> lark_openapi::ServiceError<E> {
    match result {
        Err(Error::Service(e)) if e.api_error().code == code => e,
        other => {
            panic!("{id}: case `{case}`: expected Error::Service with code {code}, got {other:?}")
        }
    }
}

/// The retry rule of the SDK: whether it sends a request again after this answer.
pub(crate) fn sdk_retries(status: u16, code: i64, spec_retryable: bool) -> bool {
    (500..=599).contains(&status) || status == 429 || code == 99991400 || spec_retryable
}

/// How many requests the SDK makes when every answer is this error: a token code with a
/// cached token is replayed once with a new token; a retryable error is retried up to
/// [`MAX_ATTEMPTS`] on an idempotent endpoint.
pub(crate) fn attempts_for(
    status: u16,
    code: i64,
    spec_retryable: bool,
    idempotent: bool,
    can_replay: bool,
) -> usize {
    let mut requests = 0;
    let mut attempt = 1;
    let mut replayed = false;
    loop {
        requests += 1;
        if TOKEN_CODES.contains(&code) && can_replay && !replayed {
            replayed = true;
            continue;
        }
        if attempt >= MAX_ATTEMPTS as usize
            || !idempotent
            || !sdk_retries(status, code, spec_retryable)
        {
            return requests;
        }
        attempt += 1;
    }
}
