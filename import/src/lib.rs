//! `cargo xtask import`: specs from the platform's OpenAPI metadata (`x-lark-*`).
//!
//! The metadata gives the FACTS (ids, methods, paths, parameters, bodies, answers, named
//! types, tokens, scopes, rate limits, pagination, error tables, API pages); the specs keep
//! our PROSE and decisions, which an import never overwrites (`merge.rs`). [`import`] is pure
//! like [`lark_codegen::generate`]: documents and the spec tree in, canonical file contents out
//! ([`canonical`]), or every problem and nothing.
//!
//! A crate of its own (used only by `cargo xtask import`) so that the YAML parser and the
//! importer are not built with the generator for every test: it depends on `lark-codegen`
//! for the spec types, the loader, the concepts' decision keys and `import.json`
//! ([`lark_codegen::import_config`], which `gen` reads too).

pub mod canonical;
mod catalogue;
mod document;
mod enums;
mod facts;
mod ids;
mod merge;
mod operation;
mod problem;
mod prose;
mod rate_limit;
mod schema;
pub mod survey;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

pub use lark_codegen::import_config::ImportConfig;
pub use problem::ImportProblem;

use lark_codegen::import_config as config;

use document::Document;
use enums::VersionSpec;
use facts::{SpecId, UpObject, UpOperation};

use lark_codegen::load::{self, SpecSource};
use lark_codegen::spec::{
    CatalogueEntry, EndpointSpec, Field, ObjectType, RequestBody, Response, TypesFile,
};

/// Which operations to import. Filters combine; with none at all, the operations that
/// already have a spec are imported again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Projects (services): `im`.
    pub projects: Vec<String>,
    /// Versions: `v1`.
    pub versions: Vec<String>,
    /// Resources (of the spec id): `chat_members`.
    pub resources: Vec<String>,
    /// Spec ids (`im.v1.chat.get`) or operationIds (`im_chat_get`).
    pub ids: Vec<String>,
}

impl Selection {
    /// No filter at all.
    pub fn is_empty(&self) -> bool {
        self.projects.is_empty()
            && self.versions.is_empty()
            && self.resources.is_empty()
            && self.ids.is_empty()
    }

    fn matches(&self, id: &SpecId, operation_id: &str) -> bool {
        let any = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        any(&self.projects, &id.service)
            && any(&self.versions, &id.version)
            && any(&self.resources, &id.resource)
            && (self.ids.is_empty()
                || self
                    .ids
                    .iter()
                    .any(|x| *x == id.dotted() || x == operation_id))
    }

    /// Whether an operation whose id cannot be derived was asked for.
    fn may_match(&self, project: &str, operation_id: &str) -> bool {
        !self.is_empty()
            && (self.projects.is_empty() || self.projects.iter().any(|p| p == project))
            && (self.ids.is_empty() || self.ids.iter().any(|x| x == operation_id))
    }
}

/// A file the import produces: its path relative to the workspace root and its canonical
/// contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// `spec/im/v1/chat/list.json`.
    pub path: String,
    /// The whole file.
    pub contents: String,
}

/// What an import produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Every file of the imported operations (and their versions' `types.json`), sorted
    /// by path; the caller compares them with the tree.
    pub files: Vec<OutputFile>,
    /// One line per missing item: `spec/im/v1/chat/get.json: summary: missing prose`.
    pub missing_prose: Vec<String>,
    /// Things worth knowing that stop nothing (a spec the metadata no longer has).
    pub notes: Vec<String>,
    /// `--id` values that name no operation of the documents.
    pub unmatched: Vec<String>,
}

/// An upstream document: the path it was read from and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSource {
    /// `spec/upstream/im.yaml`.
    pub name: String,
    /// The YAML.
    pub text: String,
}

/// The spec tree, parsed.
#[derive(Default)]
struct Tree {
    configs: BTreeMap<(String, String), ImportConfig>,
    specs: BTreeMap<String, EndpointSpec>,
    types: BTreeMap<(String, String), TypesFile>,
    catalogues: BTreeMap<(String, String), Vec<CatalogueEntry>>,
}

fn read_tree(tree: &[SpecSource]) -> Result<Tree, Vec<ImportProblem>> {
    let mut out = Tree::default();
    let mut problems = Vec::new();
    let broken = |p: load::Problem| ImportProblem::document(&p.file, p.field, p.message);
    for source in tree {
        // Event specs are written by hand; the metadata has no events.
        if load::event_file_of(&source.path).is_some() {
            continue;
        }
        if let Some(key) = config::config_file_of(&source.path) {
            match config::parse(source) {
                Ok(c) => {
                    out.configs.insert(key, c);
                }
                Err(p) => problems.push(broken(p)),
            }
        } else if let Some((s, v)) = load::types_file_of(&source.path) {
            match load::parse_types(source, s.clone(), v.clone()) {
                Ok(t) => {
                    out.types.insert((s, v), t.types);
                }
                Err(p) => problems.push(broken(p)),
            }
        } else if let Some((s, v)) = load::errors_file_of(&source.path) {
            match load::parse_errors(source, s.clone(), v.clone()) {
                Ok(e) => {
                    out.catalogues.insert((s, v), e.catalogue.errors);
                }
                Err(p) => problems.push(broken(p)),
            }
        } else {
            match load::parse(source) {
                Ok(l) => {
                    out.specs.insert(l.path, l.spec);
                }
                Err(p) => problems.push(broken(p)),
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Imports the operations `selection` asks for from `documents` into the spec tree `tree`
/// (every `*.json` below `spec/`, as [`lark_codegen::read_spec_dir`] gives it). Pure: returns the
/// files to write, or every problem found and nothing.
pub fn import(
    documents: &[DocumentSource],
    tree: &[SpecSource],
    selection: &Selection,
) -> Result<ImportReport, Vec<ImportProblem>> {
    let mut problems = Vec::new();
    let tree = read_tree(tree)?;
    let mut docs = Vec::new();
    for d in documents {
        match Document::parse(&d.name, &d.text) {
            Ok(doc) => docs.push(doc),
            Err(p) => problems.push(p),
        }
    }
    let mut by_id: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut operations: Vec<UpOperation> = Vec::new();
    let mut matched: BTreeSet<String> = BTreeSet::new();
    for doc in &docs {
        for op in doc.operations() {
            let (service, version) = match ids::service_version(doc, &op) {
                Ok(sv) => sv,
                Err((field, message)) => {
                    if selection.may_match(&doc.project, op.operation_id) {
                        problems.push(ImportProblem::new(
                            &doc.name,
                            op.operation_id,
                            field,
                            message,
                        ));
                    }
                    continue;
                }
            };
            let config = tree
                .configs
                .get(&(service.clone(), version.clone()))
                .cloned()
                .unwrap_or_default();
            let id = match ids::spec_id(&op, &service, &version, &config.ids) {
                Ok(id) => id,
                Err((field, message)) => {
                    if selection.may_match(&doc.project, op.operation_id) {
                        problems.push(ImportProblem::new(
                            &doc.name,
                            op.operation_id,
                            field,
                            message,
                        ));
                    }
                    continue;
                }
            };
            let dotted = id.dotted();
            by_id
                .entry(dotted.clone())
                .or_default()
                .push((doc.name.clone(), op.operation_id.to_string()));
            let take = if selection.is_empty() {
                tree.specs.contains_key(&id.file())
            } else {
                selection.matches(&id, op.operation_id)
            };
            if !take {
                continue;
            }
            matched.insert(dotted.clone());
            matched.insert(op.operation_id.to_string());
            wanted.insert(dotted);
            match operation::convert(doc, &op, id, &config) {
                Ok(up) => operations.push(up),
                Err(mut p) => problems.append(&mut p),
            }
        }
    }
    for (id, sources) in &by_id {
        if sources.len() > 1 && wanted.contains(id) {
            let others: Vec<String> = sources[1..]
                .iter()
                .map(|(d, o)| format!("{o} ({d})"))
                .collect();
            problems.push(ImportProblem::new(
                &sources[0].0,
                &sources[0].1,
                "operationId",
                format!(
                    "id `{id}` is also the id of {}: give one of them another id in import.json `ids`",
                    others.join(", ")
                ),
            ));
        }
    }
    let mut report = ImportReport {
        unmatched: selection
            .ids
            .iter()
            .filter(|x| !matched.contains(*x))
            .cloned()
            .collect(),
        ..ImportReport::default()
    };
    let mut groups: BTreeMap<(String, String), Vec<UpOperation>> = BTreeMap::new();
    for op in operations {
        groups
            .entry((op.id.service.clone(), op.id.version.clone()))
            .or_default()
            .push(op);
    }
    for ((service, version), ops) in &groups {
        version_import(
            &tree,
            service,
            version,
            ops,
            &by_id,
            &mut report,
            &mut problems,
        );
    }
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        return Err(problems);
    }
    report.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

/// Imports the operations of one service version.
fn version_import(
    tree: &Tree,
    service: &str,
    version: &str,
    ops: &[UpOperation],
    all_ids: &BTreeMap<String, Vec<(String, String)>>,
    report: &mut ImportReport,
    problems: &mut Vec<ImportProblem>,
) {
    let key = (service.to_string(), version.to_string());
    let config = tree.configs.get(&key).cloned().unwrap_or_default();
    let catalogue: &[CatalogueEntry] = tree.catalogues.get(&key).map(Vec::as_slice).unwrap_or(&[]);
    let types_path = format!("spec/{service}/{version}/types.json");
    let dir = format!("spec/{service}/{version}/");

    // Named types of the operations: one name, one shape.
    let mut registry: BTreeMap<String, UpObject> = BTreeMap::new();
    for op in ops {
        for (name, object) in &op.types {
            match registry.get(name) {
                None => {
                    registry.insert(name.clone(), object.clone());
                }
                Some(first) if first.origin == object.origin => {
                    let in_request = first.in_request || object.in_request;
                    registry.get_mut(name).expect("found").in_request = in_request;
                }
                Some(first) => {
                    if let Some(why) = schema::shape_difference(&first.fields, &object.fields) {
                        problems.push(ImportProblem::new(
                            &op.document,
                            &op.operation_id,
                            format!("types.{name}"),
                            format!(
                                "type `{name}` from `{}` conflicts with `{name}` from `{}` (of {}): {why}; name one of them otherwise in {dir}import.json `type_names`",
                                object.origin, first.origin, first.first_seen
                            ),
                        ));
                    }
                }
            }
        }
    }

    // The endpoints.
    let mut specs: Vec<VersionSpec> = Vec::new();
    let mut imported_files = BTreeSet::new();
    for op in ops {
        let file = op.id.file();
        let old = tree.specs.get(&file);
        match merge::endpoint(op, old, &config) {
            Ok(spec) => {
                imported_files.insert(file.clone());
                specs.push(VersionSpec {
                    file,
                    spec,
                    old: old.cloned(),
                    selected: true,
                    source: Some((op.document.clone(), op.operation_id.clone())),
                });
            }
            Err((field, message)) => problems.push(ImportProblem::new(
                &op.document,
                &op.operation_id,
                field,
                message,
            )),
        }
    }
    for (file, spec) in &tree.specs {
        if file.starts_with(&dir) && !imported_files.contains(file) {
            if !all_ids.contains_key(&spec.id) {
                report
                    .notes
                    .push(format!("{file}: not in the metadata read (left as it is)"));
            }
            specs.push(VersionSpec {
                file: file.clone(),
                spec: spec.clone(),
                old: None,
                selected: false,
                source: None,
            });
        }
    }
    specs.sort_by(|a, b| a.file.cmp(&b.file));

    // The version's types: ours, with the imported ones brought up to date.
    let old_types: BTreeMap<String, ObjectType> = tree
        .types
        .get(&key)
        .map(|t| t.types.clone())
        .unwrap_or_default();
    let mut prose_sources = old_types.clone();
    for vs in &specs {
        if let Some(old) = &vs.old {
            for (name, object) in &old.types {
                prose_sources
                    .entry(name.clone())
                    .or_insert_with(|| object.clone());
            }
        }
    }
    let mut types = old_types.clone();
    for (name, up) in &registry {
        types.insert(
            name.clone(),
            merge::object(name, up, prose_sources.get(name), &config),
        );
    }
    // A type no endpoint of the version uses any more goes.
    let used = reachable(specs.iter().map(|s| &s.spec), &types);
    types.retain(|name, _| used.contains(name));

    let unified = enums::unify(
        &types_path,
        &format!("{dir}import.json"),
        &config,
        &mut types,
        &mut specs,
    );
    problems.extend(unified.problems);
    report.notes.extend(unified.notes);

    for vs in specs.iter_mut().filter(|s| s.selected) {
        catalogue::strip(&mut vs.spec.errors, catalogue);
        report.files.push(OutputFile {
            path: vs.file.clone(),
            contents: canonical::endpoint(&vs.spec),
        });
        prose::endpoint(&vs.file, &vs.spec, catalogue, &mut report.missing_prose);
    }
    if !types.is_empty() || tree.types.contains_key(&key) {
        report.files.push(OutputFile {
            path: types_path.clone(),
            contents: canonical::types_file(&TypesFile {
                types: types.clone(),
            }),
        });
        let selected = reachable(specs.iter().filter(|s| s.selected).map(|s| &s.spec), &types);
        let names: Vec<String> = selected
            .into_iter()
            .filter(|n| types.contains_key(n))
            .collect();
        let origins: BTreeMap<String, String> = registry
            .iter()
            .map(|(n, o)| (n.clone(), o.origin.clone()))
            .collect();
        prose::types(
            &types_path,
            &types,
            &names,
            &origins,
            &mut report.missing_prose,
        );
    }
}

/// Names of the types the endpoints use, directly or through other types.
fn reachable<'a>(
    specs: impl Iterator<Item = &'a EndpointSpec>,
    types: &BTreeMap<String, ObjectType>,
) -> BTreeSet<String> {
    let mut todo: Vec<String> = Vec::new();
    let push_fields = |fields: &[Field], todo: &mut Vec<String>| {
        for f in fields {
            if let Some(name) = object_name(&f.ty) {
                todo.push(name.to_string());
            }
        }
    };
    let mut local = BTreeMap::new();
    for spec in specs {
        match &spec.request_body {
            RequestBody::Json { fields } | RequestBody::Multipart { fields } => {
                push_fields(fields, &mut todo)
            }
            RequestBody::None => {}
        }
        match &spec.response {
            Response::Json {
                data_fields: fields,
            }
            | Response::Flat { fields } => push_fields(fields, &mut todo),
            _ => {}
        }
        for (name, object) in &spec.types {
            local.insert(name.clone(), object.clone());
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(object) = types.get(&name).or_else(|| local.get(&name)) {
            push_fields(&object.fields, &mut todo);
        }
    }
    seen
}

/// `array<map<object:Message>>` → `Message`.
fn object_name(ty: &str) -> Option<&str> {
    let mut t = ty;
    loop {
        if let Some(inner) = t.strip_prefix("array<").and_then(|r| r.strip_suffix('>')) {
            t = inner;
        } else if let Some(inner) = t.strip_prefix("map<").and_then(|r| r.strip_suffix('>')) {
            t = inner;
        } else {
            return t.strip_prefix("object:");
        }
    }
}
