//! Paginated listings as streams: `.pages()` and `.items()` of every list endpoint.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};

use crate::operation::Paginated;
use crate::{Client, Error, RequestOptions};

/// The most pages one listing reads unless the call sets another bound
/// ([`RequestOptions::max_pages`]): 100,000 (5 million items at 50 per page). A listing
/// that reaches it ends with [`Error::Pagination`] instead of reading on.
pub const DEFAULT_MAX_PAGES: u64 = 100_000;

struct State<O: Paginated> {
    client: Client,
    options: RequestOptions,
    /// The next page's request; `None` once the listing is over.
    next: Option<O>,
    /// An error to yield after the page that revealed it.
    pending: Option<Error<O::Code>>,
    /// A keyed 64-bit hash of every page token seen: a server cycling through any number
    /// of tokens is caught, at 8 bytes a page (at most [`DEFAULT_MAX_PAGES`] of them
    /// unless the call says otherwise).
    seen: HashSet<u64>,
    hasher: RandomState,
    /// Pages fetched so far, and the most allowed.
    fetched: u64,
    max_pages: u64,
}

/// Every page of a listing, fetched lazily; an error is the last item.
pub(crate) fn pages<O: Paginated>(
    client: Client,
    op: O,
    options: RequestOptions,
) -> BoxStream<'static, Result<O::Answer, Error<O::Code>>>
where
    O::Answer: super::Answer,
{
    let max_pages = options.max_pages.unwrap_or(DEFAULT_MAX_PAGES);
    let state = State {
        client,
        options,
        next: Some(op),
        pending: None,
        seen: HashSet::new(),
        hasher: RandomState::new(),
        fetched: 0,
        max_pages,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if let Some(error) = st.pending.take() {
            st.next = None;
            return Some((Err(error), st));
        }
        let op = st.next.take()?;
        let template = op.clone();
        st.fetched += 1;
        match super::send::<O>(st.client.clone(), op, st.options.clone()).await {
            Err(error) => Some((Err(error.retype()), st)),
            Ok(page) => {
                let (has_more, token) = O::page_state(&page);
                if has_more {
                    match token.filter(|t| !t.is_empty()) {
                        None => {
                            st.pending = Some(Error::Pagination {
                                endpoint: O::META.id,
                                reason: "the page says has_more but gives no page_token".into(),
                            })
                        }
                        Some(_) if st.fetched >= st.max_pages => {
                            st.pending = Some(Error::Pagination {
                                endpoint: O::META.id,
                                reason: format!(
                                    "{} pages read and the server says there are more; stopping at the listing's bound (RequestOptions::max_pages)",
                                    st.fetched
                                ),
                            })
                        }
                        Some(token) if !st.seen.insert(st.hasher.hash_one(token)) => {
                            st.pending = Some(Error::Pagination {
                                endpoint: O::META.id,
                                reason: format!(
                                    "the page_token `{}` came back a second time; stopping instead of looping",
                                    crate::errors::excerpt(token.as_bytes(), 64)
                                ),
                            })
                        }
                        Some(token) => {
                            let mut next = template;
                            next.set_page_token(token.to_string());
                            st.next = Some(next);
                        }
                    }
                }
                Some((Ok(page), st))
            }
        }
    })
    .boxed()
}

/// Every item of every page, one page in memory at a time.
pub(crate) fn items<O: Paginated>(
    client: Client,
    op: O,
    options: RequestOptions,
) -> BoxStream<'static, Result<O::Item, Error<O::Code>>>
where
    O::Answer: super::Answer,
{
    pages(client, op, options)
        .map_ok(|page| futures_util::stream::iter(O::into_items(page).into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}
