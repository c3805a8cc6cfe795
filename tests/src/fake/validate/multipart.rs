//! `multipart/form-data` bodies: read as a stream under a cap, then checked.

use axum::extract::Multipart;
use bytes::{Bytes, BytesMut};
use lark_codegen::model::{FieldDef, Ty, VersionModel};

use super::value::check_text;
use super::Invalid;

/// The largest request body the fake reads (40 MiB): past it the request is refused
/// without reading further, so at most this much is ever buffered.
pub const MAX_REQUEST_BODY: usize = 40 << 20;

/// The largest text part kept (1 MiB).
const MAX_TEXT_PART: usize = 1 << 20;

/// A form as received.
#[derive(Debug, Clone, Default)]
pub(crate) struct Form {
    /// Text parts (name, value), in order.
    pub texts: Vec<(String, String)>,
    /// File parts, in order.
    pub files: Vec<FilePart>,
}

/// One file part.
#[derive(Debug, Clone)]
pub(crate) struct FilePart {
    /// The part's name (`image`, `file`).
    pub name: String,
    /// The `filename` of its Content-Disposition.
    pub file_name: Option<String>,
    /// Its Content-Type.
    pub content_type: Option<String>,
    /// Its bytes, or `None` when it was over its limit (then only counted).
    pub bytes: Option<Bytes>,
    /// Its size.
    pub size: u64,
}

impl Form {
    /// A text part's value.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A file part.
    pub fn file(&self, name: &str) -> Option<&FilePart> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// Reads the parts. `file` fields of the model become file parts (kept up to their
/// `max_bytes`), other fields of the model text parts, parts the model does not name are
/// counted and dropped; the whole body may not pass [`MAX_REQUEST_BODY`].
pub(crate) async fn read_form(mut mp: Multipart, fields: &[FieldDef]) -> Result<Form, Invalid> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        Invalid::from(format!(
            "body: not a valid multipart/form-data body: {}",
            e.body_text()
        ))
    };
    let mut form = Form::default();
    let mut total = 0usize;
    while let Some(mut part) = mp.next_field().await.map_err(broken)? {
        let name = part.name().unwrap_or_default().to_owned();
        let def = fields.iter().find(|f| f.wire == name);
        let is_file = def.is_some_and(|f| f.ty == Ty::File);
        let limit = match def {
            Some(f) if is_file => f.max_bytes.map_or(MAX_REQUEST_BODY, |m| m as usize),
            _ => MAX_TEXT_PART,
        };
        let file_name = part.file_name().map(str::to_owned);
        let content_type = part.content_type().map(str::to_owned);
        let mut buf = BytesMut::new();
        let mut size = 0usize;
        while let Some(chunk) = part.chunk().await.map_err(broken)? {
            total += chunk.len();
            size += chunk.len();
            if total > MAX_REQUEST_BODY {
                return Err(Invalid::with_row(
                    format!("body: over the fake's limit of {MAX_REQUEST_BODY} bytes"),
                    "file_too_large",
                ));
            }
            if size <= limit {
                buf.extend_from_slice(&chunk);
            }
        }
        let over = size > limit;
        if def.is_none() {
            // Parts the spec does not describe are ignored, like unknown JSON fields.
            continue;
        }
        if is_file {
            form.files.push(FilePart {
                name,
                file_name,
                content_type,
                bytes: (!over).then(|| buf.freeze()),
                size: size as u64,
            });
        } else if over {
            return Err(Invalid::from(format!(
                "body.{name}: a text part of over {MAX_TEXT_PART} bytes"
            )));
        } else {
            let text = String::from_utf8(buf.to_vec())
                .map_err(|_| Invalid::from(format!("body.{name}: not UTF-8 text")))?;
            form.texts.push((name, text));
        }
    }
    Ok(form)
}

/// Required parts present, text parts of their type, file parts non-empty and within
/// their `max_bytes`. (A part named like a `file` field is a file part, with or without a
/// file name.)
pub(crate) fn check_form(
    form: &Form,
    fields: &[FieldDef],
    v: &VersionModel,
) -> Result<(), Invalid> {
    for f in fields {
        let at = format!("body.{}", f.wire);
        if f.ty == Ty::File {
            let Some(part) = form.file(&f.wire) else {
                if f.required {
                    return Err(Invalid::from(format!("{at} is required")));
                }
                continue;
            };
            if part.size == 0 {
                return Err(Invalid::with_row(format!("{at} is empty"), "empty_file"));
            }
            if part.bytes.is_none() {
                let max = f.max_bytes.unwrap_or(MAX_REQUEST_BODY as u64);
                return Err(Invalid::with_row(
                    format!("{at} is {} bytes, over the limit of {max}", part.size),
                    "file_too_large",
                ));
            }
            continue;
        }
        let values: Vec<&str> = form
            .texts
            .iter()
            .filter(|(k, _)| *k == f.wire)
            .map(|(_, v)| v.as_str())
            .collect();
        match values.as_slice() {
            [] if f.required => return Err(Invalid::from(format!("{at} is required"))),
            [] => {}
            [value] => check_text(value, &f.ty, &at, v)?,
            many => {
                return Err(Invalid::from(format!(
                    "{at} is given {} times but takes one value",
                    many.len()
                )))
            }
        }
    }
    Ok(())
}
