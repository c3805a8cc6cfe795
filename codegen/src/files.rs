//! Comparing generated files with the tree, and writing them: the I/O of `cargo xtask gen`.

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::Path;

use crate::emit::{GeneratedFile, GENERATED_DIR};

/// How a generated file differs from the tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Generated but not on disk.
    Missing(String),
    /// On disk with other contents.
    Stale(String),
    /// On disk under the generated directory, but no longer generated.
    Extra(String),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Missing(p) => write!(f, "missing: {p}"),
            Change::Stale(p) => write!(f, "stale:   {p}"),
            Change::Extra(p) => write!(f, "extra:   {p}"),
        }
    }
}

/// A generated section of a hand-written file: `README.md#endpoints` is the text between
/// `<!-- @generated endpoints: start -->` and `<!-- @generated endpoints: end -->` lines of
/// `README.md`. Returns the file and the two markers.
fn section_of(path: &str) -> Option<(&str, String, String)> {
    let (file, name) = path.split_once('#')?;
    Some((
        file,
        format!(
            "<!-- @generated {name}: start (cargo xtask gen, from the specs; do not edit) -->\n"
        ),
        format!("<!-- @generated {name}: end -->\n"),
    ))
}

/// The text of a generated section within `text`, if its markers are there.
fn section_text<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = from + text[from..].find(end)?;
    Some(&text[from..to])
}

/// Reads what is on disk for a generated file or section.
fn read_current(root: &Path, path: &str) -> io::Result<Option<String>> {
    let (file, markers) = match section_of(path) {
        Some((file, start, end)) => (file, Some((start, end))),
        None => (path, None),
    };
    match std::fs::read_to_string(root.join(file)) {
        Ok(text) => Ok(match markers {
            None => Some(text),
            Some((start, end)) => section_text(&text, &start, &end).map(str::to_string),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Lists what differs between `files` and the tree under `root`, sorted by path.
pub fn compare(root: &Path, files: &[GeneratedFile]) -> io::Result<Vec<Change>> {
    let mut changes = Vec::new();
    let wanted: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for file in files {
        match read_current(root, &file.path)? {
            Some(text) if text == file.contents => {}
            Some(_) => changes.push(Change::Stale(file.path.clone())),
            None => changes.push(Change::Missing(file.path.clone())),
        }
    }
    for existing in existing_files(root)? {
        if !wanted.contains(existing.as_str()) {
            changes.push(Change::Extra(existing));
        }
    }
    changes.sort();
    Ok(changes)
}

/// Brings the tree in line with `files`: writes missing and stale files, removes extra ones
/// (and directories left empty). Returns what it changed.
pub fn write(root: &Path, files: &[GeneratedFile]) -> io::Result<Vec<Change>> {
    let changes = compare(root, files)?;
    for change in &changes {
        match change {
            Change::Missing(p) | Change::Stale(p) => {
                let Some(generated) = files.iter().find(|f| &f.path == p) else {
                    continue;
                };
                let (file, contents) = match section_of(p) {
                    None => (p.as_str(), generated.contents.clone()),
                    Some((file, start, end)) => {
                        let text = std::fs::read_to_string(root.join(file)).unwrap_or_default();
                        let spliced = match section_text(&text, &start, &end) {
                            Some(old) => {
                                let at = text.find(&start).unwrap_or(0) + start.len();
                                format!(
                                    "{}{}{}",
                                    &text[..at],
                                    generated.contents,
                                    &text[at + old.len()..]
                                )
                            }
                            // No markers yet: the section goes at the end.
                            None => format!("{text}{start}{}{end}", generated.contents),
                        };
                        (file, spliced)
                    }
                };
                let path = root.join(file);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(path, contents)?;
            }
            Change::Extra(p) => {
                let path = root.join(p);
                std::fs::remove_file(&path)?;
                let mut dir = path.parent();
                while let Some(d) = dir {
                    if d == root.join(GENERATED_DIR) || std::fs::remove_dir(d).is_err() {
                        break;
                    }
                    dir = d.parent();
                }
            }
        }
    }
    Ok(changes)
}

/// Every file under the generated directory, as `/`-separated paths relative to `root`.
fn existing_files(root: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let dir = root.join(GENERATED_DIR);
    if dir.exists() {
        walk(&dir, GENERATED_DIR, &mut out)?;
    }
    Ok(out)
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("{rel}/{name}");
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &rel, out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}
