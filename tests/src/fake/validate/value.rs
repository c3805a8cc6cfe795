//! Type checks of JSON values and of text values (query parameters, form fields) against
//! the model's types. Integers are JSON numbers or decimal strings; enums are closed;
//! unknown object fields are ignored; `null` counts as absent.

use lark_codegen::model::{FieldDef, Ty, VersionModel};
use serde_json::{Map, Value};

use super::join;

/// Checks an object: required fields present, every present field of its type.
pub(crate) fn check_fields(
    obj: &Map<String, Value>,
    fields: &[FieldDef],
    at: &str,
    v: &VersionModel,
) -> Result<(), String> {
    for f in fields {
        let path = join(at, &f.wire);
        match obj.get(&f.wire) {
            None | Some(Value::Null) if f.required => return Err(format!("{path} is required")),
            None | Some(Value::Null) => {}
            Some(value) => check_value(value, &f.ty, &path, v)?,
        }
    }
    Ok(())
}

/// Checks one JSON value against a type, recursively through named types.
pub(crate) fn check_value(
    value: &Value,
    ty: &Ty,
    at: &str,
    v: &VersionModel,
) -> Result<(), String> {
    let bad = |what: &str| Err(format!("{at}: expected {what}, got {}", describe(value)));
    match ty {
        Ty::String if value.is_string() => Ok(()),
        Ty::String => bad("a string"),
        Ty::Integer | Ty::Int64 if is_integer(value) => Ok(()),
        Ty::Integer | Ty::Int64 => bad("an integer (a number or a decimal string)"),
        Ty::Number if value.is_number() => Ok(()),
        Ty::Number => bad("a number"),
        Ty::Boolean if value.is_boolean() => Ok(()),
        Ty::Boolean => bad("a boolean"),
        Ty::Json => Ok(()),
        Ty::File => bad("a file part"),
        Ty::Enum(name) => match value.as_str() {
            Some(s) => check_enum(s, name, at, v),
            None => bad("a string"),
        },
        Ty::Object(name) => match (value.as_object(), v.structs.get(name)) {
            (Some(obj), Some(def)) => check_fields(obj, &def.fields, at, v),
            (Some(_), None) => Ok(()),
            (None, _) => bad("an object"),
        },
        Ty::Array(inner) => match value.as_array() {
            Some(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| check_value(item, inner, &format!("{at}[{i}]"), v)),
            None => bad("an array"),
        },
        Ty::Map(inner) => match value.as_object() {
            Some(obj) => obj
                .iter()
                .try_for_each(|(k, item)| check_value(item, inner, &join(at, k), v)),
            None => bad("an object"),
        },
    }
}

/// Checks a value given as text (a query parameter or a form field).
pub(crate) fn check_text(text: &str, ty: &Ty, at: &str, v: &VersionModel) -> Result<(), String> {
    let ok = match ty {
        Ty::Integer | Ty::Int64 => text.trim().parse::<i64>().is_ok(),
        Ty::Number => text.trim().parse::<f64>().is_ok(),
        Ty::Boolean => matches!(text, "true" | "false"),
        Ty::Enum(name) => return check_enum(text, name, at, v),
        Ty::Json => serde_json::from_str::<Value>(text).is_ok(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{at}: {text:?} is not {}", ty_name(ty)))
    }
}

fn check_enum(s: &str, name: &str, at: &str, v: &VersionModel) -> Result<(), String> {
    let Some(def) = v.enums.get(name) else {
        return Ok(());
    };
    if def.values.iter().any(|x| x.wire == s) {
        return Ok(());
    }
    let values: Vec<&str> = def.values.iter().map(|x| x.wire.as_str()).collect();
    Err(format!("{at}: {s:?} is not one of {}", values.join(", ")))
}

/// A JSON number that fits an i64, or a decimal string of one.
pub(crate) fn is_integer(value: &Value) -> bool {
    value.as_i64().is_some()
        || value
            .as_str()
            .is_some_and(|s| s.trim().parse::<i64>().is_ok())
}

fn ty_name(ty: &Ty) -> &'static str {
    match ty {
        Ty::Integer | Ty::Int64 => "an integer",
        Ty::Number => "a number",
        Ty::Boolean => "a boolean (true or false)",
        Ty::Json => "JSON",
        _ => "valid",
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
