//! Running a child process and reading its own resource usage (`wait4`), and small
//! statistics helpers.
//!
//! Every measured child is spawned and reaped by a spawner: this binary re-executed as
//! `download child-spawn PROGRAM ARGS…`, which does nothing else. On Linux a child's
//! `ru_maxrss` is at least the peak RSS of the address space it was spawned from (`execve`
//! records the replaced address space's peak; with `vfork`/`posix_spawn` that is the
//! parent's), so spawning straight from the harness, which holds the fake server (about
//! 10 MiB), would floor every child's figure at the harness's own peak. The spawner's peak is
//! a few MiB; it reports it, so the report can show that floor is below every figure.

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The first argument that selects the spawner mode.
pub const SPAWN_MODE: &str = "child-spawn";

/// Prefix of the spawner's own output lines (after the child's).
const REPORT: &str = "child-spawn.";

/// One finished child process.
#[derive(Debug, Clone)]
pub struct ChildRun {
    /// From just before `spawn` to the return of `wait4`, in the spawner.
    pub wall: Duration,
    /// The child's peak resident set size, KiB (`ru_maxrss` on Linux).
    pub max_rss_kib: u64,
    /// The spawner's own peak RSS, KiB: the floor under `max_rss_kib`.
    pub spawner_rss_kib: u64,
    /// User plus system CPU time of the child.
    pub cpu: Duration,
    /// Voluntary context switches of the child, all its threads (`ru_nvcsw`): each time one
    /// of them blocked (waiting for data, a lock, or to be woken by another thread).
    pub voluntary_switches: u64,
    /// Involuntary context switches (`ru_nivcsw`): preempted by the scheduler.
    pub involuntary_switches: u64,
    /// Exit code 0.
    pub success: bool,
    /// How it ended, for error messages.
    pub status: String,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec.max(0) as u64) + Duration::from_micros(tv.tv_usec.max(0) as u64)
}

/// What the spawner measured.
struct Reaped {
    wall: Duration,
    usage: libc::rusage,
    success: bool,
    status: String,
}

/// Spawns `cmd` and reaps it with `wait4`.
fn spawn_and_reap(mut cmd: Command) -> std::io::Result<Reaped> {
    let started = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a plain C struct for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, not reaped yet (`Child::wait`/`try_wait` are never
        // called on it); both pointers point to live, writable locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let wall = started.elapsed();
    let (success, status) = if libc::WIFEXITED(status) {
        let code = libc::WEXITSTATUS(status);
        (code == 0, format!("exit code {code}"))
    } else if libc::WIFSIGNALED(status) {
        (
            false,
            format!("killed by signal {}", libc::WTERMSIG(status)),
        )
    } else {
        (false, format!("wait status {status}"))
    };
    Ok(Reaped {
        wall,
        usage,
        success,
        status,
    })
}

/// This process's peak RSS (`VmHWM`), KiB; 0 if unknown.
fn own_peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The spawner mode, with the arguments after [`SPAWN_MODE`]: runs `PROGRAM ARGS…` (stdin
/// closed, stdout and stderr inherited), reaps it, then prints its figures, one
/// `child-spawn.NAME VALUE` per line, after whatever the child printed.
pub fn spawn_main(args: &[String]) -> ExitCode {
    let [program, rest @ ..] = args else {
        eprintln!("usage: download {SPAWN_MODE} PROGRAM [ARGS…]");
        return ExitCode::from(2);
    };
    let mut cmd = Command::new(program);
    cmd.args(rest).stdin(Stdio::null());
    let reaped = match spawn_and_reap(cmd) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("child-spawn: cannot run {program}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let u = &reaped.usage;
    let cpu = timeval(u.ru_utime) + timeval(u.ru_stime);
    println!("{REPORT}wall_us {}", reaped.wall.as_micros());
    println!("{REPORT}max_rss_kib {}", u.ru_maxrss.max(0));
    println!("{REPORT}spawner_rss_kib {}", own_peak_rss_kib());
    println!("{REPORT}cpu_us {}", cpu.as_micros());
    println!("{REPORT}nvcsw {}", u.ru_nvcsw.max(0));
    println!("{REPORT}nivcsw {}", u.ru_nivcsw.max(0));
    println!("{REPORT}success {}", u8::from(reaped.success));
    println!("{REPORT}status {}", reaped.status);
    ExitCode::SUCCESS
}

/// Runs `args` (program first) through the spawner (`exe child-spawn …`, with `exe` this
/// binary), its output captured, and returns what the spawner measured.
///
/// The spawner's failure (it could not start the program) is an error; the program's own
/// failure is reported in [`ChildRun::success`].
pub fn run_child(exe: &std::path::Path, args: &[String]) -> std::io::Result<ChildRun> {
    let out = Command::new(exe)
        .arg(SPAWN_MODE)
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let fail = |why: &str| {
        std::io::Error::other(format!(
            "{SPAWN_MODE} of {}: {why} ({}): {}",
            args.first().map_or("", String::as_str),
            out.status,
            stderr.trim()
        ))
    };
    if !out.status.success() {
        return Err(fail("the spawner failed"));
    }
    let mut child_stdout = String::new();
    let mut fields = std::collections::HashMap::new();
    for line in stdout.lines() {
        match line.strip_prefix(REPORT).and_then(|l| l.split_once(' ')) {
            Some((name, value)) => {
                fields.insert(name, value);
            }
            None => {
                child_stdout += line;
                child_stdout.push('\n');
            }
        }
    }
    let number = |name: &str| -> std::io::Result<u64> {
        fields
            .get(name)
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| fail(&format!("no `{REPORT}{name}` in its output")))
    };
    Ok(ChildRun {
        wall: Duration::from_micros(number("wall_us")?),
        max_rss_kib: number("max_rss_kib")?,
        spawner_rss_kib: number("spawner_rss_kib")?,
        cpu: Duration::from_micros(number("cpu_us")?),
        voluntary_switches: number("nvcsw")?,
        involuntary_switches: number("nivcsw")?,
        success: number("success")? == 1,
        status: fields
            .get("status")
            .map_or(String::new(), |s| s.to_string()),
        stdout: child_stdout,
        stderr,
    })
}

/// The median (mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// The largest value; NaN when empty.
pub fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NAN, f64::max)
}

/// Milliseconds as a float.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Raises the soft limit on open files to the hard limit (1000 concurrent loopback
/// connections need about 2000 descriptors in this process).
pub fn raise_open_files_limit() {
    // SAFETY: `rlimit` is plain data; getrlimit/setrlimit only read and write it.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max.min(65536).max(lim.rlim_cur);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}
