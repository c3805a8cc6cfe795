//! `cargo xtask import` as a maintainer runs it: the real binary against throw-away copies
//! of `spec/` (`--root`), reading the pinned documents in `spec/upstream/`.

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
            "xtask-import-cli-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempTree(dir)
    }

    /// A copy of the workspace's `spec/`.
    fn with_specs(label: &str) -> Self {
        let tree = TempTree::new(label);
        copy_dir(&workspace_root().join("spec"), &tree.path().join("spec"));
        tree
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

/// Every file below `dir` with its bytes, sorted by path.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) {
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
                out.push((rel, std::fs::read(entry.path()).expect("read file")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
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

/// Running the import again on the checked-in specs changes nothing: the specs are in step
/// with the pinned metadata and in canonical form.
#[test]
fn check_passes_on_the_real_tree_and_import_changes_nothing() {
    let tree = TempTree::with_specs("check");
    let before = snapshot(tree.path());
    let output = xtask(tree.path(), &["import", "--check"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        text(&output.stdout).contains("up to date"),
        "{}",
        describe(&output)
    );
    let output = xtask(tree.path(), &["import"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        text(&output.stdout).contains(" 0 created, 0 updated, "),
        "{}",
        describe(&output)
    );
    assert_eq!(snapshot(tree.path()), before, "`import` changed the tree");
}

/// A spec removed from the tree comes back from the metadata with its facts; a brand-new
/// operation is created with empty prose, reported, and created again byte for byte.
#[test]
fn import_by_id_recreates_specs() {
    let tree = TempTree::with_specs("recreate");
    let root = tree.path();

    // An existing endpoint: its facts come back (the prose went with the file).
    let file = root.join("spec/im/v1/pin/delete.json");
    let parse = |text: String| {
        lark_codegen::load::parse(&lark_codegen::SpecSource {
            path: "spec/im/v1/pin/delete.json".into(),
            text,
        })
        .expect("a spec")
        .spec
    };
    let original = parse(std::fs::read_to_string(&file).unwrap());
    std::fs::remove_file(&file).unwrap();
    let output = xtask(root, &["import", "--id", "im.v1.pin.delete"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        text(&output.stdout)
            .lines()
            .any(|l| l == "created  spec/im/v1/pin/delete.json"),
        "{}",
        describe(&output)
    );
    let recreated = parse(std::fs::read_to_string(&file).unwrap());
    assert_eq!(recreated.id, original.id);
    assert_eq!(recreated.doc_url, original.doc_url);
    assert_eq!(recreated.http_method, original.http_method);
    assert_eq!(recreated.path, original.path);
    assert_eq!(recreated.access_tokens, original.access_tokens);
    assert_eq!(recreated.scopes_any_of, original.scopes_any_of);
    assert_eq!(recreated.rate_limit, original.rate_limit);
    assert_eq!(recreated.request_body, original.request_body);
    assert_eq!(recreated.response, original.response);
    let rows = |s: &lark_codegen::spec::EndpointSpec| -> Vec<(i64, u16, String)> {
        s.errors
            .iter()
            .map(|r| (r.code, r.http_status, r.server_message.clone()))
            .collect()
    };
    assert_eq!(rows(&recreated), rows(&original), "the error table");
    assert_eq!(recreated.summary, "", "prose is ours; a new file has none");

    // A brand-new operation (every IM v1 operation has a spec in the workspace, so this
    // tree loses one first): created, with its missing prose listed.
    let new = root.join("spec/im/v1/chat/get.json");
    std::fs::remove_file(&new).unwrap();
    let output = xtask(root, &["import", "--id", "im_chat_get"]);
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l == "created  spec/im/v1/chat/get.json"),
        "{}",
        describe(&output)
    );
    for line in [
        "spec/im/v1/chat/get.json: summary: missing prose",
        "spec/im/v1/chat/get.json: path_params[0].description: missing prose",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "`{line}` not reported\n{}",
            describe(&output)
        );
    }
    let first = snapshot(root);
    // Importing it again changes nothing; removing it and importing it again gives the
    // same bytes.
    let output = xtask(root, &["import", "--id", "im.v1.chat.get", "--check"]);
    assert!(output.status.success(), "{}", describe(&output));
    std::fs::remove_file(&new).unwrap();
    let output = xtask(
        root,
        &[
            "import",
            "--project",
            "im",
            "--version",
            "v1",
            "--resource",
            "chat",
            "--id",
            "im.v1.chat.get",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(snapshot(root), first, "the same bytes the second time");
}

/// A bad document: one line per problem naming document, operation and field; nothing
/// written.
#[test]
fn problems_write_nothing() {
    let tree = TempTree::with_specs("problems");
    let root = tree.path();
    let before = snapshot(root);
    let fixtures = workspace_root().join("tests/fixtures/import/broken");
    for args in [
        vec!["import", "--project", "demo"],
        vec!["import", "--project", "demo", "--check"],
    ] {
        let mut args: Vec<String> = args.into_iter().map(String::from).collect();
        for doc in ["not_yaml.yaml", "unresolved_ref.yaml", "unsupported.yaml"] {
            args.push("--from".into());
            args.push(fixtures.join(doc).display().to_string());
        }
        args.push("--from".into());
        args.push(root.join("spec/upstream/im.yaml").display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = xtask(root, &args);
        assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
        let stderr = text(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines.len(),
            5,
            "four problems and the summary\n{}",
            describe(&output)
        );
        assert!(
            lines[..4].iter().all(|l| l.split(": ").count() >= 4),
            "{stderr}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("not_yaml.yaml: .: .: invalid YAML")),
            "{stderr}"
        );
        assert!(
            lines.iter().any(|l| l
                .contains("unresolved_ref.yaml: demo_widget_get: responses.200.data.widget: $ref")),
            "{stderr}"
        );
        assert_eq!(lines[4], "error: 4 problem(s); nothing was written");
        assert_eq!(text(&output.stdout), "", "{}", describe(&output));
    }
    assert_eq!(snapshot(root), before, "a refused import wrote something");
}

/// clap's usage errors: exit status 2, the error and how to get help on stderr.
#[test]
fn usage_errors() {
    let tree = TempTree::new("usage");
    for (args, says) in [
        (&["import", "--bogus"][..], "unexpected argument '--bogus'"),
        (
            &["import", "--id"][..],
            "a value is required for '--id <ID>...'",
        ),
        (&["import", "--check", "x"][..], "unexpected argument 'x'"),
        (
            &["import", "--survey", "d", "--check"][..],
            "cannot be used with",
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
        assert!(stderr.contains("--help"), "{}", describe(&output));
        assert_eq!(text(&output.stdout), "", "{}", describe(&output));
    }
    let tree = TempTree::with_specs("unknown-id");
    let output = xtask(tree.path(), &["import", "--id", "im.v1.nothing.here"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains("--id im.v1.nothing.here"),
        "{}",
        describe(&output)
    );
}

/// `--help` describes the command and every flag, on stdout, and succeeds without reading
/// or writing anything.
#[test]
fn import_help() {
    let tree = TempTree::new("help");
    let output = xtask(tree.path(), &["import", "--help"]);
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("Usage: cargo xtask import [OPTIONS]"),
        "{stdout}"
    );
    for flag in [
        "--from <FILE.yaml>...",
        "--project <P>...",
        "--version <V>...",
        "--resource <R>...",
        "--id <ID>...",
        "--check",
        "--survey <DIR>",
        "--root <DIR>",
    ] {
        assert!(
            stdout.contains(flag),
            "{flag} is not in the help:\n{stdout}"
        );
    }
    assert!(list_dir(tree.path()).is_empty(), "--help wrote something");
}

fn list_dir(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}
