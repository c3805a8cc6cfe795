//! Section 5: `cargo xtask gen` time over the whole `spec/` directory.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::measure::ms;
use crate::Result;

/// How long to wait for `cargo xtask gen --check` before giving up on it.
const CARGO_TIMEOUT: Duration = Duration::from_secs(180);

/// Section 5.
#[derive(Debug, Clone)]
pub struct GenFigures {
    /// Spec files read.
    pub specs: usize,
    /// Files generated.
    pub files: usize,
    /// `read_spec_dir` + `generate`, in process, ms per run.
    pub in_process_ms: Vec<f64>,
    /// Wall time of `cargo xtask gen --check` as a subprocess, with its first output line;
    /// or why it could not be measured.
    pub cargo_check: std::result::Result<(f64, String), String>,
}

/// Times `read_spec_dir` + `generate` `runs` times (after one warm-up), then
/// `cargo xtask gen --check` once.
pub fn run(root: &Path, runs: usize) -> Result<GenFigures> {
    let generate = || -> Result<(usize, usize)> {
        let sources = lark_codegen::read_spec_dir(root)?;
        let files = lark_codegen::generate(&sources).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            lines.join("\n")
        })?;
        Ok((sources.len(), files.len()))
    };
    let (specs, files) = generate()?;
    let mut in_process_ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        std::hint::black_box(generate()?);
        in_process_ms.push(ms(started.elapsed()));
    }
    let cargo_check = cargo_gen_check(root);
    match &cargo_check {
        Ok((t, line)) => eprintln!("bench: cargo xtask gen --check: {t:.0} ms ({line})"),
        Err(e) => eprintln!("bench: cargo xtask gen --check: not measured: {e}"),
    }
    Ok(GenFigures {
        specs,
        files,
        in_process_ms,
        cargo_check,
    })
}

/// Wall time of `cargo xtask gen --check` run from the workspace root.
fn cargo_gen_check(root: &Path) -> std::result::Result<(f64, String), String> {
    use std::io::{Read, Seek};
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Output goes to an anonymous file, so a chatty cargo can never block on a full pipe.
    let mut output = tempfile::tempfile().map_err(|e| e.to_string())?;
    let errors = output.try_clone().map_err(|e| e.to_string())?;
    let for_stdout = output.try_clone().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut child = Command::new(&cargo)
        .args(["xtask", "gen", "--check"])
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(for_stdout)
        .stderr(errors)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > CARGO_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "did not finish within {} s",
                    CARGO_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let elapsed = ms(started.elapsed());
    let mut text = String::new();
    output
        .rewind()
        .and_then(|()| output.read_to_string(&mut text))
        .map_err(|e| e.to_string())?;
    let first = text.lines().next().unwrap_or("").trim().to_string();
    if status.success() {
        Ok((elapsed, first))
    } else {
        Err(format!("it failed ({status}): {first}"))
    }
}
