//! The auth fetcher against canned answers over real HTTP on 127.0.0.1.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;
use crate::auth::TokenCache;

const SECRET: &str = "app-secret-do-not-leak";

/// One request as the server saw it.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    content_type: String,
    body: serde_json::Value,
}

/// A canned answer: status, extra headers, body.
struct Canned(u16, &'static [(&'static str, &'static str)], String);

fn json(status: u16, body: serde_json::Value) -> Canned {
    Canned(
        status,
        &[
            ("Content-Type", "application/json; charset=utf-8"),
            ("X-Tt-Logid", "log-123"),
        ],
        body.to_string(),
    )
}

/// A tiny HTTP/1.1 server on 127.0.0.1 answering the canned responses in
/// order, one per connection.
async fn serve(answers: Vec<Canned>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for Canned(status, headers, body) in answers {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let header_end = loop {
                let n = sock.read(&mut chunk).await.unwrap();
                assert!(n > 0, "client closed early");
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
            };
            let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                    })
                    .unwrap_or_default()
            };
            let len: usize = header("content-length").parse().unwrap_or(0);
            while buf.len() < header_end + len {
                let n = sock.read(&mut chunk).await.unwrap();
                assert!(n > 0, "client closed early");
                buf.extend_from_slice(&chunk[..n]);
            }
            let mut request_line = head.lines().next().unwrap().split(' ');
            log.lock().unwrap().push(Seen {
                method: request_line.next().unwrap().to_owned(),
                path: request_line.next().unwrap().to_owned(),
                content_type: header("content-type"),
                body: serde_json::from_slice(&buf[header_end..header_end + len])
                    .unwrap_or_default(),
            });
            let mut out = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            sock.write_all(out.as_bytes()).await.unwrap();
            sock.shutdown().await.ok();
        }
    });
    (base, seen)
}

/// A client for `base` whose own retries are off: auth requests keep their fixed policy.
fn client_for(base: &str, creds: &AppCredentials) -> Client {
    Client::builder(creds.app_id(), creds.app_secret().expose())
        .app_type(creds.app_type())
        .base_url(format!("{base}/"))
        .retry_policy(crate::RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// The cache of a client for `base` (the client stays alive with the returned clone).
fn cache(base: &str, creds: AppCredentials) -> (Client, TokenCache) {
    let client = client_for(base, &creds);
    let cache = client.token_cache().clone();
    (client, cache)
}

#[tokio::test]
async fn custom_app_tenant_token() {
    let (base, seen) = serve(vec![json(
        200,
        serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-abc", "expire": 7200}),
    )])
    .await;
    let (_client, cache) = cache(&base, AppCredentials::custom("cli_1", SECRET));
    let before = crate::clock::now();
    let token = cache.get(&TokenKey::Tenant(None)).await.unwrap();
    let after = crate::clock::now();
    assert_eq!(token.expose(), "t-abc");
    assert!(token.expires_at() >= before + Duration::from_secs(7200));
    assert!(token.expires_at() <= after + Duration::from_secs(7200));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, endpoints::TENANT_ACCESS_TOKEN_INTERNAL);
    assert_eq!(seen[0].content_type, "application/json; charset=utf-8");
    assert_eq!(
        seen[0].body,
        serde_json::json!({"app_id": "cli_1", "app_secret": SECRET})
    );
}

#[tokio::test]
async fn custom_app_app_token() {
    let (base, seen) = serve(vec![json(
        200,
        serde_json::json!({"code": 0, "msg": "ok", "app_access_token": "a-1", "tenant_access_token": "t-1", "expire": 7140}),
    )])
    .await;
    let (_client, cache) = cache(&base, AppCredentials::custom("cli_1", SECRET));
    let token = cache.get(&TokenKey::App).await.unwrap();
    assert_eq!(token.expose(), "a-1");
    assert_eq!(
        seen.lock().unwrap()[0].path,
        endpoints::APP_ACCESS_TOKEN_INTERNAL
    );
}

#[tokio::test]
async fn rejected_answer_becomes_rejected_error() {
    let (base, seen) = serve(vec![json(
        400,
        serde_json::json!({"code": 10015, "msg": "app secret invalid"}),
    )])
    .await;
    let (_client, cache) = cache(&base, AppCredentials::custom("cli_1", SECRET));
    let err = cache.get(&TokenKey::Tenant(None)).await.unwrap_err();
    assert_eq!(
        err.kind(),
        &TokenErrorKind::Rejected {
            code: 10015,
            msg: "app secret invalid".into()
        }
    );
    assert_eq!(err.code(), Some(10015));
    assert_eq!(err.message(), Some("app secret invalid"));
    assert_eq!(err.log_id(), Some("log-123"));
    assert_eq!(err.endpoint(), endpoints::TENANT_ACCESS_TOKEN_INTERNAL);
    let text = format!("{err} {err:?}");
    assert!(text.contains("10015") && text.contains("log-123"), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "a 400 rejection is not retried"
    );
}

#[tokio::test]
async fn transient_failures_are_retried() {
    let (base, seen) = serve(vec![
        Canned(503, &[("Content-Type", "text/plain")], "upstream busy".into()),
        json(429, serde_json::json!({"code": 99991400, "msg": "request trigger frequency limit"})),
        json(200, serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-ok", "expire": 7200})),
    ])
    .await;
    let (_client, cache) = cache(&base, AppCredentials::custom("cli_1", SECRET));
    assert_eq!(
        cache.get(&TokenKey::Tenant(None)).await.unwrap().expose(),
        "t-ok"
    );
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn gives_up_after_three_attempts_and_reports_http_status() {
    let busy = || {
        Canned(
            502,
            &[("Content-Type", "text/html")],
            "<html>bad gateway</html>".into(),
        )
    };
    let (base, seen) = serve(vec![busy(), busy(), busy()]).await;
    let (_client, cache) = cache(&base, AppCredentials::custom("cli_1", SECRET));
    let err = cache.get(&TokenKey::Tenant(None)).await.unwrap_err();
    assert_eq!(
        err.kind(),
        &TokenErrorKind::Http {
            status: 502,
            excerpt: "<html>bad gateway</html>".into()
        }
    );
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn success_without_expire_is_malformed() {
    let (base, _seen) = serve(vec![json(
        200,
        serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-x"}),
    )])
    .await;
    let (_client, cache) = cache(&base, AppCredentials::custom("cli_1", SECRET));
    let err = cache.get(&TokenKey::Tenant(None)).await.unwrap_err();
    assert!(
        matches!(err.kind(), TokenErrorKind::Malformed(_)),
        "{err:?}"
    );
    assert!(!err.to_string().contains("t-x"));
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (_client, cache) = cache(
        &format!("http://{addr}"),
        AppCredentials::custom("cli_1", SECRET),
    );
    let err = cache.get(&TokenKey::App).await.unwrap_err();
    assert_eq!(err.kind(), &TokenErrorKind::Transport);
    assert!(err.is_connect(), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
    assert!(!format!("{err} {err:?}").contains(SECRET));
}

#[tokio::test]
async fn store_app_tenant_token_uses_ticket_and_cached_app_token() {
    let (base, seen) = serve(vec![
        json(200, serde_json::json!({"code": 0, "msg": "ok", "app_access_token": "a-store", "expire": 7140})),
        json(200, serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-one", "expire": 7140})),
        json(200, serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-two", "expire": 7140})),
    ])
    .await;
    let (_client, cache) = cache(&base, AppCredentials::store("cli_s", SECRET));
    cache.set_app_ticket("ticket-1");
    let one = cache
        .get(&TokenKey::Tenant(Some("tk-1".into())))
        .await
        .unwrap();
    let two = cache
        .get(&TokenKey::Tenant(Some("tk-2".into())))
        .await
        .unwrap();
    assert_eq!((one.expose(), two.expose()), ("t-one", "t-two"));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "the app token is fetched once");
    assert_eq!(seen[0].path, endpoints::APP_ACCESS_TOKEN);
    assert_eq!(
        seen[0].body,
        serde_json::json!({"app_id": "cli_s", "app_secret": SECRET, "app_ticket": "ticket-1"})
    );
    assert_eq!(seen[1].path, endpoints::TENANT_ACCESS_TOKEN);
    assert_eq!(
        seen[1].body,
        serde_json::json!({"app_access_token": "a-store", "tenant_key": "tk-1"})
    );
    assert_eq!(
        seen[2].body,
        serde_json::json!({"app_access_token": "a-store", "tenant_key": "tk-2"})
    );
}

#[tokio::test]
async fn store_app_refreshes_a_rejected_app_token_once() {
    let (base, seen) = serve(vec![
        json(200, serde_json::json!({"code": 0, "msg": "ok", "app_access_token": "a-old", "expire": 7140})),
        json(400, serde_json::json!({"code": 99991664, "msg": "invalid app_access_token"})),
        json(200, serde_json::json!({"code": 0, "msg": "ok", "app_access_token": "a-new", "expire": 7140})),
        json(200, serde_json::json!({"code": 0, "msg": "ok", "tenant_access_token": "t-ok", "expire": 7140})),
    ])
    .await;
    let (_client, cache) = cache(&base, AppCredentials::store("cli_s", SECRET));
    cache.set_app_ticket("ticket-1");
    let token = cache
        .get(&TokenKey::Tenant(Some("tk".into())))
        .await
        .unwrap();
    assert_eq!(token.expose(), "t-ok");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[3].body["app_access_token"], "a-new");
}

#[tokio::test]
async fn store_app_without_ticket_requests_resend() {
    let (base, seen) = serve(vec![json(200, serde_json::json!({"code": 0, "msg": "ok"}))]).await;
    let (_client, cache) = cache(&base, AppCredentials::store("cli_s", SECRET));
    let err = cache
        .get(&TokenKey::Tenant(Some("tk".into())))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &TokenErrorKind::AppTicketMissing);
    assert_eq!(err.endpoint(), endpoints::APP_ACCESS_TOKEN);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, endpoints::APP_TICKET_RESEND);
    assert_eq!(
        seen[0].body,
        serde_json::json!({"app_id": "cli_s", "app_secret": SECRET})
    );
}

#[tokio::test]
async fn explicit_resend_reports_rejection() {
    let (base, _seen) = serve(vec![json(
        400,
        serde_json::json!({"code": 10016, "msg": "resend failed"}),
    )])
    .await;
    let (_client, cache) = cache(&base, AppCredentials::custom("cli_1", SECRET));
    let err = cache.request_app_ticket_resend().await.unwrap_err();
    assert_eq!(err.code(), Some(10016));
    assert_eq!(err.endpoint(), endpoints::APP_TICKET_RESEND);
}

#[tokio::test]
async fn store_app_tenant_token_needs_tenant_key() {
    let (_client, cache) = cache("http://127.0.0.1:9", AppCredentials::store("cli_s", SECRET));
    let err = cache.get(&TokenKey::Tenant(None)).await.unwrap_err();
    assert_eq!(err.kind(), &TokenErrorKind::MissingTenantKey);
}

#[test]
fn credential_excerpts_are_withheld() {
    assert_eq!(
        withhold_credentials("{\"tenant_access_token\":\"t-1\""),
        "<withheld: body mentions a credential>"
    );
    assert_eq!(withhold_credentials("bad gateway"), "bad gateway");
}

#[test]
fn fetcher_debug_hides_secret() {
    let f = HttpTokenFetcher::new(
        std::sync::Weak::new(),
        AppCredentials::custom("cli_1", SECRET),
    );
    let dbg = format!("{f:?}");
    assert!(dbg.contains("cli_1"), "{dbg}");
    assert!(!dbg.contains(SECRET), "{dbg}");
}

#[tokio::test]
async fn a_dropped_client_fails_the_fetch_cleanly() {
    let f = HttpTokenFetcher::new(
        std::sync::Weak::new(),
        AppCredentials::custom("cli_1", SECRET),
    );
    let cache = TokenCache::new(std::sync::Arc::new(f), crate::auth::DEFAULT_REFRESH_AHEAD);
    let err = cache.get(&TokenKey::App).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("client that owns this token cache is gone"),
        "{err}"
    );
}
