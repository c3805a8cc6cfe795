//! The send loop, the same for every endpoint: token → attempt → classify → retry or
//! replay, with a `lark.request` span per attempt.

use reqwest::header::HeaderMap;
use tracing::Instrument;

use super::attempt::{Answer, AttemptError};
use super::deadline::within_deadline;
use super::prepared::Prepared;
use super::retry::{decide, rate_limit_reset, Failure, RetryDecision};
use crate::auth::Credential;
use crate::errors::{log_id_from_headers, ErrorBody};
use crate::errors::{ServiceError, TransportError};
use crate::ratelimit::{RateKey, RateLimiter, RateSignal};
use crate::{Client, Error};

/// Codes that mean "this access token is no good": the SDK drops the rejected token,
/// fetches a new one once, and replays the request once.
pub const TOKEN_ERROR_CODES: [i64; 5] = [99991661, 99991663, 99991664, 99991665, 99991671];

/// A successful answer.
pub(crate) enum Success {
    /// A binary answer, body unread.
    Stream(reqwest::Response),
    /// A JSON answer with `code == 0`.
    Envelope {
        body: Vec<u8>,
        log_id: Option<String>,
    },
}

/// Sends `p` until it succeeds, the retry policy gives up, or the failure is final.
/// `extra` adds headers to this call only (a resume's `Range` and `If-Range`).
pub(crate) async fn send(
    client: &Client,
    p: &Prepared,
    extra: Option<&HeaderMap>,
) -> Result<Success, Error> {
    let policy = p.options.retry.as_ref().unwrap_or(&client.inner.retry);
    let retryable = p.retryable();
    let mut attempt: u32 = 1;
    let mut replayed_token = false;
    // Only with a limiter: the budget this call spends.
    let limiter = client.inner.rate_limiter.as_deref();
    let rate_key = limiter.map(|_| RateKey {
        app_id: &client.inner.app_id,
        tenant_key: p.options.tenant_key.as_deref(),
        endpoint_id: p.name(),
    });
    loop {
        let span = tracing::debug_span!(
            "lark.request",
            endpoint = p.name(),
            attempt,
            status = tracing::field::Empty,
            log_id = tracing::field::Empty,
        );
        let credential = within_deadline(
            p.deadline,
            "getting an access token",
            crate::auth::credential(client, p),
        )
        .await?;
        if let (Some(limiter), Some(key)) = (limiter, &rate_key) {
            wait_for_turn(limiter, key, p)
                .instrument(span.clone())
                .await?;
        }
        let outcome = super::attempt::attempt(client, p, &credential, extra)
            .instrument(span.clone())
            .await;
        let (failure, error) = match outcome {
            Ok(Answer::Stream(response)) => {
                if let (Some(limiter), Some(key)) = (limiter, &rate_key) {
                    let status = response.status().as_u16();
                    if let Some(signal) = RateSignal::from_answer(status, None, response.headers())
                    {
                        limiter.observe(key, &signal).await;
                    }
                }
                span.record("status", response.status().as_u16());
                if let Some(id) = log_id_from_headers(response.headers()) {
                    span.record("log_id", id.as_str());
                }
                return Ok(Success::Stream(response));
            }
            Ok(Answer::Envelope { body, log_id, rate }) => {
                if let (Some(limiter), Some(key), Some(signal)) = (limiter, &rate_key, &rate) {
                    limiter.observe(key, signal).await;
                }
                span.record("status", 200u16);
                if let Some(id) = &log_id {
                    span.record("log_id", id.as_str());
                }
                return Ok(Success::Envelope { body, log_id });
            }
            Ok(Answer::Undecodable {
                path,
                message,
                log_id,
                excerpt,
                cut_at,
            }) => {
                span.record("status", 200u16);
                let secrets = secrets_of(client, &credential, p);
                let secrets: Vec<&str> = secrets.iter().map(|s| s.expose()).collect();
                let excerpt = crate::auth::redact(&excerpt, &secrets);
                return Err(Error::Decode(Box::new(crate::errors::DecodeError {
                    endpoint: p.meta.id,
                    path,
                    message,
                    log_id,
                    excerpt,
                    cut_at,
                })));
            }
            Ok(Answer::Failed {
                status,
                headers,
                body,
            }) => {
                span.record("status", status);
                if let Some(id) = body.log_id() {
                    span.record("log_id", id);
                }
                let reset = rate_limit_reset(&headers);
                if let (Some(limiter), Some(key)) = (limiter, &rate_key) {
                    let code = match &body {
                        ErrorBody::Api(api) => Some(api.code),
                        ErrorBody::Unexpected(_) => None,
                    };
                    if let Some(signal) = RateSignal::from_answer(status, code, &headers) {
                        tracing::debug!(parent: &span, limited = signal.limited, limit = signal.limit, "the answer tightens the rate budget");
                        limiter.observe(key, &signal).await;
                    }
                }
                match redact_error_body(client, body, &credential, p) {
                    ErrorBody::Api(api) => {
                        if super::send::TOKEN_ERROR_CODES.contains(&api.code)
                            && !replayed_token
                            && p.replayable()
                        {
                            if let Credential::Cached(key, token) = &credential {
                                tracing::debug!(parent: &span, code = api.code, "token rejected; fetching a new one and replaying once");
                                client.inner.tokens.invalidate(key, token);
                                replayed_token = true;
                                continue;
                            }
                        }
                        let code = api.code;
                        let service =
                            ServiceError::new(api, p.meta.id, p.meta.catalogue, p.meta.errors);
                        let failure = Failure::Http {
                            status,
                            code: Some(code),
                            spec_retryable: p.meta.retryable(code),
                            rate_limit_reset: reset,
                        };
                        (failure, Error::Service(service))
                    }
                    ErrorBody::Unexpected(body) => (
                        Failure::Http {
                            status,
                            code: None,
                            spec_retryable: false,
                            rate_limit_reset: reset,
                        },
                        Error::UnexpectedResponse(body),
                    ),
                }
            }
            Err(AttemptError::Transport(transport)) => {
                (failure_of(&transport), Error::Transport(transport))
            }
            Err(AttemptError::Fatal(error)) => return Err(error),
        };
        match decide(policy, attempt, retryable, &failure) {
            RetryDecision::RetryAfter(wait) if p.deadline.is_some_and(|d| d.passed_after(wait)) => {
                tracing::debug!(parent: &span, wait_ms = wait.as_millis() as u64, "not retrying: the wait would pass the call's deadline");
                return Err(error);
            }
            RetryDecision::RetryAfter(wait) => {
                tracing::debug!(parent: &span, wait_ms = wait.as_millis() as u64, "retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            RetryDecision::Stop => return Err(error),
        }
    }
}

/// Scrubs the app secret, the app ticket and the request's token from every text of an
/// error body, in case the server echoed one.
fn redact_error_body(
    client: &Client,
    body: ErrorBody,
    credential: &Credential,
    p: &Prepared,
) -> ErrorBody {
    let secrets = secrets_of(client, credential, p);
    body.redacted(&secrets.iter().map(|s| s.expose()).collect::<Vec<_>>())
}

/// Every secret a text from the server must not carry into an error: the app secret,
/// the app ticket, the request's token and the credentials of its body.
pub(crate) fn secrets_of(
    client: &Client,
    credential: &Credential,
    p: &Prepared,
) -> Vec<crate::auth::Secret> {
    let mut secrets = vec![client.inner.app_secret.clone()];
    secrets.extend(p.options.secrets.iter().cloned());
    if let Some(token) = credential.expose() {
        secrets.push(crate::auth::Secret::new(token));
    }
    secrets.extend(client.inner.tokens.app_ticket());
    secrets
}

/// Waits for the call's turn under the client's rate limiter, bounded by its deadline.
async fn wait_for_turn(
    limiter: &dyn RateLimiter,
    key: &RateKey<'_>,
    p: &Prepared,
) -> Result<(), Error> {
    let limit = p.meta.rate_limit.unwrap_or_default();
    let deadline = p.deadline.map(|d| d.at.into_std());
    let started = tokio::time::Instant::now();
    let turn = async {
        limiter
            .acquire(key, limit, deadline)
            .await
            .map_err(Error::RateLimit)
    };
    // A limiter that overstays the deadline is cut off like any other step of the call.
    let result = within_deadline(p.deadline, "waiting for a rate-limit turn", turn).await;
    let waited = started.elapsed();
    if waited >= std::time::Duration::from_millis(1) {
        tracing::debug!(
            wait_ms = waited.as_millis() as u64,
            "waited for a turn under the rate limit"
        );
    }
    result
}

/// How the retry policy sees a transport failure.
pub(crate) fn failure_of(e: &TransportError) -> Failure {
    use crate::errors::TransportKind;
    if e.is_deadline() {
        return Failure::Fatal;
    }
    match e.kind() {
        TransportKind::Connect => Failure::Connect,
        TransportKind::Timeout => Failure::Timeout,
        TransportKind::HeadersTooLarge => Failure::Fatal,
        _ => Failure::BodyInterrupted,
    }
}
