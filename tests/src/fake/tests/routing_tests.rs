//! Routing from the specs: every endpoint gets its method and path, unknown paths 404, a
//! broken spec directory stops the fake from starting.

use reqwest::Method;
use serde_json::json;

use super::http::Api;
use super::{fake, toy};
use crate::fake::{FakeConfig, FakeLark, MESSAGE_RESOURCE_ENDPOINT};

#[tokio::test]
async fn toy_endpoints_are_routed_from_their_specs() {
    let (fake, _dir) = toy::start().await;
    let api = Api::tenant(&fake).await;
    let user = Api::with_token(&fake, Some("u-someone".into()));
    let anonymous = Api::with_token(&fake, None);
    let cases = [
        (
            api.get("/open-apis/toy/v1/widgets/w1?kind=big").await,
            "toy.v1.widget.get",
        ),
        (
            api.json(
                Method::POST,
                "/open-apis/toy/v1/widgets",
                &json!({"name":"n","size":1,"color":"red","spec":{"depth":1}}),
            )
            .await,
            "toy.v1.widget.create",
        ),
        (
            user.get("/open-apis/toy/v1/widgets").await,
            "toy.v1.widget.list",
        ),
        (
            api.call(Method::DELETE, "/open-apis/toy/v1/widgets/w1")
                .await,
            "toy.v1.widget.delete",
        ),
        (
            api.get("/open-apis/toy/v1/photos/p1").await,
            "toy.v1.photo.download",
        ),
        (
            anonymous
                .json(
                    Method::POST,
                    "/open-apis/toy/v1/sessions",
                    &json!({"app_id":"a"}),
                )
                .await,
            "toy.v1.session.create",
        ),
    ];
    for (answer, id) in &cases {
        assert_eq!(
            answer.status,
            200,
            "{id}: {}",
            String::from_utf8_lossy(&answer.bytes)
        );
    }
    let log = fake.requests_log();
    let ids: Vec<_> = log.iter().filter_map(|r| r.endpoint_id.clone()).collect();
    let expected: Vec<_> = std::iter::once("auth.v3.tenant_access_token.internal")
        .chain(cases.iter().map(|(_, id)| *id))
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(fake.requests_for("toy.v1.widget.get").len(), 1);

    // Unknown paths and methods.
    let answer = api.get("/open-apis/toy/v1/nothing").await;
    assert_eq!(answer.status, 404);
    assert_eq!(fake.requests_log().last().unwrap().endpoint_id, None);
    assert_eq!(
        api.call(Method::PUT, "/open-apis/toy/v1/widgets/w1")
            .await
            .status,
        405
    );
    // The hand-written routes stay, whatever the specs hold.
    let answer = api
        .get("/open-apis/im/v1/messages/om_1/resources/f_1?type=file")
        .await;
    assert_eq!(answer.code(), 234003);
    let last = fake.requests_log().last().unwrap().clone();
    assert_eq!(last.endpoint_id.as_deref(), Some(MESSAGE_RESOURCE_ENDPOINT));
}

#[tokio::test]
async fn every_endpoint_of_the_workspace_specs_is_routed() {
    every_endpoint_is_routed(fake().await).await;
}

/// The generator's fixture of every spec shape is served too.
#[tokio::test]
async fn every_endpoint_of_the_shape_fixtures_is_routed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/shapes/spec");
    let config = FakeConfig {
        spec_dir: dir,
        ..FakeConfig::default()
    };
    every_endpoint_is_routed(FakeLark::start(config).await.unwrap()).await;
}

async fn every_endpoint_is_routed(fake: FakeLark) {
    let api = Api::tenant(&fake).await;
    let endpoints: Vec<_> = fake.model().endpoints.clone();
    assert!(endpoints.len() >= 3);
    for ep in &endpoints {
        let path: Vec<String> = ep
            .spec
            .path
            .split('/')
            .map(|s| {
                if s.starts_with(':') {
                    "x1".to_owned()
                } else {
                    s.to_owned()
                }
            })
            .collect();
        let method = Method::from_bytes(ep.spec.http_method.as_bytes()).unwrap();
        let answer = api.call(method, &path.join("/")).await;
        assert_ne!(answer.status, 404, "{}", ep.spec.id);
        let last = fake.requests_log().last().unwrap().clone();
        assert_eq!(
            last.endpoint_id.as_deref(),
            Some(ep.spec.id.as_str()),
            "{}",
            ep.spec.id
        );
    }
}

#[tokio::test]
async fn a_broken_spec_directory_fails_the_start_naming_the_problem() {
    let dir = toy::write(true);
    let config = FakeConfig {
        spec_dir: dir.path().to_owned(),
        ..FakeConfig::default()
    };
    let err = FakeLark::start(config).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("spec/toy/v1/gadget/get.json"), "{text}");
    assert!(text.contains("summary"), "{text}");

    let config = FakeConfig {
        spec_dir: "/nonexistent/spec".into(),
        ..FakeConfig::default()
    };
    let err = FakeLark::start(config).await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/spec"), "{err}");
}
