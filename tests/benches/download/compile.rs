//! Compile time and generated-code size: `cargo build -p lark-openapi` from clean and after
//! one spec is touched, `cargo check`, and the lines of generated code. Measured in a copy of
//! the workspace with its own target directory, so the real tree and its build are never
//! touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// The compile figures.
#[derive(Debug, Clone)]
pub struct CompileFigures {
    /// Lines of `sdk/src/generated/**/*.rs`.
    pub generated_lines: usize,
    /// Bytes of the same.
    pub generated_bytes: u64,
    /// Generated files.
    pub generated_files: usize,
    /// Lines of the hand-written runtime (`sdk/src` outside `generated/`).
    pub runtime_lines: usize,
    /// `cargo build -p lark-openapi --no-default-features` (auth only, no service) in an empty
    /// target directory (dependencies included): the baseline the family adds to.
    pub clean_build_without_services: Duration,
    /// `cargo build -p lark-openapi` in an empty target directory (dependencies included).
    pub clean_build: Duration,
    /// `cargo build -p lark-openapi --no-default-features` after touching `sdk/src/lib.rs`.
    pub crate_only_build_without_services: Duration,
    /// `cargo build -p lark-openapi` after `touch sdk/src/lib.rs` (the crate alone).
    pub crate_only_build: Duration,
    /// One spec's summary edited, `cargo xtask gen`, then `cargo build -p lark-openapi`.
    pub spec_touched_build: Duration,
    /// `cargo check -p lark-openapi` after `touch sdk/src/lib.rs`.
    pub crate_only_check: Duration,
}

/// Lines, bytes and files of `*.rs` under `dir` (recursively), skipping `skip`.
pub fn count(dir: &Path, skip: Option<&Path>) -> (usize, u64, usize) {
    let mut totals = (0, 0, 0);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return totals;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if Some(path.as_path()) == skip {
            continue;
        }
        if path.is_dir() {
            let (l, b, f) = count(&path, skip);
            totals = (totals.0 + l, totals.1 + b, totals.2 + f);
        } else if path.extension().is_some_and(|e| e == "rs") {
            if let Ok(text) = std::fs::read_to_string(&path) {
                totals = (
                    totals.0 + text.lines().count(),
                    totals.1 + text.len() as u64,
                    totals.2 + 1,
                );
            }
        }
    }
    totals
}

/// Copies the workspace's sources (not `target/` or `.git/`) into `to`.
pub fn copy_workspace(from: &Path, to: &Path) -> Result<()> {
    for name in [
        "Cargo.toml",
        "Cargo.lock",
        ".cargo",
        "codegen",
        "import",
        "xtask",
        "sdk",
        "tests",
        "spec",
        "README.md",
    ] {
        let status = Command::new("cp")
            .arg("-r")
            .arg(from.join(name))
            .arg(to)
            .status()?;
        if !status.success() {
            return Err(format!("copying {name} failed").into());
        }
    }
    Ok(())
}

pub fn cargo(dir: &Path, target: &Path, args: &[&str]) -> Result<Duration> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = Instant::now();
    let out = Command::new(cargo)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    let took = started.elapsed();
    if !out.status.success() {
        return Err(format!(
            "cargo {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(took)
}

fn touch(path: &Path) -> Result<()> {
    let file = std::fs::File::options().write(true).open(path)?;
    file.set_modified(std::time::SystemTime::now())?;
    Ok(())
}

/// Measures in a temporary copy of the workspace.
pub fn run(root: &Path) -> Result<CompileFigures> {
    let generated = root.join("sdk/src/generated");
    let (generated_lines, generated_bytes, generated_files) = count(&generated, None);
    let (runtime_lines, _, _) = count(&root.join("sdk/src"), Some(&generated));
    let scratch = tempfile::tempdir()?;
    let copy: PathBuf = scratch.path().join("ws");
    std::fs::create_dir(&copy)?;
    copy_workspace(root, &copy)?;
    let target = scratch.path().join("target");
    let target_bare = scratch.path().join("target-bare");
    eprintln!("bench: compile: clean builds of lark-openapi without and with the services…");
    let clean_build_without_services = cargo(
        &copy,
        &target_bare,
        &["build", "-q", "-p", "lark-openapi", "--no-default-features"],
    )?;
    touch(&copy.join("sdk/src/lib.rs"))?;
    let crate_only_build_without_services = cargo(
        &copy,
        &target_bare,
        &["build", "-q", "-p", "lark-openapi", "--no-default-features"],
    )?;
    let clean_build = cargo(&copy, &target, &["build", "-q", "-p", "lark-openapi"])?;
    touch(&copy.join("sdk/src/lib.rs"))?;
    let crate_only_build = cargo(&copy, &target, &["build", "-q", "-p", "lark-openapi"])?;
    touch(&copy.join("sdk/src/lib.rs"))?;
    let crate_only_check = cargo(&copy, &target, &["check", "-q", "-p", "lark-openapi"])?;
    // Touch one spec the way a maintainer does: edit its prose, regenerate, rebuild.
    let spec = copy.join("spec/im/v1/message/get.json");
    let text = std::fs::read_to_string(&spec)?;
    std::fs::write(
        &spec,
        text.replacen(
            "Get one message by its ID.",
            "Get one message by its id.",
            1,
        ),
    )?;
    cargo(&copy, &target, &["run", "-q", "-p", "xtask", "--", "gen"])?;
    let spec_touched_build = cargo(&copy, &target, &["build", "-q", "-p", "lark-openapi"])?;
    eprintln!(
        "bench: compile: clean {:.1} s, crate {:.1} s, spec touched {:.1} s, check {:.1} s",
        clean_build.as_secs_f64(),
        crate_only_build.as_secs_f64(),
        spec_touched_build.as_secs_f64(),
        crate_only_check.as_secs_f64()
    );
    Ok(CompileFigures {
        generated_lines,
        generated_bytes,
        generated_files,
        runtime_lines,
        clean_build_without_services,
        clean_build,
        crate_only_build_without_services,
        crate_only_build,
        spec_touched_build,
        crate_only_check,
    })
}
