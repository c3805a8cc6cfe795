//! Binary responses: streaming, file names, saving without ever leaving a partial file.

mod body;
mod filename;
mod save;
mod staging;
pub(crate) mod swept;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use tokio::io::AsyncRead;

use crate::errors::log_id_from_headers;
use crate::transport::prepared::Prepared;
use crate::{Client, Error};
use body::{Body, Chunk};

pub use body::Progress;

/// A successful binary response whose body has not been read yet.
///
/// Headers are available at once; the body is consumed by exactly one of
/// [`save_to`](Self::save_to), [`collect`](Self::collect), [`into_stream`](Self::into_stream)
/// or [`into_async_read`](Self::into_async_read). Memory stays flat whatever the size,
/// except for `collect`. The size limit of the endpoint's spec is enforced while streaming,
/// a stalled body times out, and a body that breaks off is resumed with `Range` when the
/// client's retry policy allows another attempt.
///
/// `C` is the service version's `ErrorCode` (the call's errors and the body's share one
/// type); [`AnyCode`](crate::AnyCode) after [`untyped`](Self::untyped).
pub struct Download<C = crate::AnyCode> {
    body: Body,
    content_type: Option<String>,
    /// The raw Content-Disposition; the names are made from it when first asked for.
    disposition: Option<reqwest::header::HeaderValue>,
    /// The last path parameter (the file key), for a fallback name.
    name_hint: String,
    file_name: std::sync::OnceLock<String>,
    server_file_name: std::sync::OnceLock<Option<String>>,
    log_id: Option<String>,
    durable: bool,
    existing: save::Existing,
    _code: std::marker::PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for Download<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("content_type", &self.content_type)
            .field("file_name", &self.file_name.get())
            .field("log_id", &self.log_id)
            .finish_non_exhaustive()
    }
}

impl<C> Download<C> {
    pub(crate) fn new(
        client: Client,
        prepared: Prepared,
        response: reqwest::Response,
        limit: u64,
    ) -> Result<Self, Error> {
        let headers = response.headers();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let disposition = headers.get(CONTENT_DISPOSITION).cloned();
        let log_id = log_id_from_headers(headers);
        // The last path segment (the file key) names the file when the server does not.
        let name_hint = prepared
            .url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .map(|last| {
                percent_encoding::percent_decode_str(last)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .unwrap_or_default();
        Ok(Download {
            body: Body::new(client, prepared, response, limit)?,
            content_type,
            disposition,
            name_hint,
            file_name: std::sync::OnceLock::new(),
            server_file_name: std::sync::OnceLock::new(),
            log_id,
            durable: false,
            existing: save::Existing::Replace,
            _code: std::marker::PhantomData,
        })
    }

    /// The response's Content-Type: the type of the file.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The body's size, when the server announced it (Content-Length).
    pub fn content_length(&self) -> Option<u64> {
        self.body.total()
    }

    /// A safe file name: the server's (from Content-Disposition) cleaned of any directory
    /// part, `..`, control characters and reserved names, or one made from the file key and
    /// the Content-Type. Always a single path component.
    pub fn file_name(&self) -> &str {
        self.file_name.get_or_init(|| {
            filename::choose_file_name(
                self.disposition.as_ref().map(|v| v.as_bytes()),
                &self.name_hint,
                self.content_type.as_deref(),
            )
        })
    }

    /// The file name exactly as the server sent it, if it sent one. Never use it as a path.
    pub fn server_file_name(&self) -> Option<&str> {
        self.server_file_name
            .get_or_init(|| {
                self.disposition
                    .as_ref()
                    .and_then(|v| filename::parse_content_disposition(v.as_bytes()))
            })
            .as_deref()
    }

    /// The response's log id (`X-Tt-Logid`).
    pub fn log_id(&self) -> Option<&str> {
        self.log_id.as_deref()
    }

    /// Lowers (or raises) the size limit; the default is the endpoint's documented maximum.
    pub fn max_bytes(mut self, limit: u64) -> Self {
        self.body.set_limit(limit);
        self
    }

    /// For [`save_to`](Self::save_to) with an explicit file path: with `true`, a file that
    /// is already at that path is kept and the save fails with [`Error::Io`] of kind
    /// `AlreadyExists` (checked before the download starts and again, atomically, when the
    /// complete file is put in place). The default replaces it, like `curl -o`. A file
    /// saved into a directory under the server's name never replaces anything, whatever
    /// this says.
    pub fn no_clobber(mut self, no_clobber: bool) -> Self {
        self.existing = if no_clobber {
            save::Existing::Keep
        } else {
            save::Existing::Replace
        };
        self
    }

    /// Makes [`save_to`](Self::save_to) flush the file to the storage device (`fsync`)
    /// before renaming it into place, so that the saved file also survives a power loss or
    /// a kernel crash. Off by default, like `curl -o`: it costs about as long as writing the
    /// file to the page cache (see `BENCHMARKS.md`). Without it, a process crash, a broken
    /// body or any error still never leaves a partial file.
    pub fn durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }

    /// Calls `f` after every chunk with the bytes received so far and the total when known.
    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.body.set_progress(Arc::new(f));
        self
    }

    /// Saves the body to `path` and returns the path of the saved file.
    ///
    /// * **Into a directory** (`path` is an existing directory, or ends with a path
    ///   separator and is then created): the file is named [`file_name`](Self::file_name),
    ///   the server's name made safe. That name is chosen by the server, so it **never
    ///   replaces** a file: if the name is taken, the first free one of `name (1).ext`,
    ///   `name (2).ext`, … is used (each claimed atomically, so concurrent downloads of the
    ///   same name all keep their file). Use the returned path.
    /// * **To a file path**: an existing file there is **replaced** once the download is
    ///   complete (like `curl -o`), unless [`no_clobber(true)`](Self::no_clobber).
    ///
    /// The body is written to a file in the target directory that has no name yet (Linux)
    /// or a locked `.lark-download-XXXXXX.part` temporary file (elsewhere), and gets its
    /// final name only when it is complete and its length matches Content-Length. On any
    /// error nothing is left and an existing file is untouched. If the process is killed,
    /// on Linux nothing was ever visible; elsewhere the next `save_to` into that directory
    /// removes the dead process's temporary file.
    pub async fn save_to(self, path: impl AsRef<Path>) -> Result<PathBuf, Error<C>> {
        let file_name = self.file_name().to_string();
        save::save_to(
            self.body,
            &file_name,
            path.as_ref(),
            self.durable,
            self.existing,
        )
        .await
        .map_err(Error::retype)
    }

    /// The same download with its errors untyped (the service-wide [`Error`]).
    pub fn untyped(self) -> Download {
        Download {
            body: self.body,
            content_type: self.content_type,
            disposition: self.disposition,
            name_hint: self.name_hint,
            file_name: self.file_name,
            server_file_name: self.server_file_name,
            log_id: self.log_id,
            durable: self.durable,
            existing: self.existing,
            _code: std::marker::PhantomData,
        }
    }

    /// Reads the whole body into memory, failing with `SizeLimitExceeded` past `cap` bytes
    /// (or the endpoint's limit, if lower).
    pub async fn collect(self, cap: u64) -> Result<Bytes, Error<C>> {
        self.untyped()
            .collect_untyped(cap)
            .await
            .map_err(Error::retype)
    }

    /// The body as a stream of chunks. If a resume is answered with the whole body, the
    /// bytes already yielded are skipped, so the stream stays continuous.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, Error<C>>> + Send + Unpin + 'static
    where
        C: 'static,
    {
        use futures_util::TryStreamExt;
        self.untyped().stream_untyped().map_err(Error::retype)
    }

    /// The body as an [`AsyncRead`]; errors arrive as `std::io::Error` wrapping [`Error`].
    pub fn into_async_read(self) -> impl AsyncRead + Send + Unpin + 'static {
        use futures_util::TryStreamExt;
        tokio_util::io::StreamReader::new(
            self.untyped()
                .stream_untyped()
                .map_err(std::io::Error::other),
        )
    }
}

impl Download {
    async fn collect_untyped(mut self, cap: u64) -> Result<Bytes, Error> {
        let limit = cap.min(self.body.limit());
        self.body.set_limit(limit);
        self.body.check_announced_size()?;
        let capacity = self.body.total().unwrap_or(0).min(limit).min(64 << 20) as usize;
        let mut buf = BytesMut::with_capacity(capacity);
        while let Some(chunk) = self.body.next().await? {
            match chunk {
                Chunk::Data(bytes) => buf.extend_from_slice(&bytes),
                Chunk::Restart => buf.clear(),
            }
        }
        Ok(buf.freeze())
    }

    fn stream_untyped(self) -> impl Stream<Item = Result<Bytes, Error>> + Send + Unpin + 'static {
        let state = (self.body, 0u64, 0u64); // (engine, yielded, to skip after a restart)
        Box::pin(futures_util::stream::try_unfold(
            state,
            |(mut body, mut yielded, mut skip)| async move {
                loop {
                    match body.next().await? {
                        None => return Ok(None),
                        Some(Chunk::Restart) => skip = yielded,
                        Some(Chunk::Data(mut bytes)) => {
                            if skip > 0 {
                                let drop = skip.min(bytes.len() as u64);
                                skip -= drop;
                                bytes = bytes.slice(drop as usize..);
                                if bytes.is_empty() {
                                    continue;
                                }
                            }
                            yielded += bytes.len() as u64;
                            return Ok(Some((bytes, (body, yielded, skip))));
                        }
                    }
                }
            },
        ))
    }
}
