//! Error rows against the version's catalogue (`errors.json`): a row keeps only the prose
//! that differs from its code's entry, and a code with neither is missing prose.

use lark_codegen::spec::{CatalogueEntry, ErrorRow};

/// Leaves out of each row what the catalogue entry of its code already says.
pub fn strip(rows: &mut [ErrorRow], catalogue: &[CatalogueEntry]) {
    for row in rows {
        let Some(entry) = catalogue.iter().find(|e| e.code == row.code) else {
            continue;
        };
        if row.name.as_deref() == Some(entry.name.as_str()) {
            row.name = None;
        }
        if row.meaning.as_deref() == Some(entry.meaning.as_str()) {
            row.meaning = None;
        }
        if row.advice.as_deref() == Some(entry.advice.as_str()) {
            row.advice = None;
        }
        if row.retryable == Some(entry.retryable) {
            row.retryable = None;
        }
    }
}

/// What a row lacks that the catalogue does not give: `name`, `meaning`, `advice`,
/// `retryable`.
pub fn missing(row: &ErrorRow, catalogue: &[CatalogueEntry]) -> Vec<&'static str> {
    if catalogue.iter().any(|e| e.code == row.code) {
        return Vec::new();
    }
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|t| t.trim().is_empty());
    let mut out = Vec::new();
    if blank(&row.name) {
        out.push("name");
    }
    if blank(&row.meaning) {
        out.push("meaning");
    }
    if blank(&row.advice) {
        out.push("advice");
    }
    if row.retryable.is_none() {
        out.push("retryable");
    }
    out
}
