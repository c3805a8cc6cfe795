//! A CPU profile of the 100 MiB download (SDK child and curl), taken with `perf record`
//! when the download target is missed and perf is usable; summarised for BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One profiled tool.
#[derive(Debug, Clone)]
pub struct Profile {
    /// `SDK` or `curl`.
    pub tool: &'static str,
    /// Downloads profiled back to back.
    pub downloads: usize,
    /// The perf data file, kept for a closer look (`perf report -i FILE`).
    pub data_file: PathBuf,
    /// All samples (cpu-clock at 20 kHz, so about 50 µs of CPU each).
    pub samples: u64,
    /// Samples per thread name and shared object (kernel, the binary, libc, …), largest
    /// first: (share %, samples, "thread object").
    pub by_thread: Vec<(f64, u64, String)>,
    /// Symbols with at least 0.2% of the samples: (share %, samples, object, symbol),
    /// largest first.
    pub top: Vec<(f64, u64, String, String)>,
}

impl Profile {
    /// Share (%) of samples in symbols whose name contains `name` (those under 0.2% count
    /// as 0).
    pub fn symbol_share(&self, name: &str) -> f64 {
        self.top
            .iter()
            .filter(|(_, _, _, sym)| sym.contains(name))
            .map(|(pct, ..)| pct)
            .sum()
    }

    /// Share (%) of samples in user-space memory copies (`memmove`/`memcpy`).
    pub fn memcpy_share(&self) -> f64 {
        self.top
            .iter()
            .filter(|(_, _, dso, sym)| {
                !dso.contains("kernel") && (sym.contains("memmove") || sym.contains("memcpy"))
            })
            .map(|(pct, ..)| pct)
            .sum()
    }
}

/// Profiles, or why there are none.
#[derive(Debug, Clone)]
pub enum Profiles {
    /// Not needed: the target was met.
    NotNeeded,
    /// Wanted but impossible (no perf, not permitted, …).
    Unavailable(String),
    /// Taken.
    Taken(Vec<Profile>),
}

/// Runs `commands` one after another under `perf record` (one data file) and summarises.
pub fn profile(
    tool: &'static str,
    commands: &[Vec<String>],
    data_file: &Path,
) -> Result<Profile, String> {
    // One shell running the downloads back to back gives enough samples.
    let script: Vec<String> = commands
        .iter()
        .map(|c| {
            c.iter()
                .map(|a| shell_quote(a))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    // perf would keep an existing file as `FILE.old`.
    let _ = std::fs::remove_file(data_file);
    let status = Command::new("perf")
        .args(["record", "-q", "-F", "20000", "-o"])
        .arg(data_file)
        .args(["--", "sh", "-c"])
        .arg(format!(
            "set -e; {} >/dev/null",
            script.join(" >/dev/null; ")
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run perf: {e}"))?;
    if !status.status.success() {
        let err = String::from_utf8_lossy(&status.stderr);
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!("perf record failed ({}): {first}", status.status));
    }
    let by_thread: Vec<(f64, u64, String)> = report(data_file, "comm,dso", 1.0)?
        .into_iter()
        .map(|(pct, n, fields)| (pct, n, fields.join(" ")))
        .collect();
    let top = report(data_file, "dso,sym", 0.2)?
        .into_iter()
        .map(|(pct, n, mut fields)| {
            let dso = if fields.is_empty() {
                String::new()
            } else {
                fields.remove(0)
            };
            // Drop perf's `[.]` / `[k]` marker.
            if fields
                .first()
                .is_some_and(|f| f.starts_with('[') && f.len() == 3)
            {
                fields.remove(0);
            }
            (pct, n, dso, fields.join(" "))
        })
        .collect();
    let samples = report(data_file, "pid", 0.0)?
        .iter()
        .map(|(_, n, _)| n)
        .sum();
    Ok(Profile {
        tool,
        downloads: commands.len(),
        data_file: data_file.to_path_buf(),
        samples,
        by_thread,
        top,
    })
}

/// `perf report` sorted by `keys`, as (percent, samples, other fields), above `limit`
/// percent. The `sh` that runs the downloads contributes a few samples (fork, exec).
fn report(
    data_file: &Path,
    keys: &str,
    limit: f64,
) -> Result<Vec<(f64, u64, Vec<String>)>, String> {
    let out = Command::new("perf")
        .args([
            "report",
            "--stdio",
            "-q",
            "-n",
            "--no-children",
            "--percent-limit",
        ])
        .arg(limit.to_string())
        .args(["--sort", keys, "-i"])
        .arg(data_file)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run perf report: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "perf report failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let pct: f64 = words.next()?.strip_suffix('%')?.parse().ok()?;
            let samples: u64 = words.next()?.parse().ok()?;
            let fields: Vec<String> = words.filter(|w| *w != "-").map(str::to_string).collect();
            Some((pct, samples, fields))
        })
        .collect())
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Whether `perf` can be run at all.
pub fn perf_available() -> Result<(), String> {
    match Command::new("perf").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!("`perf --version` failed ({})", out.status)),
        Err(e) => Err(format!("perf is not installed ({e})")),
    }
}
