//! `cargo xtask gen` as a user runs it: the real binary against throw-away trees (`--root`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

/// A directory under the system temp dir, removed when dropped.
struct TempTree(PathBuf);

impl TempTree {
    fn new(label: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "xtask-gen-cli-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempTree(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Every file below `dir`, as `/`-separated paths relative to it, sorted.
fn list_files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let entry = entry.expect("dir entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if entry.file_type().expect("file type").is_dir() {
                walk(&entry.path(), &rel, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, "", &mut out);
    }
    out.sort();
    out
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("run xtask")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn describe(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

const SENTINEL: &str = "// hand-written before the run; `gen` must not touch it\npub mod im;\n";

/// A broken spec: non-zero exit, exactly one stderr line per problem plus the summary, and
/// nothing written, in both modes.
#[test]
fn broken_spec_writes_nothing_and_reports_one_line_per_problem() {
    let broken = workspace_root().join("tests/fixtures/broken");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&broken)
        .expect("tests/fixtures/broken/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.iter().any(|c| c.ends_with("several_problems")),
        "the several_problems case exists"
    );
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let tree = TempTree::new(&name);
        copy_dir(&case.join("spec"), &tree.path().join("spec"));
        let generated = tree.path().join("sdk/src/generated");
        std::fs::create_dir_all(&generated).unwrap();
        std::fs::write(generated.join("mod.rs"), SENTINEL).unwrap();

        // What the library reports for the same tree: the CLI must print exactly that.
        let sources = lark_codegen::read_spec_dir(tree.path()).unwrap();
        let problems =
            lark_codegen::generate(&sources).expect_err("a broken fixture must not generate");
        if name == "several_problems" {
            assert_eq!(problems.len(), 3, "{name}: three defects, three problems");
        }
        let mut expected: Vec<String> = problems.iter().map(ToString::to_string).collect();
        expected.push(format!(
            "error: {} problem(s) in spec/; nothing was written",
            problems.len()
        ));

        for args in [&["gen"][..], &["gen", "--check"][..]] {
            let output = xtask(tree.path(), args);
            assert!(
                !output.status.success(),
                "{name}: `xtask {}` must fail\n{}",
                args.join(" "),
                describe(&output)
            );
            let stderr = text(&output.stderr);
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(
                lines,
                expected,
                "{name}: `xtask {}`: one stderr line per problem, then the summary\n{}",
                args.join(" "),
                describe(&output)
            );
            assert!(
                stderr
                    .lines()
                    .all(|l| l.starts_with("spec/") || l.starts_with("error: ")),
                "{name}: every problem line names its file"
            );
            assert_eq!(
                text(&output.stdout),
                "",
                "{name}: nothing on stdout when refusing"
            );
            assert_eq!(
                std::fs::read(generated.join("mod.rs")).unwrap(),
                SENTINEL.as_bytes(),
                "{name}: the existing generated file was modified"
            );
            assert_eq!(
                list_files(&tree.path().join("sdk")),
                ["src/generated/mod.rs"],
                "{name}: files were written under sdk/"
            );
        }
    }
}

/// The real specs in an empty tree: `--check` lists what is missing, `gen` writes it,
/// `--check` passes, and a spec edit makes exactly the endpoint module stale.
#[test]
fn check_then_write_then_check_then_edit() {
    let tree = TempTree::new("cycle");
    let root = tree.path();
    copy_dir(&workspace_root().join("spec"), &root.join("spec"));
    let sources = lark_codegen::read_spec_dir(root).unwrap();
    let files = lark_codegen::generate(&sources).expect("the real specs generate");
    let endpoint = "sdk/src/generated/im/v1/message_resource/get.rs";
    assert!(files.iter().any(|f| f.path == endpoint));

    // 1. Nothing generated yet: --check fails, listing every file as missing.
    let output = xtask(root, &["gen", "--check"]);
    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = text(&output.stderr);
    for file in &files {
        let line = format!("missing: {}", file.path);
        assert!(
            stderr.lines().any(|l| l == line),
            "`{line}` not reported\n{}",
            describe(&output)
        );
    }
    assert_eq!(
        stderr.lines().count(),
        files.len() + 1,
        "{}",
        describe(&output)
    );
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("error: ") && l.contains("`cargo xtask gen`")),
        "the last line tells the reader to run `cargo xtask gen`\n{}",
        describe(&output)
    );
    assert!(!root.join("sdk").exists(), "--check wrote files");

    // 2. gen writes every file, byte for byte.
    let output = xtask(root, &["gen"]);
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = text(&output.stdout);
    for file in &files {
        assert!(
            stdout
                .lines()
                .any(|l| l == format!("created  {}", file.path)),
            "creation of {} not reported\n{}",
            file.path,
            describe(&output)
        );
        // A section of a hand-written file (`README.md#endpoints`) is spliced in.
        let (on_disk, wanted) = match file.path.split_once('#') {
            Some((name, _)) => (name, file.contents.as_str()),
            None => (file.path.as_str(), file.contents.as_str()),
        };
        let text = std::fs::read_to_string(root.join(on_disk)).unwrap();
        assert!(
            if on_disk == file.path {
                text == wanted
            } else {
                text.contains(wanted)
            },
            "{} differs from the generator's output",
            file.path
        );
    }
    assert_eq!(
        list_files(&root.join("sdk")).len()
            + list_files(&root.join("tests")).len()
            + usize::from(root.join("README.md").exists()),
        files.len(),
        "only the generated files are written"
    );

    // 3. Up to date now.
    let output = xtask(root, &["gen", "--check"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        text(&output.stdout).contains("up to date"),
        "{}",
        describe(&output)
    );

    // 4. Change the advice of one error row: its wording lives in the version's errors.rs,
    // under a constant the endpoint's row names; those two files, and only they, are stale.
    let spec = root.join("spec/im/v1/message_resource/get.json");
    let original = std::fs::read_to_string(&spec).unwrap();
    let old = "\"advice\": \"Nothing to download; drop the message from your work queue.\"";
    assert_eq!(original.matches(old).count(), 1, "the advice to change");
    let edited = original.replace(
        old,
        "\"advice\": \"The message is gone; remove it from your work queue.\"",
    );
    std::fs::write(&spec, edited).unwrap();
    let output = xtask(root, &["gen", "--check"]);
    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = text(&output.stderr);
    let changes: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("error: "))
        .collect();
    let expected = ["sdk/src/generated/im/v1/errors.rs", endpoint];
    assert_eq!(
        changes.len(),
        expected.len(),
        "two stale files\n{}",
        describe(&output)
    );
    for (line, file) in changes.iter().zip(expected) {
        let mut words = line.split_whitespace();
        assert_eq!(
            (words.next(), words.next(), words.next()),
            (Some("stale:"), Some(file), None),
            "{}",
            describe(&output)
        );
    }
    assert!(
        stderr.contains("`cargo xtask gen`"),
        "{}",
        describe(&output)
    );

    // 5. gen updates it, and removes a file that is not generated.
    let stray = "sdk/src/generated/im/v1/stray.rs";
    std::fs::write(root.join(stray), "// left over\n").unwrap();
    let output = xtask(root, &["gen", "--check"]);
    assert!(!output.status.success(), "{}", describe(&output));
    assert!(
        text(&output.stderr)
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["extra:", stray]),
        "{}",
        describe(&output)
    );
    let output = xtask(root, &["gen"]);
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.lines().any(|l| l == format!("updated  {endpoint}")),
        "{}",
        describe(&output)
    );
    assert!(
        stdout.lines().any(|l| l == format!("removed  {stray}")),
        "{}",
        describe(&output)
    );
    assert!(!root.join(stray).exists());
    let output = xtask(root, &["gen", "--check"]);
    assert!(output.status.success(), "{}", describe(&output));
}

#[test]
fn root_without_a_directory_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["gen", "--root"])
        .output()
        .expect("run xtask");
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        text(&output.stderr).starts_with("error: a value is required for '--root <DIR>'"),
        "{}",
        describe(&output)
    );
}

#[test]
fn unknown_arguments_and_commands_are_usage_errors() {
    let tree = TempTree::new("usage");
    for (args, says) in [
        (&["gen", "--chek"][..], "unexpected argument '--chek'"),
        (&["gen", "x"][..], "unexpected argument 'x'"),
        (&["generate"][..], "unrecognized subcommand 'generate'"),
        (
            &["bench", "--runs", "0"][..],
            "invalid value '0' for '--runs <N>'",
        ),
    ] {
        let output = xtask(tree.path(), args);
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        let stderr = text(&output.stderr);
        assert!(
            stderr.starts_with("error: ") && stderr.contains(says),
            "{}",
            describe(&output)
        );
    }
    assert!(
        std::fs::read_dir(tree.path()).unwrap().next().is_none(),
        "a refused command wrote something"
    );
}

/// `--help` of `gen` and of the whole tool: the commands and flags, on stdout.
#[test]
fn gen_help() {
    let tree = TempTree::new("help");
    let output = xtask(tree.path(), &["gen", "--help"]);
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("Usage: cargo xtask gen [OPTIONS]"),
        "{stdout}"
    );
    assert!(stdout.contains("--check"), "{stdout}");
    assert!(stdout.contains("--root <DIR>"), "{stdout}");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--help")
        .output()
        .expect("run xtask");
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = text(&output.stdout);
    for command in ["gen", "import", "bench"] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(command)),
            "{command} is not listed:\n{stdout}"
        );
    }
    assert!(
        std::fs::read_dir(tree.path()).unwrap().next().is_none(),
        "--help wrote something"
    );
}
