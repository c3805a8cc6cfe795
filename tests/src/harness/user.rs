//! [`exercise_as_user`]: a call made with a user token.

use std::fmt::Debug;
use std::future::Future;

use lark_openapi::{Catalogue, Error};

use super::run::{expect_attempts, expect_ok, run_case};
use super::{Harness, Report};

/// Checks that a call sent with `.user_access_token("u-…")` succeeds and that the fake
/// saw the user token.
///
/// # Panics
/// If the call fails, the token the fake saw is not a user token, or the endpoint takes
/// no user token.
pub async fn exercise_as_user<F, Fut, T, E>(h: &Harness, id: &str, call: F) -> Report
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, Error<E>>>,
    T: Debug,
    E: Catalogue,
{
    let ep = h.endpoint(id);
    assert!(
        ep.spec.access_tokens.iter().any(|t| t == "user"),
        "{id} takes no user_access_token (access_tokens: {:?})",
        ep.spec.access_tokens
    );
    let case = "as a user";
    let (result, attempts) = run_case(h, id, case, vec![], &call).await;
    expect_ok(id, case, result);
    expect_attempts(id, case, attempts, 1);
    let seen = h
        .fake()
        .requests_for(id)
        .last()
        .and_then(|r| r.bearer.clone());
    assert!(
        seen.as_deref().is_some_and(|t| t.starts_with("u-")),
        "{id}: case `{case}`: expected `Authorization: Bearer u-…`, the fake saw {seen:?}"
    );
    let mut report = Report::new(id);
    report.cases.push(case.to_owned());
    report
}
