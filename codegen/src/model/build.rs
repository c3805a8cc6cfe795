//! Building the [`Model`] from validated specs: parse types once, share named types and
//! enums per service version, report conflicts and dangling references.

use std::collections::BTreeMap;

use heck::{ToSnakeCase, ToUpperCamelCase};

use super::{
    BodyModel, CodeDef, EndpointModel, EnumDef, EnumValueDef, ErrorDef, EventModel, FieldDef,
    Model, Names, PaginationDef, ParamDef, ResponseModel, StructDef, Ty, VersionModel, Wording,
};
use crate::load::{LoadedErrors, LoadedEvent, LoadedSpec, LoadedTypes, Problem};
use crate::spec::{CatalogueEntry, EnumValue, Field, ObjectType, RequestBody, Response};

/// Builds the model. Every conflict and dangling reference of every file is reported.
pub fn build(
    endpoints: &[LoadedSpec],
    types: &[LoadedTypes],
    errors: &[LoadedErrors],
    events: &[LoadedEvent],
) -> Result<Model, Vec<Problem>> {
    let mut b = Builder::default();
    for e in errors {
        b.catalogues.insert(
            (e.service.clone(), e.version.clone()),
            (e.path.clone(), e.catalogue.errors.clone()),
        );
    }
    let mut types: Vec<&LoadedTypes> = types.iter().collect();
    types.sort_by(|a, b| a.path.cmp(&b.path));
    for t in types {
        for (name, object) in &t.types.types {
            b.add_struct(&t.service, &t.version, &t.path, name, object);
        }
    }
    let mut endpoints: Vec<&LoadedSpec> = endpoints.iter().collect();
    endpoints.sort_by(|a, b| a.path.cmp(&b.path));
    for loaded in &endpoints {
        let (service, version) = service_version(&loaded.spec.id);
        for (name, object) in &loaded.spec.types {
            b.add_struct(service, version, &loaded.path, name, object);
        }
    }
    let mut events: Vec<&LoadedEvent> = events.iter().collect();
    events.sort_by(|a, b| a.path.cmp(&b.path));
    for e in &events {
        for (name, object) in &e.spec.types {
            b.add_struct(&e.service, &e.version, &e.path, name, object);
        }
    }
    let mut models = Vec::new();
    for loaded in &endpoints {
        models.push(b.endpoint(loaded));
    }
    let events: Vec<EventModel> = events.iter().map(|e| b.event(e)).collect();
    b.check_references(&models, &events);
    if !b.problems.is_empty() {
        b.problems.sort();
        b.problems.dedup();
        return Err(b.problems);
    }
    models.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
    b.codes(&mut models);
    let mut events = events;
    // `accepted` stays only where a place lists fewer values than its enum has.
    for v in b.versions.values_mut() {
        let enums = v.enums.clone();
        for s in v.structs.values_mut() {
            for f in &mut s.fields {
                narrow(&mut f.accepted, &f.ty, &enums);
            }
        }
    }
    for ep in &mut models {
        let enums = &b.versions[&(ep.service.clone(), ep.version.clone())].enums;
        for p in &mut ep.query_params {
            narrow(&mut p.accepted, &p.ty, enums);
        }
        for f in match &mut ep.body {
            BodyModel::Json(f) | BodyModel::Multipart(f) => f.as_mut_slice(),
            BodyModel::None => &mut [],
        } {
            narrow(&mut f.accepted, &f.ty, enums);
        }
        for f in match &mut ep.response {
            ResponseModel::Json(f) | ResponseModel::Flat(f) => f.as_mut_slice(),
            _ => &mut [],
        } {
            narrow(&mut f.accepted, &f.ty, enums);
        }
    }
    for e in &mut events {
        let enums = &b.versions[&(e.service.clone(), e.version.clone())].enums;
        for f in &mut e.fields {
            narrow(&mut f.accepted, &f.ty, enums);
        }
    }
    events
        .sort_by(|a, b| (&a.service, &a.version, &a.name).cmp(&(&b.service, &b.version, &b.name)));
    Ok(Model {
        versions: b.versions.into_values().collect(),
        endpoints: models,
        events,
    })
}

fn service_version(id: &str) -> (&str, &str) {
    let mut parts = id.split('.');
    (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    )
}

#[derive(Default)]
struct Builder {
    versions: BTreeMap<(String, String), VersionModel>,
    /// Error catalogues per (service, version): the file and its entries.
    catalogues: BTreeMap<(String, String), (String, Vec<CatalogueEntry>)>,
    problems: Vec<Problem>,
    /// Enums (service, version, name) whose docs come from a place named after them.
    named_docs: std::collections::BTreeSet<(String, String, String)>,
}

impl Builder {
    fn problem(&mut self, file: &str, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_string(),
            field: field.into(),
            message: message.into(),
        });
    }

    fn version(&mut self, service: &str, version: &str) -> &mut VersionModel {
        self.versions
            .entry((service.to_string(), version.to_string()))
            .or_insert_with(|| VersionModel {
                service: service.to_string(),
                version: version.to_string(),
                ..VersionModel::default()
            })
    }

    fn add_struct(
        &mut self,
        service: &str,
        version: &str,
        file: &str,
        name: &str,
        object: &ObjectType,
    ) {
        let at = format!("types.{name}");
        let fields = self.fields(
            service,
            version,
            file,
            &format!("{at}.fields"),
            name,
            &object.fields,
        );
        let def = StructDef {
            name: name.to_string(),
            description: object.description.clone(),
            fields,
            origin: file.to_string(),
        };
        let existing = self.version(service, version).structs.get(name).cloned();
        match existing {
            None => {
                self.version(service, version)
                    .structs
                    .insert(name.to_string(), def);
            }
            Some(first) => {
                if let Some(why) = struct_difference(&first, &def) {
                    self.problem(
                        file,
                        at,
                        format!(
                            "type `{name}` conflicts with its definition in {}: {why}; one name means one shape per service version",
                            first.origin
                        ),
                    );
                }
            }
        }
    }

    /// Converts spec fields, registering the enums of string fields. `owner` names the
    /// object or body, for messages.
    fn fields(
        &mut self,
        service: &str,
        version: &str,
        file: &str,
        at: &str,
        owner: &str,
        fields: &[Field],
    ) -> Vec<FieldDef> {
        let mut out = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            let field_at = format!("{at}[{i}]");
            let rust = f
                .rust_name
                .clone()
                .unwrap_or_else(|| f.name.to_snake_case());
            let ty = match (&f.enum_values, Ty::parse(&f.ty)) {
                (_, Err(e)) => {
                    self.problem(file, format!("{field_at}.type"), e);
                    Ty::Json
                }
                // A reference to an enum of the version (checked by `concepts`).
                (None, Ok(Ty::String)) if f.enum_type_name.is_some() => {
                    Ty::Enum(f.enum_type_name.clone().unwrap_or_default())
                }
                (Some(values), Ok(Ty::String)) => {
                    let name = f
                        .enum_type_name
                        .clone()
                        .unwrap_or_else(|| rust.to_upper_camel_case());
                    let description = f
                        .description
                        .clone()
                        .unwrap_or_else(|| format!("Values of `{owner}.{}`.", f.name));
                    self.add_enum(
                        service,
                        version,
                        file,
                        &format!("{field_at}.enum"),
                        &name,
                        (&description, name == rust.to_upper_camel_case()),
                        values,
                    );
                    Ty::Enum(name)
                }
                (_, Ok(ty)) => ty,
            };
            out.push(FieldDef {
                wire: f.name.clone(),
                rust,
                ty,
                required: f.required,
                description: f.description.clone(),
                example: f.example.clone(),
                max_bytes: f.max_bytes,
                message_content: f.message_content.clone(),
                secret: f.secret,
                accepted: f
                    .enum_values
                    .as_ref()
                    .map(|v| v.iter().map(|x| x.value.clone()).collect()),
            });
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    /// Registers the values a place lists for enum `name`: the enum has the union of every
    /// place's. `description`: the place's, and whether the place is named after the enum
    /// (`member_id_type` for `MemberIdType`); the first such place gives the enum's docs,
    /// else the first place.
    fn add_enum(
        &mut self,
        service: &str,
        version: &str,
        file: &str,
        at: &str,
        name: &str,
        (description, named_after): (&str, bool),
        values: &[EnumValue],
    ) {
        let def = EnumDef {
            name: name.to_string(),
            description: description.to_string(),
            values: values
                .iter()
                .map(|v| EnumValueDef {
                    wire: v.value.clone(),
                    variant: v
                        .rust_name
                        .as_deref()
                        .unwrap_or(&v.value)
                        .to_upper_camel_case(),
                    description: v.description.clone(),
                })
                .collect(),
            origin: file.to_string(),
        };
        let key = (service.to_string(), version.to_string(), name.to_string());
        let existing = self.version(service, version).enums.get(name).cloned();
        let Some(mut union) = existing else {
            if named_after {
                self.named_docs.insert(key);
            }
            self.version(service, version)
                .enums
                .insert(name.to_string(), def);
            return;
        };
        if named_after && self.named_docs.insert(key) {
            union.description = def.description.clone();
        }
        // One enum per concept: its values are those of every place.
        for (i, v) in def.values.into_iter().enumerate() {
            match union.values.iter().find(|x| x.wire == v.wire) {
                Some(x) if x.variant != v.variant => self.problem(
                    file,
                    format!("{at}[{i}]"),
                    format!(
                        "`{}` is the variant `{}` of enum `{name}` here but `{}` in {}: give both the same rust_name",
                        v.wire, v.variant, x.variant, union.origin
                    ),
                ),
                Some(_) => {}
                None => match union.values.iter().find(|x| x.variant == v.variant) {
                    Some(x) => self.problem(
                        file,
                        format!("{at}[{i}]"),
                        format!(
                            "`{}` becomes the variant `{}` of enum `{name}`, which `{}` is in {}: give one of them a rust_name",
                            v.wire, v.variant, x.wire, union.origin
                        ),
                    ),
                    None => union.values.push(v),
                },
            }
        }
        self.version(service, version)
            .enums
            .insert(name.to_string(), union);
    }

    fn endpoint(&mut self, loaded: &LoadedSpec) -> EndpointModel {
        let spec = &loaded.spec;
        let file = loaded.path.as_str();
        let mut parts = spec.id.split('.');
        let mut next = || parts.next().unwrap_or_default().to_string();
        let (service, version, resource, method) = (next(), next(), next(), next());
        // Every endpoint's version is in the model, with or without shared types.
        self.version(&service, &version);
        let operation = format!(
            "{}{}",
            method.to_upper_camel_case(),
            resource.to_upper_camel_case()
        );
        let names = Names {
            request: format!("{operation}Request"),
            body: format!("{operation}Body"),
            response: format!("{operation}Response"),
            error: format!("{operation}Error"),
            operation,
        };
        // Path parameters in template order.
        let path_params = spec
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix(':'))
            .filter_map(|n| spec.path_params.iter().find(|p| p.name == n))
            .map(|p| ParamDef {
                wire: p.name.clone(),
                rust: p.name.clone(),
                ty: if p.ty == "integer" {
                    Ty::Int64
                } else {
                    Ty::String
                },
                required: true,
                repeated: false,
                description: p.description.clone(),
                example: p.example.clone(),
                allowed_chars: p.allowed_chars.clone(),
                accepted: None,
            })
            .collect();
        let mut query_params = Vec::new();
        for (i, q) in spec.query_params.iter().enumerate() {
            let rust = q.rust_name.clone().unwrap_or_else(|| q.name.clone());
            let ty = match (&q.enum_values, q.ty.as_str()) {
                (Some(values), _) => {
                    let name = q
                        .enum_type_name
                        .clone()
                        .unwrap_or_else(|| rust.to_upper_camel_case());
                    let description =
                        format!("Values of the `{}` parameter: {}", q.name, q.description);
                    self.add_enum(
                        &service,
                        &version,
                        file,
                        &format!("query_params[{i}].enum"),
                        &name,
                        (&description, name == rust.to_upper_camel_case()),
                        values,
                    );
                    Ty::Enum(name)
                }
                (None, "integer") => Ty::Integer,
                (None, "int64") => Ty::Int64,
                (None, "boolean") => Ty::Boolean,
                // A reference to an enum of the version (checked by `concepts`).
                (None, _) => match &q.enum_type_name {
                    Some(name) => Ty::Enum(name.clone()),
                    None => Ty::String,
                },
            };
            query_params.push(ParamDef {
                wire: q.name.clone(),
                rust,
                ty,
                required: q.required,
                repeated: q.repeated,
                description: q.description.clone(),
                example: q.example.clone(),
                allowed_chars: None,
                accepted: q
                    .enum_values
                    .as_ref()
                    .map(|v| v.iter().map(|x| x.value.clone()).collect()),
            });
        }
        let body_owner = names.body.clone();
        let body = match &spec.request_body {
            RequestBody::None => BodyModel::None,
            RequestBody::Json { fields } => BodyModel::Json(self.fields(
                &service,
                &version,
                file,
                "request_body.fields",
                &body_owner,
                fields,
            )),
            RequestBody::Multipart { fields } => BodyModel::Multipart(self.fields(
                &service,
                &version,
                file,
                "request_body.fields",
                &body_owner,
                fields,
            )),
        };
        let response_owner = names.response.clone();
        let response = match &spec.response {
            Response::Binary { max_bytes } => ResponseModel::Binary(*max_bytes),
            Response::Json { data_fields } => ResponseModel::Json(self.fields(
                &service,
                &version,
                file,
                "response.data_fields",
                &response_owner,
                data_fields,
            )),
            Response::Flat { fields } => ResponseModel::Flat(self.fields(
                &service,
                &version,
                file,
                "response.fields",
                &response_owner,
                fields,
            )),
            Response::Empty => ResponseModel::Empty,
        };
        let pagination = spec.pagination.as_ref().map(|p| {
            let item = response
                .fields()
                .iter()
                .find(|f| f.wire == p.items)
                .and_then(|f| match &f.ty {
                    Ty::Array(inner) => Some((**inner).clone()),
                    _ => None,
                })
                .unwrap_or(Ty::Json);
            PaginationDef {
                request_token: p.request_token.clone(),
                request_size: p.request_size.clone(),
                response_token: p.response_token.clone(),
                has_more: p.has_more.clone(),
                items: p.items.clone(),
                item,
            }
        });
        if let Some(key) = &spec.idempotency_key {
            let in_body = matches!(body, BodyModel::Json(_))
                && body
                    .fields()
                    .iter()
                    .any(|f| &f.wire == key && f.ty == Ty::String && !f.required);
            let in_query = query_params.iter().any(|q: &ParamDef| {
                &q.wire == key && q.ty == Ty::String && !q.required && !q.repeated
            });
            if !in_body && !in_query {
                self.problem(
                    file,
                    "idempotency_key",
                    format!(
                        "`{key}` must be an optional string field of the JSON body or an optional string query parameter"
                    ),
                );
            }
        }
        let errors = self.errors(&service, &version, file, spec);
        let idempotent = spec.idempotent.unwrap_or(
            matches!(spec.http_method.as_str(), "GET" | "PUT" | "DELETE")
                || spec.idempotency_key.is_some(),
        );
        EndpointModel {
            file: file.to_string(),
            spec: spec.clone(),
            service,
            version,
            resource,
            method,
            names,
            path_params,
            query_params,
            body,
            response,
            pagination,
            idempotent,
            idempotency_key: spec.idempotency_key.clone(),
            errors,
        }
    }

    /// The endpoint's rows completed from the catalogue: what a row leaves out, the
    /// catalogue's entry for its code gives.
    fn errors(
        &mut self,
        service: &str,
        version: &str,
        file: &str,
        spec: &crate::spec::EndpointSpec,
    ) -> Vec<ErrorDef> {
        let catalogue = self
            .catalogues
            .get(&(service.to_string(), version.to_string()))
            .cloned();
        let mut out = Vec::new();
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for (i, row) in spec.errors.iter().enumerate() {
            let entry = catalogue
                .as_ref()
                .and_then(|(_, entries)| entries.iter().find(|e| e.code == row.code));
            let mut missing = Vec::new();
            let mut pick = |key: &'static str, own: Option<String>, theirs: Option<String>| {
                own.or(theirs).unwrap_or_else(|| {
                    missing.push(key);
                    String::new()
                })
            };
            let name = pick("name", row.name.clone(), entry.map(|e| e.name.clone()));
            let meaning = pick(
                "meaning",
                row.meaning.clone(),
                entry.map(|e| e.meaning.clone()),
            );
            let advice = pick(
                "advice",
                row.advice.clone(),
                entry.map(|e| e.advice.clone()),
            );
            let retryable = row.retryable.or(entry.map(|e| e.retryable));
            if retryable.is_none() {
                missing.push("retryable");
            }
            if !missing.is_empty() {
                self.problem(
                    file,
                    format!("errors[{i}]"),
                    format!(
                        "code {} has no {}: write it in spec/{service}/{version}/errors.json (the catalogue) or in this row",
                        row.code,
                        missing.join(", ")
                    ),
                );
            }
            if let Some(first) = names.insert(name.clone(), i) {
                if !name.is_empty() {
                    self.problem(
                        file,
                        format!("errors[{i}].name"),
                        format!("duplicate name `{name}` (also errors[{first}])"),
                    );
                }
            }
            out.push(ErrorDef {
                http_status: row.http_status,
                code: row.code,
                name,
                server_message: row.server_message.clone(),
                meaning,
                advice,
                retryable: retryable.unwrap_or(false),
                entry: 0,
                variant: String::new(),
                own_meaning: None,
                own_advice: None,
            });
        }
        out
    }

    /// Each version's codes, once: the catalogue's, then the codes an endpoint documents
    /// under a name of its own that no other code has (a code reused with another meaning).
    /// Every row points at its variant; where its wording differs, it keeps its own.
    fn codes(&mut self, models: &mut [EndpointModel]) {
        for ((service, version), (_, entries)) in &self.catalogues {
            if let Some(v) = self.versions.get_mut(&(service.clone(), version.clone())) {
                v.codes = entries
                    .iter()
                    .map(|e| CodeDef {
                        code: e.code,
                        name: e.name.clone(),
                        meaning: e.meaning.clone(),
                        advice: e.advice.clone(),
                        retryable: e.retryable,
                    })
                    .collect();
            }
        }
        for ep in models.iter_mut() {
            let Some(v) = self
                .versions
                .get_mut(&(ep.service.clone(), ep.version.clone()))
            else {
                continue;
            };
            let mut clashes = Vec::new();
            for row in &mut ep.errors {
                let by_name = v.codes.iter().position(|c| c.name == row.name);
                let entry = match by_name {
                    Some(i) if v.codes[i].code == row.code => i,
                    // The name is another code's: the code's own variant.
                    Some(_) => match v.codes.iter().position(|c| c.code == row.code) {
                        Some(i) => i,
                        None => {
                            // No variant for the code and its name taken: a distinct one.
                            v.codes.push(CodeDef {
                                code: row.code,
                                name: format!("{}_{}", row.name, row.code),
                                meaning: row.meaning.clone(),
                                advice: row.advice.clone(),
                                retryable: row.retryable,
                            });
                            v.codes.len() - 1
                        }
                    },
                    // A name of its own: a variant of its own, with its wording.
                    None => {
                        v.codes.push(CodeDef {
                            code: row.code,
                            name: row.name.clone(),
                            meaning: row.meaning.clone(),
                            advice: row.advice.clone(),
                            retryable: row.retryable,
                        });
                        v.codes.len() - 1
                    }
                };
                let def = &v.codes[entry];
                row.entry = entry;
                row.variant = def.name.to_upper_camel_case();
                let own_meaning = (row.meaning != def.meaning).then(|| row.meaning.clone());
                let own_advice = (row.advice != def.advice).then(|| row.advice.clone());
                row.own_meaning = own_meaning.map(|t| word(v, &mut clashes, "MEANING", t));
                row.own_advice = own_advice.map(|t| word(v, &mut clashes, "ADVICE", t));
            }
            for name in clashes {
                self.problems.push(Problem {
                    file: ep.file.clone(),
                    field: "errors".to_string(),
                    message: format!(
                        "two different wordings hash to the constant `{name}`: reword one"
                    ),
                });
            }
        }
    }

    fn event(&mut self, e: &LoadedEvent) -> EventModel {
        // An event's version is in the model, with or without endpoints (`card` `v1`).
        self.version(&e.service, &e.version);
        let type_name = e.name.to_upper_camel_case();
        let fields = self.fields(
            &e.service,
            &e.version,
            &e.path,
            "fields",
            &type_name,
            &e.spec.fields,
        );
        EventModel {
            file: e.path.clone(),
            spec: e.spec.clone(),
            service: e.service.clone(),
            version: e.version.clone(),
            name: e.name.clone(),
            type_name,
            fields,
            callback: e.spec.kind == "callback",
        }
    }

    /// Every `object:<Name>` (of a type, an endpoint or an event) must name a type of the
    /// same service version.
    fn check_references(&mut self, endpoints: &[EndpointModel], events: &[EventModel]) {
        let mut dangling = Vec::new();
        for v in self.versions.values() {
            for s in v.structs.values() {
                for (i, f) in s.fields.iter().enumerate() {
                    if let Some(name) = f.ty.object_name() {
                        if !v.structs.contains_key(name) {
                            dangling.push((
                                s.origin.clone(),
                                format!("types.{}.fields[{i}].type", s.name),
                                name.to_string(),
                                v.service.clone(),
                                v.version.clone(),
                            ));
                        }
                    }
                }
            }
        }
        // The fields of each endpoint and event, with where they are in its file.
        let owners = endpoints.iter().map(|ep| {
            let body = ep
                .body
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("request_body.fields[{i}].type"), f));
            let response_at = if matches!(ep.response, ResponseModel::Flat(_)) {
                "response.fields"
            } else {
                "response.data_fields"
            };
            let response = ep
                .response
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("{response_at}[{i}].type"), f));
            let fields: Vec<_> = body.chain(response).collect();
            (&ep.file, &ep.service, &ep.version, fields)
        });
        let owners = owners.chain(events.iter().map(|e| {
            let fields = e
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("fields[{i}].type"), f))
                .collect();
            (&e.file, &e.service, &e.version, fields)
        }));
        for (file, service, version, fields) in owners {
            let known = self.versions.get(&(service.clone(), version.clone()));
            for (at, f) in fields {
                if let Some(name) = f.ty.object_name() {
                    if !known.is_some_and(|v| v.structs.contains_key(name)) {
                        dangling.push((
                            file.clone(),
                            at,
                            name.to_string(),
                            service.clone(),
                            version.clone(),
                        ));
                    }
                }
            }
        }
        for (file, at, name, service, version) in dangling {
            self.problem(
                &file,
                at,
                format!(
                    "`object:{name}` names no type of {service} {version} (in `types` of an endpoint or event, or spec/{service}/{version}/types.json)"
                ),
            );
        }
    }
}

/// Why two definitions of a type differ, if they do (docs aside).
/// The constant of a wording in its version's `errors.rs`, added there once; a different
/// text under the same name is a clash.
fn word(v: &mut VersionModel, clashes: &mut Vec<String>, kind: &str, text: String) -> String {
    let name = super::wording_name(kind, &text);
    let in_catalogue = v.codes.iter().enumerate().find_map(|(i, c)| {
        (c.meaning == text)
            .then_some(Wording::Entry(i, true))
            .or_else(|| (c.advice == text).then_some(Wording::Entry(i, false)))
    });
    let wording = in_catalogue.unwrap_or(Wording::Text(text));
    match v.wordings.get(&name) {
        Some(held) if *held != wording => clashes.push(name.clone()),
        Some(_) => {}
        None => {
            v.wordings.insert(name.clone(), wording);
        }
    }
    name
}

fn struct_difference(a: &StructDef, b: &StructDef) -> Option<String> {
    let shape = |s: &StructDef| -> BTreeMap<String, (String, bool)> {
        s.fields
            .iter()
            .map(|f| (f.wire.clone(), (f.ty.to_string(), f.required)))
            .collect()
    };
    let (sa, sb) = (shape(a), shape(b));
    for (name, (ty, required)) in &sb {
        match sa.get(name) {
            None => return Some(format!("field `{name}` is not there")),
            Some((t, _)) if t != ty => {
                return Some(format!("field `{name}` is {ty} here but {t} there"))
            }
            Some((_, r)) if r != required => {
                return Some(format!(
                    "field `{name}` is {} here but {} there",
                    if *required { "required" } else { "optional" },
                    if *r { "required" } else { "optional" }
                ))
            }
            _ => {}
        }
    }
    sa.keys()
        .find(|name| !sb.contains_key(*name))
        .map(|name| format!("field `{name}` is missing here"))
}

/// Keeps a place's own values only when its enum has more (from other places).
fn narrow(accepted: &mut Option<Vec<String>>, ty: &Ty, enums: &BTreeMap<String, EnumDef>) {
    let all = match ty {
        Ty::Enum(name) => enums.get(name).map_or(0, |e| e.values.len()),
        _ => 0,
    };
    if accepted.as_ref().is_some_and(|a| a.len() >= all) {
        *accepted = None;
    }
}
