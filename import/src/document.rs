//! An OpenAPI 3.0 document with the platform's `x-lark-*` extensions, read from YAML, and
//! the few ways the importer walks it: operations in document order, `$ref`s resolved.

use yaml_serde::{Mapping, Value};

use super::problem::ImportProblem;

/// A parsed document.
#[derive(Debug, Clone)]
pub struct Document {
    /// How problems name it: the path it was read from (`spec/upstream/im.yaml`).
    pub name: String,
    /// `x-lark-project` (else the file's stem): the service of its specs.
    pub project: String,
    root: Value,
}

/// One operation: a method of a path.
#[derive(Debug, Clone, Copy)]
pub struct Operation<'a> {
    /// `operationId`.
    pub operation_id: &'a str,
    /// `/open-apis/im/v1/chats/{chat_id}`.
    pub path: &'a str,
    /// Uppercase: `GET`, `POST`, …
    pub method: &'static str,
    /// The operation object.
    pub node: &'a Value,
}

const METHODS: &[(&str, &str)] = &[
    ("get", "GET"),
    ("post", "POST"),
    ("put", "PUT"),
    ("patch", "PATCH"),
    ("delete", "DELETE"),
    ("head", "HEAD"),
    ("options", "OPTIONS"),
    ("trace", "TRACE"),
];

impl Document {
    /// Parses YAML text. A syntax error, or a document without `paths`, is one problem.
    pub fn parse(name: &str, text: &str) -> Result<Document, ImportProblem> {
        let root: Value = yaml_serde::from_str(text)
            .map_err(|e| ImportProblem::document(name, ".", format!("invalid YAML: {e}")))?;
        if root.get("paths").and_then(Value::as_mapping).is_none() {
            return Err(ImportProblem::document(
                name,
                "paths",
                "not an OpenAPI document: no `paths` mapping",
            ));
        }
        let stem = name
            .rsplit('/')
            .next()
            .unwrap_or(name)
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .to_string();
        let project = root
            .get("info")
            .and_then(|i| i.get("x-lark-project"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or(stem);
        Ok(Document {
            name: name.to_string(),
            project,
            root,
        })
    }

    /// Every operation, in document order (paths, then methods as written).
    pub fn operations(&self) -> Vec<Operation<'_>> {
        let mut out = Vec::new();
        let Some(paths) = self.root.get("paths").and_then(Value::as_mapping) else {
            return out;
        };
        for (path, item) in paths {
            let (Some(path), Some(item)) = (path.as_str(), item.as_mapping()) else {
                continue;
            };
            for (method, node) in item {
                let Some(method) = method
                    .as_str()
                    .and_then(|m| METHODS.iter().find(|(k, _)| *k == m))
                    .map(|(_, upper)| *upper)
                else {
                    continue;
                };
                let operation_id = node
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                out.push(Operation {
                    operation_id,
                    path,
                    method,
                    node,
                });
            }
        }
        out
    }

    /// Follows `$ref`s (and a one-element `allOf`, the way these documents attach a
    /// description to a reference) to the schema they name. Returns the schema and the
    /// pointer of the last reference followed, if any.
    pub fn resolve<'a>(
        &'a self,
        mut value: &'a Value,
    ) -> Result<(&'a Value, Option<String>), String> {
        let mut pointer = None;
        for _ in 0..32 {
            if let Some(target) = value.get("$ref") {
                let Some(target) = target.as_str() else {
                    return Err("`$ref` is not a string".into());
                };
                value = self
                    .pointer(target)
                    .ok_or_else(|| format!("$ref `{target}` does not resolve"))?;
                pointer = Some(target.to_string());
                continue;
            }
            if let Some(all) = value.get("allOf").and_then(Value::as_sequence) {
                if all.len() == 1 && !has_shape(value) {
                    value = &all[0];
                    continue;
                }
                return Err(format!(
                    "`allOf` with {} schemas is not supported (only one, to describe a $ref)",
                    all.len()
                ));
            }
            if value.get("oneOf").is_some() || value.get("anyOf").is_some() {
                return Err("`oneOf`/`anyOf` is not supported".into());
            }
            return Ok((value, pointer));
        }
        Err("`$ref`s loop".into())
    }

    /// The value a local JSON pointer (`#/components/schemas/Message`) names.
    fn pointer(&self, target: &str) -> Option<&Value> {
        let rest = target.strip_prefix("#/")?;
        let mut node = &self.root;
        for token in rest.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            node = match node {
                Value::Mapping(m) => m.get(token.as_str())?,
                Value::Sequence(s) => s.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// Whether a schema with an `allOf` also says something of its own besides docs.
fn has_shape(value: &Value) -> bool {
    value.get("properties").is_some() || value.get("items").is_some()
}

/// `value[key]` as a string.
pub fn str_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// `value[key]` as a mapping.
pub fn map_of<'a>(value: &'a Value, key: &str) -> Option<&'a Mapping> {
    value.get(key).and_then(Value::as_mapping)
}

/// A scalar as text: strings as they are, numbers and booleans written out.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A YAML value as JSON (mappings with string keys only).
pub fn to_json(value: &Value) -> Option<serde_json::Value> {
    Some(match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                serde_json::Value::from(i)
            } else if let Some(u) = n.as_u64() {
                serde_json::Value::from(u)
            } else {
                serde_json::Number::from_f64(n.as_f64()?).map(serde_json::Value::Number)?
            }
        }
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Sequence(items) => {
            serde_json::Value::Array(items.iter().map(to_json).collect::<Option<_>>()?)
        }
        Value::Mapping(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| Some((k.as_str()?.to_string(), to_json(v)?)))
                .collect::<Option<_>>()?,
        ),
        Value::Tagged(t) => to_json(&t.value)?,
    })
}
