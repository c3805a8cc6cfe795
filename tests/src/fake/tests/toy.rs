//! A small spec tree of every shape the format holds (enums, integers, booleans, repeated
//! query keys, nested and mapped JSON fields, multipart, pagination unknown to the store,
//! user-only, flat and empty answers), written to a temporary directory.

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::fake::{FakeConfig, FakeLark};

fn row(status: u16, code: i64, name: &str, server: &str, retryable: bool) -> Value {
    json!({ "http_status": status, "code": code, "name": name, "server_message": server,
            "meaning": format!("The {name} meaning."), "advice": "Do something.", "retryable": retryable })
}

fn spec(id: &str, method: &str, path: &str, tokens: &[&str], extra: Value) -> Value {
    let mut s = json!({
        "id": id, "summary": "A toy endpoint.", "doc_url": "https://example.com/toy",
        "http_method": method, "path": path, "access_tokens": tokens, "app_types": ["custom"],
        "request_body": { "kind": "none" }, "response": { "kind": "empty" }, "errors": [],
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        s[k] = v;
    }
    s
}

fn types() -> Value {
    json!({ "types": {
        "Widget": { "description": "A widget.", "fields": [
            { "name": "widget_id", "type": "string", "required": true, "example": "wd_example" },
            { "name": "size", "type": "integer", "required": false, "example": "12" },
            { "name": "color", "type": "string", "required": false, "enum_type_name": "Color",
              "enum": [ { "value": "red", "description": "Red." }, { "value": "blue", "description": "Blue." } ] },
            { "name": "parts", "type": "array<object:Part>", "required": false },
            { "name": "labels", "type": "map<string>", "required": false },
            { "name": "extra", "type": "json", "required": false }
        ]},
        "Part": { "description": "A part.", "fields": [
            { "name": "name", "type": "string", "required": true },
            { "name": "weight", "type": "number", "required": false, "example": 1.5 }
        ]},
        "Spec": { "description": "A spec.", "fields": [
            { "name": "depth", "type": "integer", "required": true },
            { "name": "shiny", "type": "boolean", "required": false }
        ]}
    }})
}

/// The endpoint specs, by path below the spec directory.
fn endpoints() -> Vec<(&'static str, Value)> {
    let q = |name: &str, ty: &str, required: bool| json!({ "name": name, "type": ty, "required": required, "description": "A parameter." });
    let f = |name: &str, ty: &str, required: bool| json!({ "name": name, "type": ty, "required": required });
    let kinds = json!([ { "value": "big", "description": "Big." }, { "value": "small", "description": "Small." } ]);
    let mut kind = q("kind", "string", true);
    kind["enum"] = kinds;
    let mut tags = q("tags", "string", false);
    tags["repeated"] = json!(true);
    let path_param = |name: &str| json!([{ "name": name, "type": "string", "description": "An id.", "example": format!("{name}_example") }]);
    let mut color = f("color", "string", true);
    color["enum_type_name"] = json!("Color");
    color["enum"] = json!([ { "value": "red", "description": "Red." }, { "value": "blue", "description": "Blue." } ]);
    let mut photo = f("photo", "file", true);
    photo["max_bytes"] = json!(1024);
    vec![
        (
            "toy/v1/widget/get.json",
            spec(
                "toy.v1.widget.get",
                "GET",
                "/open-apis/toy/v1/widgets/:widget_id",
                &["tenant"],
                json!({
                    "path_params": path_param("widget_id"),
                    "query_params": [kind, q("limit", "integer", false), q("verbose", "boolean", false), tags],
                    "response": { "kind": "json", "data_fields": [ f("widget", "object:Widget", true) ] },
                    "invalid_request_code": 240001,
                    "errors": [ row(400, 240001, "invalid_param", "", false), row(400, 240404, "widget_gone", "The widget is gone.", false),
                                row(503, 240500, "busy", "", true) ],
                }),
            ),
        ),
        (
            "toy/v1/widget/create.json",
            spec(
                "toy.v1.widget.create",
                "POST",
                "/open-apis/toy/v1/widgets",
                &["tenant", "user"],
                json!({
                    "request_body": { "kind": "json", "fields": [ f("name", "string", true), f("size", "integer", true), color,
                        f("parts", "array<object:Part>", false), f("spec", "object:Spec", true), f("labels", "map<integer>", false) ] },
                    "response": { "kind": "json", "data_fields": [ f("widget_id", "string", true) ] },
                    "errors": [ row(400, 240002, "name_taken", "", false) ],
                }),
            ),
        ),
        (
            "toy/v1/widget/list.json",
            spec(
                "toy.v1.widget.list",
                "GET",
                "/open-apis/toy/v1/widgets",
                &["user"],
                json!({
                    "query_params": [ q("page_size", "integer", false), q("page_token", "string", false) ],
                    "response": { "kind": "json", "data_fields": [ f("items", "array<object:Widget>", false),
                        f("page_token", "string", false), f("has_more", "boolean", false) ] },
                    "pagination": { "request_token": "page_token", "request_size": "page_size", "response_token": "page_token",
                        "has_more": "has_more", "items": "items" },
                }),
            ),
        ),
        (
            "toy/v1/widget/delete.json",
            spec(
                "toy.v1.widget.delete",
                "DELETE",
                "/open-apis/toy/v1/widgets/:widget_id",
                &["tenant"],
                json!({
                    "path_params": path_param("widget_id"),
                }),
            ),
        ),
        (
            "toy/v1/photo/upload.json",
            spec(
                "toy.v1.photo.upload",
                "POST",
                "/open-apis/toy/v1/photos",
                &["tenant"],
                json!({
                    "request_body": { "kind": "multipart", "fields": [ f("caption", "string", true), f("rating", "integer", false), photo ] },
                    "response": { "kind": "json", "data_fields": [ f("photo_key", "string", true) ] },
                    "invalid_request_code": 240001,
                    "errors": [ row(400, 240001, "invalid_param", "", false), row(400, 240010, "empty_file", "The file is empty.", false),
                                row(400, 240006, "file_too_large", "", false) ],
                }),
            ),
        ),
        (
            "toy/v1/photo/download.json",
            spec(
                "toy.v1.photo.download",
                "GET",
                "/open-apis/toy/v1/photos/:photo_key",
                &["tenant"],
                json!({
                    "path_params": path_param("photo_key"),
                    "response": { "kind": "binary", "max_bytes": 1048576 },
                }),
            ),
        ),
        (
            "toy/v1/session/create.json",
            spec(
                "toy.v1.session.create",
                "POST",
                "/open-apis/toy/v1/sessions",
                &[],
                json!({
                    "request_body": { "kind": "json", "fields": [ f("app_id", "string", true) ] },
                    "response": { "kind": "flat", "fields": [ f("session_token", "string", true), f("expire", "integer", true) ] },
                }),
            ),
        ),
    ]
}

/// Writes the toy tree; `break_it` adds a spec with a problem.
pub fn write(break_it: bool) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = endpoints();
    files.push(("toy/v1/types.json", types()));
    if break_it {
        files.push((
            "toy/v1/gadget/get.json",
            json!({ "id": "toy.v1.gadget.get" }),
        ));
    }
    for (rel, doc) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
    }
    dir
}

/// A fake serving the toy tree (keep the directory alive as long as the fake).
pub async fn start() -> (FakeLark, TempDir) {
    let dir = write(false);
    let config = FakeConfig {
        spec_dir: dir.path().to_owned(),
        ..FakeConfig::default()
    };
    let fake = FakeLark::start(config)
        .await
        .unwrap_or_else(|e| panic!("toy fake: {e}"));
    (fake, dir)
}
