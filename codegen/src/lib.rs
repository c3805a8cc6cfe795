//! The lark-openapi code generator, as a library.
//!
//! Endpoint and event specs (JSON, see `spec/README.md`) go in; formatted Rust files come out.
//! [`generate`] is pure: it reads nothing and writes nothing. [`files`] holds the small
//! amount of I/O shared by `cargo xtask gen` and the staleness test. [`build_model`] gives
//! the resolved type model, which the fake server also works from.

pub mod concepts;
pub mod emit;
pub mod files;
pub mod import_config;
pub mod load;
pub mod model;
pub mod names;
pub mod spec;
pub mod validate;

pub use emit::{GeneratedFile, GENERATED_DIR};
pub use load::{
    read_spec_dir, LoadedErrors, LoadedEvent, LoadedSpec, LoadedTypes, Problem, SpecSource,
};
pub use model::Model;

/// Parses, validates, builds the type model and generates. On any problem, returns every
/// problem found (one per line when displayed) and no files, so a broken spec never
/// produces partial output.
pub fn generate(sources: &[SpecSource]) -> Result<Vec<GeneratedFile>, Vec<Problem>> {
    let model = build_model(sources)?;
    emit::generate(&model)
}

/// Parses, validates and builds the type model (what the fake server works from).
pub fn build_model(sources: &[SpecSource]) -> Result<Model, Vec<Problem>> {
    let set = parse_and_validate(sources)?;
    model::build(&set.endpoints, &set.types, &set.errors, &set.events)
}

/// Every parsed spec file of a tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpecSet {
    /// Endpoint specs.
    pub endpoints: Vec<LoadedSpec>,
    /// Shared types files.
    pub types: Vec<LoadedTypes>,
    /// Error catalogues.
    pub errors: Vec<LoadedErrors>,
    /// Event specs.
    pub events: Vec<LoadedEvent>,
    /// The versions' `import.json` (whose enum decisions the specs must follow).
    pub configs: Vec<import_config::LoadedConfig>,
}

/// Parses and validates every source; every problem of every file is reported.
pub fn parse_and_validate(sources: &[SpecSource]) -> Result<SpecSet, Vec<Problem>> {
    let mut set = SpecSet::default();
    let mut problems = Vec::new();
    for source in sources {
        // `spec/<service>/<version>/import.json` configures `cargo xtask import`; `gen` reads
        // only its enum decisions, which every spec of the version must follow.
        let parsed = if let Some((service, version)) = import_config::config_file_of(&source.path) {
            import_config::parse(source).map(|config| {
                set.configs.push(import_config::LoadedConfig {
                    path: source.path.clone(),
                    service,
                    version,
                    config,
                })
            })
        } else if let Some((service, version)) = load::types_file_of(&source.path) {
            load::parse_types(source, service, version).map(|t| set.types.push(t))
        } else if let Some((service, version)) = load::errors_file_of(&source.path) {
            load::parse_errors(source, service, version).map(|e| set.errors.push(e))
        } else if let Some((service, version, name)) = load::event_file_of(&source.path) {
            load::parse_event(source, service, version, name).map(|e| set.events.push(e))
        } else {
            load::parse(source).map(|spec| set.endpoints.push(spec))
        };
        if let Err(problem) = parsed {
            problems.push(problem);
        }
    }
    problems.extend(validate::validate_all(
        &set.endpoints,
        &set.types,
        &set.errors,
    ));
    problems.extend(validate::validate_events(
        &set.events,
        &set.endpoints,
        &set.types,
    ));
    problems.extend(concepts::validate(
        &set.endpoints,
        &set.types,
        &set.events,
        &set.configs,
    ));
    if problems.is_empty() {
        Ok(set)
    } else {
        problems.sort();
        Err(problems)
    }
}
