//! Error rows read from the spec files, platform-wide error codes, and the
//! JSON error envelope the fake answers with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use lark_codegen::Model;

use super::ids;

/// `Content-Type` of every JSON answer, as the platform sends it.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// Name of the log-id response header.
pub const LOGID_HEADER: &str = "x-tt-logid";

/// One row of an endpoint's `errors` table in `spec/**/*.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecErrorRow {
    /// The spec file's `id`, e.g. `im.v1.message_resource.get`.
    pub endpoint_id: String,
    /// HTTP status the platform answers with.
    pub http_status: u16,
    /// The body's `code`.
    pub code: i64,
    /// The body's `msg`, verbatim.
    pub server_message: String,
}

/// Every row of every `errors` table in the JSON files under `spec_dir`
/// (recursively, files in path order, rows in table order). Files that are not
/// JSON objects with an `id` and an `errors` array are skipped; a missing
/// directory gives an empty list.
pub fn spec_error_rows(spec_dir: &Path) -> Vec<SpecErrorRow> {
    SpecIndex::load(spec_dir).rows
}

/// What the fake knows from the spec files.
#[derive(Debug, Default, Clone)]
pub(crate) struct SpecIndex {
    pub rows: Vec<SpecErrorRow>,
    /// (endpoint id, code) → the row's `meaning`, used as `msg` when the spec gives no
    /// server message.
    pub meanings: HashMap<(String, i64), String>,
    /// (endpoint id, row name) → code.
    pub names: HashMap<(String, String), i64>,
    /// endpoint id → `rate_limit.per_second`.
    pub per_second: HashMap<String, u64>,
    /// endpoint id → `scopes_any_of`.
    pub scopes: HashMap<String, Vec<String>>,
}

impl SpecIndex {
    /// Leniently reads the JSON files under `spec_dir` (for [`spec_error_rows`]).
    pub fn load(spec_dir: &Path) -> SpecIndex {
        let mut files = Vec::new();
        collect_json_files(spec_dir, &mut files);
        files.sort();
        let mut index = SpecIndex::default();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let Ok(doc) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            index.add_document(&doc);
        }
        index
    }

    /// The index of a validated model: every error row of every endpoint, in id order.
    pub fn from_model(model: &Model) -> SpecIndex {
        let mut index = SpecIndex::default();
        for ep in &model.endpoints {
            let id = ep.spec.id.clone();
            if let Some(n) = ep.spec.rate_limit.as_ref().and_then(|r| r.per_second) {
                index.per_second.insert(id.clone(), u64::from(n));
            }
            index
                .scopes
                .insert(id.clone(), ep.spec.scopes_any_of.clone());
            for row in &ep.errors {
                index.rows.push(SpecErrorRow {
                    endpoint_id: id.clone(),
                    http_status: row.http_status,
                    code: row.code,
                    server_message: row.server_message.clone(),
                });
                index
                    .meanings
                    .insert((id.clone(), row.code), row.meaning.clone());
                index.names.insert((id.clone(), row.name.clone()), row.code);
            }
        }
        index
    }

    fn add_document(&mut self, doc: &Value) {
        let Some(id) = doc.get("id").and_then(Value::as_str) else {
            return;
        };
        for row in doc
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let status = row.get("http_status").and_then(Value::as_u64);
            let code = row.get("code").and_then(Value::as_i64);
            let (Some(status), Some(code)) = (status, code) else {
                continue;
            };
            let msg = row.get("server_message").and_then(Value::as_str);
            self.rows.push(SpecErrorRow {
                endpoint_id: id.to_owned(),
                http_status: u16::try_from(status).unwrap_or(400),
                code,
                server_message: msg.unwrap_or_default().to_owned(),
            });
        }
    }

    /// The endpoint's own row for `code`.
    pub fn own_row(&self, endpoint_id: &str, code: i64) -> Option<&SpecErrorRow> {
        self.rows
            .iter()
            .find(|r| r.endpoint_id == endpoint_id && r.code == code)
    }

    /// The code of the endpoint's row named `name` (`message_deleted`), if it has one.
    pub fn code_named(&self, endpoint_id: &str, name: &str) -> Option<i64> {
        self.names
            .get(&(endpoint_id.to_owned(), name.to_owned()))
            .copied()
    }

    /// A row's message: its server message, or its meaning when that is empty.
    fn message_of(&self, row: &SpecErrorRow) -> String {
        if !row.server_message.is_empty() {
            return row.server_message.clone();
        }
        let key = (row.endpoint_id.clone(), row.code);
        self.meanings.get(&key).cloned().unwrap_or_default()
    }

    /// HTTP status and message for `code` on `endpoint_id`: the endpoint's own
    /// row, else any spec row with that code, else the platform-wide table,
    /// else 400 with a generic message. A row without a server message gives its
    /// meaning as the message.
    pub fn lookup(&self, endpoint_id: &str, code: i64) -> (u16, String) {
        let own = self.own_row(endpoint_id, code);
        if let Some(row) = own.or_else(|| self.rows.iter().find(|r| r.code == code)) {
            return (row.http_status, self.message_of(row));
        }
        if code == codes::NO_SCOPE {
            let scopes = self.scopes.get(endpoint_id).cloned().unwrap_or_default();
            let msg = format!(
                "Access denied. One of the following scopes is required: [{}].",
                scopes.join(", ")
            );
            return (400, msg);
        }
        match platform_message(code) {
            Some((status, msg)) => (status, msg.to_owned()),
            None => (400, format!("fake-lark: error code {code}")),
        }
    }

    /// The endpoint's per-second limit (`x-ogw-ratelimit-limit`), 50 if the spec has none.
    pub fn rate_limit(&self, endpoint_id: &str) -> u64 {
        self.per_second.get(endpoint_id).copied().unwrap_or(50)
    }
}

fn collect_json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Platform-wide codes the fake uses (platform-facts §5).
pub mod codes {
    /// Rate limit hit.
    pub const RATE_LIMITED: i64 = 99991400;
    /// No `Authorization` header, or an empty one.
    pub const MISSING_TOKEN: i64 = 99991661;
    /// Access token invalid or expired, or a tenant token where the API takes none.
    pub const INVALID_TOKEN: i64 = 99991663;
    /// User access token invalid, or a user token where the API takes none.
    pub const INVALID_USER_TOKEN: i64 = 99991668;
    /// A token that starts neither with `t-` nor with `u-`.
    pub const MALFORMED_TOKEN: i64 = 99991671;
    /// Platform-wide "field validation failed", the default `invalid_request_code`.
    pub const FIELD_VALIDATION: i64 = 99992402;
    /// app_access_token invalid.
    pub const INVALID_APP_TOKEN: i64 = 99991664;
    /// App lacks a required scope.
    pub const NO_SCOPE: i64 = 99991672;
    /// Invalid request parameter (auth endpoints).
    pub const INVALID_PARAM: i64 = 10003;
    /// app_ticket invalid.
    pub const INVALID_TICKET: i64 = 10012;
    /// App secret invalid.
    pub const BAD_SECRET: i64 = 10014;
    /// A self-built app cannot request an app_ticket resend.
    pub const RESEND_NOT_ALLOWED: i64 = 10016;
}

/// Status and message for platform-wide codes. Texts of 99991400/61/63 follow
/// the platform; the rest are close paraphrases of the documented meaning.
fn platform_message(code: i64) -> Option<(u16, &'static str)> {
    Some(match code {
        99991400 => (429, "request trigger frequency limit"),
        99991401 => (400, "IP is denied by the app's IP allow-list."),
        99991403 => (400, "The monthly API call quota has been used up."),
        99991661 => (
            400,
            "Missing access token for authorization. Please make a request with token attached.",
        ),
        99991662 => (400, "The app is disabled."),
        99991663 => (
            400,
            "Invalid access token for authorization. Please make a request with token attached.",
        ),
        99991664 => (400, "Invalid app access token."),
        99991665 => (400, "invalid tenant code"),
        99991668 => (400, "Invalid user access token."),
        99991671 => (
            400,
            "Invalid token format: a token must start with t- or u-.",
        ),
        99991673 => (400, "The app is unavailable for this tenant."),
        99991676 => (400, "The token lacks the required permission."),
        99991677 => (400, "The user access token has expired."),
        99992402 => (400, "field validation failed"),
        10003 => (400, "invalid param"),
        10012 => (400, "app_ticket is invalid"),
        10014 => (400, "app secret invalid"),
        10016 => (400, "app_ticket resend is only for store apps"),
        _ => return None,
    })
}

/// Serialises `(key, value)` pairs as one JSON object, keeping their order
/// (`serde_json::Value` would sort the keys; the platform sends `code`, `msg`
/// first).
pub(crate) fn ordered_json(pairs: &[(&str, Value)]) -> String {
    let raw: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (*k, v.to_string())).collect();
    ordered_raw(&raw)
}

/// Like [`ordered_json`], with values given as JSON text.
fn ordered_raw(pairs: &[(&str, String)]) -> String {
    let fields: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}:{v}", Value::from(*k)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// A JSON response with the platform's content type and the given log id.
pub(crate) fn json_response(status: u16, body: String, log_id: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = (status, body).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    if let Ok(v) = HeaderValue::from_str(log_id) {
        headers.insert(LOGID_HEADER, v);
    }
    resp
}

/// The full error envelope `{code, msg, error:{log_id, troubleshooter}}`.
pub(crate) fn error_body(endpoint_id: &str, code: i64, msg: &str, log_id: &str) -> String {
    let troubleshooter = format!(
        "https://open.feishu.cn/search?from=openapi&log_id={log_id}&code={code}&method_id={}",
        ids::method_id(endpoint_id)
    );
    let error = ordered_json(&[
        ("log_id", json!(log_id)),
        ("troubleshooter", json!(troubleshooter)),
    ]);
    ordered_raw(&[
        ("code", code.to_string()),
        ("msg", json!(msg).to_string()),
        ("error", error),
    ])
}

/// An error answer for `code` on `endpoint_id`, with status and message taken
/// from [`SpecIndex::lookup`].
pub(crate) fn error_response(spec: &SpecIndex, endpoint_id: &str, code: i64) -> Response {
    let (status, msg) = spec.lookup(endpoint_id, code);
    error_response_with(status, endpoint_id, code, &msg)
}

/// An error answer with this status, code and message.
pub(crate) fn error_response_with(
    status: u16,
    endpoint_id: &str,
    code: i64,
    msg: &str,
) -> Response {
    let log_id = ids::log_id();
    json_response(status, error_body(endpoint_id, code, msg, &log_id), &log_id)
}

/// A short `{code, msg}` answer, as the auth endpoints give.
pub(crate) fn auth_error(code: i64, msg: &str) -> Response {
    let body = ordered_json(&[("code", json!(code)), ("msg", json!(msg))]);
    json_response(400, body, &ids::log_id())
}
