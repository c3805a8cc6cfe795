//! [`Served`]: what a binary answer sends, whoever serves it (a registered resource, an
//! upload from the store, synthesized bytes).

use bytes::Bytes;

use super::ids;
use super::resources::{Disposition, Resource};
use super::stream::Source;

/// What a binary answer sends.
#[derive(Debug, Clone)]
pub(crate) struct Served {
    pub source: Source,
    pub size: u64,
    /// `Content-Type`; `None` sends none.
    pub content_type: Option<String>,
    pub disposition: Disposition,
    /// Honour `Range` and send `Accept-Ranges: bytes`.
    pub accept_ranges: bool,
    /// A strong ETag, one per content version.
    pub etag: String,
}

impl Served {
    /// A registered resource, generated from its seed.
    pub fn resource(r: &Resource) -> Served {
        Served {
            source: Source::Seed(r.seed),
            size: r.size,
            content_type: r.content_type.clone(),
            disposition: r.disposition.clone(),
            accept_ranges: r.accept_ranges,
            etag: format!("\"{:016x}-{}\"", r.seed, r.size),
        }
    }

    /// Bytes held in memory.
    pub fn bytes(bytes: Bytes, content_type: &str, disposition: Disposition) -> Served {
        let etag = format!(
            "\"b{:016x}-{}\"",
            ids::stable_hash_bytes(&bytes),
            bytes.len()
        );
        Served {
            size: bytes.len() as u64,
            source: Source::Bytes(bytes),
            content_type: Some(content_type.to_owned()),
            disposition,
            accept_ranges: true,
            etag,
        }
    }
}
