//! Sending one prepared request: token, headers, retries, token replay, error mapping.

use std::marker::PhantomData;

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use tracing::Instrument;

use super::error_body::{log_id_from_headers, parse_error_body, ErrorBody};
use super::path::build_url;
use super::read::{read_capped, ReadError, MAX_ERROR_BODY};
use super::retry::{decide, rate_limit_reset, Failure, RetryDecision};
use crate::auth::{AccessToken, TokenKey};
use crate::error::{ConfigError, TransportError};
use crate::operation::{Operation, OperationMeta, ServiceError, TokenType};
use crate::{Client, Error, RequestOptions};

/// Codes that mean "this access token is no good": the SDK drops the rejected token,
/// fetches a new one once, and replays the request once.
pub const TOKEN_ERROR_CODES: [i64; 5] = [99991661, 99991663, 99991664, 99991665, 99991671];

/// A request ready to be sent (and sent again, for retries and resumes).
#[derive(Debug, Clone)]
pub(crate) struct Prepared<E> {
    pub(crate) meta: OperationMeta,
    pub(crate) url: Url,
    pub(crate) options: RequestOptions,
    pub(crate) headers: HeaderMap,
    /// The last path parameter (the file key of downloads), for fallback file names.
    pub(crate) name_hint: String,
    /// The call's overall deadline and the timeout it came from.
    pub(crate) deadline: Option<Deadline>,
    _error: PhantomData<fn() -> E>,
}

/// When a call must be over, and the configured timeout (for the error message).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(crate) at: tokio::time::Instant,
    pub(crate) timeout: Duration,
}

impl Deadline {
    fn starting_now(timeout: Duration) -> Self {
        Deadline {
            at: crate::clock::after_tokio(tokio::time::Instant::now(), timeout),
            timeout,
        }
    }

    pub(crate) fn error(&self, context: &'static str) -> TransportError {
        TransportError::deadline(context, self.timeout)
    }

    /// Whether waiting `wait` from now would pass the deadline.
    pub(crate) fn passed_after(&self, wait: Duration) -> bool {
        crate::clock::after_tokio(tokio::time::Instant::now(), wait) >= self.at
    }
}

/// Runs `fut` bounded by the call's deadline, if it has one.
pub(crate) async fn within_deadline<T, E>(
    deadline: Option<Deadline>,
    context: &'static str,
    fut: impl std::future::Future<Output = Result<T, Error<E>>>,
) -> Result<T, Error<E>> {
    match deadline {
        None => fut.await,
        Some(d) => match tokio::time::timeout_at(d.at, fut).await {
            Ok(result) => result,
            Err(_) => Err(Error::Transport(d.error(context))),
        },
    }
}

impl<E: ServiceError> Prepared<E> {
    /// Checks and encodes everything that can be checked before sending.
    pub(crate) fn new<O: Operation<Error = E>>(
        client: &Client,
        op: &O,
        options: RequestOptions,
    ) -> Result<Self, Error<E>> {
        let params = op.path_params();
        let values: Vec<&str> = params.iter().map(|p| p.as_ref()).collect();
        let url = build_url(
            &client.inner.base_url,
            O::META.path,
            &values,
            &op.query_params(),
        )
        .map_err(Error::InvalidRequest)?;
        let timeout = options.timeout.or(client.inner.timeout);
        if let Some(timeout) = options.timeout {
            crate::client::check_duration("the request's timeout", timeout, false)
                .map_err(Error::Config)?;
        }
        let mut headers = client.inner.default_headers.clone();
        // Per-request headers replace defaults of the same name.
        headers.extend(
            options
                .header_map()
                .map_err(|e| Error::Config(ConfigError::new(e)))?,
        );
        Ok(Prepared {
            meta: O::META,
            url,
            name_hint: values.last().map(|v| v.to_string()).unwrap_or_default(),
            options,
            headers,
            deadline: timeout.map(Deadline::starting_now),
            _error: PhantomData,
        })
    }
}

/// Where the request's token comes from.
enum Credential {
    /// From the client's cache, under this key: can be invalidated and replaced.
    Cached(TokenKey, AccessToken),
    /// Given by the caller: sent as is.
    Explicit(String),
}

impl Credential {
    fn expose(&self) -> &str {
        match self {
            Credential::Cached(_, t) => t.expose(),
            Credential::Explicit(t) => t,
        }
    }
}

impl Client {
    async fn credential<E>(&self, p: &Prepared<E>) -> Result<Credential, Error<E>> {
        let o = &p.options;
        if let Some(token) = &o.access_token {
            return Ok(Credential::Explicit(token.expose().to_string()));
        }
        if let Some(token) = &o.user_access_token {
            if !p.meta.access_tokens.contains(&TokenType::User) {
                return Err(Error::InvalidRequest(format!(
                    "{} does not accept a user_access_token",
                    p.meta.id
                )));
            }
            return Ok(Credential::Explicit(token.expose().to_string()));
        }
        let key = if p.meta.access_tokens.contains(&TokenType::Tenant) {
            TokenKey::Tenant(o.tenant_key.clone())
        } else if p.meta.access_tokens.contains(&TokenType::App) {
            TokenKey::App
        } else {
            return Err(Error::InvalidRequest(format!(
                "{} accepts only a user_access_token: set one in the request options",
                p.meta.id
            )));
        };
        let token = self.inner.tokens.get(&key).await.map_err(Error::Token)?;
        Ok(Credential::Cached(key, token))
    }

    /// Sends `p` until it succeeds (2xx), the retry policy gives up, or the failure is final.
    /// `request_extra` adds headers to this call only (a resume's `Range` and `If-Range`).
    pub(crate) async fn send_prepared<E: ServiceError>(
        &self,
        p: &Prepared<E>,
        request_extra: Option<&HeaderMap>,
    ) -> Result<reqwest::Response, Error<E>> {
        let policy = &self.inner.retry;
        let idempotent = p.meta.idempotent || p.options.retry_non_idempotent;
        let mut attempt: u32 = 1;
        let mut replayed_token = false;
        loop {
            let span = tracing::debug_span!(
                "lark.request",
                endpoint = p.meta.id,
                attempt,
                status = tracing::field::Empty,
                log_id = tracing::field::Empty,
            );
            let credential =
                within_deadline(p.deadline, "getting an access token", self.credential(p)).await?;
            let outcome = self
                .attempt(p, &credential, request_extra)
                .instrument(span.clone())
                .await;
            let (failure, error) = match outcome {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    if let Some(id) = log_id_from_headers(response.headers()) {
                        span.record("log_id", id.as_str());
                    }
                    if response.status().is_success() {
                        return Ok(response);
                    }
                    let status = response.status();
                    let reset = rate_limit_reset(response.headers());
                    match self.read_error(p, response).await {
                        Err(transport) => (failure_of(&transport), Error::Transport(transport)),
                        Ok(body) => match self.redact_error_body(body, &credential) {
                            ErrorBody::Api(api) => {
                                if TOKEN_ERROR_CODES.contains(&api.code) && !replayed_token {
                                    if let Credential::Cached(key, token) = &credential {
                                        tracing::debug!(parent: &span, code = api.code, "token rejected; fetching a new one and replaying once");
                                        self.inner.tokens.invalidate(key, token);
                                        replayed_token = true;
                                        continue;
                                    }
                                }
                                let service = E::from_api_error(api);
                                let failure = Failure::Http {
                                    status: status.as_u16(),
                                    code: Some(service.api_error().code),
                                    spec_retryable: service.is_retryable(),
                                    rate_limit_reset: reset,
                                };
                                (failure, Error::Service(service))
                            }
                            ErrorBody::Unexpected(body) => (
                                Failure::Http {
                                    status: status.as_u16(),
                                    code: None,
                                    spec_retryable: false,
                                    rate_limit_reset: reset,
                                },
                                Error::UnexpectedResponse(body),
                            ),
                        },
                    }
                }
                Err(transport) => (failure_of(&transport), Error::Transport(transport)),
            };
            match decide(policy, attempt, idempotent, &failure) {
                RetryDecision::RetryAfter(wait)
                    if p.deadline.is_some_and(|d| d.passed_after(wait)) =>
                {
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

    /// One HTTP exchange up to the response headers, bounded by the read timeout and the
    /// call's deadline.
    async fn attempt<E>(
        &self,
        p: &Prepared<E>,
        credential: &Credential,
        request_extra: Option<&HeaderMap>,
    ) -> Result<reqwest::Response, TransportError> {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", credential.expose()))
            .map_err(|_| TransportError::invalid_token())?;
        authorization.set_sensitive(true);
        let mut headers = p.headers.clone();
        if let Some(extra) = request_extra {
            headers.extend(extra.clone());
        }
        let request = self
            .inner
            .http
            .request(p.meta.method.to_reqwest(), p.url.clone())
            .headers(headers)
            .header(AUTHORIZATION, authorization)
            // The platform sends Content-Disposition on downloads only when the request
            // says it speaks JSON (platform-facts §6).
            .header(CONTENT_TYPE, "application/json; charset=utf-8");
        let idle_at =
            crate::clock::after_tokio(tokio::time::Instant::now(), self.inner.read_timeout);
        let (until, on_timeout) = match p.deadline {
            Some(d) if d.at < idle_at => (d.at, d.error("waiting for the response headers")),
            _ => (
                idle_at,
                TransportError::idle_timeout("waiting for the response headers"),
            ),
        };
        match tokio::time::timeout_at(until, request.send()).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(TransportError::from_reqwest("sending the request", e)),
            Err(_) => Err(on_timeout),
        }
    }

    /// Reads an error body (at most [`MAX_ERROR_BODY`] bytes) and parses it by its
    /// Content-Type.
    async fn read_error<E>(
        &self,
        p: &Prepared<E>,
        mut response: reqwest::Response,
    ) -> Result<ErrorBody, TransportError> {
        let status: StatusCode = response.status();
        let headers = response.headers().clone();
        let read = read_capped(&mut response, MAX_ERROR_BODY, Some(self.inner.read_timeout));
        let read = match p.deadline {
            None => read.await,
            Some(d) => tokio::time::timeout_at(d.at, read)
                .await
                .map_err(|_| d.error("reading an error body"))?,
        };
        let capped = read.map_err(|e| match e {
            ReadError::Http(e) => TransportError::from_reqwest("reading an error body", e),
            ReadError::Idle => TransportError::idle_timeout("reading an error body"),
        })?;
        let mut body = parse_error_body(status.as_u16(), &headers, &capped.bytes);
        if capped.over_cap {
            if let ErrorBody::Unexpected(u) = &mut body {
                u.cut_at = Some(MAX_ERROR_BODY);
            }
        }
        Ok(body)
    }

    /// Scrubs the app secret, the app ticket and the request's token from every text of an
    /// error body, in case the server echoed one.
    fn redact_error_body(&self, body: ErrorBody, credential: &Credential) -> ErrorBody {
        let ticket = self.inner.tokens.app_ticket();
        let mut secrets = vec![self.inner.app_secret.expose(), credential.expose()];
        if let Some(ticket) = &ticket {
            secrets.push(ticket.expose());
        }
        body.redacted(&secrets)
    }
}

/// How the retry policy sees a transport failure.
pub(crate) fn failure_of(e: &TransportError) -> Failure {
    use crate::error::TransportKind;
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
