//! Reading spec files: JSON text in, [`EndpointSpec`] or [`Problem`]s out.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::spec::{EndpointSpec, ErrorCatalogue, EventSpec, TypesFile};

/// The text of one spec file and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSource {
    /// Path relative to the workspace root, with `/` separators (`spec/im/v1/message_resource/get.json`).
    pub path: String,
    /// The file's contents.
    pub text: String,
}

/// One thing wrong with a spec: the file, the field (a JSON path such as `errors[3].code`)
/// and what is wrong. Displayed as one line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// Spec file, relative to the workspace root.
    pub file: String,
    /// JSON path of the offending field; `.` for the whole file.
    pub field: String,
    /// What is wrong, and where useful what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.field, self.message)
    }
}

/// A parsed spec and the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedSpec {
    /// Path relative to the workspace root.
    pub path: String,
    /// The parsed spec.
    pub spec: EndpointSpec,
}

/// A parsed `spec/<service>/<version>/types.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedTypes {
    /// Path relative to the workspace root.
    pub path: String,
    /// `im`.
    pub service: String,
    /// `v1`.
    pub version: String,
    /// The parsed file.
    pub types: TypesFile,
}

/// A parsed `spec/<service>/<version>/errors.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedErrors {
    /// Path relative to the workspace root.
    pub path: String,
    /// `im`.
    pub service: String,
    /// `v1`.
    pub version: String,
    /// The parsed file.
    pub catalogue: ErrorCatalogue,
}

/// A parsed `spec/<service>/<version>/events/<name>.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedEvent {
    /// Path relative to the workspace root.
    pub path: String,
    /// `im`.
    pub service: String,
    /// `v1`.
    pub version: String,
    /// The file name without `.json`: `message_receive_v1`.
    pub name: String,
    /// The parsed file.
    pub spec: EventSpec,
}

/// What a spec file is, from its path: `spec/<service>/<version>/types.json` holds shared
/// types; anything else is an endpoint.
pub fn types_file_of(path: &str) -> Option<(String, String)> {
    version_file(path, "types.json")
}

/// `spec/<service>/<version>/errors.json`: the error catalogue.
pub fn errors_file_of(path: &str) -> Option<(String, String)> {
    version_file(path, "errors.json")
}

/// `spec/<service>/<version>/events/<name>.json`: an event spec. Returns the service, the
/// version and the name. (So `events` cannot name a resource of endpoints.)
pub fn event_file_of(path: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = path.split('/').collect();
    let n = parts.len();
    if n < 5 || parts[n - 5] != "spec" || parts[n - 2] != "events" {
        return None;
    }
    let name = parts[n - 1].strip_suffix(".json")?;
    Some((
        parts[n - 4].to_string(),
        parts[n - 3].to_string(),
        name.to_string(),
    ))
}

/// Parses an event spec.
pub fn parse_event(
    source: &SpecSource,
    service: String,
    version: String,
    name: String,
) -> Result<LoadedEvent, Problem> {
    parse_json::<EventSpec>(source).map(|spec| LoadedEvent {
        path: source.path.clone(),
        service,
        version,
        name,
        spec,
    })
}

fn version_file(path: &str, name: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = path.split('/').collect();
    let n = parts.len();
    (n >= 4 && parts[n - 1] == name && parts[n - 4] == "spec")
        .then(|| (parts[n - 3].to_string(), parts[n - 2].to_string()))
}

/// Parses an error catalogue.
pub fn parse_errors(
    source: &SpecSource,
    service: String,
    version: String,
) -> Result<LoadedErrors, Problem> {
    parse_json::<ErrorCatalogue>(source).map(|catalogue| LoadedErrors {
        path: source.path.clone(),
        service,
        version,
        catalogue,
    })
}

/// Parses a shared types file.
pub fn parse_types(
    source: &SpecSource,
    service: String,
    version: String,
) -> Result<LoadedTypes, Problem> {
    parse_json::<TypesFile>(source).map(|types| LoadedTypes {
        path: source.path.clone(),
        service,
        version,
        types,
    })
}

/// Parses one endpoint spec file. Syntax errors, unknown fields, missing fields and wrong
/// types are reported with the JSON path of the field.
pub fn parse(source: &SpecSource) -> Result<LoadedSpec, Problem> {
    parse_json::<EndpointSpec>(source).map(|spec| LoadedSpec {
        path: source.path.clone(),
        spec,
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(source: &SpecSource) -> Result<T, Problem> {
    let de = &mut serde_json::Deserializer::from_str(&source.text);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(value) => Ok(value),
        Err(err) => {
            let mut field = err.path().to_string();
            let inner = err.into_inner();
            // serde names a missing field only in its message; put it in the path.
            if let Some(name) = inner
                .to_string()
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
            {
                field = match field.as_str() {
                    "" | "." => name.to_string(),
                    parent => format!("{parent}.{name}"),
                };
            }
            let message = if inner.is_syntax() || inner.is_eof() {
                format!("invalid JSON: {inner}")
            } else {
                inner.to_string()
            };
            Err(Problem {
                file: source.path.clone(),
                field: if field.is_empty() { ".".into() } else { field },
                message,
            })
        }
    }
}

/// Reads every `*.json` file below `root/spec`, sorted by path, as [`SpecSource`]s whose
/// paths are relative to `root`. `README.md` and other non-JSON files are skipped.
pub fn read_spec_dir(root: &Path) -> std::io::Result<Vec<SpecSource>> {
    let mut files = Vec::new();
    collect_json(&root.join("spec"), &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file)?;
            let rel = file.strip_prefix(root).unwrap_or(&file);
            let path = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            Ok(SpecSource { path, text })
        })
        .collect()
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_json(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_files_are_told_apart_by_their_path() {
        assert_eq!(
            event_file_of("spec/im/v1/events/message_receive_v1.json"),
            Some(("im".into(), "v1".into(), "message_receive_v1".into()))
        );
        assert_eq!(
            event_file_of("tests/fixtures/x/spec/card/v1/events/action_trigger.json"),
            Some(("card".into(), "v1".into(), "action_trigger".into()))
        );
        assert_eq!(event_file_of("spec/im/v1/message/create.json"), None);
        assert_eq!(event_file_of("spec/im/v1/events.json"), None);
        assert_eq!(event_file_of("spec/im/v1/events/x/y.json"), None);
        assert_eq!(types_file_of("spec/im/v1/events/types.json"), None);
    }

    #[test]
    fn an_event_spec_rejects_unknown_keys() {
        let source = SpecSource {
            path: "spec/im/v1/events/x_v1.json".into(),
            text: r#"{"event_type": "x", "schema": "2.0", "kind": "event", "summary": "s",
                "doc_url": "https://example.com", "fields": [], "exmaple": {}}"#
                .into(),
        };
        let problem = parse_event(&source, "im".into(), "v1".into(), "x_v1".into()).unwrap_err();
        assert_eq!(problem.field, "exmaple");
    }
}
