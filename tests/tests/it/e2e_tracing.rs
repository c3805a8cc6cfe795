//! Instrumentation: every request gets a `lark.request` span with the endpoint id, attempt,
//! status and log id, and nothing the SDK logs carries a secret, a token or a header value.

use crate::support;

use lark_openapi::RequestOptions;
use lark_tests::harness::logs::CapturedLogs;
use lark_tests::{Fault, TokenRequestKind};
use support::*;

#[tokio::test]
async fn spans_carry_endpoint_attempt_status_and_log_id_but_no_secret() {
    let (captured, _guard) = CapturedLogs::install(tracing::Level::TRACE);

    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_log", 100);
    // A rejected token (replay) and a 5xx (retry) make the SDK say more than usual.
    fake.push_faults(
        MESSAGE,
        "file_log",
        [Fault::TokenRejected, Fault::Status5xx(503)],
    );
    let d = get(&client, "file_log").await.unwrap();
    d.collect(1000).await.unwrap();
    let explicit = "t-explicit-token-value";
    let _ = client
        .im()
        .v1()
        .message_resource()
        .get(
            MESSAGE,
            "file_log",
            lark_openapi::im::v1::ResourceType::File,
        )
        .options(
            RequestOptions::new()
                .access_token(explicit)
                .header("x-custom", "header-secret-value"),
        )
        .await;

    let text = captured.text();
    assert!(text.contains("lark.request"), "{text}");
    assert!(text.contains("im.v1.message_resource.get"), "{text}");
    assert!(
        text.contains("attempt=2"),
        "the retry is a second attempt: {text}"
    );
    assert!(
        text.contains("status=200") && text.contains("status=503"),
        "{text}"
    );
    let log_ids: Vec<String> = fake.requests_log().into_iter().map(|r| r.log_id).collect();
    assert!(
        log_ids.iter().any(|id| text.contains(id.as_str())),
        "{text}"
    );

    let mut secrets = vec![
        fake.config().app_secret.clone(),
        explicit.to_string(),
        "header-secret-value".to_string(),
    ];
    secrets.extend(fake.requests_log().into_iter().filter_map(|r| r.bearer));
    assert!(fake.token_requests(TokenRequestKind::TenantInternal) >= 2);
    for secret in secrets {
        assert!(
            !text.contains(&secret),
            "`{secret}` appears in the logs:\n{text}"
        );
    }
}
