//! What the store or the synthesizer decided to answer, before it becomes a response.

use serde_json::{Map, Value};

use super::served::Served;
use super::validate::Invalid;

/// An answer to a valid request.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Success: the fields of `data` (top-level fields for flat answers; nothing for
    /// empty ones). Fitted to the response model before sending.
    Json(Map<String, Value>),
    /// Success with a binary body.
    Binary(Box<Served>),
    /// A documented error: the code (a row of the endpoint), and a message for rows
    /// without a server message.
    Error { code: i64, msg: String },
    /// Refused as malformed: the invalid-request answer.
    Invalid(Invalid),
}
