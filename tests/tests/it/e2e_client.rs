//! Client configuration seen from the server: user agent, default and per-request headers,
//! a caller-supplied `reqwest::Client`, and the JSON Content-Type that makes the platform send
//! Content-Disposition.

use crate::support;

use lark_openapi::{Client, RequestOptions};
use support::*;

#[tokio::test]
async fn headers_reach_the_server() {
    let fake = fake().await;
    let client = builder(&fake)
        .default_header("x-team", "payments")
        .default_header("x-trace", "default")
        .build()
        .unwrap();
    file(&fake, "file_h", 10);
    request(&client, "file_h")
        .options(RequestOptions::new().header("x-trace", "per-request"))
        .await
        .unwrap();
    let log = fake.requests_log();
    let sent = &log.last().unwrap().headers;
    let header = |name: &str| sent.get(name).and_then(|v| v.to_str().ok());
    let agent = header("user-agent").unwrap();
    assert!(agent.starts_with("lark-openapi-rust/"), "{agent}");
    assert_eq!(header("x-team"), Some("payments"));
    assert_eq!(
        sent.get_all("x-trace").iter().collect::<Vec<_>>(),
        ["per-request"],
        "a per-request header replaces the default of the same name"
    );
    assert!(header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert!(header("authorization").unwrap().starts_with("Bearer t-"));
}

#[tokio::test]
async fn a_caller_supplied_reqwest_client_is_used() {
    let fake = fake().await;
    // A header only this reqwest client adds tells whether the SDK really used it.
    let mut marker = reqwest::header::HeaderMap::new();
    marker.insert("x-from-caller-client", "yes".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(marker)
        .build()
        .unwrap();
    let config = fake.config();
    let client = Client::builder(config.app_id.clone(), config.app_secret.clone())
        .base_url(fake.base_url())
        .http_client(http)
        .build()
        .unwrap();
    file(&fake, "file_c", 10);
    get(&client, "file_c").await.unwrap();
    // Both the token request and the resource request went through the caller's client.
    let log = fake.requests_log();
    assert!(log.len() >= 2, "token and resource requests: {log:?}");
    for r in &log {
        assert_eq!(
            r.headers.get("x-from-caller-client").map(|v| v.as_bytes()),
            Some(&b"yes"[..]),
            "{}",
            r.path_and_query
        );
    }
}

#[tokio::test]
async fn invalid_per_request_header_is_a_config_error_and_nothing_is_sent() {
    let fake = fake().await;
    let client = client(&fake);
    let err = request(&client, "file_x")
        .options(RequestOptions::new().header("bad header", "v"))
        .await
        .unwrap_err();
    assert!(matches!(err, lark_openapi::Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("bad header"), "{err}");
    assert!(fake.requests_log().is_empty());
}
