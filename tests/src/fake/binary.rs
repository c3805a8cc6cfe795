//! Serving a binary body: a registered resource, an upload from the store or synthesized
//! bytes, with `Range`/`If-Range`, a strong ETag and body faults.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::errors::LOGID_HEADER;
use super::ids;
use super::range::{self, RangeDecision};
use super::served::Served;
use super::state::Shared;
use super::stream::{self, BodyFault, Completion, Source};

/// The answer: 200 with the whole body, 206 with the asked range, or 416.
pub(crate) fn serve(
    shared: &Shared,
    r: &Served,
    headers: &HeaderMap,
    fault: BodyFault,
) -> Response {
    // A `Range` with an `If-Range` that names another version gets the whole body
    // (RFC 9110 §13.1.5).
    let if_range_matches = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.as_bytes() == r.etag.as_bytes());
    let decision = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(h) if r.accept_ranges && if_range_matches => range::decide(h, r.size),
        _ => RangeDecision::Full,
    };
    let mut out = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&ids::log_id()) {
        out.insert(LOGID_HEADER, v);
    }
    if r.accept_ranges {
        out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    if let Ok(v) = HeaderValue::from_str(&r.etag) {
        out.insert(header::ETAG, v);
    }
    let (status, start, end) = match decision {
        RangeDecision::Full => (StatusCode::OK, 0, r.size),
        RangeDecision::Partial { start, end } => {
            let cr = format!("bytes {start}-{end}/{}", r.size);
            out.insert(header::CONTENT_RANGE, cr.parse().expect("ascii"));
            (StatusCode::PARTIAL_CONTENT, start, end + 1)
        }
        RangeDecision::Unsatisfiable => {
            let cr = format!("bytes */{}", r.size);
            out.insert(header::CONTENT_RANGE, cr.parse().expect("ascii"));
            out.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
            return (StatusCode::RANGE_NOT_SATISFIABLE, out).into_response();
        }
    };
    if let Some(ct) = r
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        out.insert(header::CONTENT_TYPE, ct);
    }
    if let Ok(Some(cd)) = r.disposition.header_value() {
        out.insert(header::CONTENT_DISPOSITION, cd);
    }
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    let body = stream::body(r.source.clone(), start, end, fault, shared.shutdown.clone());
    let mut resp = (status, out, body).into_response();
    if r.content_type.is_none() {
        resp.headers_mut().remove(header::CONTENT_TYPE);
    }
    resp
}

/// A JSON answer of status 200 streamed with `fault` (full `Content-Length`, then cut or
/// stalled); `on_complete` runs if the body goes out whole.
pub(crate) fn json_with_fault(
    shared: &Shared,
    json: String,
    fault: BodyFault,
    on_complete: Option<Completion>,
) -> Response {
    let bytes = Bytes::from(json);
    let len = bytes.len() as u64;
    let mut out = HeaderMap::new();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(super::errors::JSON_CONTENT_TYPE),
    );
    if let Ok(v) = HeaderValue::from_str(&ids::log_id()) {
        out.insert(LOGID_HEADER, v);
    }
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    let body = stream::body_then(
        Source::Bytes(bytes),
        0,
        len,
        fault,
        shared.shutdown.clone(),
        on_complete,
    );
    (StatusCode::OK, out, body).into_response()
}
