//! What a request would get, computed without serving it (for test assertions).

use std::collections::HashMap;

use axum::http::Uri;
use lark_codegen::model::ResponseModel;

use super::call::{self, Call};
use super::content::content_bytes;
use super::download::MESSAGE_RESOURCE_ENDPOINT;
use super::outcome::Outcome;
use super::resources::ResourceKind;
use super::served::Served;
use super::state::Shared;
use super::store::Ctx;
use super::stream::Source;
use super::synth;
use super::tokens::Caller;

/// The body a successful `GET` of `path_and_query` on a binary endpoint sends now.
pub(crate) fn download(shared: &Shared, path_and_query: &str) -> Option<Vec<u8>> {
    let uri: Uri = path_and_query.parse().ok()?;
    let query = call::query_pairs(&uri)?;
    let ep = shared.model.endpoints.iter().find(|ep| {
        ep.spec.http_method == "GET"
            && matches!(ep.response, ResponseModel::Binary(_))
            && match_path(&ep.spec.path, uri.path()).is_some()
    })?;
    let path = match_path(&ep.spec.path, uri.path())?;
    let call = Call {
        path,
        query,
        ..Call::default()
    };
    if ep.spec.id == MESSAGE_RESOURCE_ENDPOINT {
        let message_id = call.path_param("message_id");
        let file_key = call.path_param("file_key");
        let kind = call.query("type").and_then(ResourceKind::parse)?;
        let registered = shared
            .lock()
            .resources
            .get(&(message_id.to_owned(), file_key.to_owned()))
            .map(|entry| entry.resource.clone());
        return match registered {
            Some(r) if r.kind == kind => Some(content_bytes(r.seed, 0, r.size as usize)),
            Some(_) => None,
            None => shared
                .store()
                .message_resource(message_id, file_key, kind)
                .ok()
                .map(|served| bytes_of(&served)),
        };
    }
    let caller = Caller::Tenant { tenant_key: None };
    let ctx = Ctx {
        ep,
        spec: &shared.spec,
        caller: &caller,
        call: &call,
        page_cap: None,
    };
    let handled = shared.store().clone().handle(&ctx);
    let outcome = handled.unwrap_or_else(|| synth::answer(ep, shared.model.version_of(ep), &call));
    match outcome {
        Outcome::Binary(served) => Some(bytes_of(&served)),
        _ => None,
    }
}

fn bytes_of(served: &Served) -> Vec<u8> {
    match &served.source {
        Source::Seed(seed) => content_bytes(*seed, 0, served.size as usize),
        Source::Bytes(bytes) => bytes.to_vec(),
    }
}

/// The path parameters of `path` if it matches `template` (`:name` segments).
pub(crate) fn match_path(template: &str, path: &str) -> Option<HashMap<String, String>> {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut params = HashMap::new();
    for (t, p) in t.iter().zip(&p) {
        match t.strip_prefix(':') {
            Some(name) if !p.is_empty() => {
                params.insert(name.to_owned(), percent_decode(p)?);
            }
            Some(_) => return None,
            None if t == p => {}
            None => return None,
        }
    }
    Some(params)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
