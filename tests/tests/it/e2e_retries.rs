//! Retries over real HTTP: 5xx, 429 with `x-ogw-ratelimit-reset`, 99991400 under HTTP 400 and
//! connection errors are retried; other 4xx never are.

use crate::support;

use std::time::{Duration, Instant};

use lark_openapi::im::v1::ErrorCode;
use lark_openapi::{Error, RetryPolicy};
use lark_tests::Fault;
use support::*;

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_5xx", 1000);
    fake.push_faults(
        MESSAGE,
        "file_5xx",
        [Fault::Status5xx(500), Fault::HtmlError(502)],
    );
    let bytes = get(&client, "file_5xx")
        .await
        .unwrap()
        .collect(10_000)
        .await
        .unwrap();
    assert_eq!(bytes.len(), 1000);
    assert_eq!(fake.resource_requests(), 3);
}

#[tokio::test]
async fn rate_limit_waits_for_the_reset_header_then_succeeds() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_429", 10);
    fake.push_faults(MESSAGE, "file_429", [Fault::RateLimited { reset_secs: 1 }]);
    let started = Instant::now();
    let d = get(&client, "file_429").await.unwrap();
    // Behaviour, not speed: the SDK waited (at least most of) the announced second rather
    // than its millisecond backoff.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(d.collect(100).await.unwrap().len(), 10);
    assert_eq!(fake.resource_requests(), 2);
}

#[tokio::test]
async fn rate_limit_code_under_http_400_is_retried() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_400", 10);
    fake.push_faults(MESSAGE, "file_400", [Fault::RateLimited400]);
    assert!(get(&client, "file_400").await.is_ok());
    assert_eq!(fake.resource_requests(), 2);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_4xx", 10);
    fake.push_faults(MESSAGE, "file_4xx", [Fault::ErrorCode(234004)]);
    let err = get(&client, "file_4xx").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AppNotInChat));
    assert_eq!(fake.resource_requests(), 1);
}

#[tokio::test]
async fn attempts_are_bounded_and_the_last_error_is_reported() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_down", 10);
    fake.push_faults(
        MESSAGE,
        "file_down",
        std::iter::repeat_n(Fault::Status5xx(503), 5),
    );
    let err = get(&client, "file_down").await.unwrap_err();
    assert_eq!(fake.resource_requests(), 3, "max_attempts is 3");
    assert!(err.to_string().contains("503"), "{err}");
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let fake = fake().await;
    let client = builder(&fake)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    file(&fake, "file_off", 10);
    fake.push_faults(MESSAGE, "file_off", [Fault::Status5xx(500)]);
    assert!(get(&client, "file_off").await.is_err());
    assert_eq!(fake.resource_requests(), 1);
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported_as_connect_error() {
    // Bind then drop a listener: nothing listens on that port afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = lark_openapi::Client::builder("cli_x", "secret")
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let err = get(&client, "file").await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(
        matches!(err, Error::Token(_)),
        "the token fetch is the first request: {err:?}"
    );
}
