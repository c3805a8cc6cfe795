//! The endpoint spec format: one JSON file per endpoint, read with serde.
//!
//! Every struct rejects unknown fields, so a typo in a spec is an error, not a silently
//! ignored key. `spec/README.md` documents each field; keep the two in step.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One endpoint, as written in `spec/<service>/<version>/<resource>/<method>.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// Stable id `service.version.resource.method`, all snake_case; it fixes the module path
    /// and the client accessor chain (`client.im().v1().message_resource().get(…)`).
    pub id: String,
    /// One line: what the endpoint does.
    pub summary: String,
    /// Longer description, Markdown; becomes the doc comment body.
    #[serde(default)]
    pub description: Option<String>,
    /// Link to the official API page.
    pub doc_url: String,
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub http_method: String,
    /// Path template with `:name` placeholders, starting with `/open-apis/`.
    pub path: String,
    /// Path parameters, in any order; each `:name` in `path` needs exactly one entry.
    #[serde(default)]
    pub path_params: Vec<PathParam>,
    /// Query parameters.
    #[serde(default)]
    pub query_params: Vec<QueryParam>,
    /// Access-token types the endpoint accepts: `tenant`, `user`, `app`.
    pub access_tokens: Vec<String>,
    /// App types that may call it: `custom` (self-built) and/or `store` (marketplace).
    pub app_types: Vec<String>,
    /// Scopes, any one of which is enough.
    #[serde(default)]
    pub scopes_any_of: Vec<String>,
    /// Documented rate limit.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// Whether replaying the request is safe. Defaults to true for GET/PUT/DELETE, and for
    /// an endpoint with an `idempotency_key`.
    #[serde(default)]
    pub idempotent: Option<bool>,
    /// A string field of the JSON body that the platform uses to deduplicate requests
    /// (`uuid` of message create and reply). The SDK fills it with a fresh random key when
    /// the caller gives none, once per call, so that its retries are delivered once.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// The error code the platform answers for a request that breaks the spec (a missing
    /// required parameter, a value outside an enum). The fake server answers it; defaults to
    /// the platform-wide 99992402 (`field validation failed`).
    #[serde(default)]
    pub invalid_request_code: Option<i64>,
    /// Named object types used by the request and response bodies.
    #[serde(default)]
    pub types: BTreeMap<String, ObjectType>,
    /// The request body.
    pub request_body: RequestBody,
    /// The successful response.
    pub response: Response,
    /// Pagination, for list endpoints.
    #[serde(default)]
    pub pagination: Option<Pagination>,
    /// The documented error table.
    pub errors: Vec<ErrorRow>,
}

/// A `:name` segment of the path.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathParam {
    /// Wire name, as in the path template.
    pub name: String,
    /// `string` or `integer`.
    #[serde(rename = "type")]
    pub ty: String,
    /// What the value is and where it comes from.
    pub description: String,
    /// Characters the platform uses in such ids, as the body of a regex character class
    /// (`A-Za-z0-9_-`). Documentation only: the SDK percent-encodes whatever it is given.
    #[serde(default)]
    pub allowed_chars: Option<String>,
    /// A realistic value, used in generated doc examples.
    #[serde(default)]
    pub example: Option<String>,
}

/// A query-string parameter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryParam {
    /// Wire name.
    pub name: String,
    /// Rust name, required when the wire name is a Rust keyword (`type`).
    #[serde(default)]
    pub rust_name: Option<String>,
    /// `string`, `integer`, `boolean`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Required parameters become constructor arguments.
    pub required: bool,
    /// Sent as repeated keys (`a=1&a=2`) when true; the Rust type is a `Vec`.
    #[serde(default)]
    pub repeated: bool,
    /// What the parameter means.
    pub description: String,
    /// Allowed values; the Rust type becomes an enum.
    #[serde(default, rename = "enum")]
    pub enum_values: Option<Vec<EnumValue>>,
    /// Name of the generated enum type; defaults to the UpperCamelCase Rust name.
    #[serde(default)]
    pub enum_type_name: Option<String>,
    /// A realistic value, used in generated doc examples.
    #[serde(default)]
    pub example: Option<String>,
}

/// One allowed value of an enum parameter or field.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    /// The value on the wire.
    pub value: String,
    /// Variant name when the value does not convert cleanly (`ByCreateTimeAsc` is fine as is).
    #[serde(default)]
    pub rust_name: Option<String>,
    /// What the value selects.
    pub description: String,
}

/// A documented rate limit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests per minute.
    #[serde(default)]
    pub per_minute: Option<u32>,
    /// Requests per second.
    #[serde(default)]
    pub per_second: Option<u32>,
}

/// A named object type of a JSON body.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectType {
    /// What the object is.
    pub description: String,
    /// Its fields.
    pub fields: Vec<Field>,
}

/// A field of a JSON object or a multipart form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Wire name.
    pub name: String,
    /// Rust name when the wire name is a keyword.
    #[serde(default)]
    pub rust_name: Option<String>,
    /// Type expression: `string`, `integer`, `int64`, `number`, `boolean`, `file` (multipart
    /// only), `object:<Name>` (a key of `types`), `array<T>`, `map<T>` (string keys), `json`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether the field is always present (responses) or must be sent (requests).
    pub required: bool,
    /// What the field holds.
    #[serde(default)]
    pub description: Option<String>,
    /// Allowed values of a string field; the Rust type becomes an enum that keeps unknown
    /// values.
    #[serde(default, rename = "enum")]
    pub enum_values: Option<Vec<EnumValue>>,
    /// Name of the generated enum; defaults to the UpperCamelCase field name. Enums are
    /// shared per service version: one name, one set of values.
    #[serde(default)]
    pub enum_type_name: Option<String>,
    /// Size limit of a `file` part, in bytes.
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// A realistic value (any JSON), used in generated examples, tests and fake answers.
    #[serde(default)]
    pub example: Option<serde_json::Value>,
    /// On a required `string` field holding a message's content (a JSON string): the name
    /// of the required sibling field holding its message type (`message_type`). The
    /// generated struct gets `parsed_content()`, which decodes the content by that type.
    #[serde(default)]
    pub message_content: Option<String>,
    /// Whether the value is a credential (an app ticket, a card's update token): the
    /// generated `Debug` shows `***` instead of it.
    #[serde(default)]
    pub secret: bool,
}

/// The request body.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RequestBody {
    /// No body.
    None,
    /// A JSON object (`Content-Type: application/json; charset=utf-8`).
    Json {
        /// Top-level fields.
        fields: Vec<Field>,
    },
    /// A `multipart/form-data` form; `file` fields are streamed parts.
    Multipart {
        /// Form fields.
        fields: Vec<Field>,
    },
}

/// The successful response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Response {
    /// A raw byte stream (downloads).
    Binary {
        /// Largest body the platform sends; the SDK enforces it while streaming.
        max_bytes: u64,
    },
    /// The `{code, msg, data}` envelope; `data` holds these fields.
    Json {
        /// Fields of `data`.
        data_fields: Vec<Field>,
    },
    /// The envelope with no `data` (action endpoints).
    Empty,
    /// The fields sit next to `code` and `msg`, with no `data` wrapper (the auth endpoints).
    Flat {
        /// The fields besides `code` and `msg`.
        fields: Vec<Field>,
    },
}

/// Object types shared by the endpoints of one service version, as written in
/// `spec/<service>/<version>/types.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypesFile {
    /// Named object types, referenced as `object:<Name>` from every endpoint of the version.
    pub types: BTreeMap<String, ObjectType>,
}

/// How a list endpoint pages.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pagination {
    /// Query parameter carrying the cursor (`page_token`).
    pub request_token: String,
    /// Query parameter for the page size (`page_size`).
    #[serde(default)]
    pub request_size: Option<String>,
    /// `data` field carrying the next cursor (`page_token`).
    pub response_token: String,
    /// `data` boolean field saying more pages follow (`has_more`).
    pub has_more: String,
    /// `data` array field holding the page's items (`items`).
    pub items: String,
}

/// One row of the documented error table. `name`, `meaning`, `advice` and `retryable` may
/// be left out when the service version's error catalogue (`errors.json`) has the code; a
/// value given here overrides the catalogue's for this endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorRow {
    /// HTTP status the platform answers with.
    pub http_status: u16,
    /// The `code` of the error body.
    pub code: i64,
    /// snake_case name of the meaning; becomes the variant name (`message_deleted`).
    #[serde(default)]
    pub name: Option<String>,
    /// The server's `msg`, verbatim from the platform's metadata (`""` when it has none).
    pub server_message: String,
    /// What it means, in our words.
    #[serde(default)]
    pub meaning: Option<String>,
    /// What to do about it, in our words.
    #[serde(default)]
    pub advice: Option<String>,
    /// Whether sending the same request again can succeed.
    #[serde(default)]
    pub retryable: Option<bool>,
}

/// The error catalogue of a service version, `spec/<service>/<version>/errors.json`: what
/// each code means and what to do, written once for every endpoint that returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorCatalogue {
    /// One entry per code.
    pub errors: Vec<CatalogueEntry>,
}

/// A code of the catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueEntry {
    /// The `code` of the error body.
    pub code: i64,
    /// snake_case name; the variant of every endpoint that lists the code.
    pub name: String,
    /// What it means, in our words.
    pub meaning: String,
    /// What to do about it, in our words.
    pub advice: String,
    /// Whether sending the same request again can succeed.
    pub retryable: bool,
}

/// One event or callback the platform pushes, as written in
/// `spec/<service>/<version>/events/<name>.json`. The file name fixes the Rust type:
/// `message_receive_v1.json` gives `<service>::<version>::events::MessageReceiveV1`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// The platform's name of the event type (`im.message.receive_v1`, `app_ticket`):
    /// `header.event_type` of a schema 2.0 envelope, `event.type` of a schema 1.0 one.
    pub event_type: String,
    /// The envelope the event comes in: `"2.0"` or `"1.0"` (`app_ticket`).
    pub schema: String,
    /// `event` (acknowledged at once) or `callback` (the handler's answer is sent back:
    /// `card.action.trigger`).
    pub kind: String,
    /// One line: what happened.
    pub summary: String,
    /// Longer description, Markdown; becomes the doc comment body.
    #[serde(default)]
    pub description: Option<String>,
    /// Link to the official event page.
    pub doc_url: String,
    /// The fields of the envelope's `event` object.
    pub fields: Vec<Field>,
    /// Named object types of the payload, shared with the version's endpoints.
    #[serde(default)]
    pub types: BTreeMap<String, ObjectType>,
    /// A complete, realistic `event` object; checked against `fields`.
    #[serde(default)]
    pub example: Option<serde_json::Value>,
}
