//! The events the fake knows: every `spec/**/events/*.json` file, read as raw JSON for
//! its `event_type`, `schema`, `kind` and `example` (the generator reads the rest).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The envelope schema of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSchema {
    /// `{"uuid", "token", "ts", "type": "event_callback", "event": {"type", ...}}`.
    V1,
    /// `{"schema": "2.0", "header": {...}, "event": {...}}`.
    V2,
}

/// Whether an event is acknowledged (`event`) or answered (`callback`, e.g. a card action).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A plain event: acknowledged with `{}`; `type=event` on the long connection.
    Event,
    /// A callback whose answer matters (`card.action.trigger`); `type=card` on the long
    /// connection.
    Callback,
}

/// One event spec, as the fake uses it.
#[derive(Debug, Clone)]
pub struct EventSpec {
    /// `im.message.receive_v1`.
    pub event_type: String,
    /// The envelope schema.
    pub schema: EventSchema,
    /// Event or callback.
    pub kind: EventKind,
    /// The spec's example `event` object (an empty object when it has none).
    pub example: Map<String, Value>,
    /// The file it was read from.
    pub path: PathBuf,
}

/// Every event spec below a spec directory, by event type.
#[derive(Debug, Clone, Default)]
pub struct EventCatalogue {
    events: BTreeMap<String, EventSpec>,
    problems: Vec<String>,
}

/// Whether a spec file is an event spec: a `*.json` file in a directory named `events`.
pub fn is_event_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
        && path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|d| d == "events")
}

impl EventCatalogue {
    /// Reads every event spec below `spec_dir`. A missing directory gives an empty
    /// catalogue; a file that is not JSON or lacks `event_type` is skipped and named in
    /// [`problems`](Self::problems) (the spec validator reports it properly), so a spec
    /// file being written never stops the fake.
    pub fn load(spec_dir: &Path) -> EventCatalogue {
        let mut files = Vec::new();
        let _ = collect(spec_dir, &mut files);
        files.sort();
        let mut catalogue = EventCatalogue::default();
        for file in files {
            match read_one(&file) {
                Ok(spec) => {
                    if let Some(old) = catalogue.events.get(&spec.event_type) {
                        catalogue.problems.push(format!(
                            "{}: event_type {} is also in {}",
                            file.display(),
                            spec.event_type,
                            old.path.display()
                        ));
                    } else {
                        catalogue.events.insert(spec.event_type.clone(), spec);
                    }
                }
                Err(problem) => catalogue
                    .problems
                    .push(format!("{}: {problem}", file.display())),
            }
        }
        catalogue
    }

    /// The spec of an event type.
    pub fn get(&self, event_type: &str) -> Option<&EventSpec> {
        self.events.get(event_type)
    }

    /// A copy of the spec's example `event` object of an event type (empty when the
    /// catalogue does not know the type).
    pub fn example(&self, event_type: &str) -> Map<String, Value> {
        self.get(event_type)
            .map(|s| s.example.clone())
            .unwrap_or_default()
    }

    /// Every event spec, by event type.
    pub fn iter(&self) -> impl Iterator<Item = &EventSpec> {
        self.events.values()
    }

    /// Number of event specs.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Files that were skipped, with the reason.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

fn read_one(file: &Path) -> Result<EventSpec, String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let value: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let event_type = value
        .get("event_type")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or("no event_type")?
        .to_owned();
    let schema = match value.get("schema").and_then(Value::as_str) {
        Some("1.0") => EventSchema::V1,
        Some("2.0") | None => EventSchema::V2,
        Some(other) => return Err(format!("schema {other:?} is neither 1.0 nor 2.0")),
    };
    let kind = match value.get("kind").and_then(Value::as_str) {
        Some("callback") => EventKind::Callback,
        Some("event") | None => EventKind::Event,
        Some(other) => return Err(format!("kind {other:?} is neither event nor callback")),
    };
    let example = match value.get("example") {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    Ok(EventSpec {
        event_type,
        schema,
        kind,
        example,
        path: file.to_owned(),
    })
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            let _ = collect(&path, out);
        } else if is_event_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}
