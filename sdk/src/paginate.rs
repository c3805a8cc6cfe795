//! Paginated listings as streams: `.pages()` and `.items()` of every list endpoint.

use std::collections::VecDeque;

use futures_util::{Stream, StreamExt, TryStreamExt};

use crate::operation::Paginated;
use crate::{Client, Error, RequestOptions};

/// How many recent page tokens are remembered to detect a server that loops (memory stays
/// flat however many pages are read).
const REMEMBERED_TOKENS: usize = 64;

struct State<O: Paginated> {
    client: Client,
    options: RequestOptions,
    /// The next page's request; `None` once the listing is over.
    next: Option<O>,
    /// An error to yield after the page that revealed it.
    pending: Option<Error<O::Error>>,
    seen: VecDeque<String>,
}

/// Every page of a listing, fetched lazily; an error is the last item.
pub(crate) fn pages<O: Paginated>(
    client: Client,
    op: O,
    options: RequestOptions,
) -> impl Stream<Item = Result<O::Output, Error<O::Error>>> + Send + 'static
where
    O::Error: Send,
{
    let state = State {
        client,
        options,
        next: Some(op),
        pending: None,
        seen: VecDeque::new(),
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if let Some(error) = st.pending.take() {
            st.next = None;
            return Some((Err(error), st));
        }
        let op = st.next.take()?;
        let template = op.clone();
        match st.client.call(op, st.options.clone()).await {
            Err(error) => Some((Err(error), st)),
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
                        Some(token) if st.seen.iter().any(|t| t == token) => {
                            st.pending = Some(Error::Pagination {
                                endpoint: O::META.id,
                                reason: format!(
                                    "the page_token `{token}` came back a second time; stopping instead of looping"
                                ),
                            })
                        }
                        Some(token) => {
                            if st.seen.len() == REMEMBERED_TOKENS {
                                st.seen.pop_front();
                            }
                            st.seen.push_back(token.to_string());
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
}

/// Every item of every page, one page in memory at a time.
pub(crate) fn items<O: Paginated>(
    client: Client,
    op: O,
    options: RequestOptions,
) -> impl Stream<Item = Result<O::Item, Error<O::Error>>> + Send + 'static
where
    O::Error: Send,
{
    pages(client, op, options)
        .map_ok(|page| futures_util::stream::iter(O::into_items(page).into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}
