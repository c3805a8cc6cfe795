//! Where a download is written before it is complete, and how it gets its final name.
//!
//! * On Linux the body goes into an **unnamed** file (`O_TMPFILE`) in the target directory:
//!   it has no name until [`Staged::publish`] links it into place, so a process killed at any
//!   moment (SIGKILL, power loss) leaves nothing behind.
//! * Elsewhere, or where the file system has no unnamed files, it goes into a **named**
//!   temporary file `.lark-download-XXXXXX.part` that is deleted on drop and locked while it
//!   is written. A process that dies cannot delete it; the next `save_to` into that
//!   directory removes such files once nobody holds their lock ([`sweep_stale`]).
//!
//! Publishing never clobbers a file unless asked to: a server-chosen name takes the first
//! free one of `name`, `name (1).ext`, `name (2).ext`, …, each tried with an atomic
//! create-if-absent (a hard link, or a rename that refuses to replace), so concurrent
//! downloads of the same name never lose one another.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::filename::numbered_file_name;

/// Prefix and suffix of named temporary files (sanitized server names never start with a
/// dot, so no downloaded file can match).
const TEMP_PREFIX: &str = ".lark-download-";
const TEMP_SUFFIX: &str = ".part";

/// A named temporary file nobody holds a lock on is removed once it is this old. The age
/// only covers the instant between a writer creating its file and locking it.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(10);

/// How many numbered alternatives of a server-chosen name are tried.
const MAX_NUMBERED: u32 = 10_000;

/// Where a finished download goes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Destination<'a> {
    /// `name` in `dir`, or the first free numbered alternative: never replaces a file.
    FreeName { dir: &'a Path, name: &'a str },
    /// Exactly this path, replacing a file that is there.
    Replace(&'a Path),
    /// Exactly this path; fails if a file is already there.
    NoClobber(&'a Path),
}

/// A file being written in a directory, not yet visible under its final name.
pub(crate) struct Staged {
    file: File,
    kind: Kind,
    dir: PathBuf,
}

enum Kind {
    /// An `O_TMPFILE` file: linked into place through `/proc/self/fd`.
    #[cfg(target_os = "linux")]
    Unnamed,
    /// A named temporary file, deleted on drop.
    Named(tempfile::NamedTempFile),
}

impl Staged {
    /// A new empty staged file in `dir` (which must exist).
    pub(crate) fn create(dir: &Path) -> io::Result<Staged> {
        #[cfg(target_os = "linux")]
        if let Some(file) = unnamed::create(dir) {
            return Ok(Staged {
                file,
                kind: Kind::Unnamed,
                dir: dir.to_path_buf(),
            });
        }
        Self::create_named(dir)
    }

    /// A named, locked temporary file in `dir` (the fallback; tests use it directly).
    pub(crate) fn create_named(dir: &Path) -> io::Result<Staged> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
        // Temporary files are private (0600) by default; the saved file gets the usual
        // permissions of a new file (0666 less the umask), like `curl -o`.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder.tempfile_in(dir)?;
        // Held until the file is published or dropped (or the process dies): it tells
        // `sweep_stale` in other processes that this file is alive. A file system without
        // locks only loses the sweep.
        let _ = temp.as_file().try_lock();
        let file = temp.as_file().try_clone()?;
        Ok(Staged {
            file,
            kind: Kind::Named(temp),
            dir: dir.to_path_buf(),
        })
    }

    /// The file, to write to.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// Whether the file has no name (nothing to clean up after a crash).
    #[cfg(test)]
    pub(crate) fn is_unnamed(&self) -> bool {
        !matches!(self.kind, Kind::Named(_))
    }

    /// Gives the complete file its final name and returns it.
    pub(crate) fn publish(self, destination: Destination<'_>) -> io::Result<PathBuf> {
        let Staged { file, kind, dir } = self;
        match kind {
            #[cfg(target_os = "linux")]
            Kind::Unnamed => unnamed::publish(&file, &dir, destination),
            Kind::Named(temp) => publish_named(temp, destination),
        }
    }
}

/// Tries `name`, then `name (1).ext`, `name (2).ext`, … in `dir` with `try_place`, which
/// must create the path atomically or fail with `AlreadyExists`.
fn first_free_name(
    dir: &Path,
    name: &str,
    mut try_place: impl FnMut(&Path) -> io::Result<()>,
) -> io::Result<PathBuf> {
    for n in 0..=MAX_NUMBERED {
        let candidate = if n == 0 {
            dir.join(name)
        } else {
            dir.join(numbered_file_name(name, n))
        };
        match try_place(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("`{name}` and its {MAX_NUMBERED} numbered alternatives all exist"),
    ))
}

fn publish_named(
    temp: tempfile::NamedTempFile,
    destination: Destination<'_>,
) -> io::Result<PathBuf> {
    match destination {
        Destination::Replace(path) => {
            temp.persist(path).map_err(|e| e.error)?;
            Ok(path.to_path_buf())
        }
        Destination::NoClobber(path) => {
            temp.persist_noclobber(path).map_err(|e| e.error)?;
            Ok(path.to_path_buf())
        }
        Destination::FreeName { dir, name } => {
            let mut temp = Some(temp);
            first_free_name(dir, name, |candidate| {
                let Some(t) = temp.take() else {
                    return Err(io::Error::other("the temporary file is gone"));
                };
                match t.persist_noclobber(candidate) {
                    Ok(_) => Ok(()),
                    Err(e) => {
                        temp = Some(e.file);
                        Err(e.error)
                    }
                }
            })
        }
    }
}

/// Removes the named temporary files in `dir` that belong to no living writer: older than
/// [`STALE_AFTER`] and not locked. Returns how many were removed; errors are skipped (the
/// sweep is housekeeping, never a reason to fail a download).
pub(crate) fn sweep_stale(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if !meta.is_file() || age < STALE_AFTER {
            continue;
        }
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if file.try_lock().is_ok() && std::fs::remove_file(&path).is_ok() {
            tracing::debug!(path = %path.display(), "removed a stale temporary download file");
            removed += 1;
        }
    }
    removed
}

#[cfg(target_os = "linux")]
mod unnamed {
    //! `O_TMPFILE` files and `linkat`, through rustix's safe wrappers.

    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;

    use rustix::fs::{linkat, openat, AtFlags, Mode, OFlags, CWD};

    use super::{first_free_name, Destination, TEMP_PREFIX, TEMP_SUFFIX};

    /// Whether `/proc/self/fd` is there to name an unnamed file for `linkat` (it is not in
    /// some minimal containers).
    fn proc_fd_available() -> bool {
        static AVAILABLE: OnceLock<bool> = OnceLock::new();
        *AVAILABLE.get_or_init(|| Path::new("/proc/self/fd").is_dir())
    }

    /// An unnamed file in `dir`, or `None` where the file system or kernel has none.
    pub(super) fn create(dir: &Path) -> Option<File> {
        if !proc_fd_available() {
            return None;
        }
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        match openat(CWD, dir, flags, Mode::from_bits_truncate(0o666)) {
            Ok(fd) => {
                let file = File::from(fd);
                // Only matters while `publish` gives it a temporary name before a rename:
                // `sweep_stale` then sees it is alive.
                let _ = file.try_lock();
                Some(file)
            }
            Err(e) => {
                tracing::debug!(error = %e, dir = %dir.display(), "no unnamed temporary files here; using a named one");
                None
            }
        }
    }

    /// Creates `path` as a new name of `file`; `AlreadyExists` if it exists.
    fn link(file: &File, path: &Path) -> io::Result<()> {
        let source = format!("/proc/self/fd/{}", file.as_raw_fd());
        linkat(CWD, source.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW).map_err(io::Error::from)
    }

    pub(super) fn publish(
        file: &File,
        dir: &Path,
        destination: Destination<'_>,
    ) -> io::Result<PathBuf> {
        match destination {
            Destination::FreeName { dir, name } => {
                first_free_name(dir, name, |candidate| link(file, candidate))
            }
            Destination::NoClobber(path) => link(file, path).map(|()| path.to_path_buf()),
            Destination::Replace(path) => {
                // A name of our own first, then an atomic rename over the target. A crash
                // between the two leaves a `.part` file that `sweep_stale` removes.
                let mut temp = None;
                for _ in 0..100 {
                    let name = format!("{TEMP_PREFIX}{:08x}{TEMP_SUFFIX}", fastrand::u32(..));
                    let candidate = dir.join(name);
                    match link(file, &candidate) {
                        Ok(()) => {
                            temp = Some(candidate);
                            break;
                        }
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                        Err(e) => return Err(e),
                    }
                }
                let temp = temp.ok_or_else(|| {
                    io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name")
                })?;
                if let Err(e) = std::fs::rename(&temp, path) {
                    let _ = std::fs::remove_file(&temp);
                    return Err(e);
                }
                Ok(path.to_path_buf())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn staged(dir: &Path, named: bool, content: &[u8]) -> Staged {
        let s = if named {
            Staged::create_named(dir).unwrap()
        } else {
            Staged::create(dir).unwrap()
        };
        s.file().write_all(content).unwrap();
        s
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn on_linux_the_staged_file_has_no_name() {
        let dir = tempfile::tempdir().unwrap();
        let s = staged(dir.path(), false, b"abc");
        assert!(s.is_unnamed());
        assert!(
            names(dir.path()).is_empty(),
            "nothing visible while writing"
        );
        let path = s
            .publish(Destination::FreeName {
                dir: dir.path(),
                name: "a.bin",
            })
            .unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"abc");
        assert_eq!(names(dir.path()), ["a.bin"]);
    }

    #[test]
    fn free_names_never_clobber_and_replace_does() {
        for named in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            let free = || Destination::FreeName {
                dir: d,
                name: "same.bin",
            };
            let p0 = staged(d, named, b"0").publish(free()).unwrap();
            let p1 = staged(d, named, b"1").publish(free()).unwrap();
            let p2 = staged(d, named, b"2").publish(free()).unwrap();
            assert_eq!(names(d), ["same (1).bin", "same (2).bin", "same.bin"]);
            assert_eq!(std::fs::read(&p0).unwrap(), b"0");
            assert_eq!(std::fs::read(&p1).unwrap(), b"1");
            assert_eq!(std::fs::read(&p2).unwrap(), b"2");

            let err = staged(d, named, b"x")
                .publish(Destination::NoClobber(&p0))
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
            assert_eq!(std::fs::read(&p0).unwrap(), b"0");

            staged(d, named, b"new")
                .publish(Destination::Replace(&p0))
                .unwrap();
            assert_eq!(std::fs::read(&p0).unwrap(), b"new");
            assert_eq!(
                names(d),
                ["same (1).bin", "same (2).bin", "same.bin"],
                "named={named}"
            );
        }
    }

    #[test]
    fn dropping_a_staged_file_leaves_nothing() {
        for named in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            drop(staged(dir.path(), named, b"partial"));
            assert!(names(dir.path()).is_empty());
        }
    }

    /// Sets a file's modification time `age` into the past.
    fn age(path: &Path, age: Duration) {
        let f = File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
    }

    #[test]
    fn sweep_removes_only_old_unlocked_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A writer that is alive: locked.
        let alive = staged(d, true, b"alive");
        let Kind::Named(alive_temp) = &alive.kind else {
            unreachable!()
        };
        let alive_path = alive_temp.path().to_path_buf();
        age(&alive_path, STALE_AFTER * 2);
        // Left by a dead writer: unlocked and old.
        let dead = d.join(".lark-download-dead01.part");
        std::fs::write(&dead, b"dead").unwrap();
        age(&dead, STALE_AFTER * 2);
        // Unlocked but just created (its writer may be about to lock it).
        let young = d.join(".lark-download-young1.part");
        std::fs::write(&young, b"young").unwrap();
        // Not ours.
        let other = d.join("report.part");
        std::fs::write(&other, b"keep").unwrap();
        age(&other, STALE_AFTER * 2);

        assert_eq!(sweep_stale(d), 1);
        assert!(!dead.exists());
        assert!(alive_path.exists() && young.exists() && other.exists());
        drop(alive);
        assert!(!alive_path.exists());
    }

    /// Run as a child process by the test below: holds a named staged file until killed.
    #[test]
    #[ignore = "a helper process for killed_writers_files_are_swept"]
    fn child_holds_a_named_staged_file() {
        let Some(dir) = std::env::var_os("LARK_STAGING_CHILD_DIR") else {
            return;
        };
        let s = staged(Path::new(&dir), true, b"half a download");
        let Kind::Named(temp) = &s.kind else {
            unreachable!()
        };
        println!("READY {}", temp.path().display());
        std::thread::sleep(Duration::from_secs(60));
    }

    #[cfg(unix)]
    #[test]
    fn killed_writers_files_are_swept_and_living_ones_are_not() {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "download::staging::tests::child_holds_a_named_staged_file",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("LARK_STAGING_CHILD_DIR", dir.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let path = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.split_once("READY ").map(|(_, p)| PathBuf::from(p)))
            .expect("the child reports its file");
        age(&path, STALE_AFTER * 2);
        assert_eq!(sweep_stale(dir.path()), 0, "a living writer's file is kept");
        assert!(path.exists());
        child.kill().unwrap(); // SIGKILL: the child cannot clean up.
        child.wait().unwrap();
        assert!(path.exists(), "the dead writer left its file");
        assert_eq!(sweep_stale(dir.path()), 1);
        assert!(names(dir.path()).is_empty());
    }
}
