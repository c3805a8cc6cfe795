//! Broken specs are refused with one clear line per problem.
//!
//! Every directory under `tests/fixtures/broken/` is a case: a tree with a `spec/` holding a
//! copy of a real spec (an endpoint, or an event for the `event_*` cases) with a known
//! defect. The generator must refuse each one, and the problems it reports (one
//! `file: field: message` line each) are snapshotted per case in
//! `tests/tests/snapshots/spec_validation__<case>.snap`.
//!
//! To add a case, add a directory; to review the messages after a change in `codegen/`, run
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test -p lark-tests --test spec_validation`
//! and read the diff).

use std::path::{Path, PathBuf};

use lark_codegen::Problem;

/// For known cases, the `field` that must be named, so that a snapshot accepted by mistake
/// cannot hide a defect that is no longer caught where it should be.
const EXPECTED_FIELDS: &[(&str, &[&str])] = &[
    ("bad_enum_value", &["query_params[0].enum[0].value"]),
    ("duplicate_error_code", &["errors[3].code"]),
    (
        "enum_value_named_unknown",
        &["query_params[0].enum[0].value"],
    ),
    (
        "enum_decision_not_followed",
        &[
            "enums.im.v1.message.list:query.nope",
            "query_params[2]",
            "query_params[4]",
            "query_params[7]",
        ],
    ),
    ("enum_name_bound_twice", &["query_params[4]"]),
    ("enum_same_values_two_names", &["request_body.fields[14]"]),
    ("event_bad_schema_and_kind", &["schema", "kind"]),
    (
        "event_example_does_not_decode",
        &[
            "example.chat_id",
            "example.recall_time",
            "example.recall_type",
            "example.recaller",
        ],
    ),
    (
        "event_message_content_sibling",
        &[
            "types.EventMessage.fields[9].message_content",
            "example.message.mentions[0].id.open_id",
        ],
    ),
    ("event_schema_1_type", &[".", "example.type"]),
    ("event_type_twice", &["event_type"]),
    ("event_without_example", &["example"]),
    ("example_of_wrong_type", &["query_params[1].example"]),
    ("invalid_json", &["errors"]),
    ("keyword_without_rust_name", &["query_params[0].rust_name"]),
    ("missing_field", &["summary"]),
    ("path_param_extra", &["path_params[2].name"]),
    ("path_param_missing", &["path"]),
    ("reserved_error_name", &["errors[0].name"]),
    ("rust_name_collision", &["query_params[1].name"]),
    (
        "several_problems",
        &["doc_url", "errors[6].http_status", "http_method"],
    ),
    ("unknown_field", &["query_params[0].exmaple"]),
    ("unknown_token_type", &["access_tokens[0]"]),
    ("wrong_file_location", &["id"]),
];

fn broken_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/broken")
}

/// The case directories, sorted by name.
fn cases() -> Vec<(String, PathBuf)> {
    let mut cases: Vec<(String, PathBuf)> = std::fs::read_dir(broken_dir())
        .expect("tests/fixtures/broken/ is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .map(|path| {
            let name = path
                .file_name()
                .expect("a directory name")
                .to_string_lossy()
                .into_owned();
            (name, path)
        })
        .collect();
    cases.sort();
    cases
}

/// What the generator reports for one case; panics if the defect is not caught.
fn problems_of(case: &str, root: &Path) -> Vec<Problem> {
    let sources = lark_codegen::read_spec_dir(root)
        .unwrap_or_else(|e| panic!("{case}: cannot read {}: {e}", root.display()));
    assert!(!sources.is_empty(), "{case}: no spec file under spec/");
    let problems = match lark_codegen::generate(&sources) {
        Ok(files) => panic!(
            "{case}: the defect was NOT caught: generate() accepted the spec and produced {} file(s)",
            files.len()
        ),
        Err(problems) => problems,
    };
    // Every case is a broken spec, not a valid spec of a shape the generator does not emit
    // yet: validation alone must refuse it, with the same problems.
    match lark_codegen::parse_and_validate(&sources) {
        Ok(_) => panic!(
            "{case}: parse_and_validate() accepted the spec; generate() refused it only with:\n{}",
            render(&problems)
        ),
        Err(validated) => assert_eq!(
            validated, problems,
            "{case}: generate() and parse_and_validate() disagree"
        ),
    }
    problems
}

fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn there_are_broken_spec_cases() {
    let names: Vec<String> = cases().into_iter().map(|(name, _)| name).collect();
    for (expected, _) in EXPECTED_FIELDS {
        assert!(
            names.iter().any(|n| n == expected),
            "case directory tests/fixtures/broken/{expected}/ is missing (found: {names:?})"
        );
    }
}

#[test]
fn broken_specs_are_refused_with_one_line_per_problem() {
    for (case, root) in cases() {
        let problems = problems_of(&case, &root);
        for p in &problems {
            assert!(
                p.file.starts_with("spec/") && !p.file.contains('\\'),
                "{case}: problem file `{}` is not a `/`-separated path relative to the root",
                p.file
            );
            let line = p.to_string();
            assert!(
                !line.contains('\n'),
                "{case}: a problem spans several lines:\n{line}"
            );
        }
        if let Some((_, fields)) = EXPECTED_FIELDS.iter().find(|(name, _)| *name == case) {
            for field in *fields {
                assert!(
                    problems.iter().any(|p| p.field == *field),
                    "{case}: no problem names field `{field}`; got:\n{}",
                    render(&problems)
                );
            }
            if case == "several_problems" {
                assert_eq!(
                    problems.len(),
                    3,
                    "{case}: three independent defects must give three lines:\n{}",
                    render(&problems)
                );
            }
        }
        insta::with_settings!({
            description => format!(
                "Problems reported for tests/fixtures/broken/{case}/spec/, one line each"
            ),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(case.as_str(), render(&problems));
        });
    }
}
