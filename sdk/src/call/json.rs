//! Calling a JSON endpoint: prepare, check uploads, send (the shared loop), decode. Only
//! the decoding is compiled per output type; everything else once.

use serde_json::value::RawValue;

use super::Output;
use crate::errors::{excerpt, DecodeError, EXCERPT_CHARS};
use crate::operation::{OperationMeta, Payload, ResponseKind};
use crate::transport::prepared::Prepared;
use crate::transport::send::Success;
use crate::{Client, Error};

/// Sends a prepared call and decodes its JSON answer into `T`.
pub(crate) async fn receive<T: Output>(client: &Client, prepared: Prepared) -> Result<T, Error> {
    let meta = prepared.meta;
    let (body, log_id) = exchange(client, prepared).await?;
    decode::<T>(&body, log_id, &meta)
}

/// Checks the uploads, sends, and gives the JSON answer's body and log id.
async fn exchange(client: &Client, prepared: Prepared) -> Result<(Vec<u8>, Option<String>), Error> {
    check_uploads(&prepared).await?;
    match crate::transport::send::send(client, &prepared, None).await? {
        Success::Envelope { body, log_id } => Ok((body, log_id)),
        Success::Stream(_) => Err(Error::InvalidRequest(format!(
            "{} does not answer JSON",
            prepared.meta.id
        ))),
    }
}

/// Refuses, before anything is sent, a file part that is empty or over the endpoint's
/// limit, or a path that cannot be read.
async fn check_uploads(p: &Prepared) -> Result<(), Error> {
    let Payload::Multipart(form) = &p.payload else {
        return Ok(());
    };
    for (name, file, max_bytes) in &form.files {
        let size = file
            .size()
            .await
            .map_err(|source| Error::<crate::AnyCode>::Io {
                path: file.path().map(|p| p.to_path_buf()).unwrap_or_default(),
                source,
            })?;
        match (size, max_bytes) {
            (Some(0), _) => {
                return Err(Error::InvalidRequest(format!(
                    "{}: `{name}` ({}) is empty; the platform refuses empty files, so nothing was sent",
                    p.meta.id,
                    file.name()
                )))
            }
            (Some(size), Some(max)) if size > *max => {
                return Err(Error::InvalidRequest(format!(
                    "{}: `{name}` ({}) is {size} bytes, over the limit of {max} bytes; nothing was sent",
                    p.meta.id,
                    file.name()
                )))
            }
            _ => {}
        }
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// The envelope with `data` decoded in the same pass (the fast path).
#[derive(serde::Deserialize)]
struct TypedEnvelope<T> {
    #[serde(default = "Option::default")]
    data: Option<T>,
}

/// Decodes `data` (or, for flat answers, the whole object) into the operation's output in
/// one pass; only when that fails, decodes again tracking the JSON path, to name it. The
/// output carries the answer's log id.
fn decode<T: Output>(
    body: &[u8],
    log_id: Option<String>,
    meta: &OperationMeta,
) -> Result<T, Error> {
    let body_text = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let fast = match meta.response {
        ResponseKind::Flat => serde_json::from_slice::<T>(body_text).ok(),
        // An envelope-only answer has no `data` to read (absent, `null` or `{}`): its output
        // is the struct holding the log id, decoded from `{}`.
        ResponseKind::Empty => serde_json::from_str::<T>("{}").ok(),
        _ => serde_json::from_slice::<TypedEnvelope<T>>(body_text)
            .ok()
            .and_then(|e| e.data),
    };
    let mut output = match fast {
        Some(output) => output,
        None => decode_slowly::<T>(body, log_id.clone(), meta)?,
    };
    output.set_log_id(log_id);
    Ok(output)
}

/// The decode with the JSON path of the mismatch (and `null`/absent `data` as `{}`).
fn decode_slowly<T: Output>(
    body: &[u8],
    log_id: Option<String>,
    meta: &OperationMeta,
) -> Result<T, Error> {
    let fail = |path: String, message: String, flat: bool| {
        Error::Decode(Box::new(DecodeError {
            endpoint: meta.id,
            path,
            message,
            log_id: log_id.clone(),
            // A flat answer (auth) holds a token: never quoted.
            excerpt: if flat {
                "<withheld: the answer holds a credential>".to_string()
            } else {
                excerpt(body, EXCERPT_CHARS)
            },
            cut_at: None,
        }))
    };
    let text = std::str::from_utf8(body)
        .map_err(|e| fail(".".into(), format!("not UTF-8: {e}"), false))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (input, prefix, flat) = match meta.response {
        ResponseKind::Flat => (text, "", true),
        ResponseKind::Empty => ("{}", "", false),
        _ => {
            let envelope: Envelope<'_> =
                serde_json::from_str(text).map_err(|e| fail(".".into(), e.to_string(), false))?;
            let data = envelope
                .data
                .map(RawValue::get)
                .filter(|d| d.trim() != "null")
                .unwrap_or("{}");
            (data, "data", false)
        }
    };
    let de = &mut serde_json::Deserializer::from_str(input);
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix, inner.as_str()) {
            ("", p) => p.to_string(),
            (pre, ".") => pre.to_string(),
            (pre, p) if p.starts_with('[') => format!("{pre}{p}"),
            (pre, p) => format!("{pre}.{p}"),
        };
        fail(path, e.into_inner().to_string(), flat)
    })
}
