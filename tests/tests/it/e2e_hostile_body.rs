//! A hostile resource server: partial content nobody asked for, content that changes while
//! it is resumed, header floods, bodies that crawl, error bodies that never end, tokens
//! echoed back.

use crate::support;

use std::time::Duration;

use futures_util::StreamExt;
use lark_openapi::limits::MAX_ERROR_BODY;
use lark_openapi::{Client, Error, RequestOptions, RetryPolicy, TransportKind};
use support::hostile::*;
use support::*;

const SECRET: &str = "hostile-test-app-secret-value";
const TOKEN: &str = "t-hostile-tenant-token";

fn client_with(base: &str, retry: RetryPolicy) -> Client {
    Client::builder("cli_hostile", SECRET)
        .base_url(base)
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// Serves tokens, and the resource requests with `resource(seen, n)` (n counts resource
/// requests only).
async fn resource_server(
    resource: impl Fn(&Seen, usize) -> axum::response::Response + Send + Sync + 'static,
) -> Hostile {
    let count = std::sync::atomic::AtomicUsize::new(0);
    Hostile::serve(move |seen, _| {
        if is_token_request(seen) {
            token_answer(TOKEN, "7200")
        } else {
            resource(
                seen,
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
            )
        }
    })
    .await
}

fn resource_requests(server: &Hostile) -> Vec<Seen> {
    server
        .seen()
        .into_iter()
        .filter(|s| !is_token_request(s))
        .collect()
}

const WHOLE: &[u8; 1000] = &[b'a'; 1000];

#[tokio::test]
async fn a_206_to_a_request_for_the_whole_body_is_not_saved_as_complete() {
    let server = resource_server(|_, _| {
        respond(
            206,
            &[("content-range", "bytes 0-499/1000"), ("etag", "\"v1\"")],
            &WHOLE[..500],
        )
    })
    .await;
    let dir = temp_dir();
    let client = client_with(&server.base, RetryPolicy::disabled());
    let err = save(&client, "file_x", dir.path()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Integrity {
                expected: 1000,
                received: 500
            }
        ),
        "{err:?}"
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));

    // With retries, the rest is asked for; a server that keeps sending the start is refused.
    let client = client_with(&server.base, fast_retries());
    let err = save(&client, "file_x", dir.path()).await.unwrap_err();
    assert!(matches!(err, Error::Integrity { .. }), "{err:?}");
    assert!(entries(dir.path()).is_empty());
}

#[tokio::test]
async fn a_206_that_does_not_start_at_zero_is_refused() {
    for range in [Some("bytes 500-999/1000"), Some("bytes */1000"), None] {
        let server = resource_server(move |_, _| {
            let headers: Vec<(&str, &str)> = range.iter().map(|r| ("content-range", *r)).collect();
            respond(206, &headers, &WHOLE[..500])
        })
        .await;
        let client = client_with(&server.base, fast_retries());
        let err = get(&client, "file_x").await.unwrap_err();
        let Error::BadPartialContent { reason } = &err else {
            panic!("{range:?}: {err:?}")
        };
        assert!(reason.contains("206 Partial Content"), "{reason}");
    }
}

/// The first answer breaks off after 400 bytes of version `"v1"`; the resume gets `resume`.
async fn broken_then(
    resume: impl Fn(&Seen) -> axum::response::Response + Send + Sync + 'static,
) -> Hostile {
    resource_server(move |seen, n| {
        if n == 0 {
            // The pause lets the first 400 bytes reach the client before the cut.
            let body = futures_util::stream::iter(0..2).then(|i| async move {
                if i == 0 {
                    Ok::<_, std::io::Error>(bytes::Bytes::from_static(&WHOLE[..400]))
                } else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Err(std::io::Error::other("cut"))
                }
            });
            respond(
                200,
                &[("content-length", "1000"), ("etag", "\"v1\"")],
                axum::body::Body::from_stream(body),
            )
        } else {
            resume(seen)
        }
    })
    .await
}

#[tokio::test]
async fn a_resume_names_its_version_with_if_range() {
    let server = broken_then(|seen| {
        assert_eq!(seen.header("range"), Some("bytes=400-"));
        if seen.header("if-range") == Some("\"v1\"") {
            respond(
                206,
                &[("content-range", "bytes 400-999/1000"), ("etag", "\"v1\"")],
                &WHOLE[400..],
            )
        } else {
            respond(500, &[], "no If-Range")
        }
    })
    .await;
    let dir = temp_dir();
    let saved = save(
        &client_with(&server.base, fast_retries()),
        "file_x",
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(saved).unwrap(), WHOLE);
}

#[tokio::test]
async fn a_resumed_part_of_a_changed_resource_is_refused() {
    let server = broken_then(|_| {
        respond(
            206,
            &[("content-range", "bytes 400-999/1000"), ("etag", "\"v2\"")],
            &[b'b'; 600][..],
        )
    })
    .await;
    let dir = temp_dir();
    let err = save(
        &client_with(&server.base, fast_retries()),
        "file_x",
        dir.path(),
    )
    .await
    .unwrap_err();
    let Error::BadPartialContent { reason } = &err else {
        panic!("{err:?}")
    };
    assert!(
        reason.contains("\"v1\"") && reason.contains("\"v2\""),
        "{reason}"
    );
    assert!(
        entries(dir.path()).is_empty(),
        "nothing spliced, nothing kept"
    );
}

#[tokio::test]
async fn a_changed_resource_answered_in_full_restarts_the_download() {
    let server = broken_then(|_| {
        respond(
            200,
            &[("content-length", "1000"), ("etag", "\"v2\"")],
            &[b'b'; 1000][..],
        )
    })
    .await;
    let dir = temp_dir();
    let saved = save(
        &client_with(&server.base, fast_retries()),
        "file_x",
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read(saved).unwrap(),
        [b'b'; 1000],
        "the new version, whole"
    );
}

#[tokio::test]
async fn oversized_response_headers_are_named_and_not_retried() {
    let server = resource_server(|_, _| {
        let names: Vec<String> = (0..200).map(|i| format!("x-flood-{i}")).collect();
        let headers: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        respond(200, &headers, "body")
    })
    .await;
    let err = get(&client_with(&server.base, fast_retries()), "file_x")
        .await
        .unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.kind(), TransportKind::HeadersTooLarge, "{err}");
    assert!(
        err.to_string().contains("response headers are too large"),
        "{err}"
    );
    assert_eq!(resource_requests(&server).len(), 1, "not retried");
}

#[tokio::test]
async fn the_call_deadline_stops_a_body_that_crawls_without_ever_stalling() {
    // One byte every 50 ms: the 1 s idle timeout never fires; the 500 ms deadline does.
    let server = resource_server(|_, _| {
        let body = futures_util::stream::iter(0..1000).then(|_| async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"x"))
        });
        respond(
            200,
            &[("content-length", "1000")],
            axum::body::Body::from_stream(body),
        )
    })
    .await;
    let client = Client::builder("cli_hostile", SECRET)
        .base_url(&server.base)
        .read_timeout(Duration::from_secs(1))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let dir = temp_dir();
    let err = request(&client, "file_x")
        .options(RequestOptions::new().timeout(Duration::from_millis(500)))
        .await
        .unwrap()
        .save_to(dir.path())
        .await
        .unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert!(t.is_deadline() && t.is_timeout(), "{err:?}");
    assert!(
        err.to_string()
            .contains("deadline of 500ms passed while reading the body"),
        "{err}"
    );
    assert_eq!(
        resource_requests(&server).len(),
        1,
        "a passed deadline is not resumed"
    );
    assert!(entries(dir.path()).is_empty());

    // The client-wide setting does the same.
    let client = Client::builder("cli_hostile", SECRET)
        .base_url(&server.base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = get(&client, "file_x")
        .await
        .unwrap()
        .collect(1 << 20)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.is_deadline()),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_endless_error_body_is_cut_at_the_cap_and_says_so() {
    let server = resource_server(|_, _| {
        let chunk = bytes::Bytes::from(vec![b'x'; 64 * 1024]);
        let body = futures_util::stream::iter(0..16 * 1024)
            .map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
        respond(
            500,
            &[("content-type", "text/plain")],
            axum::body::Body::from_stream(body),
        )
    })
    .await;
    let err = get(
        &client_with(&server.base, RetryPolicy::disabled()),
        "file_x",
    )
    .await
    .unwrap_err();
    let Error::UnexpectedResponse(body) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(body.cut_at, Some(MAX_ERROR_BODY));
    assert!(
        err.to_string().contains("body longer than 65536 bytes"),
        "{err}"
    );
}

#[tokio::test]
async fn a_token_or_secret_echoed_in_an_api_error_is_scrubbed() {
    let server = resource_server(|_, _| {
        json(
            400,
            &format!(
                r#"{{"code":234001,"msg":"bad token {TOKEN} for secret {SECRET}","error":{{"field_violations":[{{"field":"auth","value":"{TOKEN}"}}]}}}}"#
            ),
        )
    })
    .await;
    let err = get(&client_with(&server.base, fast_retries()), "file_x")
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(TOKEN) && !text.contains(SECRET), "{text}");
    assert!(text.contains("bad token *** for secret ***"), "{text}");
}
