//! The report of what a maintainer still has to write: prose (summaries, descriptions,
//! error meanings and advice) and the names the metadata cannot give (a `rust_name` for a
//! keyword or a value that is no identifier).

use std::collections::BTreeMap;

use lark_codegen::names::{is_call_method, is_keyword, upper_camel};
use lark_codegen::spec::{
    CatalogueEntry, EndpointSpec, EnumValue, Field, ObjectType, QueryParam, RequestBody, Response,
};

use super::catalogue;

/// One line per missing item of an endpoint spec: `<file>: <field>: missing prose`.
pub fn endpoint(
    file: &str,
    spec: &EndpointSpec,
    catalogue: &[CatalogueEntry],
    out: &mut Vec<String>,
) {
    let mut line = |field: String, what: String| out.push(format!("{file}: {field}: {what}"));
    let prose = || "missing prose".to_string();
    if spec.summary.trim().is_empty() {
        line("summary".into(), prose());
    }
    if spec
        .description
        .as_deref()
        .is_none_or(|d| d.trim().is_empty())
    {
        line("description".into(), prose());
    }
    for (i, p) in spec.path_params.iter().enumerate() {
        if p.description.trim().is_empty() {
            line(format!("path_params[{i}].description"), prose());
        }
    }
    for (i, q) in spec.query_params.iter().enumerate() {
        query(&format!("query_params[{i}]"), q, &mut line);
    }
    match &spec.request_body {
        RequestBody::Json { fields } | RequestBody::Multipart { fields } => {
            fields_of("request_body.fields", fields, &mut line)
        }
        RequestBody::None => {}
    }
    match &spec.response {
        Response::Json { data_fields } => fields_of("response.data_fields", data_fields, &mut line),
        Response::Flat { fields } => fields_of("response.fields", fields, &mut line),
        _ => {}
    }
    for (i, row) in spec.errors.iter().enumerate() {
        let missing = catalogue::missing(row, catalogue);
        if !missing.is_empty() {
            line(
                format!("errors[{i}]"),
                format!(
                    "missing prose (code {}: {}; or an entry in the version's errors.json)",
                    row.code,
                    missing.join(", ")
                ),
            );
        }
    }
}

/// One line per missing item of the named types in `names` (from `types.json`).
pub fn types(
    file: &str,
    types: &BTreeMap<String, ObjectType>,
    names: &[String],
    origins: &BTreeMap<String, String>,
    out: &mut Vec<String>,
) {
    let mut line = |field: String, what: String| out.push(format!("{file}: {field}: {what}"));
    for name in names {
        let Some(object) = types.get(name) else {
            continue;
        };
        if object.description.trim().is_empty() {
            let hint = origins
                .get(name)
                .map(|o| format!(" (from `{o}`; import.json `type_names` can rename it)"))
                .unwrap_or_default();
            line(
                format!("types.{name}.description"),
                format!("missing prose{hint}"),
            );
        }
        fields_of(&format!("types.{name}.fields"), &object.fields, &mut line);
    }
}

fn query(at: &str, q: &QueryParam, line: &mut impl FnMut(String, String)) {
    if q.description.trim().is_empty() {
        line(format!("{at}.description"), "missing prose".into());
    }
    if q.rust_name.is_none() && is_keyword(&q.name) {
        line(
            format!("{at}.rust_name"),
            format!("missing: `{}` is a Rust keyword", q.name),
        );
    }
    if q.rust_name.is_none() && !q.required && is_call_method(&q.name) {
        line(
            format!("{at}.rust_name"),
            format!("missing: `{}` is a method of every call", q.name),
        );
    }
    if let Some(values) = &q.enum_values {
        enum_values(&format!("{at}.enum"), values, line);
    }
}

fn fields_of(at: &str, fields: &[Field], line: &mut impl FnMut(String, String)) {
    for (i, f) in fields.iter().enumerate() {
        let at = format!("{at}[{i}]");
        if f.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
            line(format!("{at}.description"), "missing prose".into());
        }
        if f.rust_name.is_none() && is_keyword(&f.name) {
            line(
                format!("{at}.rust_name"),
                format!("missing: `{}` is a Rust keyword", f.name),
            );
        }
        if let Some(values) = &f.enum_values {
            enum_values(&format!("{at}.enum"), values, line);
        }
    }
}

fn enum_values(at: &str, values: &[EnumValue], line: &mut impl FnMut(String, String)) {
    for (i, v) in values.iter().enumerate() {
        if v.description.trim().is_empty() {
            line(format!("{at}[{i}].description"), "missing prose".into());
        }
        if v.rust_name.is_none() && upper_camel(&v.value).is_none() {
            line(
                format!("{at}[{i}].rust_name"),
                format!("missing: `{}` cannot become a variant name", v.value),
            );
        }
    }
}
