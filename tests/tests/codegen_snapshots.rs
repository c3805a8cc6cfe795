//! Golden files of the generator, one per shape, and the generator's determinism.
//!
//! The generator runs in memory over the shape fixtures (`tests/fixtures/shapes/spec/`: one
//! endpoint of each shape the generator knows); every file it produces is compared with
//! `tests/tests/snapshots/codegen_snapshots__shapes__<path>.snap`, so a generator change shows
//! up as a reviewable diff that grows with shapes, not with endpoints. The real generated
//! tree under `sdk/src/generated/` is checked in and guarded by `cargo xtask gen --check` and
//! the `generated_up_to_date` test, not by a second copy here.
//!
//! After an intended change: `cargo xtask gen`, then `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test -p lark-tests --test codegen_snapshots` and review the
//! diff of `tests/tests/snapshots/`), then commit generator, generated code and snapshots together.

use std::path::{Path, PathBuf};

use lark_codegen::{GeneratedFile, SpecSource, GENERATED_DIR};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn real_sources() -> Vec<SpecSource> {
    let root = workspace_root();
    let sources = lark_codegen::read_spec_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.join("spec").display()));
    assert!(!sources.is_empty(), "no spec under spec/");
    sources
}

fn generate(sources: &[SpecSource]) -> Vec<GeneratedFile> {
    lark_codegen::generate(sources).unwrap_or_else(|problems| {
        panic!(
            "the specs do not generate:\n{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// `sdk/src/generated/im/v1/message_resource/get.rs` -> `im__v1__message_resource__get.rs`;
/// a file elsewhere (the generated end-to-end cases) keeps its whole path.
fn snapshot_name(path: &str) -> String {
    let rel = path
        .strip_prefix(GENERATED_DIR)
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or(path);
    rel.replace(['/', '#'], "__")
}

fn shape_sources() -> Vec<SpecSource> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/shapes");
    lark_codegen::read_spec_dir(&dir).expect("fixtures/shapes/spec/")
}

/// Every shape of the IM v1 family (JSON bodies with nested types, pagination, multipart,
/// repeated query keys, DELETE with a body, user-token-only) generates, and its output is
/// a golden file: `snapshots/codegen_snapshots__shapes__<path>.snap`.
#[test]
fn shape_fixtures_generate_and_match_snapshots() {
    for file in generate(&shape_sources()) {
        let name = format!("shapes__{}", snapshot_name(&file.path));
        insta::with_settings!({
            description => format!("{} as generated from tests/fixtures/shapes/spec/", file.path),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name.as_str(), file.contents);
        });
    }
}

/// A golden file whose shape no longer generates it would linger unnoticed; refuse it.
#[test]
fn no_snapshot_of_a_file_that_is_no_longer_generated() {
    let generated: Vec<String> = generate(&shape_sources())
        .iter()
        .map(|f| format!("codegen_snapshots__shapes__{}.snap", snapshot_name(&f.path)))
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return; // no snapshot yet: shape_fixtures_generate_and_match_snapshots creates them
    };
    let mut orphans = Vec::new();
    for entry in entries {
        let name = entry
            .expect("directory entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.starts_with("codegen_snapshots__")
            && name.ends_with(".snap")
            && !generated.contains(&name)
        {
            orphans.push(name);
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots of files the generator no longer produces; delete them from \
         tests/tests/snapshots/:\n  {}",
        orphans.join("\n  ")
    );
}

/// Extra sources that the generator supports (copies of the real download spec under other
/// ids), so that ordering is exercised across resources and services, not on one file.
fn sources_for_ordering() -> Vec<SpecSource> {
    let mut sources = real_sources();
    let base = sources
        .iter()
        .find(|s| s.path == "spec/im/v1/message_resource/get.json")
        .expect("the message_resource download spec")
        .clone();
    // The copies in im v1 share the one `ResourceType` (one enum per concept per version).
    let variant = |id: &str| {
        let text = base.text.replacen(
            "\"id\": \"im.v1.message_resource.get\"",
            &format!("\"id\": \"{id}\""),
            1,
        );
        assert_ne!(text, base.text, "the copy must differ from the original");
        SpecSource {
            path: format!("spec/{}.json", id.replace('.', "/")),
            text,
        }
    };
    sources.push(variant("im.v1.message_resource.fetch"));
    sources.push(variant("aaa.v2.file.get"));
    // The copied rows take their prose from the service version's error catalogue.
    let catalogue = sources
        .iter()
        .find(|s| s.path == "spec/im/v1/errors.json")
        .expect("the im v1 error catalogue")
        .clone();
    sources.push(SpecSource {
        path: "spec/aaa/v2/errors.json".into(),
        text: catalogue.text,
    });
    sources.push(variant("im.v1.aaa_resource.get"));
    sources
}

#[test]
fn generation_is_deterministic() {
    let real = real_sources();
    let first = generate(&real);
    let second = generate(&real);
    assert_eq!(first, second, "two runs over the same specs differ");

    let forward = sources_for_ordering();
    let mut reversed = forward.clone();
    reversed.reverse();
    let mut rotated = forward.clone();
    rotated.rotate_left(1);
    let expected = generate(&forward);
    assert!(
        expected.len() > first.len(),
        "the extra sources should add files"
    );
    for (what, sources) in [("reversed", &reversed), ("rotated", &rotated)] {
        let got = generate(sources);
        let paths =
            |files: &[GeneratedFile]| files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(
            paths(&got),
            paths(&expected),
            "{what} sources: files in another order"
        );
        for (a, b) in got.iter().zip(&expected) {
            assert!(
                a.contents == b.contents,
                "{what} sources: {} has other bytes",
                a.path
            );
        }
    }
    // The real files are the same whatever else is generated next to them, apart from the
    // module files that list their children.
    let endpoint = |files: &[GeneratedFile]| {
        files
            .iter()
            .find(|f| f.path.ends_with("/message_resource/get.rs"))
            .cloned()
            .expect("the download endpoint module")
    };
    assert_eq!(endpoint(&first), endpoint(&expected));
}

#[test]
fn generated_enums_parse_their_wire_values() {
    use lark_openapi::im::v1::ResourceType;
    assert_eq!("image".parse::<ResourceType>(), Ok(ResourceType::Image));
    assert_eq!(
        "file".parse::<ResourceType>().map(|t| t.to_string()),
        Ok("file".into())
    );
    let err = "audio".parse::<ResourceType>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "`audio` is not a valid `ResourceType`; expected one of: image, file"
    );
}

/// Every event spec's `example` decodes into its generated type, and the type serializes
/// back to the same JSON (the fake server pushes these examples).
#[test]
fn event_examples_decode_into_their_generated_types() {
    use lark_openapi::events::{Callback, Event};
    use serde_json::Value;

    fn round_trip<E: Event + serde::Serialize + std::fmt::Debug>(example: &Value) -> E {
        let event: E = serde_json::from_value(example.clone())
            .unwrap_or_else(|e| panic!("{}: the example does not decode: {e}", E::EVENT_TYPE));
        let back = serde_json::to_value(&event).expect("serializes");
        assert_eq!(
            &back,
            example,
            "{}: the round trip changes the JSON",
            E::EVENT_TYPE
        );
        event
    }
    fn is_callback<E: Callback>() {}

    let root = workspace_root();
    let model = lark_codegen::build_model(&real_sources()).expect("specs are valid");
    assert!(
        model.events.len() >= 12,
        "{} event specs",
        model.events.len()
    );
    for e in &model.events {
        let example = e
            .spec
            .example
            .as_ref()
            .expect("validated: every event has one");
        assert!(root.join(&e.file).is_file(), "{}", e.file);
        match e.spec.event_type.as_str() {
            "im.message.receive_v1" => {
                use lark_openapi::im::v1::events::MessageReceiveV1;
                let event: MessageReceiveV1 = round_trip(example);
                let content = event
                    .message
                    .parsed_content()
                    .expect("the example's content parses");
                assert_eq!(
                    content,
                    lark_openapi::message_content::ReceivedContent::Text("@_user_1 hello".into())
                );
                assert_eq!(
                    event.message.chat_type,
                    lark_openapi::im::v1::ChatType::Group
                );
                assert!(event.sender.sender_id.open_id.is_some());
            }
            "im.message.message_read_v1" => {
                round_trip::<lark_openapi::im::v1::events::MessageMessageReadV1>(example);
            }
            "im.message.recalled_v1" => {
                round_trip::<lark_openapi::im::v1::events::MessageRecalledV1>(example);
            }
            "im.message.reaction.created_v1" => {
                round_trip::<lark_openapi::im::v1::events::MessageReactionCreatedV1>(example);
            }
            "im.message.reaction.deleted_v1" => {
                round_trip::<lark_openapi::im::v1::events::MessageReactionDeletedV1>(example);
            }
            "im.chat.member.bot.added_v1" => {
                round_trip::<lark_openapi::im::v1::events::ChatMemberBotAddedV1>(example);
            }
            "im.chat.member.bot.deleted_v1" => {
                round_trip::<lark_openapi::im::v1::events::ChatMemberBotDeletedV1>(example);
            }
            "im.chat.member.user.added_v1" => {
                round_trip::<lark_openapi::im::v1::events::ChatMemberUserAddedV1>(example);
            }
            "im.chat.member.user.deleted_v1" => {
                round_trip::<lark_openapi::im::v1::events::ChatMemberUserDeletedV1>(example);
            }
            "im.chat.disbanded_v1" => {
                round_trip::<lark_openapi::im::v1::events::ChatDisbandedV1>(example);
            }
            "card.action.trigger" => {
                use lark_openapi::card::v1::events::ActionTrigger;
                is_callback::<ActionTrigger>();
                let event: ActionTrigger = round_trip(example);
                assert!(
                    !format!("{event:?}").contains(&event.token),
                    "the card's update token shows in Debug"
                );
            }
            "app_ticket" => {
                use lark_openapi::auth::v3::events::AppTicket;
                let event: AppTicket = round_trip(example);
                assert!(
                    !format!("{event:?}").contains(&event.app_ticket),
                    "the app ticket shows in Debug"
                );
            }
            other => panic!("{other}: add a case to this test"),
        }
    }
    let listed: Vec<&str> = [
        lark_openapi::im::v1::events::EVENT_TYPES,
        lark_openapi::card::v1::events::EVENT_TYPES,
        lark_openapi::auth::v3::events::EVENT_TYPES,
    ]
    .concat();
    let mut listed = listed;
    listed.sort_unstable();
    let mut specs: Vec<&str> = model
        .events
        .iter()
        .map(|e| e.spec.event_type.as_str())
        .collect();
    specs.sort_unstable();
    assert_eq!(listed, specs, "EVENT_TYPES lists every event spec");
}
