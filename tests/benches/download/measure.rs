//! Running a child process and reading its own resource usage (`wait4`), and small
//! statistics helpers.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One finished child process.
#[derive(Debug, Clone)]
pub struct ChildRun {
    /// From just before `spawn` to the return of `wait4`.
    pub wall: Duration,
    /// The child's peak resident set size, KiB (`ru_maxrss` on Linux).
    pub max_rss_kib: u64,
    /// User plus system CPU time of the child.
    pub cpu: Duration,
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

/// Spawns `cmd` (stdin closed, stdout and stderr captured) and reaps it with `wait4`.
///
/// The child must write less than a pipe's worth (64 KiB) of output: the pipes are read
/// after it has exited.
pub fn run_child(mut cmd: Command) -> std::io::Result<ChildRun> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn()?;
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
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout)?;
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr)?;
    }
    let (success, status_text) = if libc::WIFEXITED(status) {
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
    Ok(ChildRun {
        wall,
        max_rss_kib: usage.ru_maxrss.max(0) as u64,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        success,
        status: status_text,
        stdout,
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
