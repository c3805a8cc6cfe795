//! [`exercise_download`]: the cases of a binary endpoint.

use std::future::Future;

use bytes::Bytes;
use lark_codegen::model::ResponseModel;
use lark_openapi::{Catalogue, Download, Error};

use super::cases::{common_cases, Shape};
use super::run::{expect_attempts, expect_ok, expect_token_type, run_case};
use super::{Harness, Report};

/// The most a download case reads into memory.
const COLLECT_CAP: u64 = 64 << 20;

/// Runs a binary endpoint through success (the body collects to the bytes the fake
/// serves), every error row of its spec and the faults (a broken body resumes).
///
/// # Panics
/// On the first case that goes otherwise than the spec says, naming the endpoint and the
/// case; if `id` is no spec's or not a binary endpoint's.
pub async fn exercise_download<F, Fut, E>(h: &Harness, id: &str, call: F) -> Report
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Download<E>, Error<E>>>,
    E: Catalogue + 'static,
{
    let ep = h.endpoint(id);
    assert!(
        matches!(ep.response, ResponseModel::Binary(_)),
        "{id} does not answer a binary body: use harness::exercise"
    );
    let fetch = || async {
        match call().await {
            Ok(download) => download.collect(COLLECT_CAP).await,
            Err(e) => Err(e),
        }
    };
    let mut report = Report::new(id);
    let (result, attempts) = run_case(h, id, "success", vec![], &fetch).await;
    let body: Bytes = expect_ok(id, "success", result);
    expect_attempts(id, "success", attempts, 1);
    expect_token_type(h, id, "success");
    let logged = h.fake().requests_for(id);
    let path = logged
        .last()
        .map(|r| r.path_and_query.clone())
        .unwrap_or_default();
    let expected = h
        .fake()
        .expected_download(&path)
        .unwrap_or_else(|| panic!("{id}: case `success`: the fake serves nothing for {path}"));
    assert!(
        body.as_ref() == expected.as_slice(),
        "{id}: case `success`: collected {} bytes that differ from the {} the fake serves for {path}",
        body.len(),
        expected.len()
    );
    report.cases.push("success".to_owned());
    let verify = |case: &str, got: &Bytes| {
        assert!(
            got.as_ref() == expected.as_slice(),
            "{id}: case `{case}`: collected {} bytes that differ from the {} the fake serves",
            got.len(),
            expected.len()
        );
    };
    let shape = Shape::Binary {
        len: expected.len() as u64,
    };
    common_cases(h, id, &fetch, shape, &verify, &mut report).await;
    report
}
