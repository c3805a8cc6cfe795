//! The handler of every spec endpoint without a hand-written one. In order: the request
//! is logged (middleware); the token is checked against the spec's `access_tokens`; the
//! enforced rate limit, when on, refuses a request over it; the endpoint's next fault is
//! served; the request is validated against the spec; then the
//! store answers if it knows the endpoint, else an answer is synthesized from the
//! response model. JSON answers are fitted to the model and type-checked before sending.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use lark_codegen::model::{EndpointModel, ResponseModel, VersionModel};
use serde_json::{json, Map, Value};

use super::binary;
use super::call;
use super::errors::{self, codes};
use super::faults::{self, FaultAction};
use super::ids;
use super::outcome::Outcome;
use super::state::{AcceptedTag, EndpointTag, PageItems, Shared, TenantTag};
use super::store::Ctx;
use super::stream::{BodyFault, Completion};
use super::synth;
use super::tokens::{self, Rejection};
use super::validate::{check_fields, Invalid};

/// Serves one request to endpoint `id`.
/// Reads and discards a request body (at most [`MAX_REQUEST_BODY`](super::MAX_REQUEST_BODY))
/// before an early answer, as a server does that keeps the connection: the client then gets
/// the answer, not a broken pipe while it still writes its upload.
async fn drain(body: axum::body::Body) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut read = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        read += chunk.len();
        if read > super::MAX_REQUEST_BODY {
            break;
        }
    }
}

pub(crate) async fn handle(shared: Arc<Shared>, id: Arc<str>, req: Request) -> Response {
    let mut resp = run(shared, &id, req).await;
    resp.extensions_mut().insert(EndpointTag(id.to_string()));
    resp
}

async fn run(arc: Arc<Shared>, id: &str, req: Request) -> Response {
    let shared = &*arc;
    let Some(ep) = shared.endpoint(id) else {
        return (StatusCode::NOT_FOUND, "404 page not found").into_response();
    };
    let v = shared.model.version_of(ep);
    let (parts, body) = req.into_parts();
    let caller = match tokens::check(shared, &ep.spec.access_tokens, &parts.headers) {
        Ok(caller) => caller,
        Err(rejection) => {
            drain(body).await;
            return token_error(shared, id, &rejection);
        }
    };
    let over = shared
        .lock()
        .rate
        .over_limit(id, caller.tenant_key(), || shared.spec.rate_limit(id));
    if let Some((per_second, reset)) = over {
        drain(body).await;
        return super::ratelimit::refusal(id, per_second, reset);
    }
    let request_token = ep.pagination.as_ref().and_then(|p| {
        call::query_pairs(&parts.uri)?
            .into_iter()
            .find(|(k, v)| *k == p.request_token && !v.is_empty())
            .map(|(_, v)| v)
    });
    let mut body_fault = BodyFault::default();
    let mut repeat = None;
    match shared
        .next_endpoint_fault(id, ep.pagination.is_none() || request_token.is_some())
        .map(|f| faults::apply(&f, &shared.spec, id))
    {
        Some(FaultAction::Respond(resp)) => {
            drain(body).await;
            return resp;
        }
        Some(FaultAction::Body(f)) => body_fault = f,
        Some(FaultAction::Delay(d)) => tokio::time::sleep(d).await,
        Some(FaultAction::RepeatPageToken) => repeat = request_token,
        None => {}
    }
    let headers = parts.headers.clone();
    let call = match call::read(ep, v, parts, body).await {
        Ok(call) => call,
        Err(invalid) => return invalid_response(shared, ep, &invalid),
    };
    let page_cap = shared.lock().page_caps.get(id).copied();
    let ctx = Ctx {
        ep,
        spec: &shared.spec,
        caller: &caller,
        call: &call,
        page_cap,
    };
    let mut commit: Option<Completion> = None;
    let handled = {
        let mut store = shared.store();
        if body_fault.is_active() {
            // A body that may not arrive whole: the change is kept only once the last
            // byte went out, so that a retry after a cut or a timeout finds the state it
            // expects (see the module docs of `fake`).
            let mut changed = store.clone();
            let handled = changed.handle(&ctx);
            let arc = arc.clone();
            commit = Some(Box::new(move || arc.store().commit(changed)));
            handled
        } else {
            store.handle(&ctx)
        }
    };
    let outcome = handled.unwrap_or_else(|| synth::answer(ep, v, &call));
    let mut resp = respond(
        shared,
        ep,
        v,
        outcome,
        (body_fault, commit),
        repeat,
        &headers,
    );
    if let Some(tenant) = caller.tenant_key() {
        resp.extensions_mut().insert(TenantTag(tenant.to_owned()));
    }
    resp.extensions_mut().insert(AcceptedTag(caller.accepted()));
    resp
}

fn token_error(shared: &Shared, id: &str, r: &Rejection) -> Response {
    let (status, default) = shared.spec.lookup(id, r.code);
    let msg = r.msg.map_or(default, str::to_owned);
    errors::error_response_with(status, id, r.code, &msg)
}

/// HTTP 400 (or the row's status) with the endpoint's invalid-request code, or the
/// named row the problem has one for.
pub(crate) fn invalid_response(shared: &Shared, ep: &EndpointModel, invalid: &Invalid) -> Response {
    let id = ep.spec.id.as_str();
    let code = invalid
        .row
        .and_then(|name| shared.spec.code_named(id, name))
        .or(ep.spec.invalid_request_code)
        .unwrap_or(codes::FIELD_VALIDATION);
    let status = shared.spec.own_row(id, code).map_or(400, |r| r.http_status);
    let msg = format!("field validation failed: {}", invalid.msg);
    errors::error_response_with(status, id, code, &msg)
}

fn respond(
    shared: &Shared,
    ep: &EndpointModel,
    v: &VersionModel,
    outcome: Outcome,
    (fault, commit): (BodyFault, Option<Completion>),
    repeat: Option<String>,
    headers: &HeaderMap,
) -> Response {
    let id = ep.spec.id.as_str();
    match outcome {
        Outcome::Invalid(invalid) => invalid_response(shared, ep, &invalid),
        Outcome::Error { code, msg } => {
            let (status, default) = shared.spec.lookup(id, code);
            let server = shared
                .spec
                .own_row(id, code)
                .is_some_and(|r| !r.server_message.is_empty());
            let msg = if server || msg.is_empty() {
                default
            } else {
                msg
            };
            errors::error_response_with(status, id, code, &msg)
        }
        Outcome::Binary(served) => binary::serve(shared, &served, headers, fault),
        Outcome::Json(data) => {
            let (body, items) = match envelope(ep, v, &data, repeat) {
                Ok(answer) => answer,
                Err(why) => {
                    let msg =
                        format!("fake-lark bug: the answer of {id} does not fit its model: {why}");
                    return errors::error_response_with(500, id, 500, &msg);
                }
            };
            let mut resp = if fault.is_active() {
                binary::json_with_fault(shared, body, fault, commit)
            } else {
                errors::json_response(200, body, &ids::log_id())
            };
            if let Some(items) = items {
                resp.extensions_mut().insert(PageItems(items));
            }
            resp
        }
    }
}

/// The success body, and a page's items; an error if the answer breaks the model.
fn envelope(
    ep: &EndpointModel,
    v: &VersionModel,
    data: &Map<String, Value>,
    repeat: Option<String>,
) -> Result<(String, Option<Vec<Value>>), String> {
    let head = [("code", json!(0)), ("msg", json!("success"))];
    let fields = match &ep.response {
        ResponseModel::Json(fields) | ResponseModel::Flat(fields) => fields,
        ResponseModel::Empty | ResponseModel::Binary(_) => {
            return Ok((errors::ordered_json(&head), None))
        }
    };
    let mut fitted = synth::fit(fields, data, v, 0);
    if let (Some(p), Some(token)) = (&ep.pagination, repeat) {
        fitted.insert(p.has_more.clone(), Value::Bool(true));
        fitted.insert(p.response_token.clone(), Value::String(token));
    }
    let at = if matches!(ep.response, ResponseModel::Flat(_)) {
        ""
    } else {
        "data"
    };
    check_fields(&fitted, fields, at, v)?;
    let items = ep.pagination.as_ref().map(|p| {
        fitted
            .get(&p.items)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    });
    let mut pairs: Vec<(&str, Value)> = head.to_vec();
    if matches!(ep.response, ResponseModel::Flat(_)) {
        pairs.extend(fitted.iter().map(|(k, v)| (k.as_str(), v.clone())));
    } else {
        pairs.push(("data", Value::Object(fitted.clone())));
    }
    Ok((errors::ordered_json(&pairs), items))
}
