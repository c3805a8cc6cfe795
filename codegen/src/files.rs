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

/// Lists what differs between `files` and the tree under `root`, sorted by path.
pub fn compare(root: &Path, files: &[GeneratedFile]) -> io::Result<Vec<Change>> {
    let mut changes = Vec::new();
    let wanted: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for file in files {
        match std::fs::read_to_string(root.join(&file.path)) {
            Ok(text) if text == file.contents => {}
            Ok(_) => changes.push(Change::Stale(file.path.clone())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                changes.push(Change::Missing(file.path.clone()))
            }
            Err(e) => return Err(e),
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
                let path = root.join(p);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let contents = &files
                    .iter()
                    .find(|f| &f.path == p)
                    .expect("listed by compare")
                    .contents;
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
