//! A hostile auth server: redirects that would carry the app secret elsewhere, absurd token
//! lifetimes, gigabyte answers, secrets echoed back in messages.

use crate::support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lark_openapi::auth::{TokenErrorKind, TokenKey};
use lark_openapi::limits::{MAX_AUTH_BODY, MAX_TOKEN_LIFETIME};
use lark_openapi::{Client, Error};
use support::hostile::*;
use support::*;

const SECRET: &str = "hostile-test-app-secret-value";

fn client_of(base: &str) -> Client {
    Client::builder("cli_hostile", SECRET)
        .base_url(base)
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

/// A server that answers token requests with `token` and every other request with 8 bytes.
async fn api_server(token_answer_fn: fn() -> axum::response::Response) -> Hostile {
    Hostile::serve(move |seen, _| {
        if is_token_request(seen) {
            token_answer_fn()
        } else {
            respond(
                200,
                &[("content-type", "application/octet-stream")],
                "8 bytes!",
            )
        }
    })
    .await
}

fn token_error<E: std::fmt::Debug>(
    result: Result<impl std::fmt::Debug, Error<E>>,
) -> lark_openapi::auth::TokenError {
    match result {
        Err(Error::Token(t)) => t,
        other => panic!("expected a token error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_token_endpoint_redirect_never_carries_the_secret_or_brings_a_token() {
    for status in [301u16, 302, 303, 307, 308] {
        let elsewhere = api_server(|| token_answer("t-from-elsewhere", "7200")).await;
        let target = format!("{}{TOKEN_PATH}", elsewhere.base);
        let origin =
            Hostile::serve(move |_, _| respond(status, &[("location", target.as_str())], "")).await;
        let client = client_of(&origin.base);
        let err = token_error(get(&client, "file_x").await);
        assert!(
            matches!(err.kind(), TokenErrorKind::Redirected { status: s, to } if *s == status && to == &elsewhere.base),
            "HTTP {status}: {err:?}"
        );
        assert!(err.to_string().contains("follow no redirect"), "{err}");
        assert!(
            elsewhere.seen().is_empty(),
            "HTTP {status}: the other host was contacted: {:?}",
            elsewhere.seen()
        );
        assert_eq!(
            origin.seen().len(),
            1,
            "HTTP {status}: a redirect is not retried"
        );
    }
}

#[tokio::test]
async fn a_callers_client_that_follows_redirects_still_gets_no_foreign_token() {
    let elsewhere = api_server(|| token_answer("t-from-elsewhere", "7200")).await;
    let target = format!("{}{TOKEN_PATH}", elsewhere.base);
    let origin =
        Hostile::serve(move |_, _| respond(302, &[("location", target.as_str())], "")).await;
    // reqwest's default policy follows redirects.
    let client = Client::builder("cli_hostile", SECRET)
        .base_url(&origin.base)
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let err = token_error(get(&client, "file_x").await);
    assert!(
        matches!(err.kind(), TokenErrorKind::Redirected { .. }),
        "{err:?}"
    );
    // A 302 turned the POST into a body-less GET: the secret did not travel.
    for seen in elsewhere.seen() {
        assert!(!String::from_utf8_lossy(&seen.body).contains(SECRET));
    }
}

#[tokio::test]
async fn an_api_redirect_is_refused_and_the_other_host_gets_nothing() {
    // Every request carries a credential: no redirect is followed (issue 16, finding 3;
    // the statuses one by one are in e2e_hardening.rs).
    let elsewhere = Hostile::serve(|_, _| respond(200, &[], "moved content")).await;
    let target = format!("{}/somewhere", elsewhere.base);
    let origin = Hostile::serve(move |seen, _| {
        if is_token_request(seen) {
            token_answer("t-origin-token", "7200")
        } else {
            respond(302, &[("location", target.as_str())], "")
        }
    })
    .await;
    let client = client_of(&origin.base);
    let err = get(&client, "file_x").await.unwrap_err();
    let Error::UnexpectedResponse(body) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(body.http_status, 302);
    assert_eq!(body.redirect_to.as_deref(), Some(elsewhere.base.as_str()));
    let api: Vec<_> = origin
        .seen()
        .into_iter()
        .filter(|s| !is_token_request(s))
        .collect();
    assert_eq!(
        api[0].header("authorization"),
        Some("Bearer t-origin-token")
    );
    assert!(elsewhere.seen().is_empty(), "the other host was asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_token_lifetimes_are_clamped_not_a_panic() {
    for expire in ["9223372036854775807", "18446744073709551615", "1e300"] {
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
        let server = Hostile::serve(move |seen, _| {
            if is_token_request(seen) {
                counted.fetch_add(1, Ordering::SeqCst);
                token_answer("t-forever", expire)
            } else {
                respond(200, &[], "8 bytes!")
            }
        })
        .await;
        let client = client_of(&server.base);
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { get(&client, "file_x").await?.collect(64).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(
                &task.await.unwrap().unwrap()[..],
                b"8 bytes!",
                "expire {expire}"
            );
        }
        assert_eq!(
            requests.load(Ordering::SeqCst),
            1,
            "expire {expire}: one token request"
        );
        let token = client
            .token_cache()
            .get(&TokenKey::Tenant(None))
            .await
            .unwrap();
        assert!(
            token.remaining() <= MAX_TOKEN_LIFETIME,
            "expire {expire}: {token:?}"
        );
        assert!(token.remaining() > MAX_TOKEN_LIFETIME - Duration::from_secs(60));
    }
}

#[tokio::test]
async fn a_gigabyte_token_answer_is_refused_after_the_cap() {
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let server = Hostile::serve(move |_, _| {
        // 1 GiB of JSON whitespace after the opening brace, produced lazily.
        let counter = counter.clone();
        let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
        let body = futures_util::stream::iter(0..16 * 1024).map(move |i| {
            counter.fetch_add(chunk.len(), Ordering::SeqCst);
            Ok::<_, std::io::Error>(if i == 0 {
                bytes::Bytes::from_static(b"{")
            } else {
                chunk.clone()
            })
        });
        respond(
            200,
            &[("content-type", "application/json")],
            axum::body::Body::from_stream(body),
        )
    })
    .await;
    let client = client_of(&server.base);
    let err = token_error(get(&client, "file_x").await);
    assert_eq!(
        err.kind(),
        &TokenErrorKind::TooLarge {
            limit: MAX_AUTH_BODY
        },
        "{err}"
    );
    assert!(err.to_string().contains("larger than 65536 bytes"), "{err}");
    assert_eq!(server.seen().len(), 1, "not retried");
    // The server got far less than the gigabyte out before the SDK hung up.
    assert!(
        sent.load(Ordering::SeqCst) < 64 << 20,
        "{} bytes",
        sent.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn a_secret_echoed_by_the_token_endpoint_is_scrubbed_from_errors_and_logs() {
    let answer =
        format!(r#"{{"code":10014,"msg":"app secret {SECRET} is invalid for cli_hostile"}}"#);
    let server = Hostile::serve(move |_, _| json(400, &answer)).await;
    let client = client_of(&server.base);
    let err = get(&client, "file_x").await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("app secret *** is invalid"), "{text}");
}
