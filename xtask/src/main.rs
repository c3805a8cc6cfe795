//! Maintainer tasks: `cargo xtask gen` (write generated code), `cargo xtask gen --check`
//! (fail if it is stale), `cargo xtask import` (specs from the platform's metadata, see
//! `import.rs`), `cargo xtask bench` (benchmarks).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod bench;
mod gen;
mod import;

const USAGE: &str =
    "usage: cargo xtask gen [--check] [--root DIR] | cargo xtask import [--from FILE.yaml ...] [--project P] [--version V] [--resource R] [--id ID ...] [--check] [--root DIR] | cargo xtask import --survey DIR | cargo xtask bench [--quick] [--runs N] [--out FILE] [--no-profile] [--no-compile] [--only fleet]";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `--root DIR` runs against another tree (used by the tests of broken specs).
    let mut root = workspace_root();
    if let Some(i) = args.iter().position(|a| a == "--root") {
        match args.get(i + 1) {
            Some(dir) => root = PathBuf::from(dir),
            None => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
        args.drain(i..i + 2);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["gen"] => gen::run(&root, gen::Mode::Write),
        ["gen", "--check"] => gen::run(&root, gen::Mode::Check),
        ["import", rest @ ..] => import::run(&root, rest),
        ["bench", rest @ ..] => bench::run(&root, rest),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
