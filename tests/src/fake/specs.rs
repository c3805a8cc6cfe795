//! Loading the spec model the fake works from.

use std::io;
use std::path::{Path, PathBuf};

use lark_codegen::{Model, SpecSource};

use super::events::is_event_file;

/// Reads every `*.json` file below `spec_dir` and builds the model, as the generator
/// does. Whatever the directory is called, files are named `spec/<path below it>`, so
/// the validator's location checks apply. A missing directory or a spec problem is an
/// error naming every problem. Event specs (`**/events/*.json`) are left out: the fake
/// reads them itself, as raw JSON (see `events::catalogue`).
pub(crate) fn load_model(spec_dir: &Path) -> io::Result<Model> {
    load_models(&[spec_dir])
}

/// [`load_model`] over several directories, as one tree: the SDK's specs and specs of
/// operations it does not generate ([`FakeConfig::extra_spec_dirs`](super::FakeConfig::extra_spec_dirs)).
/// An id in two of them is a problem, as in one.
pub(crate) fn load_models(spec_dirs: &[&Path]) -> io::Result<Model> {
    let mut sources = Vec::new();
    for spec_dir in spec_dirs {
        sources.extend(read_sources(spec_dir)?);
    }
    let spec_dir = spec_dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(" and ");
    lark_codegen::build_model(&sources).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "fake-lark: the specs in {} are broken ({} problems):\n{}",
                spec_dir,
                problems.len(),
                lines.join("\n")
            ),
        )
    })
}

/// The spec files below `spec_dir`, named `spec/<path below it>`, in path order.
fn read_sources(spec_dir: &Path) -> io::Result<Vec<SpecSource>> {
    let mut files = Vec::new();
    collect(spec_dir, &mut files).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "fake-lark: cannot read the spec directory {}: {e}",
                spec_dir.display()
            ),
        )
    })?;
    files.sort();
    let mut sources = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let rel = file.strip_prefix(spec_dir).unwrap_or(&file);
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        sources.push(SpecSource {
            path: format!("spec/{}", parts.join("/")),
            text,
        });
    }
    Ok(sources)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") && !is_event_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}
