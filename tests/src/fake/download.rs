//! `GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=image|file`.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::binary;
use super::errors;
use super::faults::{self, Fault, FaultAction};
use super::resources::ResourceKind;
use super::served::Served;
use super::state::{AcceptedTag, Shared, TenantTag};
use super::stream::BodyFault;
use super::tokens;

/// The spec id of this endpoint.
pub const MESSAGE_RESOURCE_ENDPOINT: &str = "im.v1.message_resource.get";

/// Code for an invalid parameter on this endpoint.
const INVALID_PARAM: i64 = 234001;
/// Code for a file_key that is not in the message.
const FILE_NOT_IN_MESSAGE: i64 = 234003;

fn error(shared: &Shared, code: i64) -> Response {
    errors::error_response(&shared.spec, MESSAGE_RESOURCE_ENDPOINT, code)
}

/// The handler. Order of checks: token present (99991661), token valid for the spec's
/// token types (99991663/68/71), the endpoint's next fault, `err_<code>` file keys,
/// `type` valid (234001), resource known (a registered [`Resource`](super::Resource),
/// else an upload of a message in the store; 234003), the resource's next fault (when
/// the endpoint had none), `type` matches the resource (234001), then the body.
pub(crate) async fn get_message_resource(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    shared.lock().resource_requests += 1;
    let accepts = shared.endpoint(MESSAGE_RESOURCE_ENDPOINT).map_or_else(
        || vec!["tenant".to_owned()],
        |ep| ep.spec.access_tokens.clone(),
    );
    let caller = match tokens::check(&shared, &accepts, &headers) {
        Ok(caller) => caller,
        Err(r) => {
            let (status, default) = shared.spec.lookup(MESSAGE_RESOURCE_ENDPOINT, r.code);
            let msg = r.msg.map_or(default, str::to_owned);
            return errors::error_response_with(status, MESSAGE_RESOURCE_ENDPOINT, r.code, &msg);
        }
    };
    let mut resp = answer(&shared, path, query, &headers).await;
    if let Some(tenant) = caller.tenant_key() {
        resp.extensions_mut().insert(TenantTag(tenant.to_owned()));
    }
    resp.extensions_mut().insert(AcceptedTag(caller.accepted()));
    resp
}

/// What a popped fault leaves to do: answer now, or serve with this body fault.
async fn take(shared: &Shared, fault: Option<Fault>) -> Result<BodyFault, Response> {
    match fault.map(|f| faults::apply(&f, &shared.spec, MESSAGE_RESOURCE_ENDPOINT)) {
        Some(FaultAction::Respond(resp)) => Err(resp),
        Some(FaultAction::Body(f)) => Ok(f),
        Some(FaultAction::Delay(d)) => {
            tokio::time::sleep(d).await;
            Ok(BodyFault::default())
        }
        Some(FaultAction::RepeatPageToken) | None => Ok(BodyFault::default()),
    }
}

async fn answer(
    shared: &Shared,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: &HeaderMap,
) -> Response {
    let endpoint_fault = shared.next_endpoint_fault(MESSAGE_RESOURCE_ENDPOINT, true);
    let had_endpoint_fault = endpoint_fault.is_some();
    let mut body_fault = match take(shared, endpoint_fault).await {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let Ok(Path((message_id, file_key))) = path else {
        return error(shared, INVALID_PARAM);
    };
    if let Some(code) = file_key.strip_prefix("err_").and_then(|c| c.parse().ok()) {
        // Same answer as `Fault::ErrorCode(code)` (99991400 gets its 429 headers).
        if let FaultAction::Respond(resp) = faults::apply(
            &Fault::ErrorCode(code),
            &shared.spec,
            MESSAGE_RESOURCE_ENDPOINT,
        ) {
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
    let registered = {
        let mut inner = shared.lock();
        inner
            .resources
            .get_mut(&(message_id.clone(), file_key.clone()))
            .map(|entry| {
                let fault = (!had_endpoint_fault)
                    .then(|| entry.faults.pop_front())
                    .flatten();
                (entry.resource.clone(), fault)
            })
    };
    let served = match registered {
        Some((resource, fault)) => {
            body_fault = match take(shared, fault).await {
                Ok(f) if !had_endpoint_fault => f,
                Ok(_) => body_fault,
                Err(resp) => return resp,
            };
            if kind != resource.kind {
                return error(shared, INVALID_PARAM);
            }
            Served::resource(&resource)
        }
        None => match shared
            .store()
            .message_resource(&message_id, &file_key, kind)
        {
            Ok(served) => served,
            Err(code) => return error(shared, code.unwrap_or(FILE_NOT_IN_MESSAGE)),
        },
    };
    binary::serve(shared, &served, headers, body_fault)
}
