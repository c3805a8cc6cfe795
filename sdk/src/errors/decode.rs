//! A 2xx answer that cannot be read as the endpoint's model.

use std::fmt;

/// A success (2xx) answer that cannot be read as the endpoint's model: not JSON, larger than
/// the cap, without the envelope's `code`, or of the wrong shape. Every such failure names
/// the endpoint, and the JSON path where there is one.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DecodeError {
    /// The endpoint.
    pub endpoint: &'static str,
    /// Where in the answer decoding failed, as a JSON path (`data.items[3].sender.id`).
    pub path: String,
    /// What serde said.
    pub message: String,
    /// The answer's log id.
    pub log_id: Option<String>,
    /// The start of the answer, cleaned, for the error message.
    pub excerpt: String,
    /// The answer was larger than this many bytes; only its start was read.
    pub cut_at: Option<usize>,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the answer does not fit the model at `{}`: {}",
            self.endpoint, self.path, self.message
        )?;
        if let Some(id) = &self.log_id {
            write!(f, " (log id {id})")?;
        }
        write!(f, "; the answer starts: \"{}\"", self.excerpt)
    }
}

impl std::error::Error for DecodeError {}
