//! Maintainer tasks: `cargo xtask gen` (write generated code), `cargo xtask gen --check`
//! (fail if it is stale), `cargo xtask import` (specs from the platform's metadata, see
//! `import.rs`), `cargo xtask bench` (benchmarks). Arguments are parsed by clap: every
//! command has `--help`, and an unknown argument is a usage error (exit status 2).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod bench;
mod gen;
mod import;

/// Maintainer tasks of the lark-openapi workspace.
#[derive(Debug, Parser)]
#[command(name = "xtask", bin_name = "cargo xtask")]
struct Cli {
    /// Run against another tree than this workspace (its `spec/`, `sdk/src/generated/`, …).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate `sdk/src/generated/` (and the generated tests and README list) from `spec/`.
    Gen {
        /// Write nothing; fail, listing the files, when the generated code is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Write specs from the platform's metadata (`spec/upstream/*.yaml`), keeping our prose
    /// and the decisions of `spec/<service>/<version>/import.json`. Without a filter, the
    /// operations that already have a spec are imported again.
    Import(import::Args),
    /// Run the benchmarks (`tests/benches/download.rs`, release build) and write
    /// `BENCHMARKS.md`.
    Bench(BenchArgs),
}

/// The benchmark harness's options, passed on to it.
#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// Fewer rounds: a quick check rather than the figures to publish.
    #[arg(long)]
    quick: bool,
    /// Rounds of the download measurements.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    runs: Option<u64>,
    /// Where the report goes (default: BENCHMARKS.md at the root).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Do not profile a missed download target with perf.
    #[arg(long)]
    no_profile: bool,
    /// Do not measure compile times.
    #[arg(long)]
    no_compile: bool,
    /// Run one section alone and splice it into the existing report.
    #[arg(long, value_name = "SECTION")]
    only: Option<Section>,
}

/// A section of the benchmark report that can run alone.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Section {
    /// Section 7: many replicas as one client.
    Fleet,
    /// Section 8: events under load, memory.
    Events,
    /// Section 9: lean generation, a baseline commit and this tree, and the projection to
    /// the whole platform (several minutes of clean builds).
    Lean,
}

impl BenchArgs {
    /// The harness's command line.
    fn to_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.quick {
            out.push("--quick".to_string());
        }
        if let Some(n) = self.runs {
            out.extend(["--runs".to_string(), n.to_string()]);
        }
        if let Some(file) = &self.out {
            out.extend(["--out".to_string(), file.display().to_string()]);
        }
        if self.no_profile {
            out.push("--no-profile".to_string());
        }
        if self.no_compile {
            out.push("--no-compile".to_string());
        }
        match self.only {
            Some(Section::Fleet) => out.extend(["--only".to_string(), "fleet".to_string()]),
            Some(Section::Events) => out.extend(["--only".to_string(), "events".to_string()]),
            Some(Section::Lean) => out.extend(["--only".to_string(), "lean".to_string()]),
            None => {}
        }
        out
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(workspace_root);
    match cli.command {
        Command::Gen { check: false } => gen::run(&root, gen::Mode::Write),
        Command::Gen { check: true } => gen::run(&root, gen::Mode::Check),
        Command::Import(args) => import::run(&root, args),
        Command::Bench(args) => bench::run(&root, &args.to_args()),
    }
}

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bench_flags_reach_the_harness_unchanged() {
        let cli = Cli::try_parse_from([
            "xtask",
            "bench",
            "--quick",
            "--runs",
            "3",
            "--out",
            "x.md",
            "--no-profile",
            "--no-compile",
            "--only",
            "fleet",
        ])
        .unwrap();
        let Command::Bench(args) = cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(
            args.to_args(),
            [
                "--quick",
                "--runs",
                "3",
                "--out",
                "x.md",
                "--no-profile",
                "--no-compile",
                "--only",
                "fleet"
            ]
        );
        assert!(Cli::try_parse_from(["xtask", "bench", "--runs", "0"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "bench", "--only", "tokens"]).is_err());
    }

    #[test]
    fn import_values_run_up_to_the_next_flag() {
        let cli = Cli::try_parse_from([
            "xtask", "import", "--id", "a", "b", "--check", "--from", "x.yaml", "--id", "c",
        ])
        .unwrap();
        let Command::Import(args) = cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(args.id, ["a", "b", "c"]);
        assert!(args.check);
        assert_eq!(args.from, [PathBuf::from("x.yaml")]);
    }
}
