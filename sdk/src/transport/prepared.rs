//! A call prepared once (URL, headers, payload, deadline) and sent by every attempt.

use reqwest::header::HeaderMap;
use reqwest::Url;

use super::deadline::Deadline;
use super::path::build_url;
use crate::errors::{AnyCode, ConfigError};
use crate::operation::{Operation, OperationMeta, Parts, Payload};
use crate::{Client, Error, RequestOptions};

/// A request ready to be sent (and sent again, for retries, token replays and resumes).
/// Nothing in it is endpoint-specific at the type level: the send path is compiled once.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) meta: OperationMeta,
    /// What the rate limiter and the logs call the operation when its id is not enough: a
    /// raw call's `METHOD path` (see [`RawCall`](crate::RawCall)).
    pub(crate) label: Option<String>,
    pub(crate) url: Url,
    pub(crate) options: RequestOptions,
    pub(crate) headers: HeaderMap,
    /// The body, encoded once: every attempt sends the same bytes (and the same
    /// deduplication key).
    pub(crate) payload: Payload,
    /// The call's overall deadline and the timeout it came from.
    pub(crate) deadline: Option<Deadline>,
}

impl Prepared {
    /// Checks and encodes everything that can be checked before sending.
    pub(crate) fn new<O: Operation>(
        client: &Client,
        op: &O,
        options: RequestOptions,
    ) -> Result<Self, Error> {
        let mut parts = Parts::default();
        op.write(&mut parts)
            .map_err(|why| Error::<AnyCode>::InvalidRequest(format!("{}: {why}", O::META.id)))?;
        Prepared::build(client, O::META, parts, options)
    }

    /// [`new`](Self::new) once the operation wrote its parts.
    pub(crate) fn build(
        client: &Client,
        meta: OperationMeta,
        parts: Parts,
        options: RequestOptions,
    ) -> Result<Self, Error> {
        let url = build_url(&client.inner.base_url, meta.path, &parts.path, &parts.query)
            .map_err(Error::<AnyCode>::InvalidRequest)?;
        Prepared::assemble(client, meta, url, parts.payload, options)
    }

    /// The request to `url`: the client's defaults merged with the call's options.
    pub(crate) fn assemble(
        client: &Client,
        meta: OperationMeta,
        url: Url,
        payload: Payload,
        options: RequestOptions,
    ) -> Result<Self, Error> {
        let timeout = options.timeout.or(client.inner.timeout);
        if let Some(timeout) = options.timeout {
            crate::client::check_duration("the request's timeout", timeout, false)
                .map_err(Error::<AnyCode>::Config)?;
        }
        let mut headers = client.inner.default_headers.clone();
        // Per-request headers replace defaults of the same name.
        headers.extend(
            options
                .header_map()
                .map_err(|e| Error::<AnyCode>::Config(ConfigError::new(e)))?,
        );
        Ok(Prepared {
            meta,
            label: None,
            url,
            options,
            headers,
            payload,
            deadline: timeout.map(Deadline::starting_now),
        })
    }

    /// The operation's name for the rate limiter and the logs.
    pub(crate) fn name(&self) -> &str {
        self.label.as_deref().unwrap_or(self.meta.id)
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
