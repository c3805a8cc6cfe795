//! The harness over the SDK against the workspace specs, as the generated tests use it.

use lark_openapi::im::v1::ResourceType;

use crate::harness::{self, Harness};

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
            .list("chat", "oc_234jsi43d3ssi993d43545f")
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
