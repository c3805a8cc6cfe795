//! Facts from the metadata merged into what a spec already has. The metadata's facts
//! replace ours; our prose and decisions stay: summaries, descriptions, error prose,
//! `rust_name`s, `enum_type_name`s, examples, idempotency, `max_bytes`, `app_types`, and
//! required flags the metadata does not state. What the metadata does not say at all (an
//! enum it does not list, an error table it does not have) is kept as written.

use std::collections::BTreeMap;

use heck::ToSnakeCase;

use lark_codegen::concepts::{query_key, request_key, response_key, type_key, Decided};
use lark_codegen::import_config::ImportConfig;
use lark_codegen::spec::{
    EndpointSpec, EnumValue, ErrorRow, Field, ObjectType, Pagination, PathParam, QueryParam,
    RequestBody, Response,
};

use super::facts::{
    UpBody, UpError, UpField, UpObject, UpOperation, UpPathParam, UpQueryParam, UpResponse,
};
use super::operation::items_field;

/// App types of a new spec: the metadata does not say which apps may call an endpoint.
pub const DEFAULT_APP_TYPES: &[&str] = &["custom", "store"];

/// Merges an operation's facts into its existing spec (or a new one, with empty prose).
/// Fails (with a field and a message) only when a fact the spec needs is nowhere.
pub fn endpoint(
    up: &UpOperation,
    old: Option<&EndpointSpec>,
    config: &ImportConfig,
) -> Result<EndpointSpec, (String, String)> {
    let id = up.id.dotted();
    let doc_url = match (&up.doc_url, old) {
        (Some(url), _) => url.clone(),
        (None, Some(old)) => old.doc_url.clone(),
        (None, None) => {
            return Err((
                "externalDocs.url".into(),
                "missing: a spec needs its API page".into(),
            ))
        }
    };
    let old_body: &[Field] = match old.map(|o| &o.request_body) {
        Some(RequestBody::Json { fields } | RequestBody::Multipart { fields }) => fields,
        _ => &[],
    };
    let decided = |key: String, rust: &str| {
        Decided::of(config, &key, rust)
            .values()
            .map(<[String]>::to_vec)
    };
    let body_values = |wire: &str, rust: &str| decided(request_key(&id, wire), rust);
    let request_body = match &up.body {
        UpBody::None => RequestBody::None,
        UpBody::Json(f) => RequestBody::Json {
            fields: fields(f, old_body, false, &body_values),
        },
        UpBody::Multipart(f) => RequestBody::Multipart {
            fields: fields(f, old_body, false, &body_values),
        },
    };
    let answer_values = |wire: &str, rust: &str| decided(response_key(&id, wire), rust);
    let old_response: &[Field] = match old.map(|o| &o.response) {
        Some(Response::Json { data_fields: f } | Response::Flat { fields: f }) => f,
        _ => &[],
    };
    let response = match &up.response {
        UpResponse::Empty => Response::Empty,
        UpResponse::Json(f) => Response::Json {
            data_fields: fields(f, old_response, true, &answer_values),
        },
        UpResponse::Flat(f) => Response::Flat {
            fields: fields(f, old_response, true, &answer_values),
        },
        UpResponse::Binary => {
            let kept = match old.map(|o| &o.response) {
                Some(Response::Binary { max_bytes }) => Some(*max_bytes),
                _ => None,
            };
            match kept.or_else(|| config.max_bytes.get(&id).copied()) {
                Some(max_bytes) => Response::Binary { max_bytes },
                None => {
                    return Err((
                        "x-lark-file-download".into(),
                        format!(
                            "a download needs a size limit, which the metadata does not give: add `\"{id}\": <bytes>` to `max_bytes` in spec/{}/{}/import.json",
                            up.id.service, up.id.version
                        ),
                    ))
                }
            }
        }
    };
    let pagination = match (&up.response, up.paginated) {
        (UpResponse::Json(data), true) => Some(Pagination {
            request_token: "page_token".into(),
            request_size: up
                .query_params
                .iter()
                .any(|q| q.name == "page_size")
                .then(|| "page_size".to_string()),
            response_token: "page_token".into(),
            has_more: "has_more".into(),
            items: items_field(data).unwrap_or("items").to_string(),
        }),
        _ => None,
    };
    let errors = match &up.errors {
        Some(rows) => rows
            .iter()
            .map(|r| {
                error_row(
                    r,
                    old.and_then(|o| o.errors.iter().find(|e| e.code == r.code)),
                )
            })
            .collect(),
        // The metadata has no error table for it: the rows we have stay.
        None => old.map(|o| o.errors.clone()).unwrap_or_default(),
    };
    let query_params = up
        .query_params
        .iter()
        .map(|q| {
            let old = old.and_then(|o| o.query_params.iter().find(|x| x.name == q.name));
            let rust = old
                .and_then(|o| o.rust_name.clone())
                .unwrap_or_else(|| q.name.clone());
            query_param(q, old, decided(query_key(&id, &q.name), &rust))
        })
        .collect();
    Ok(EndpointSpec {
        id,
        summary: old.map(|o| o.summary.clone()).unwrap_or_default(),
        description: old.and_then(|o| o.description.clone()),
        doc_url,
        http_method: up.http_method.clone(),
        path: up.path.clone(),
        path_params: up
            .path_params
            .iter()
            .map(|p| {
                path_param(
                    p,
                    old.and_then(|o| o.path_params.iter().find(|x| x.name == p.name)),
                )
            })
            .collect(),
        query_params,
        access_tokens: up.access_tokens.clone(),
        app_types: old
            .map(|o| o.app_types.clone())
            .unwrap_or_else(|| DEFAULT_APP_TYPES.iter().map(|s| s.to_string()).collect()),
        scopes_any_of: up.scopes.clone(),
        rate_limit: up.rate_limit.clone(),
        idempotent: old.and_then(|o| o.idempotent),
        idempotency_key: old.and_then(|o| o.idempotency_key.clone()),
        invalid_request_code: old.and_then(|o| o.invalid_request_code),
        // Named types live in the version's types.json.
        types: BTreeMap::new(),
        request_body,
        response,
        pagination,
        errors,
    })
}

fn path_param(up: &UpPathParam, old: Option<&PathParam>) -> PathParam {
    let old_example = old
        .filter(|o| o.ty == up.ty)
        .and_then(|o| o.example.clone());
    PathParam {
        name: up.name.clone(),
        ty: up.ty.clone(),
        description: old.map(|o| o.description.clone()).unwrap_or_default(),
        allowed_chars: old.and_then(|o| o.allowed_chars.clone()),
        example: old_example.or_else(|| up.example.clone()),
    }
}

/// A query parameter; `decided`: the values `import.json` documents for it, used when the
/// metadata lists none.
fn query_param(
    up: &UpQueryParam,
    old: Option<&QueryParam>,
    decided: Option<Vec<String>>,
) -> QueryParam {
    let up_values = up
        .enum_values
        .clone()
        .or(decided.filter(|_| up.ty == "string"));
    let (enum_values, enum_type_name) = enums(
        up_values.as_deref(),
        up.ty == "string",
        old.and_then(|o| o.enum_values.as_deref()),
        old.and_then(|o| o.enum_type_name.clone()),
    );
    let fits = |e: &String| match &enum_values {
        Some(values) => values.iter().any(|v| &v.value == e),
        None => true,
    };
    let old_example = old
        .filter(|o| o.ty == up.ty)
        .and_then(|o| o.example.clone())
        .filter(fits);
    let example = old_example.or_else(|| up.example.clone().filter(fits));
    QueryParam {
        name: up.name.clone(),
        rust_name: old.and_then(|o| o.rust_name.clone()),
        ty: up.ty.clone(),
        required: up.required,
        repeated: up.repeated,
        description: old.map(|o| o.description.clone()).unwrap_or_default(),
        enum_values,
        enum_type_name,
        example,
    }
}

/// The enum of a string: the metadata's values (our descriptions and variant names kept),
/// or, when the metadata lists none, the values we wrote.
fn enums(
    up: Option<&[String]>,
    is_string: bool,
    old: Option<&[EnumValue]>,
    old_name: Option<String>,
) -> (Option<Vec<EnumValue>>, Option<String>) {
    let values = match (up, old) {
        (Some(up), _) => Some(
            keep_order(
                up,
                old.map(|o| o.iter().map(|v| v.value.as_str()).collect()),
            )
            .iter()
            .map(|v| {
                let kept = old.and_then(|o| o.iter().find(|x| &x.value == v));
                EnumValue {
                    value: v.clone(),
                    rust_name: kept.and_then(|k| k.rust_name.clone()),
                    description: kept.map(|k| k.description.clone()).unwrap_or_default(),
                }
            })
            .collect(),
        ),
        (None, Some(old)) if is_string => Some(old.to_vec()),
        _ => None,
    };
    let name = values.as_ref().and(old_name);
    (values, name)
}

/// The metadata's values in the order we keep them in: ours first, as we wrote them, and a
/// new value after the value the metadata puts before it. (The order of enum values is not
/// a fact; keeping ours keeps reviews to what changed.)
pub(super) fn keep_order(up: &[String], old: Option<Vec<&str>>) -> Vec<String> {
    let Some(old) = old else {
        return up.to_vec();
    };
    let mut out: Vec<String> = old
        .iter()
        .filter(|v| up.iter().any(|u| u == *v))
        .map(|v| v.to_string())
        .collect();
    for (i, v) in up.iter().enumerate() {
        if out.contains(v) {
            continue;
        }
        let at = up[..i]
            .iter()
            .rev()
            .find_map(|before| out.iter().position(|o| o == before))
            .map_or(0, |p| p + 1);
        out.insert(at, v.clone());
    }
    out
}

/// The values `import.json` documents for a field (by wire and Rust name), if any.
pub type DecidedValues<'a> = dyn Fn(&str, &str) -> Option<Vec<String>> + 'a;

/// Merges a list of fields: the metadata's fields, in its order, with ours kept. In an
/// answer (`answer`), our required flags stay even where the metadata lists required
/// fields: a field we call required fails decoding when it is absent, so that is our call;
/// the metadata's list decides only for fields new to the spec. A string the metadata
/// gives no values for takes those `import.json` documents (`decided`).
pub fn fields(up: &[UpField], old: &[Field], answer: bool, decided: &DecidedValues) -> Vec<Field> {
    up.iter()
        .map(|f| field(f, old.iter().find(|o| o.name == f.name), answer, decided))
        .collect()
}

fn field(up: &UpField, old: Option<&Field>, answer: bool, decided: &DecidedValues) -> Field {
    let rust = old
        .and_then(|o| o.rust_name.clone())
        .unwrap_or_else(|| up.name.to_snake_case());
    let up_values = up.enum_values.clone().or_else(|| {
        (up.ty == "string")
            .then(|| decided(&up.name, &rust))
            .flatten()
    });
    let (enum_values, enum_type_name) = enums(
        up_values.as_deref(),
        up.ty == "string",
        old.and_then(|o| o.enum_values.as_deref()),
        old.and_then(|o| o.enum_type_name.clone()),
    );
    let fits = |e: &serde_json::Value| match (&enum_values, e) {
        (Some(values), serde_json::Value::String(s)) => values.iter().any(|v| &v.value == s),
        (Some(_), _) => false,
        (None, _) => true,
    };
    let old_example = old
        .filter(|o| o.ty == up.ty)
        .and_then(|o| o.example.clone())
        .filter(fits);
    let example = old_example.or_else(|| up.example.clone().filter(fits));
    Field {
        name: up.name.clone(),
        rust_name: old.and_then(|o| o.rust_name.clone()),
        ty: up.ty.clone(),
        required: match (answer, old) {
            (true, Some(old)) => old.required,
            _ => up.required.or(old.map(|o| o.required)).unwrap_or(false),
        },
        description: old.and_then(|o| o.description.clone()),
        enum_values,
        enum_type_name,
        max_bytes: old.filter(|_| up.ty == "file").and_then(|o| o.max_bytes),
        example,
        message_content: old.and_then(|o| o.message_content.clone()),
        secret: old.is_some_and(|o| o.secret),
    }
}

/// A named type: the metadata's fields, our description and field prose.
pub fn object(
    name: &str,
    up: &UpObject,
    old: Option<&ObjectType>,
    config: &ImportConfig,
) -> ObjectType {
    let decided = |wire: &str, rust: &str| {
        Decided::of(config, &type_key(name, wire), rust)
            .values()
            .map(<[String]>::to_vec)
    };
    ObjectType {
        description: old.map(|o| o.description.clone()).unwrap_or_default(),
        fields: fields(
            &up.fields,
            old.map(|o| o.fields.as_slice()).unwrap_or(&[]),
            !up.in_request,
            &decided,
        ),
    }
}

fn error_row(up: &UpError, old: Option<&ErrorRow>) -> ErrorRow {
    ErrorRow {
        http_status: up.http_status,
        code: up.code,
        name: old.and_then(|o| o.name.clone()),
        server_message: up.server_message.clone(),
        meaning: old.and_then(|o| o.meaning.clone()),
        advice: old.and_then(|o| o.advice.clone()),
        retryable: old.and_then(|o| o.retryable),
    }
}
