//! Pages of a listing: `page_size` (default 20, 1 to the listing's maximum, lowered by a
//! page-size cap), opaque page tokens bound to the listing they came from. Only the
//! page's records are rendered, so a page costs the same at any depth of a long listing.

use serde_json::{Map, Value};

use super::Ctx;
use crate::fake::ids::stable_hash;
use crate::fake::outcome::Outcome;
use crate::fake::validate::Invalid;

/// Items per page when the request gives no `page_size`.
const DEFAULT_PAGE_SIZE: usize = 20;

/// Serves the page of `all` the request asks for as `{items, has_more, page_token}`
/// (the names the spec's pagination gives), each record of the page made JSON by
/// `render`. `listing` identifies the listing and its filters: a token from another
/// listing is refused.
pub(super) fn page<T>(
    ctx: &Ctx<'_>,
    listing: &str,
    all: &[T],
    max_size: usize,
    render: impl Fn(&T) -> Value,
) -> Result<Map<String, Value>, Outcome> {
    let mut out = Map::new();
    let Some(p) = &ctx.ep.pagination else {
        out.insert("items".to_owned(), all.iter().map(render).collect());
        return Ok(out);
    };
    let size = match p
        .request_size
        .as_deref()
        .and_then(|name| ctx.call.query(name))
    {
        None => DEFAULT_PAGE_SIZE,
        Some(text) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=max_size).contains(&n) => n,
            _ => {
                let name = p.request_size.as_deref().unwrap_or("page_size");
                return Err(ctx.invalid(format!(
                    "query.{name}: {text:?} is not between 1 and {max_size}"
                )));
            }
        },
    };
    let size = size.min(ctx.page_cap.unwrap_or(usize::MAX)).max(1);
    let offset = match ctx.call.query(&p.request_token).filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => match decode(listing, token).filter(|o| *o <= all.len()) {
            Some(offset) => offset,
            None => {
                let msg = format!(
                    "query.{}: {token:?} is not a page token of this listing",
                    p.request_token
                );
                return Err(match ctx.fail(&["invalid_page_token"], msg.clone()) {
                    Outcome::Invalid(_) => Outcome::Invalid(Invalid::from(msg)),
                    other => other,
                });
            }
        },
    };
    let end = (offset + size).min(all.len());
    let more = end < all.len();
    let token = if more {
        encode(listing, end)
    } else {
        String::new()
    };
    out.insert(
        p.items.clone(),
        all[offset..end].iter().map(render).collect(),
    );
    out.insert(p.has_more.clone(), Value::Bool(more));
    out.insert(p.response_token.clone(), Value::String(token));
    Ok(out)
}

fn encode(listing: &str, offset: usize) -> String {
    format!("pt_{:016x}{offset:x}", stable_hash(listing))
}

fn decode(listing: &str, token: &str) -> Option<usize> {
    let rest = token.strip_prefix("pt_")?;
    let (hash, offset) = (rest.get(..16)?, rest.get(16..)?);
    (hash == format!("{:016x}", stable_hash(listing)))
        .then(|| usize::from_str_radix(offset, 16).ok())
        .flatten()
}
