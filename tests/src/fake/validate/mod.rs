//! Checking requests against the spec: path and query parameters, JSON bodies and
//! multipart forms. The same value checks run over the fake's own answers, so a store or
//! synthesized answer is always one the generated SDK decodes.
//!
//! An invalid request is answered HTTP 400 with the spec's `invalid_request_code`
//! (default 99992402) and `msg` `field validation failed: <where>: <what>`; a few
//! problems with a documented row of their own (an empty or oversized file part) use
//! that row when the spec has it (rows named `empty_file`, `file_too_large`).

mod multipart;
mod params;
mod value;

pub use multipart::MAX_REQUEST_BODY;
pub(crate) use multipart::{check_form, read_form, Form};
pub(crate) use params::{check_path, check_query};
pub(crate) use value::{check_fields, check_value};

/// A request that breaks its spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// Where and what, such as `body.receive_id is required`.
    pub msg: String,
    /// The name of the spec row to answer with instead of the invalid-request code, when
    /// the endpoint has one by that name.
    pub row: Option<&'static str>,
}

impl Invalid {
    /// A problem answered with a named row if the spec has it.
    pub fn with_row(msg: impl Into<String>, row: &'static str) -> Invalid {
        Invalid {
            msg: msg.into(),
            row: Some(row),
        }
    }
}

impl From<String> for Invalid {
    fn from(msg: String) -> Invalid {
        Invalid { msg, row: None }
    }
}

/// `at.name`, or `name` when `at` is empty.
pub(crate) fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}
