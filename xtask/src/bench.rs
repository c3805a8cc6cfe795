//! `cargo xtask bench`: runs the benchmark harness (`tests/benches/download.rs`) in a release
//! build; it measures against the fake Lark server and writes `BENCHMARKS.md`.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

/// Tells the harness when this command started, so the report can give the whole run's time
/// (release build included).
const STARTED_ENV: &str = "LARK_BENCH_STARTED_UNIX_MS";

/// Runs `cargo bench -p lark-tests --bench download [-- ARGS]` from `root`, with inherited
/// standard streams; `args` (such as `--quick`) go to the harness.
pub fn run(root: &Path, args: &[String]) -> ExitCode {
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["bench", "-p", "lark-tests", "--bench", "download"])
        .env(STARTED_ENV, started.to_string());
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    match cmd.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("error: the benchmark failed ({status})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
