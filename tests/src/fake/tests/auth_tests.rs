//! Token endpoints and token checks on the data endpoint.

use std::time::Duration;

use serde_json::json;

use super::client::{call, call_keep, Keep};
use super::{fake, get, post_json, resource_path, tenant_token};
use crate::fake::{
    codes, FakeAppType, FakeConfig, FakeLark, Fault, Resource, ResourceKind, TokenRequestKind,
    JSON_CONTENT_TYPE,
};

const TENANT_INTERNAL: &str = "/open-apis/auth/v3/tenant_access_token/internal";
const APP_INTERNAL: &str = "/open-apis/auth/v3/app_access_token/internal";
const APP_STORE: &str = "/open-apis/auth/v3/app_access_token";
const TENANT_STORE: &str = "/open-apis/auth/v3/tenant_access_token";
const RESEND: &str = "/open-apis/auth/v3/app_ticket/resend";

fn creds(fake: &FakeLark) -> serde_json::Value {
    json!({ "app_id": fake.config().app_id, "app_secret": fake.config().app_secret })
}

#[tokio::test]
async fn tenant_token_is_issued_at_top_level_and_new_each_time() {
    let fake = fake().await;
    let reply = post_json(fake.addr(), TENANT_INTERNAL, creds(&fake)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some(JSON_CONTENT_TYPE)
    );
    assert!(reply.header("x-tt-logid").is_some_and(|v| v.len() == 34));
    let body = reply.json();
    assert_eq!(body["code"], 0);
    assert_eq!(body["msg"], "ok");
    assert_eq!(body["expire"], 7200);
    assert!(body.get("data").is_none());
    let first = body["tenant_access_token"].as_str().unwrap().to_owned();
    assert!(first.starts_with("t-"));
    let second = tenant_token(&fake).await;
    assert_ne!(first, second);
    assert_eq!(fake.token_requests(TokenRequestKind::TenantInternal), 2);
    assert_eq!(fake.token_requests(TokenRequestKind::AppInternal), 0);
}

#[tokio::test]
async fn wrong_credentials_are_rejected_with_400() {
    let fake = fake().await;
    let bad_secret = json!({ "app_id": "cli_fake_app", "app_secret": "nope" });
    let reply = post_json(fake.addr(), TENANT_INTERNAL, bad_secret).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["code"], codes::BAD_SECRET);
    let bad_id = json!({ "app_id": "cli_other", "app_secret": "fake_secret" });
    let reply = post_json(fake.addr(), TENANT_INTERNAL, bad_id).await;
    assert_eq!(
        (reply.status, reply.json()["code"].clone()),
        (400, json!(10003))
    );
    let reply = call(fake.addr(), "POST", TENANT_INTERNAL, &[], b"{not json").await;
    assert_eq!(reply.json()["code"], 10003);
    assert_eq!(fake.token_requests(TokenRequestKind::TenantInternal), 3);
}

#[tokio::test]
async fn app_internal_returns_app_and_tenant_tokens() {
    let fake = fake().await;
    let body = post_json(fake.addr(), APP_INTERNAL, creds(&fake))
        .await
        .json();
    assert_eq!(body["code"], 0);
    assert!(body["app_access_token"].as_str().unwrap().starts_with("a-"));
    let tenant = body["tenant_access_token"].as_str().unwrap();
    fake.add_resource(Resource::new("om_1", "f_1", ResourceKind::File, 10));
    let reply = get(&fake, &resource_path("om_1", "f_1", "file"), tenant, &[]).await;
    assert_eq!(reply.status, 200);
    // An app token is not a tenant token.
    let app = body["app_access_token"].as_str().unwrap();
    let reply = get(&fake, &resource_path("om_1", "f_1", "file"), app, &[]).await;
    assert_eq!(reply.json()["code"], codes::INVALID_TOKEN);
    assert_eq!(fake.token_requests(TokenRequestKind::AppInternal), 1);
}

#[tokio::test]
async fn store_flow_needs_an_issued_ticket_and_records_tenant() {
    let config = FakeConfig {
        app_type: FakeAppType::Store,
        ..FakeConfig::default()
    };
    let fake = FakeLark::start(config).await.unwrap();
    let mut req = creds(&fake);
    req["app_ticket"] = json!("made-up");
    let reply = post_json(fake.addr(), APP_STORE, req.clone()).await;
    assert_eq!(
        (reply.status, reply.json()["code"].clone()),
        (400, json!(10012))
    );
    assert_eq!(reply.json()["msg"], "app_ticket is invalid");

    req["app_ticket"] = json!(fake.issue_app_ticket());
    let body = post_json(fake.addr(), APP_STORE, req).await.json();
    assert_eq!(body["code"], 0);
    let app_token = body["app_access_token"].as_str().unwrap().to_owned();

    let mut tokens = Vec::new();
    for tenant in ["tenant_a", "tenant_b"] {
        let req = json!({ "app_access_token": app_token, "tenant_key": tenant });
        let body = post_json(fake.addr(), TENANT_STORE, req).await.json();
        assert_eq!(body["code"], 0, "{body}");
        tokens.push(body["tenant_access_token"].as_str().unwrap().to_owned());
    }
    assert_ne!(tokens[0], tokens[1]);
    let req = json!({ "app_access_token": "a-bogus", "tenant_key": "tenant_a" });
    let reply = post_json(fake.addr(), TENANT_STORE, req).await;
    assert_eq!(reply.json()["code"], codes::INVALID_APP_TOKEN);

    fake.add_resource(Resource::new("om_s", "f_s", ResourceKind::File, 5));
    let reply = get(
        &fake,
        &resource_path("om_s", "f_s", "file"),
        &tokens[1],
        &[],
    )
    .await;
    assert_eq!(reply.status, 200);
    let last = fake.requests_log().pop().unwrap();
    assert_eq!(last.tenant_key.as_deref(), Some("tenant_b"));
    assert_eq!(last.bearer.as_deref(), Some(tokens[1].as_str()));

    // Internal endpoints are for self-built apps.
    let reply = post_json(fake.addr(), TENANT_INTERNAL, creds(&fake)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(fake.token_requests(TokenRequestKind::AppStore), 2);
    assert_eq!(fake.token_requests(TokenRequestKind::TenantStore), 3);
}

#[tokio::test]
async fn ticket_resend_is_counted_and_custom_apps_get_10016() {
    let fake = fake().await;
    let reply = post_json(fake.addr(), RESEND, creds(&fake)).await;
    assert_eq!(
        (reply.status, reply.json()["code"].clone()),
        (400, json!(10016))
    );
    assert_eq!(fake.token_requests(TokenRequestKind::AppTicketResend), 1);

    let config = FakeConfig {
        app_type: FakeAppType::Store,
        ..FakeConfig::default()
    };
    let store = FakeLark::start(config).await.unwrap();
    assert_eq!(store.latest_app_ticket(), None);
    let body = post_json(store.addr(), RESEND, creds(&store)).await.json();
    assert_eq!(body, json!({ "code": 0, "msg": "ok" }));
    let ticket = store.latest_app_ticket().expect("resend pushes a ticket");
    let mut req = creds(&store);
    req["app_ticket"] = json!(ticket);
    assert_eq!(
        post_json(store.addr(), APP_STORE, req.clone()).await.json()["code"],
        0
    );
    store.revoke_app_tickets();
    assert_eq!(
        post_json(store.addr(), APP_STORE, req).await.json()["code"],
        10012
    );
}

#[tokio::test]
async fn missing_or_unknown_token_is_rejected() {
    let fake = fake().await;
    fake.add_resource(Resource::new("om_1", "f_1", ResourceKind::File, 10));
    let path = resource_path("om_1", "f_1", "file");
    for headers in [
        &[][..],
        &[("Authorization", "")],
        &[("Authorization", "Bearer ")],
    ] {
        let reply = call(fake.addr(), "GET", &path, headers, b"").await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.json()["code"], codes::MISSING_TOKEN);
    }
    let reply = get(&fake, &path, "t-unknown", &[]).await;
    assert_eq!(
        (reply.status, reply.json()["code"].clone()),
        (400, json!(99991663))
    );
    assert_eq!(
        reply.json()["msg"],
        "Invalid access token for authorization. Please make a request with token attached."
    );
    assert_eq!(fake.resource_requests(), 4);
}

#[tokio::test]
async fn revoked_and_expired_tokens_answer_99991663() {
    let config = FakeConfig {
        token_lifetime: Duration::from_millis(300),
        ..FakeConfig::default()
    };
    let fake = FakeLark::start(config).await.unwrap();
    fake.add_resource(Resource::new("om_1", "f_1", ResourceKind::File, 10));
    let path = resource_path("om_1", "f_1", "file");
    let token = tenant_token(&fake).await;
    assert_eq!(get(&fake, &path, &token, &[]).await.status, 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        get(&fake, &path, &token, &[]).await.json()["code"],
        99991663
    );

    let fake = super::fake().await;
    fake.add_resource(Resource::new("om_1", "f_1", ResourceKind::File, 10));
    let token = tenant_token(&fake).await;
    assert_eq!(get(&fake, &path, &token, &[]).await.status, 200);
    fake.revoke_tokens();
    assert_eq!(
        get(&fake, &path, &token, &[]).await.json()["code"],
        99991663
    );
    let fresh = tenant_token(&fake).await;
    assert_eq!(get(&fake, &path, &fresh, &[]).await.status, 200);
}

#[tokio::test]
async fn tokens_wear_out_after_n_uses() {
    let fake = fake().await;
    fake.add_resource(Resource::new("om_1", "f_1", ResourceKind::File, 10));
    fake.reject_tokens_after_uses(Some(2));
    let path = resource_path("om_1", "f_1", "file");
    let token = tenant_token(&fake).await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(get(&fake, &path, &token, &[]).await.status);
    }
    assert_eq!(seen, [200, 200, 400]);
    let fresh = tenant_token(&fake).await;
    assert_eq!(get(&fake, &path, &fresh, &[]).await.status, 200);
    fake.reject_tokens_after_uses(None);
    assert_eq!(get(&fake, &path, &token, &[]).await.status, 200);
}

#[tokio::test]
async fn token_endpoint_failures_are_scripted() {
    let fake = fake().await;
    fake.fail_next_token_requests(2, 503);
    for _ in 0..2 {
        let reply = post_json(fake.addr(), TENANT_INTERNAL, creds(&fake)).await;
        assert_eq!(reply.status, 503);
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some(JSON_CONTENT_TYPE)
        );
    }
    assert_eq!(
        post_json(fake.addr(), TENANT_INTERNAL, creds(&fake))
            .await
            .status,
        200
    );
    fake.fail_next_token_requests(1, 429);
    let reply = post_json(fake.addr(), APP_INTERNAL, creds(&fake)).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.json()["code"], codes::RATE_LIMITED);
    assert_eq!(reply.header("x-ogw-ratelimit-reset").as_deref(), Some("1"));
    fake.fail_next_token_requests(1, 502);
    let reply = post_json(fake.addr(), APP_INTERNAL, creds(&fake)).await;
    assert_eq!(reply.status, 502);
    assert!(reply
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(fake.token_requests(TokenRequestKind::TenantInternal), 3);
    assert_eq!(fake.token_requests(TokenRequestKind::AppInternal), 2);
}

#[test]
fn background_fake_serves_without_a_caller_runtime() {
    let fake = FakeLark::start_in_background(FakeConfig::default()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = rt.block_on(tenant_token(&fake));
    assert!(token.starts_with("t-"));
    assert_eq!(fake.token_requests(TokenRequestKind::TenantInternal), 1);
}

#[tokio::test]
async fn pre_issued_tickets_and_app_tokens_are_accepted_until_revoked() {
    let config = FakeConfig {
        app_type: FakeAppType::Store,
        extra_app_tickets: vec!["ticket_from_before".to_owned()],
        extra_app_tokens: vec!["a-from_before".to_owned()],
        ..FakeConfig::default()
    };
    let fake = FakeLark::start(config).await.unwrap();
    // Pre-issued, not pushed.
    assert_eq!(fake.latest_app_ticket(), None);
    let mut req = creds(&fake);
    req["app_ticket"] = json!("ticket_from_before");
    let body = post_json(fake.addr(), APP_STORE, req.clone()).await.json();
    assert_eq!(body["code"], 0);
    let issued = body["app_access_token"].as_str().unwrap().to_owned();
    for app_token in ["a-from_before", issued.as_str()] {
        let req = json!({ "app_access_token": app_token, "tenant_key": "tenant_1" });
        let body = post_json(fake.addr(), TENANT_STORE, req).await.json();
        assert_eq!(body["code"], 0, "{app_token}: {body}");
        assert!(body["tenant_access_token"]
            .as_str()
            .unwrap()
            .starts_with("t-"));
    }
    let unknown = json!({ "app_access_token": "a-unknown", "tenant_key": "tenant_1" });
    assert_eq!(
        post_json(fake.addr(), TENANT_STORE, unknown).await.json()["code"],
        codes::INVALID_APP_TOKEN
    );

    fake.revoke_app_tickets();
    assert_eq!(
        post_json(fake.addr(), APP_STORE, req).await.json()["code"],
        10012
    );
    fake.revoke_tokens();
    let req = json!({ "app_access_token": "a-from_before", "tenant_key": "tenant_1" });
    assert_eq!(
        post_json(fake.addr(), TENANT_STORE, req).await.json()["code"],
        codes::INVALID_APP_TOKEN
    );

    // None by default.
    let config = FakeConfig::default();
    assert!(config.extra_app_tickets.is_empty() && config.extra_app_tokens.is_empty());
}

#[tokio::test]
async fn token_answers_take_body_faults() {
    let fake = fake().await;
    let id = "auth.v3.tenant_access_token.internal";
    let body = creds(&fake).to_string();
    let headers = [("Content-Type", "application/json; charset=utf-8")];
    fake.push_endpoint_faults(id, [Fault::CutOff { after_bytes: 10 }]);
    let reply = call_keep(
        fake.addr(),
        "POST",
        TENANT_INTERNAL,
        &headers,
        body.as_bytes(),
        Keep::Body,
    )
    .await;
    let full: u64 = reply.header("content-length").unwrap().parse().unwrap();
    assert!(full > 10);
    assert_eq!(
        (reply.status, reply.received, reply.complete),
        (200, 10, false)
    );
    assert_eq!(reply.body, b"{\"code\":0,");

    fake.push_endpoint_faults(
        id,
        [Fault::Stall {
            after_bytes: 5,
            stall: Duration::from_millis(300),
        }],
    );
    let started = std::time::Instant::now();
    let reply = post_json(fake.addr(), TENANT_INTERNAL, creds(&fake)).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(reply.complete);
    assert!(reply.json()["tenant_access_token"]
        .as_str()
        .unwrap()
        .starts_with("t-"));

    // Errors are sent whole: a body fault waits for nothing and is spent.
    fake.push_endpoint_faults(id, [Fault::CutOff { after_bytes: 10 }]);
    let bad = json!({ "app_id": "cli_fake_app", "app_secret": "nope" });
    let reply = post_json(fake.addr(), TENANT_INTERNAL, bad).await;
    assert_eq!((reply.status, reply.complete), (400, true));
    assert_eq!(reply.json()["code"], codes::BAD_SECRET);
    assert_eq!(fake.pending_endpoint_faults(id), 0);
    assert_eq!(fake.requests_for(id).len(), 3);
}
