//! Faults queued per endpoint id, on generic and hand-written endpoints.

use std::time::{Duration, Instant};

use serde_json::json;

use super::client::{call_keep, Keep};
use super::http::Api;
use super::{fake, tenant_token};
use crate::fake::{Fault, Resource, ResourceKind, JSON_CONTENT_TYPE, MESSAGE_RESOURCE_ENDPOINT};

const GET: &str = "im.v1.message.get";
const MESSAGE: &str = "/open-apis/im/v1/messages/om_dc13264520392913993dd051dba21dcf";

#[tokio::test]
async fn every_fault_on_a_generic_endpoint() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    fake.push_endpoint_faults(
        GET,
        [
            Fault::ErrorCode(230110),
            Fault::ErrorCode(230002),
            Fault::ErrorCode(99991672),
            Fault::EnvelopeError { code: 1 },
            Fault::RateLimited { reset_secs: 7 },
            Fault::RateLimited400,
            Fault::Status5xx(500),
            Fault::Status5xx(502),
            Fault::HtmlError(503),
            Fault::TokenRejected,
            Fault::Custom {
                status: 418,
                content_type: Some("text/plain".into()),
                body: b"teapot".to_vec(),
            },
            Fault::RepeatPageToken,
        ],
    );
    assert_eq!(fake.pending_endpoint_faults(GET), 12);
    let a = api.get(MESSAGE).await;
    assert_eq!(
        (a.status.as_u16(), a.code(), a.msg()),
        (
            400,
            230110,
            "Action unavailable as the message has been deleted.".into()
        )
    );
    assert_eq!(a.header("content-type").as_deref(), Some(JSON_CONTENT_TYPE));
    assert_eq!(
        a.json()["error"]["log_id"].as_str(),
        a.header("x-tt-logid").as_deref()
    );
    // No server message in the spec: the row's meaning.
    let a = api.get(MESSAGE).await;
    assert_eq!(
        (a.code(), a.msg()),
        (
            230002,
            "The app's bot is not a member of the chat the message is in.".into()
        )
    );
    let a = api.get(MESSAGE).await;
    assert_eq!(a.code(), 99991672);
    assert!(a.msg().contains("im:message"), "{}", a.msg());
    let a = api.get(MESSAGE).await;
    assert_eq!(
        (a.status.as_u16(), a.json()),
        (200, json!({ "code": 1, "msg": "fake-lark: error code 1" }))
    );
    let a = api.get(MESSAGE).await;
    assert_eq!((a.status.as_u16(), a.code()), (429, 99991400));
    assert_eq!(
        (
            a.header("x-ogw-ratelimit-reset"),
            a.header("x-ogw-ratelimit-limit")
        ),
        (Some("7".into()), Some("50".into()))
    );
    let a = api.get(MESSAGE).await;
    assert_eq!(
        (
            a.status.as_u16(),
            a.code(),
            a.header("x-ogw-ratelimit-reset")
        ),
        (400, 99991400, None)
    );
    assert_eq!(api.get(MESSAGE).await.code(), 500);
    assert!(api
        .get(MESSAGE)
        .await
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(
        api.get(MESSAGE).await.header("content-type").as_deref(),
        Some("text/html")
    );
    assert_eq!(api.get(MESSAGE).await.code(), 99991663);
    let a = api.get(MESSAGE).await;
    assert_eq!(
        (a.status.as_u16(), a.bytes.as_slice()),
        (418, &b"teapot"[..])
    );
    // Not paginated: consumed, answered normally.
    assert_eq!(api.get(MESSAGE).await.code(), 0);
    assert_eq!(fake.pending_endpoint_faults(GET), 0);
    assert_eq!(fake.requests_for(GET).len(), 12);
    let statuses: Vec<u16> = fake.requests_for(GET).iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [400, 400, 400, 200, 429, 400, 500, 502, 503, 400, 418, 200]
    );
}

#[tokio::test]
async fn faults_come_before_validation_and_clear() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    fake.push_endpoint_faults(
        "im.v1.message.list",
        [Fault::Status5xx(503), Fault::Status5xx(503)],
    );
    // Invalid (no container_id), but the fault answers first.
    assert_eq!(api.get("/open-apis/im/v1/messages").await.status, 503);
    fake.clear_endpoint_faults("im.v1.message.list");
    assert_eq!(api.get("/open-apis/im/v1/messages").await.code(), 230001);
    // A missing token is refused before the fault is taken.
    fake.push_endpoint_faults(GET, [Fault::Status5xx(503)]);
    assert_eq!(
        Api::with_token(&fake, None).get(MESSAGE).await.code(),
        99991661
    );
    assert_eq!(fake.pending_endpoint_faults(GET), 1);
}

#[tokio::test]
async fn cut_off_and_stalled_json_bodies() {
    let fake = fake().await;
    let token = tenant_token(&fake).await;
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str())];
    fake.push_endpoint_faults(GET, [Fault::CutOff { after_bytes: 10 }]);
    let reply = call_keep(fake.addr(), "GET", MESSAGE, &headers, b"", Keep::Body).await;
    let full: u64 = reply.header("content-length").unwrap().parse().unwrap();
    assert!(full > 10);
    assert_eq!(
        (reply.status, reply.received, reply.complete),
        (200, 10, false)
    );
    assert_eq!(reply.body, b"{\"code\":0,");

    fake.push_endpoint_faults(
        GET,
        [Fault::Stall {
            after_bytes: 5,
            stall: Duration::from_millis(500),
        }],
    );
    let started = Instant::now();
    let reply = call_keep(fake.addr(), "GET", MESSAGE, &headers, b"", Keep::Body).await;
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert!(reply.complete);
    assert_eq!(reply.json()["code"], 0);

    fake.push_endpoint_faults(GET, [Fault::DelayHeaders(Duration::from_millis(300))]);
    let started = Instant::now();
    assert_eq!(
        call_keep(fake.addr(), "GET", MESSAGE, &headers, b"", Keep::Body)
            .await
            .status,
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_page_token_served_twice() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    let list =
        "/open-apis/im/v1/messages?container_id_type=chat&container_id=oc_fake_1&page_size=2";
    fake.push_endpoint_faults("im.v1.message.list", [Fault::RepeatPageToken]);
    let first = api.get(list).await.data();
    assert_eq!(
        fake.pending_endpoint_faults("im.v1.message.list"),
        1,
        "no page token: left queued"
    );
    let token = first["page_token"].as_str().unwrap();
    let second = api.get(&format!("{list}&page_token={token}")).await.data();
    assert_eq!(
        (second["page_token"].as_str(), second["has_more"].clone()),
        (Some(token), json!(true))
    );
    assert_ne!(second["items"], first["items"]);
    assert_eq!(fake.pending_endpoint_faults("im.v1.message.list"), 0);
}

#[tokio::test]
async fn hand_written_endpoints_take_endpoint_faults() {
    let fake = fake().await;
    let token = tenant_token(&fake).await;
    let r = Resource::new("om_1", "f_1", ResourceKind::File, 100).with_fault(Fault::Status5xx(500));
    fake.add_resource(r.clone());
    fake.push_endpoint_faults(
        MESSAGE_RESOURCE_ENDPOINT,
        [Fault::ErrorCode(234043), Fault::CutOff { after_bytes: 10 }],
    );
    let api = Api::with_token(&fake, Some(token.clone()));
    let path = "/open-apis/im/v1/messages/om_1/resources/f_1?type=file";
    assert_eq!(api.get(path).await.code(), 234043);
    let auth = format!("Bearer {token}");
    let reply = call_keep(
        fake.addr(),
        "GET",
        path,
        &[("Authorization", auth.as_str())],
        b"",
        Keep::Body,
    )
    .await;
    assert_eq!(
        (reply.status, reply.received, reply.complete),
        (200, 10, false)
    );
    // The resource's own fault waited for a request without an endpoint fault.
    assert_eq!(api.get(path).await.status, 500);
    assert_eq!(api.get(path).await.bytes.len(), 100);
    assert_eq!(fake.requests_for(MESSAGE_RESOURCE_ENDPOINT).len(), 4);

    let id = "auth.v3.tenant_access_token.internal";
    fake.push_endpoint_faults(id, [Fault::Status5xx(503), Fault::ErrorCode(10014)]);
    let creds = json!({ "app_id": "cli_fake_app", "app_secret": "fake_secret" });
    let anonymous = Api::with_token(&fake, None);
    let path = "/open-apis/auth/v3/tenant_access_token/internal";
    assert_eq!(
        anonymous
            .json(reqwest::Method::POST, path, &creds)
            .await
            .status,
        503
    );
    assert_eq!(
        anonymous
            .json(reqwest::Method::POST, path, &creds)
            .await
            .code(),
        10014
    );
    assert_eq!(
        anonymous
            .json(reqwest::Method::POST, path, &creds)
            .await
            .code(),
        0
    );
    assert_eq!(fake.requests_for(id).len(), 4);
}

#[tokio::test]
async fn a_change_is_kept_only_when_its_faulted_answer_goes_out_whole() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    let token = api.token.clone().unwrap();
    let create = "/open-apis/im/v1/messages?receive_id_type=chat_id";
    let body =
        json!({ "receive_id": "oc_fake_3", "msg_type": "text", "content": "{\"text\":\"x\"}" });
    let count = |fake: &crate::fake::FakeLark| fake.requests_for("im.v1.message.list").len();
    assert_eq!(listed(&api, "oc_fake_3").await, 5);
    // Cut off: not kept.
    fake.push_endpoint_faults("im.v1.message.create", [Fault::CutOff { after_bytes: 4 }]);
    let sent = reqwest::Client::new()
        .post(format!("{}{create}", fake.base_url()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(sent.bytes().await.is_err());
    assert_eq!(listed(&api, "oc_fake_3").await, 5);
    // A stall the client waits through: kept.
    let stall = Fault::Stall {
        after_bytes: 4,
        stall: Duration::from_millis(200),
    };
    fake.push_endpoint_faults("im.v1.message.create", [stall]);
    let data = api.json(reqwest::Method::POST, create, &body).await.data();
    assert_eq!(listed(&api, "oc_fake_3").await, 6);
    assert_eq!(
        api.get(&format!(
            "/open-apis/im/v1/messages/{}",
            data["message_id"].as_str().unwrap()
        ))
        .await
        .code(),
        0
    );
    assert_eq!(count(&fake), 3);
}

async fn listed(api: &Api, chat: &str) -> usize {
    let path = format!("/open-apis/im/v1/messages?container_id_type=chat&container_id={chat}");
    api.get(&path).await.data()["items"]
        .as_array()
        .unwrap()
        .len()
}
