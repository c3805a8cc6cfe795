//! A call prepared once (URL, headers, payload, deadline) and sent by every attempt.

use std::marker::PhantomData;

use reqwest::header::HeaderMap;
use reqwest::Url;

use super::deadline::Deadline;
use super::path::build_url;
use crate::auth::{AccessToken, TokenKey};
use crate::error::ConfigError;
use crate::operation::{Operation, OperationMeta, Payload, TokenType};
use crate::{Client, Error, RequestOptions, ServiceError};

/// A request ready to be sent (and sent again, for retries, token replays and resumes).
#[derive(Debug, Clone)]
pub(crate) struct Prepared<E> {
    pub(crate) meta: OperationMeta,
    pub(crate) url: Url,
    pub(crate) options: RequestOptions,
    pub(crate) headers: HeaderMap,
    /// The body, encoded once: every attempt sends the same bytes (and the same
    /// deduplication key).
    pub(crate) payload: Payload,
    /// The last path parameter (the file key of downloads), for fallback file names.
    pub(crate) name_hint: String,
    /// The call's overall deadline and the timeout it came from.
    pub(crate) deadline: Option<Deadline>,
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
        let payload = op
            .payload()
            .map_err(|why| Error::InvalidRequest(format!("{}: {why}", O::META.id)))?;
        Ok(Prepared {
            meta: O::META,
            url,
            name_hint: values.last().map(|v| v.to_string()).unwrap_or_default(),
            options,
            headers,
            payload,
            deadline: timeout.map(Deadline::starting_now),
            _error: PhantomData,
        })
    }

    /// Whether the body can be sent again (not a caller's stream, which is read once).
    pub(crate) fn replayable(&self) -> bool {
        match &self.payload {
            Payload::Multipart(form) => form.files.iter().all(|(_, f, _)| f.is_replayable()),
            _ => true,
        }
    }

    /// Whether retries are allowed for this request.
    pub(crate) fn retryable(&self) -> bool {
        (self.meta.idempotent || self.options.retries_non_idempotent()) && self.replayable()
    }
}

/// Where the request's token comes from.
pub(crate) enum Credential {
    /// From the client's cache, under this key: can be invalidated and replaced.
    Cached(TokenKey, AccessToken),
    /// Given by the caller: sent as is.
    Explicit(String),
    /// The endpoint takes no token (the auth endpoints).
    None,
}

impl Credential {
    /// The `Authorization` header value; `Err` when the token cannot be sent in a header.
    pub(crate) fn authorization(&self) -> Result<Option<reqwest::header::HeaderValue>, ()> {
        match self {
            Credential::Cached(_, t) => t.bearer().cloned().map(Some).ok_or(()),
            Credential::Explicit(t) => crate::auth::bearer_header(t).map(Some).ok_or(()),
            Credential::None => Ok(None),
        }
    }

    pub(crate) fn expose(&self) -> Option<&str> {
        match self {
            Credential::Cached(_, t) => Some(t.expose()),
            Credential::Explicit(t) => Some(t),
            Credential::None => None,
        }
    }
}

impl Client {
    /// The token for a request: the caller's, or one from the cache for the endpoint's
    /// preferred token type.
    pub(crate) async fn credential<E>(&self, p: &Prepared<E>) -> Result<Credential, Error<E>> {
        let o = &p.options;
        if p.meta.access_tokens.is_empty() {
            return Ok(Credential::None);
        }
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
}
