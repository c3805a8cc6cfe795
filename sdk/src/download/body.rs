//! The body engine behind every way of consuming a download: chunk by chunk, with the idle
//! timeout, the size limit, progress, and resumption of a broken body with `Range`.

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{
    HeaderMap, HeaderValue, CONTENT_LENGTH, CONTENT_RANGE, ETAG, IF_RANGE, LAST_MODIFIED, RANGE,
};
use reqwest::StatusCode;
use tokio::time::{Instant, Sleep};

use crate::clock::after_tokio;
use crate::errors::TransportError;
use crate::transport::prepared::Prepared;
use crate::transport::retry::{decide, Failure, RetryDecision};
use crate::transport::send::{failure_of, Success};
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

/// What identifies the version of the resource being downloaded, from the first answer.
/// Sent as `If-Range` on a resume, and compared with the resumed answer's, so that the
/// parts of two versions are never spliced together.
#[derive(Debug, Default)]
struct Validators {
    /// A strong `ETag` (a weak one, `W/…`, cannot be used with `If-Range`).
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
}

impl Validators {
    fn of(response: &reqwest::Response) -> Self {
        let headers = response.headers();
        Validators {
            etag: headers
                .get(ETAG)
                .filter(|v| !v.as_bytes().starts_with(b"W/"))
                .cloned(),
            last_modified: headers.get(LAST_MODIFIED).cloned(),
        }
    }

    /// The `If-Range` value: the strong ETag, else Last-Modified.
    fn if_range(&self) -> Option<&HeaderValue> {
        self.etag.as_ref().or(self.last_modified.as_ref())
    }

    /// Why a resumed part (206) is not of the same version, if it is not.
    fn mismatch(&self, resumed: &reqwest::Response) -> Option<String> {
        let headers = resumed.headers();
        let show = |v: Option<&HeaderValue>| {
            v.map_or_else(
                || "none".to_owned(),
                |v| String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        };
        if let Some(etag) = &self.etag {
            let now = headers.get(ETAG);
            return (now != Some(etag)).then(|| {
                format!(
                    "the resource changed while it was downloaded: ETag {} at first, {} on resuming",
                    show(Some(etag)),
                    show(now)
                )
            });
        }
        if let Some(modified) = &self.last_modified {
            let now = headers.get(LAST_MODIFIED);
            return (now != Some(modified)).then(|| {
                format!(
                    "the resource changed while it was downloaded: Last-Modified {} at first, {} on resuming",
                    show(Some(modified)),
                    show(now)
                )
            });
        }
        None
    }
}

/// Why no chunk came.
enum Stalled {
    /// No byte for the read timeout.
    Idle,
    /// The call's overall deadline passed.
    Deadline,
}

pub(crate) struct Body {
    client: Client,
    prepared: Prepared,
    response: reqwest::Response,
    received: u64,
    total: Option<u64>,
    limit: u64,
    attempt: u32,
    progress: Option<ProgressFn>,
    /// Fires when no byte has arrived for the read timeout. Created the first time a chunk
    /// is not ready at once and re-armed lazily (only when it fires early), so a body that
    /// arrives with its headers, or keeps arriving, costs no timer operation per chunk.
    idle: Option<Pin<Box<Sleep>>>,
    last_progress: Instant,
    /// Whether the caller has started reading the body.
    consuming: bool,
    validators: Validators,
}

impl Body {
    /// The engine for the first answer to a download request (which asked for the whole
    /// body). A `206 Partial Content` answer is only taken as the start of the body
    /// (`Content-Range: bytes 0-…/TOTAL`): its length is then TOTAL, so the body ends short
    /// and is resumed or fails, instead of being saved as complete.
    pub(crate) fn new(
        client: Client,
        prepared: Prepared,
        response: reqwest::Response,
        limit: u64,
    ) -> Result<Self, Error> {
        let mut total = header_u64(&response, CONTENT_LENGTH);
        if response.status() == StatusCode::PARTIAL_CONTENT {
            let raw = response.headers().get(CONTENT_RANGE);
            match raw
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range)
            {
                Some((0, whole)) => total = Some(whole),
                _ => {
                    let shown = raw.map_or_else(
                        || "no Content-Range".to_owned(),
                        |v| format!("Content-Range `{}`", String::from_utf8_lossy(v.as_bytes())),
                    );
                    return Err(Error::BadPartialContent {
                        reason: format!(
                            "the server answered 206 Partial Content with {shown} to a request \
                             for the whole body"
                        ),
                    });
                }
            }
        }
        let validators = Validators::of(&response);
        Ok(Body {
            client,
            prepared,
            response,
            received: 0,
            total,
            limit,
            attempt: 1,
            progress: None,
            idle: None,
            last_progress: Instant::now(),
            consuming: false,
            validators,
        })
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
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
    pub(crate) fn check_announced_size(&self) -> Result<(), Error> {
        match self.total {
            Some(total) if total > self.limit => Err(Error::SizeLimitExceeded {
                limit: self.limit,
                content_length: Some(total),
            }),
            _ => Ok(()),
        }
    }

    /// The next chunk, `None` at the end of a complete body.
    pub(crate) async fn next(&mut self) -> Result<Option<Chunk>, Error> {
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
            Err(Stalled::Idle) => {
                TransportError::idle_timeout("waiting for the next bytes of the body")
            }
            Err(Stalled::Deadline) => match self.prepared.deadline {
                Some(deadline) => return Err(Error::Transport(deadline.error("reading the body"))),
                None => TransportError::idle_timeout("waiting for the next bytes of the body"),
            },
        };
        self.resume(broken).await
    }

    /// The next chunk of the current response, or why none came: no byte for the read
    /// timeout, or the call's deadline passed. `Response::chunk` is cancel-safe, so
    /// re-arming the timer in between loses nothing.
    async fn chunk_or_idle(&mut self) -> Result<reqwest::Result<Option<Bytes>>, Stalled> {
        let idle = self.client.inner.read_timeout;
        let deadline = self.prepared.deadline.map(|d| d.at);
        // The timer fires at the earlier of the idle limit and the call's deadline.
        let wake_at = |last_progress: Instant| {
            let idle_at = after_tokio(last_progress, idle);
            deadline.map_or(idle_at, |d| d.min(idle_at))
        };
        if !self.consuming {
            // Time the caller spent before reading the body is not the server's silence.
            self.consuming = true;
            self.last_progress = Instant::now();
            if let Some(timer) = self.idle.as_mut() {
                timer.as_mut().reset(wake_at(self.last_progress));
            }
        }
        // Bytes that are already here need no timer.
        if let Some(chunk) = futures_util::FutureExt::now_or_never(self.response.chunk()) {
            self.last_progress = Instant::now();
            return Ok(chunk);
        }
        let last_progress = self.last_progress;
        let timer = self
            .idle
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(wake_at(last_progress))));
        loop {
            tokio::select! {
                biased;
                chunk = self.response.chunk() => {
                    self.last_progress = Instant::now();
                    return Ok(chunk);
                }
                () = timer.as_mut() => {
                    let now = Instant::now();
                    if deadline.is_some_and(|d| now >= d) {
                        return Err(Stalled::Deadline);
                    }
                    if now >= after_tokio(self.last_progress, idle) {
                        return Err(Stalled::Idle);
                    }
                    timer.as_mut().reset(wake_at(self.last_progress));
                }
            }
        }
    }

    /// After a broken body: asks for the rest, if the retry policy allows another attempt.
    async fn resume(&mut self, broken: TransportError) -> Result<Option<Chunk>, Error> {
        let policy = &self.client.inner.retry;
        let idempotent = self.prepared.retryable();
        let failure = match failure_of(&broken) {
            Failure::Timeout => Failure::Timeout,
            _ => Failure::BodyInterrupted,
        };
        let wait = match decide(policy, self.attempt, idempotent, &failure) {
            RetryDecision::Stop => return Err(self.final_error(broken)),
            RetryDecision::RetryAfter(wait)
                if self.prepared.deadline.is_some_and(|d| d.passed_after(wait)) =>
            {
                return Err(self.final_error(broken))
            }
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
        let mut extra = HeaderMap::new();
        let range = format!("bytes={}-", self.received);
        if let Ok(range) = HeaderValue::from_str(&range) {
            extra.insert(RANGE, range);
        }
        if let Some(validator) = self.validators.if_range() {
            extra.insert(IF_RANGE, validator.clone());
        }
        let Success::Stream(response) =
            crate::transport::send::send(&self.client, &self.prepared, Some(&extra)).await?
        else {
            return Err(self.final_error(broken));
        };
        match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                if let Some(reason) = self.validators.mismatch(&response) {
                    return Err(Error::BadPartialContent { reason });
                }
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
                // A full body (the resource changed, per If-Range, or the server ignores
                // Range): start over, with this version's validators.
                self.validators = Validators::of(&response);
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
    fn final_error(&self, broken: TransportError) -> Error {
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
