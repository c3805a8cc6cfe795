//! Rust emission: the type model in, formatted files out. No I/O here.
//!
//! Split by concern: `accessors` (the module tree and `client.im().v1()…`), `models`
//! (structs and enums), `request` (request values and builders), `operation` (the runtime
//! seam), `errors` (error enums), `endpoint_docs` and `examples` (docs and doctests),
//! `events` (the typed events of each version).

mod accessors;
mod docs;
mod e2e;
mod e2e_events;
mod endpoint;
mod endpoint_docs;
mod endpoint_list;
mod errors;
mod events;
mod examples;
mod examples_file;
mod models;
mod operation;
mod request;
mod rust_types;

use std::collections::BTreeMap;

use proc_macro2::{Ident, Span, TokenStream};

use crate::load::Problem;
use crate::model::{EndpointModel, EventModel, Model, ResponseModel};

/// Where generated files go, relative to the workspace root.
pub const GENERATED_DIR: &str = "sdk/src/generated";

pub use e2e::E2E_FILE;
pub use e2e_events::E2E_EVENTS_FILE;
pub use endpoint_list::ENDPOINT_LIST;
pub use examples_file::EXAMPLES_FILE;

/// One generated file: its path relative to the workspace root and its exact contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the workspace root, `/`-separated.
    pub path: String,
    /// File contents, formatted, starting with the do-not-edit header.
    pub contents: String,
}

/// The names an endpoint module exports through its resource module.
fn exported_names(ep: &EndpointModel) -> Vec<String> {
    let mut names = vec![ep.names.operation.clone(), ep.names.request.clone()];
    if !ep.body.fields().is_empty() {
        names.push(ep.names.body.clone());
    }
    if !matches!(ep.response, ResponseModel::Binary(_)) {
        names.push(ep.names.response.clone());
    }
    names
}

/// Generates every file. Deterministic: the same specs give the same bytes, whatever their
/// order. Fails when two endpoints of a resource would export one name, or an endpoint's
/// type would shadow a shared one.
pub fn generate(model: &Model) -> Result<Vec<GeneratedFile>, Vec<Problem>> {
    // service -> version -> resource -> endpoints
    type Tree<'a> = BTreeMap<&'a str, BTreeMap<&'a str, BTreeMap<&'a str, Vec<&'a EndpointModel>>>>;
    let mut tree: Tree = BTreeMap::new();
    for ep in &model.endpoints {
        tree.entry(ep.service.as_str())
            .or_default()
            .entry(ep.version.as_str())
            .or_default()
            .entry(ep.resource.as_str())
            .or_default()
            .push(ep);
    }
    // A version may have events and no endpoints (`card` `v1`).
    let mut events: BTreeMap<(&str, &str), Vec<&EventModel>> = BTreeMap::new();
    for e in &model.events {
        tree.entry(e.service.as_str())
            .or_default()
            .entry(e.version.as_str())
            .or_default();
        events
            .entry((e.service.as_str(), e.version.as_str()))
            .or_default()
            .push(e);
    }
    let mut problems = collisions(model);
    problems.extend(event_collisions(model));
    if !problems.is_empty() {
        problems.sort();
        return Err(problems);
    }

    let mut files = Vec::new();
    let has_api = |versions: &BTreeMap<&str, BTreeMap<&str, Vec<&EndpointModel>>>| {
        versions.values().any(|resources| !resources.is_empty())
    };
    let services: Vec<(&str, bool)> = tree.iter().map(|(s, v)| (*s, has_api(v))).collect();
    files.push(file(
        "mod.rs",
        "every spec",
        accessors::root_module(&services),
    ));
    for (service, versions) in &tree {
        let names: Vec<(&str, bool)> = versions
            .iter()
            .map(|(v, resources)| (*v, !resources.is_empty()))
            .collect();
        files.push(file(
            &format!("{service}/mod.rs"),
            &format!("spec/{service}/"),
            accessors::service_module(service, &names),
        ));
        for (version, resources) in versions {
            let names: Vec<&str> = resources.keys().copied().collect();
            let v = model
                .versions
                .iter()
                .find(|v| v.service == *service && v.version == *version);
            let has_models = v.is_some_and(|v| !v.structs.is_empty() || !v.enums.is_empty());
            let version_events = events.get(&(*service, *version));
            files.push(file(
                &format!("{service}/{version}/mod.rs"),
                &format!("spec/{service}/{version}/"),
                accessors::version_module(
                    service,
                    version,
                    &names,
                    has_models,
                    version_events.is_some(),
                ),
            ));
            if let (Some(v), true) = (v, has_models) {
                let sent = sent_types(v, resources.values().flatten().copied());
                files.push(file(
                    &format!("{service}/{version}/models.rs"),
                    &format!("the types of spec/{service}/{version}/"),
                    models::models_module(v, &sent),
                ));
            }
            if let (Some(v), false) = (v, resources.is_empty()) {
                files.push(file(
                    &format!("{service}/{version}/errors.rs"),
                    &format!("spec/{service}/{version}/errors.json and the error tables"),
                    errors::codes_module(v),
                ));
            }
            if let Some(list) = version_events {
                files.push(file(
                    &format!("{service}/{version}/events.rs"),
                    &format!("spec/{service}/{version}/events/"),
                    events::events_module(service, version, list, v),
                ));
            }
            for (resource, eps) in resources {
                let exports: Vec<(&str, Vec<String>)> = eps
                    .iter()
                    .map(|e| (e.method.as_str(), exported_names(e)))
                    .collect();
                files.push(file(
                    &format!("{service}/{version}/{resource}/mod.rs"),
                    &format!("spec/{service}/{version}/{resource}/"),
                    accessors::resource_module(service, version, resource, &exports),
                ));
                for ep in eps {
                    let v = model.version_of(ep);
                    files.push(file(
                        &ep.module_file(),
                        &ep.file,
                        endpoint::endpoint_module(ep, v),
                    ));
                }
            }
        }
    }
    files.push(GeneratedFile {
        path: E2E_FILE.to_string(),
        contents: e2e::e2e_file(model),
    });
    files.push(GeneratedFile {
        path: EXAMPLES_FILE.to_string(),
        contents: examples_file::examples_file(model),
    });
    files.push(GeneratedFile {
        path: E2E_EVENTS_FILE.to_string(),
        contents: e2e_events::e2e_events_file(model),
    });
    files.push(GeneratedFile {
        path: ENDPOINT_LIST.to_string(),
        contents: endpoint_list::endpoint_list(model),
    });
    Ok(files)
}

/// Names two endpoints of a resource would both export, or an endpoint type that would
/// shadow a shared type of its version.
fn collisions(model: &Model) -> Vec<Problem> {
    let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut problems = Vec::new();
    for ep in &model.endpoints {
        let resource = format!("{}.{}.{}", ep.service, ep.version, ep.resource);
        let v = model.version_of(ep);
        for name in exported_names(ep) {
            if v.structs.contains_key(&name) || v.enums.contains_key(&name) {
                problems.push(Problem {
                    file: ep.file.clone(),
                    field: "id".into(),
                    message: format!(
                        "the generated `{name}` would shadow the shared type of that name: rename the type"
                    ),
                });
            }
            if let Some(other) = seen.insert((resource.clone(), name.clone()), ep.file.clone()) {
                problems.push(Problem {
                    file: ep.file.clone(),
                    field: "id".into(),
                    message: format!("type `{name}` is also generated by {other}"),
                });
            }
        }
    }
    problems.sort();
    problems
}

/// An event type that would shadow a shared type of its version (the events module
/// imports them), or two event files giving one type name.
fn event_collisions(model: &Model) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<(&str, &str, &str), &str> = BTreeMap::new();
    for e in &model.events {
        let v = model
            .versions
            .iter()
            .find(|v| v.service == e.service && v.version == e.version);
        if v.is_some_and(|v| {
            v.structs.contains_key(&e.type_name) || v.enums.contains_key(&e.type_name)
        }) {
            problems.push(Problem {
                file: e.file.clone(),
                field: ".".into(),
                message: format!(
                    "the event type `{}` would shadow the shared type of that name: rename the type or the file",
                    e.type_name
                ),
            });
        }
        if let Some(other) = seen.insert((&e.service, &e.version, &e.type_name), &e.file) {
            problems.push(Problem {
                file: e.file.clone(),
                field: ".".into(),
                message: format!("type `{}` is also generated by {other}", e.type_name),
            });
        }
    }
    problems
}

/// The shared types a request body of the version reaches (they get constructors and
/// setters; the others are only received).
fn sent_types<'a>(
    v: &crate::model::VersionModel,
    endpoints: impl Iterator<Item = &'a EndpointModel>,
) -> std::collections::BTreeSet<String> {
    use crate::model::Ty;
    fn visit(
        ty: &Ty,
        v: &crate::model::VersionModel,
        out: &mut std::collections::BTreeSet<String>,
    ) {
        match ty {
            Ty::Object(name) if out.insert(name.clone()) => {
                if let Some(s) = v.structs.get(name) {
                    for f in &s.fields {
                        visit(&f.ty, v, out);
                    }
                }
            }
            Ty::Array(inner) | Ty::Map(inner) => visit(inner, v, out),
            _ => {}
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for ep in endpoints {
        for f in ep.body.fields() {
            visit(&f.ty, v, &mut out);
        }
    }
    out
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// Formats a module and puts the header on top.
fn file(rel: &str, source: &str, tokens: TokenStream) -> GeneratedFile {
    let contents = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(ast) => space_items(&prettyplease::unparse(&ast)),
        // Unparseable output is a generator bug; keep it visible rather than hide it.
        Err(err) => format!("compile_error!({:?});\n// {tokens}\n", err.to_string()),
    };
    GeneratedFile {
        path: format!("{GENERATED_DIR}/{rel}"),
        contents: format!(
            "// @generated by `cargo xtask gen` from {source}. Do not edit: change the spec or\n\
             // the generator (codegen/), then run `cargo xtask gen`.\n\n{contents}"
        ),
    }
}

/// Puts a blank line between items (prettyplease packs them), so generated files read like
/// hand-written ones: after a closing brace at item level (top level or inside an `impl`),
/// and after the `use` block.
fn space_items(code: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = String::with_capacity(code.len() + code.len() / 16);
    let mut in_use = false;
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        in_use = (in_use || line.starts_with("use ")) && !line.ends_with(';');
        let Some(next) = lines.get(i + 1) else {
            continue;
        };
        let next_opens = !next.trim().is_empty()
            && !next.trim_start().starts_with('}')
            && !next.trim_start().starts_with(')');
        let closes_item = matches!(*line, "}" | "};" | "    }" | "    };");
        let ends_uses = !in_use
            && line.ends_with(';')
            && (line.starts_with("use ") || line.starts_with('}'))
            && !next.starts_with("use ");
        let inner_doc_end = line.starts_with("//!") && !next.starts_with("//!");
        if next_opens && (closes_item || ends_uses || inner_doc_end) {
            out.push('\n');
        }
    }
    out
}
