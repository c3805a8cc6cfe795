//! One HTTP exchange: the request with its token and payload, up to a classified answer.

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE};

use super::deadline::wait_limit;
use super::prepared::Prepared;
use super::read::{read_capped, ReadError, MAX_AUTH_BODY, MAX_ERROR_BODY, MAX_JSON_BODY};
use crate::auth::Credential;
use crate::errors::TransportError;
use crate::errors::{
    excerpt, log_id_from_headers, parse_api_error, parse_error_body, ErrorBody, UnexpectedBody,
    EXCERPT_CHARS,
};
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
    /// A 2xx answer that is not a readable envelope (not JSON, over the cap, no `code`):
    /// a decode failure of the endpoint's answer.
    Undecodable {
        /// The JSON path where reading stopped (`.` for the whole answer).
        path: String,
        message: String,
        log_id: Option<String>,
        /// The answer's start, cleaned (withheld for auth answers, which hold a credential).
        excerpt: String,
        cut_at: Option<usize>,
    },
    /// An error answer (any status, or a 2xx whose `code` is not 0).
    Failed {
        status: u16,
        headers: HeaderMap,
        body: ErrorBody,
    },
}

/// Why an exchange gave no answer.
pub(crate) enum AttemptError {
    /// The network or a timeout: the retry policy decides.
    Transport(TransportError),
    /// Something no retry can fix (a file that cannot be read, a stream already sent).
    Fatal(Error),
}

/// One exchange, bounded by the read timeout and the call's deadline.
pub(crate) async fn attempt(
    client: &Client,
    p: &Prepared,
    credential: &Credential,
    extra: Option<&HeaderMap>,
) -> Result<Answer, AttemptError> {
    let mut headers = p.headers.clone();
    if let Some(extra) = extra {
        headers.extend(extra.clone());
    }
    let mut request = client
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
                multipart = multipart.text(name.clone(), value.clone());
            }
            for (name, file, _) in &form.files {
                let part = file.part().await.map_err(|e| match e {
                    PartError::Io(path, source) => AttemptError::Fatal(Error::Io { path, source }),
                    PartError::StreamSpent => AttemptError::Fatal(Error::InvalidRequest(format!(
                        "{}: the upload stream was already sent once and cannot be sent again",
                        p.meta.id
                    ))),
                    PartError::BadMime(mime) => AttemptError::Fatal(Error::InvalidRequest(
                        format!("`{mime}` is not a valid Content-Type"),
                    )),
                })?;
                multipart = multipart.part(name.clone(), part);
            }
            request.multipart(multipart)
        }
    };
    let (until, on_timeout) = wait_limit(
        p.deadline,
        client.inner.read_timeout,
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
    // No request follows a redirect: each carries a credential (transport/redirect.rs).
    if let Some(to) = super::redirect::refused(&response, &p.url) {
        let mut body = UnexpectedBody::cut(
            response.status().as_u16(),
            response.headers(),
            b"",
            usize::MAX,
        );
        body.redirect_to = Some(to);
        return Err(AttemptError::Fatal(Error::UnexpectedResponse(body)));
    }
    classify(client, p, response)
        .await
        .map_err(AttemptError::Transport)
}

/// Reads what must be read of an answer to know whether it succeeded.
async fn classify(
    client: &Client,
    p: &Prepared,
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
        let capped = read_body(client, p, &mut response, cap, "reading the answer").await?;
        // The common case needs only the log id; the headers are copied for errors.
        let code = envelope_code(&capped.bytes);
        if code == Some(0) && !capped.over_cap {
            let rate = client.inner.rate_limiter.as_ref().and_then(|_| {
                RateSignal::from_answer(status.as_u16(), Some(0), response.headers())
            });
            return Ok(Answer::Envelope {
                body: capped.bytes,
                log_id: log_id_from_headers(response.headers()),
                rate,
            });
        }
        let headers = response.headers().clone();
        if let (Some(_), false) = (code, capped.over_cap) {
            return Ok(
                match parse_api_error(status.as_u16(), &headers, &capped.bytes) {
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
            );
        }
        // A 2xx answer that is no envelope: the endpoint's answer failed to decode.
        let (path, message) = if capped.over_cap {
            (
                ".".to_owned(),
                format!("the answer is larger than {cap} bytes; the rest was not read"),
            )
        } else {
            undecodable_envelope(&capped.bytes)
        };
        let excerpt = if p.meta.access_tokens.is_empty() {
            "<withheld: the answer may hold a credential>".to_owned()
        } else {
            excerpt(&capped.bytes, EXCERPT_CHARS)
        };
        return Ok(Answer::Undecodable {
            path,
            message,
            log_id: log_id_from_headers(&headers),
            excerpt,
            cut_at: capped.over_cap.then_some(cap),
        });
    }
    let capped = read_body(
        client,
        p,
        &mut response,
        MAX_ERROR_BODY,
        "reading an error body",
    )
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

async fn read_body(
    client: &Client,
    p: &Prepared,
    response: &mut reqwest::Response,
    cap: usize,
    context: &'static str,
) -> Result<super::read::Capped, TransportError> {
    let read = read_capped(response, cap, Some(client.inner.read_timeout));
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

/// Where and why a 2xx body is not a JSON envelope with an integer `code`: the JSON path at
/// which a syntax error stops the parse (`.` for the top), or `code` when it is missing or
/// not an integer.
fn undecodable_envelope(body: &[u8]) -> (String, String) {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value = match serde_path_to_error::deserialize::<_, serde_json::Value>(de) {
        Ok(value) => value,
        Err(e) => return (e.path().to_string(), format!("not JSON: {}", e.inner())),
    };
    match value {
        serde_json::Value::Object(map) => match map.get("code") {
            None => ("code".to_owned(), "the envelope has no `code`".to_owned()),
            Some(other) => (
                "code".to_owned(),
                format!("`code` is {other}, not an integer"),
            ),
        },
        _ => (".".to_owned(), "the answer is not a JSON object".to_owned()),
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
