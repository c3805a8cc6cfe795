//! Names derived from a spec: what the generated items are called and where they live.

use heck::ToUpperCamelCase;

use crate::load::LoadedSpec;
use crate::spec::{EndpointSpec, EnumValue, QueryParam};

/// An endpoint with its derived Rust names.
pub struct Endpoint<'a> {
    /// The spec file, relative to the workspace root.
    pub path: &'a str,
    /// The spec.
    pub spec: &'a EndpointSpec,
    /// `im`.
    pub service: &'a str,
    /// `v1`.
    pub version: &'a str,
    /// `message_resource`.
    pub resource: &'a str,
    /// `get`.
    pub method: &'a str,
}

impl<'a> Endpoint<'a> {
    /// Splits the id; the spec has been validated, so it has four parts.
    pub fn new(loaded: &'a LoadedSpec) -> Self {
        let mut parts = loaded.spec.id.split('.');
        let mut next = || parts.next().unwrap_or_default();
        Endpoint {
            path: &loaded.path,
            spec: &loaded.spec,
            service: next(),
            version: next(),
            resource: next(),
            method: next(),
        }
    }

    /// `GetMessageResource`: the fluent builder.
    pub fn operation_name(&self) -> String {
        format!(
            "{}{}",
            self.method.to_upper_camel_case(),
            self.resource.to_upper_camel_case()
        )
    }

    /// `GetMessageResourceRequest`: the request value.
    pub fn request_name(&self) -> String {
        format!("{}Request", self.operation_name())
    }

    /// `GetMessageResourceError`: the error enum.
    pub fn error_name(&self) -> String {
        format!("{}Error", self.operation_name())
    }

    /// Relative path of the generated module, below `sdk/src/generated/`.
    pub fn module_file(&self) -> String {
        format!(
            "{}/{}/{}/{}.rs",
            self.service, self.version, self.resource, self.method
        )
    }

    /// The names the resource module re-exports from this endpoint's module.
    pub fn exported_names(&self) -> Vec<String> {
        let mut names = vec![
            self.operation_name(),
            self.request_name(),
            self.error_name(),
        ];
        names.extend(self.spec.query_params.iter().filter_map(enum_type_name));
        names
    }
}

/// The Rust field / argument name of a query parameter.
pub fn query_rust_name(q: &QueryParam) -> &str {
    q.rust_name.as_deref().unwrap_or(&q.name)
}

/// The generated enum type of an enum parameter.
pub fn enum_type_name(q: &QueryParam) -> Option<String> {
    q.enum_values.as_ref()?;
    Some(
        q.enum_type_name
            .clone()
            .unwrap_or_else(|| query_rust_name(q).to_upper_camel_case()),
    )
}

/// The variant name of an enum value (validated to be an identifier).
pub fn variant_name(v: &EnumValue) -> String {
    v.rust_name
        .as_deref()
        .unwrap_or(&v.value)
        .to_upper_camel_case()
}
