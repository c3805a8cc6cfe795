//! What the figures were measured on: machine, date, commit.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The run's context, for the head of BENCHMARKS.md.
#[derive(Debug, Clone)]
pub struct Context {
    /// CPU model from /proc/cpuinfo.
    pub cpu: String,
    /// Logical CPUs available to this process.
    pub cores: usize,
    /// MemTotal from /proc/meminfo, MiB.
    pub memory_mib: Option<u64>,
    /// PRETTY_NAME from /etc/os-release and the kernel release.
    pub os: String,
    /// `rustc --version`.
    pub rustc: String,
    /// `2026-01-31 12:34 UTC`.
    pub date: String,
    /// `abc1234`, `abc1234 (dirty)`, or `unknown`.
    pub commit: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn command_line(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Gathers the context of a run in the workspace at `root`.
pub fn context(root: &Path) -> Context {
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == "model name").then(|| value.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory_mib = read("/proc/meminfo").lines().find_map(|l| {
        let rest = l.strip_prefix("MemTotal:")?;
        let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib / 1024)
    });
    let pretty = read("/etc/os-release")
        .lines()
        .find_map(|l| {
            l.strip_prefix("PRETTY_NAME=")
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    let kernel = read("/proc/sys/kernel/osrelease").trim().to_string();
    let os = if kernel.is_empty() {
        pretty
    } else {
        format!("{pretty}, Linux {kernel}")
    };
    let rustc = command_line("rustc", &["--version"], root).unwrap_or_else(|| "unknown".into());
    let commit = match command_line("git", &["rev-parse", "--short", "HEAD"], root) {
        Some(hash) => {
            let dirty = command_line("git", &["status", "--porcelain"], root)
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{hash} (dirty: uncommitted changes in the tree)")
            } else {
                hash
            }
        }
        None => "unknown (not a git checkout)".into(),
    };
    Context {
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_mib,
        os,
        rustc,
        date: utc_now(),
        commit,
    }
}

/// The current time as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = lark_tests::civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}
