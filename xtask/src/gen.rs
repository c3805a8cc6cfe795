//! `cargo xtask gen`: specs in `spec/` to code in `sdk/src/generated/`.

use std::path::Path;
use std::process::ExitCode;

use lark_codegen::files::{self, Change};

/// Write the files, or only check them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Bring `sdk/src/generated/` up to date.
    Write,
    /// Write nothing; exit non-zero when anything is stale, missing or extra.
    Check,
}

/// Runs the generator over `root/spec`. Prints one line per problem or change.
pub fn run(root: &Path, mode: Mode) -> ExitCode {
    let sources = match lark_codegen::read_spec_dir(root) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", root.join("spec").display());
            return ExitCode::FAILURE;
        }
    };
    let generated = match lark_codegen::generate(&sources) {
        Ok(files) => files,
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!(
                "error: {} problem(s) in spec/; nothing was written",
                problems.len()
            );
            return ExitCode::FAILURE;
        }
    };
    let result = match mode {
        Mode::Write => files::write(root, &generated),
        Mode::Check => files::compare(root, &generated),
    };
    let changes = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match mode {
        Mode::Write => {
            for c in &changes {
                println!("{}", describe_write(c));
            }
            println!(
                "{} spec(s), {} generated file(s), {} changed",
                sources.len(),
                generated.len(),
                changes.len()
            );
            ExitCode::SUCCESS
        }
        Mode::Check if changes.is_empty() => {
            println!("generated code is up to date ({} files)", generated.len());
            ExitCode::SUCCESS
        }
        Mode::Check => {
            for c in &changes {
                eprintln!("{c}");
            }
            eprintln!(
                "error: generated code is out of date; run `cargo xtask gen` and commit the result"
            );
            ExitCode::FAILURE
        }
    }
}

fn describe_write(change: &Change) -> String {
    match change {
        Change::Missing(p) => format!("created  {p}"),
        Change::Stale(p) => format!("updated  {p}"),
        Change::Extra(p) => format!("removed  {p}"),
    }
}
