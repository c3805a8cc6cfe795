//! Example values as Rust source text, for the generated docs and end-to-end tests. They
//! come from the spec's `example`s, else from the type (an enum's first value, `1`, …), and
//! the fake server accepts them.

use crate::model::{constructor_fields, EndpointModel, FieldDef, ParamDef, Ty, VersionModel};

/// Rust expressions of an endpoint's example call: (argument name, expression), in the
/// order of the accessor method's arguments. `prefix` qualifies generated type names
/// (`lark_openapi::im::v1::`).
pub fn call_arguments(ep: &EndpointModel, v: &VersionModel, prefix: &str) -> Vec<(String, String)> {
    let mut args = Vec::new();
    if ep.user_token_only() {
        args.push((
            "user_access_token".to_string(),
            "\"u-your_user_access_token\"".to_string(),
        ));
    }
    for p in ep.constructor_params() {
        args.push((p.rust.clone(), param_value(p, v, prefix)));
    }
    if ep.body_has_required() {
        args.push(("body".to_string(), body_value(ep, v, prefix)));
    }
    args
}

/// The body constructor call with example values for its required fields.
pub fn body_value(ep: &EndpointModel, v: &VersionModel, prefix: &str) -> String {
    let fields: Vec<String> = constructor_fields(ep.body.fields())
        .into_iter()
        .map(|f| field_value(f, v, prefix, 0))
        .collect();
    format!(
        "{prefix}{}::{}::new({})",
        ep.resource,
        ep.names.body,
        fields.join(", ")
    )
}

/// An example of a field's value; objects recurse into their required fields (at most a
/// few levels deep).
pub fn field_value(f: &FieldDef, v: &VersionModel, prefix: &str, depth: usize) -> String {
    value_of(&f.ty, f.example.as_ref(), &f.wire, v, prefix, depth)
}

fn value_of(
    ty: &Ty,
    example: Option<&serde_json::Value>,
    name: &str,
    v: &VersionModel,
    prefix: &str,
    depth: usize,
) -> String {
    match ty {
        Ty::Object(type_name) => match v.structs.get(type_name) {
            Some(s) if depth < 4 => {
                let fields: Vec<String> = constructor_fields(&s.fields)
                    .into_iter()
                    .map(|f| field_value(f, v, prefix, depth + 1))
                    .collect();
                format!("{prefix}{type_name}::new({})", fields.join(", "))
            }
            _ => format!("{prefix}{type_name}::new()"),
        },
        Ty::Array(inner) => {
            let element = value_of(inner, None, name, v, prefix, depth + 1);
            format!("vec![{element}]")
        }
        Ty::Map(_) => "std::collections::BTreeMap::new()".to_string(),
        other => scalar(other, example, name, prefix, Some(v)),
    }
}

fn scalar(
    ty: &Ty,
    example: Option<&serde_json::Value>,
    name: &str,
    prefix: &str,
    v: Option<&VersionModel>,
) -> String {
    let text = example.map(|e| match e {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    match ty {
        Ty::String => format!("{:?}", text.unwrap_or_else(|| format!("example_{name}"))),
        Ty::Integer | Ty::Int64 => text
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(1)
            .to_string(),
        Ty::Number => text
            .and_then(|t| t.parse::<f64>().ok())
            .map_or_else(|| "1.0".to_string(), |n| format!("{n:?}")),
        Ty::Boolean => text
            .and_then(|t| t.parse::<bool>().ok())
            .unwrap_or(true)
            .to_string(),
        Ty::Json => "serde_json::json!({})".to_string(),
        Ty::File => {
            "lark_openapi::UploadFile::from_bytes(\"example.png\", vec![0x89, b'P', b'N', b'G'])"
                .to_string()
        }
        Ty::Enum(enum_name) => {
            let variant = v
                .and_then(|v| v.enums.get(enum_name))
                .and_then(|e| {
                    text.as_ref()
                        .and_then(|t| e.values.iter().find(|x| &x.wire == t))
                        .or(e.values.first())
                })
                .map(|x| x.variant.clone());
            match variant {
                Some(variant) => format!("{prefix}{enum_name}::{variant}"),
                None => format!(
                    "{prefix}{enum_name}::from_wire({:?})",
                    text.unwrap_or_default()
                ),
            }
        }
        Ty::Object(_) | Ty::Array(_) | Ty::Map(_) => "Default::default()".to_string(),
    }
}

/// An example of a path or query parameter.
fn param_value(p: &ParamDef, v: &VersionModel, prefix: &str) -> String {
    scalar(
        &p.ty,
        p.example
            .as_ref()
            .map(|e| serde_json::Value::String(e.clone()))
            .as_ref(),
        &p.wire,
        prefix,
        Some(v),
    )
}
