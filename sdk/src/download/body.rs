//! The body engine behind every way of consuming a download: chunk by chunk, with the idle
//! timeout, the size limit, progress, and resumption of a broken body with `Range`.

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE};
use reqwest::StatusCode;
use tokio::time::{Instant, Sleep};

use crate::error::TransportError;
use crate::operation::ServiceError;
use crate::transport::retry::{decide, Failure, RetryDecision};
use crate::transport::send::{failure_of, Prepared};
use crate::{Client, Error};

/// How far a download has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes received so far (of the whole resource).
    pub received: u64,
    /// The resource's size, when the server announced it.
    pub total: Option<u64>,
}

/// A progress callback.
pub(crate) type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// What the engine hands its consumer.
pub(crate) enum Chunk {
    /// The next bytes.
    Data(Bytes),
    /// The server answered a resume with the whole body (200): what was received so far
    /// must be discarded; the following chunks start at offset 0.
    Restart,
}

pub(crate) struct Body<E> {
    client: Client,
    prepared: Prepared<E>,
    response: reqwest::Response,
    received: u64,
    total: Option<u64>,
    limit: u64,
    attempt: u32,
    progress: Option<ProgressFn>,
    /// Fires when no byte has arrived for the read timeout. Re-armed lazily (only when it
    /// fires early), so a fast body costs no timer operation per chunk.
    idle: Pin<Box<Sleep>>,
    last_progress: Instant,
    /// Whether the caller has started reading the body.
    consuming: bool,
}

impl<E: ServiceError> Body<E> {
    pub(crate) fn new(
        client: Client,
        prepared: Prepared<E>,
        response: reqwest::Response,
        limit: u64,
    ) -> Self {
        let total = header_u64(&response, CONTENT_LENGTH);
        let idle = Box::pin(tokio::time::sleep(client.inner.read_timeout));
        Body {
            client,
            prepared,
            response,
            received: 0,
            total,
            limit,
            attempt: 1,
            progress: None,
            idle,
            last_progress: Instant::now(),
            consuming: false,
        }
    }

    pub(crate) fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    pub(crate) fn set_progress(&mut self, progress: ProgressFn) {
        self.progress = Some(progress);
    }

    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    pub(crate) fn total(&self) -> Option<u64> {
        self.total
    }

    /// Fails early when the announced size is already over the limit.
    pub(crate) fn check_announced_size(&self) -> Result<(), Error<E>> {
        match self.total {
            Some(total) if total > self.limit => Err(Error::SizeLimitExceeded {
                limit: self.limit,
                content_length: Some(total),
            }),
            _ => Ok(()),
        }
    }

    /// The next chunk, `None` at the end of a complete body.
    pub(crate) async fn next(&mut self) -> Result<Option<Chunk>, Error<E>> {
        self.check_announced_size()?;
        let broken = match self.chunk_or_idle().await {
            Ok(Ok(Some(bytes))) => {
                self.received += bytes.len() as u64;
                if self.received > self.limit {
                    return Err(Error::SizeLimitExceeded {
                        limit: self.limit,
                        content_length: self.total,
                    });
                }
                if let Some(total) = self.total {
                    if self.received > total {
                        return Err(Error::Integrity {
                            expected: total,
                            received: self.received,
                        });
                    }
                }
                if let Some(progress) = &self.progress {
                    progress(Progress {
                        received: self.received,
                        total: self.total,
                    });
                }
                return Ok(Some(Chunk::Data(bytes)));
            }
            Ok(Ok(None)) => match self.total {
                Some(total) if self.received < total => {
                    TransportError::premature_end("reading the body")
                }
                _ => return Ok(None),
            },
            Ok(Err(e)) => TransportError::from_reqwest("reading the body", e),
            Err(_) => TransportError::idle_timeout("waiting for the next bytes of the body"),
        };
        self.resume(broken).await
    }

    /// The next chunk of the current response, or `Err(())` when no byte arrived for the
    /// read timeout. `Response::chunk` is cancel-safe, so re-arming the timer in between
    /// loses nothing.
    async fn chunk_or_idle(&mut self) -> Result<reqwest::Result<Option<Bytes>>, ()> {
        let idle = self.client.inner.read_timeout;
        if !self.consuming {
            // Time the caller spent before reading the body is not the server's silence.
            self.consuming = true;
            self.last_progress = Instant::now();
            self.idle.as_mut().reset(self.last_progress + idle);
        }
        loop {
            tokio::select! {
                biased;
                chunk = self.response.chunk() => {
                    self.last_progress = Instant::now();
                    return Ok(chunk);
                }
                () = self.idle.as_mut() => {
                    let deadline = self.last_progress + idle;
                    if Instant::now() >= deadline {
                        return Err(());
                    }
                    self.idle.as_mut().reset(deadline);
                }
            }
        }
    }

    /// After a broken body: asks for the rest, if the retry policy allows another attempt.
    async fn resume(&mut self, broken: TransportError) -> Result<Option<Chunk>, Error<E>> {
        let policy = &self.client.inner.retry;
        let idempotent =
            self.prepared.meta.idempotent || self.prepared.options.retry_non_idempotent;
        let failure = match failure_of(&broken) {
            Failure::Timeout => Failure::Timeout,
            _ => Failure::BodyInterrupted,
        };
        let wait = match decide(policy, self.attempt, idempotent, &failure) {
            RetryDecision::Stop => return Err(self.final_error(broken)),
            RetryDecision::RetryAfter(wait) => wait,
        };
        self.attempt += 1;
        tracing::debug!(
            endpoint = self.prepared.meta.id,
            received = self.received,
            attempt = self.attempt,
            "body broke off; resuming with Range"
        );
        tokio::time::sleep(wait).await;
        let response = self
            .client
            .send_prepared(&self.prepared, Some(self.received))
            .await?;
        match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                let range = response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_content_range);
                match range {
                    Some((start, total))
                        if start == self.received && self.total.is_none_or(|t| t == total) =>
                    {
                        self.total = Some(total);
                        self.response = response;
                        self.last_progress = Instant::now();
                        Box::pin(self.next()).await
                    }
                    _ => Err(self.final_error(broken)),
                }
            }
            _ => {
                // A full body: start over.
                self.total = header_u64(&response, CONTENT_LENGTH);
                self.received = 0;
                self.response = response;
                self.last_progress = Instant::now();
                Ok(Some(Chunk::Restart))
            }
        }
    }

    /// The error reported when a broken body cannot be resumed: an integrity error when the
    /// server promised a length, else the transport error.
    fn final_error(&self, broken: TransportError) -> Error<E> {
        match self.total {
            Some(total) if !broken.is_timeout() => Error::Integrity {
                expected: total,
                received: self.received,
            },
            _ => Error::Transport(broken),
        }
    }
}

fn header_u64(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<u64> {
    response
        .headers()
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Parses `bytes START-END/TOTAL` into (START, TOTAL).
fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let (start, end, total): (u64, u64, u64) = (
        start.trim().parse().ok()?,
        end.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (start <= end && end < total).then_some((start, total))
}

#[cfg(test)]
mod tests {
    use super::parse_content_range;

    #[test]
    fn content_range() {
        assert_eq!(parse_content_range("bytes 100-999/1000"), Some((100, 1000)));
        assert_eq!(parse_content_range("bytes 0-0/1"), Some((0, 1)));
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("bytes 0-10/10"), None);
        assert_eq!(parse_content_range("bytes */10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }
}
