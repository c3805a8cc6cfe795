//! The example specs of `spec/README.md` ("Shapes of the IM v1 family") are valid, are the
//! shapes they claim to be, and are the same JSON as the fixtures in
//! `tests/fixtures/shapes/spec/`, so the documentation cannot drift from what the validator
//! accepts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lark_codegen::spec::{RequestBody, Response};
use lark_codegen::{LoadedSpec, Problem};

fn shapes_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/shapes")
}

fn readme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .join("spec/README.md")
}

/// One example per shape, by id.
const SHAPES: &[&str] = &[
    "im.v1.chat_members.delete",
    "im.v1.image.create",
    "im.v1.message.create",
    "im.v1.message.list",
    "im.v1.message.mget",
    "im.v1.message.search",
];

fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn load_shapes() -> BTreeMap<String, LoadedSpec> {
    let sources = lark_codegen::read_spec_dir(&shapes_root()).expect("fixtures/shapes/spec/");
    let specs = lark_codegen::parse_and_validate(&sources).unwrap_or_else(|problems| {
        panic!(
            "the shape examples must be valid specs:\n{}",
            render(&problems)
        )
    });
    specs
        .endpoints
        .into_iter()
        .map(|s| (s.spec.id.clone(), s))
        .collect()
}

#[test]
fn every_shape_example_is_a_valid_spec() {
    let specs = load_shapes();
    let ids: Vec<&str> = specs.keys().map(String::as_str).collect();
    assert_eq!(ids, SHAPES, "one fixture per shape, no more");
}

#[test]
fn each_example_has_the_shape_it_documents() {
    let specs = load_shapes();
    let spec = |id: &str| &specs[id].spec;

    // (a) JSON request and response bodies, with nested objects and arrays.
    let create = spec("im.v1.message.create");
    assert!(
        matches!(create.request_body, RequestBody::Json { .. }),
        "message.create: a JSON request body"
    );
    let Response::Json { data_fields } = &create.response else {
        panic!("message.create: a JSON response")
    };
    assert!(
        data_fields.iter().any(|f| f.ty.starts_with("object:")),
        "message.create: a nested object in data"
    );
    assert!(
        data_fields
            .iter()
            .any(|f| f.ty.starts_with("array<object:")),
        "message.create: an array of objects in data"
    );
    assert!(
        create.query_params[0].enum_values.is_some(),
        "message.create: receive_id_type is an enum"
    );

    // (b) a paginated list.
    let list = spec("im.v1.message.list");
    assert!(list.pagination.is_some(), "message.list: pagination");
    assert_eq!(list.http_method, "GET");

    // (c) a multipart upload with a 10 MB file part.
    let image = spec("im.v1.image.create");
    let RequestBody::Multipart { fields } = &image.request_body else {
        panic!("image.create: a multipart body")
    };
    assert!(
        fields
            .iter()
            .any(|f| f.ty == "file" && f.max_bytes == Some(10 * 1024 * 1024)),
        "image.create: a file part of at most 10 MB"
    );

    // (d) repeated query keys.
    let mget = spec("im.v1.message.mget");
    assert_eq!(mget.http_method, "GET");
    assert!(
        mget.query_params
            .iter()
            .any(|q| q.name == "message_ids" && q.repeated),
        "message.mget: message_ids is repeated"
    );

    // (e) DELETE with a JSON body.
    let delete = spec("im.v1.chat_members.delete");
    assert_eq!(delete.http_method, "DELETE");
    assert!(
        matches!(delete.request_body, RequestBody::Json { .. }),
        "chat_members.delete: a JSON body"
    );

    // (f) user token only.
    assert_eq!(spec("im.v1.message.search").access_tokens, ["user"]);
}

#[test]
fn the_generator_emits_every_shape() {
    let sources = lark_codegen::read_spec_dir(&shapes_root()).expect("fixtures/shapes/spec/");
    let files = lark_codegen::generate(&sources)
        .unwrap_or_else(|problems| panic!("every shape must generate:\n{}", render(&problems)));
    for id in SHAPES {
        let module = format!("sdk/src/generated/{}.rs", id.replace('.', "/"));
        assert!(
            files.iter().any(|f| f.path == module),
            "{id}: no {module} generated"
        );
    }
}

/// The ```json blocks of the "Shapes of the IM v1 family" section of spec/README.md.
fn readme_examples() -> Vec<serde_json::Value> {
    let readme = std::fs::read_to_string(readme_path()).expect("spec/README.md");
    let start = readme
        .find("\n## Shapes of the IM v1 family")
        .expect("spec/README.md has a \"## Shapes of the IM v1 family\" section");
    let section = &readme[start + 1..];
    let section = match section[3..].find("\n## ") {
        Some(end) => &section[..end + 3],
        None => section,
    };
    let mut examples = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() == "```json" {
            let mut block = String::new();
            for line in lines.by_ref() {
                if line.trim_end() == "```" {
                    break;
                }
                block.push_str(line);
                block.push('\n');
            }
            let value: serde_json::Value = serde_json::from_str(&block).unwrap_or_else(|e| {
                panic!("a json block of the shapes section does not parse: {e}\n{block}")
            });
            examples.push(value);
        }
    }
    examples
}

#[test]
fn readme_examples_are_the_fixture_files() {
    let examples = readme_examples();
    let mut ids = Vec::new();
    for example in &examples {
        let id = example["id"]
            .as_str()
            .expect("each example spec in the README has an id");
        ids.push(id.to_string());
        let path = shapes_root().join(format!("spec/{}.json", id.replace('.', "/")));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "README example `{id}` has no fixture {}: {e}",
                path.display()
            )
        });
        let fixture: serde_json::Value = serde_json::from_str(&text).expect("fixture parses");
        assert!(
            *example == fixture,
            "README example `{id}` differs from {}; copy one onto the other",
            path.display()
        );
    }
    ids.sort();
    assert_eq!(
        ids, SHAPES,
        "the README shows exactly one example per fixture"
    );
}
