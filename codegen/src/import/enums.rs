//! Enum names across a service version: one name, one set of values. Names a maintainer
//! wrote (or accepted) stay; an enum new from the metadata whose default name already means
//! other values gets a name that does not (`<Owner><Name>`), written as `enum_type_name`.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

use super::problem::ImportProblem;
use crate::spec::{EndpointSpec, EnumValue, Field, ObjectType, RequestBody, Response};

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

/// A spec's fields, its old spec's fields, where they are, and how problems name them.
type FieldLists<'a> = (&'a [Field], &'a [Field], fn(usize, usize) -> Place, &'a str);

#[derive(Clone, Copy)]
enum Place {
    Type(usize, usize),
    Query(usize, usize),
    Body(usize, usize),
    Response(usize, usize),
}

struct Site {
    place: Place,
    owners: Vec<String>,
    default: String,
    explicit: Option<String>,
    values: BTreeSet<String>,
    fixed: bool,
    label: (String, String, String),
}

/// Gives every new enum of the version a name that means its values; reports names kept
/// from the specs that now mean two sets of values.
pub fn name(
    types_file: &str,
    types: &mut BTreeMap<String, ObjectType>,
    old_types: &BTreeMap<String, ObjectType>,
    imported_types: &BTreeSet<String>,
    specs: &mut [VersionSpec],
) -> Vec<ImportProblem> {
    let type_names: Vec<String> = types.keys().cloned().collect();
    let mut sites = Vec::new();
    for (t, name) in type_names.iter().enumerate() {
        let object = &types[name];
        let old = old_types.get(name);
        for (i, f) in object.fields.iter().enumerate() {
            let Some(values) = &f.enum_values else {
                continue;
            };
            let had = old
                .and_then(|o| o.fields.iter().find(|x| x.name == f.name))
                .is_some_and(|x| x.enum_values.is_some());
            sites.push(Site {
                place: Place::Type(t, i),
                owners: vec![name.clone()],
                default: field_default(f),
                explicit: f.enum_type_name.clone(),
                values: set(values),
                fixed: !imported_types.contains(name) || had || f.enum_type_name.is_some(),
                label: (
                    types_file.into(),
                    ".".into(),
                    format!("types.{name}.fields[{i}].enum"),
                ),
            });
        }
    }
    for (s, vs) in specs.iter().enumerate() {
        let parts: Vec<&str> = vs.spec.id.split('.').collect();
        let resource = parts
            .get(2)
            .copied()
            .unwrap_or_default()
            .to_upper_camel_case();
        let operation = format!(
            "{}{resource}",
            parts
                .get(3)
                .copied()
                .unwrap_or_default()
                .to_upper_camel_case()
        );
        let owners = vec![resource.clone(), operation];
        let (document, op) = vs
            .source
            .clone()
            .unwrap_or_else(|| (vs.file.clone(), ".".into()));
        for (i, q) in vs.spec.query_params.iter().enumerate() {
            let Some(values) = &q.enum_values else {
                continue;
            };
            let had = vs
                .old
                .as_ref()
                .and_then(|o| o.query_params.iter().find(|x| x.name == q.name))
                .is_some_and(|x| x.enum_values.is_some());
            sites.push(Site {
                place: Place::Query(s, i),
                owners: owners.clone(),
                default: q
                    .rust_name
                    .clone()
                    .unwrap_or_else(|| q.name.clone())
                    .to_upper_camel_case(),
                explicit: q.enum_type_name.clone(),
                values: set(values),
                fixed: !vs.selected || had || q.enum_type_name.is_some(),
                label: (
                    document.clone(),
                    op.clone(),
                    format!("query_params[{i}].enum"),
                ),
            });
        }
        let lists: [FieldLists; 2] = [
            (
                body(&vs.spec),
                vs.old.as_ref().map(body).unwrap_or(&[]),
                Place::Body,
                "request_body.fields",
            ),
            (
                answer(&vs.spec),
                vs.old.as_ref().map(answer).unwrap_or(&[]),
                Place::Response,
                "response fields",
            ),
        ];
        for (fields, old_fields, place, at) in lists {
            for (i, f) in fields.iter().enumerate() {
                let Some(values) = &f.enum_values else {
                    continue;
                };
                let had = old_fields
                    .iter()
                    .find(|x| x.name == f.name)
                    .is_some_and(|x| x.enum_values.is_some());
                sites.push(Site {
                    place: place(s, i),
                    owners: owners.clone(),
                    default: field_default(f),
                    explicit: f.enum_type_name.clone(),
                    values: set(values),
                    fixed: !vs.selected || had || f.enum_type_name.is_some(),
                    label: (document.clone(), op.clone(), format!("{at}[{i}].enum")),
                });
            }
        }
    }

    let mut problems = Vec::new();
    let mut taken: BTreeMap<String, (BTreeSet<String>, String)> = BTreeMap::new();
    let mut renames: Vec<(Place, String)> = Vec::new();
    for fixed in [true, false] {
        for site in sites.iter().filter(|s| s.fixed == fixed) {
            let name = site
                .explicit
                .clone()
                .unwrap_or_else(|| site.default.clone());
            let place_name = format!("{}: {}", site.label.0, site.label.2);
            match taken.get(&name) {
                None => {
                    taken.insert(name, (site.values.clone(), place_name));
                }
                Some((values, _)) if *values == site.values => {}
                Some((values, first)) if fixed => problems.push(ImportProblem::new(
                    &site.label.0,
                    &site.label.1,
                    site.label.2.clone(),
                    format!(
                        "enum `{name}` would have the values {} here but {} at {first}: give one of them another enum_type_name in its spec (names in specs are kept)",
                        list(&site.values),
                        list(values)
                    ),
                )),
                Some(_) => {
                    let mut candidates: Vec<String> =
                        site.owners.iter().map(|o| format!("{o}{}", site.default)).collect();
                    candidates.extend((2..100).map(|n| format!("{}{}{n}", site.owners[0], site.default)));
                    let chosen = candidates
                        .into_iter()
                        .find(|c| taken.get(c).is_none_or(|(v, _)| *v == site.values))
                        .expect("a free name among 100");
                    taken
                        .entry(chosen.clone())
                        .or_insert((site.values.clone(), place_name));
                    renames.push((site.place, chosen));
                }
            }
        }
    }
    for (place, name) in renames {
        let slot = match place {
            Place::Type(t, i) => {
                let object = types.get_mut(&type_names[t]).expect("listed");
                &mut object.fields[i].enum_type_name
            }
            Place::Query(s, i) => &mut specs[s].spec.query_params[i].enum_type_name,
            Place::Body(s, i) => match &mut specs[s].spec.request_body {
                RequestBody::Json { fields } | RequestBody::Multipart { fields } => {
                    &mut fields[i].enum_type_name
                }
                RequestBody::None => continue,
            },
            Place::Response(s, i) => match &mut specs[s].spec.response {
                Response::Json {
                    data_fields: fields,
                }
                | Response::Flat { fields } => &mut fields[i].enum_type_name,
                _ => continue,
            },
        };
        *slot = Some(name);
    }
    problems
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

fn field_default(f: &Field) -> String {
    f.rust_name
        .clone()
        .unwrap_or_else(|| f.name.to_snake_case())
        .to_upper_camel_case()
}

fn set(values: &[EnumValue]) -> BTreeSet<String> {
    values.iter().map(|v| v.value.clone()).collect()
}

fn list(values: &BTreeSet<String>) -> String {
    values.iter().cloned().collect::<Vec<_>>().join(", ")
}
