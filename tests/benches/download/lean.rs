//! Section 9, `cargo xtask bench --only lean`: what a generated operation costs, before and
//! after the lean generation, measured in one run: the tree of a baseline commit
//! (`git archive`) and this workspace, each copied into a scratch directory with its own
//! target directories; then the projection to every operation of the platform's metadata
//! that generates today (`cargo xtask import --survey … --emit`), in a third copy.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::compile::{cargo, copy_workspace, count};
use crate::Result;

/// The heading the section is spliced under.
pub const HEADING: &str = "## 9. Lean generation: before and after";

/// The commit measured as "before": main before the lean generation (issue 17).
pub const BASELINE: &str = "585aeaf";

/// Targets of the issue.
const TARGET_LINES_PER_OP: f64 = 250.0;
const TARGET_IR_DROP: f64 = 0.50;
const TARGET_CLEAN_S: f64 = 40.0;
const TARGET_INCREMENT_S: f64 = 10.0;
const TARGET_EDIT_S: f64 = 5.0;

/// One tree's figures.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// Lines of `sdk/src/generated/**/*.rs`.
    pub generated_lines: usize,
    /// Operations generated (`impl op::Operation`, or the baseline's
    /// `impl crate::operation::Operation`).
    pub operations: usize,
    /// Lines of LLVM IR of `lark-openapi` (default features; `--emit=llvm-ir`, as
    /// `cargo llvm-lines` counts them).
    pub ir_lines: usize,
    /// Clean debug build, dependencies included: no service (`--no-default-features`).
    pub clean_bare: Duration,
    /// Clean debug build, dependencies included: the IM family alone
    /// (`--no-default-features --features im`).
    pub clean_im: Duration,
    /// Clean debug build, dependencies included: default features (IM, cards, events, the
    /// long connection).
    pub clean_default: Duration,
    /// One spec's summary edited, `cargo xtask gen`, `cargo build -p lark-openapi`.
    pub prose_edit: Duration,
    /// The `cargo xtask gen` part of `prose_edit`.
    pub prose_gen: Duration,
}

impl Tree {
    fn lines_per_op(&self) -> f64 {
        self.generated_lines as f64 / self.operations.max(1) as f64
    }

    fn increment(&self) -> f64 {
        self.clean_im.as_secs_f64() - self.clean_bare.as_secs_f64()
    }
}

/// The projection to the whole platform.
#[derive(Debug, Clone, Default)]
pub struct Platform {
    /// Operations generated in the scratch tree.
    pub operations: usize,
    /// Service features.
    pub services: usize,
    /// Lines of generated code.
    pub generated_lines: usize,
    /// Clean debug build with every service (`--features full`), dependencies included.
    pub clean_full: Duration,
    /// `cargo check` of the same, from clean.
    pub check_full: Duration,
    /// `cargo doc --no-deps` of the same.
    pub doc_full: Duration,
    /// One spec's summary edited, `cargo xtask gen`, rebuild with every service.
    pub prose_edit_full: Duration,
    /// Clean debug build with `im` and `contact` only.
    pub clean_two: Duration,
}

/// The section's figures.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// The baseline commit.
    pub before: Tree,
    /// This workspace.
    pub after: Tree,
    /// `None` when the metadata directory is missing or the scratch tree did not build.
    pub platform: Option<Platform>,
    /// Why the projection is missing, when it is.
    pub platform_note: Option<String>,
}

fn operations_in(dir: &Path) -> usize {
    fn walk(dir: &Path, n: &mut usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, n);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                *n += [
                    "impl op::Operation for ",
                    "impl crate::operation::Operation for ",
                ]
                .iter()
                .map(|p| text.matches(p).count())
                .sum::<usize>();
            }
        }
    }
    let mut n = 0;
    walk(dir, &mut n);
    n
}

/// Lines of every `lark_openapi-*.ll` under `target/debug/deps`.
fn ir_lines(target: &Path) -> usize {
    let deps = target.join("debug/deps");
    let Ok(entries) = std::fs::read_dir(&deps) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "ll")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("lark_openapi"))
        })
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|t| t.lines().count())
                .unwrap_or(0)
        })
        .sum()
}

/// Edits the summary of one spec the way a maintainer edits prose.
fn edit_prose(tree: &Path) -> Result<()> {
    let spec = tree.join("spec/im/v1/message/get.json");
    let text = std::fs::read_to_string(&spec)?;
    let edited = text.replacen("\"summary\": \"", "\"summary\": \"(edited) ", 1);
    if edited == text {
        return Err(format!("{} has no summary to edit", spec.display()).into());
    }
    std::fs::write(&spec, edited)?;
    Ok(())
}

fn measure_tree(tree: &Path, scratch: &Path, name: &str) -> Result<Tree> {
    let mut t = Tree {
        generated_lines: count(&tree.join("sdk/src/generated"), None).0,
        operations: operations_in(&tree.join("sdk/src/generated")),
        ..Tree::default()
    };
    let target = |what: &str| scratch.join(format!("target-{name}-{what}"));
    eprintln!("bench: lean: {name}: clean builds…");
    t.clean_bare = cargo(
        tree,
        &target("bare"),
        &["build", "-q", "-p", "lark-openapi", "--no-default-features"],
    )?;
    t.clean_im = cargo(
        tree,
        &target("im"),
        &[
            "build",
            "-q",
            "-p",
            "lark-openapi",
            "--no-default-features",
            "--features",
            "im",
        ],
    )?;
    t.clean_default = cargo(
        tree,
        &target("default"),
        &["build", "-q", "-p", "lark-openapi"],
    )?;
    // The prose edit: xtask built first, so that only gen and the SDK's rebuild count. The
    // LLVM IR is emitted after it: a `cargo rustc` with other flags leaves an incremental
    // cache that the next build cannot use, which made the edit a full rebuild.
    cargo(tree, &target("default"), &["build", "-q", "-p", "xtask"])?;
    cargo(
        tree,
        &target("default"),
        &["build", "-q", "-p", "lark-openapi"],
    )?;
    edit_prose(tree)?;
    let started = Instant::now();
    t.prose_gen = cargo(
        tree,
        &target("default"),
        &["run", "-q", "-p", "xtask", "--", "gen"],
    )?;
    cargo(
        tree,
        &target("default"),
        &["build", "-q", "-p", "lark-openapi"],
    )?;
    t.prose_edit = started.elapsed();
    cargo(
        tree,
        &target("default"),
        &[
            "rustc",
            "-q",
            "-p",
            "lark-openapi",
            "--lib",
            "--",
            "--emit=llvm-ir",
            "-Cno-prepopulate-passes",
        ],
    )?;
    t.ir_lines = ir_lines(&target("default"));
    eprintln!(
        "bench: lean: {name}: {:.0} lines/op, {} IR lines, clean {:.1}/{:.1}/{:.1} s, edit {:.1} s",
        t.lines_per_op(),
        t.ir_lines,
        t.clean_bare.as_secs_f64(),
        t.clean_im.as_secs_f64(),
        t.clean_default.as_secs_f64(),
        t.prose_edit.as_secs_f64()
    );
    Ok(t)
}

/// Adds a feature per generated service (and `full`) to the scratch SDK's manifest.
fn add_service_features(tree: &Path) -> Result<usize> {
    let generated = tree.join("sdk/src/generated");
    let mut services: Vec<String> = std::fs::read_dir(&generated)?
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|s| s != "auth")
        .collect();
    services.sort();
    let manifest = tree.join("sdk/Cargo.toml");
    let text = std::fs::read_to_string(&manifest)?;
    let mut extra = String::new();
    for s in &services {
        if !text.contains(&format!("\n{s} = [")) {
            let _ = writeln!(extra, "{s} = []");
        }
    }
    let all: Vec<String> = services.iter().map(|s| format!("\"{s}\"")).collect();
    let _ = writeln!(extra, "full = [{}, \"events\", \"ws\"]", all.join(", "));
    let text = text.replacen("[features]\n", &format!("[features]\n{extra}"), 1);
    std::fs::write(&manifest, text)?;
    Ok(services.len())
}

fn measure_platform(root: &Path, scratch: &Path, metadata: &Path) -> Result<Platform> {
    let tree = scratch.join("platform");
    std::fs::create_dir(&tree)?;
    copy_workspace(root, &tree)?;
    let target = scratch.join("target-platform");
    eprintln!(
        "bench: lean: platform: importing every operation of {}…",
        metadata.display()
    );
    let emitted = scratch.join("emitted");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(&tree)
        .env("CARGO_TARGET_DIR", &target)
        .args(["run", "-q", "-p", "xtask", "--", "import", "--survey"])
        .arg(metadata)
        .arg("--emit")
        .arg(&emitted)
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        return Err("xtask import --survey --emit failed".into());
    }
    let status = Command::new("cp")
        .arg("-r")
        .arg(emitted.join("spec"))
        .arg(&tree)
        .status()?;
    if !status.success() {
        return Err("copying the emitted specs failed".into());
    }
    cargo(&tree, &target, &["run", "-q", "-p", "xtask", "--", "gen"])?;
    let generated = tree.join("sdk/src/generated");
    let mut p = Platform {
        operations: operations_in(&generated),
        generated_lines: count(&generated, None).0,
        services: add_service_features(&tree)?,
        ..Platform::default()
    };
    eprintln!(
        "bench: lean: platform: {} operations in {} services, {} lines; building…",
        p.operations, p.services, p.generated_lines
    );
    let full = ["-p", "lark-openapi", "--features", "full"];
    let args = |cmd: &'static str| {
        let mut a = vec![cmd, "-q"];
        a.extend(full);
        a
    };
    p.clean_full = cargo(&tree, &scratch.join("target-full"), &args("build"))?;
    p.check_full = cargo(&tree, &scratch.join("target-full-check"), &args("check"))?;
    let mut doc = args("doc");
    doc.push("--no-deps");
    p.doc_full = cargo(&tree, &scratch.join("target-full"), &doc)?;
    edit_prose(&tree)?;
    let started = Instant::now();
    cargo(&tree, &target, &["run", "-q", "-p", "xtask", "--", "gen"])?;
    cargo(&tree, &scratch.join("target-full"), &args("build"))?;
    p.prose_edit_full = started.elapsed();
    let two = if tree.join("sdk/src/generated/contact").is_dir() {
        "im,contact"
    } else {
        "im"
    };
    p.clean_two = cargo(
        &tree,
        &scratch.join("target-two"),
        &[
            "build",
            "-q",
            "-p",
            "lark-openapi",
            "--no-default-features",
            "--features",
            two,
        ],
    )?;
    Ok(p)
}

/// Measures both trees and the projection.
pub fn run(root: &Path) -> Result<Figures> {
    let scratch = tempfile::tempdir()?;
    let before: PathBuf = scratch.path().join("before");
    std::fs::create_dir(&before)?;
    let archive = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "git -C '{}' archive {BASELINE} | tar -x -C '{}'",
            root.display(),
            before.display()
        ))
        .status()?;
    if !archive.success() {
        return Err(format!("git archive {BASELINE} failed").into());
    }
    let after: PathBuf = scratch.path().join("after");
    std::fs::create_dir(&after)?;
    copy_workspace(root, &after)?;
    let before_fig = measure_tree(&before, scratch.path(), "before")?;
    let after_fig = measure_tree(&after, scratch.path(), "after")?;
    let metadata = root.join("../shared/reference/openapi");
    let (platform, platform_note) = if metadata.is_dir() {
        match measure_platform(root, scratch.path(), &metadata) {
            Ok(p) => (Some(p), None),
            // A failed build's output can be long: its first error line says what broke.
            Err(e) => {
                let text = e.to_string();
                let first = text
                    .lines()
                    .find(|l| l.starts_with("error"))
                    .unwrap_or_else(|| text.lines().next().unwrap_or(""))
                    .to_string();
                (None, Some(first))
            }
        }
    } else {
        (None, Some(format!("{} is missing", metadata.display())))
    };
    Ok(Figures {
        before: before_fig,
        after: after_fig,
        platform,
        platform_note,
    })
}

fn pass(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

/// The section's Markdown.
pub fn render(f: &Figures, took: Duration) -> String {
    let (b, a) = (&f.before, &f.after);
    let ir_drop = 1.0 - a.ir_lines as f64 / b.ir_lines.max(1) as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{HEADING}

Measured in one run (`cargo xtask bench --only lean`, {:.0} s): the tree of commit `{BASELINE}`
(before) and this workspace (after), each in a scratch copy with empty target directories,
one after the other on the same machine (2 CPUs).

| what | before | after | target |
|---|---:|---:|---|
| generated lines per operation (all of `sdk/src/generated`, models included) | {:.0} ({} lines, {} ops) | {:.0} ({} lines, {} ops) | ≤ {TARGET_LINES_PER_OP:.0}: {} |
| LLVM IR lines of `lark-openapi` (default features, `--emit=llvm-ir` as `cargo llvm-lines` counts) | {} | {} ({:.0}% fewer) | ≥ {:.0}% fewer: {} |
| clean debug build, dependencies included, IM family alone (`--no-default-features --features im`) | {:.1} s | {:.1} s | ≤ {TARGET_CLEAN_S:.0} s: {} |
| clean debug build, dependencies included, default features (IM, cards, events, long connection) | {:.1} s | {:.1} s | |
| clean debug build, no service (`--no-default-features`) | {:.1} s | {:.1} s | |
| the IM family's increment over no service | {:+.1} s | {:+.1} s | ≤ {TARGET_INCREMENT_S:.0} s: {} |
| one spec's prose edited, `cargo xtask gen`, `cargo build -p lark-openapi` | {:.1} s | {:.1} s | ≤ {TARGET_EDIT_S:.0} s: {} |
| of which `cargo xtask gen` | {:.1} s | {:.1} s | |",
        took.as_secs_f64(),
        b.lines_per_op(),
        b.generated_lines,
        b.operations,
        a.lines_per_op(),
        a.generated_lines,
        a.operations,
        pass(a.lines_per_op() <= TARGET_LINES_PER_OP),
        b.ir_lines,
        a.ir_lines,
        ir_drop * 100.0,
        TARGET_IR_DROP * 100.0,
        pass(ir_drop >= TARGET_IR_DROP),
        b.clean_im.as_secs_f64(),
        a.clean_im.as_secs_f64(),
        pass(a.clean_im.as_secs_f64() <= TARGET_CLEAN_S),
        b.clean_default.as_secs_f64(),
        a.clean_default.as_secs_f64(),
        b.clean_bare.as_secs_f64(),
        a.clean_bare.as_secs_f64(),
        b.increment(),
        a.increment(),
        pass(a.increment() <= TARGET_INCREMENT_S),
        b.prose_edit.as_secs_f64(),
        a.prose_edit.as_secs_f64(),
        pass(a.prose_edit.as_secs_f64() <= TARGET_EDIT_S),
        b.prose_gen.as_secs_f64(),
        a.prose_gen.as_secs_f64(),
    );
    let _ = writeln!(
        out,
        "
What changed: an endpoint's error codes are rows pointing at its version's one `ErrorCode`
enum (catalogue text written once); the send path, attempt, classification, body reading
and credential step take no endpoint type parameter (one compiled copy); `Call<R>` is the one
call builder (options, `send`, `IntoFuture`, `.pages()`, `.items()`), an endpoint adds its
request type and its optional setters; endpoint examples are compiled once, as functions of
one test file, instead of a doctest binary each."
    );
    match &f.platform {
        Some(p) => {
            let per_op = |d: Duration| d.as_secs_f64() * 1000.0 / p.operations.max(1) as f64;
            let _ = writeln!(
                out,
                "
**Projection to the whole platform.** `cargo xtask import --survey ../shared/reference/openapi
--emit DIR` imports every operation of the pinned metadata in memory (placeholder prose), keeps
those that generate, alone and with the rest of their version, and writes their specs; the
versions already in `spec/` keep theirs. A scratch copy of the workspace with those specs,
generated, one feature per service and `full` for all:

| what | time |
|---|---:|
| operations generated / services | {} / {} ({} generated lines, {:.0} per operation) |
| clean debug build, `--features full`, dependencies included | {:.1} s ({:.1} ms per operation) |
| `cargo check`, `--features full`, from clean | {:.1} s |
| `cargo doc --no-deps`, `--features full` (after the build) | {:.1} s |
| one spec's prose edited, `cargo xtask gen`, rebuild with `full` | {:.1} s |
| clean debug build with two services (`im`, `contact`), dependencies included | {:.1} s |",
                p.operations,
                p.services,
                p.generated_lines,
                p.generated_lines as f64 / p.operations.max(1) as f64,
                p.clean_full.as_secs_f64(),
                per_op(p.clean_full),
                p.check_full.as_secs_f64(),
                p.doc_full.as_secs_f64(),
                p.prose_edit_full.as_secs_f64(),
                p.clean_two.as_secs_f64(),
            );
        }
        None => {
            let _ = writeln!(
                out,
                "\n**Projection to the whole platform**: not measured ({}).",
                f.platform_note.as_deref().unwrap_or("skipped")
            );
        }
    }
    out
}
