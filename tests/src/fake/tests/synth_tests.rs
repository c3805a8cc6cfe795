//! Synthesized answers: from the response model, deterministic, type-correct, with
//! synthesized listings of 3 pages of 2 items.

use lark_codegen::model::ResponseModel;
use reqwest::Method;
use serde_json::{json, Value};

use super::http::Api;
use super::{fake, toy};
use crate::fake::call::Call;
use crate::fake::outcome::Outcome;
use crate::fake::synth;
use crate::fake::validate::check_fields;

#[tokio::test]
async fn json_flat_empty_and_binary_answers() {
    let (fake, _dir) = toy::start().await;
    let api = Api::tenant(&fake).await;
    let answer = api.get("/open-apis/toy/v1/widgets/w1?kind=big").await;
    let body = answer.json();
    assert_eq!(
        (body["code"].clone(), body["msg"].clone()),
        (json!(0), json!("success"))
    );
    let expected = json!({ "widget": {
        "widget_id": "wd_example", "size": 12, "color": "red",
        "parts": [ { "name": "name_value", "weight": 1.5 } ], "labels": {}, "extra": {},
    }});
    assert_eq!(body["data"], expected);
    assert_eq!(
        api.get("/open-apis/toy/v1/widgets/w2?kind=small")
            .await
            .bytes,
        answer.bytes
    );

    let flat = Api::with_token(&fake, None)
        .json(
            Method::POST,
            "/open-apis/toy/v1/sessions",
            &json!({"app_id": "a"}),
        )
        .await
        .json();
    assert_eq!(
        flat,
        json!({ "code": 0, "msg": "success", "session_token": "session_token_value", "expire": 1 })
    );
    let empty = api
        .call(Method::DELETE, "/open-apis/toy/v1/widgets/w1")
        .await
        .json();
    assert_eq!(empty, json!({ "code": 0, "msg": "success" }));

    let binary = api.get("/open-apis/toy/v1/photos/p1").await;
    assert_eq!(
        binary.header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(binary.bytes.len(), 1024);
    let expected = fake
        .expected_download("/open-apis/toy/v1/photos/p1")
        .unwrap();
    assert_eq!(binary.bytes, expected);
    assert_ne!(
        fake.expected_download("/open-apis/toy/v1/photos/p2")
            .unwrap(),
        expected
    );
}

#[tokio::test]
async fn synthesized_listings_have_three_pages_of_two() {
    let (fake, _dir) = toy::start().await;
    let api = Api::with_token(&fake, Some("u-lister".into()));
    let mut token: Option<String> = None;
    let mut ids = Vec::new();
    for page in 1..=3 {
        let path = match &token {
            None => "/open-apis/toy/v1/widgets".to_owned(),
            Some(t) => format!("/open-apis/toy/v1/widgets?page_token={t}"),
        };
        let data = api.get(&path).await.data();
        let items = data["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        ids.extend(
            items
                .iter()
                .map(|i| i["widget_id"].as_str().unwrap().to_owned()),
        );
        assert_eq!(data["has_more"], page < 3);
        token = data["page_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        assert_eq!(token.is_some(), page < 3);
    }
    let expected: Vec<String> = (1..=6).map(|n| format!("wd_example_{n}")).collect();
    assert_eq!(ids, expected);
    let log = fake.requests_for("toy.v1.widget.list");
    let served: Vec<Value> = log
        .iter()
        .flat_map(|r| r.page_items.clone().unwrap())
        .collect();
    assert_eq!(served.len(), 6);
    let bad = api.get("/open-apis/toy/v1/widgets?page_token=nope").await;
    assert_eq!(bad.code(), 99992402);
    assert!(bad.msg().contains("page_token"), "{}", bad.msg());
}

/// Every JSON answer the synthesizer makes for the workspace's specs fits its model.
#[tokio::test]
async fn synthesized_answers_of_every_spec_type_check() {
    let fake = fake().await;
    let model = fake.model();
    for ep in &model.endpoints {
        let v = model.version_of(ep);
        let fields = match &ep.response {
            ResponseModel::Json(f) | ResponseModel::Flat(f) => f,
            _ => continue,
        };
        let Outcome::Json(data) = synth::answer(ep, v, &Call::default()) else {
            panic!("{}: not a JSON answer", ep.spec.id);
        };
        let fitted = synth::fit(fields, &data, v, 0);
        assert_eq!(
            fitted, data,
            "{}: the synthesized answer is already in shape",
            ep.spec.id
        );
        check_fields(&fitted, fields, "data", v).unwrap_or_else(|e| panic!("{}: {e}", ep.spec.id));
        for (name, def) in &v.structs {
            let object = synth::object_of(&def.fields, v, 0);
            check_fields(&object, &def.fields, name, v).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn fitting_converts_and_fills() {
    let dir = toy::write(false);
    let sources: Vec<_> = walk(dir.path());
    let model = lark_codegen::build_model(&sources).unwrap();
    let ep = model.endpoint("toy.v1.widget.get").unwrap();
    let v = model.version_of(ep);
    let fields = ep.response.fields();
    let candidates = json!({ "widget": { "size": "7", "color": "purple", "parts": [{ "weight": "2.5" }], "junk": 1 }, "junk": 2 });
    let fitted = synth::fit(fields, candidates.as_object().unwrap(), v, 0);
    assert_eq!(
        Value::Object(fitted.clone()),
        json!({ "widget": { "widget_id": "wd_example", "size": "7", "color": "red", "parts": [{ "name": "name_value", "weight": 2.5 }] } })
    );
    check_fields(&fitted, fields, "data", v).unwrap();
}

fn walk(dir: &std::path::Path) -> Vec<lark_codegen::SpecSource> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(lark_codegen::SpecSource {
                    path: format!("spec/{rel}"),
                    text: std::fs::read_to_string(&path).unwrap(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
