//! `cargo xtask import --survey DIR`: how much of the platform imports and generates today.
//! Every operation of every document is imported in memory (nothing is read from or
//! written to `spec/`), with placeholder prose and names where a maintainer would write
//! them, then generated with [`lark_codegen::generate`], one operation at a time with the named
//! types it uses.

use std::collections::{BTreeMap, BTreeSet};

use yaml_serde::Value;

use lark_codegen::import_config::ImportConfig;
use lark_codegen::load::SpecSource;
use lark_codegen::names::{is_call_method, is_keyword, upper_camel};
use lark_codegen::spec::{
    EndpointSpec, EnumValue, Field, ObjectType, QueryParam, RequestBody, Response, TypesFile,
};

use super::document::{map_of, Document, Operation};
use super::enums::{self, VersionSpec};
use super::facts::{UpObject, UpOperation};
use super::{canonical, ids, merge, operation, reachable, schema, DocumentSource};

/// The shapes the table is split by, in order.
pub const SHAPES: &[&str] = &[
    "JSON body",
    "query-only",
    "multipart upload",
    "binary download",
    "paginated",
    "flat",
    "other",
];

/// One row of the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShapeRow {
    /// Operations of this shape.
    pub operations: usize,
    /// Imported.
    pub imported: usize,
    /// Generated.
    pub generated: usize,
    /// Why the others did not, with counts.
    pub reasons: BTreeMap<String, usize>,
}

/// The survey's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Survey {
    /// Documents read.
    pub documents: usize,
    /// Per shape.
    pub rows: BTreeMap<&'static str, ShapeRow>,
    /// Operations that generated only with a placeholder `rust_name` (a keyword, or an
    /// enum value that is no identifier).
    pub needed_names: usize,
    /// With [`run_emitting`]: the spec files of every service version, made of the operations
    /// that generated on their own and generate together (placeholder prose), for a scratch
    /// tree that measures what the whole platform costs to compile.
    pub emitted: Vec<SpecSource>,
    /// Operations that generated on their own but were left out of `emitted` because their
    /// version did not generate with them.
    pub emitted_dropped: usize,
}

/// The shape of an operation, from the document alone.
fn shape(doc: &Document, op: &Operation) -> &'static str {
    let flag = |key: &str| op.node.get(key).and_then(Value::as_bool) == Some(true);
    if flag("x-lark-file-download") {
        return "binary download";
    }
    let content = op
        .node
        .get("requestBody")
        .and_then(|b| map_of(b, "content"));
    if content.is_some_and(|c| c.contains_key("multipart/form-data")) {
        return "multipart upload";
    }
    let envelope = op
        .node
        .get("responses")
        .and_then(|r| r.get("200"))
        .and_then(|r| r.get("content"))
        .and_then(|c| c.get("application/json"))
        .and_then(|c| c.get("schema"))
        .and_then(|s| doc.resolve(s).ok())
        .map(|(s, _)| s);
    let Some(envelope) = envelope else {
        return "other";
    };
    let keys: Vec<&str> = map_of(envelope, "properties")
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.as_str())
        .filter(|k| !matches!(*k, "code" | "msg"))
        .collect();
    if !keys.is_empty() && !keys.contains(&"data") {
        return "flat";
    }
    if flag("x-lark-pagination") {
        return "paginated";
    }
    let json_body = content
        .and_then(|c| c.get("application/json"))
        .and_then(|c| c.get("schema"))
        .and_then(|s| doc.resolve(s).ok())
        .is_some_and(|(s, _)| map_of(s, "properties").is_some_and(|p| !p.is_empty()));
    if json_body {
        return "JSON body";
    }
    if content.is_none() || content.is_some_and(|c| c.contains_key("application/json")) {
        return "query-only";
    }
    "other"
}

/// Problem messages with their particulars taken out, so that they count together.
fn reason(message: &str) -> String {
    reason_with(message, true)
}

fn reason_with(message: &str, digits: bool) -> String {
    let mut out = String::new();
    let mut in_tick = false;
    let mut last_digit = false;
    for c in message.chars() {
        if c == '`' {
            if !in_tick {
                out.push_str("`…`");
            }
            in_tick = !in_tick;
            continue;
        }
        if in_tick {
            continue;
        }
        if digits && c.is_ascii_digit() {
            if !last_digit {
                out.push('N');
            }
            last_digit = true;
            continue;
        }
        last_digit = false;
        out.push(c);
    }
    let out = out.split(": name ").next().unwrap_or(&out).to_string();
    let out = out.split("; map one").next().unwrap_or(&out).to_string();
    let out = out.split("; give").next().unwrap_or(&out).to_string();
    out.split(": give")
        .next()
        .unwrap_or(&out)
        .trim()
        .to_string()
}

const PLACEHOLDER: &str = "Placeholder.";

/// Fills what a maintainer would write: prose, error names, names for keywords.
/// Returns whether a name had to be made up.
pub(super) fn fill_spec(spec: &mut EndpointSpec) -> bool {
    let mut named = false;
    spec.summary = "Placeholder summary.".into();
    spec.description = Some(PLACEHOLDER.into());
    for p in &mut spec.path_params {
        p.description = PLACEHOLDER.into();
    }
    for q in &mut spec.query_params {
        named |= fill_query(q);
    }
    match &mut spec.request_body {
        RequestBody::Json { fields } | RequestBody::Multipart { fields } => {
            named |= fill_fields(fields)
        }
        RequestBody::None => {}
    }
    match &mut spec.response {
        Response::Json {
            data_fields: fields,
        }
        | Response::Flat { fields } => named |= fill_fields(fields),
        _ => {}
    }
    for row in &mut spec.errors {
        row.name = Some(format!("error_{}", row.code));
        row.meaning = Some(PLACEHOLDER.into());
        row.advice = Some(PLACEHOLDER.into());
        row.retryable = Some(false);
    }
    named
}

fn fill_query(q: &mut QueryParam) -> bool {
    let mut named = false;
    q.description = PLACEHOLDER.into();
    if is_keyword(&q.name) || (!q.required && is_call_method(&q.name)) {
        q.rust_name = Some(format!("{}_value", q.name));
        named = true;
    }
    if let Some(values) = &mut q.enum_values {
        named |= fill_values(values);
    }
    named
}

pub(super) fn fill_fields(fields: &mut [Field]) -> bool {
    let mut named = false;
    for f in fields {
        f.description = Some(PLACEHOLDER.into());
        let snake = heck::ToSnakeCase::to_snake_case(f.name.as_str());
        if is_keyword(&f.name) || !lark_codegen::names::is_plain_ident(&snake) {
            f.rust_name = Some(format!("field_{}", sanitize(&snake)));
            named = true;
        }
        if let Some(values) = &mut f.enum_values {
            named |= fill_values(values);
        }
    }
    named
}

fn sanitize(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let out = out.trim_matches('_').to_string();
    if out.is_empty() {
        "x".into()
    } else {
        out
    }
}

fn fill_values(values: &mut [EnumValue]) -> bool {
    let mut named = false;
    let mut seen = BTreeSet::new();
    for (i, v) in values.iter_mut().enumerate() {
        v.description = PLACEHOLDER.into();
        match upper_camel(&v.value) {
            Some(variant) if seen.insert(variant.clone()) => {}
            _ => {
                v.rust_name = Some(format!("value_{i}"));
                seen.insert(format!("Value{i}"));
                named = true;
            }
        }
    }
    named
}

/// Imports and generates every operation of `documents`.
pub fn run(documents: &[DocumentSource]) -> Survey {
    survey(documents, false)
}

/// [`run`], and also the spec files of every version's generating operations together
/// ([`Survey::emitted`]).
pub fn run_emitting(documents: &[DocumentSource]) -> Survey {
    survey(documents, true)
}

fn survey(documents: &[DocumentSource], emit: bool) -> Survey {
    let mut survey = Survey::default();
    for s in SHAPES {
        survey.rows.insert(s, ShapeRow::default());
    }
    let fail = |survey: &mut Survey, shape: &'static str, why: String| {
        *survey
            .rows
            .get_mut(shape)
            .expect("every shape has a row")
            .reasons
            .entry(why)
            .or_default() += 1;
    };
    // Converted operations per service version, with their shape.
    let mut groups: BTreeMap<(String, String), Vec<(&'static str, UpOperation)>> = BTreeMap::new();
    for d in documents {
        let doc = match Document::parse(&d.name, &d.text) {
            Ok(doc) => doc,
            Err(p) => {
                fail(
                    &mut survey,
                    "other",
                    format!("document: {}", reason(&p.message)),
                );
                continue;
            }
        };
        survey.documents += 1;
        let mut seen_ids = BTreeSet::new();
        for op in doc.operations() {
            let shape = shape(&doc, &op);
            survey.rows.get_mut(shape).expect("row").operations += 1;
            let (service, version) = match ids::service_version(&doc, &op) {
                Ok(sv) => sv,
                Err((_, m)) => {
                    fail(&mut survey, shape, reason(&m));
                    continue;
                }
            };
            let id = match ids::spec_id(&op, &service, &version, &BTreeMap::new()) {
                Ok(id) => id,
                Err((_, m)) => {
                    fail(&mut survey, shape, reason(&m));
                    continue;
                }
            };
            if !seen_ids.insert(id.dotted()) {
                fail(
                    &mut survey,
                    shape,
                    "id collision with another operation".into(),
                );
                continue;
            }
            // A download's size limit is a maintainer's decision, like prose.
            let config = ImportConfig {
                max_bytes: [(id.dotted(), 1 << 30)].into_iter().collect(),
                ..ImportConfig::default()
            };
            match operation::convert(&doc, &op, id, &config) {
                Ok(up) => groups
                    .entry((service, version))
                    .or_default()
                    .push((shape, up)),
                Err(problems) => {
                    let first = problems.first().map(|p| p.message.as_str()).unwrap_or("");
                    fail(&mut survey, shape, reason(first));
                }
            }
        }
    }
    for ((service, version), ops) in groups {
        let mut registry: BTreeMap<String, UpObject> = BTreeMap::new();
        let mut specs: Vec<VersionSpec> = Vec::new();
        let mut shapes = Vec::new();
        'ops: for (shape, up) in ops {
            for (name, object) in &up.types {
                if let Some(first) = registry.get(name) {
                    if first.origin != object.origin
                        && schema::shape_difference(&first.fields, &object.fields).is_some()
                    {
                        fail(
                            &mut survey,
                            shape,
                            "a named type conflicts with another operation's".into(),
                        );
                        continue 'ops;
                    }
                }
            }
            for (name, object) in &up.types {
                registry
                    .entry(name.clone())
                    .or_insert_with(|| object.clone());
            }
            let config = ImportConfig {
                max_bytes: [(up.id.dotted(), 1 << 30)].into_iter().collect(),
                ..ImportConfig::default()
            };
            match merge::endpoint(&up, None, &config) {
                Ok(spec) => {
                    specs.push(VersionSpec {
                        file: up.id.file(),
                        spec,
                        old: None,
                        selected: true,
                        source: Some((up.document.clone(), up.operation_id.clone())),
                    });
                    shapes.push(shape);
                }
                Err((_, m)) => fail(&mut survey, shape, reason(&m)),
            }
        }
        let none = ImportConfig::default();
        let mut types: BTreeMap<String, ObjectType> = registry
            .iter()
            .map(|(n, up)| (n.clone(), merge::object(n, up, None, &none)))
            .collect();
        let unified = enums::unify(
            &format!("spec/{service}/{version}/types.json"),
            &format!("spec/{service}/{version}/import.json"),
            &none,
            &mut types,
            &mut specs,
        );
        // Each operation is generated on its own: a reference to an enum whose values
        // another operation lists gets them here, and enums with the same values are taken
        // as different concepts (what a maintainer decides in import.json).
        resolve_references(&mut types, &mut specs, &unified.unions);
        let distinct = distinct_groups(&unified.unions);
        let mut type_names_needed = BTreeSet::new();
        for object in types.values_mut() {
            object.description = PLACEHOLDER.into();
            if fill_fields(&mut object.fields) {
                type_names_needed.insert(());
            }
        }
        let mut generating: Vec<usize> = Vec::new();
        for (index, (vs, shape)) in specs.iter_mut().zip(shapes).enumerate() {
            survey.rows.get_mut(shape).expect("row").imported += 1;
            let mut named = fill_spec(&mut vs.spec);
            let used = reachable(std::iter::once(&vs.spec), &types);
            let mine: BTreeMap<String, ObjectType> = types
                .iter()
                .filter(|(n, _)| used.contains(*n))
                .map(|(n, t)| (n.clone(), t.clone()))
                .collect();
            named |= !type_names_needed.is_empty()
                && mine
                    .values()
                    .any(|t| t.fields.iter().any(|f| f.rust_name.is_some()));
            let mut sources = vec![SpecSource {
                path: vs.file.clone(),
                text: canonical::endpoint(&vs.spec),
            }];
            if !mine.is_empty() {
                sources.push(SpecSource {
                    path: format!("spec/{service}/{version}/types.json"),
                    text: canonical::types_file(&TypesFile { types: mine }),
                });
            }
            if !distinct.is_empty() {
                sources.push(SpecSource {
                    path: format!("spec/{service}/{version}/import.json"),
                    text: serde_json::json!({ "distinct_enums": distinct }).to_string(),
                });
            }
            match lark_codegen::generate(&sources) {
                Ok(_) => {
                    generating.push(index);
                    survey.rows.get_mut(shape).expect("row").generated += 1;
                    if named {
                        survey.needed_names += 1;
                    }
                }
                Err(problems) => {
                    let first = problems.first().map(|p| p.message.as_str()).unwrap_or("");
                    fail(
                        &mut survey,
                        shape,
                        format!("generate: {}", reason_with(first, false)),
                    );
                }
            }
        }
        if emit {
            let (sources, dropped) =
                emit_version(&service, &version, &specs, &generating, &types, &distinct);
            survey.emitted.extend(sources);
            survey.emitted_dropped += dropped;
        }
    }
    survey
}

/// The spec files of one version with every operation of `generating`, generated together;
/// an operation named by a problem is left out and the rest tried again.
fn emit_version(
    service: &str,
    version: &str,
    specs: &[VersionSpec],
    generating: &[usize],
    types: &BTreeMap<String, ObjectType>,
    distinct: &[Vec<String>],
) -> (Vec<SpecSource>, usize) {
    let mut kept: Vec<&VersionSpec> = generating.iter().map(|&i| &specs[i]).collect();
    let mut dropped = 0;
    loop {
        let used = reachable(kept.iter().map(|vs| &vs.spec), types);
        let mine: BTreeMap<String, ObjectType> = types
            .iter()
            .filter(|(n, _)| used.contains(*n))
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect();
        let mut sources: Vec<SpecSource> = kept
            .iter()
            .map(|vs| SpecSource {
                path: vs.file.clone(),
                text: canonical::endpoint(&vs.spec),
            })
            .collect();
        if !mine.is_empty() {
            sources.push(SpecSource {
                path: format!("spec/{service}/{version}/types.json"),
                text: canonical::types_file(&TypesFile { types: mine }),
            });
        }
        if !distinct.is_empty() {
            sources.push(SpecSource {
                path: format!("spec/{service}/{version}/import.json"),
                text: serde_json::json!({ "distinct_enums": distinct }).to_string(),
            });
        }
        let problems = match lark_codegen::generate(&sources) {
            Ok(_) => return (sources, dropped),
            Err(problems) => problems,
        };
        let named: BTreeSet<&str> = problems.iter().map(|p| p.file.as_str()).collect();
        let before = kept.len();
        kept.retain(|vs| !named.contains(vs.file.as_str()));
        if kept.len() == before {
            // A problem in a shared file: keep the first half and try again.
            kept.truncate(before / 2);
        }
        dropped += before - kept.len();
        if kept.is_empty() {
            return (Vec::new(), dropped);
        }
    }
}

impl Survey {
    /// The table, as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let total = |f: fn(&ShapeRow) -> usize| self.rows.values().map(f).sum::<usize>();
        out.push_str(
            "| shape | operations | import | generate | top reasons for the rest (count) |\n",
        );
        out.push_str("|---|---:|---:|---:|---|\n");
        for shape in SHAPES {
            let row = &self.rows[shape];
            let mut reasons: Vec<(&String, &usize)> = row.reasons.iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let top: Vec<String> = reasons
                .iter()
                .take(4)
                .map(|(r, n)| format!("{} ({n})", r.replace('|', "\\|")))
                .collect();
            out.push_str(&format!(
                "| {shape} | {} | {} | {} | {} |\n",
                row.operations,
                row.imported,
                row.generated,
                if top.is_empty() {
                    "—".to_string()
                } else {
                    top.join("; ")
                }
            ));
        }
        out.push_str(&format!(
            "| **all** | **{}** | **{}** | **{}** | |\n",
            total(|r| r.operations),
            total(|r| r.imported),
            total(|r| r.generated)
        ));
        out.push_str(&format!(
            "\n{} documents; {} of the generated operations needed a placeholder `rust_name` (a Rust keyword or an enum value that is no identifier), which a maintainer names.\n",
            self.documents, self.needed_names
        ));
        out
    }
}

/// Gives every reference to an enum (`enum_type_name` without `enum`) the enum's values.
fn resolve_references(
    types: &mut BTreeMap<String, ObjectType>,
    specs: &mut [VersionSpec],
    unions: &BTreeMap<String, Vec<EnumValue>>,
) {
    let field = |f: &mut Field| {
        if f.enum_values.is_none() {
            if let Some(values) = f.enum_type_name.as_ref().and_then(|t| unions.get(t)) {
                f.enum_values = Some(values.clone());
            }
        }
    };
    for object in types.values_mut() {
        object.fields.iter_mut().for_each(field);
    }
    for vs in specs {
        for q in &mut vs.spec.query_params {
            if q.enum_values.is_none() {
                if let Some(values) = q.enum_type_name.as_ref().and_then(|t| unions.get(t)) {
                    q.enum_values = Some(values.clone());
                }
            }
        }
        if let RequestBody::Json { fields } | RequestBody::Multipart { fields } =
            &mut vs.spec.request_body
        {
            fields.iter_mut().for_each(field);
        }
        if let Response::Json {
            data_fields: fields,
        }
        | Response::Flat { fields } = &mut vs.spec.response
        {
            fields.iter_mut().for_each(field);
        }
    }
}

/// The names of enums with the same values, grouped.
fn distinct_groups(unions: &BTreeMap<String, Vec<EnumValue>>) -> Vec<Vec<String>> {
    let mut by_values: BTreeMap<BTreeSet<&str>, Vec<String>> = BTreeMap::new();
    for (name, values) in unions {
        by_values
            .entry(values.iter().map(|v| v.value.as_str()).collect())
            .or_default()
            .push(name.clone());
    }
    by_values.into_values().filter(|g| g.len() > 1).collect()
}
