//! [`exercise`] and the cases it shares with [`exercise_download`](super::exercise_download).

use std::fmt::Debug;
use std::future::Future;

use lark_codegen::model::ResponseModel;
use lark_openapi::{Catalogue, Error};

use super::run::{
    attempts_for, expect_attempts, expect_ok, expect_service, expect_token_type, run_case,
};
use super::{Harness, Report, STALL};
use crate::fake::{Fault, TokenRequestKind};

/// What the endpoint answers on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// The JSON envelope.
    Json,
    /// A binary body of this many bytes.
    Binary { len: u64 },
}

/// A code no spec lists (for the `Unhandled` case).
const UNLISTED_CODE: i64 = 1;

/// Runs a JSON endpoint through success, every error row of its spec and the faults.
///
/// # Panics
/// On the first case that goes otherwise than the spec says, naming the endpoint and the
/// case; if `id` is no spec's, or a binary endpoint's (use `exercise_download`).
pub async fn exercise<F, Fut, T, E>(h: &Harness, id: &str, call: F) -> Report
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, Error<E>>>,
    T: Debug,
    E: Catalogue,
{
    let ep = h.endpoint(id);
    assert!(
        !matches!(ep.response, ResponseModel::Binary(_)),
        "{id} answers a binary body: use harness::exercise_download"
    );
    let mut report = Report::new(id);
    let (result, attempts) = run_case(h, id, "success", vec![], &call).await;
    expect_ok(id, "success", result);
    expect_attempts(id, "success", attempts, 1);
    expect_token_type(h, id, "success");
    report.cases.push("success".to_owned());
    common_cases(h, id, &call, Shape::Json, &|_, _| {}, &mut report).await;
    report
}

/// The token, error-row and fault cases. `verify` checks each successful value.
pub(crate) async fn common_cases<F, Fut, T, E>(
    h: &Harness,
    id: &str,
    call: &F,
    shape: Shape,
    verify: &dyn Fn(&str, &T),
    report: &mut Report,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, Error<E>>>,
    T: Debug,
    E: Catalogue,
{
    let ep = h.endpoint(id);
    let idempotent = ep.idempotent;
    let takes = |t: &str| ep.spec.access_tokens.iter().any(|a| a == t);
    // The SDK's own token (not the caller's) is replaced and the request replayed.
    let replay_kind = if ep.user_token_only() || ep.needs_no_token() {
        None
    } else if takes("tenant") {
        Some(TokenRequestKind::TenantInternal)
    } else {
        Some(TokenRequestKind::AppInternal)
    };
    let mut case = |name: String| report.cases.push(name);

    if !ep.needs_no_token() {
        let name = "token rejected".to_owned();
        let before = replay_kind.map(|k| h.fake().token_requests(k));
        let (result, attempts) = run_case(h, id, &name, vec![Fault::TokenRejected], call).await;
        match (replay_kind, before) {
            (Some(kind), Some(before)) => {
                verify(&name, &expect_ok(id, &name, result));
                expect_attempts(id, &name, attempts, 2);
                let fetched = h.fake().token_requests(kind) - before;
                assert!(fetched == 1, "{id}: case `{name}`: expected 1 new token request for the replay, the fake received {fetched}");
            }
            _ => {
                expect_service(id, &name, result, 99991663);
                expect_attempts(id, &name, attempts, 1);
            }
        }
        case(name);
    }

    for row in &ep.errors {
        let name = format!("error row {} ({})", row.code, row.name);
        let n = attempts_for(
            row.http_status,
            row.code,
            row.retryable,
            idempotent,
            replay_kind.is_some(),
        );
        let faults = vec![Fault::ErrorCode(row.code); n];
        let (result, attempts) = run_case(h, id, &name, faults, call).await;
        let e = expect_service(id, &name, result, row.code);
        let status = e.api_error().http_status;
        assert!(
            status == row.http_status,
            "{id}: case `{name}`: expected HTTP {}, got {status}",
            row.http_status
        );
        let expected = h.code_name(id, row.code);
        assert!(
            e.is_documented()
                && e.meaning().is_some()
                && e.code_name() == expected.as_deref()
                && e.code().is_some(),
            "{id}: case `{name}`: expected the documented code {expected:?}, got {e:?}"
        );
        expect_attempts(id, &name, attempts, n);
        case(name);
    }

    let mut retried: Vec<(String, Fault, i64)> = vec![
        ("HTTP 503".to_owned(), Fault::Status5xx(503), 503),
        (
            "HTTP 429".to_owned(),
            Fault::RateLimited { reset_secs: 0 },
            99991400,
        ),
    ];
    if shape == Shape::Json {
        retried.push((
            "99991400 with HTTP 200".to_owned(),
            Fault::EnvelopeError { code: 99991400 },
            99991400,
        ));
    }
    for (name, fault, code) in retried {
        let (result, attempts) = run_case(h, id, &name, vec![fault], call).await;
        if idempotent {
            verify(&name, &expect_ok(id, &name, result));
            expect_attempts(id, &name, attempts, 2);
        } else {
            expect_service(id, &name, result, code);
            expect_attempts(id, &name, attempts, 1);
        }
        case(name);
    }

    let name = format!("unlisted code {UNLISTED_CODE}");
    let fault = match shape {
        Shape::Json => Fault::EnvelopeError {
            code: UNLISTED_CODE,
        },
        Shape::Binary { .. } => Fault::ErrorCode(UNLISTED_CODE),
    };
    let (result, attempts) = run_case(h, id, &name, vec![fault], call).await;
    let e = expect_service(id, &name, result, UNLISTED_CODE);
    assert!(
        !e.is_documented() && e.meaning().is_none() && e.code().is_none(),
        "{id}: case `{name}`: expected a code no catalogue knows, got {e:?}"
    );
    expect_attempts(id, &name, attempts, 1);
    case(name);

    let after_bytes = match shape {
        Shape::Json => 8,
        Shape::Binary { len } => len / 2,
    };
    let broken = [
        ("cut-off body", Fault::CutOff { after_bytes }),
        (
            "stalled body",
            Fault::Stall {
                after_bytes,
                stall: STALL,
            },
        ),
    ];
    for (name, fault) in broken {
        let stall = matches!(fault, Fault::Stall { .. });
        let (result, attempts) = run_case(h, id, name, vec![fault], call).await;
        if idempotent {
            verify(name, &expect_ok(id, name, result));
            expect_attempts(id, name, attempts, 2);
        } else {
            match &result {
                Err(e) if stall && e.is_timeout() => {}
                Err(Error::Transport(_)) if !stall => {}
                other => panic!(
                    "{id}: case `{name}`: expected {}, got {other:?}",
                    if stall {
                        "a timeout"
                    } else {
                        "Error::Transport"
                    }
                ),
            }
            expect_attempts(id, name, attempts, 1);
        }
        case(name.to_owned());
    }
}
