//! A real `redis-server` for tests: started on `127.0.0.1`, a random free port and a
//! temporary directory, with persistence off; stopped (killed) on drop.
//!
//! ```no_run
//! let redis = lark_tests::redis::RedisServer::start();
//! let url = redis.url(); // "redis://127.0.0.1:PORT/"
//! assert_eq!(redis.command(&["SET", "k", "v"]).unwrap(), lark_tests::redis::Reply::Status("OK".into()));
//! ```
//!
//! # Finding the server
//!
//! In order: the path in `LARK_TESTS_REDIS_SERVER`; `redis-server` on `PATH` (and the usual
//! `/usr/bin`, `/usr/local/bin`, `/usr/sbin`); else, when the process runs as root and
//! `apt-get` exists, `apt-get install -y redis-server` (once per process, with an
//! `apt-get update` retry); else [`RedisServer::start`] panics naming what to install. No
//! test skips silently because Redis is absent.
//!
//! # Outages on purpose
//!
//! [`RedisServer::stop`] kills the server (every connection drops, connects are refused);
//! [`RedisServer::restart`] starts a fresh, empty one on the same port.
//! [`RedisServer::pause`] / [`RedisServer::resume`] send `SIGSTOP` / `SIGCONT`: the port
//! still accepts connections but nothing answers (a "slow" Redis, for timeouts).
//!
//! [`RedisServer::command`] is a minimal blocking RESP client (no dependency on a Redis
//! crate) for looking at keys from a test.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Environment variable naming the `redis-server` binary to use.
pub const REDIS_SERVER_ENV: &str = "LARK_TESTS_REDIS_SERVER";

/// How long a started server has to answer `PING`.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running (or deliberately stopped) `redis-server` owned by a test.
#[derive(Debug)]
pub struct RedisServer {
    binary: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
    paused: bool,
}

/// One RESP reply, as [`RedisServer::command`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`-style simple string.
    Status(String),
    /// `-ERR ...` error reply (its text).
    Error(String),
    /// `:n` integer.
    Int(i64),
    /// `$n` bulk string (lossy UTF-8).
    Bulk(String),
    /// `$-1` / `*-1` null.
    Nil,
    /// `*n` array.
    Array(Vec<Reply>),
}

impl RedisServer {
    /// Starts a server on `127.0.0.1` and a random free port, in a new temporary
    /// directory, without persistence (`--save '' --appendonly no`), and waits until it
    /// answers `PING`.
    ///
    /// # Panics
    ///
    /// When no `redis-server` can be found or installed (the message names what to
    /// install), or when it does not start (the message holds its log).
    pub fn start() -> RedisServer {
        match Self::try_start() {
            Ok(server) => server,
            Err(e) => panic!("cannot start redis-server for the tests: {e}"),
        }
    }

    /// [`RedisServer::start`], returning the reason instead of panicking.
    pub fn try_start() -> Result<RedisServer, String> {
        let binary = find_or_install_redis_server()?;
        let dir = tempfile::Builder::new()
            .prefix("lark-tests-redis-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        let mut server = RedisServer {
            binary,
            dir,
            port: free_port()?,
            child: None,
            paused: false,
        };
        // A free port found by binding port 0 can be taken before redis binds it: retry.
        let mut attempts = 0;
        loop {
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(e) if attempts >= 4 => return Err(e),
                Err(_) => {
                    attempts += 1;
                    server.port = free_port()?;
                }
            }
        }
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The port it listens on (kept across [`RedisServer::restart`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's temporary directory (its log is `redis.log` there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is running (not stopped by [`RedisServer::stop`]; a paused
    /// server is running).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Whether [`RedisServer::pause`] froze it (and [`RedisServer::resume`] has not yet
    /// resumed it).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Kills the server (`SIGKILL`) and waits for it: open connections drop and new ones
    /// are refused. Data is lost (there is no persistence). No-op when already stopped.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.paused = false;
    }

    /// Starts a fresh, empty server on the same port after [`RedisServer::stop`] (stops
    /// it first if it runs). Retries for a few seconds while the port is not yet free.
    ///
    /// # Panics
    ///
    /// When the server does not come back within about 10 s.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.spawn() {
                Ok(()) => return,
                Err(e) if Instant::now() >= deadline => {
                    panic!("redis-server did not restart on port {}: {e}", self.port)
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Freezes the server with `SIGSTOP`: connections are accepted by the kernel but
    /// nothing is answered until [`RedisServer::resume`].
    pub fn pause(&mut self) {
        if let Some(pid) = self.pid() {
            signal(pid, libc::SIGSTOP);
            self.paused = true;
        }
    }

    /// Resumes a server frozen by [`RedisServer::pause`] (`SIGCONT`).
    pub fn resume(&mut self) {
        if let Some(pid) = self.pid() {
            signal(pid, libc::SIGCONT);
            self.paused = false;
        }
    }

    /// Runs one command on a new connection (5 s timeout) and returns its reply.
    /// A Redis error reply is `Ok(Reply::Error(..))`; `Err` is a connection or protocol
    /// failure.
    pub fn command(&self, args: &[&str]) -> Result<Reply, String> {
        let addr = format!("127.0.0.1:{}", self.port);
        let stream = TcpStream::connect_timeout(
            &addr.parse().map_err(|e| format!("{e}"))?,
            Duration::from_secs(5),
        )
        .map_err(|e| format!("connect {addr}: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            request.extend_from_slice(arg.as_bytes());
            request.extend_from_slice(b"\r\n");
        }
        (&stream)
            .write_all(&request)
            .map_err(|e| format!("write: {e}"))?;
        read_reply(&mut BufReader::new(&stream))
    }

    /// Whether it answers `PING` with `PONG`.
    pub fn ping(&self) -> bool {
        matches!(self.command(&["PING"]), Ok(Reply::Status(s)) if s == "PONG")
    }

    /// The keys matching a `KEYS` pattern, sorted (empty on any failure).
    pub fn keys(&self, pattern: &str) -> Vec<String> {
        let mut keys: Vec<String> = match self.command(&["KEYS", pattern]) {
            Ok(Reply::Array(items)) => items
                .into_iter()
                .filter_map(|r| match r {
                    Reply::Bulk(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        keys.sort();
        keys
    }

    /// `GET key` as a string (`None` when absent or on failure).
    pub fn get(&self, key: &str) -> Option<String> {
        match self.command(&["GET", key]) {
            Ok(Reply::Bulk(s)) => Some(s),
            _ => None,
        }
    }

    /// `PTTL key` in milliseconds (`-2` absent, `-1` no expiry; `None` on failure).
    pub fn pttl(&self, key: &str) -> Option<i64> {
        match self.command(&["PTTL", key]) {
            Ok(Reply::Int(n)) => Some(n),
            _ => None,
        }
    }

    /// `FLUSHALL`: empties every database.
    pub fn flush_all(&self) {
        let _ = self.command(&["FLUSHALL"]);
    }

    /// Every key and (for strings) its value, as `key=value` lines: for failure messages.
    pub fn dump(&self) -> String {
        self.keys("*")
            .into_iter()
            .map(|k| {
                let v = self.get(&k).unwrap_or_else(|| "<not a string>".into());
                format!("{k}={v}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    /// Starts the process on `self.port` and waits for `PING`.
    fn spawn(&mut self) -> Result<(), String> {
        let dir = self.dir.path();
        let log = dir.join("redis.log");
        let mut child = Command::new(&self.binary)
            .arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--protected-mode", "no"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--databases", "4"])
            .arg("--dir")
            .arg(dir)
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", self.binary.display()))?;
        let deadline = Instant::now() + START_TIMEOUT;
        self.child = None;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!(
                    "redis-server exited ({status}) on port {}; its log:\n{log}",
                    self.port
                ));
            }
            let probe = RedisServer::probe(self.port);
            if probe {
                self.child = Some(child);
                self.paused = false;
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!(
                    "redis-server did not answer PING on port {} within {START_TIMEOUT:?}; its log:\n{log}",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn probe(port: u16) -> bool {
        let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if (&stream).write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
            return false;
        }
        matches!(read_reply(&mut BufReader::new(&stream)), Ok(Reply::Status(s)) if s == "PONG")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) on a child process id we own; no memory is involved.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

fn read_line(reader: &mut impl BufRead) -> Result<String, String> {
    let mut line = String::new();
    let n = reader
        .read_line(&mut line)
        .map_err(|e| format!("read: {e}"))?;
    if n == 0 {
        return Err("connection closed".into());
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn read_reply(reader: &mut impl BufRead) -> Result<Reply, String> {
    let line = read_line(reader)?;
    let (kind, rest) = line.split_at(line.len().min(1));
    let int = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| format!("bad RESP length {s:?}"))
    };
    match kind {
        "+" => Ok(Reply::Status(rest.to_owned())),
        "-" => Ok(Reply::Error(rest.to_owned())),
        ":" => Ok(Reply::Int(int(rest)?)),
        "$" => {
            let len = int(rest)?;
            if len < 0 {
                return Ok(Reply::Nil);
            }
            let len = usize::try_from(len).map_err(|e| e.to_string())?;
            let mut buf = vec![0; len + 2];
            reader
                .read_exact(&mut buf)
                .map_err(|e| format!("read: {e}"))?;
            buf.truncate(len);
            Ok(Reply::Bulk(String::from_utf8_lossy(&buf).into_owned()))
        }
        "*" => {
            let len = int(rest)?;
            if len < 0 {
                return Ok(Reply::Nil);
            }
            (0..len)
                .map(|_| read_reply(reader))
                .collect::<Result<_, _>>()
                .map(Reply::Array)
        }
        _ => Err(format!("unexpected RESP line {line:?}")),
    }
}

/// Finds `redis-server` (see the module docs), installing it with apt-get when possible.
///
/// # Errors
///
/// A message naming what to install when it cannot be found nor installed.
pub fn find_or_install_redis_server() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(REDIS_SERVER_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{REDIS_SERVER_ENV}={} is not a file",
                path.display()
            ))
        };
    }
    if let Some(path) = find_on_path("redis-server") {
        return Ok(path);
    }
    // One install per process; parallel test processes serialize on apt's own lock.
    static INSTALL: OnceLock<Mutex<()>> = OnceLock::new();
    let _guard = INSTALL
        .get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(path) = find_on_path("redis-server") {
        return Ok(path);
    }
    install_with_apt()?;
    find_on_path("redis-server").ok_or_else(|| {
        "apt-get installed redis-server but no redis-server binary was found on PATH".into()
    })
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            ["/usr/bin", "/usr/local/bin", "/usr/sbin", "/bin"]
                .iter()
                .map(PathBuf::from),
        )
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn install_with_apt() -> Result<(), String> {
    const HOW: &str = "install it (Debian/Ubuntu: `sudo apt-get install -y redis-server`; \
                       macOS: `brew install redis`) or set LARK_TESTS_REDIS_SERVER to its path";
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let Some(apt) = find_on_path("apt-get") else {
        return Err(format!(
            "redis-server is not on PATH and apt-get is absent: {HOW}"
        ));
    };
    if !root {
        return Err(format!(
            "redis-server is not on PATH and the tests are not running as root, so they cannot apt-get it: {HOW}"
        ));
    }
    let install = |update: bool| -> Result<(), String> {
        if update {
            run_apt(&apt, &["update"])?;
        }
        run_apt(
            &apt,
            &["install", "-y", "--no-install-recommends", "redis-server"],
        )
    };
    install(false).or_else(|first| {
        install(true).map_err(|second| {
            format!("apt-get install -y redis-server failed ({first}; after apt-get update: {second}): {HOW}")
        })
    })
}

fn run_apt(apt: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new(apt)
        .args(["-o", "DPkg::Lock::Timeout=300", "-q"])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("run apt-get: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        Err(format!(
            "apt-get {} exited with {}: {}",
            args.join(" "),
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_answers_stops_restarts_pauses() {
        let mut redis = RedisServer::start();
        assert!(redis.ping());
        assert!(redis.url().starts_with("redis://127.0.0.1:"));
        assert_eq!(
            redis.command(&["SET", "a", "1", "PX", "60000"]).unwrap(),
            Reply::Status("OK".into())
        );
        assert_eq!(redis.get("a").as_deref(), Some("1"));
        assert!(redis.pttl("a").unwrap() > 0);
        assert_eq!(redis.keys("*"), vec!["a".to_owned()]);
        assert!(matches!(
            redis.command(&["NOSUCHCOMMAND"]).unwrap(),
            Reply::Error(_)
        ));
        let port = redis.port();
        redis.stop();
        assert!(!redis.ping());
        assert!(!redis.is_running());
        redis.restart();
        assert_eq!(redis.port(), port);
        assert!(redis.ping());
        assert_eq!(redis.get("a"), None, "a restarted server is empty");
        redis.pause();
        let start = Instant::now();
        assert!(!RedisServer::probe(redis.port()));
        assert!(start.elapsed() >= Duration::from_millis(900));
        redis.resume();
        assert!(redis.ping());
    }

    #[test]
    fn two_servers_do_not_share_a_port() {
        let a = RedisServer::start();
        let b = RedisServer::start();
        assert_ne!(a.port(), b.port());
        a.command(&["SET", "x", "a"]).unwrap();
        assert_eq!(b.get("x"), None);
    }
}
