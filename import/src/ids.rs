//! Spec ids from the metadata: service = the project, version = the path segment after
//! `/open-apis/<project>/`, resource = the tag in snake_case, method = the `operationId`
//! without its `<project>_<tag>_` prefix; `import.json` `ids` overrides.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use yaml_serde::Value;

use lark_codegen::names::is_snake_case;

use super::document::{Document, Operation};
use super::facts::SpecId;

/// The service and version of an operation, from its path.
pub fn service_version(
    doc: &Document,
    op: &Operation,
) -> Result<(String, String), (String, String)> {
    let prefix = format!("/open-apis/{}/", doc.project);
    let version = op
        .path
        .strip_prefix(&prefix)
        .and_then(|rest| rest.split('/').next())
        .filter(|v| {
            v.starts_with('v') && v[1..].chars().all(|c| c.is_ascii_digit()) && v.len() > 1
        });
    match version {
        Some(v) => Ok((doc.project.clone(), v.to_string())),
        None => Err((
            "path".into(),
            format!(
                "`{}` does not start with `{prefix}<version>/`, so it has no service version",
                op.path
            ),
        )),
    }
}

/// The spec id of an operation of `service` `version`.
pub fn spec_id(
    op: &Operation,
    service: &str,
    version: &str,
    overrides: &BTreeMap<String, String>,
) -> Result<SpecId, (String, String)> {
    if op.operation_id.is_empty() {
        return Err((
            "operationId".into(),
            "missing: the operation needs an id".into(),
        ));
    }
    if let Some(id) = overrides.get(op.operation_id) {
        let parsed = SpecId::parse(id).filter(|p| {
            [&p.service, &p.version, &p.resource, &p.method]
                .iter()
                .all(|s| is_snake_case(s))
        });
        return match parsed {
            Some(p) if p.service == service && p.version == version => Ok(p),
            Some(_) => Err((
                "operationId".into(),
                format!("import.json maps it to `{id}`, which is not of {service} {version}"),
            )),
            None => Err((
                "operationId".into(),
                format!("import.json maps it to `{id}`, which is not `service.version.resource.method` in snake_case"),
            )),
        };
    }
    let tags: Vec<&str> = op
        .node
        .get("tags")
        .and_then(Value::as_sequence)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(tag) = tags.first() else {
        return Err((
            "tags".into(),
            "missing: the resource is named after the tag".into(),
        ));
    };
    let resource = tag.replace('.', "_").to_snake_case();
    let prefix = format!("{service}_{}_", tag.replace('.', "_"));
    let Some(method) = op.operation_id.strip_prefix(&prefix) else {
        return Err((
            "operationId".into(),
            format!("`{}` does not start with `{prefix}`: give its id in spec/{service}/{version}/import.json `ids`", op.operation_id),
        ));
    };
    let id = SpecId {
        service: service.to_string(),
        version: version.to_string(),
        resource,
        // `batchDelete` → `batch_delete`.
        method: method.to_snake_case(),
    };
    for (what, part) in [("resource", &id.resource), ("method", &id.method)] {
        if lark_codegen::names::is_keyword(part) {
            return Err((
                "operationId".into(),
                format!(
                    "{what} `{part}` is a Rust keyword: give the id in spec/{service}/{version}/import.json `ids`"
                ),
            ));
        }
        if !is_snake_case(part) {
            return Err((
                "operationId".into(),
                format!(
                    "{what} `{part}` is not a snake_case name: give the id in spec/{service}/{version}/import.json `ids`"
                ),
            ));
        }
    }
    Ok(id)
}
