//! Files to upload: from a path (streamed from disk and re-opened for each attempt), from
//! bytes in memory, or from a caller's stream (sent once).

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::Stream;

type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// A file for an upload endpoint (`im.v1.image.create`, `im.v1.file.create`): the SDK
/// builds the `multipart/form-data` body, with the part's file name and Content-Type.
///
/// ```no_run
/// use lark_openapi::UploadFile;
/// let from_disk = UploadFile::from_path("report.pdf");
/// let in_memory = UploadFile::from_bytes("chart.png", vec![0x89, b'P', b'N', b'G']);
/// ```
///
/// A file from a path or from bytes can be sent again: a retry or a token replay re-opens
/// the file (and sends `Content-Length`). A stream is read once: a call that uploads one is
/// never retried, and reports the first failure.
#[derive(Clone)]
pub struct UploadFile {
    source: Source,
    file_name: String,
    content_type: Option<String>,
}

#[derive(Clone)]
enum Source {
    Path(PathBuf),
    Bytes(Bytes),
    Stream {
        stream: Arc<Mutex<Option<ByteStream>>>,
        length: Option<u64>,
    },
}

impl UploadFile {
    /// The file at `path`, streamed from disk (never held in memory). The part's file name
    /// is the path's last component.
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_string());
        UploadFile {
            source: Source::Path(path),
            file_name,
            content_type: None,
        }
    }

    /// Bytes in memory, uploaded under `file_name`.
    pub fn from_bytes(file_name: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        UploadFile {
            source: Source::Bytes(bytes.into()),
            file_name: file_name.into(),
            content_type: None,
        }
    }

    /// A stream of bytes, uploaded under `file_name`; `length`, when known, is sent as the
    /// part's length and checked against the endpoint's limit before anything is sent. A
    /// stream can be sent only once, so a call with one is never retried.
    pub fn from_stream<S>(file_name: impl Into<String>, length: Option<u64>, stream: S) -> Self
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        UploadFile {
            source: Source::Stream {
                stream: Arc::new(Mutex::new(Some(Box::pin(stream)))),
                length,
            },
            file_name: file_name.into(),
            content_type: None,
        }
    }

    /// Uploads under another file name.
    #[must_use]
    pub fn file_name(mut self, file_name: impl Into<String>) -> Self {
        self.file_name = file_name.into();
        self
    }

    /// Sets the part's Content-Type (by default guessed from the file name's extension,
    /// else `application/octet-stream`).
    #[must_use]
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The part's file name.
    pub fn name(&self) -> &str {
        &self.file_name
    }

    /// The path, for a file from disk.
    pub fn path(&self) -> Option<&Path> {
        match &self.source {
            Source::Path(p) => Some(p),
            _ => None,
        }
    }

    /// Whether the file can be sent again (false for a stream).
    pub fn is_replayable(&self) -> bool {
        !matches!(self.source, Source::Stream { .. })
    }

    /// The part's Content-Type.
    pub(crate) fn mime(&self) -> &str {
        self.content_type
            .as_deref()
            .unwrap_or_else(|| mime_of(&self.file_name))
    }

    /// The size, when it can be known before sending.
    pub(crate) async fn size(&self) -> std::io::Result<Option<u64>> {
        match &self.source {
            Source::Path(p) => Ok(Some(tokio::fs::metadata(p).await?.len())),
            Source::Bytes(b) => Ok(Some(b.len() as u64)),
            Source::Stream { length, .. } => Ok(*length),
        }
    }

    /// The multipart part for one attempt: the file is opened again, a stream is taken.
    pub(crate) async fn part(&self) -> Result<reqwest::multipart::Part, PartError> {
        let part = match &self.source {
            Source::Path(path) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| PartError::Io(path.clone(), e))?;
                let len = file
                    .metadata()
                    .await
                    .map_err(|e| PartError::Io(path.clone(), e))?
                    .len();
                let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
                    file,
                    256 * 1024,
                ));
                reqwest::multipart::Part::stream_with_length(body, len)
            }
            Source::Bytes(bytes) => reqwest::multipart::Part::stream_with_length(
                reqwest::Body::from(bytes.clone()),
                bytes.len() as u64,
            ),
            Source::Stream { stream, length } => {
                let taken = stream
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take();
                let Some(stream) = taken else {
                    return Err(PartError::StreamSpent);
                };
                let body = reqwest::Body::wrap_stream(stream);
                match length {
                    Some(len) => reqwest::multipart::Part::stream_with_length(body, *len),
                    None => reqwest::multipart::Part::stream(body),
                }
            }
        };
        part.file_name(self.file_name.clone())
            .mime_str(self.mime())
            .map_err(|_| PartError::BadMime(self.mime().to_string()))
    }
}

/// Why a part could not be built for an attempt.
#[derive(Debug)]
pub(crate) enum PartError {
    Io(PathBuf, std::io::Error),
    StreamSpent,
    BadMime(String),
}

impl PartialEq for UploadFile {
    fn eq(&self, other: &Self) -> bool {
        let same_source = match (&self.source, &other.source) {
            (Source::Path(a), Source::Path(b)) => a == b,
            (Source::Bytes(a), Source::Bytes(b)) => a == b,
            (Source::Stream { stream: a, .. }, Source::Stream { stream: b, .. }) => {
                Arc::ptr_eq(a, b)
            }
            _ => false,
        };
        same_source && self.file_name == other.file_name && self.content_type == other.content_type
    }
}

impl fmt::Debug for UploadFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Path(p) => format!("path {}", p.display()),
            Source::Bytes(b) => format!("{} bytes in memory", b.len()),
            Source::Stream { length, .. } => match length {
                Some(n) => format!("a stream of {n} bytes"),
                None => "a stream".to_string(),
            },
        };
        f.debug_struct("UploadFile")
            .field("source", &source)
            .field("file_name", &self.file_name)
            .field("content_type", &self.mime())
            .finish()
    }
}

/// A Content-Type for a file name, from its extension.
fn mime_of(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "ico" => "image/x-icon",
        "heic" => "image/heic",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "mp4" => "video/mp4",
        "opus" => "audio/opus",
        "mp3" => "audio/mpeg",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_types_and_debug() {
        let f = UploadFile::from_path("/tmp/Report.PDF");
        assert_eq!(f.name(), "Report.PDF");
        assert_eq!(f.mime(), "application/pdf");
        assert!(f.is_replayable());
        let b = UploadFile::from_bytes("x.bin", vec![1, 2, 3]).content_type("image/png");
        assert_eq!(b.mime(), "image/png");
        assert!(format!("{b:?}").contains("3 bytes in memory"));
        let s = UploadFile::from_stream("a.mp4", Some(10), futures_util::stream::empty());
        assert!(!s.is_replayable());
        assert_eq!(s.clone(), s);
        assert_eq!(mime_of("noext"), "application/octet-stream");
    }

    #[tokio::test]
    async fn a_stream_is_sent_once() {
        let s = UploadFile::from_stream(
            "a.txt",
            None,
            futures_util::stream::iter(vec![Ok(Bytes::from_static(b"abc"))]),
        );
        assert!(s.part().await.is_ok());
        assert!(matches!(s.part().await, Err(PartError::StreamSpent)));
        assert_eq!(s.size().await.unwrap(), None);
        let b = UploadFile::from_bytes("b", vec![0; 5]);
        assert_eq!(b.size().await.unwrap(), Some(5));
    }
}
