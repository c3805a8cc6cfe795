//! Scripted faults on the message-resource endpoint.

use std::time::{Duration, Instant};

use super::client::{call_keep, Keep};
use super::{fake, get, resource_path, tenant_token};
use crate::fake::{
    codes, content_bytes, content_range_sha256, Fault, Resource, ResourceKind, JSON_CONTENT_TYPE,
};

#[tokio::test]
async fn cut_off_sends_fewer_bytes_than_content_length() {
    let fake = fake().await;
    let size = 1_000_000;
    let r = Resource::new("om_1", "f_cut", ResourceKind::File, size).with_fault(Fault::CutOff {
        after_bytes: 300_000,
    });
    fake.add_resource(r.clone());
    let token = tenant_token(&fake).await;
    let path = resource_path("om_1", "f_cut", "file");
    let reply = get(&fake, &path, &token, &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-length"), Some(size.to_string()));
    assert!(!reply.complete);
    assert_eq!(reply.received, 300_000);
    assert_eq!(reply.body, content_bytes(r.seed, 0, 300_000));

    // Resume with a range; the fault is used up.
    let reply = get(&fake, &path, &token, &[("Range", "bytes=300000-")]).await;
    assert_eq!(reply.status, 206);
    assert!(reply.complete);
    assert_eq!(
        reply.sha256,
        content_range_sha256(r.seed, 300_000, size - 300_000)
    );
    assert_eq!(fake.pending_faults("om_1", "f_cut"), 0);
}

#[tokio::test]
async fn cut_off_at_zero_bytes_sends_only_the_head() {
    let fake = fake().await;
    let r = Resource::new("om_1", "f_cut0", ResourceKind::File, 10)
        .with_fault(Fault::CutOff { after_bytes: 0 });
    fake.add_resource(r);
    let token = tenant_token(&fake).await;
    let reply = get(&fake, &resource_path("om_1", "f_cut0", "file"), &token, &[]).await;
    assert_eq!(
        (reply.status, reply.received, reply.complete),
        (200, 0, false)
    );
}

#[tokio::test]
async fn stall_pauses_then_completes() {
    let fake = fake().await;
    let r =
        Resource::new("om_1", "f_stall", ResourceKind::File, 200_000).with_fault(Fault::Stall {
            after_bytes: 1000,
            stall: Duration::from_millis(600),
        });
    fake.add_resource(r.clone());
    let token = tenant_token(&fake).await;
    let started = Instant::now();
    let reply = get(
        &fake,
        &resource_path("om_1", "f_stall", "file"),
        &token,
        &[],
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert!(reply.complete);
    assert_eq!(reply.body, content_bytes(r.seed, 0, 200_000));
}

#[tokio::test]
async fn faults_are_consumed_in_order_then_served_normally() {
    let fake = fake().await;
    let r = Resource::new("om_1", "f_seq", ResourceKind::File, 10).with_faults([
        Fault::Status5xx(500),
        Fault::Status5xx(502),
        Fault::TokenRejected,
        Fault::RateLimited400,
    ]);
    fake.add_resource(r);
    assert!(fake.push_faults("om_1", "f_seq", [Fault::HtmlError(503)]));
    let token = tenant_token(&fake).await;
    let path = resource_path("om_1", "f_seq", "file");

    let reply = get(&fake, &path, &token, &[]).await;
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some(JSON_CONTENT_TYPE)
    );
    assert_eq!(reply.json()["code"], 500);

    let reply = get(&fake, &path, &token, &[]).await;
    assert_eq!(reply.status, 502);
    assert!(reply
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));

    let reply = get(&fake, &path, &token, &[]).await;
    assert_eq!(
        (reply.status, reply.json()["code"].as_i64()),
        (400, Some(codes::INVALID_TOKEN))
    );

    let reply = get(&fake, &path, &token, &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["code"], codes::RATE_LIMITED);
    assert_eq!(reply.header("x-ogw-ratelimit-reset"), None);

    let reply = get(&fake, &path, &token, &[]).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("content-type").as_deref(), Some("text/html"));
    assert!(String::from_utf8_lossy(&reply.body).contains("<h1>503 Service Unavailable</h1>"));
    assert!(reply.header("x-tt-logid").is_some());

    assert_eq!(get(&fake, &path, &token, &[]).await.status, 200);
    assert_eq!(fake.resource_requests(), 6);
}

#[tokio::test]
async fn rate_limited_answers_429_with_ogw_headers() {
    let fake = fake().await;
    let r = Resource::new("om_1", "f_rl", ResourceKind::File, 10)
        .with_fault(Fault::RateLimited { reset_secs: 7 });
    fake.add_resource(r);
    let token = tenant_token(&fake).await;
    let reply = get(&fake, &resource_path("om_1", "f_rl", "file"), &token, &[]).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("x-ogw-ratelimit-reset").as_deref(), Some("7"));
    // From the spec's rate_limit.per_second.
    assert_eq!(reply.header("x-ogw-ratelimit-limit").as_deref(), Some("50"));
    let body = reply.json();
    assert_eq!(body["code"], 99991400);
    assert_eq!(body["msg"], "request trigger frequency limit");
}

#[tokio::test]
async fn delay_and_custom_faults() {
    let fake = fake().await;
    let r = Resource::new("om_1", "f_dc", ResourceKind::File, 10).with_faults([
        Fault::DelayHeaders(Duration::from_millis(400)),
        Fault::Custom {
            status: 200,
            content_type: None,
            body: b"surprise".to_vec(),
        },
    ]);
    fake.add_resource(r);
    let token = tenant_token(&fake).await;
    let path = resource_path("om_1", "f_dc", "file");
    let started = Instant::now();
    assert_eq!(get(&fake, &path, &token, &[]).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
    let reply = get(&fake, &path, &token, &[]).await;
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &b"surprise"[..])
    );
    assert_eq!(reply.header("content-type"), None);
}

#[tokio::test]
async fn dropping_the_fake_aborts_a_stalled_stream() {
    let fake = fake().await;
    let r = Resource::new("om_1", "f_hang", ResourceKind::File, 100_000).with_fault(Fault::Stall {
        after_bytes: 10,
        stall: Duration::from_secs(3600),
    });
    fake.add_resource(r);
    let token = tenant_token(&fake).await;
    let addr = fake.addr();
    let auth = format!("Bearer {token}");
    let path = resource_path("om_1", "f_hang", "file");
    let download = tokio::spawn(async move {
        let headers = [("Authorization", auth.as_str())];
        call_keep(addr, "GET", &path, &headers, b"", Keep::Body).await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(fake);
    let reply = tokio::time::timeout(Duration::from_secs(10), download)
        .await
        .expect("stream aborted on drop")
        .unwrap();
    assert_eq!((reply.received, reply.complete), (10, false));
}
