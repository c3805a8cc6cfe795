//! Faults a registered resource, an endpoint (by id) or the token endpoints can be told
//! to produce, and the responses they turn into.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::errors::{self, codes, SpecIndex, LOGID_HEADER};
use super::ids;
use super::stream::BodyFault;

/// One misbehaviour, consumed by one request to the resource it is attached to
/// (see [`Resource::faults`](super::Resource::faults)) or to the endpoint whose queue
/// holds it (see [`FakeLark::push_endpoint_faults`](super::FakeLark::push_endpoint_faults)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this HTTP status. 502 and 504 get a plain-text gateway body
    /// (`text/plain`); any other status gets the JSON error envelope with
    /// `code` equal to the status and the reason phrase as `msg`.
    Status5xx(u16),
    /// HTTP 429, `x-ogw-ratelimit-limit: <spec per-second limit>`,
    /// `x-ogw-ratelimit-reset: <reset_secs>`, body code 99991400
    /// `request trigger frequency limit`.
    RateLimited {
        /// Value of `x-ogw-ratelimit-reset`.
        reset_secs: u64,
    },
    /// HTTP 400 with code 99991400, as older APIs answer; no `x-ogw-*` headers.
    RateLimited400,
    /// The error row with this code: the endpoint's spec row if there is one (its HTTP
    /// status and server message, or its meaning when the spec has no server message),
    /// else any spec row, else the platform-wide table (99991400 without a row of the
    /// endpoint gets the 429 treatment with a 1 s reset).
    ErrorCode(i64),
    /// HTTP 200 with `{"code": code, "msg": …}` and no `data`: the platform's "success
    /// status with an error code". The message is looked up as for [`Fault::ErrorCode`].
    EnvelopeError {
        /// The body's `code`.
        code: i64,
    },
    /// For paginated endpoints: the answer says `has_more: true` and gives back the
    /// request's own page token as the next one (a server that loops). Consumed by the
    /// next request that carries a page token; requests without one leave it queued.
    /// Other endpoints consume it and answer normally.
    RepeatPageToken,
    /// Status and headers as for success (full `Content-Length`), then the
    /// connection is closed after `after_bytes` body bytes. If `after_bytes`
    /// is at least the body length the body completes normally. Works for JSON answers
    /// too; the store does not keep what such a request changed (see the module docs).
    CutOff {
        /// Body bytes sent before the connection is dropped.
        after_bytes: u64,
    },
    /// Send `after_bytes` body bytes, go silent for `stall`, then send the rest. For JSON
    /// answers the store keeps the request's change only once the body went out whole.
    Stall {
        /// Body bytes sent before the pause.
        after_bytes: u64,
        /// Length of the pause.
        stall: Duration,
    },
    /// A gateway-style HTML error page with this status, `Content-Type: text/html`.
    HtmlError(u16),
    /// Answer 99991663 (invalid access token) whatever token was sent.
    TokenRejected,
    /// Wait this long before sending the response head, then serve normally
    /// (for testing request/header timeouts).
    DelayHeaders(Duration),
    /// Exactly this status, content type (none if `None`) and body.
    Custom {
        /// HTTP status.
        status: u16,
        /// `Content-Type` header, if any.
        content_type: Option<String>,
        /// Body bytes.
        body: Vec<u8>,
    },
}

/// What a popped fault means for the request being served.
pub(crate) enum FaultAction {
    /// Answer this instead of the resource.
    Respond(Response),
    /// Serve the resource with a misbehaving body.
    Body(BodyFault),
    /// Sleep, then serve normally.
    Delay(Duration),
    /// Serve a page that repeats the request's page token.
    RepeatPageToken,
}

/// The fault the token endpoints use for [`FakeLark::fail_next_token_requests`](super::FakeLark::fail_next_token_requests).
pub(crate) fn status_fault(status: u16) -> Fault {
    if status == 429 {
        Fault::RateLimited { reset_secs: 1 }
    } else {
        Fault::Status5xx(status)
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn with_content_type(mut resp: Response, content_type: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

/// Turns `fault` into an action for a request to `endpoint_id`.
pub(crate) fn apply(fault: &Fault, spec: &SpecIndex, endpoint_id: &str) -> FaultAction {
    let respond = FaultAction::Respond;
    match fault {
        Fault::Status5xx(status) => respond(status_response(*status, endpoint_id)),
        Fault::RateLimited { reset_secs } => {
            respond(rate_limited(spec, endpoint_id, 429, Some(*reset_secs)))
        }
        Fault::RateLimited400 => respond(rate_limited(spec, endpoint_id, 400, None)),
        Fault::ErrorCode(code)
            if *code == codes::RATE_LIMITED && spec.own_row(endpoint_id, *code).is_none() =>
        {
            respond(rate_limited(spec, endpoint_id, 429, Some(1)))
        }
        Fault::ErrorCode(code) => respond(errors::error_response(spec, endpoint_id, *code)),
        Fault::EnvelopeError { code } => respond(envelope_error(spec, endpoint_id, *code)),
        Fault::RepeatPageToken => FaultAction::RepeatPageToken,
        Fault::TokenRejected => respond(errors::error_response(
            spec,
            endpoint_id,
            codes::INVALID_TOKEN,
        )),
        Fault::HtmlError(status) => respond(html_page(*status)),
        Fault::CutOff { after_bytes } => FaultAction::Body(BodyFault {
            cut_off_after: Some(*after_bytes),
            stall: None,
        }),
        Fault::Stall { after_bytes, stall } => FaultAction::Body(BodyFault {
            cut_off_after: None,
            stall: Some((*after_bytes, *stall)),
        }),
        Fault::DelayHeaders(d) => FaultAction::Delay(*d),
        Fault::Custom {
            status,
            content_type,
            body,
        } => {
            let mut resp = (status_code(*status), body.clone()).into_response();
            match content_type.as_deref().map(HeaderValue::from_str) {
                Some(Ok(v)) => {
                    resp.headers_mut().insert(header::CONTENT_TYPE, v);
                }
                _ => {
                    resp.headers_mut().remove(header::CONTENT_TYPE);
                }
            }
            respond(resp)
        }
    }
}

/// HTTP 200 with `{code, msg}` only.
fn envelope_error(spec: &SpecIndex, endpoint_id: &str, code: i64) -> Response {
    let (_, msg) = spec.lookup(endpoint_id, code);
    let body = errors::ordered_json(&[("code", code.into()), ("msg", msg.into())]);
    errors::json_response(200, body, &ids::log_id())
}

fn status_response(status: u16, endpoint_id: &str) -> Response {
    let code = status_code(status);
    let reason = code.canonical_reason().unwrap_or("Error");
    match status {
        502 => plain(
            code,
            "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
        ),
        504 => plain(code, "upstream request timeout"),
        _ => {
            let log_id = ids::log_id();
            let body = errors::error_body(endpoint_id, i64::from(status), reason, &log_id);
            errors::json_response(status, body, &log_id)
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    with_content_type((status, text).into_response(), "text/plain; charset=utf-8")
}

fn rate_limited(spec: &SpecIndex, endpoint_id: &str, status: u16, reset: Option<u64>) -> Response {
    let log_id = ids::log_id();
    let body = errors::error_body(
        endpoint_id,
        codes::RATE_LIMITED,
        "request trigger frequency limit",
        &log_id,
    );
    let mut resp = errors::json_response(status, body, &log_id);
    if let Some(reset) = reset {
        let h = resp.headers_mut();
        h.insert("x-ogw-ratelimit-limit", spec.rate_limit(endpoint_id).into());
        h.insert("x-ogw-ratelimit-reset", reset.into());
    }
    resp
}

fn html_page(status: u16) -> Response {
    let code = status_code(status);
    let title = format!(
        "{} {}",
        code.as_u16(),
        code.canonical_reason().unwrap_or("Error")
    );
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut resp = with_content_type((code, page).into_response(), "text/html");
    if let Ok(v) = HeaderValue::from_str(&ids::log_id()) {
        resp.headers_mut().insert(LOGID_HEADER, v);
    }
    resp
}
