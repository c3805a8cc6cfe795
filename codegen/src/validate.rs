//! Checks that a parsed spec is consistent: everything serde cannot see on its own.

use std::collections::{BTreeMap, BTreeSet};

use crate::load::{LoadedEvent, LoadedSpec, LoadedTypes, Problem};
use crate::names::{is_call_method, is_keyword, is_plain_ident, is_snake_case, upper_camel};
use crate::spec::{EndpointSpec, EnumValue, Field, ObjectType, RequestBody, Response};

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
const TOKEN_TYPES: &[&str] = &["tenant", "user", "app"];
const APP_TYPES: &[&str] = &["custom", "store"];
const PATH_TYPES: &[&str] = &["string", "integer"];
const QUERY_TYPES: &[&str] = &["string", "integer", "int64", "boolean"];
/// Error-row names whose `is_<name>()` predicate or variant the generated enum already has.
const RESERVED_ERROR_NAMES: &[&str] = &["unhandled", "retryable"];

/// Collects the problems of one spec.
struct Checker<'a> {
    file: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            field: field.into(),
            message: message.into(),
        });
    }
}

/// Validates every spec on its own and the set as a whole (unique ids). Problems come out
/// sorted by file and field.
pub fn validate_all(
    specs: &[LoadedSpec],
    types: &[LoadedTypes],
    errors: &[crate::load::LoadedErrors],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for e in errors {
        let mut c = Checker {
            file: &e.path,
            problems: Vec::new(),
        };
        check_catalogue(&mut c, &e.catalogue);
        problems.extend(c.problems);
    }
    for t in types {
        let mut c = Checker {
            file: &t.path,
            problems: Vec::new(),
        };
        check_types(&mut c, &t.types.types);
        problems.extend(c.problems);
    }
    let mut ids: BTreeMap<&str, &str> = BTreeMap::new();
    for loaded in specs {
        problems.extend(validate(loaded));
        if let Some(first) = ids.insert(&loaded.spec.id, &loaded.path) {
            problems.push(Problem {
                file: loaded.path.clone(),
                field: "id".into(),
                message: format!("id `{}` is also used by {first}", loaded.spec.id),
            });
        }
    }
    problems.sort();
    problems
}

/// Validates one spec.
pub fn validate(loaded: &LoadedSpec) -> Vec<Problem> {
    let mut c = Checker {
        file: &loaded.path,
        problems: Vec::new(),
    };
    let spec = &loaded.spec;
    check_id(&mut c, &loaded.path, &spec.id);
    if spec.summary.trim().is_empty() {
        c.report("summary", "must not be empty");
    }
    if !spec.doc_url.starts_with("https://") {
        c.report(
            "doc_url",
            format!("`{}` is not an https:// link", spec.doc_url),
        );
    }
    if !METHODS.contains(&spec.http_method.as_str()) {
        c.report(
            "http_method",
            format!(
                "`{}` is not one of {}",
                spec.http_method,
                METHODS.join(", ")
            ),
        );
    }
    check_path(&mut c, spec);
    check_query(&mut c, spec);
    // An empty list means the endpoint takes no token (the auth endpoints).
    if !spec.access_tokens.is_empty() {
        check_list(
            &mut c,
            "access_tokens",
            &spec.access_tokens,
            TOKEN_TYPES,
            "token type",
        );
    }
    check_list(&mut c, "app_types", &spec.app_types, APP_TYPES, "app type");
    if let Some(rl) = &spec.rate_limit {
        if rl.per_minute.is_none() && rl.per_second.is_none() {
            c.report("rate_limit", "give per_minute, per_second or both");
        }
        if rl.per_minute == Some(0) || rl.per_second == Some(0) {
            c.report(
                "rate_limit",
                "a limit of 0 requests allows nothing: leave it out instead",
            );
        }
    }
    for (i, scope) in spec.scopes_any_of.iter().enumerate() {
        if scope.trim().is_empty() || scope.contains(char::is_whitespace) {
            c.report(
                format!("scopes_any_of[{i}]"),
                format!("`{scope}` is not a scope name"),
            );
        } else if spec.scopes_any_of[..i].contains(scope) {
            c.report(
                format!("scopes_any_of[{i}]"),
                format!("`{scope}` is listed twice"),
            );
        }
    }
    check_types(&mut c, &spec.types);
    check_body(&mut c, spec);
    check_response(&mut c, spec);
    check_pagination(&mut c, spec);
    check_errors(&mut c, spec);
    c.problems
}

fn check_id(c: &mut Checker, path: &str, id: &str) {
    let parts: Vec<&str> = id.split('.').collect();
    if parts.len() != 4 || !parts.iter().all(|p| is_snake_case(p)) {
        c.report(
            "id",
            format!("`{id}` is not `service.version.resource.method` in snake_case"),
        );
        return;
    }
    let expected = format!("spec/{}.json", parts.join("/"));
    if path != expected {
        c.report(
            "id",
            format!(
                "`{id}` does not match the file's location: a spec at {path} has id `{}`; fix the id, or move the file to {expected}",
                path.trim_start_matches("spec/").trim_end_matches(".json").replace('/', ".")
            ),
        );
    }
}

fn check_path(c: &mut Checker, spec: &EndpointSpec) {
    if !spec.path.starts_with("/open-apis/") {
        c.report(
            "path",
            format!("`{}` does not start with /open-apis/", spec.path),
        );
    }
    let mut in_path: Vec<&str> = Vec::new();
    for segment in spec.path.split('/') {
        if let Some(name) = segment.strip_prefix(':') {
            if in_path.contains(&name) {
                c.report("path", format!("`:{name}` appears more than once"));
            }
            in_path.push(name);
        } else if segment.contains([':', '?', '#', ' ']) {
            c.report(
                "path",
                format!("segment `{segment}` has a character a path template cannot hold"),
            );
        }
    }
    let declared: Vec<&str> = spec.path_params.iter().map(|p| p.name.as_str()).collect();
    for name in &in_path {
        if !declared.contains(name) {
            c.report("path", format!("`:{name}` has no entry in path_params"));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, p) in spec.path_params.iter().enumerate() {
        let field = format!("path_params[{i}]");
        if !seen.insert(p.name.as_str()) {
            c.report(
                format!("{field}.name"),
                format!("`{}` is declared twice", p.name),
            );
        }
        if !in_path.contains(&p.name.as_str()) {
            c.report(
                format!("{field}.name"),
                format!("`{}` does not appear as `:{}` in path", p.name, p.name),
            );
        }
        if is_keyword(&p.name) {
            c.report(
                format!("{field}.name"),
                format!(
                    "`{}` is a Rust keyword and cannot name a path parameter",
                    p.name
                ),
            );
        } else if !is_snake_case(&p.name) {
            c.report(
                format!("{field}.name"),
                format!("`{}` is not a snake_case identifier", p.name),
            );
        }
        check_example(c, &format!("{field}.example"), &p.ty, p.example.as_deref());
        if !PATH_TYPES.contains(&p.ty.as_str()) {
            c.report(
                format!("{field}.type"),
                format!("`{}` is not one of {}", p.ty, PATH_TYPES.join(", ")),
            );
        }
        if let Some(chars) = &p.allowed_chars {
            if let Err(why) = check_char_class(chars) {
                c.report(format!("{field}.allowed_chars"), why);
            }
        }
    }
}

/// Checks the body of a regex character class: literals and `a-z` ranges, no brackets.
fn check_char_class(class: &str) -> Result<(), String> {
    if class.is_empty() {
        return Err("must not be empty".into());
    }
    let chars: Vec<char> = class.chars().collect();
    if chars.iter().any(|c| matches!(c, '[' | ']' | '\\' | '^')) {
        return Err(format!(
            "`{class}`: write the class body only (like A-Za-z0-9_-), without [ ] \\ ^"
        ));
    }
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' && chars[i] > chars[i + 2] {
            return Err(format!(
                "`{class}`: range {}-{} is reversed",
                chars[i],
                chars[i + 2]
            ));
        }
        i += if i + 2 < chars.len() && chars[i + 1] == '-' {
            3
        } else {
            1
        };
    }
    Ok(())
}

fn check_query(c: &mut Checker, spec: &EndpointSpec) {
    let mut seen = BTreeSet::new();
    // Path and query parameters become fields of one request struct.
    let mut rust_names: BTreeMap<&str, String> = spec
        .path_params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), format!("path_params[{i}]")))
        .collect();
    for (i, q) in spec.query_params.iter().enumerate() {
        let field = format!("query_params[{i}]");
        let rust_name = q.rust_name.as_deref().unwrap_or(&q.name);
        if let Some(other) = rust_names.insert(rust_name, field.clone()) {
            c.report(
                format!("{field}.name"),
                format!("Rust name `{rust_name}` is also used by {other}: give a rust_name"),
            );
        }
        if q.enum_values.is_none() {
            check_example(c, &format!("{field}.example"), &q.ty, q.example.as_deref());
        } else if let (Some(example), Some(values)) = (&q.example, &q.enum_values) {
            if !values.iter().any(|v| &v.value == example) {
                c.report(
                    format!("{field}.example"),
                    format!("`{example}` is not one of the enum values"),
                );
            }
        }
        if !seen.insert(q.name.as_str()) {
            c.report(
                format!("{field}.name"),
                format!("`{}` is declared twice", q.name),
            );
        }
        let rust_name = q.rust_name.as_deref().unwrap_or(&q.name);
        // Where a problem of the Rust name is: the rust_name if given, else the name.
        let named_at = format!(
            "{field}.{}",
            if q.rust_name.is_some() {
                "rust_name"
            } else {
                "name"
            }
        );
        if q.rust_name.is_none() && is_keyword(&q.name) {
            c.report(
                format!("{field}.rust_name"),
                format!("`{}` is a Rust keyword: give a rust_name", q.name),
            );
        } else if !q.required && is_call_method(rust_name) {
            c.report(
                named_at,
                format!(
                    "`{rust_name}` would be a setter of the call, which has a method of that name: give a rust_name"
                ),
            );
        } else if !is_snake_case(rust_name) {
            c.report(
                named_at,
                format!("`{rust_name}` is not a snake_case Rust identifier"),
            );
        }
        if !QUERY_TYPES.contains(&q.ty.as_str()) {
            c.report(
                format!("{field}.type"),
                format!("`{}` is not one of {}", q.ty, QUERY_TYPES.join(", ")),
            );
        }
        if let Some(values) = &q.enum_values {
            if q.ty != "string" {
                c.report(
                    format!("{field}.enum"),
                    "enums are only allowed on string parameters",
                );
            }
            check_enum(c, &format!("{field}.enum"), values);
        }
        if let Some(name) = &q.enum_type_name {
            if q.ty != "string" {
                c.report(
                    format!("{field}.enum_type_name"),
                    "enums are only allowed on string parameters",
                );
            } else if upper_camel(name).as_deref() != Some(name.as_str()) {
                c.report(
                    format!("{field}.enum_type_name"),
                    format!("`{name}` is not an UpperCamelCase identifier"),
                );
            }
        }
    }
}

/// An example must be a value of its parameter's type (it is pasted into doctests).
fn check_example(c: &mut Checker, field: &str, ty: &str, example: Option<&str>) {
    let Some(example) = example else { return };
    let ok = match ty {
        "integer" => example.parse::<i32>().is_ok(),
        "int64" => example.parse::<i64>().is_ok(),
        "boolean" => matches!(example, "true" | "false"),
        _ => true,
    };
    if !ok {
        c.report(field, format!("`{example}` is not a valid {ty}"));
    }
}

fn check_enum(c: &mut Checker, field: &str, values: &[EnumValue]) {
    if values.is_empty() {
        c.report(field, "must list at least one value");
    }
    let mut variants = BTreeMap::new();
    for (i, v) in values.iter().enumerate() {
        let source = v.rust_name.as_deref().unwrap_or(&v.value);
        match upper_camel(source) {
            None => c.report(
                format!("{field}[{i}].value"),
                format!("`{source}` cannot become a Rust identifier: give a rust_name"),
            ),
            Some(variant) if variant == "Unknown" => c.report(
                format!("{field}[{i}].value"),
                format!("`{source}` becomes variant `Unknown`, which every enum keeps for values it does not know: give a rust_name"),
            ),
            Some(variant) => {
                if let Some(other) = variants.insert(variant.clone(), i) {
                    c.report(
                        format!("{field}[{i}].value"),
                        format!("`{}` becomes variant `{variant}`, like {field}[{other}]: give a rust_name", v.value),
                    );
                }
            }
        }
    }
}

fn check_list(c: &mut Checker, field: &str, items: &[String], allowed: &[&str], what: &str) {
    if items.is_empty() {
        c.report(field, format!("must list at least one {what}"));
    }
    for (i, item) in items.iter().enumerate() {
        if !allowed.contains(&item.as_str()) {
            c.report(
                format!("{field}[{i}]"),
                format!(
                    "unknown {what} `{item}`; expected one of {}",
                    allowed.join(", ")
                ),
            );
        } else if items[..i].contains(item) {
            c.report(format!("{field}[{i}]"), format!("`{item}` is listed twice"));
        }
    }
}

/// Checks a type expression; `multipart` allows `file`.
/// Names are resolved by the type model, which sees the whole service version.
fn check_type(c: &mut Checker, field: &str, ty: &str, multipart: bool) {
    if let Some(inner) = ty.strip_prefix("array<").and_then(|t| t.strip_suffix('>')) {
        return check_type(c, field, inner, false);
    }
    if let Some(inner) = ty.strip_prefix("map<").and_then(|t| t.strip_suffix('>')) {
        return check_type(c, field, inner, false);
    }
    if let Some(name) = ty.strip_prefix("object:") {
        if upper_camel(name).as_deref() != Some(name) {
            c.report(
                field,
                format!("`{name}` is not an UpperCamelCase type name"),
            );
        }
        return;
    }
    match ty {
        "string" | "integer" | "int64" | "number" | "boolean" | "json" => {}
        "file" if multipart => {}
        "file" => c.report(field, "`file` is only allowed at the top level of a multipart body"),
        _ => c.report(
            field,
            format!("unknown type `{ty}`; expected string, integer, int64, number, boolean, json, file, object:<Name>, array<T> or map<T>"),
        ),
    }
}

fn check_fields(c: &mut Checker, field: &str, fields: &[Field], multipart: bool) {
    let mut seen = BTreeSet::new();
    for (i, f) in fields.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if !seen.insert(f.name.as_str()) {
            c.report(
                format!("{at}.name"),
                format!("`{}` is declared twice", f.name),
            );
        }
        let rust_name = f.rust_name.as_deref().unwrap_or(&f.name);
        if f.rust_name.is_none() && is_keyword(&f.name) {
            c.report(
                format!("{at}.rust_name"),
                format!("`{}` is a Rust keyword: give a rust_name", f.name),
            );
        } else if !is_plain_ident(&heck::ToSnakeCase::to_snake_case(rust_name)) {
            c.report(
                format!("{at}.name"),
                format!("`{rust_name}` cannot become a Rust field name: give a rust_name"),
            );
        }
        check_type(c, &format!("{at}.type"), &f.ty, multipart);
        if let Some(name) = &f.enum_type_name {
            if f.ty != "string" {
                c.report(
                    format!("{at}.enum_type_name"),
                    "enums are only allowed on string fields",
                );
            } else if upper_camel(name).as_deref() != Some(name.as_str()) {
                c.report(
                    format!("{at}.enum_type_name"),
                    format!("`{name}` is not an UpperCamelCase type name"),
                );
            }
        }
        if let Some(values) = &f.enum_values {
            if f.ty != "string" {
                c.report(
                    format!("{at}.enum"),
                    "enums are only allowed on string fields",
                );
            }
            check_enum(c, &format!("{at}.enum"), values);
        }
        if f.max_bytes.is_some() && f.ty != "file" {
            c.report(
                format!("{at}.max_bytes"),
                "only meaningful on `file` fields",
            );
        }
        if f.secret && f.ty != "string" {
            c.report(format!("{at}.secret"), "only meaningful on `string` fields");
        }
        if let Some(sibling) = &f.message_content {
            check_message_content(c, &at, f, sibling, fields);
        }
    }
    let with_content: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.message_content.is_some())
        .map(|(i, _)| i)
        .collect();
    if let [first, _, ..] = with_content[..] {
        for i in &with_content[1..] {
            c.report(
                format!("{field}[{i}].message_content"),
                format!(
                    "only one field of an object can have `parsed_content()` (also {field}[{first}])"
                ),
            );
        }
    }
}

/// `message_content`: a required string field whose sibling, a required string (or string
/// enum) field, names the message type.
fn check_message_content(c: &mut Checker, at: &str, f: &Field, sibling: &str, fields: &[Field]) {
    let at = format!("{at}.message_content");
    if f.ty != "string" || f.enum_values.is_some() || f.enum_type_name.is_some() || !f.required {
        c.report(
            &at,
            "only a required `string` field (without enum) can hold message content",
        );
    }
    match fields.iter().find(|s| s.name == sibling) {
        _ if sibling == f.name => c.report(
            &at,
            "names the field itself: name the sibling field holding the message type",
        ),
        None => c.report(
            &at,
            format!("`{sibling}` is not a field of the same object: name the sibling field holding the message type"),
        ),
        Some(s) if s.ty != "string" || !s.required => c.report(
            &at,
            format!("`{sibling}` must be a required `string` field (it holds the message type)"),
        ),
        Some(_) => {}
    }
}

fn check_types(c: &mut Checker, types: &BTreeMap<String, ObjectType>) {
    for (name, object) in types {
        if upper_camel(name).as_deref() != Some(name.as_str()) {
            c.report(
                format!("types.{name}"),
                format!("`{name}` is not an UpperCamelCase type name"),
            );
        }
        check_fields(c, &format!("types.{name}.fields"), &object.fields, false);
    }
}

fn check_body(c: &mut Checker, spec: &EndpointSpec) {
    match &spec.request_body {
        RequestBody::None => {}
        RequestBody::Json { fields } => {
            if spec.http_method == "GET" {
                c.report("request_body.kind", "a GET request cannot carry a body");
            }
            check_fields(c, "request_body.fields", fields, false);
        }
        RequestBody::Multipart { fields } => {
            if spec.http_method != "POST" && spec.http_method != "PUT" {
                c.report("request_body.kind", "multipart bodies go with POST or PUT");
            }
            check_fields(c, "request_body.fields", fields, true);
            if !fields.iter().any(|f| f.ty == "file") {
                c.report(
                    "request_body.fields",
                    "a multipart body needs at least one `file` field",
                );
            }
        }
    }
}

fn check_response(c: &mut Checker, spec: &EndpointSpec) {
    match &spec.response {
        Response::Binary { max_bytes } => {
            if *max_bytes == 0 {
                c.report("response.max_bytes", "must be greater than zero");
            }
        }
        Response::Json { data_fields } => {
            check_fields(c, "response.data_fields", data_fields, false);
        }
        Response::Flat { fields } => check_fields(c, "response.fields", fields, false),
        Response::Empty => {}
    }
}

fn check_pagination(c: &mut Checker, spec: &EndpointSpec) {
    let Some(p) = &spec.pagination else { return };
    let query = |name: &str| spec.query_params.iter().find(|q| q.name == name);
    match query(&p.request_token) {
        Some(q) if q.required => c.report(
            "pagination.request_token",
            "the page-token query parameter must be optional",
        ),
        Some(_) => {}
        None => c.report(
            "pagination.request_token",
            format!("`{}` is not a query parameter", p.request_token),
        ),
    }
    if let Some(size) = &p.request_size {
        if query(size).is_none() {
            c.report(
                "pagination.request_size",
                format!("`{size}` is not a query parameter"),
            );
        }
    }
    let Response::Json { data_fields } = &spec.response else {
        c.report("pagination", "only JSON responses can be paginated");
        return;
    };
    let data = |name: &str| data_fields.iter().find(|f| f.name == name);
    for (field, name, want) in [
        (
            "pagination.response_token",
            &p.response_token,
            Some("string"),
        ),
        ("pagination.has_more", &p.has_more, Some("boolean")),
        ("pagination.items", &p.items, None),
    ] {
        match data(name) {
            None => c.report(
                field,
                format!("`{name}` is not a field of response.data_fields"),
            ),
            Some(f) => match want {
                Some(ty) if f.ty != ty => c.report(
                    field,
                    format!("`{name}` must be of type {ty}, not {}", f.ty),
                ),
                None if !f.ty.starts_with("array<") => {
                    c.report(field, format!("`{name}` must be an array, not {}", f.ty))
                }
                _ => {}
            },
        }
    }
}

fn check_error_name(c: &mut Checker, at: &str, name: &str) {
    if !is_snake_case(name) || RESERVED_ERROR_NAMES.contains(&name) {
        c.report(
            format!("{at}.name"),
            format!(
                "`{name}` must be a snake_case name other than {} (the generated enum uses those)",
                RESERVED_ERROR_NAMES.join(", ")
            ),
        );
    }
}

fn check_error_texts(c: &mut Checker, at: &str, texts: [(&str, Option<&String>); 2]) {
    for (key, text) in texts {
        if text.is_some_and(|t| t.trim().is_empty()) {
            c.report(format!("{at}.{key}"), "must not be empty");
        }
    }
}

/// The rows of an endpoint. What a row leaves out comes from the catalogue; the model
/// reports a row that the catalogue does not complete, and duplicate names.
fn check_errors(c: &mut Checker, spec: &EndpointSpec) {
    let mut codes = BTreeMap::new();
    for (i, row) in spec.errors.iter().enumerate() {
        let at = format!("errors[{i}]");
        if let Some(first) = codes.insert(row.code, i) {
            c.report(
                format!("{at}.code"),
                format!("duplicate code {} (also errors[{first}])", row.code),
            );
        }
        if let Some(name) = &row.name {
            check_error_name(c, &at, name);
        }
        if !(400..=599).contains(&row.http_status) && row.http_status != 200 {
            c.report(
                format!("{at}.http_status"),
                format!(
                    "{} is not an HTTP error status (400-599, or 200 for an error in a success envelope)",
                    row.http_status
                ),
            );
        }
        if row.code <= 0 {
            c.report(
                format!("{at}.code"),
                "must be a positive platform error code",
            );
        }
        // An empty server_message says the platform's metadata has none; prose is ours.
        check_error_texts(
            c,
            &at,
            [
                ("meaning", row.meaning.as_ref()),
                ("advice", row.advice.as_ref()),
            ],
        );
    }
}

/// An error catalogue: unique codes and names, snake_case names, prose given.
fn check_catalogue(c: &mut Checker, catalogue: &crate::spec::ErrorCatalogue) {
    let mut codes = BTreeMap::new();
    let mut names = BTreeMap::new();
    for (i, entry) in catalogue.errors.iter().enumerate() {
        let at = format!("errors[{i}]");
        if let Some(first) = codes.insert(entry.code, i) {
            c.report(
                format!("{at}.code"),
                format!("duplicate code {} (also errors[{first}])", entry.code),
            );
        }
        check_error_name(c, &at, &entry.name);
        if let Some(first) = names.insert(entry.name.as_str(), i) {
            c.report(
                format!("{at}.name"),
                format!("duplicate name `{}` (also errors[{first}])", entry.name),
            );
        }
        check_error_texts(
            c,
            &at,
            [
                ("meaning", Some(&entry.meaning)),
                ("advice", Some(&entry.advice)),
            ],
        );
    }
}

const EVENT_SCHEMAS: &[&str] = &["1.0", "2.0"];
const EVENT_KINDS: &[&str] = &["event", "callback"];

/// The object types of each service version, by name (the first definition in path order),
/// for checking event examples.
type TypeIndex<'a> = BTreeMap<(String, String), BTreeMap<&'a str, &'a ObjectType>>;

fn type_index<'a>(
    events: &'a [LoadedEvent],
    endpoints: &'a [LoadedSpec],
    types: &'a [LoadedTypes],
) -> TypeIndex<'a> {
    let mut sources: Vec<(&str, String, String, &BTreeMap<String, ObjectType>)> = Vec::new();
    for t in types {
        sources.push((
            &t.path,
            t.service.clone(),
            t.version.clone(),
            &t.types.types,
        ));
    }
    for e in endpoints {
        let mut parts = e.spec.id.split('.');
        if let (Some(service), Some(version)) = (parts.next(), parts.next()) {
            sources.push((&e.path, service.into(), version.into(), &e.spec.types));
        }
    }
    for e in events {
        sources.push((&e.path, e.service.clone(), e.version.clone(), &e.spec.types));
    }
    // types.json files first, then the rest in path order, as the model does.
    sources.sort_by_key(|(path, ..)| (!path.ends_with("/types.json"), *path));
    let mut index = TypeIndex::new();
    for (_, service, version, types) in sources {
        let names = index.entry((service, version)).or_default();
        for (name, object) in types {
            names.entry(name.as_str()).or_insert(object);
        }
    }
    index
}

/// Validates the event specs: each on its own, and event types unique across `spec/`.
/// The endpoints and types files are needed to resolve the types the examples use.
pub fn validate_events(
    events: &[LoadedEvent],
    endpoints: &[LoadedSpec],
    types: &[LoadedTypes],
) -> Vec<Problem> {
    let index = type_index(events, endpoints, types);
    let empty = BTreeMap::new();
    let mut problems = Vec::new();
    let mut sorted: Vec<&LoadedEvent> = events.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for e in sorted {
        let mut c = Checker {
            file: &e.path,
            problems: Vec::new(),
        };
        let known = index
            .get(&(e.service.clone(), e.version.clone()))
            .unwrap_or(&empty);
        check_event(&mut c, e, known);
        if let Some(first) = seen.insert(&e.spec.event_type, &e.path) {
            c.report(
                "event_type",
                format!("`{}` is also the event type of {first}", e.spec.event_type),
            );
        }
        problems.extend(c.problems);
    }
    problems.sort();
    problems
}

fn check_event(c: &mut Checker, e: &LoadedEvent, known: &BTreeMap<&str, &ObjectType>) {
    let spec = &e.spec;
    for (what, part) in [("service", &e.service), ("version", &e.version)] {
        if !is_snake_case(part) {
            c.report(
                ".",
                format!("the {what} directory `{part}` is not snake_case"),
            );
        }
    }
    if !is_snake_case(&e.name) || upper_camel(&e.name).is_none() {
        c.report(
            ".",
            format!(
                "file name `{}` is not snake_case: the Rust type is named after it (`message_receive_v1.json` gives `MessageReceiveV1`)",
                e.name
            ),
        );
    }
    if spec.event_type.trim().is_empty() || spec.event_type.contains(char::is_whitespace) {
        c.report(
            "event_type",
            format!("`{}` is not an event type name", spec.event_type),
        );
    }
    if !EVENT_SCHEMAS.contains(&spec.schema.as_str()) {
        c.report(
            "schema",
            format!(
                "`{}` is not one of {}",
                spec.schema,
                EVENT_SCHEMAS.join(", ")
            ),
        );
    }
    if !EVENT_KINDS.contains(&spec.kind.as_str()) {
        c.report(
            "kind",
            format!("`{}` is not one of {}", spec.kind, EVENT_KINDS.join(", ")),
        );
    } else if spec.kind == "callback" && spec.schema != "2.0" {
        c.report("kind", "callbacks come in schema 2.0 envelopes");
    }
    if spec.summary.trim().is_empty() {
        c.report("summary", "must not be empty");
    }
    if !spec.doc_url.starts_with("https://") {
        c.report(
            "doc_url",
            format!("`{}` is not an https:// link", spec.doc_url),
        );
    }
    check_types(c, &spec.types);
    check_fields(c, "fields", &spec.fields, false);
    match &spec.example {
        None => c.report(
            "example",
            "missing: give a complete, realistic `event` object (the fake server pushes it and the docs show it)",
        ),
        Some(example) => {
            check_example_object(c, "example", example, &spec.fields, known);
            if spec.schema == "1.0"
                && example.get("type").and_then(|t| t.as_str()) != Some(spec.event_type.as_str())
            {
                c.report(
                    "example.type",
                    format!(
                        "a schema 1.0 event names its type in `event.type`: it must be `{}`",
                        spec.event_type
                    ),
                );
            }
        }
    }
}

/// Whether `value` decodes into an object with `fields`: required fields present, every
/// value of its field's type, no key the spec does not declare.
fn check_example_object(
    c: &mut Checker,
    at: &str,
    value: &serde_json::Value,
    fields: &[Field],
    known: &BTreeMap<&str, &ObjectType>,
) {
    let Some(object) = value.as_object() else {
        c.report(at, format!("is {}, not a JSON object", json_kind(value)));
        return;
    };
    for f in fields {
        let field_at = format!("{at}.{}", f.name);
        let collection = f.ty.starts_with("array<") || f.ty.starts_with("map<");
        match object.get(&f.name) {
            None if f.required && !collection => {
                c.report(&field_at, "required field is missing");
            }
            None => {}
            Some(serde_json::Value::Null) if f.required || collection => {
                c.report(
                    &field_at,
                    "is null: a required field or a list needs a value (leave an optional list out)",
                );
            }
            Some(serde_json::Value::Null) => {}
            Some(v) => check_example_value(c, &field_at, v, &f.ty, f.enum_values.as_deref(), known),
        }
    }
    for key in object.keys() {
        if !fields.iter().any(|f| &f.name == key) {
            c.report(
                format!("{at}.{key}"),
                format!(
                    "`{key}` is not a declared field: declare it, or leave it out of the example"
                ),
            );
        }
    }
}

fn check_example_value(
    c: &mut Checker,
    at: &str,
    value: &serde_json::Value,
    ty: &str,
    enum_values: Option<&[EnumValue]>,
    known: &BTreeMap<&str, &ObjectType>,
) {
    use serde_json::Value;
    if let Some(inner) = ty.strip_prefix("array<").and_then(|t| t.strip_suffix('>')) {
        match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_example_value(c, &format!("{at}[{i}]"), item, inner, None, known);
                }
            }
            None => c.report(at, format!("is {}, expected an array", json_kind(value))),
        }
        return;
    }
    if let Some(inner) = ty.strip_prefix("map<").and_then(|t| t.strip_suffix('>')) {
        match value.as_object() {
            Some(entries) => {
                for (key, item) in entries {
                    check_example_value(c, &format!("{at}.{key}"), item, inner, None, known);
                }
            }
            None => c.report(at, format!("is {}, expected an object", json_kind(value))),
        }
        return;
    }
    if let Some(name) = ty.strip_prefix("object:") {
        // A name of no type is reported by the model.
        if let Some(object) = known.get(name) {
            check_example_object(c, at, value, &object.fields, known);
        }
        return;
    }
    let ok = match ty {
        "string" => match (value, enum_values) {
            (Value::String(s), Some(values)) => {
                if !values.iter().any(|v| &v.value == s) {
                    c.report(at, format!("`{s}` is not one of the enum values"));
                }
                true
            }
            (Value::String(_), None) => true,
            _ => false,
        },
        "integer" | "int64" => match value {
            Value::Number(n) => n.is_i64(),
            Value::String(s) => s.parse::<i64>().is_ok(),
            _ => false,
        },
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        // `json` takes anything; unknown types are reported by check_type.
        _ => true,
    };
    if !ok {
        c.report(
            at,
            format!("is {}, which does not decode as {ty}", json_kind(value)),
        );
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
