//! The harness over the SDK against the workspace specs, as the generated tests use it.

use lark_codegen::model::BodyModel;
use lark_openapi::auth::v3::app_ticket::ResendAppTicketBody;
use lark_openapi::auth::v3::tenant_access_token::{
    CreateTenantAccessTokenBody, InternalTenantAccessTokenBody,
};
use lark_openapi::im::v1::ResourceType;

use crate::fake::{FakeAppType, TokenRequestKind};
use crate::harness::{self, app_type_for, Harness, SpecCredentials};

#[tokio::test]
async fn a_json_endpoint_runs_through_every_case() {
    let h = Harness::start().await;
    let client = h.client().clone();
    let call = move || {
        let client = client.clone();
        async move {
            client
                .im()
                .v1()
                .message()
                .get("om_dc13264520392913993dd051dba21dcf")
                .send()
                .await
        }
    };
    let report = harness::exercise(&h, "im.v1.message.get", call).await;
    let rows = h
        .model()
        .endpoint("im.v1.message.get")
        .unwrap()
        .spec
        .errors
        .len();
    // success, token, rows, 503, 429, 99991400, unlisted, cut-off, stall.
    assert_eq!(report.cases.len(), 2 + rows + 3 + 1 + 2, "{report:?}");
    let client = h.client().clone();
    let call = move || {
        let client = client.clone();
        async move {
            client
                .im()
                .v1()
                .message()
                .get("om_dc13264520392913993dd051dba21dcf")
                .user_access_token("u-harness")
                .send()
                .await
        }
    };
    harness::exercise_as_user(&h, "im.v1.message.get", call).await;
}

#[tokio::test]
async fn a_download_and_a_listing() {
    let h = Harness::start().await;
    let client = h.client().clone();
    let call = move || {
        let client = client.clone();
        async move {
            client
                .im()
                .v1()
                .message_resource()
                .get(
                    "om_dc13264520392913993dd051dba21dcf",
                    "file_456a92d6-c6ea-4de4-ac3f-7afcf44ac78g",
                    ResourceType::Image,
                )
                .send()
                .await
        }
    };
    let report = harness::exercise_download(&h, "im.v1.message_resource.get", call).await;
    assert!(
        report.cases.contains(&"cut-off body".to_owned()),
        "{report:?}"
    );
    let client = h.client().clone();
    let items = move || {
        client
            .im()
            .v1()
            .message()
            .list(
                "oc_234jsi43d3ssi993d43545f",
                lark_openapi::im::v1::ContainerIdType::Chat,
            )
            .items()
    };
    let report = harness::exercise_pages(&h, "im.v1.message.list", items).await;
    assert_eq!(report.cases, ["every page", "page token served twice"]);
}

#[tokio::test]
#[should_panic(expected = "im.v1.message.get: case `success`")]
async fn a_failing_case_names_the_endpoint_and_the_case() {
    let h = Harness::start().await;
    let client = h.client().clone();
    let call = move || {
        let client = client.clone();
        async move { client.im().v1().message().get("om_not_there").send().await }
    };
    harness::exercise(&h, "im.v1.message.get", call).await;
}

/// The cases `exercise` runs for an endpoint that takes no access token: no token
/// rejection, every error row once (none is retried or replayed), the retried faults.
fn cases_without_a_token(h: &Harness, id: &str) -> Vec<String> {
    let ep = h.model().endpoint(id).unwrap();
    let mut cases = vec!["success".to_owned()];
    cases.extend(
        ep.errors
            .iter()
            .map(|row| format!("error row {} ({})", row.code, row.name)),
    );
    cases.extend(
        [
            "HTTP 503",
            "HTTP 429",
            "99991400 with HTTP 200",
            "unlisted code 1",
            "cut-off body",
            "stalled body",
        ]
        .map(str::to_owned),
    );
    cases
}

#[tokio::test]
async fn an_auth_endpoint_runs_with_the_spec_credentials() {
    let id = "auth.v3.tenant_access_token.internal";
    let h = Harness::for_endpoint(id).await;
    assert_eq!(h.app_type(), FakeAppType::Custom);
    let creds = h.credentials();
    let (app_id, app_secret) = (
        creds.app_id.clone().unwrap(),
        creds.app_secret.clone().unwrap(),
    );
    assert_eq!(h.fake().config().app_id, app_id);
    let client = h.client().clone();
    let call = move || {
        let client = client.clone();
        let body = InternalTenantAccessTokenBody::new(app_id.clone(), app_secret.clone());
        async move {
            client
                .auth()
                .v3()
                .tenant_access_token()
                .internal(body)
                .send()
                .await
        }
    };
    let report = harness::exercise(&h, id, call).await;
    assert_eq!(report.cases, cases_without_a_token(&h, id));
    assert!(h.fake().token_requests(TokenRequestKind::TenantInternal) >= report.cases.len());
}

#[tokio::test]
async fn a_store_only_endpoint_runs_as_a_store_app() {
    let id = "auth.v3.tenant_access_token.create";
    let h = Harness::for_endpoint(id).await;
    assert_eq!(h.app_type(), FakeAppType::Store);
    assert_eq!(
        app_type_for(h.model().endpoint(id).unwrap()),
        FakeAppType::Store
    );
    let creds = h.credentials();
    let app_token = creds.app_access_tokens[0].clone();
    let tenant_key = creds.tenant_keys[0].clone();
    let client = h.client().clone();
    let call = move || {
        let client = client.clone();
        let body = CreateTenantAccessTokenBody::new(tenant_key.clone(), app_token.clone());
        async move {
            client
                .auth()
                .v3()
                .tenant_access_token()
                .create(body)
                .send()
                .await
        }
    };
    let report = harness::exercise(&h, id, call).await;
    assert_eq!(report.cases, cases_without_a_token(&h, id));
    let served = h.fake().requests_for(id);
    assert!(served.iter().all(|r| r.bearer.is_none()), "{served:?}");
}

#[tokio::test]
#[should_panic(expected = "start it with Harness::for_endpoint(\"auth.v3.app_ticket.resend\")")]
async fn a_store_only_endpoint_is_refused_on_a_custom_app() {
    let h = Harness::start().await;
    let client = h.client().clone();
    let call = move || {
        let client = client.clone();
        async move {
            client
                .auth()
                .v3()
                .app_ticket()
                .resend(ResendAppTicketBody::new("cli_x", "secret"))
                .send()
                .await
        }
    };
    harness::exercise(&h, "auth.v3.app_ticket.resend", call).await;
}

#[test]
fn the_credentials_are_every_auth_example_and_one_app() {
    let model = crate::fake::load_model(&crate::fake::default_spec_dir()).unwrap();
    let creds = SpecCredentials::from_model(&model).unwrap();
    let mut seen = 0;
    for ep in model.endpoints.iter().filter(|ep| ep.needs_no_token()) {
        for f in ep.body.fields() {
            let Some(example) = f.example.as_ref().and_then(|e| e.as_str()) else {
                continue;
            };
            let found = match f.wire.as_str() {
                "app_id" => creds.app_id.as_deref() == Some(example),
                "app_secret" => creds.app_secret.as_deref() == Some(example),
                "app_ticket" => creds.app_tickets.iter().any(|t| t == example),
                "app_access_token" => creds.app_access_tokens.iter().any(|t| t == example),
                "tenant_key" => creds.tenant_keys.iter().any(|t| t == example),
                _ => continue,
            };
            assert!(
                found,
                "{}: {} = {example:?} is not in {creds:?}",
                ep.spec.id, f.wire
            );
            seen += 1;
        }
    }
    assert!(seen > 0, "the workspace has auth endpoints with examples");
    let config = creds.fake_config(FakeAppType::Store);
    assert_eq!(Some(&config.app_id), creds.app_id.as_ref());
    assert_eq!(config.extra_app_tickets, creds.app_tickets);
    assert_eq!(config.extra_app_tokens, creds.app_access_tokens);
    assert_eq!(config.app_type, FakeAppType::Store);

    // Two apps in the examples: the fake serves one, so it is an error naming both.
    let mut broken = model.clone();
    let ep = broken
        .endpoints
        .iter_mut()
        .find(|ep| ep.body.fields().iter().any(|f| f.wire == "app_id"))
        .unwrap();
    let id = ep.spec.id.clone();
    if let BodyModel::Json(fields) | BodyModel::Multipart(fields) = &mut ep.body {
        for f in fields.iter_mut().filter(|f| f.wire == "app_id") {
            f.example = Some(serde_json::json!("cli_another_app"));
        }
    }
    let e = SpecCredentials::from_model(&broken).unwrap_err();
    assert!(
        e.contains("2 example `app_id`s") && e.contains(&format!("{id}: \"cli_another_app\"")),
        "{e}"
    );
}
