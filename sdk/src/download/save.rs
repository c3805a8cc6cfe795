//! Saving a body to disk: a temporary file beside the target, renamed into place only when
//! the body is complete. Any failure removes the temporary file; the target is untouched.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

use super::body::{Body, Chunk};
use crate::operation::ServiceError;
use crate::Error;

/// Size of the write buffer: large writes keep the file system busy with few syscalls.
const WRITE_BUFFER: usize = 256 * 1024;

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
    let temp = builder
        .tempfile_in(&dir)
        .map_err(io(&dir))?;
    let file = temp.as_file().try_clone().map_err(io(temp.path()))?;
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, tokio::fs::File::from_std(file));
    while let Some(chunk) = body.next().await? {
        match chunk {
            Chunk::Data(bytes) => out.write_all(&bytes).await.map_err(io(temp.path()))?,
            Chunk::Restart => {
                out.flush().await.map_err(io(temp.path()))?;
                let file = out.get_mut();
                file.set_len(0).await.map_err(io(temp.path()))?;
                file.seek(SeekFrom::Start(0))
                    .await
                    .map_err(io(temp.path()))?;
            }
        }
    }
    out.flush().await.map_err(io(temp.path()))?;
    out.into_inner().sync_all().await.map_err(io(temp.path()))?;
    temp.persist(&target).map_err(|e| Error::Io {
        path: target.clone(),
        source: e.error,
    })?;
    Ok(target)
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
