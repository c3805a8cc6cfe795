//! Tokens over real HTTP: one fetch for many cold requests, replacement of a rejected token
//! with exactly one replay, and the store-app chain per tenant_key.

use crate::support;

use lark_openapi::auth::{AppType, TokenErrorKind};
use lark_openapi::{Error, RequestOptions};
use lark_tests::{FakeAppType, FakeConfig, FakeLark, Fault, TokenRequestKind};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_cold_downloads_make_one_token_request() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_small", 1024);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { get(&client, "file_small").await?.collect(1 << 20).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().len(), 1024);
    }
    assert_eq!(fake.token_requests(TokenRequestKind::TenantInternal), 1);
    assert_eq!(fake.resource_requests(), 100);
}

#[tokio::test]
async fn rejected_token_is_replaced_once_and_the_request_replayed() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_t", 100);
    fake.reject_tokens_after_uses(Some(2));
    for _ in 0..5 {
        let bytes = get(&client, "file_t")
            .await
            .unwrap()
            .collect(1000)
            .await
            .unwrap();
        assert_eq!(bytes.len(), 100);
    }
    // Uses 1-2 on token A, 3 rejected → token B for 3-4, 5 rejected → token C.
    assert_eq!(fake.token_requests(TokenRequestKind::TenantInternal), 3);
    let log = fake.requests_log();
    let resource: Vec<_> = log
        .iter()
        .filter(|r| r.path_and_query.starts_with("/open-apis/im/"))
        .collect();
    assert_eq!(resource.len(), 7, "5 downloads + 2 replays");
    let rejected: Vec<_> = resource.iter().filter(|r| r.status == 400).collect();
    assert_eq!(rejected.len(), 2);
    // The replay carries a new token, never the rejected one.
    for (i, r) in resource.iter().enumerate() {
        if r.status == 400 {
            assert_ne!(
                resource[i + 1].bearer,
                r.bearer,
                "replayed with the stale token"
            );
            assert_eq!(resource[i + 1].status, 200);
        }
    }
}

#[tokio::test]
async fn a_token_rejected_again_after_the_replay_is_reported_not_looped() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_r", 10);
    fake.push_faults(
        MESSAGE,
        "file_r",
        [Fault::TokenRejected, Fault::TokenRejected],
    );
    let err = get(&client, "file_r").await.unwrap_err();
    assert_eq!(err.code_number(), Some(99991663));
    assert_eq!(
        fake.resource_requests(),
        2,
        "one request and exactly one replay"
    );
    assert_eq!(fake.token_requests(TokenRequestKind::TenantInternal), 2);
}

#[tokio::test]
async fn explicit_token_is_sent_as_is_and_not_replaced() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_e", 10);
    let err = request(&client, "file_e")
        .options(RequestOptions::new().access_token("t-not-issued"))
        .await
        .unwrap_err();
    assert_eq!(err.code_number(), Some(99991663));
    assert_eq!(fake.token_requests(TokenRequestKind::TenantInternal), 0);
    assert_eq!(
        fake.requests_log()[0].bearer.as_deref(),
        Some("t-not-issued")
    );
}

#[tokio::test]
async fn wrong_app_secret_is_a_token_error_with_the_auth_code() {
    let fake = fake().await;
    let client = lark_openapi::Client::builder("cli_fake_app", "wrong secret")
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let err = get(&client, "anything").await.unwrap_err();
    let Error::Token(token) = &err else {
        panic!("expected a token error, got {err:?}")
    };
    assert!(
        matches!(token.kind(), TokenErrorKind::Rejected { .. }),
        "{token:?}"
    );
    assert!(err.code_number().is_some());
    assert!(
        !format!("{err} {err:?}").contains("wrong secret"),
        "secret leaked"
    );
    assert_eq!(fake.resource_requests(), 0);
}

async fn store_fake() -> FakeLark {
    FakeLark::start(FakeConfig {
        app_type: FakeAppType::Store,
        ..FakeConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn store_app_chain_per_tenant_key() {
    let fake = store_fake().await;
    let client = builder(&fake).app_type(AppType::Store).build().unwrap();
    file(&fake, "file_s", 10);
    client.set_app_ticket(fake.issue_app_ticket());
    for tenant in ["tenant_a", "tenant_b", "tenant_a"] {
        let d = get_for_tenant(&client, "file_s", tenant).await.unwrap();
        assert_eq!(d.collect(100).await.unwrap().len(), 10);
    }
    assert_eq!(fake.token_requests(TokenRequestKind::AppStore), 1);
    assert_eq!(fake.token_requests(TokenRequestKind::TenantStore), 2);
    let tenants: Vec<_> = fake
        .requests_log()
        .into_iter()
        .filter(|r| r.path_and_query.starts_with("/open-apis/im/"))
        .map(|r| r.tenant_key)
        .collect();
    assert_eq!(
        tenants,
        [
            Some("tenant_a".into()),
            Some("tenant_b".into()),
            Some("tenant_a".into())
        ]
    );
}

#[tokio::test]
async fn store_app_without_ticket_asks_for_a_resend() {
    let fake = store_fake().await;
    let client = builder(&fake).app_type(AppType::Store).build().unwrap();
    let err = get_for_tenant(&client, "file_s", "tenant_a")
        .await
        .unwrap_err();
    let Error::Token(token) = &err else {
        panic!("expected a token error, got {err:?}")
    };
    assert!(
        matches!(token.kind(), TokenErrorKind::AppTicketMissing),
        "{token:?}"
    );
    assert_eq!(fake.token_requests(TokenRequestKind::AppTicketResend), 1);
    // Once the pushed ticket is handed over, it works.
    client.set_app_ticket(fake.latest_app_ticket().expect("resend pushed a ticket"));
    file(&fake, "file_s", 10);
    let d = get_for_tenant(&client, "file_s", "tenant_a").await.unwrap();
    assert_eq!(d.collect(100).await.unwrap().len(), 10);
}
