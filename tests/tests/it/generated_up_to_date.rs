//! The generated code in `sdk/src/generated/` is exactly what `spec/` generates.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

#[test]
fn generated_code_is_up_to_date() {
    let root = workspace_root();
    let sources = lark_codegen::read_spec_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.join("spec").display()));
    let generated = lark_codegen::generate(&sources).unwrap_or_else(|problems| {
        panic!(
            "spec/ does not generate; fix these, then run `cargo xtask gen`:\n{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let changes = lark_codegen::files::compare(&root, &generated)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", lark_codegen::GENERATED_DIR));
    assert!(
        changes.is_empty(),
        "{} is out of date with spec/:\n  {}\n\nRun `cargo xtask gen` and commit the result \
         (and review the snapshot changes with `cargo insta review`).",
        lark_codegen::GENERATED_DIR,
        changes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// Every generated service but `auth` is behind a cargo feature of its name, which
/// `sdk/Cargo.toml` must declare (and enable by default).
#[test]
fn every_service_has_its_cargo_feature() {
    let root = workspace_root();
    let manifest = std::fs::read_to_string(root.join("sdk/Cargo.toml")).expect("sdk/Cargo.toml");
    let features = manifest
        .split("[features]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("sdk/Cargo.toml has a [features] table");
    let sources = lark_codegen::read_spec_dir(&root).expect("spec/ reads");
    let model = lark_codegen::build_model(&sources).expect("specs are valid");
    let mut services: Vec<&str> = model.versions.iter().map(|v| v.service.as_str()).collect();
    services.dedup();
    for service in services.into_iter().filter(|s| *s != "auth") {
        assert!(
            features
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{service} ="))),
            "sdk/Cargo.toml: add the feature `{service} = []`"
        );
        assert!(
            features.contains(&format!("\"{service}\"")),
            "sdk/Cargo.toml: add `{service}` to the default features"
        );
    }
}
