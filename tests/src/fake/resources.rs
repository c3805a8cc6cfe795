//! Downloadable resources registered with the fake, and how their
//! `Content-Disposition` header is written.

use axum::http::header::InvalidHeaderValue;
use axum::http::HeaderValue;

use super::faults::Fault;
use super::ids;

/// Which `?type=` value a resource answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `type=image`: an image, or an image inside a rich-text post.
    Image,
    /// `type=file`: a file, audio or video.
    File,
}

impl ResourceKind {
    /// The `type` query value for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Image => "image",
            ResourceKind::File => "file",
        }
    }

    /// Parses a `type` query value (exact, case-sensitive, like the platform's enum).
    pub fn parse(s: &str) -> Option<ResourceKind> {
        match s {
            "image" => Some(ResourceKind::Image),
            "file" => Some(ResourceKind::File),
            _ => None,
        }
    }
}

/// How the `Content-Disposition` header of a successful download is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// No `Content-Disposition` header at all.
    None,
    /// `attachment; filename="<name>"`, with `"` and `\` backslash-escaped.
    /// Non-ASCII characters go out as raw UTF-8 bytes (as in [`Disposition::RawUtf8`]).
    Plain(String),
    /// `attachment; filename="download"; filename*=UTF-8''<percent-encoded name>`
    /// (RFC 5987/8187; every byte outside `attr-char` is percent-encoded).
    Rfc5987(String),
    /// `attachment; filename="<name>"` with the name's raw UTF-8 bytes, unescaped.
    RawUtf8(String),
    /// The exact header value bytes, for hostile cases (invalid UTF-8,
    /// traversal names, odd syntax). Must not contain CR, LF, NUL or other
    /// control bytes except tab, which HTTP cannot carry.
    Raw(Vec<u8>),
}

impl Disposition {
    /// The header value, `Ok(None)` for [`Disposition::None`]; an error when
    /// the bytes cannot be sent in an HTTP header.
    pub fn header_value(&self) -> Result<Option<HeaderValue>, InvalidHeaderValue> {
        let bytes: Vec<u8> = match self {
            Disposition::None => return Ok(None),
            Disposition::Plain(name) => {
                let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
                format!("attachment; filename=\"{escaped}\"").into_bytes()
            }
            Disposition::Rfc5987(name) => format!(
                "attachment; filename=\"download\"; filename*=UTF-8''{}",
                pct_encode_attr(name)
            )
            .into_bytes(),
            Disposition::RawUtf8(name) => format!("attachment; filename=\"{name}\"").into_bytes(),
            Disposition::Raw(bytes) => bytes.clone(),
        };
        HeaderValue::from_bytes(&bytes).map(Some)
    }
}

/// Percent-encodes everything except RFC 8187 `attr-char`.
fn pct_encode_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A resource the message-resource endpoint can serve.
///
/// Its bytes are never stored: they are [`content_bytes`](super::content_bytes)
/// of `seed`, generated while streaming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The `:message_id` path segment (percent-decoded).
    pub message_id: String,
    /// The `:file_key` path segment (percent-decoded).
    pub file_key: String,
    /// Must match the request's `?type=`, else 234001.
    pub kind: ResourceKind,
    /// Body size in bytes.
    pub size: u64,
    /// Content seed, see [`content_bytes`](super::content_bytes).
    pub seed: u64,
    /// `Content-Type` header; `None` sends none.
    pub content_type: Option<String>,
    /// `Content-Disposition` header.
    pub disposition: Disposition,
    /// Faults served one per request to this resource, in order; afterwards it
    /// is served normally.
    pub faults: Vec<Fault>,
    /// Honour `Range` (206/416) and send `Accept-Ranges: bytes`; when false a
    /// `Range` header is ignored and the whole body is sent with 200.
    pub accept_ranges: bool,
}

impl Resource {
    /// A resource with defaults: seed derived from the two ids,
    /// `application/octet-stream`, `Disposition::Plain("file.bin")`, no faults,
    /// ranges accepted.
    pub fn new(
        message_id: impl Into<String>,
        file_key: impl Into<String>,
        kind: ResourceKind,
        size: u64,
    ) -> Resource {
        let message_id = message_id.into();
        let file_key = file_key.into();
        let seed = ids::stable_hash(&format!("{message_id}/{file_key}"));
        Resource {
            message_id,
            file_key,
            kind,
            size,
            seed,
            content_type: Some("application/octet-stream".to_owned()),
            disposition: Disposition::Plain("file.bin".to_owned()),
            faults: Vec::new(),
            accept_ranges: true,
        }
    }

    /// Sets the content seed.
    pub fn with_seed(mut self, seed: u64) -> Resource {
        self.seed = seed;
        self
    }

    /// Sets the `Content-Type` header.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Resource {
        self.content_type = Some(content_type.into());
        self
    }

    /// Sends no `Content-Type` header.
    pub fn without_content_type(mut self) -> Resource {
        self.content_type = None;
        self
    }

    /// Sets the `Content-Disposition` header.
    pub fn with_disposition(mut self, disposition: Disposition) -> Resource {
        self.disposition = disposition;
        self
    }

    /// Appends one fault to the queue.
    pub fn with_fault(mut self, fault: Fault) -> Resource {
        self.faults.push(fault);
        self
    }

    /// Appends several faults to the queue.
    pub fn with_faults(mut self, faults: impl IntoIterator<Item = Fault>) -> Resource {
        self.faults.extend(faults);
        self
    }

    /// Whether `Range` requests are honoured.
    pub fn with_accept_ranges(mut self, accept: bool) -> Resource {
        self.accept_ranges = accept;
        self
    }

    /// The whole body's SHA-256 (see [`content_sha256`](super::content_sha256)).
    pub fn sha256(&self) -> [u8; 32] {
        super::content_sha256(self.seed, self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(d: Disposition) -> Option<Vec<u8>> {
        d.header_value().unwrap().map(|v| v.as_bytes().to_vec())
    }

    #[test]
    fn disposition_rendering() {
        assert_eq!(render(Disposition::None), None);
        assert_eq!(
            render(Disposition::Plain(r#"a "b"\c.txt"#.into())).unwrap(),
            br#"attachment; filename="a \"b\"\\c.txt""#
        );
        assert_eq!(
            render(Disposition::Rfc5987("报告 1.pdf".into())).unwrap(),
            b"attachment; filename=\"download\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%201.pdf"
        );
        assert_eq!(
            render(Disposition::RawUtf8("报告.pdf".into())).unwrap(),
            "attachment; filename=\"报告.pdf\"".as_bytes()
        );
        assert_eq!(
            render(Disposition::Raw(b"x\xff".to_vec())).unwrap(),
            b"x\xff"
        );
        assert!(Disposition::Raw(b"a\r\nb".to_vec()).header_value().is_err());
    }
}
