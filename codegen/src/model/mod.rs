//! The type model: validated specs turned, once, into what the emitter and the fake server
//! work from.
//!
//! * Type strings become [`Ty`] expressions.
//! * Named object types and enums are collected per service version ([`VersionModel`]):
//!   `types.json` of the version first, then the endpoints' own `types`, then the enums of
//!   fields and query parameters. A name defined twice must mean the same thing (same
//!   fields, types and required flags; same enum values); the first definition (in path
//!   order) gives the docs. A conflict is a [`Problem`] that names both files.
//! * Each endpoint becomes an [`EndpointModel`] with its Rust names, parameters, body,
//!   response and pagination resolved.

mod build;
mod ty;

use std::collections::BTreeMap;

pub use build::build;
pub use ty::Ty;

use crate::spec::{EndpointSpec, EventSpec};

/// Every service version, endpoint and event of a spec set.
#[derive(Debug, Clone)]
pub struct Model {
    /// Service versions, sorted by (service, version).
    pub versions: Vec<VersionModel>,
    /// Endpoints, sorted by id.
    pub endpoints: Vec<EndpointModel>,
    /// Events, sorted by (service, version, name).
    pub events: Vec<EventModel>,
}

impl Model {
    /// The service version an endpoint belongs to.
    pub fn version_of(&self, ep: &EndpointModel) -> &VersionModel {
        self.versions
            .iter()
            .find(|v| v.service == ep.service && v.version == ep.version)
            .expect("every endpoint's version is in the model")
    }

    /// An endpoint by id.
    pub fn endpoint(&self, id: &str) -> Option<&EndpointModel> {
        self.endpoints.iter().find(|e| e.spec.id == id)
    }
}

/// The named types and enums shared by the endpoints of one service version.
#[derive(Debug, Clone, Default)]
pub struct VersionModel {
    /// `im`.
    pub service: String,
    /// `v1`.
    pub version: String,
    /// Named object types.
    pub structs: BTreeMap<String, StructDef>,
    /// Enums of string fields and query parameters.
    pub enums: BTreeMap<String, EnumDef>,
    /// The version's error codes, each once: the catalogue's entries (`errors.json`, in
    /// file order), then the codes an endpoint documents under a name of its own (in
    /// endpoint order). `ErrorCode`'s variants, in this order.
    pub codes: Vec<CodeDef>,
    /// The wordings an endpoint gives a code where it says more than the catalogue, each
    /// once, by the name of its constant in the version's `errors.rs` (see [`wording_name`]).
    pub wordings: BTreeMap<String, Wording>,
}

/// An endpoint's own wording of a code.
#[derive(Debug, Clone, PartialEq)]
pub enum Wording {
    /// A text of its own.
    Text(String),
    /// The text of another variant's meaning (`true`) or advice (`false`), by its index in
    /// [`VersionModel::codes`]: read from the catalogue instead of written again.
    Entry(usize, bool),
}

/// The name of a wording's constant: its kind and a hash of its text, so that an endpoint's
/// file names the same constant whatever other endpoints word (`MEANING_1F3A09C2`).
pub fn wording_name(kind: &str, text: &str) -> String {
    // FNV-1a, 32 bits: stable across platforms and releases, unlike `std`'s hasher.
    let hash = text.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{kind}_{hash:08X}")
}

/// One variant of a version's `ErrorCode`.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeDef {
    /// The platform's code.
    pub code: i64,
    /// snake_case name.
    pub name: String,
    /// What it means.
    pub meaning: String,
    /// What to do.
    pub advice: String,
    /// Whether a retry can help.
    pub retryable: bool,
}

/// A named object type.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    /// UpperCamelCase name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Its fields, in spec order.
    pub fields: Vec<FieldDef>,
    /// The spec file of the first definition.
    pub origin: String,
}

/// A field of an object, a JSON body, a multipart form or a response.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The wire name.
    pub wire: String,
    /// The Rust name (snake_case).
    pub rust: String,
    /// Its type.
    pub ty: Ty,
    /// Always present (responses) / must be sent (requests).
    pub required: bool,
    /// What it holds.
    pub description: Option<String>,
    /// A realistic value.
    pub example: Option<serde_json::Value>,
    /// Size limit of a `file` part.
    pub max_bytes: Option<u64>,
    /// On a message's content: the wire name of the sibling field with its message type;
    /// the struct gets `parsed_content()`.
    pub message_content: Option<String>,
    /// A credential: `Debug` shows `***`.
    pub secret: bool,
    /// For an enum: the values this field lists (the enum has those of every place).
    pub accepted: Option<Vec<String>>,
}

/// An enum: a string with a fixed set of known values (unknown ones are kept at run time).
/// One per concept per service version: the places (parameters and fields) that are this
/// enum may each list only some of its values; the enum has them all.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    /// UpperCamelCase name.
    pub name: String,
    /// What the values select.
    pub description: String,
    /// The values of every place, in the order of the first definition, then in the order
    /// places add them.
    pub values: Vec<EnumValueDef>,
    /// The spec file of the first definition.
    pub origin: String,
}

/// One known value of an enum.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValueDef {
    /// On the wire.
    pub wire: String,
    /// The variant (UpperCamelCase).
    pub variant: String,
    /// What it means.
    pub description: String,
}

/// A path or query parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    /// Wire name.
    pub wire: String,
    /// Rust name.
    pub rust: String,
    /// `String`, `Integer`, `Int64`, `Boolean` or `Enum`.
    pub ty: Ty,
    /// Path parameters always are.
    pub required: bool,
    /// Sent as repeated keys.
    pub repeated: bool,
    /// What it is.
    pub description: String,
    /// A realistic value, as text.
    pub example: Option<String>,
    /// Path parameters: the characters ids use (documentation).
    pub allowed_chars: Option<String>,
    /// For an enum: the values this parameter lists (the enum has those of every place).
    pub accepted: Option<Vec<String>>,
}

/// The request body of an endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyModel {
    /// No body.
    None,
    /// A JSON object.
    Json(Vec<FieldDef>),
    /// A multipart form with one `file` part.
    Multipart(Vec<FieldDef>),
}

impl BodyModel {
    /// The fields, for either kind of body.
    pub fn fields(&self) -> &[FieldDef] {
        match self {
            BodyModel::None => &[],
            BodyModel::Json(f) | BodyModel::Multipart(f) => f,
        }
    }
}

/// The successful response of an endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseModel {
    /// A byte stream of at most this many bytes.
    Binary(u64),
    /// The envelope's `data`, with these fields.
    Json(Vec<FieldDef>),
    /// Fields next to `code` and `msg`.
    Flat(Vec<FieldDef>),
    /// Nothing but the envelope.
    Empty,
}

impl ResponseModel {
    /// The fields of a JSON answer.
    pub fn fields(&self) -> &[FieldDef] {
        match self {
            ResponseModel::Json(f) | ResponseModel::Flat(f) => f,
            _ => &[],
        }
    }
}

/// How a list endpoint pages.
#[derive(Debug, Clone, PartialEq)]
pub struct PaginationDef {
    /// Query parameter carrying the cursor.
    pub request_token: String,
    /// Query parameter for the page size.
    pub request_size: Option<String>,
    /// Response field with the next cursor.
    pub response_token: String,
    /// Response field saying more pages follow.
    pub has_more: String,
    /// Response array field with the page's items.
    pub items: String,
    /// The type of one item.
    pub item: Ty,
}

/// The Rust names of an endpoint's items.
#[derive(Debug, Clone, PartialEq)]
pub struct Names {
    /// `CreateMessage`: the prepared call.
    pub operation: String,
    /// `CreateMessageRequest`: path and query parameters and the body.
    pub request: String,
    /// `CreateMessageBody`: the JSON or multipart body.
    pub body: String,
    /// `CreateMessageResponse`: the decoded answer.
    pub response: String,
    /// `CreateMessageError`: the error enum.
    pub error: String,
}

/// One endpoint, resolved.
#[derive(Debug, Clone)]
pub struct EndpointModel {
    /// The spec file.
    pub file: String,
    /// The spec itself.
    pub spec: EndpointSpec,
    /// `im`.
    pub service: String,
    /// `v1`.
    pub version: String,
    /// `message`.
    pub resource: String,
    /// `create`.
    pub method: String,
    /// Rust names.
    pub names: Names,
    /// Path parameters in template order.
    pub path_params: Vec<ParamDef>,
    /// Query parameters in spec order.
    pub query_params: Vec<ParamDef>,
    /// The request body.
    pub body: BodyModel,
    /// The successful answer.
    pub response: ResponseModel,
    /// Pagination, for list endpoints.
    pub pagination: Option<PaginationDef>,
    /// Whether a replay is safe.
    pub idempotent: bool,
    /// The body field filled with a fresh deduplication key.
    pub idempotency_key: Option<String>,
    /// The error table, completed from the catalogue.
    pub errors: Vec<ErrorDef>,
}

/// A row of an endpoint's error table, with the catalogue's prose filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDef {
    /// HTTP status the platform answers with.
    pub http_status: u16,
    /// The platform error code.
    pub code: i64,
    /// snake_case name: the variant and its `is_<name>()`.
    pub name: String,
    /// The server's `msg` from the metadata; empty when the metadata has none.
    pub server_message: String,
    /// What it means.
    pub meaning: String,
    /// What to do.
    pub advice: String,
    /// Whether a retry can succeed.
    pub retryable: bool,
    /// Its variant: the index in the version's [`VersionModel::codes`].
    pub entry: usize,
    /// Its variant's name (`FileNotInMessage`): what the endpoint's rows refer to, so that
    /// an endpoint's file does not change when another endpoint adds a code.
    pub variant: String,
    /// The constant of the row's meaning, where it says more than its variant's (a key of
    /// [`VersionModel::wordings`]).
    pub own_meaning: Option<String>,
    /// The constant of the row's advice, where it says more than its variant's.
    pub own_advice: Option<String>,
}

/// The group of an argument in constructor order: identifiers (`id`, `key`, `*_id`,
/// `*_ids`, `*_key`, `*_keys`) first, then kinds (`type`, `*_type`), then the rest.
pub fn argument_group(rust_name: &str) -> u8 {
    let is = |exact: &str, suffix: &str| rust_name == exact || rust_name.ends_with(suffix);
    if is("id", "_id") || is("ids", "_ids") || is("key", "_key") || is("keys", "_keys") {
        0
    } else if is("type", "_type") {
        1
    } else {
        2
    }
}

/// Values in constructor order (see [`argument_group`]): by group, then alphabetically by
/// Rust name. One rule for every constructor the generator writes: the required query
/// parameters of a request, and the required fields of a body, a model or an event.
pub fn in_argument_order<'a, T>(
    items: impl IntoIterator<Item = &'a T>,
    rust_name: impl Fn(&T) -> &str,
) -> Vec<&'a T> {
    let mut out: Vec<&T> = items.into_iter().collect();
    out.sort_by(|a, b| {
        let (a, b) = (rust_name(a), rust_name(b));
        (argument_group(a), a).cmp(&(argument_group(b), b))
    });
    out
}

/// The required fields of a struct in the order of its constructor's arguments.
pub fn constructor_fields(fields: &[FieldDef]) -> Vec<&FieldDef> {
    in_argument_order(fields.iter().filter(|f| f.required), |f| &f.rust)
}

impl EndpointModel {
    /// The request's required parameters in the order of its constructor's (and the
    /// accessor's) arguments: the path parameters in the order of the path, then the
    /// required query parameters in [argument order](in_argument_order). (The body, when it
    /// is an argument, comes last.)
    pub fn constructor_params(&self) -> Vec<&ParamDef> {
        let mut out: Vec<&ParamDef> = self.path_params.iter().collect();
        out.extend(in_argument_order(
            self.query_params.iter().filter(|q| q.required),
            |q| &q.rust,
        ));
        out
    }

    /// Relative path of the generated module, below `sdk/src/generated/`.
    pub fn module_file(&self) -> String {
        format!(
            "{}/{}/{}/{}.rs",
            self.service, self.version, self.resource, self.method
        )
    }

    /// Whether only a user token is accepted (then it is a required argument).
    pub fn user_token_only(&self) -> bool {
        self.spec.access_tokens == ["user"]
    }

    /// Whether the endpoint needs no access token at all (the auth endpoints).
    pub fn needs_no_token(&self) -> bool {
        self.spec.access_tokens.is_empty()
    }

    /// The body's required fields, which are constructor arguments of the body.
    pub fn body_has_required(&self) -> bool {
        self.body.fields().iter().any(|f| f.required)
    }
}

/// One event (or callback) the platform pushes, resolved.
#[derive(Debug, Clone)]
pub struct EventModel {
    /// The spec file.
    pub file: String,
    /// The spec itself.
    pub spec: EventSpec,
    /// `im`.
    pub service: String,
    /// `v1`.
    pub version: String,
    /// The file name: `message_receive_v1`.
    pub name: String,
    /// The Rust type: `MessageReceiveV1`.
    pub type_name: String,
    /// The fields of the `event` object.
    pub fields: Vec<FieldDef>,
    /// Whether the handler answers (`kind: callback`).
    pub callback: bool,
}
