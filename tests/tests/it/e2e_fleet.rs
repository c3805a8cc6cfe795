//! A fleet of real replica processes (`tests/src/bin/replica.rs`) against the fake Lark
//! server (in this process) and a real `redis-server` (`lark_tests::redis`): one token for
//! the whole fleet, a rotation, a replica killed while it holds the token lock, Redis
//! stopped mid-run, and one shared rate budget against the fake's enforced limit.
//!
//! The tests of this file run one at a time (they time things on a 2-core machine).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lark_tests::redis::RedisServer;
use lark_tests::{FakeConfig, FakeLark, FakeRateLimit, TokenRequestKind};
use serde_json::Value;

/// The endpoint every replica calls.
const ENDPOINT: &str = "im.v1.chat.get";

/// How long any one replica may take before the test gives up on it.
const REPLICA_TIMEOUT: Duration = Duration::from_secs(120);

/// One fleet test at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn fake(rate_limit: Option<FakeRateLimit>) -> FakeLark {
    FakeLark::start_in_background(FakeConfig {
        rate_limit,
        ..FakeConfig::default()
    })
    .expect("fake server starts")
}

/// A running replica process.
struct Replica {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

/// A replica's final JSON line and its logs.
#[derive(Debug)]
struct Report {
    name: String,
    ok: u64,
    failed: u64,
    http_429: u64,
    elapsed_ms: u64,
    max_call_ms: u64,
    json: Value,
    stderr: String,
}

impl Replica {
    /// Starts `replica --base-url <fake> [--redis <url>] <extra...>`.
    fn spawn(name: &str, fake: &FakeLark, redis: Option<&RedisServer>, extra: &[&str]) -> Replica {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_replica"));
        cmd.arg("--base-url").arg(fake.base_url());
        if let Some(redis) = redis {
            cmd.arg("--redis").arg(redis.url());
        }
        cmd.args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("replica binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr_pipe = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Replica {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits for a JSON line of standard output that has `key`.
    fn expect(&self, key: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Ok(v) = serde_json::from_str::<Value>(&line) {
                        if v.get(key).is_some() {
                            return v;
                        }
                    }
                }
                Err(e) => panic!(
                    "replica {}: no line with {key:?} ({e}); stderr:\n{}",
                    self.name,
                    self.stderr()
                ),
            }
        }
    }

    /// Lets a `--wait-for-go` replica start its calls.
    fn go(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(b"go\n").expect("replica reads its stdin");
        stdin.flush().expect("flush");
    }

    /// Kills the process (SIGKILL) and reaps it.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the final report and the process's exit.
    fn report(mut self) -> Report {
        let json = self.expect("ok", REPLICA_TIMEOUT);
        let status = self.child.wait().expect("reap replica");
        // The stderr reader ends with the process.
        std::thread::sleep(Duration::from_millis(20));
        let stderr = self.stderr();
        assert!(
            status.success(),
            "replica {} exited with {status}; stderr:\n{stderr}",
            self.name
        );
        let n = |k: &str| json.get(k).and_then(Value::as_u64).unwrap_or(u64::MAX);
        Report {
            name: self.name.clone(),
            ok: n("ok"),
            failed: n("failed"),
            http_429: n("http_429"),
            elapsed_ms: n("elapsed_ms"),
            max_call_ms: n("max_call_ms"),
            json,
            stderr,
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `n` replicas with `--wait-for-go`, waits until each is ready, and lets them all go.
fn fleet(n: usize, fake: &FakeLark, redis: Option<&RedisServer>, extra: &[&str]) -> Vec<Replica> {
    let mut args = vec!["--wait-for-go"];
    args.extend_from_slice(extra);
    let mut replicas: Vec<Replica> = (0..n)
        .map(|i| Replica::spawn(&format!("r{i}"), fake, redis, &args))
        .collect();
    for r in &replicas {
        r.expect("ready", REPLICA_TIMEOUT);
    }
    for r in &mut replicas {
        r.go();
    }
    replicas
}

fn reports(replicas: Vec<Replica>) -> Vec<Report> {
    replicas.into_iter().map(Replica::report).collect()
}

fn tenant_token_requests(fake: &FakeLark) -> usize {
    fake.token_requests(TokenRequestKind::TenantInternal)
}

/// Requests the fake received on [`ENDPOINT`] so far.
fn calls_seen(fake: &FakeLark) -> usize {
    fake.requests_for(ENDPOINT).len()
}

/// Waits until the fake has seen `n` calls of [`ENDPOINT`].
fn wait_for_calls(fake: &FakeLark, n: usize) -> usize {
    let deadline = Instant::now() + REPLICA_TIMEOUT;
    loop {
        let seen = calls_seen(fake);
        if seen >= n {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "only {seen} of {n} calls arrived"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Each bearer token the fake saw on [`ENDPOINT`], in order of first use: the index of its
/// first and last use in the log, its accepted and refused uses. For failure messages.
fn token_story(fake: &FakeLark) -> String {
    let mut tokens: Vec<(String, usize, usize, usize, usize)> = Vec::new();
    for (i, r) in fake.requests_for(ENDPOINT).iter().enumerate() {
        let bearer = r.bearer.clone().unwrap_or_default();
        let short: String = bearer
            .chars()
            .rev()
            .take(8)
            .collect::<String>()
            .chars()
            .rev()
            .collect();
        let entry = match tokens.iter_mut().find(|t| t.0 == short) {
            Some(e) => e,
            None => {
                tokens.push((short, i, i, 0, 0));
                tokens.last_mut().expect("just pushed")
            }
        };
        entry.2 = i;
        if r.status == 200 {
            entry.3 += 1;
        } else {
            entry.4 += 1;
        }
    }
    tokens
        .iter()
        .map(|(t, first, last, ok, refused)| {
            format!("…{t}: calls {first}..={last}, {ok} accepted, {refused} refused")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `HGETALL key` as text.
fn hash_dump(redis: &RedisServer, key: &str) -> String {
    format!("{:?}", redis.command(&["HGETALL", key]))
}

fn assert_all_ok(reports: &[Report], calls: u64) {
    for r in reports {
        assert_eq!(
            (r.ok, r.failed),
            (calls, 0),
            "replica {} lost calls: {}\nstderr:\n{}",
            r.name,
            r.json,
            r.stderr
        );
    }
}

#[test]
fn four_replicas_of_250_cold_calls_make_one_token_request() {
    let _serial = serial();
    let redis = RedisServer::start();
    let fake = fake(None);
    let replicas = fleet(4, &fake, Some(&redis), &["--calls", "250"]);
    let reports = reports(replicas);
    assert_all_ok(&reports, 250);
    assert_eq!(calls_seen(&fake), 1000);
    assert_eq!(
        tenant_token_requests(&fake),
        1,
        "one token request for the whole cold fleet; redis holds:\n{}",
        redis.dump()
    );
    // What Redis holds: the one token under a key naming the app and the tenant (none for a
    // self-built app), with the token's lifetime as TTL; the lock released; no secret.
    let key = "lark:token:cli_fake_app:tenant:-";
    assert_eq!(redis.keys("*"), vec![key.to_owned()], "{}", redis.dump());
    let ttl = redis.pttl(key).unwrap_or(0);
    assert!(
        (7_000_000..=7_200_000).contains(&ttl),
        "the token's TTL is its lifetime (7200 s): {ttl} ms"
    );
    let everything = format!("{}\n{}", redis.dump(), hash_dump(&redis, key));
    assert!(!everything.contains("fake_secret"), "{everything}");
    let slowest = reports.iter().map(|r| r.elapsed_ms).max().unwrap_or(0);
    eprintln!("4 x 250 cold calls: 1 token request, slowest replica {slowest} ms");
}

#[test]
fn a_rotation_mid_run_costs_at_most_one_token_request_per_rotation() {
    let _serial = serial();
    let redis = RedisServer::start();
    let fake = fake(None);
    let per_replica = 1500;
    let total = 4 * per_replica;
    let replicas = fleet(
        4,
        &fake,
        Some(&redis),
        &["--calls", "1500", "--concurrency", "16"],
    );
    let mut at = Vec::new();
    for threshold in [total / 4, total / 2] {
        at.push(wait_for_calls(&fake, threshold));
        fake.revoke_tokens();
    }
    let reports = reports(replicas);
    if reports.iter().any(|r| r.failed > 0) {
        eprintln!("rotations at calls {at:?}; tokens:\n{}", token_story(&fake));
    }
    assert_all_ok(&reports, per_replica as u64);
    let rotated_before = *at.last().unwrap_or(&0);
    assert!(
        rotated_before < total,
        "the second rotation came after the last call ({rotated_before} of {total})"
    );
    let tokens = tenant_token_requests(&fake);
    assert!(
        (1..=3).contains(&tokens),
        "1 token for the cold start + at most 1 per rotation (2 rotations), got {tokens}"
    );
    eprintln!("2 rotations at calls {at:?} of {total}: {tokens} token requests in all");
}

#[test]
fn a_replica_killed_holding_the_lock_delays_the_others_at_most_the_lock_ttl() {
    const LOCK_TTL_MS: u64 = 3000;
    /// Polling backoff (≤ 200 ms), the fetch and process scheduling on a busy machine.
    const SLACK_MS: u64 = 1500;
    let _serial = serial();
    let redis = RedisServer::start();
    let fake = fake(None);
    let ttl = LOCK_TTL_MS.to_string();
    let mut holder = Replica::spawn(
        "holder",
        &fake,
        Some(&redis),
        &["--hold-lock-and-hang", "--lock-ttl-ms", &ttl],
    );
    holder.expect("locked", REPLICA_TIMEOUT);
    let locked_at = Instant::now();
    assert_eq!(
        redis.keys("lark:lock:*"),
        vec!["lark:lock:cli_fake_app:tenant:-".to_owned()],
        "the holder's lock"
    );
    let left = redis.pttl("lark:lock:cli_fake_app:tenant:-").unwrap_or(0);
    assert!(
        left > 0 && left <= LOCK_TTL_MS as i64,
        "lock TTL left: {left} ms"
    );
    holder.kill();
    let replicas = fleet(
        3,
        &fake,
        Some(&redis),
        &["--calls", "50", "--lock-ttl-ms", &ttl],
    );
    let reports = reports(replicas);
    let done = locked_at.elapsed();
    assert_all_ok(&reports, 50);
    let slowest_call = reports.iter().map(|r| r.max_call_ms).max().unwrap_or(0);
    assert!(
        slowest_call <= LOCK_TTL_MS + SLACK_MS,
        "a call took {slowest_call} ms: more than the lock TTL {LOCK_TTL_MS} ms + {SLACK_MS} ms"
    );
    assert_eq!(
        tenant_token_requests(&fake),
        1,
        "the replica after the lock fetched it once"
    );
    let done_ms = done.as_millis() as u64;
    assert!(
        done_ms <= LOCK_TTL_MS + SLACK_MS,
        "the fleet finished {done_ms} ms after the lock was taken: more than its TTL {LOCK_TTL_MS} ms + {SLACK_MS} ms"
    );
    // The others did wait for the lock (else this test proves nothing).
    assert!(
        done_ms + 200 >= LOCK_TTL_MS,
        "the fleet finished {done_ms} ms after the lock was taken, before its TTL {LOCK_TTL_MS} ms ran out"
    );
    eprintln!(
        "lock holder killed: the fleet finished {done_ms} ms after the lock (TTL {LOCK_TTL_MS} ms)"
    );
}

#[test]
fn redis_stopped_mid_run_loses_no_call() {
    let _serial = serial();
    let mut redis = RedisServer::start();
    let fake = fake(None);
    let per_replica = 1200;
    let total = 4 * per_replica;
    let replicas = fleet(
        4,
        &fake,
        Some(&redis),
        &[
            "--calls",
            "1200",
            "--concurrency",
            "16",
            // The shared limiter too, 40 times the documented limit: its script runs on
            // every call without slowing the run down much.
            "--limiter",
            "redis",
            "--headroom",
            "40",
            "--redis-timeout-ms",
            "200",
        ],
    );
    let stopped_at = wait_for_calls(&fake, total / 4);
    redis.stop();
    // While it is down, a rotation: every replica must fetch a token on its own.
    wait_for_calls(&fake, stopped_at + total / 8);
    fake.revoke_tokens();
    let revoked_at = wait_for_calls(&fake, stopped_at + total / 4);
    redis.restart();
    let reports = reports(replicas);
    assert_all_ok(&reports, per_replica as u64);
    assert!(revoked_at < total, "Redis came back after the last call");
    let tokens = tenant_token_requests(&fake);
    // 1 cold + at most one per replica while Redis was down.
    assert!(tokens <= 5, "{tokens} token requests");
    for r in &reports {
        let warnings = r.stderr.lines().filter(|l| l.contains("WARN")).count();
        assert!(
            warnings <= 4,
            "replica {} logged {warnings} warnings for one outage (once per outage per store):\n{}",
            r.name,
            r.stderr
        );
    }
    let most = reports
        .iter()
        .map(|r| r.stderr.lines().filter(|l| l.contains("WARN")).count())
        .max()
        .unwrap_or(0);
    eprintln!(
        "Redis stopped at call {stopped_at} of {total}: no call lost, {tokens} token requests, at most {most} warning lines per replica"
    );
}

#[test]
fn with_the_shared_limiter_a_fleet_gets_no_429_and_without_it_does() {
    let _serial = serial();
    let redis = RedisServer::start();
    let fake = fake(Some(FakeRateLimit::from_spec()));
    // 4 x 30 calls against 50/s and 1000/min: a burst at 50/s, then the per-minute pace
    // (about 5 s).
    let on = reports(fleet(
        4,
        &fake,
        Some(&redis),
        &["--calls", "30", "--limiter", "redis", "--max-attempts", "1"],
    ));
    assert_all_ok(&on, 30);
    assert_eq!(
        fake.rate_limited(),
        0,
        "the fake refused calls of a limited fleet"
    );
    let on_ms = on.iter().map(|r| r.elapsed_ms).max().unwrap_or(0);

    fake.set_rate_limit(Some(FakeRateLimit::from_spec()));
    let off = reports(fleet(
        4,
        &fake,
        Some(&redis),
        &["--calls", "30", "--limiter", "off", "--max-attempts", "1"],
    ));
    let refused = fake.rate_limited();
    let failed_429: u64 = off.iter().map(|r| r.http_429).sum();
    assert!(
        refused > 0,
        "without the limiter the fleet should trip the fake's limit"
    );
    assert_eq!(
        failed_429, refused as u64,
        "each refusal failed one call (no retries)"
    );
    eprintln!(
        "limiter on: 120 calls in {on_ms} ms, 0 refused; off: {refused} of 120 refused (429)"
    );
}

#[test]
fn a_frozen_redis_mid_run_loses_no_call() {
    let _serial = serial();
    let mut redis = RedisServer::start();
    let fake = fake(None);
    let per_replica = 1200;
    let total = 4 * per_replica;
    let replicas = fleet(
        4,
        &fake,
        Some(&redis),
        &[
            "--calls",
            "1200",
            "--concurrency",
            "16",
            "--limiter",
            "redis",
            "--headroom",
            "40",
            "--redis-timeout-ms",
            "200",
        ],
    );
    let frozen_at = wait_for_calls(&fake, total / 4);
    // SIGSTOP: connections stay open, nothing answers; every Redis call times out.
    redis.pause();
    wait_for_calls(&fake, frozen_at + total / 8);
    fake.revoke_tokens();
    let resumed_at = wait_for_calls(&fake, frozen_at + total / 4);
    redis.resume();
    let reports = reports(replicas);
    assert_all_ok(&reports, per_replica as u64);
    assert!(resumed_at < total, "Redis came back after the last call");
    let tokens = tenant_token_requests(&fake);
    assert!(tokens <= 5, "{tokens} token requests");
    let slowest = reports.iter().map(|r| r.max_call_ms).max().unwrap_or(0);
    eprintln!(
        "Redis frozen at call {frozen_at} of {total}: no call lost, {tokens} token requests, slowest call {slowest} ms"
    );
}
