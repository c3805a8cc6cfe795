//! Sending one prepared request: token, headers, retries, token replay, error mapping.

use std::marker::PhantomData;

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, RANGE};
use reqwest::{StatusCode, Url};
use tracing::Instrument;

use super::error_body::{log_id_from_headers, parse_error_body, ErrorBody};
use super::path::build_url;
use super::retry::{decide, rate_limit_reset, Failure, RetryDecision};
use crate::auth::{AccessToken, TokenKey};
use crate::error::{ConfigError, TransportError};
use crate::operation::{Operation, OperationMeta, ServiceError, TokenType};
use crate::{Client, Error, RequestOptions};

/// Codes that mean "this access token is no good": the SDK drops the rejected token,
/// fetches a new one once, and replays the request once.
pub const TOKEN_ERROR_CODES: [i64; 5] = [99991661, 99991663, 99991664, 99991665, 99991671];

/// Largest error body read into memory; error envelopes are a few hundred bytes.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A request ready to be sent (and sent again, for retries and resumes).
#[derive(Debug, Clone)]
pub(crate) struct Prepared<E> {
    pub(crate) meta: OperationMeta,
    pub(crate) url: Url,
    pub(crate) options: RequestOptions,
    pub(crate) headers: HeaderMap,
    /// The last path parameter (the file key of downloads), for fallback file names.
    pub(crate) name_hint: String,
    _error: PhantomData<fn() -> E>,
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
    /// `range_from` asks for the body from that offset (`Range: bytes=N-`).
    pub(crate) async fn send_prepared<E: ServiceError>(
        &self,
        p: &Prepared<E>,
        range_from: Option<u64>,
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
            let credential = self.credential(p).await?;
            let outcome = self
                .attempt(p, &credential, range_from)
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
                    match self.read_error(response).await {
                        Err(transport) => (failure_of(&transport), Error::Transport(transport)),
                        Ok(ErrorBody::Api(api)) => {
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
                        Ok(ErrorBody::Unexpected(body)) => (
                            Failure::Http {
                                status: status.as_u16(),
                                code: None,
                                spec_retryable: false,
                                rate_limit_reset: reset,
                            },
                            Error::UnexpectedResponse(body),
                        ),
                    }
                }
                Err(transport) => (failure_of(&transport), Error::Transport(transport)),
            };
            match decide(policy, attempt, idempotent, &failure) {
                RetryDecision::RetryAfter(wait) => {
                    tracing::debug!(parent: &span, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                RetryDecision::Stop => return Err(error),
            }
        }
    }

    /// One HTTP exchange up to the response headers, bounded by the read timeout.
    async fn attempt<E>(
        &self,
        p: &Prepared<E>,
        credential: &Credential,
        range_from: Option<u64>,
    ) -> Result<reqwest::Response, TransportError> {
        let mut request = self
            .inner
            .http
            .request(p.meta.method.to_reqwest(), p.url.clone())
            .headers(p.headers.clone())
            .header(AUTHORIZATION, format!("Bearer {}", credential.expose()))
            // The platform sends Content-Disposition on downloads only when the request
            // says it speaks JSON (platform-facts §6).
            .header(CONTENT_TYPE, "application/json; charset=utf-8");
        if let Some(from) = range_from {
            request = request.header(RANGE, format!("bytes={from}-"));
        }
        match tokio::time::timeout(self.inner.read_timeout, request.send()).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(TransportError::from_reqwest("sending the request", e)),
            Err(_) => Err(TransportError::idle_timeout(
                "waiting for the response headers",
            )),
        }
    }

    /// Reads an error body (bounded) and parses it by its Content-Type.
    async fn read_error(
        &self,
        mut response: reqwest::Response,
    ) -> Result<ErrorBody, TransportError> {
        let status: StatusCode = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        loop {
            let chunk = tokio::time::timeout(self.inner.read_timeout, response.chunk()).await;
            match chunk {
                Err(_) => return Err(TransportError::idle_timeout("reading an error body")),
                Ok(Err(e)) => return Err(TransportError::from_reqwest("reading an error body", e)),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(bytes))) => {
                    let room = MAX_ERROR_BODY.saturating_sub(body.len());
                    body.extend_from_slice(&bytes[..bytes.len().min(room)]);
                    if room <= bytes.len() {
                        break;
                    }
                }
            }
        }
        Ok(parse_error_body(status.as_u16(), &headers, &body))
    }
}

/// How the retry policy sees a transport failure.
pub(crate) fn failure_of(e: &TransportError) -> Failure {
    use crate::error::TransportKind;
    match e.kind() {
        TransportKind::Connect => Failure::Connect,
        TransportKind::Timeout => Failure::Timeout,
        _ => Failure::BodyInterrupted,
    }
}
