//! Saving a body to disk: a temporary file beside the target, renamed into place only when
//! the body is complete. Any failure removes the temporary file; the target is untouched.
//!
//! The network side (this task) and the disk side (a blocking writer thread) run as a
//! pipeline: chunks are handed over as they arrive, without copying, in batches written with
//! one vectored write each, through a bounded channel that keeps memory flat.

use std::fs::File;
use std::io::{IoSlice, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::body::{Body, Chunk};
use crate::operation::ServiceError;
use crate::Error;

/// Bytes gathered before a batch goes to the writer (one `writev`).
const BATCH_BYTES: usize = 512 * 1024;
/// Batches in flight between the network and the disk: bounds memory to a few MiB.
const BATCHES_IN_FLIGHT: usize = 4;

/// What the writer thread is asked to do.
enum ToWriter {
    /// Append these chunks.
    Chunks(Vec<Bytes>),
    /// The server restarted the body: empty the file.
    Truncate,
}

/// Where the file goes: inside `path` when it is a directory (existing, or named with a
/// trailing separator), else `path` itself.
fn target_of(path: &Path, file_name: &str) -> (PathBuf, PathBuf) {
    let text = path.as_os_str().to_string_lossy();
    let names_dir = text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR);
    if names_dir || path.is_dir() {
        (path.to_path_buf(), path.join(file_name))
    } else {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        (dir, path.to_path_buf())
    }
}

pub(crate) async fn save_to<E: ServiceError>(
    mut body: Body<E>,
    file_name: &str,
    path: &Path,
    durable: bool,
) -> Result<PathBuf, Error<E>> {
    body.check_announced_size()?;
    let (dir, target) = target_of(path, file_name);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    tokio::fs::create_dir_all(&dir).await.map_err(io(&dir))?;
    // Deleted on drop: every early return below leaves nothing behind.
    let mut builder = tempfile::Builder::new();
    builder.prefix(".lark-download-").suffix(".part");
    // Temporary files are private (0600) by default; the saved file gets the usual
    // permissions of a new file (0666 less the umask), like `curl -o`.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let temp = builder.tempfile_in(&dir).map_err(io(&dir))?;
    let file = temp.as_file().try_clone().map_err(io(temp.path()))?;
    let (tx, rx) = mpsc::channel(BATCHES_IN_FLIGHT);
    let writer = tokio::task::spawn_blocking(move || write_batches(file, rx, durable));
    let received = feed(&mut body, &tx).await;
    drop(tx);
    // The writer's own error (disk full, …) explains a closed channel best.
    let written = writer
        .await
        .map_err(|e| io(temp.path())(std::io::Error::other(e)))?;
    written.map_err(io(temp.path()))?;
    received?;
    temp.persist(&target).map_err(|e| Error::Io {
        path: target.clone(),
        source: e.error,
    })?;
    Ok(target)
}

/// Reads the body and hands it to the writer in batches. Stops early, without error, when
/// the writer has gone (its error is reported by the caller).
async fn feed<E: ServiceError>(
    body: &mut Body<E>,
    tx: &mpsc::Sender<ToWriter>,
) -> Result<(), Error<E>> {
    let mut batch = Vec::new();
    let mut batch_len = 0;
    while let Some(chunk) = body.next().await? {
        let message = match chunk {
            Chunk::Data(bytes) => {
                batch_len += bytes.len();
                batch.push(bytes);
                if batch_len < BATCH_BYTES {
                    continue;
                }
                batch_len = 0;
                ToWriter::Chunks(std::mem::take(&mut batch))
            }
            Chunk::Restart => {
                batch.clear();
                batch_len = 0;
                ToWriter::Truncate
            }
        };
        if tx.send(message).await.is_err() {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(ToWriter::Chunks(batch)).await;
    }
    Ok(())
}

/// The writer thread: applies the batches in order, then optionally fsyncs.
fn write_batches(
    mut file: File,
    mut rx: mpsc::Receiver<ToWriter>,
    durable: bool,
) -> std::io::Result<()> {
    while let Some(message) = rx.blocking_recv() {
        match message {
            ToWriter::Chunks(chunks) => write_all_chunks(&mut file, &chunks)?,
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

/// `write_all` for a list of buffers, with vectored writes.
fn write_all_chunks(file: &mut File, chunks: &[Bytes]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().map(|c| IoSlice::new(c)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
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
        assert_eq!(target_of(&dir, "a.png").1, dir.join("a.png"));
        assert_eq!(
            target_of(Path::new("new-dir/"), "a.png"),
            (PathBuf::from("new-dir/"), PathBuf::from("new-dir/a.png"))
        );
        assert_eq!(
            target_of(Path::new("out/file.bin"), "a.png"),
            (PathBuf::from("out"), PathBuf::from("out/file.bin"))
        );
        assert_eq!(
            target_of(Path::new("file.bin"), "a.png"),
            (PathBuf::from("."), PathBuf::from("file.bin"))
        );
    }
}
