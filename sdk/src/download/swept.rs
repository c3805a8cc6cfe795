//! [`SweptDirs`]: the directories a client's `save_to` has already swept for stale
//! temporary files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The most directories remembered; past it the record starts again (a sweep more).
const MAX_DIRS: usize = 1024;

/// Held by a client: a directory is swept the first time the client saves into it.
#[derive(Debug, Default)]
pub(crate) struct SweptDirs(Mutex<HashSet<PathBuf>>);

impl SweptDirs {
    /// Whether `dir` is new (then `save_to` sweeps it first), remembering it.
    pub(crate) fn first_save_into(&self, dir: &Path) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.contains(dir) {
            return false;
        }
        if seen.len() >= MAX_DIRS {
            seen.clear();
        }
        seen.insert(dir.to_path_buf());
        true
    }
}
