//! Token checks of the generic handler, by the token types each spec accepts.

use reqwest::Method;
use serde_json::json;

use super::http::{Answer, Api};
use super::toy;
use crate::fake::codes;

fn expect_code(answer: &Answer, code: i64) {
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (400, code),
        "{}",
        answer.json()
    );
}

#[tokio::test]
async fn token_types_follow_the_spec() {
    let (fake, _dir) = toy::start().await;
    let tenant = Api::tenant(&fake).await;
    let tenant_only = "/open-apis/toy/v1/widgets/w1?kind=big";
    let user_only = "/open-apis/toy/v1/widgets";
    let with = |t: Option<&str>| Api::with_token(&fake, t.map(str::to_owned));

    expect_code(&with(None).get(tenant_only).await, codes::MISSING_TOKEN);
    expect_code(
        &with(Some(" ")).get(tenant_only).await,
        codes::MISSING_TOKEN,
    );
    assert_eq!(tenant.get(tenant_only).await.status, 200);
    let answer = with(Some("u-someone")).get(tenant_only).await;
    expect_code(&answer, codes::INVALID_USER_TOKEN);
    assert!(
        answer.msg().contains("does not accept a user_access_token"),
        "{}",
        answer.msg()
    );
    let answer = tenant.get(user_only).await;
    expect_code(&answer, codes::INVALID_TOKEN);
    assert!(
        answer
            .msg()
            .contains("does not accept a tenant_access_token"),
        "{}",
        answer.msg()
    );
    assert_eq!(with(Some("u-someone")).get(user_only).await.status, 200);
    expect_code(
        &with(Some("t-unknown")).get(tenant_only).await,
        codes::INVALID_TOKEN,
    );
    expect_code(
        &with(Some("garbage")).get(tenant_only).await,
        codes::MALFORMED_TOKEN,
    );
    expect_code(
        &with(Some("garbage")).get(user_only).await,
        codes::MALFORMED_TOKEN,
    );

    // Both kinds where both are accepted.
    let body = json!({"name": "n", "size": 1, "color": "red", "spec": {"depth": 1}});
    assert_eq!(
        tenant
            .json(Method::POST, "/open-apis/toy/v1/widgets", &body)
            .await
            .status,
        200
    );
    let issued = fake.issue_user_token();
    assert!(issued.starts_with("u-"));
    let user = with(Some(&issued));
    assert_eq!(
        user.json(Method::POST, "/open-apis/toy/v1/widgets", &body)
            .await
            .status,
        200
    );

    // Revoked tokens.
    fake.revoke_tokens();
    expect_code(&user.get(user_only).await, codes::INVALID_USER_TOKEN);
    expect_code(&tenant.get(tenant_only).await, codes::INVALID_TOKEN);
    assert_eq!(with(Some("u-other")).get(user_only).await.status, 200);

    // An endpoint that takes no token needs none.
    let session = with(None)
        .json(
            Method::POST,
            "/open-apis/toy/v1/sessions",
            &json!({"app_id": "a"}),
        )
        .await;
    assert_eq!(session.status, 200);
    // Refused tokens are logged with the endpoint, like every attempt.
    assert_eq!(fake.requests_for("toy.v1.widget.get").len(), 7);
}

#[tokio::test]
async fn worn_out_tenant_tokens_are_refused_on_every_data_endpoint() {
    let (fake, _dir) = toy::start().await;
    let api = Api::tenant(&fake).await;
    fake.reject_tokens_after_uses(Some(1));
    assert_eq!(api.get("/open-apis/toy/v1/photos/p1").await.status, 200);
    expect_code(
        &api.get("/open-apis/toy/v1/photos/p1").await,
        codes::INVALID_TOKEN,
    );
}
