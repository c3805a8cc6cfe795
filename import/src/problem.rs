//! What can stop an import, one line each.

use std::fmt;

/// One problem: the document (or spec file), the operation, the field and what is wrong.
/// Displayed as `<document>: <operationId>: <field>: <message>`; `.` stands for "the whole
/// document" or "the whole file" where there is no operation or field.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImportProblem {
    /// `spec/upstream/im.yaml`, or a spec file (`spec/im/v1/import.json`).
    pub document: String,
    /// `im_chat_get`, or `.`.
    pub operation: String,
    /// Where in the operation: `parameters.user_id_type`, `responses.200.data.items[].sender`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl ImportProblem {
    /// A problem of an operation.
    pub fn new(
        document: &str,
        operation: &str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ImportProblem {
            document: document.to_string(),
            operation: if operation.is_empty() {
                ".".into()
            } else {
                operation.to_string()
            },
            field: field.into(),
            message: message.into(),
        }
    }

    /// A problem of a whole document or file.
    pub fn document(document: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(document, ".", field, message)
    }
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}: {}",
            self.document, self.operation, self.field, self.message
        )
    }
}
