//! Saving a body to disk: a staged file in the target directory (see [`super::staging`]),
//! given its final name only when the body is complete. Any failure or crash leaves nothing;
//! an existing file is never replaced unless the caller named it explicitly.
//!
//! The network side (this task) and the disk side (a blocking writer thread) run as a
//! pipeline over two reused buffers: this task fills one while the writer writes the other,
//! so memory is fixed (2 × 256 KiB) and the runtime's threads never block on the disk.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;

use super::body::{Body, Chunk};
use super::staging::{self, Destination, Staged};
use crate::Error;

/// Size of each buffer: one `write` per buffer.
const BUFFER_BYTES: usize = 256 * 1024;
/// Buffers circulating between this task and the writer.
const BUFFERS: usize = 2;

/// What the writer thread is asked to do.
enum ToWriter {
    /// Append this buffer's bytes, then hand the buffer back.
    Data(Vec<u8>),
    /// The server restarted the body: empty the file.
    Truncate,
}

/// Where the file goes: inside `path` under the server's name when `path` is a directory
/// (existing, or named with a trailing separator), else `path` itself.
fn target_of(path: &Path) -> (PathBuf, bool) {
    let text = path.as_os_str().to_string_lossy();
    let names_dir = text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR);
    if names_dir || path.is_dir() {
        (path.to_path_buf(), true)
    } else {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        (dir, false)
    }
}

/// How an explicit file path is treated when a file is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existing {
    /// Replaced once the download is complete (like `curl -o`).
    Replace,
    /// Left alone: the save fails with `AlreadyExists`.
    Keep,
}

/// Aborts a spawned task when dropped, so that dropping the caller's future (a timeout, a
/// Ctrl-C) stops the work it started.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Saves the body. On a multi-thread runtime the loop runs as a task of the runtime, next to
/// hyper's connection task, instead of in the caller's future (which `#[tokio::main]` runs on
/// the main thread, outside the workers): every chunk would otherwise cross threads and wake
/// a parked thread. Dropping the returned future aborts that task, which leaves nothing.
pub(crate) async fn save_to(
    body: Body,
    file_name: &str,
    path: &Path,
    durable: bool,
    existing: Existing,
) -> Result<PathBuf, Error> {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if !multi_thread {
        return save_inline(body, file_name, path, durable, existing).await;
    }
    let (file_name, owned_path) = (file_name.to_owned(), path.to_path_buf());
    let mut task = AbortOnDrop(tokio::spawn(async move {
        save_inline(body, &file_name, &owned_path, durable, existing).await
    }));
    match (&mut task.0).await {
        Ok(result) => result,
        Err(e) => Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        }),
    }
}

async fn save_inline(
    mut body: Body,
    file_name: &str,
    path: &Path,
    durable: bool,
    existing: Existing,
) -> Result<PathBuf, Error> {
    body.check_announced_size()?;
    let (dir, into_dir) = target_of(path);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    if !into_dir && existing == Existing::Keep && std::fs::symlink_metadata(path).is_ok() {
        // Fail before downloading; publishing checks again, atomically.
        return Err(io(path)(already_exists()));
    }
    let sweep = body.client().inner.swept.first_save_into(&dir);
    let staged = {
        let dir_ = dir.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir_)?;
            if sweep {
                staging::sweep_stale(&dir_);
            }
            Staged::create(&dir_)
        })
        .await
        .map_err(|e| io(&dir)(std::io::Error::other(e)))?
        .map_err(io(&dir))?
    };
    // Dropping `staged` on any early return below leaves nothing behind.
    let file = staged.file().try_clone().map_err(io(&dir))?;
    let (full_tx, full_rx) = mpsc::channel(BUFFERS + 1);
    let (empty_tx, empty_rx) = mpsc::channel(BUFFERS);
    let writer =
        tokio::task::spawn_blocking(move || write_buffers(file, full_rx, empty_tx, durable));
    let received = feed(&mut body, &full_tx, empty_rx).await;
    drop(full_tx);
    // The writer's own error (disk full, …) explains a closed channel best.
    let written = writer
        .await
        .map_err(|e| io(&dir)(std::io::Error::other(e)))?;
    written.map_err(io(&dir))?;
    received?;
    let target = if into_dir {
        dir.join(file_name)
    } else {
        path.to_path_buf()
    };
    let publish = {
        let (dir, file_name, target) = (dir.clone(), file_name.to_owned(), target.clone());
        move || {
            let destination = match (into_dir, existing) {
                (true, _) => Destination::FreeName {
                    dir: &dir,
                    name: &file_name,
                },
                (false, Existing::Replace) => Destination::Replace(&target),
                (false, Existing::Keep) => Destination::NoClobber(&target),
            };
            let saved = staged.publish(destination)?;
            if durable {
                sync_dir(&dir)?;
            }
            Ok::<_, std::io::Error>(saved)
        }
    };
    tokio::task::spawn_blocking(publish)
        .await
        .map_err(|e| io(&target)(std::io::Error::other(e)))?
        .map_err(io(&target))
}

fn already_exists() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "a file is already there and no_clobber is set",
    )
}

/// Makes a new directory entry durable (Unix; elsewhere the rename is what there is).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Reads the body into buffers and hands each full one to the writer. Stops early, without
/// error, when the writer has gone (its error is reported by the caller).
async fn feed(
    body: &mut Body,
    full: &mpsc::Sender<ToWriter>,
    mut empty: mpsc::Receiver<Vec<u8>>,
) -> Result<(), Error> {
    let mut buf = Vec::with_capacity(BUFFER_BYTES);
    let mut spare = BUFFERS - 1; // buffers not yet allocated
    while let Some(chunk) = body.next().await? {
        match chunk {
            Chunk::Data(bytes) => {
                let mut rest: &[u8] = &bytes;
                while !rest.is_empty() {
                    let n = rest.len().min(BUFFER_BYTES - buf.len());
                    buf.extend_from_slice(&rest[..n]);
                    rest = &rest[n..];
                    if buf.len() < BUFFER_BYTES {
                        continue;
                    }
                    if full.send(ToWriter::Data(buf)).await.is_err() {
                        return Ok(());
                    }
                    buf = if spare > 0 {
                        spare -= 1;
                        Vec::with_capacity(BUFFER_BYTES)
                    } else {
                        match empty.recv().await {
                            Some(b) => b,
                            None => return Ok(()),
                        }
                    };
                }
            }
            Chunk::Restart => {
                buf.clear();
                if full.send(ToWriter::Truncate).await.is_err() {
                    return Ok(());
                }
            }
        }
    }
    if !buf.is_empty() {
        let _ = full.send(ToWriter::Data(buf)).await;
    }
    Ok(())
}

/// The writer thread: applies the requests in order, hands buffers back, then optionally
/// fsyncs.
fn write_buffers(
    mut file: File,
    mut full: mpsc::Receiver<ToWriter>,
    empty: mpsc::Sender<Vec<u8>>,
    durable: bool,
) -> std::io::Result<()> {
    while let Some(message) = full.blocking_recv() {
        match message {
            ToWriter::Data(mut buf) => {
                file.write_all(&buf)?;
                buf.clear();
                // Never blocks: the channel holds every buffer there is. If the feeder has
                // finished, the buffer is simply dropped.
                let _ = empty.try_send(buf);
            }
            ToWriter::Truncate => {
                file.set_len(0)?;
                file.seek(SeekFrom::Start(0))?;
            }
        }
    }
    if durable {
        file.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::target_of;
    use std::path::{Path, PathBuf};

    #[test]
    fn target_is_inside_a_directory_or_the_path_itself() {
        let dir = std::env::temp_dir();
        assert_eq!(target_of(&dir), (dir.clone(), true));
        assert_eq!(
            target_of(Path::new("new-dir/")),
            (PathBuf::from("new-dir/"), true)
        );
        assert_eq!(
            target_of(Path::new("out/file.bin")),
            (PathBuf::from("out"), false)
        );
        assert_eq!(
            target_of(Path::new("file.bin")),
            (PathBuf::from("."), false)
        );
    }
}
