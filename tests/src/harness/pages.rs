//! [`exercise_pages`]: a listing read to the end through the SDK's item stream.

use std::fmt::Debug;

use futures_util::{Stream, StreamExt};
use lark_codegen::model::{Ty, VersionModel};
use lark_openapi::{Catalogue, Error};
use serde_json::Value;

use super::{Harness, Report};
use crate::fake::{Fault, LoggedRequest};

/// Items per page while a listing is read (the store serves at most this many).
const PAGE_CAP: usize = 2;

/// Checks a listing: with pages of at most 2 items (store data, or a synthesized listing
/// of 3 pages), the stream yields every item the fake served, in order, over more than
/// one page; then, with a page token served twice, it stops with `Error::Pagination`
/// after the items it already had.
///
/// # Panics
/// On a missing, extra or misplaced item, a listing of one page, or an ending other than
/// `Error::Pagination`; if `id` is no paginated endpoint's.
pub async fn exercise_pages<F, S, T, E>(h: &Harness, id: &str, items: F) -> Report
where
    F: Fn() -> S,
    S: Stream<Item = Result<T, Error<E>>>,
    T: Debug,
    E: Catalogue,
{
    let ep = h.endpoint(id);
    let Some(p) = &ep.pagination else {
        panic!("{id} is not paginated");
    };
    let v = h.model().version_of(ep);
    let fake = h.fake();
    let mut report = Report::new(id);
    fake.clear_endpoint_faults(id);
    fake.reset_store();
    fake.set_page_size_cap(id, Some(PAGE_CAP));

    let case = "every page";
    let before = fake.requests_for(id).len();
    let got: Vec<T> = drain(items())
        .await
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{id}: case `{case}`: the stream failed: {e:?}")))
        .collect();
    let pages: Vec<LoggedRequest> = fake.requests_for(id).split_off(before);
    assert!(
        pages.len() > 1,
        "{id}: case `{case}`: the listing has one page of {} item(s); the harness needs more than {PAGE_CAP} items",
        got.len()
    );
    let served: Vec<Value> = pages
        .iter()
        .flat_map(|r| r.page_items.clone().unwrap_or_default())
        .collect();
    check_items(id, case, &got, &served, &p.item, v);
    report.cases.push(case.to_owned());

    let case = "page token served twice";
    fake.reset_store();
    fake.push_endpoint_faults(id, [Fault::RepeatPageToken]);
    let results = drain(items()).await;
    fake.clear_endpoint_faults(id);
    fake.set_page_size_cap(id, None);
    let first_two: usize = pages
        .iter()
        .take(2)
        .map(|r| r.page_items.as_ref().map_or(0, Vec::len))
        .sum();
    let (last, yielded) = match results.split_last() {
        Some((last, yielded)) => (last, yielded),
        None => panic!("{id}: case `{case}`: the stream ended without an item or an error"),
    };
    assert!(
        matches!(last, Err(Error::Pagination { .. })),
        "{id}: case `{case}`: expected the stream to end with Error::Pagination, its last item was {last:?}"
    );
    let yielded: Vec<&T> = yielded
        .iter()
        .map(|r| {
            r.as_ref()
                .unwrap_or_else(|e| panic!("{id}: case `{case}`: an error before the end: {e:?}"))
        })
        .collect();
    assert!(
        yielded.len() == first_two,
        "{id}: case `{case}`: expected the {first_two} items of the first two pages before the error, got {}",
        yielded.len()
    );
    check_items(id, case, &yielded, &served[..first_two], &p.item, v);
    report.cases.push(case.to_owned());
    report
}

/// Everything a stream yields.
async fn drain<S: Stream>(stream: S) -> Vec<S::Item> {
    let mut stream = Box::pin(stream);
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        out.push(item);
    }
    out
}

/// Same count, and each item shows the id-like strings of the item served at its place.
fn check_items<T: Debug>(
    id: &str,
    case: &str,
    got: &[T],
    served: &[Value],
    item: &Ty,
    v: &VersionModel,
) {
    assert!(
        got.len() == served.len(),
        "{id}: case `{case}`: the fake served {} items, the stream yielded {}",
        served.len(),
        got.len()
    );
    for (i, (got, served)) in got.iter().zip(served).enumerate() {
        let shown = format!("{got:?}");
        let mut marks = Vec::new();
        markers(served, item, v, 0, &mut marks);
        for mark in marks {
            assert!(
                shown.contains(&mark),
                "{id}: case `{case}`: item {i} should be the served {served} (with {mark:?}), got {shown}"
            );
        }
    }
}

/// The id-like string values of a served item (plain strings, not enums), which the
/// item's `Debug` shows verbatim.
fn markers(value: &Value, ty: &Ty, v: &VersionModel, depth: usize, out: &mut Vec<String>) {
    if depth > 6 {
        return;
    }
    match (ty, value) {
        (Ty::String, Value::String(s)) => {
            let plain = s.len() >= 3
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if plain {
                out.push(s.clone());
            }
        }
        (Ty::Object(name), Value::Object(obj)) => {
            if let Some(def) = v.structs.get(name) {
                for f in &def.fields {
                    if let Some(child) = obj.get(&f.wire) {
                        markers(child, &f.ty, v, depth + 1, out);
                    }
                }
            }
        }
        (Ty::Array(inner), Value::Array(items)) => {
            items
                .iter()
                .for_each(|i| markers(i, inner, v, depth + 1, out));
        }
        _ => {}
    }
}
