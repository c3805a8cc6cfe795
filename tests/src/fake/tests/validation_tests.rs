//! Validation against the spec: each rule answers the spec's invalid-request code (or a
//! named row) with a message naming the field.

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use super::http::{Answer, Api};
use super::toy;

const WIDGET: &str = "/open-apis/toy/v1/widgets";

fn expect_invalid(answer: &Answer, code: i64, msg: &str) {
    assert_eq!(
        answer.status,
        400,
        "{}",
        String::from_utf8_lossy(&answer.bytes)
    );
    assert_eq!(answer.code(), code, "{}", answer.json());
    assert_eq!(answer.msg(), format!("field validation failed: {msg}"));
    assert!(answer.header("x-tt-logid").is_some());
}

#[tokio::test]
async fn query_parameters_are_checked() {
    let (fake, _dir) = toy::start().await;
    let api = Api::tenant(&fake).await;
    let get = |q: &str| format!("{WIDGET}/w1{q}");
    expect_invalid(&api.get(&get("")).await, 240001, "query.kind is required");
    expect_invalid(
        &api.get(&get("?kind=")).await,
        240001,
        "query.kind is empty",
    );
    expect_invalid(
        &api.get(&get("?kind=huge")).await,
        240001,
        "query.kind: \"huge\" is not one of big, small",
    );
    expect_invalid(
        &api.get(&get("?kind=big&limit=ten")).await,
        240001,
        "query.limit: \"ten\" is not an integer",
    );
    expect_invalid(
        &api.get(&get("?kind=big&verbose=yes")).await,
        240001,
        "query.verbose: \"yes\" is not a boolean (true or false)",
    );
    expect_invalid(
        &api.get(&get("?kind=big&kind=small")).await,
        240001,
        "query.kind is given 2 times but takes one value",
    );
    let ok = api
        .get(&get(
            "?kind=small&limit=-3&verbose=true&tags=a&tags=b&unknown=1",
        ))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.json());
    // The message names the field; the row's status is used.
    assert_eq!(fake.requests_for("toy.v1.widget.get").len(), 7);
}

#[tokio::test]
async fn json_bodies_are_checked_recursively() {
    let (fake, _dir) = toy::start().await;
    let api = Api::tenant(&fake).await;
    let good = json!({ "name": "w", "size": "12", "color": "blue", "spec": { "depth": 2, "shiny": null },
        "parts": [ { "name": "a", "weight": 2 } ], "labels": { "x": 1, "y": "2" }, "whatever": [1] });
    let ok = api.json(Method::POST, WIDGET, &good).await;
    assert_eq!(ok.data()["widget_id"], "widget_id_fake_synth");
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("name", Value::Null), "body.name is required"),
        (
            with("size", json!("12x")),
            "body.size: expected an integer (a number or a decimal string), got a string",
        ),
        (
            with("size", json!(1.5)),
            "body.size: expected an integer (a number or a decimal string), got a number",
        ),
        (
            with("color", json!("green")),
            "body.color: \"green\" is not one of red, blue",
        ),
        (
            with("color", json!(7)),
            "body.color: expected a string, got a number",
        ),
        (with("spec", json!({})), "body.spec.depth is required"),
        (
            with("spec", json!([])),
            "body.spec: expected an object, got an array",
        ),
        (
            with("parts", json!([{ "name": "a" }, { "weight": 1 }])),
            "body.parts[1].name is required",
        ),
        (
            with("parts", json!([{ "name": "a", "weight": "heavy" }])),
            "body.parts[0].weight: expected a number, got a string",
        ),
        (
            with("labels", json!({ "x": true })),
            "body.labels.x: expected an integer (a number or a decimal string), got a boolean",
        ),
    ];
    for (body, msg) in cases {
        // No invalid_request_code in this spec: the platform-wide 99992402.
        expect_invalid(&api.json(Method::POST, WIDGET, &body).await, 99992402, msg);
    }
    let not_json = api
        .raw(Method::POST, WIDGET, "application/json", b"{nope".to_vec())
        .await;
    assert_eq!(not_json.code(), 99992402);
    assert!(
        not_json
            .msg()
            .starts_with("field validation failed: body: not valid JSON"),
        "{}",
        not_json.msg()
    );
    let array = api
        .raw(Method::POST, WIDGET, "application/json", b"[1]".to_vec())
        .await;
    expect_invalid(&array, 99992402, "body: expected a JSON object");
}

fn photo_form(caption: Option<&str>, rating: Option<&str>, photo: Option<Vec<u8>>) -> Form {
    let mut form = Form::new();
    if let Some(c) = caption {
        form = form.text("caption", c.to_owned());
    }
    if let Some(r) = rating {
        form = form.text("rating", r.to_owned());
    }
    if let Some(bytes) = photo {
        form = form.part("photo", Part::bytes(bytes).file_name("p.png"));
    }
    form.text("ignored", "x")
}

#[tokio::test]
async fn multipart_forms_are_checked_as_they_stream() {
    let (fake, _dir) = toy::start().await;
    let api = Api::tenant(&fake).await;
    let path = "/open-apis/toy/v1/photos";
    let ok = api
        .form(path, photo_form(Some("c"), Some("5"), Some(vec![1; 1024])))
        .await;
    assert_eq!(ok.data()["photo_key"], "photo_key_fake_synth");
    let cases = [
        (
            photo_form(None, None, Some(vec![1])),
            240001,
            "body.caption is required",
        ),
        (
            photo_form(Some("c"), Some("five"), Some(vec![1])),
            240001,
            "body.rating: \"five\" is not an integer",
        ),
        (
            photo_form(Some("c"), None, None),
            240001,
            "body.photo is required",
        ),
        (
            photo_form(Some("c"), None, Some(vec![])),
            240010,
            "body.photo is empty",
        ),
        (
            photo_form(Some("c"), None, Some(vec![1; 1025])),
            240006,
            "body.photo is 1025 bytes, over the limit of 1024",
        ),
    ];
    for (form, code, msg) in cases {
        expect_invalid(&api.form(path, form).await, code, msg);
    }
    // A part named like the file field is the file, with or without a file name.
    let unnamed = Form::new().text("caption", "c").text("photo", "bytes");
    assert_eq!(api.form(path, unnamed).await.status, 200);
    let json = api.json(Method::POST, path, &json!({"caption": "c"})).await;
    assert_eq!(json.code(), 240001);
    assert!(
        json.msg().contains("not a multipart/form-data body"),
        "{}",
        json.msg()
    );
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_while_it_streams() {
    let (fake, _dir) = toy::start().await;
    let api = Api::tenant(&fake).await;
    let junk = vec![0u8; crate::fake::MAX_REQUEST_BODY + 1];
    let form = Form::new()
        .text("caption", "c")
        .part("junk", Part::bytes(junk))
        .part("photo", Part::bytes(vec![1]).file_name("p.png"));
    let answer = api.form("/open-apis/toy/v1/photos", form).await;
    assert_eq!(answer.code(), 240006);
    assert!(
        answer.msg().contains("over the fake's limit"),
        "{}",
        answer.msg()
    );
}
