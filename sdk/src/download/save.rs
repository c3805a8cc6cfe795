//! Saving a body to disk: a temporary file beside the target, renamed into place only when
//! the body is complete. Any failure removes the temporary file; the target is untouched.
//!
//! The network side (this task) and the disk side (a blocking writer thread) run as a
//! pipeline over two reused buffers: this task fills one while the writer writes the other,
//! so memory is fixed (2 × 256 KiB) and the runtime's threads never block on the disk.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;

use super::body::{Body, Chunk};
use crate::operation::ServiceError;
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
    let (full_tx, full_rx) = mpsc::channel(BUFFERS + 1);
    let (empty_tx, empty_rx) = mpsc::channel(BUFFERS);
    let writer =
        tokio::task::spawn_blocking(move || write_buffers(file, full_rx, empty_tx, durable));
    let received = feed(&mut body, &full_tx, empty_rx).await;
    drop(full_tx);
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

/// Reads the body into buffers and hands each full one to the writer. Stops early, without
/// error, when the writer has gone (its error is reported by the caller).
async fn feed<E: ServiceError>(
    body: &mut Body<E>,
    full: &mpsc::Sender<ToWriter>,
    mut empty: mpsc::Receiver<Vec<u8>>,
) -> Result<(), Error<E>> {
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
