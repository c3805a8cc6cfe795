//! Synthesized answers, built from the response model, deterministic: a field's `example`
//! (converted to its type), else a value from its type (`"<wire>_value"`, an id-like
//! value for `*_id`/`*_key` fields, 1, `false`, an enum's first value, one array element,
//! an empty map, objects with all their fields down to [`FULL_DEPTH`]). Paginated answers
//! serve 3 pages of 2 distinct items, driven by page tokens. [`fit`] shapes a store
//! answer into the model's field names and types the same way.

use bytes::Bytes;
use lark_codegen::model::{
    EndpointModel, FieldDef, PaginationDef, ResponseModel, Ty, VersionModel,
};
use serde_json::{json, Map, Value};

use super::call::Call;
use super::content::content_bytes;
use super::ids;
use super::outcome::Outcome;
use super::resources::Disposition;
use super::served::Served;
use super::validate::{check_value, Invalid};

/// Objects down to this depth (counted in nested objects) get every field; deeper ones
/// only their required fields.
pub const FULL_DEPTH: usize = 3;
/// Past this depth objects are left empty (only a type cycle gets there).
const MAX_DEPTH: usize = 8;
/// Pages of a synthesized listing.
pub const SYNTH_PAGES: usize = 3;
/// Items per synthesized page.
pub const SYNTH_PAGE_ITEMS: usize = 2;
/// Size of a synthesized binary body.
const SYNTH_BINARY_SIZE: usize = 1024;

/// The synthesized success answer of `ep` for `call`.
pub(crate) fn answer(ep: &EndpointModel, v: &VersionModel, call: &Call) -> Outcome {
    match &ep.response {
        ResponseModel::Binary(_) => {
            let key = format!("{} {:?}", ep.spec.id, call.path);
            let bytes = content_bytes(ids::stable_hash(&key), 0, SYNTH_BINARY_SIZE);
            let name = ep.path_params.last().map_or_else(
                || "file".to_owned(),
                |p| call.path_param(&p.wire).to_owned(),
            );
            Outcome::Binary(Box::new(Served::bytes(
                Bytes::from(bytes),
                "application/octet-stream",
                Disposition::Plain(format!("{name}.bin")),
            )))
        }
        ResponseModel::Json(fields) | ResponseModel::Flat(fields) => {
            let mut data = object_of(fields, v, 0);
            if let Some(p) = &ep.pagination {
                if let Err(invalid) = page(p, v, call, &mut data) {
                    return Outcome::Invalid(invalid);
                }
            }
            Outcome::Json(data)
        }
        ResponseModel::Empty => Outcome::Json(Map::new()),
    }
}

/// Page `n` of 3: items `2n-1` and `2n`, `has_more` and the next token.
fn page(
    p: &PaginationDef,
    v: &VersionModel,
    call: &Call,
    data: &mut Map<String, Value>,
) -> Result<(), Invalid> {
    let number = match call.query(&p.request_token).filter(|t| !t.is_empty()) {
        None => 1,
        Some(token) => token
            .strip_prefix("synth_page_")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (2..=SYNTH_PAGES).contains(n))
            .ok_or_else(|| {
                Invalid::with_row(
                    format!(
                        "query.{}: {token:?} is not a page token of this listing",
                        p.request_token
                    ),
                    "invalid_page_token",
                )
            })?,
    };
    let items: Vec<Value> = (1..=SYNTH_PAGE_ITEMS)
        .map(|i| {
            let mut item = value(&p.item, None, &p.items, v, 1);
            distinguish(&mut item, (number - 1) * SYNTH_PAGE_ITEMS + i);
            item
        })
        .collect();
    let more = number < SYNTH_PAGES;
    data.insert(p.items.clone(), Value::Array(items));
    data.insert(p.has_more.clone(), Value::Bool(more));
    let next = if more {
        format!("synth_page_{}", number + 1)
    } else {
        String::new()
    };
    data.insert(p.response_token.clone(), Value::String(next));
    Ok(())
}

/// Appends `_<n>` to the id-like strings of an item, so the items of a page differ.
fn distinguish(item: &mut Value, n: usize) {
    match item {
        Value::String(s) => s.push_str(&format!("_{n}")),
        Value::Object(obj) => {
            for (k, child) in obj.iter_mut() {
                match child {
                    Value::String(s) if id_like(k) => s.push_str(&format!("_{n}")),
                    Value::Object(_) | Value::Array(_) => distinguish(child, n),
                    _ => {}
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| distinguish(i, n)),
        _ => {}
    }
}

fn id_like(wire: &str) -> bool {
    wire == "id" || wire.ends_with("_id") || wire.ends_with("_key")
}

/// The fields of an object (all of them down to [`FULL_DEPTH`], then only required ones).
pub(crate) fn object_of(fields: &[FieldDef], v: &VersionModel, depth: usize) -> Map<String, Value> {
    let mut out = Map::new();
    if depth > MAX_DEPTH {
        return out;
    }
    for f in fields {
        if depth > FULL_DEPTH && !f.required {
            continue;
        }
        out.insert(
            f.wire.clone(),
            value(&f.ty, f.example.as_ref(), &f.wire, v, depth),
        );
    }
    out
}

/// A value of `ty` for a field named `wire`: its example if it converts, else one made
/// from the type.
pub(crate) fn value(
    ty: &Ty,
    example: Option<&Value>,
    wire: &str,
    v: &VersionModel,
    depth: usize,
) -> Value {
    if let Some(converted) = example.and_then(|e| convert(e, ty, v)) {
        return converted;
    }
    match ty {
        Ty::String => Value::String(string_for(wire)),
        Ty::Integer | Ty::Int64 => json!(1),
        Ty::Number => json!(1.0),
        Ty::Boolean => json!(false),
        Ty::Json | Ty::Map(_) => json!({}),
        Ty::File => Value::Null,
        Ty::Enum(name) => v
            .enums
            .get(name)
            .and_then(|e| e.values.first())
            .map_or_else(|| json!(""), |x| json!(x.wire)),
        Ty::Object(name) => match v.structs.get(name) {
            Some(def) => Value::Object(object_of(&def.fields, v, depth + 1)),
            None => json!({}),
        },
        Ty::Array(inner) => json!([value(inner, None, wire, v, depth)]),
    }
}

/// An example converted to `ty`, if it can be.
fn convert(example: &Value, ty: &Ty, v: &VersionModel) -> Option<Value> {
    let text = example.as_str();
    match ty {
        Ty::String => Some(match example {
            Value::String(s) => Value::String(s.clone()),
            other => Value::String(other.to_string()),
        }),
        Ty::Integer | Ty::Int64 => example
            .as_i64()
            .or_else(|| text.and_then(|t| t.trim().parse().ok()))
            .map(Value::from),
        Ty::Number => example
            .as_f64()
            .or_else(|| text.and_then(|t| t.trim().parse().ok()))
            .map(|n| json!(n)),
        Ty::Boolean => example
            .as_bool()
            .or_else(|| text.and_then(|t| t.parse().ok()))
            .map(Value::Bool),
        Ty::File => None,
        _ => check_value(example, ty, "example", v)
            .is_ok()
            .then(|| example.clone()),
    }
}

/// A deterministic string for a field: id-like for ids and keys, else `<wire>_value`.
fn string_for(wire: &str) -> String {
    let prefix = match wire {
        "message_id" | "root_id" | "parent_id" | "upper_message_id" => "om_fake_synth",
        "chat_id" => "oc_fake_synth",
        "thread_id" => "omt_fake_synth",
        "open_id" | "owner_id" | "operator_id" | "member_id" | "user_id" => "ou_fake_synth",
        "image_key" => "img_v2_fake_synth",
        "file_key" => "file_v2_fake_synth",
        _ if id_like(wire) => return format!("{wire}_fake_synth"),
        _ => return format!("{wire}_value"),
    };
    prefix.to_owned()
}

/// Shapes `candidates` into the object `fields` describe: fields in model order, values
/// converted to their types (a number for an integer given as text, …), objects fitted
/// recursively, a missing or unconvertible required field synthesized, unknown keys
/// dropped.
pub(crate) fn fit(
    fields: &[FieldDef],
    candidates: &Map<String, Value>,
    v: &VersionModel,
    depth: usize,
) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        match candidates.get(&f.wire) {
            Some(value) if !value.is_null() => {
                out.insert(f.wire.clone(), conform(value, f, &f.ty, v, depth));
            }
            _ if f.required => {
                out.insert(
                    f.wire.clone(),
                    self::value(&f.ty, f.example.as_ref(), &f.wire, v, depth),
                );
            }
            _ => {}
        }
    }
    out
}

fn conform(value: &Value, f: &FieldDef, ty: &Ty, v: &VersionModel, depth: usize) -> Value {
    match (ty, value) {
        (Ty::Object(name), Value::Object(obj)) => match v.structs.get(name) {
            Some(def) => Value::Object(fit(&def.fields, obj, v, depth + 1)),
            None => value.clone(),
        },
        (Ty::Array(inner), Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|i| conform(i, f, inner, v, depth + 1))
                .collect(),
        ),
        _ if check_value(value, ty, "", v).is_ok() => value.clone(),
        _ => convert(value, ty, v).unwrap_or_else(|| self::value(ty, None, &f.wire, v, depth)),
    }
}
