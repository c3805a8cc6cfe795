//! Images and files: `im.v1.image.create`/`get`, `im.v1.file.create`/`get`, and the
//! bytes `im.v1.message_resource.get` serves for a message that holds an upload.

use bytes::Bytes;
use serde_json::{json, Map};

use super::{Ctx, Store, Upload};
use crate::fake::outcome::Outcome;
use crate::fake::resources::{Disposition, ResourceKind};
use crate::fake::served::Served;

/// The image format of some bytes, as a Content-Type, from their magic number.
pub(super) fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    Some(if starts(b"\x89PNG") {
        "image/png"
    } else if starts(b"\xFF\xD8\xFF") {
        "image/jpeg"
    } else if starts(b"GIF8") {
        "image/gif"
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        "image/webp"
    } else if starts(b"BM") {
        "image/bmp"
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        "image/tiff"
    } else if starts(b"\0\0\x01\0") {
        "image/x-icon"
    } else if bytes.get(4..8) == Some(b"ftyp") {
        "image/heic"
    } else {
        return None;
    })
}

impl Store {
    /// Stores an upload (not from a spec example) under a new key, `img_v2_fake_<n>` or
    /// `file_v2_fake_<n>` by kind, and returns the key.
    pub(super) fn add_upload(
        &mut self,
        kind: ResourceKind,
        bytes: Bytes,
        content_type: String,
        file_name: Option<String>,
    ) -> String {
        let key = self.next_id(match kind {
            ResourceKind::Image => "img_v2_fake_",
            ResourceKind::File => "file_v2_fake_",
        });
        self.uploads.push(Upload {
            key: key.clone(),
            kind,
            bytes,
            content_type,
            file_name,
            example: false,
        });
        key
    }
}

/// The Content-Type of a `file_type`.
pub(super) fn file_content_type(file_type: &str) -> &'static str {
    match file_type {
        "opus" => "audio/opus",
        "mp4" => "video/mp4",
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "xls" => "application/vnd.ms-excel",
        "ppt" => "application/vnd.ms-powerpoint",
        _ => "application/octet-stream",
    }
}

/// `im.v1.image.create` (`image` part, a recognised image format) and
/// `im.v1.file.create` (`file` part, `file_name`, `file_type`): stores the bytes and
/// answers the new key. Size limits were checked against the spec when the form was read.
pub(super) fn create(s: &mut Store, ctx: &Ctx<'_>, kind: ResourceKind) -> Outcome {
    let Some(form) = ctx.call.form() else {
        return ctx.invalid("body: expected a multipart/form-data body");
    };
    let part_name = match kind {
        ResourceKind::Image => "image",
        ResourceKind::File => "file",
    };
    let Some(part) = form.file(part_name) else {
        return ctx.invalid(format!("body.{part_name} is required"));
    };
    let Some(bytes) = part.bytes.clone() else {
        return ctx.invalid(format!("body.{part_name} is over its size limit"));
    };
    let (key_name, content_type, file_name) = match kind {
        ResourceKind::Image => {
            let Some(content_type) = sniff_image(&bytes) else {
                return ctx.fail(
                    &["unrecognized_image_format"],
                    "body.image: not an image format the platform knows",
                );
            };
            ("image_key", content_type.to_owned(), None)
        }
        ResourceKind::File => {
            let file_type = form.text("file_type").unwrap_or_default();
            let name = form
                .text("file_name")
                .map(str::to_owned)
                .or_else(|| part.file_name.clone());
            let content_type = match (file_type, part.content_type.as_deref()) {
                ("stream", Some(sent)) if !sent.is_empty() => sent.to_owned(),
                _ => file_content_type(file_type).to_owned(),
            };
            ("file_key", content_type, name)
        }
    };
    let key = s.add_upload(kind, bytes, content_type, file_name);
    let mut out = Map::new();
    out.insert(key_name.to_owned(), json!(key));
    Outcome::Json(out)
}

/// `im.v1.image.get` / `im.v1.file.get`: an upload of that kind, with its Content-Type
/// and, for files, a Content-Disposition naming the uploaded file.
pub(super) fn get(s: &mut Store, ctx: &Ctx<'_>, kind: ResourceKind) -> Outcome {
    let (param, what) = match kind {
        ResourceKind::Image => ("image_key", "image"),
        ResourceKind::File => ("file_key", "file"),
    };
    let key = ctx.call.path_param(param);
    match s.upload(key) {
        Some(u) if u.kind == kind => Outcome::Binary(Box::new(served(u))),
        _ => ctx.fail(
            &["not_resource_uploader"],
            format!("{key} is not an {what} this app uploaded"),
        ),
    }
}

fn served(u: &Upload) -> Served {
    let disposition = match &u.file_name {
        Some(name) if name.is_ascii() => Disposition::Plain(name.clone()),
        Some(name) => Disposition::Rfc5987(name.clone()),
        None => Disposition::None,
    };
    Served::bytes(u.bytes.clone(), &u.content_type, disposition)
}

/// An upload held by a message: one whose key its content names, or, for a message
/// seeded from a spec example, any upload seeded from one (whatever the `type`).
pub(super) fn message_resource(
    s: &Store,
    message_id: &str,
    file_key: &str,
    kind: ResourceKind,
) -> Result<Served, Option<i64>> {
    const MESSAGE_DELETED: i64 = 230110;
    const INVALID_PARAM: i64 = 234001;
    let message = s.message(message_id).ok_or(None)?;
    if message.deleted {
        return Err(Some(MESSAGE_DELETED));
    }
    let upload = s.upload(file_key).ok_or(None)?;
    let example = message.example && upload.example;
    if !example && !message.content.contains(&format!("\"{file_key}\"")) {
        return Err(None);
    }
    if !example && upload.kind != kind {
        return Err(Some(INVALID_PARAM));
    }
    Ok(served(upload))
}
