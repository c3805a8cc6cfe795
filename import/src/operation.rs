//! One operation of the metadata to its facts ([`UpOperation`]): parameters, bodies,
//! answers, tokens, scopes, rate limit, pagination, errors and the API page.

use heck::ToUpperCamelCase;
use yaml_serde::Value;

use lark_codegen::import_config::ImportConfig;

use super::document::{map_of, scalar_text, str_of, Document, Operation};
use super::facts::{
    SpecId, UpBody, UpError, UpField, UpOperation, UpPathParam, UpQueryParam, UpResponse,
};
use super::problem::ImportProblem;
use super::rate_limit;
use super::schema::{Loc, Schemas};

/// Converts an operation. Every problem is reported; an operation with one is not
/// converted.
pub fn convert(
    doc: &Document,
    op: &Operation,
    id: SpecId,
    config: &ImportConfig,
) -> Result<UpOperation, Vec<ImportProblem>> {
    let dotted = id.dotted();
    let mut schemas = Schemas {
        doc,
        names: &config.type_names,
        operation: op.operation_id,
        request: false,
        types: Default::default(),
        problems: Vec::new(),
    };
    let mut problems: Vec<(String, String)> = Vec::new();
    let (path_params, query_params) = parameters(doc, op, &mut problems);
    let operation_name = format!(
        "{}{}",
        id.method.to_upper_camel_case(),
        id.resource.to_upper_camel_case()
    );
    schemas.request = true;
    let body = request_body(
        doc,
        op,
        &operation_name,
        &dotted,
        &mut schemas,
        &mut problems,
    );
    schemas.request = false;
    let response = response(
        doc,
        op,
        &operation_name,
        &dotted,
        &mut schemas,
        &mut problems,
    );
    problems.append(&mut schemas.problems);

    let access_tokens = match op.node.get("x-lark-access-tokens") {
        None => Vec::new(),
        Some(tokens) => {
            let mut out = Vec::new();
            for t in tokens.as_sequence().into_iter().flatten() {
                match t.as_str() {
                    Some(t @ ("tenant" | "user" | "app")) => out.push(t.to_string()),
                    other => problems.push((
                        "x-lark-access-tokens".into(),
                        format!("unknown token type {other:?}; expected tenant, user or app"),
                    )),
                }
            }
            // One order for every spec: tenant, user, app.
            let order = |t: &String| ["tenant", "user", "app"].iter().position(|x| x == t);
            out.sort_by_key(order);
            out.dedup();
            out
        }
    };
    // A maintainer's correction of the metadata (import.json `access_tokens`).
    let access_tokens = config
        .access_tokens
        .get(&dotted)
        .cloned()
        .unwrap_or(access_tokens);
    let mut scopes: Vec<String> = Vec::new();
    for s in op
        .node
        .get("x-lark-scopes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_string());
        }
    }
    let tier = op
        .node
        .get("x-lark-rate-limit")
        .and_then(|r| r.get("tier"))
        .and_then(Value::as_i64);
    let errors = op.node.get("x-lark-error-mappings").map(|rows| {
        let mut out: Vec<UpError> = Vec::new();
        for (i, row) in rows.as_sequence().into_iter().flatten().enumerate() {
            let code = row.get("code").and_then(Value::as_i64);
            let status = row.get("httpCode").and_then(Value::as_u64);
            match (code, status) {
                (Some(code), Some(status)) if status <= u16::MAX as u64 => {
                    if out.iter().any(|e| e.code == code) {
                        // A code listed twice: the first row stands.
                        continue;
                    }
                    out.push(UpError {
                        http_status: status as u16,
                        code,
                        server_message: row.get("msg").and_then(scalar_text).unwrap_or_default(),
                    })
                }
                _ => problems.push((
                    format!("x-lark-error-mappings[{i}]"),
                    "needs an integer `code` and `httpCode`".into(),
                )),
            }
        }
        out
    });
    let doc_url = op
        .node
        .get("externalDocs")
        .and_then(|d| str_of(d, "url"))
        .map(str::to_string);
    let paginated = op.node.get("x-lark-pagination").and_then(Value::as_bool) == Some(true)
        || config.paginated.contains(&dotted);
    if !matches!(op.method, "GET" | "POST" | "PUT" | "PATCH" | "DELETE") {
        problems.push(("method".into(), format!("{} is not supported", op.method)));
    }
    if op.method == "GET" && !matches!(body, UpBody::None) {
        problems.push((
            "requestBody".into(),
            "a GET with a request body cannot be expressed (a GET carries no body)".into(),
        ));
    }
    if matches!(body, UpBody::Multipart(_)) && !matches!(op.method, "POST" | "PUT") {
        problems.push((
            "requestBody".into(),
            format!(
                "a multipart form with {} cannot be expressed (POST or PUT only)",
                op.method
            ),
        ));
    }
    if paginated {
        check_pagination(&query_params, &response, &mut problems);
    }
    if paginated && !matches!(response, UpResponse::Json(_)) {
        problems.push(("x-lark-pagination".into(), "only JSON answers page".into()));
    }
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        return Err(problems
            .into_iter()
            .map(|(field, message)| ImportProblem::new(&doc.name, op.operation_id, field, message))
            .collect());
    }
    Ok(UpOperation {
        document: doc.name.clone(),
        operation_id: op.operation_id.to_string(),
        id,
        http_method: op.method.to_string(),
        path: template(op.path),
        doc_url,
        path_params,
        query_params,
        access_tokens,
        scopes,
        rate_limit: tier.and_then(rate_limit::of_tier),
        body,
        response,
        paginated,
        errors,
        types: schemas.types,
    })
}

/// `/a/{b}/c` → `/a/:b/c`.
fn template(path: &str) -> String {
    path.split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => s.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

fn parameters(
    doc: &Document,
    op: &Operation,
    problems: &mut Vec<(String, String)>,
) -> (Vec<UpPathParam>, Vec<UpQueryParam>) {
    let mut path = Vec::new();
    let mut query: Vec<UpQueryParam> = Vec::new();
    for p in op
        .node
        .get("parameters")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let p = match doc.resolve(p) {
            Ok((p, _)) => p,
            Err(e) => {
                problems.push(("parameters".into(), e));
                continue;
            }
        };
        let name = str_of(p, "name").unwrap_or_default().to_string();
        let at = format!("parameters.{name}");
        let schema = match p.get("schema").map(|s| doc.resolve(s)) {
            Some(Ok((s, _))) => s,
            Some(Err(e)) => {
                problems.push((format!("{at}.schema"), e));
                continue;
            }
            None => {
                problems.push((format!("{at}.schema"), "missing".into()));
                continue;
            }
        };
        let ty = str_of(schema, "type").unwrap_or("string");
        let format = str_of(schema, "format");
        let example = p
            .get("example")
            .or_else(|| schema.get("example"))
            .and_then(scalar_text);
        match str_of(p, "in") {
            Some("path") => {
                let ty = match ty {
                    "string" => "string",
                    "integer" => "integer",
                    other => {
                        problems.push((
                            format!("{at}.schema.type"),
                            format!("a path parameter of type `{other}` is not supported (string or integer)"),
                        ));
                        continue;
                    }
                };
                path.push(UpPathParam {
                    name,
                    ty: ty.into(),
                    example: example.filter(|e| ty != "integer" || e.parse::<i32>().is_ok()),
                });
            }
            Some("query") => {
                let (repeated, item) = if ty == "array" {
                    let item = match schema.get("items").map(|i| doc.resolve(i)) {
                        Some(Ok((i, _))) => i,
                        _ => {
                            problems.push((
                                format!("{at}.schema.items"),
                                "missing or unresolved".into(),
                            ));
                            continue;
                        }
                    };
                    (true, item)
                } else {
                    (false, schema)
                };
                let item_ty = str_of(item, "type").unwrap_or("string");
                let qty = match (item_ty, str_of(item, "format").or(format)) {
                    ("string", Some("int64")) => "int64",
                    ("string", _) => "string",
                    ("integer", Some("int64")) => "int64",
                    ("integer", _) => "integer",
                    ("boolean", _) => "boolean",
                    (other, _) => {
                        problems.push((
                            format!("{at}.schema.type"),
                            format!("a query parameter of type `{other}` is not supported (string, integer, boolean, or an array of those)"),
                        ));
                        continue;
                    }
                };
                let enum_values = (qty == "string")
                    .then(|| item.get("enum").and_then(Value::as_sequence))
                    .flatten()
                    .map(|v| v.iter().filter_map(scalar_text).collect::<Vec<_>>())
                    .filter(|v| !v.is_empty());
                let example = example.filter(|e| match (qty, &enum_values) {
                    (_, Some(values)) => values.contains(e),
                    ("integer", _) => e.parse::<i32>().is_ok(),
                    ("int64", _) => e.parse::<i64>().is_ok(),
                    ("boolean", _) => matches!(e.as_str(), "true" | "false"),
                    _ => true,
                });
                if query.iter().any(|q| q.name == name) {
                    problems.push((at, "declared twice".into()));
                    continue;
                }
                query.push(UpQueryParam {
                    name,
                    ty: qty.into(),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    repeated,
                    enum_values,
                    example,
                });
            }
            other => problems.push((
                format!("{at}.in"),
                format!("parameters in {other:?} are not supported (path and query only)"),
            )),
        }
    }
    (path, query)
}

fn request_body(
    doc: &Document,
    op: &Operation,
    operation_name: &str,
    id: &str,
    schemas: &mut Schemas,
    problems: &mut Vec<(String, String)>,
) -> UpBody {
    let Some(body) = op.node.get("requestBody") else {
        return UpBody::None;
    };
    let Some(content) = map_of(body, "content") else {
        return UpBody::None;
    };
    let owner = format!("{operation_name}Body");
    let loc = Loc {
        key: format!("{id}:request"),
        field: "requestBody".into(),
    };
    let kinds: Vec<&str> = content.keys().filter_map(Value::as_str).collect();
    let (kind, schema) = match kinds.as_slice() {
        [] => return UpBody::None,
        [one] => (*one, content.get(*one).and_then(|c| c.get("schema"))),
        _ => {
            problems.push((
                "requestBody.content".into(),
                format!(
                    "several content types ({}) are not supported",
                    kinds.join(", ")
                ),
            ));
            return UpBody::None;
        }
    };
    let Some(schema) = schema else {
        return UpBody::None;
    };
    match kind {
        "application/json" => {
            if let Ok((s, _)) = doc.resolve(schema) {
                if str_of(s, "type").is_some_and(|t| t != "object") {
                    problems.push((
                        "requestBody".into(),
                        format!(
                            "a JSON body of type `{}` is not supported (an object only)",
                            str_of(s, "type").unwrap_or("")
                        ),
                    ));
                    return UpBody::None;
                }
            }
            let fields = schemas.fields(schema, &loc, &owner, false);
            if fields.is_empty() {
                UpBody::None
            } else {
                UpBody::Json(fields)
            }
        }
        "multipart/form-data" => {
            let fields = schemas.fields(schema, &loc, &owner, true);
            if !fields.iter().any(|f| f.ty == "file") {
                problems.push((
                    "requestBody".into(),
                    "a multipart form without a binary field is not supported".into(),
                ));
            }
            UpBody::Multipart(fields)
        }
        other => {
            problems.push((
                "requestBody.content".into(),
                format!("content type `{other}` is not supported (application/json or multipart/form-data)"),
            ));
            UpBody::None
        }
    }
}

fn response(
    doc: &Document,
    op: &Operation,
    operation_name: &str,
    id: &str,
    schemas: &mut Schemas,
    problems: &mut Vec<(String, String)>,
) -> UpResponse {
    if op.node.get("x-lark-file-download").and_then(Value::as_bool) == Some(true) {
        return UpResponse::Binary;
    }
    let schema = op
        .node
        .get("responses")
        .and_then(|r| r.get("200").or_else(|| r.get(200)))
        .and_then(|r| r.get("content"))
        .and_then(|c| c.get("application/json"))
        .and_then(|c| c.get("schema"));
    let Some(schema) = schema else {
        problems.push((
            "responses.200".into(),
            "no application/json answer (and no x-lark-file-download)".into(),
        ));
        return UpResponse::Empty;
    };
    let envelope = match doc.resolve(schema) {
        Ok((s, _)) => s,
        Err(e) => {
            problems.push(("responses.200".into(), e));
            return UpResponse::Empty;
        }
    };
    let owner = format!("{operation_name}Response");
    let props = map_of(envelope, "properties");
    let others: Vec<&str> = props
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.as_str())
        .filter(|k| !matches!(*k, "code" | "msg"))
        .collect();
    let loc = Loc {
        key: format!("{id}:response"),
        field: "responses.200".into(),
    };
    match others.as_slice() {
        [] => UpResponse::Empty,
        ["data"] => {
            let data = props.and_then(|p| p.get("data")).expect("listed");
            let data_loc = Loc {
                key: loc.key.clone(),
                field: "responses.200.data".into(),
            };
            if let Ok((d, _)) = doc.resolve(data) {
                if str_of(d, "type").is_some_and(|t| t != "object") {
                    problems.push((
                        "responses.200.data".into(),
                        format!(
                            "a `data` of type `{}` is not supported (an object only)",
                            str_of(d, "type").unwrap_or("")
                        ),
                    ));
                    return UpResponse::Empty;
                }
            }
            let fields = schemas.fields(data, &data_loc, &owner, false);
            if fields.is_empty() {
                UpResponse::Empty
            } else {
                UpResponse::Json(fields)
            }
        }
        keys if keys.contains(&"data") => {
            problems.push((
                "responses.200".into(),
                format!(
                    "an answer with `data` and other fields next to it ({}) is not supported",
                    keys.join(", ")
                ),
            ));
            UpResponse::Empty
        }
        _ => {
            let mut fields = schemas.fields(envelope, &loc, &owner, false);
            fields.retain(|f| f.name != "code" && f.name != "msg");
            UpResponse::Flat(fields)
        }
    }
}

/// A paging operation needs `page_token` in the query, and `page_token`, `has_more` and an
/// array of items in `data`.
fn check_pagination(
    query: &[UpQueryParam],
    response: &UpResponse,
    problems: &mut Vec<(String, String)>,
) {
    if !query.iter().any(|q| q.name == "page_token" && !q.required) {
        problems.push((
            "x-lark-pagination".into(),
            "paginated, but there is no optional page_token query parameter".into(),
        ));
    }
    if let UpResponse::Json(fields) = response {
        if !fields
            .iter()
            .any(|f| f.name == "page_token" && f.ty == "string")
        {
            problems.push((
                "x-lark-pagination".into(),
                "paginated, but data has no string page_token".into(),
            ));
        }
        if !fields
            .iter()
            .any(|f| f.name == "has_more" && f.ty == "boolean")
        {
            problems.push((
                "x-lark-pagination".into(),
                "paginated, but data has no boolean has_more".into(),
            ));
        }
        if items_field(fields).is_none() {
            problems.push((
                "x-lark-pagination".into(),
                "paginated, but data has no items array (nor exactly one array)".into(),
            ));
        }
    }
}

/// The array of a page: `items`, else the one array field of `data`.
pub fn items_field(fields: &[UpField]) -> Option<&str> {
    if let Some(f) = fields
        .iter()
        .find(|f| f.name == "items" && f.ty.starts_with("array<"))
    {
        return Some(&f.name);
    }
    let arrays: Vec<&UpField> = fields
        .iter()
        .filter(|f| f.ty.starts_with("array<"))
        .collect();
    match arrays.as_slice() {
        [one] => Some(&one.name),
        _ => None,
    }
}
