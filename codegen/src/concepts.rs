//! One type per concept per service version: which enum each string parameter and field is.
//!
//! A string parameter or field (a *place*) is a free string, an enum listing the values it
//! accepts (`enum`), or a reference to an enum of the version (`enum_type_name` without
//! `enum`). An enum is named after the place's Rust name (`member_id_type` →
//! `MemberIdType`), so places of one name share one enum, whose values are the union of
//! what each place lists; `spec/<service>/<version>/import.json` `enums` decides the rest
//! (another name, a concept of its own, the documented values of a free string) and
//! `distinct_enums` lists enums with the same values that are different concepts.
//!
//! The importer applies the decisions when it writes specs; [`validate`] checks every spec
//! of the tree against them (hand-written specs and events included):
//!
//! * a place bound to another enum than a decision says;
//! * one name bound to two enums without a decision (`sort_type` is `SortType` in one spec
//!   and `ChatSortType` in another);
//! * two enums with the same values under two names, not listed in `distinct_enums`;
//! * a reference to an enum no place lists values of.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::import_config::{EnumDecision, ImportConfig, LoadedConfig};
use crate::load::{LoadedEvent, LoadedSpec, LoadedTypes, Problem};
use crate::names::{is_snake_case, upper_camel};
use crate::spec::{EnumValue, Field, ObjectType, RequestBody, Response};

/// The decision key of a query parameter: `im.v1.message.list:query.container_id_type`.
pub fn query_key(id: &str, wire: &str) -> String {
    format!("{id}:query.{wire}")
}

/// The decision key of a field of a JSON or multipart body: `im.v1.chat.create:request.chat_type`.
pub fn request_key(id: &str, wire: &str) -> String {
    format!("{id}:request.{wire}")
}

/// The decision key of a field of a JSON answer's `data` (or a flat answer):
/// `im.v1.chat.get:response.chat_type`.
pub fn response_key(id: &str, wire: &str) -> String {
    format!("{id}:response.{wire}")
}

/// The decision key of a field of a named type: `ChatSummary.chat_mode`.
pub fn type_key(type_name: &str, wire: &str) -> String {
    format!("{type_name}.{wire}")
}

/// The decision key of a top-level field of an event: `events.message_recalled_v1.recall_type`.
pub fn event_key(event: &str, wire: &str) -> String {
    format!("events.{event}.{wire}")
}

/// The Rust name of a field: its `rust_name`, else its wire name in snake_case.
pub fn field_rust_name(f: &Field) -> String {
    f.rust_name
        .clone()
        .unwrap_or_else(|| f.name.to_snake_case())
}

/// The enum a place of this Rust name is, unless decided otherwise: `MemberIdType`.
pub fn default_enum_name(rust_name: &str) -> String {
    rust_name.to_upper_camel_case()
}

/// Whether a key of `enums` names a place (else it names every place of a Rust name).
pub fn is_place_key(key: &str) -> bool {
    key.contains(':') || key.contains('.')
}

/// The decisions that apply to one place: its own, and its name's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Decided<'a> {
    /// `enums.<place key>`.
    pub place: Option<&'a EnumDecision>,
    /// `enums.<rust name>`.
    pub name: Option<&'a EnumDecision>,
}

impl<'a> Decided<'a> {
    /// The decisions of `import.json` for the place `key` of Rust name `name`.
    pub fn of(config: &'a ImportConfig, key: &str, name: &str) -> Decided<'a> {
        Decided {
            place: config.enums.get(key),
            name: config.enums.get(name),
        }
    }

    /// The place's own enum, a concept of its own (`enums.<place key>.type`).
    pub fn own_type(&self) -> Option<&'a str> {
        self.place.and_then(|d| d.type_name.as_deref())
    }

    /// The enum the decisions name: the place's, else its name's.
    pub fn type_name(&self) -> Option<&'a str> {
        self.own_type()
            .or_else(|| self.name.and_then(|d| d.type_name.as_deref()))
    }

    /// The enum the place is: the decided one, else the default of its Rust name.
    pub fn type_or_default(&self, rust_name: &str) -> String {
        self.type_name()
            .map(str::to_string)
            .unwrap_or_else(|| default_enum_name(rust_name))
    }

    /// The documented values of a free string: the place's, else its name's.
    pub fn values(&self) -> Option<&'a [String]> {
        self.place
            .and_then(|d| d.values.as_deref())
            .or_else(|| self.name.and_then(|d| d.values.as_deref()))
    }
}

/// A string parameter or field as a spec has it.
struct Place<'a> {
    file: &'a str,
    /// The JSON path in the file: `query_params[0]`, `types.ChatSummary.fields[9]`.
    at: String,
    /// Its `enums` key.
    key: String,
    /// Its Rust name: the concept's key.
    name: String,
    enum_type_name: Option<&'a str>,
    values: Option<&'a [EnumValue]>,
    example: Option<String>,
}

impl Place<'_> {
    /// The enum it is, if it is one.
    fn type_name(&self) -> Option<String> {
        match (self.enum_type_name, self.values) {
            (Some(name), _) => Some(name.to_string()),
            (None, Some(_)) => Some(default_enum_name(&self.name)),
            (None, None) => None,
        }
    }

    fn location(&self) -> String {
        format!("{} ({})", self.file, self.at)
    }
}

type Version = (String, String);

fn field_places<'a>(
    out: &mut Vec<Place<'a>>,
    file: &'a str,
    at: &str,
    fields: &'a [Field],
    key: impl Fn(&str) -> String,
) {
    for (i, f) in fields.iter().enumerate() {
        if f.ty != "string" {
            continue;
        }
        out.push(Place {
            file,
            at: format!("{at}[{i}]"),
            key: key(&f.name),
            name: field_rust_name(f),
            enum_type_name: f.enum_type_name.as_deref(),
            values: f.enum_values.as_deref(),
            example: f
                .example
                .as_ref()
                .and_then(|e| e.as_str())
                .map(str::to_string),
        });
    }
}

fn type_places<'a>(
    out: &mut Vec<Place<'a>>,
    file: &'a str,
    types: &'a BTreeMap<String, ObjectType>,
) {
    for (name, object) in types {
        field_places(
            out,
            file,
            &format!("types.{name}.fields"),
            &object.fields,
            |wire| type_key(name, wire),
        );
    }
}

fn places<'a>(
    endpoints: &'a [LoadedSpec],
    types: &'a [LoadedTypes],
    events: &'a [LoadedEvent],
) -> BTreeMap<Version, Vec<Place<'a>>> {
    let mut out: BTreeMap<Version, Vec<Place<'a>>> = BTreeMap::new();
    for t in types {
        let list = out
            .entry((t.service.clone(), t.version.clone()))
            .or_default();
        type_places(list, &t.path, &t.types.types);
    }
    for loaded in endpoints {
        let spec = &loaded.spec;
        let mut parts = spec.id.split('.');
        let version = (
            parts.next().unwrap_or_default().to_string(),
            parts.next().unwrap_or_default().to_string(),
        );
        let list = out.entry(version).or_default();
        let file = loaded.path.as_str();
        for (i, q) in spec.query_params.iter().enumerate() {
            if q.ty != "string" {
                continue;
            }
            list.push(Place {
                file,
                at: format!("query_params[{i}]"),
                key: query_key(&spec.id, &q.name),
                name: q.rust_name.clone().unwrap_or_else(|| q.name.clone()),
                enum_type_name: q.enum_type_name.as_deref(),
                values: q.enum_values.as_deref(),
                example: q.example.clone(),
            });
        }
        if let RequestBody::Json { fields } | RequestBody::Multipart { fields } = &spec.request_body
        {
            field_places(list, file, "request_body.fields", fields, |w| {
                request_key(&spec.id, w)
            });
        }
        match &spec.response {
            Response::Json { data_fields } => {
                field_places(list, file, "response.data_fields", data_fields, |w| {
                    response_key(&spec.id, w)
                })
            }
            Response::Flat { fields } => field_places(list, file, "response.fields", fields, |w| {
                response_key(&spec.id, w)
            }),
            _ => {}
        }
        type_places(list, file, &spec.types);
    }
    for e in events {
        let list = out
            .entry((e.service.clone(), e.version.clone()))
            .or_default();
        field_places(list, &e.path, "fields", &e.spec.fields, |w| {
            event_key(&e.name, w)
        });
        type_places(list, &e.path, &e.spec.types);
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| (a.file, &a.at).cmp(&(b.file, &b.at)));
    }
    out
}

fn join(values: &BTreeSet<&str>) -> String {
    values.iter().copied().collect::<Vec<_>>().join(", ")
}

/// Checks every string parameter and field of every service version against the rule "one
/// enum per concept" and the decisions of the versions' `import.json`. Problems name both
/// files where two places disagree.
pub fn validate(
    endpoints: &[LoadedSpec],
    types: &[LoadedTypes],
    events: &[LoadedEvent],
    configs: &[LoadedConfig],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut by_version = places(endpoints, types, events);
    for c in configs {
        by_version
            .entry((c.service.clone(), c.version.clone()))
            .or_default();
    }
    let none = ImportConfig::default();
    for ((service, version), places) in &by_version {
        let loaded = configs
            .iter()
            .find(|c| &c.service == service && &c.version == version);
        let config = loaded.map_or(&none, |c| &c.config);
        let config_path = loaded
            .map(|c| c.path.clone())
            .unwrap_or_else(|| format!("spec/{service}/{version}/import.json"));
        check_version(
            &mut problems,
            service,
            version,
            places,
            config,
            &config_path,
        );
    }
    problems.sort();
    problems.dedup();
    problems
}

fn problem(file: &str, field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        file: file.to_string(),
        field: field.into(),
        message: message.into(),
    }
}

fn check_version(
    problems: &mut Vec<Problem>,
    service: &str,
    version: &str,
    places: &[Place],
    config: &ImportConfig,
    config_path: &str,
) {
    // The decisions themselves.
    for (key, decision) in &config.enums {
        let at = format!("enums.{key}");
        if is_place_key(key) {
            if !places.iter().any(|p| &p.key == key) {
                problems.push(problem(
                    config_path,
                    &at,
                    format!("`{key}` names no string parameter or field of {service} {version} (`<spec id>:query.<name>`, `<spec id>:request.<field>`, `<spec id>:response.<field>`, `<Type>.<field>` or `events.<event>.<field>`)"),
                ));
            }
        } else if !is_snake_case(key) {
            problems.push(problem(
                config_path,
                &at,
                format!("`{key}` is neither a place nor a snake_case parameter or field name"),
            ));
        } else if !places.iter().any(|p| &p.name == key) {
            problems.push(problem(
                config_path,
                &at,
                format!("no string parameter or field of {service} {version} is named `{key}`"),
            ));
        }
        if let Some(name) = &decision.type_name {
            if upper_camel(name).as_deref() != Some(name.as_str()) {
                problems.push(problem(
                    config_path,
                    format!("{at}.type"),
                    format!("`{name}` is not an UpperCamelCase identifier"),
                ));
            }
        }
        if let Some(values) = &decision.values {
            let mut seen = BTreeSet::new();
            if values.is_empty() {
                problems.push(problem(
                    config_path,
                    format!("{at}.values"),
                    "list at least one value",
                ));
            }
            for (i, v) in values.iter().enumerate() {
                if !seen.insert(v) {
                    problems.push(problem(
                        config_path,
                        format!("{at}.values[{i}]"),
                        format!("`{v}` is listed twice"),
                    ));
                }
            }
        }
        if decision.type_name.is_none() && decision.values.is_none() {
            problems.push(problem(
                config_path,
                &at,
                "decides nothing: give `type`, `values` or both",
            ));
        }
    }

    // Each place against the decisions.
    for p in places {
        let decided = Decided::of(config, &p.key, &p.name);
        let actual = p.type_name();
        if let Some(expected) = decided.type_name() {
            let which = if decided.own_type().is_some() {
                format!("enums.\"{}\"", p.key)
            } else {
                format!("enums.\"{}\"", p.name)
            };
            match &actual {
                Some(t) if t == expected => {}
                Some(t) => problems.push(problem(
                    p.file,
                    &p.at,
                    format!("is the enum `{t}`, but {config_path} makes it `{expected}` ({which}): run `cargo xtask import`, or write `\"enum_type_name\": \"{expected}\"`"),
                )),
                None => problems.push(problem(
                    p.file,
                    &p.at,
                    format!("is a free string, but {config_path} makes it the enum `{expected}` ({which}): run `cargo xtask import`, or write `\"enum_type_name\": \"{expected}\"`"),
                )),
            }
        } else if actual.is_none() && decided.values().is_some() {
            problems.push(problem(
                p.file,
                &p.at,
                format!("is a free string, but {config_path} lists its values (enums.\"{}\"): run `cargo xtask import`, or write them as `enum`", if decided.place.is_some() { &p.key } else { &p.name }),
            ));
        }
    }

    // One name, one enum (unless a decision gives a place its own).
    let mut by_name: BTreeMap<&str, Vec<(&Place, String)>> = BTreeMap::new();
    for p in places {
        let decided = Decided::of(config, &p.key, &p.name);
        if decided.own_type().is_some() || decided.type_name().is_some() {
            // Checked against the decision above.
            continue;
        }
        if let Some(t) = p.type_name() {
            by_name.entry(&p.name).or_default().push((p, t));
        }
    }
    for (name, bound) in &by_name {
        let (first, first_type) = &bound[0];
        for (p, t) in &bound[1..] {
            if t != first_type {
                problems.push(problem(
                    p.file,
                    &p.at,
                    format!(
                        "`{name}` is the enum `{t}` here but `{first_type}` in {}: one name is one enum per service version; if these are different concepts, give one of them its own in {config_path} `enums` (`\"{}\": {{\"type\": \"{t}\"}}`)",
                        first.location(),
                        p.key
                    ),
                ));
            }
        }
    }

    // The values of each enum: the union of its places'.
    let mut values: BTreeMap<String, (BTreeSet<&str>, &Place)> = BTreeMap::new();
    for p in places {
        if let (Some(t), Some(list)) = (p.type_name(), p.values) {
            let entry = values.entry(t).or_insert_with(|| (BTreeSet::new(), p));
            entry.0.extend(list.iter().map(|v| v.value.as_str()));
        }
    }
    for p in places {
        if p.values.is_some() {
            continue;
        }
        let Some(t) = p.type_name() else { continue };
        match values.get(&t) {
            None => problems.push(problem(
                p.file,
                format!("{}.enum_type_name", p.at),
                format!("`{t}` is no enum of {service} {version}: list the values here (`enum`) or on another parameter or field of that enum"),
            )),
            Some((set, _)) => {
                if let Some(example) = &p.example {
                    if !set.contains(example.as_str()) {
                        problems.push(problem(
                            p.file,
                            format!("{}.example", p.at),
                            format!("`{example}` is not a value of `{t}` ({})", join(set)),
                        ));
                    }
                }
            }
        }
    }

    // Two names, one set of values: one concept under two names, unless decided otherwise.
    for name in &config
        .distinct_enums
        .iter()
        .flatten()
        .collect::<BTreeSet<_>>()
    {
        if !values.contains_key(name.as_str()) {
            problems.push(problem(
                config_path,
                "distinct_enums",
                format!("`{name}` is no enum of {service} {version}"),
            ));
        }
    }
    let distinct = |a: &str, b: &str| {
        config
            .distinct_enums
            .iter()
            .any(|g| g.iter().any(|x| x == a) && g.iter().any(|x| x == b))
    };
    let names: Vec<&String> = values.keys().collect();
    for (j, b) in names.iter().enumerate() {
        let (set_b, place_b) = &values[b.as_str()];
        if let Some(a) = names[..j]
            .iter()
            .find(|a| values[a.as_str()].0 == *set_b && !distinct(a, b))
        {
            let place_a = values[a.as_str()].1;
            problems.push(problem(
                place_b.file,
                &place_b.at,
                format!(
                    "enum `{b}` has the same values as enum `{a}` of {} ({}): one concept is one enum per service version: make these places `{a}` in {config_path} `enums` (`\"{}\": {{\"type\": \"{a}\"}}`), or, if they are different concepts, list both in `distinct_enums`",
                    place_a.location(),
                    join(set_b),
                    place_b.name
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::load::SpecSource;

    /// A GET endpoint of demo v1 with these query parameters and answer fields.
    fn endpoint(resource: &str, query: Value, data: Value) -> SpecSource {
        let spec = json!({
            "id": format!("demo.v1.{resource}.get"), "summary": "s", "doc_url": "https://x",
            "http_method": "GET", "path": format!("/open-apis/demo/v1/{resource}"),
            "query_params": query, "access_tokens": ["tenant"], "app_types": ["custom"],
            "request_body": {"kind": "none"},
            "response": {"kind": "json", "data_fields": data}, "errors": []
        });
        SpecSource {
            path: format!("spec/demo/v1/{resource}/get.json"),
            text: spec.to_string(),
        }
    }

    fn param(name: &str, values: &[&str], type_name: Option<&str>) -> Value {
        let mut p = json!({"name": name, "type": "string", "required": false, "description": "d"});
        if !values.is_empty() {
            p["enum"] = values
                .iter()
                .map(|v| json!({"value": v, "description": "v"}))
                .collect();
        }
        if let Some(t) = type_name {
            p["enum_type_name"] = json!(t);
        }
        p
    }

    fn config(text: Value) -> SpecSource {
        SpecSource {
            path: "spec/demo/v1/import.json".into(),
            text: text.to_string(),
        }
    }

    fn problems(sources: &[SpecSource]) -> Vec<String> {
        match crate::parse_and_validate(sources) {
            Ok(_) => Vec::new(),
            Err(p) => p.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn places_of_one_name_share_the_union_of_their_values() {
        let sources = [
            endpoint(
                "a",
                json!([param("kind_type", &["x", "y"], None)]),
                json!([]),
            ),
            endpoint(
                "b",
                json!([param("kind_type", &["y", "z"], None)]),
                json!([]),
            ),
            endpoint(
                "c",
                json!([]),
                json!([param("kind_type", &[], Some("KindType"))]),
            ),
        ];
        assert_eq!(problems(&sources), Vec::<String>::new());
        let model = crate::build_model(&sources).unwrap();
        let values: Vec<&str> = model.versions[0].enums["KindType"]
            .values
            .iter()
            .map(|v| v.wire.as_str())
            .collect();
        assert_eq!(values, ["x", "y", "z"]);
    }

    #[test]
    fn same_values_under_two_names_unless_distinct() {
        let sources = vec![
            endpoint("a", json!([param("left", &["x", "y"], None)]), json!([])),
            endpoint("b", json!([param("right", &["y", "x"], None)]), json!([])),
        ];
        let got = problems(&sources);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(
            got[0].starts_with("spec/demo/v1/b/get.json: query_params[0]: enum `Right` has the same values as enum `Left` of spec/demo/v1/a/get.json (query_params[0]) (x, y)"),
            "{got:#?}"
        );
        let mut decided = sources.clone();
        decided.push(config(json!({"distinct_enums": [["Left", "Right"]]})));
        assert_eq!(problems(&decided), Vec::<String>::new());
        // A decision to make them one: the spec must follow it (the importer writes it).
        let mut unified = sources.clone();
        unified.push(config(json!({"enums": {"right": {"type": "Left"}}})));
        assert!(problems(&unified).contains(&"spec/demo/v1/b/get.json: query_params[0]: is the enum `Right`, but spec/demo/v1/import.json makes it `Left` (enums.\"right\"): run `cargo xtask import`, or write `\"enum_type_name\": \"Left\"`".to_string()));
        unified[1] = endpoint(
            "b",
            json!([param("right", &["y", "x"], Some("Left"))]),
            json!([]),
        );
        assert_eq!(problems(&unified), Vec::<String>::new());
    }

    #[test]
    fn references_name_an_enum_with_values_and_take_one_of_its_values_as_example() {
        let mut p = param("kind_type", &[], Some("KindType"));
        p["example"] = json!("w");
        let sources = [
            endpoint("a", json!([param("kind_type", &["x"], None)]), json!([])),
            endpoint(
                "b",
                json!([p, param("other", &[], Some("Nothing"))]),
                json!([]),
            ),
        ];
        assert_eq!(
            problems(&sources),
            [
                "spec/demo/v1/b/get.json: query_params[0].example: `w` is not a value of `KindType` (x)",
                "spec/demo/v1/b/get.json: query_params[1].enum_type_name: `Nothing` is no enum of demo v1: list the values here (`enum`) or on another parameter or field of that enum",
            ]
        );
    }

    #[test]
    fn decisions_are_checked_and_followed() {
        let sources = [
            endpoint(
                "a",
                json!([param("kind_type", &[], None), param("mode", &["m"], None)]),
                json!([]),
            ),
            config(json!({"enums": {
                "kind_type": {"type": "KindType"},
                "NotAName": {"type": "X"},
                "mode": {},
                "demo.v1.a.get:query.mode": {"type": "lower", "values": ["m", "m"]},
            }})),
        ];
        let got = problems(&sources);
        for expected in [
            "spec/demo/v1/import.json: enums.NotAName: `NotAName` is neither a place nor a snake_case parameter or field name",
            "spec/demo/v1/import.json: enums.mode: decides nothing: give `type`, `values` or both",
            "spec/demo/v1/import.json: enums.demo.v1.a.get:query.mode.type: `lower` is not an UpperCamelCase identifier",
            "spec/demo/v1/import.json: enums.demo.v1.a.get:query.mode.values[1]: `m` is listed twice",
            "spec/demo/v1/a/get.json: query_params[0]: is a free string, but spec/demo/v1/import.json makes it the enum `KindType` (enums.\"kind_type\"): run `cargo xtask import`, or write `\"enum_type_name\": \"KindType\"`",
        ] {
            assert!(got.iter().any(|p| p == expected), "missing {expected}\nin {got:#?}");
        }
    }
}
