//! Schemas to type expressions: scalars, arrays, maps, and objects, which become named
//! types (`object:<Name>`). A `$ref` to a component is named after the component, an inline
//! object `<Owner><Field>`; `import.json` `type_names` renames either by where it is.

use std::collections::BTreeMap;

use heck::ToUpperCamelCase;
use yaml_serde::Value;

use super::document::{map_of, str_of, to_json, Document};
use super::facts::{UpField, UpObject};

/// Where a schema sits: the key `type_names` is looked up by, and the field path problems
/// name.
#[derive(Debug, Clone)]
pub struct Loc {
    /// `#/components/schemas/Data/properties/body` or `im.v1.chat.list:response.items[]`.
    pub key: String,
    /// `responses.200.data.items[].sender`: for problems.
    pub field: String,
}

impl Loc {
    fn is_pointer(&self) -> bool {
        self.key.starts_with("#/")
    }

    /// The location of a property.
    pub fn prop(&self, name: &str) -> Loc {
        Loc {
            key: if self.is_pointer() {
                format!(
                    "{}/properties/{}",
                    self.key,
                    name.replace('~', "~0").replace('/', "~1")
                )
            } else {
                format!("{}.{name}", self.key)
            },
            field: format!("{}.{name}", self.field),
        }
    }

    /// The location of an array's items.
    pub fn items(&self) -> Loc {
        Loc {
            key: if self.is_pointer() {
                format!("{}/items", self.key)
            } else {
                format!("{}[]", self.key)
            },
            field: format!("{}[]", self.field),
        }
    }

    /// The location of a map's values.
    pub fn values(&self) -> Loc {
        Loc {
            key: if self.is_pointer() {
                format!("{}/additionalProperties", self.key)
            } else {
                format!("{}{{}}", self.key)
            },
            field: format!("{}{{}}", self.field),
        }
    }
}

/// Converts the schemas of one operation; collects its named types.
pub struct Schemas<'a> {
    pub doc: &'a Document,
    /// `import.json` `type_names`.
    pub names: &'a BTreeMap<String, String>,
    /// The operation, for `first_seen`.
    pub operation: &'a str,
    /// Converting a request body (else an answer).
    pub request: bool,
    /// Named types met so far.
    pub types: BTreeMap<String, UpObject>,
    /// (field, message) problems.
    pub problems: Vec<(String, String)>,
}

/// A converted property: its type and, for strings, its values.
pub struct Converted {
    pub ty: String,
    pub enum_values: Option<Vec<String>>,
}

impl Schemas<'_> {
    fn problem(&mut self, loc: &Loc, message: impl Into<String>) {
        self.problems.push((loc.field.clone(), message.into()));
    }

    /// The fields of an object schema (its `properties`, `required` applied). `file` is
    /// allowed at this level when `multipart`.
    pub fn fields(
        &mut self,
        schema: &Value,
        loc: &Loc,
        owner: &str,
        multipart: bool,
    ) -> Vec<UpField> {
        let (schema, loc, owner) = match self.doc.resolve(schema) {
            // A component's inline objects are named after the component (or its name in
            // `type_names`), wherever it is used.
            Ok((s, Some(pointer))) => {
                let owner = self.names.get(&pointer).cloned().unwrap_or_else(|| {
                    pointer
                        .rsplit('/')
                        .next()
                        .unwrap_or(&pointer)
                        .to_upper_camel_case()
                });
                (
                    s,
                    Loc {
                        key: pointer,
                        field: loc.field.clone(),
                    },
                    owner,
                )
            }
            Ok((s, None)) => (s, loc.clone(), owner.to_string()),
            Err(e) => {
                self.problem(loc, e);
                return Vec::new();
            }
        };
        let owner = owner.as_str();
        let required: Option<Vec<&str>> = schema
            .get("required")
            .and_then(Value::as_sequence)
            .map(|r| r.iter().filter_map(Value::as_str).collect());
        let mut out = Vec::new();
        let Some(props) = map_of(schema, "properties") else {
            return out;
        };
        for (name, prop) in props {
            let Some(name) = name.as_str() else { continue };
            let at = loc.prop(name);
            let Some(converted) = self.convert(prop, &at, owner, name, multipart) else {
                continue;
            };
            let example = self.example(prop, &converted.ty, converted.enum_values.as_deref());
            out.push(UpField {
                name: name.to_string(),
                ty: converted.ty,
                required: required.as_ref().map(|r| r.contains(&name)),
                enum_values: converted.enum_values,
                example,
            });
        }
        out
    }

    /// The type of one property. `None` after a problem.
    pub fn convert(
        &mut self,
        schema: &Value,
        loc: &Loc,
        owner: &str,
        field: &str,
        multipart: bool,
    ) -> Option<Converted> {
        let (resolved, pointer) = match self.doc.resolve(schema) {
            Ok(r) => r,
            Err(e) => {
                self.problem(loc, e);
                return None;
            }
        };
        let loc = match &pointer {
            Some(p) => Loc {
                key: p.clone(),
                field: loc.field.clone(),
            },
            None => loc.clone(),
        };
        let plain = |ty: &str| {
            Some(Converted {
                ty: ty.to_string(),
                enum_values: None,
            })
        };
        let ty = str_of(resolved, "type").or_else(|| {
            if resolved.get("properties").is_some() {
                Some("object")
            } else if resolved.get("items").is_some() {
                Some("array")
            } else {
                None
            }
        });
        match ty {
            Some("string") => {
                if str_of(resolved, "format") == Some("binary") {
                    if multipart {
                        return plain("file");
                    }
                    self.problem(&loc, "a binary string outside a multipart form (an upload in JSON) is not supported");
                    return None;
                }
                if matches!(
                    str_of(resolved, "x-lark-original-type"),
                    Some("map") | Some("union")
                ) {
                    return plain("json");
                }
                let values = resolved.get("enum").and_then(Value::as_sequence).map(|v| {
                    v.iter()
                        .filter_map(super::document::scalar_text)
                        .collect::<Vec<_>>()
                });
                Some(Converted {
                    ty: "string".into(),
                    enum_values: values.filter(|v| !v.is_empty()),
                })
            }
            Some("integer") => plain(if str_of(resolved, "format") == Some("int64") {
                "int64"
            } else {
                "integer"
            }),
            Some("number") => plain("number"),
            Some("boolean") => plain("boolean"),
            Some("array") => {
                let Some(items) = resolved.get("items") else {
                    return plain("array<json>");
                };
                let inner = self.convert(items, &loc.items(), owner, field, false)?;
                if inner.ty == "file" {
                    self.problem(&loc, "an array of files is not supported");
                    return None;
                }
                plain(&format!("array<{}>", inner.ty))
            }
            Some("object") => {
                let has_props = map_of(resolved, "properties").is_some_and(|p| !p.is_empty());
                if has_props {
                    let default = match &pointer {
                        Some(p) => p.rsplit('/').next().unwrap_or(p).to_upper_camel_case(),
                        None => format!("{owner}{}", field.to_upper_camel_case()),
                    };
                    let name = self.object(resolved, &loc, &default)?;
                    return plain(&format!("object:{name}"));
                }
                match resolved.get("additionalProperties") {
                    Some(Value::Mapping(_)) => {
                        let values = resolved.get("additionalProperties").expect("checked");
                        let inner = self.convert(values, &loc.values(), owner, field, false)?;
                        plain(&format!("map<{}>", inner.ty))
                    }
                    _ => plain("json"),
                }
            }
            None => plain("json"),
            Some(other) => {
                self.problem(&loc, format!("schema type `{other}` is not supported"));
                None
            }
        }
    }

    /// An object with properties: a named type. Returns its name.
    fn object(&mut self, schema: &Value, loc: &Loc, default: &str) -> Option<String> {
        let name = self
            .names
            .get(&loc.key)
            .cloned()
            .unwrap_or_else(|| default.to_string());
        if lark_codegen::names::upper_camel(&name).as_deref() != Some(name.as_str()) {
            self.problem(
                loc,
                format!("type name `{name}` is not an UpperCamelCase identifier: name it in import.json `type_names` (key `{}`)", loc.key),
            );
            return None;
        }
        if let Some(existing) = self.types.get_mut(&name) {
            if existing.origin == loc.key {
                existing.in_request |= self.request;
                return Some(name);
            }
        }
        let placeholder = UpObject {
            origin: loc.key.clone(),
            first_seen: self.operation.to_string(),
            in_request: self.request,
            fields: Vec::new(),
        };
        let previous = self.types.insert(name.clone(), placeholder);
        let fields = self.fields(schema, loc, &name, false);
        match previous {
            Some(first) if first.origin != loc.key => {
                self.types.insert(name.clone(), first.clone());
                if let Some(why) = shape_difference(&first.fields, &fields) {
                    self.problem(
                        loc,
                        format!(
                            "type `{name}` (from `{}`) conflicts with `{name}` from `{}`: {why}; map one of them to another name in import.json `type_names`",
                            loc.key, first.origin
                        ),
                    );
                    return None;
                }
            }
            _ => {
                let object = self.types.get_mut(&name).expect("inserted");
                object.fields = fields;
            }
        }
        Some(name)
    }

    /// The metadata's example, if it is a value of the type (examples such as `object` or
    /// `json结构` on objects are dropped).
    pub fn example(
        &self,
        schema: &Value,
        ty: &str,
        values: Option<&[String]>,
    ) -> Option<serde_json::Value> {
        let raw = schema.get("example").or_else(|| {
            self.doc
                .resolve(schema)
                .ok()
                .and_then(|(s, _)| s.get("example"))
        })?;
        example_of(raw, ty, values)
    }
}

/// A metadata example as a JSON value of `ty`, if it is one.
pub fn example_of(raw: &Value, ty: &str, values: Option<&[String]>) -> Option<serde_json::Value> {
    let text = super::document::scalar_text(raw);
    match ty {
        "string" => {
            let text = text?;
            if values.is_some_and(|v| !v.iter().any(|x| x == &text)) {
                return None;
            }
            Some(serde_json::Value::String(text))
        }
        "integer" | "int64" => text?.trim().parse::<i64>().ok().map(Into::into),
        "number" => {
            let n = text?.trim().parse::<f64>().ok()?;
            serde_json::Number::from_f64(n).map(serde_json::Value::Number)
        }
        "boolean" => match text?.trim() {
            "true" => Some(true.into()),
            "false" => Some(false.into()),
            _ => None,
        },
        "json" => to_json(raw),
        t if t.starts_with("array<") || t.starts_with("map<") => {
            let json = to_json(raw)?;
            let ok = if t.starts_with("array<") {
                json.is_array()
            } else {
                json.is_object()
            };
            ok.then_some(json)
        }
        _ => None,
    }
}

/// Why two field lists are not the same shape (names, types, required), if they are not.
pub fn shape_difference(a: &[UpField], b: &[UpField]) -> Option<String> {
    for f in b {
        match a.iter().find(|x| x.name == f.name) {
            None => return Some(format!("field `{}` is only in one", f.name)),
            Some(x) if x.ty != f.ty => {
                return Some(format!(
                    "field `{}` is {} in one and {} in the other",
                    f.name, f.ty, x.ty
                ))
            }
            Some(x) if x.required != f.required => {
                return Some(format!("field `{}` is required in only one", f.name))
            }
            Some(x) if x.enum_values != f.enum_values => {
                return Some(format!("field `{}` has other enum values", f.name))
            }
            _ => {}
        }
    }
    a.iter()
        .find(|x| !b.iter().any(|f| f.name == x.name))
        .map(|x| format!("field `{}` is only in one", x.name))
}
