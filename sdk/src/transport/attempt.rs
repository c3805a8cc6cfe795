//! One HTTP exchange: the request with its token and payload, up to a classified answer.

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE};

use super::deadline::wait_limit;
use super::error_body::{
    log_id_from_headers, parse_api_error, parse_error_body, ErrorBody, UnexpectedBody,
};
use super::prepared::{Credential, Prepared};
use super::read::{read_capped, ReadError, MAX_AUTH_BODY, MAX_ERROR_BODY, MAX_JSON_BODY};
use crate::error::TransportError;
use crate::operation::{Payload, ResponseKind};
use crate::ratelimit::RateSignal;
use crate::upload::PartError;
use crate::{Client, Error};

/// What an exchange gave.
pub(crate) enum Answer {
    /// A 2xx binary answer, body unread.
    Stream(reqwest::Response),
    /// A 2xx JSON answer with `code == 0`: the whole body.
    Envelope {
        body: Vec<u8>,
        log_id: Option<String>,
        /// What the headers say about the rate limit; only read when a limiter is set.
        rate: Option<RateSignal>,
    },
    /// An error answer (any status, or a 2xx whose `code` is not 0).
    Failed {
        status: u16,
        headers: HeaderMap,
        body: ErrorBody,
    },
}

/// Why an exchange gave no answer.
pub(crate) enum AttemptError<E> {
    /// The network or a timeout: the retry policy decides.
    Transport(TransportError),
    /// Something no retry can fix (a file that cannot be read, a stream already sent).
    Fatal(Error<E>),
}

impl Client {
    /// One exchange, bounded by the read timeout and the call's deadline.
    pub(crate) async fn attempt<E>(
        &self,
        p: &Prepared<E>,
        credential: &Credential,
        extra: Option<&HeaderMap>,
    ) -> Result<Answer, AttemptError<E>> {
        let mut headers = p.headers.clone();
        if let Some(extra) = extra {
            headers.extend(extra.clone());
        }
        let mut request = self
            .inner
            .http
            .request(p.meta.method.to_reqwest(), p.url.clone())
            .headers(headers);
        let authorization = credential
            .authorization()
            .map_err(|()| AttemptError::Transport(TransportError::invalid_token()))?;
        if let Some(authorization) = authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        request = match &p.payload {
            // The platform sends Content-Disposition on downloads only when the request says
            // it speaks JSON (platform-facts §6).
            Payload::None => request.header(CONTENT_TYPE, "application/json; charset=utf-8"),
            Payload::Json(bytes) => request
                .header(CONTENT_TYPE, "application/json; charset=utf-8")
                .body(bytes.clone()),
            Payload::Multipart(form) => {
                let mut multipart = reqwest::multipart::Form::new();
                for (name, value) in &form.texts {
                    multipart = multipart.text(*name, value.clone());
                }
                for (name, file, _) in &form.files {
                    let part = file.part().await.map_err(|e| match e {
                        PartError::Io(path, source) => {
                            AttemptError::Fatal(Error::Io { path, source })
                        }
                        PartError::StreamSpent => {
                            AttemptError::Fatal(Error::InvalidRequest(format!(
                            "{}: the upload stream was already sent once and cannot be sent again",
                            p.meta.id
                        )))
                        }
                        PartError::BadMime(mime) => AttemptError::Fatal(Error::InvalidRequest(
                            format!("`{mime}` is not a valid Content-Type"),
                        )),
                    })?;
                    multipart = multipart.part(*name, part);
                }
                request.multipart(multipart)
            }
        };
        let (until, on_timeout) = wait_limit(
            p.deadline,
            self.inner.read_timeout,
            "waiting for the response headers",
        );
        let response = match tokio::time::timeout_at(until, request.send()).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => {
                return Err(AttemptError::Transport(TransportError::from_reqwest(
                    "sending the request",
                    e,
                )))
            }
            Err(_) => return Err(AttemptError::Transport(on_timeout)),
        };
        if p.meta.access_tokens.is_empty() {
            // Auth requests carry the app secret: their answer must come from the configured
            // server, not through a redirect (a caller's HTTP client may follow one).
            if response.status().is_redirection() || response.url() != &p.url {
                let to = if response.status().is_redirection() {
                    response
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|l| p.url.join(l).ok())
                } else {
                    Some(response.url().clone())
                };
                let mut body = UnexpectedBody::cut(
                    response.status().as_u16(),
                    response.headers(),
                    b"",
                    usize::MAX,
                );
                body.redirect_to =
                    Some(to.map_or_else(|| "an unreadable location".to_owned(), |u| origin(&u)));
                return Err(AttemptError::Fatal(Error::UnexpectedResponse(body)));
            }
        }
        self.classify(p, response)
            .await
            .map_err(AttemptError::Transport)
    }

    /// Reads what must be read of an answer to know whether it succeeded.
    async fn classify<E>(
        &self,
        p: &Prepared<E>,
        mut response: reqwest::Response,
    ) -> Result<Answer, TransportError> {
        let status = response.status();
        if status.is_success() {
            if let ResponseKind::Binary { .. } = p.meta.response {
                return Ok(Answer::Stream(response));
            }
        }
        if status.is_success() {
            // Auth answers are a few hundred bytes; other JSON answers a page of a list.
            let cap = if p.meta.access_tokens.is_empty() {
                MAX_AUTH_BODY
            } else {
                MAX_JSON_BODY
            };
            let capped = self
                .read_body(p, &mut response, cap, "reading the answer")
                .await?;
            // The common case needs only the log id; the headers are copied for errors.
            let code = envelope_code(&capped.bytes);
            if code == Some(0) && !capped.over_cap {
                let rate = self.inner.rate_limiter.as_ref().and_then(|_| {
                    RateSignal::from_answer(status.as_u16(), Some(0), response.headers())
                });
                return Ok(Answer::Envelope {
                    body: capped.bytes,
                    log_id: log_id_from_headers(response.headers()),
                    rate,
                });
            }
            let headers = response.headers().clone();
            if capped.over_cap {
                let body = ErrorBody::Unexpected(UnexpectedBody::cut(
                    status.as_u16(),
                    &headers,
                    &capped.bytes,
                    cap,
                ));
                return Ok(Answer::Failed {
                    status: status.as_u16(),
                    headers,
                    body,
                });
            }
            return Ok(match code {
                Some(_) => match parse_api_error(status.as_u16(), &headers, &capped.bytes) {
                    Some(api) => Answer::Failed {
                        status: status.as_u16(),
                        headers,
                        body: ErrorBody::Api(api),
                    },
                    None => Answer::Failed {
                        status: status.as_u16(),
                        body: parse_error_body(status.as_u16(), &headers, &capped.bytes),
                        headers,
                    },
                },
                None => Answer::Failed {
                    status: status.as_u16(),
                    body: ErrorBody::Unexpected(UnexpectedBody::cut(
                        status.as_u16(),
                        &headers,
                        &capped.bytes,
                        usize::MAX,
                    )),
                    headers,
                },
            });
        }
        let capped = self
            .read_body(p, &mut response, MAX_ERROR_BODY, "reading an error body")
            .await?;
        let headers = response.headers().clone();
        let mut body = parse_error_body(status.as_u16(), &headers, &capped.bytes);
        if capped.over_cap {
            if let ErrorBody::Unexpected(u) = &mut body {
                u.cut_at = Some(MAX_ERROR_BODY);
            }
        }
        Ok(Answer::Failed {
            status: status.as_u16(),
            headers,
            body,
        })
    }

    async fn read_body<E>(
        &self,
        p: &Prepared<E>,
        response: &mut reqwest::Response,
        cap: usize,
        context: &'static str,
    ) -> Result<super::read::Capped, TransportError> {
        let read = read_capped(response, cap, Some(self.inner.read_timeout));
        let read = match p.deadline {
            None => read.await,
            Some(d) => tokio::time::timeout_at(d.at, read)
                .await
                .map_err(|_| d.error(context))?,
        };
        read.map_err(|e| match e {
            ReadError::Http(e) => TransportError::from_reqwest(context, e),
            ReadError::Idle => TransportError::idle_timeout(context),
        })
    }
}

/// The integer `code` of a JSON envelope, without decoding the rest.
fn envelope_code(body: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Code {
        code: Option<i64>,
    }
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice::<Code>(body).ok()?.code
}

/// `scheme://host[:port]` of a URL: where a redirect pointed, without its path or query.
fn origin(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}
