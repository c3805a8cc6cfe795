//! In-process tests of the fake over real HTTP on 127.0.0.1.

mod auth_tests;
mod client;
mod download_tests;
mod endpoint_fault_tests;
mod error_tests;
mod fault_tests;
mod harness_tests;
mod http;
mod routing_tests;
mod store_tests;
mod synth_tests;
mod token_tests;
mod toy;
mod upload_tests;
mod validation_tests;

use std::net::SocketAddr;

use serde_json::json;

use self::client::{call, Reply};
use super::{FakeConfig, FakeLark};

/// Starts a fake with the default configuration.
async fn fake() -> FakeLark {
    FakeLark::start(FakeConfig::default())
        .await
        .expect("start fake")
}

/// POSTs a JSON body.
async fn post_json(addr: SocketAddr, path: &str, body: serde_json::Value) -> Reply {
    let headers = [("Content-Type", "application/json; charset=utf-8")];
    call(addr, "POST", path, &headers, body.to_string().as_bytes()).await
}

/// Fetches a self-built tenant token (the fake's own tests elsewhere use it too).
pub(super) async fn tenant_token(fake: &FakeLark) -> String {
    let cfg = fake.config();
    let body = json!({ "app_id": cfg.app_id, "app_secret": cfg.app_secret });
    let reply = post_json(
        fake.addr(),
        "/open-apis/auth/v3/tenant_access_token/internal",
        body,
    )
    .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["tenant_access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// The message-resource path for these ids and `type`.
fn resource_path(message_id: &str, file_key: &str, kind: &str) -> String {
    format!("/open-apis/im/v1/messages/{message_id}/resources/{file_key}?type={kind}")
}

/// GETs a path with a bearer token and extra headers, keeping the body.
async fn get(fake: &FakeLark, path: &str, token: &str, extra: &[(&str, &str)]) -> Reply {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("Authorization", auth.as_str())];
    headers.extend_from_slice(extra);
    call(fake.addr(), "GET", path, &headers, b"").await
}
