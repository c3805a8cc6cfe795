//! What the metadata says about an operation: facts only, before any merge with a spec.
//! `None` means "the metadata does not say" (then a maintainer's value is kept).

use std::collections::BTreeMap;

use lark_codegen::spec::RateLimit;

/// The id of a spec: `service.version.resource.method`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SpecId {
    /// `im`.
    pub service: String,
    /// `v1`.
    pub version: String,
    /// `chat_members`.
    pub resource: String,
    /// `get`.
    pub method: String,
}

impl SpecId {
    /// `im.v1.chat_members.get`.
    pub fn dotted(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            self.service, self.version, self.resource, self.method
        )
    }

    /// `spec/im/v1/chat_members/get.json`.
    pub fn file(&self) -> String {
        format!(
            "spec/{}/{}/{}/{}.json",
            self.service, self.version, self.resource, self.method
        )
    }

    /// Parses `a.b.c.d`.
    pub fn parse(text: &str) -> Option<SpecId> {
        let parts: Vec<&str> = text.split('.').collect();
        match parts.as_slice() {
            [s, v, r, m] => Some(SpecId {
                service: s.to_string(),
                version: v.to_string(),
                resource: r.to_string(),
                method: m.to_string(),
            }),
            _ => None,
        }
    }
}

/// A field of an object, a body or a response, as the metadata gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct UpField {
    /// Wire name.
    pub name: String,
    /// Type expression (`string`, `array<object:Message>`, `file`, …).
    pub ty: String,
    /// `Some` when the object lists its required fields; `None` when it has no such list.
    pub required: Option<bool>,
    /// Allowed values of a string.
    pub enum_values: Option<Vec<String>>,
    /// An example from the metadata, already of the field's type.
    pub example: Option<serde_json::Value>,
}

/// A named object type.
#[derive(Debug, Clone, PartialEq)]
pub struct UpObject {
    /// Where it comes from (a JSON pointer or an operation-relative path): two schemas from
    /// different places may share a name only if they have the same shape.
    pub origin: String,
    /// The operation that met it first, for messages.
    pub first_seen: String,
    /// Met in a request body (else only in answers).
    pub in_request: bool,
    /// Its fields.
    pub fields: Vec<UpField>,
}

/// A path parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct UpPathParam {
    pub name: String,
    /// `string` or `integer`.
    pub ty: String,
    pub example: Option<String>,
}

/// A query parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct UpQueryParam {
    pub name: String,
    /// `string`, `integer`, `int64` or `boolean`.
    pub ty: String,
    pub required: bool,
    pub repeated: bool,
    pub enum_values: Option<Vec<String>>,
    pub example: Option<String>,
}

/// The request body.
#[derive(Debug, Clone, PartialEq)]
pub enum UpBody {
    None,
    Json(Vec<UpField>),
    Multipart(Vec<UpField>),
}

/// The successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum UpResponse {
    /// `x-lark-file-download`: a byte stream.
    Binary,
    /// The fields of `data`.
    Json(Vec<UpField>),
    /// Fields next to `code` and `msg`.
    Flat(Vec<UpField>),
    /// No `data`, or an empty one.
    Empty,
}

/// A row of `x-lark-error-mappings`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpError {
    pub http_status: u16,
    pub code: i64,
    /// `msg`, verbatim; `""` when empty.
    pub server_message: String,
}

/// An operation, as the metadata describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct UpOperation {
    /// The document it comes from.
    pub document: String,
    /// `operationId`.
    pub operation_id: String,
    /// The spec it becomes.
    pub id: SpecId,
    pub http_method: String,
    /// With `:name` placeholders.
    pub path: String,
    pub doc_url: Option<String>,
    pub path_params: Vec<UpPathParam>,
    pub query_params: Vec<UpQueryParam>,
    /// `None` when the metadata has no `x-lark-access-tokens` (the auth endpoints).
    pub access_tokens: Vec<String>,
    pub scopes: Vec<String>,
    pub rate_limit: Option<RateLimit>,
    pub body: UpBody,
    pub response: UpResponse,
    /// Whether the operation pages (`x-lark-pagination`, or `paginated` in import.json).
    pub paginated: bool,
    /// `None` when the metadata has no error table at all.
    pub errors: Option<Vec<UpError>>,
    /// Named types met in this operation (and below), by name.
    pub types: BTreeMap<String, UpObject>,
}
