//! A request to a spec endpoint, read and checked: path and query values and the body.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Query};
use axum::http::request::Parts;
use axum::http::Request;
use lark_codegen::model::{BodyModel, EndpointModel, VersionModel};
use serde_json::{Map, Value};

use super::validate::{self, check_fields, check_form, Form, Invalid, MAX_REQUEST_BODY};

/// A request's values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Call {
    /// Path parameters, percent-decoded.
    pub path: HashMap<String, String>,
    /// Query pairs, in order, decoded.
    pub query: Vec<(String, String)>,
    /// The body.
    pub body: CallBody,
}

/// A request body.
#[derive(Debug, Clone, Default)]
pub(crate) enum CallBody {
    /// None (or one the endpoint does not take, ignored).
    #[default]
    None,
    /// A JSON object.
    Json(Map<String, Value>),
    /// A multipart form.
    Form(Form),
}

impl Call {
    /// A path parameter (empty if absent).
    pub fn path_param(&self, name: &str) -> &str {
        self.path.get(name).map_or("", String::as_str)
    }

    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A JSON body field.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match &self.body {
            CallBody::Json(map) => map.get(name).filter(|v| !v.is_null()),
            _ => None,
        }
    }

    /// A body field as text: a JSON string (or number, boolean) or a form text part.
    pub fn text(&self, name: &str) -> Option<String> {
        match &self.body {
            CallBody::Json(_) => self.field(name).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            CallBody::Form(form) => form.text(name).map(str::to_owned),
            CallBody::None => None,
        }
    }

    /// The multipart form, if the body is one.
    pub fn form(&self) -> Option<&Form> {
        match &self.body {
            CallBody::Form(form) => Some(form),
            _ => None,
        }
    }
}

/// The query pairs of a URI (`None` if the query string is malformed).
pub(crate) fn query_pairs(uri: &axum::http::Uri) -> Option<Vec<(String, String)>> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .ok()
        .map(|Query(q)| q)
}

/// Reads the request's values and checks them against the endpoint's spec.
pub(crate) async fn read(
    ep: &EndpointModel,
    v: &VersionModel,
    mut parts: Parts,
    body: Body,
) -> Result<Call, Invalid> {
    let path = match Path::<HashMap<String, String>>::from_request_parts(&mut parts, &()).await {
        Ok(Path(p)) => p,
        Err(e) => return Err(Invalid::from(format!("path: {}", e.body_text()))),
    };
    validate::check_path(&ep.path_params, &path, v)?;
    let query = query_pairs(&parts.uri)
        .ok_or_else(|| Invalid::from("query: not a valid query string".to_owned()))?;
    validate::check_query(&ep.query_params, &query, v)?;
    let body = match &ep.body {
        BodyModel::None => CallBody::None,
        BodyModel::Json(fields) => {
            let bytes = axum::body::to_bytes(body, MAX_REQUEST_BODY)
                .await
                .map_err(|_| {
                    Invalid::from(format!(
                        "body: over the fake's limit of {MAX_REQUEST_BODY} bytes, or broken"
                    ))
                })?;
            let map = if bytes.iter().all(u8::is_ascii_whitespace)
                && !fields.iter().any(|f| f.required)
            {
                Map::new()
            } else {
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(Value::Object(map)) => map,
                    Ok(_) => return Err(Invalid::from("body: expected a JSON object".to_owned())),
                    Err(e) => return Err(Invalid::from(format!("body: not valid JSON: {e}"))),
                }
            };
            check_fields(&map, fields, "body", v)?;
            CallBody::Json(map)
        }
        BodyModel::Multipart(fields) => {
            let req = Request::from_parts(parts, body);
            let mp = Multipart::from_request(req, &()).await.map_err(|e| {
                Invalid::from(format!(
                    "body: not a multipart/form-data body: {}",
                    e.body_text()
                ))
            })?;
            let form = validate::read_form(mp, fields).await?;
            check_form(&form, fields, v)?;
            CallBody::Form(form)
        }
    };
    Ok(Call { path, query, body })
}
