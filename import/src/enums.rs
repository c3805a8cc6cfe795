//! Enums across a service version: one type per concept ([`lark_codegen::concepts`]).
//!
//! A string parameter or field is the enum named after its Rust name (`member_id_type` →
//! `MemberIdType`) unless `import.json` `enums` names another (for its name, or for that
//! place alone); places of one enum each list the values they accept, and the enum has them
//! all. A free string becomes a reference to the enum of its concept (`enum_type_name`
//! without `enum`) when another place of the version lists that enum's values: `chat_mode`
//! is a `ChatMode` everywhere once one answer lists its values. Empty descriptions and
//! missing `rust_name`s of values are taken from another place of the same enum, so a value
//! is described once.

use std::collections::{BTreeMap, BTreeSet};

use lark_codegen::concepts::{
    default_enum_name, field_rust_name, query_key, request_key, response_key, type_key, Decided,
};
use lark_codegen::import_config::ImportConfig;
use lark_codegen::spec::{
    EndpointSpec, EnumValue, Field, ObjectType, QueryParam, RequestBody, Response,
};

use super::problem::ImportProblem;

/// An endpoint spec of the version, as the import leaves it.
pub struct VersionSpec {
    /// `spec/im/v1/chat/list.json`.
    pub file: String,
    /// The spec.
    pub spec: EndpointSpec,
    /// The spec before this import, if it is being imported and existed.
    pub old: Option<EndpointSpec>,
    /// Imported by this run (else left as it is).
    pub selected: bool,
    /// The document and operation it was imported from.
    pub source: Option<(String, String)>,
}

/// Where a string parameter or field is.
#[derive(Clone, Copy)]
enum Place {
    Type(usize, usize),
    Query(usize, usize),
    Body(usize, usize),
    Response(usize, usize),
}

struct Site {
    place: Place,
    /// Its `enums` key.
    key: String,
    /// Its Rust name.
    name: String,
    /// Written by this import.
    writable: bool,
    /// The enum it is: decided (writable places), or as its spec says (the others).
    type_name: Option<String>,
    /// The values it lists.
    values: Option<Vec<EnumValue>>,
    /// (document, operation, field) for problems and notes.
    label: (String, String, String),
}

/// What [`unify`] found.
#[derive(Default)]
pub struct Unified {
    /// Decisions that cannot be applied.
    pub problems: Vec<ImportProblem>,
    /// Enums whose places list values of which neither contains the other: one enum with
    /// all of them, perhaps two concepts (a maintainer decides).
    pub notes: Vec<String>,
    /// Every enum of the version with all its values.
    pub unions: BTreeMap<String, Vec<EnumValue>>,
}

/// Binds every string parameter and field of the version written by this import to the enum
/// of its concept, and brings their values' prose in line.
pub fn unify(
    types_file: &str,
    config_path: &str,
    config: &ImportConfig,
    types: &mut BTreeMap<String, ObjectType>,
    specs: &mut [VersionSpec],
) -> Unified {
    let mut sites = Vec::new();
    let type_names: Vec<String> = types.keys().cloned().collect();
    for (t, name) in type_names.iter().enumerate() {
        for (i, f) in types[name].fields.iter().enumerate() {
            if f.ty == "string" {
                sites.push(field_site(
                    Place::Type(t, i),
                    type_key(name, &f.name),
                    f,
                    true,
                    (
                        types_file.into(),
                        ".".into(),
                        format!("types.{name}.fields[{i}]"),
                    ),
                    config,
                ));
            }
        }
    }
    for (s, vs) in specs.iter().enumerate() {
        let id = &vs.spec.id;
        let (document, op) = vs
            .source
            .clone()
            .unwrap_or_else(|| (vs.file.clone(), ".".into()));
        let label = |field: String| (document.clone(), op.clone(), field);
        for (i, q) in vs.spec.query_params.iter().enumerate() {
            if q.ty == "string" {
                sites.push(query_site(
                    Place::Query(s, i),
                    query_key(id, &q.name),
                    q,
                    vs.selected,
                    label(format!("query_params[{i}]")),
                    config,
                ));
            }
        }
        for (i, f) in body(&vs.spec).iter().enumerate() {
            if f.ty == "string" {
                sites.push(field_site(
                    Place::Body(s, i),
                    request_key(id, &f.name),
                    f,
                    vs.selected,
                    label(format!("request_body.fields[{i}]")),
                    config,
                ));
            }
        }
        for (i, f) in answer(&vs.spec).iter().enumerate() {
            if f.ty == "string" {
                sites.push(field_site(
                    Place::Response(s, i),
                    response_key(id, &f.name),
                    f,
                    vs.selected,
                    label(format!("response fields[{i}]")),
                    config,
                ));
            }
        }
    }

    // Each enum's values, in order of appearance, with the first description and rust_name
    // given for each.
    let mut out = Unified::default();
    let mut sets: BTreeMap<String, Vec<(BTreeSet<String>, usize)>> = BTreeMap::new();
    for (n, site) in sites.iter().enumerate() {
        let (Some(t), Some(values)) = (&site.type_name, &site.values) else {
            continue;
        };
        let union = out.unions.entry(t.clone()).or_default();
        for v in values {
            match union.iter_mut().find(|x| x.value == v.value) {
                Some(x) => {
                    if x.description.is_empty() {
                        x.description = v.description.clone();
                    }
                    if x.rust_name.is_none() {
                        x.rust_name = v.rust_name.clone();
                    }
                }
                None => union.push(v.clone()),
            }
        }
        sets.entry(t.clone())
            .or_default()
            .push((values.iter().map(|v| v.value.clone()).collect(), n));
    }

    for site in &sites {
        if !site.writable {
            continue;
        }
        let Some(t) = &site.type_name else { continue };
        let union = out.unions.get(t);
        let (type_name, values, example_fits) = match (&site.values, union) {
            // It lists its values: our prose for them where it has none.
            (Some(values), _) => {
                let values: Vec<EnumValue> = values
                    .iter()
                    .map(|v| {
                        let shared = union.and_then(|u| u.iter().find(|x| x.value == v.value));
                        EnumValue {
                            value: v.value.clone(),
                            rust_name: v
                                .rust_name
                                .clone()
                                .or_else(|| shared.and_then(|x| x.rust_name.clone())),
                            description: if v.description.is_empty() {
                                shared.map(|x| x.description.clone()).unwrap_or_default()
                            } else {
                                v.description.clone()
                            },
                        }
                    })
                    .collect();
                let name = (*t != default_enum_name(&site.name)).then(|| t.clone());
                (name, Some(values), None)
            }
            // A free string of a concept whose values another place lists: that enum.
            (None, Some(union)) => (
                Some(t.clone()),
                None,
                Some(
                    union
                        .iter()
                        .map(|v| v.value.clone())
                        .collect::<BTreeSet<_>>(),
                ),
            ),
            (None, None) => {
                if Decided::of(config, &site.key, &site.name)
                    .type_name()
                    .is_some()
                {
                    out.problems.push(ImportProblem::new(
                        &site.label.0,
                        &site.label.1,
                        site.label.2.clone(),
                        format!(
                            "{config_path} makes this the enum `{t}`, but no parameter or field of the version lists its values: give them (`values`)"
                        ),
                    ));
                }
                continue;
            }
        };
        apply(
            types,
            &type_names,
            specs,
            site.place,
            type_name,
            values,
            example_fits,
        );
    }

    // Places of one enum listing values of which neither contains the other.
    for (t, lists) in &sets {
        let confirmed = sites.iter().any(|s| {
            s.type_name.as_deref() == Some(t.as_str())
                && Decided::of(config, &s.key, &s.name).type_name() == Some(t.as_str())
        });
        if confirmed {
            continue;
        }
        'pairs: for (i, (a, na)) in lists.iter().enumerate() {
            for (b, nb) in &lists[i + 1..] {
                if !a.is_subset(b) && !b.is_subset(a) {
                    let (sa, sb) = (&sites[*na], &sites[*nb]);
                    out.notes.push(format!(
                        "enum `{t}` joins {} ({}: {}) and {} ({}: {}), neither containing the other: if they are different concepts, give one its own enum in {config_path} `enums` (`\"{}\": {{\"type\": \"…\"}}`); `\"{}\": {{\"type\": \"{t}\"}}` says they are one",
                        join(a),
                        sa.label.0,
                        sa.label.2,
                        join(b),
                        sb.label.0,
                        sb.label.2,
                        sb.key,
                        sb.name
                    ));
                    break 'pairs;
                }
            }
        }
    }
    out
}

fn field_site(
    place: Place,
    key: String,
    f: &Field,
    writable: bool,
    label: (String, String, String),
    config: &ImportConfig,
) -> Site {
    let name = field_rust_name(f);
    site(
        place,
        key,
        name,
        writable,
        f.enum_type_name.as_deref(),
        f.enum_values.clone(),
        label,
        config,
    )
}

fn query_site(
    place: Place,
    key: String,
    q: &QueryParam,
    writable: bool,
    label: (String, String, String),
    config: &ImportConfig,
) -> Site {
    let name = q.rust_name.clone().unwrap_or_else(|| q.name.clone());
    site(
        place,
        key,
        name,
        writable,
        q.enum_type_name.as_deref(),
        q.enum_values.clone(),
        label,
        config,
    )
}

#[allow(clippy::too_many_arguments)]
fn site(
    place: Place,
    key: String,
    name: String,
    writable: bool,
    enum_type_name: Option<&str>,
    values: Option<Vec<EnumValue>>,
    label: (String, String, String),
    config: &ImportConfig,
) -> Site {
    let type_name = if writable {
        Some(Decided::of(config, &key, &name).type_or_default(&name))
    } else {
        match (enum_type_name, &values) {
            (Some(t), _) => Some(t.to_string()),
            (None, Some(_)) => Some(default_enum_name(&name)),
            (None, None) => None,
        }
    };
    Site {
        place,
        key,
        name,
        writable,
        type_name,
        values,
        label,
    }
}

/// Writes a place's enum: its name (`None`: the default), its values (`None`: a reference),
/// and drops an example that is no value of the enum it refers to.
fn apply(
    types: &mut BTreeMap<String, ObjectType>,
    type_names: &[String],
    specs: &mut [VersionSpec],
    place: Place,
    name: Option<String>,
    values: Option<Vec<EnumValue>>,
    fits: Option<BTreeSet<String>>,
) {
    let field = |f: &mut Field| {
        f.enum_type_name = name.clone();
        f.enum_values = values.clone();
        if let Some(fits) = &fits {
            if f.example
                .as_ref()
                .is_some_and(|e| !e.as_str().is_some_and(|e| fits.contains(e)))
            {
                f.example = None;
            }
        }
    };
    match place {
        Place::Type(t, i) => {
            let object = types.get_mut(&type_names[t]).expect("listed");
            field(&mut object.fields[i]);
        }
        Place::Query(s, i) => {
            let q = &mut specs[s].spec.query_params[i];
            q.enum_type_name = name;
            q.enum_values = values;
            if let Some(fits) = &fits {
                if q.example.as_ref().is_some_and(|e| !fits.contains(e)) {
                    q.example = None;
                }
            }
        }
        Place::Body(s, i) => {
            if let RequestBody::Json { fields } | RequestBody::Multipart { fields } =
                &mut specs[s].spec.request_body
            {
                field(&mut fields[i]);
            }
        }
        Place::Response(s, i) => {
            if let Response::Json {
                data_fields: fields,
            }
            | Response::Flat { fields } = &mut specs[s].spec.response
            {
                field(&mut fields[i]);
            }
        }
    }
}

fn body(spec: &EndpointSpec) -> &[Field] {
    match &spec.request_body {
        RequestBody::Json { fields } | RequestBody::Multipart { fields } => fields,
        RequestBody::None => &[],
    }
}

fn answer(spec: &EndpointSpec) -> &[Field] {
    match &spec.response {
        Response::Json {
            data_fields: fields,
        }
        | Response::Flat { fields } => fields,
        _ => &[],
    }
}

fn join(values: &BTreeSet<String>) -> String {
    values.iter().cloned().collect::<Vec<_>>().join(", ")
}
