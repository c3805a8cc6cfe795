//! The error of parsing a received message's content.

use std::fmt;

/// A received message's content could not be read as its `msg_type` says.
///
/// Only content of the types this SDK models (`text`, `post`, `image`, `file`, `folder`,
/// `audio`, `media`, `sticker`, `share_chat`, `share_user`, `interactive`) can fail; the
/// content of other types is kept raw. The message names the `msg_type` and where the
/// problem is: the line and column of a JSON syntax error, or the path (such as
/// `$.content[2]`) of a value of the wrong shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    msg_type: String,
    kind: ContentErrorKind,
}

/// What was wrong with the content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentErrorKind {
    /// The content is not valid JSON (or is empty).
    Syntax {
        /// The 1-based line of the error.
        line: usize,
        /// The 1-based column of the error.
        column: usize,
        /// The parser's description, position included.
        message: String,
    },
    /// The content is JSON, but a value has the wrong shape or a required field is missing.
    Shape {
        /// Where: `$` for the whole object, `$.image_key` for a field, `$.content[2]` for an
        /// item of a list.
        path: String,
        /// What was expected there.
        message: String,
    },
}

impl ContentError {
    pub(super) fn syntax(msg_type: &str, error: &serde_json::Error) -> Self {
        ContentError {
            msg_type: msg_type.to_owned(),
            kind: ContentErrorKind::Syntax {
                line: error.line(),
                column: error.column(),
                message: error.to_string(),
            },
        }
    }

    pub(super) fn shape(
        msg_type: &str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ContentError {
            msg_type: msg_type.to_owned(),
            kind: ContentErrorKind::Shape {
                path: path.into(),
                message: message.into(),
            },
        }
    }

    /// The `msg_type` the content was read as.
    pub fn msg_type(&self) -> &str {
        &self.msg_type
    }

    /// What was wrong.
    pub fn kind(&self) -> &ContentErrorKind {
        &self.kind
    }

    /// The path of the misshapen value, for a shape error.
    pub fn path(&self) -> Option<&str> {
        match &self.kind {
            ContentErrorKind::Shape { path, .. } => Some(path),
            ContentErrorKind::Syntax { .. } => None,
        }
    }

    /// The line and column, for a JSON syntax error.
    pub fn position(&self) -> Option<(usize, usize)> {
        match &self.kind {
            ContentErrorKind::Syntax { line, column, .. } => Some((*line, *column)),
            ContentErrorKind::Shape { .. } => None,
        }
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ContentErrorKind::Syntax { message, .. } => {
                write!(
                    f,
                    "`{}` message content is not valid JSON: {message}",
                    self.msg_type
                )
            }
            ContentErrorKind::Shape { path, message } => {
                write!(
                    f,
                    "`{}` message content has an unexpected shape at {path}: {message}",
                    self.msg_type
                )
            }
        }
    }
}

impl std::error::Error for ContentError {}
