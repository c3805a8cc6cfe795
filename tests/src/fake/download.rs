//! `GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=image|file`.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::auth::{check_tenant_token, TokenCheck};
use super::errors::{self, codes, LOGID_HEADER};
use super::faults::{self, FaultAction};
use super::ids;
use super::range::{self, RangeDecision};
use super::resources::{Resource, ResourceKind};
use super::state::{Shared, TenantTag};
use super::stream::{self, BodyFault};

/// The spec id of this endpoint.
pub const MESSAGE_RESOURCE_ENDPOINT: &str = "im.v1.message_resource.get";

/// Code for an invalid parameter on this endpoint.
const INVALID_PARAM: i64 = 234001;
/// Code for a file_key that is not in the message.
const FILE_NOT_IN_MESSAGE: i64 = 234003;

fn error(shared: &Shared, code: i64) -> Response {
    errors::error_response(&shared.spec, MESSAGE_RESOURCE_ENDPOINT, code)
}

/// The handler. Order of checks: token present (99991661), token valid
/// (99991663), `err_<code>` file keys, `type` valid (234001), resource known
/// (234003), next fault, `type` matches the resource (234001), then the body.
pub(crate) async fn get_message_resource(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    shared.lock().resource_requests += 1;
    let tenant = match check_tenant_token(&shared, &headers) {
        TokenCheck::Missing => return error(&shared, codes::MISSING_TOKEN),
        TokenCheck::Invalid => return error(&shared, codes::INVALID_TOKEN),
        TokenCheck::Valid(tenant) => tenant,
    };
    let mut resp = answer(&shared, path, query, &headers).await;
    if let Some(tenant) = tenant {
        resp.extensions_mut().insert(TenantTag(tenant));
    }
    resp
}

async fn answer(
    shared: &Shared,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: &HeaderMap,
) -> Response {
    let Ok(Path((message_id, file_key))) = path else {
        return error(shared, INVALID_PARAM);
    };
    if let Some(code) = file_key.strip_prefix("err_").and_then(|c| c.parse().ok()) {
        // Same answer as `Fault::ErrorCode(code)` (99991400 gets its 429 headers).
        let fault = faults::Fault::ErrorCode(code);
        if let FaultAction::Respond(resp) =
            faults::apply(&fault, &shared.spec, MESSAGE_RESOURCE_ENDPOINT)
        {
            return resp;
        }
    }
    let type_param = query
        .ok()
        .and_then(|Query(pairs)| pairs.into_iter().find(|(k, _)| k == "type"))
        .map(|(_, v)| v);
    let Some(kind) = type_param.as_deref().and_then(ResourceKind::parse) else {
        return error(shared, INVALID_PARAM);
    };
    let (resource, fault) = {
        let mut inner = shared.lock();
        let Some(entry) = inner.resources.get_mut(&(message_id, file_key)) else {
            drop(inner);
            return error(shared, FILE_NOT_IN_MESSAGE);
        };
        (entry.resource.clone(), entry.faults.pop_front())
    };
    let mut body_fault = BodyFault::default();
    match fault.map(|f| faults::apply(&f, &shared.spec, MESSAGE_RESOURCE_ENDPOINT)) {
        Some(FaultAction::Respond(resp)) => return resp,
        Some(FaultAction::Body(f)) => body_fault = f,
        Some(FaultAction::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    if kind != resource.kind {
        return error(shared, INVALID_PARAM);
    }
    serve(shared, &resource, headers, body_fault)
}

fn serve(shared: &Shared, r: &Resource, headers: &HeaderMap, fault: BodyFault) -> Response {
    // A strong ETag per content version (seed and size); a `Range` with an `If-Range` that
    // names another version gets the whole body (RFC 9110 §13.1.5).
    let etag = format!("\"{:016x}-{}\"", r.seed, r.size);
    let if_range_matches = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.as_bytes() == etag.as_bytes());
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
    if let Ok(v) = HeaderValue::from_str(&etag) {
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
    let body = stream::body(r.seed, start, end, fault, shared.shutdown.clone());
    let mut resp = (status, out, body).into_response();
    if r.content_type.is_none() {
        resp.headers_mut().remove(header::CONTENT_TYPE);
    }
    resp
}
