//! Spec error rows: loading, triggering, and the error envelope.

use serde_json::json;

use super::{fake, get, resource_path, tenant_token};
use crate::fake::{
    default_spec_dir, spec_error_rows, FakeConfig, FakeLark, Fault, Resource, ResourceKind,
    JSON_CONTENT_TYPE, MESSAGE_RESOURCE_ENDPOINT,
};

#[test]
fn spec_rows_are_read_from_the_workspace_spec() {
    let rows = spec_error_rows(&default_spec_dir());
    let own: Vec<_> = rows
        .iter()
        .filter(|r| r.endpoint_id == MESSAGE_RESOURCE_ENDPOINT)
        .collect();
    assert!(own.len() >= 13, "{own:?}");
    let row = own.iter().find(|r| r.code == 234002).unwrap();
    assert_eq!(
        (row.http_status, row.server_message.as_str()),
        (401, "Unauthorized.")
    );
    assert!(spec_error_rows(std::path::Path::new("/nonexistent/spec")).is_empty());
}

#[tokio::test]
async fn every_spec_row_is_triggerable_by_file_key() {
    let fake = fake().await;
    let token = tenant_token(&fake).await;
    let rows = fake.spec_errors();
    assert!(!rows.is_empty());
    for row in &rows {
        let key = format!("err_{}", row.code);
        let reply = get(&fake, &resource_path("om_any", &key, "file"), &token, &[]).await;
        // The endpoint's own row, else the first row with the code.
        let own = rows
            .iter()
            .find(|r| r.endpoint_id == MESSAGE_RESOURCE_ENDPOINT && r.code == row.code);
        let expected = own.unwrap_or_else(|| rows.iter().find(|r| r.code == row.code).unwrap());
        assert_eq!(reply.status, expected.http_status, "{row:?}");
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some(JSON_CONTENT_TYPE)
        );
        // Field order as the platform sends it: code, msg, error.
        let text = String::from_utf8_lossy(&reply.body);
        let prefix = format!("{{\"code\":{},\"msg\":", row.code);
        assert!(text.starts_with(&prefix), "{text}");
        assert!(text.contains(",\"error\":{\"log_id\":"), "{text}");
        let body = reply.json();
        assert_eq!(body["code"], row.code, "{row:?}");
        if !expected.server_message.is_empty() {
            assert_eq!(body["msg"], expected.server_message.as_str(), "{row:?}");
        } else {
            // No server message: the row's meaning.
            assert!(!body["msg"].as_str().unwrap().is_empty(), "{row:?}");
        }
        // The envelope's log id is the header's.
        let log_id = reply.header("x-tt-logid").unwrap();
        assert_eq!(body["error"]["log_id"], log_id.as_str());
        let troubleshooter = body["error"]["troubleshooter"].as_str().unwrap();
        assert!(troubleshooter.starts_with("https://open.feishu.cn/search?from=openapi&log_id="));
        assert!(troubleshooter.contains(&log_id));
        assert!(troubleshooter.contains(&format!("&code={}&method_id=", row.code)));
    }
}

#[tokio::test]
async fn every_spec_row_is_triggerable_as_a_fault() {
    let fake = fake().await;
    let token = tenant_token(&fake).await;
    let rows: Vec<_> = fake
        .spec_errors()
        .into_iter()
        .filter(|r| r.endpoint_id == MESSAGE_RESOURCE_ENDPOINT)
        .collect();
    let r = Resource::new("om_1", "f_err", ResourceKind::File, 10)
        .with_faults(rows.iter().map(|row| Fault::ErrorCode(row.code)));
    fake.add_resource(r);
    let path = resource_path("om_1", "f_err", "file");
    for row in &rows {
        let reply = get(&fake, &path, &token, &[]).await;
        assert_eq!(reply.status, row.http_status, "{row:?}");
        assert_eq!(reply.json()["code"], row.code, "{row:?}");
    }
    assert_eq!(get(&fake, &path, &token, &[]).await.status, 200);
}

#[tokio::test]
async fn a_row_added_to_a_spec_becomes_triggerable() {
    let dir = super::toy::write(false);
    let path = dir.path().join("toy/v1/widget/get.json");
    let mut spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    spec["errors"].as_array_mut().unwrap().push(json!({
        "http_status": 403, "code": 239999, "name": "brand_new", "server_message": "Brand new error.",
        "meaning": "New.", "advice": "None.", "retryable": false
    }));
    std::fs::write(&path, spec.to_string()).unwrap();
    let config = FakeConfig {
        spec_dir: dir.path().to_owned(),
        ..FakeConfig::default()
    };
    let fake = FakeLark::start(config).await.unwrap();
    assert!(fake.spec_errors().iter().any(|r| r.code == 239999));
    let token = tenant_token(&fake).await;
    // On its endpoint, by id.
    fake.push_endpoint_faults("toy.v1.widget.get", [Fault::ErrorCode(239999)]);
    let reply = get(&fake, "/open-apis/toy/v1/widgets/w1?kind=big", &token, &[]).await;
    assert_eq!(
        (reply.status, reply.json()["msg"].clone()),
        (403, json!("Brand new error."))
    );
    // On the message-resource endpoint, by file key (any spec's row).
    let reply = get(
        &fake,
        &resource_path("om_x", "err_239999", "image"),
        &token,
        &[],
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.json()["msg"], "Brand new error.");
    // Codes outside every table fall back to the platform list, then to 400.
    let reply = get(
        &fake,
        &resource_path("om_x", "err_99991672", "file"),
        &token,
        &[],
    )
    .await;
    assert_eq!(
        (reply.status, reply.json()["code"].clone()),
        (400, json!(99991672))
    );
    let reply = get(
        &fake,
        &resource_path("om_x", "err_1234", "file"),
        &token,
        &[],
    )
    .await;
    assert_eq!(
        (reply.status, reply.json()["code"].clone()),
        (400, json!(1234))
    );
}

#[tokio::test]
async fn rate_limit_code_by_file_key_uses_429_and_headers() {
    let fake = fake().await;
    let token = tenant_token(&fake).await;
    let reply = get(
        &fake,
        &resource_path("om_x", "err_99991400", "file"),
        &token,
        &[],
    )
    .await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("x-ogw-ratelimit-reset").as_deref(), Some("1"));
    assert_eq!(reply.json()["code"], 99991400);
}
