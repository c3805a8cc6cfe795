//! Section 7: many replicas on Redis. Token requests and 429s of a cold fleet of 1, 4 and 8
//! replica processes (`tests/src/bin/replica.rs`) with and without the shared store, against
//! the fake's enforced rate limit; and the per-call time the rate limiter adds.
//!
//! Runs alone with `cargo xtask bench --only fleet` (about 30 s), which rewrites only this
//! section of BENCHMARKS.md.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lark_openapi::ratelimit::{InProcessLimiter, RedisRateLimiter};
use lark_openapi::Client;
use lark_tests::redis::RedisServer;
use lark_tests::{FakeConfig, FakeLark, FakeRateLimit, TokenRequestKind};
use serde_json::Value;

use crate::measure::median;
use crate::Result;

/// The section's heading (the `--only fleet` splice looks for it).
pub const HEADING: &str = "## 7. Many replicas on Redis";

/// The endpoint every call reads.
const ENDPOINT: &str = "im.v1.chat.get";
/// Calls per replica in the fleet runs.
const CALLS_PER_REPLICA: usize = 20;
/// Fleet sizes.
const FLEETS: [usize; 3] = [1, 4, 8];

/// How the replicas of one run share (or do not share) their state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Today's default: each replica its own token, no limiter.
    Alone,
    /// Each replica its own token and an in-process limiter.
    LocalLimiter,
    /// Tokens shared on Redis, no limiter.
    SharedTokens,
    /// Tokens and the rate budget shared on Redis.
    SharedAll,
}

impl Mode {
    const ALL: [Mode; 4] = [
        Mode::Alone,
        Mode::LocalLimiter,
        Mode::SharedTokens,
        Mode::SharedAll,
    ];

    fn label(self) -> &'static str {
        match self {
            Mode::Alone => "no shared store, no limiter (default)",
            Mode::LocalLimiter => "no shared store, in-process limiter",
            Mode::SharedTokens => "shared tokens (Redis), no limiter",
            Mode::SharedAll => "shared tokens + shared limiter (Redis)",
        }
    }

    fn args(self) -> &'static [&'static str] {
        match self {
            Mode::Alone => &["--limiter", "off"],
            Mode::LocalLimiter => &["--limiter", "local"],
            Mode::SharedTokens => &["--limiter", "off"],
            Mode::SharedAll => &["--limiter", "redis"],
        }
    }

    fn redis(self) -> bool {
        matches!(self, Mode::SharedTokens | Mode::SharedAll)
    }
}

/// One fleet run.
#[derive(Debug, Clone)]
pub struct FleetRun {
    pub replicas: usize,
    pub mode: Mode,
    pub token_requests: usize,
    /// Calls the fake refused (429 / 99991400).
    pub refused: usize,
    pub ok: u64,
    pub failed: u64,
    /// From `go` to the last replica's report.
    pub wall_ms: f64,
}

/// Per-call time of sequential calls with each limiter, µs, per round.
#[derive(Debug, Clone, Default)]
pub struct Overhead {
    pub calls_per_round: usize,
    pub none: Vec<f64>,
    pub local: Vec<f64>,
    pub redis: Vec<f64>,
}

/// Everything the section shows.
#[derive(Debug, Clone)]
pub struct FleetFigures {
    pub runs: Vec<FleetRun>,
    pub overhead: Overhead,
    pub redis_version: String,
}

/// Runs the fleets, then the overhead rounds.
pub fn run(rounds: usize) -> Result<FleetFigures> {
    let redis = RedisServer::try_start()?;
    let redis_version = Command::new("redis-server")
        .arg("--version")
        .output()
        .ok()
        .map(|o| {
            // "Redis server v=7.0.15 sha=… malloc=…": the version alone.
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.split_whitespace()
                .find_map(|w| w.strip_prefix("v="))
                .map_or_else(|| text.trim().to_owned(), |v| format!("Redis {v}"))
        })
        .unwrap_or_default();
    let mut runs = Vec::new();
    for replicas in FLEETS {
        for mode in Mode::ALL {
            redis.flush_all();
            let r = fleet_run(&redis, replicas, mode)?;
            eprintln!(
                "bench: fleet of {replicas}, {}: {} token request(s), {} refused (429), {} ok, {} failed, {:.0} ms",
                mode.label(),
                r.token_requests,
                r.refused,
                r.ok,
                r.failed,
                r.wall_ms
            );
            runs.push(r);
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let overhead = runtime.block_on(overhead(&redis, rounds))?;
    Ok(FleetFigures {
        runs,
        overhead,
        redis_version,
    })
}

fn fleet_run(redis: &RedisServer, replicas: usize, mode: Mode) -> Result<FleetRun> {
    let fake = FakeLark::start_in_background(FakeConfig {
        rate_limit: Some(FakeRateLimit::from_spec()),
        ..FakeConfig::default()
    })?;
    let calls = CALLS_PER_REPLICA.to_string();
    let mut children: Vec<(Child, BufReader<std::process::ChildStdout>)> = Vec::new();
    for _ in 0..replicas {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_replica"));
        cmd.args(["--base-url", &fake.base_url(), "--calls", &calls])
            .args(["--max-attempts", "1", "--wait-for-go"])
            .args(mode.args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if mode.redis() {
            cmd.args(["--redis", &redis.url()]);
        }
        let mut child = cmd.spawn()?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        children.push((child, stdout));
    }
    for (_, out) in &mut children {
        read_json(out, "ready")?;
    }
    let started = Instant::now();
    for (child, _) in &mut children {
        let stdin = child.stdin.as_mut().ok_or("no stdin")?;
        stdin.write_all(b"go\n")?;
        stdin.flush()?;
    }
    let (mut ok, mut failed) = (0, 0);
    for (child, out) in &mut children {
        let report = read_json(out, "ok")?;
        ok += report["ok"].as_u64().unwrap_or(0);
        failed += report["failed"].as_u64().unwrap_or(0);
        child.wait()?;
    }
    Ok(FleetRun {
        replicas,
        mode,
        token_requests: fake.token_requests(TokenRequestKind::TenantInternal),
        refused: fake.rate_limited(),
        ok,
        failed,
        wall_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The next JSON line with `key` (replicas print nothing else on stdout).
fn read_json(out: &mut impl BufRead, key: &str) -> Result<Value> {
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line)? == 0 {
            return Err(format!("a replica exited before printing {key:?}").into());
        }
        if let Ok(v) = serde_json::from_str::<Value>(&line) {
            if v.get(key).is_some() {
                return Ok(v);
            }
        }
    }
}

/// Sequential calls (one in flight, token cached, connection open) through three clients:
/// no limiter, the in-process limiter, the Redis limiter; limits set so high that no call
/// waits, so the difference is the limiter's own work (for Redis: one script round trip).
async fn overhead(redis: &RedisServer, rounds: usize) -> Result<Overhead> {
    const CALLS: usize = 400;
    let config = FakeConfig::default();
    let fake = FakeLark::start(config.clone()).await?;
    let builder = || {
        Client::builder(config.app_id.clone(), config.app_secret.clone()).base_url(fake.base_url())
    };
    let none = builder().build()?;
    let local = builder()
        .rate_limiter(
            InProcessLimiter::new()
                .limit(ENDPOINT, 1_000_000)
                .limit_per_minute(ENDPOINT, 60_000_000),
        )
        .build()?;
    let shared = builder()
        .rate_limiter(
            RedisRateLimiter::new(&redis.url())?
                .limit(ENDPOINT, 1_000_000)
                .limit_per_minute(ENDPOINT, 60_000_000),
        )
        .build()?;
    let mut figures = Overhead {
        calls_per_round: CALLS,
        ..Overhead::default()
    };
    // Warm-up: tokens, connections, the script cached in Redis.
    for client in [&none, &local, &shared] {
        per_call_us(client, 50).await?;
    }
    for round in 0..rounds {
        // Rotate the order, so none always runs first.
        let order: [usize; 3] = match round % 3 {
            0 => [0, 1, 2],
            1 => [1, 2, 0],
            _ => [2, 0, 1],
        };
        for which in order {
            match which {
                0 => figures.none.push(per_call_us(&none, CALLS).await?),
                1 => figures.local.push(per_call_us(&local, CALLS).await?),
                _ => figures.redis.push(per_call_us(&shared, CALLS).await?),
            }
        }
    }
    eprintln!(
        "bench: per call: no limiter {:.0} µs, in-process {:.0} µs, Redis {:.0} µs",
        median(&figures.none),
        median(&figures.local),
        median(&figures.redis)
    );
    Ok(figures)
}

async fn per_call_us(client: &Client, calls: usize) -> Result<f64> {
    let started = Instant::now();
    for _ in 0..calls {
        client.im().v1().chat().get("oc_fake_1").send().await?;
    }
    Ok(started.elapsed().as_secs_f64() * 1e6 / calls as f64)
}

fn cell(runs: &[FleetRun], replicas: usize, mode: Mode) -> String {
    match runs
        .iter()
        .find(|r| r.replicas == replicas && r.mode == mode)
    {
        Some(r) => format!(
            "{} / {}{} / {:.1} s",
            r.token_requests,
            r.refused,
            if r.failed > r.refused as u64 {
                format!(" ({} other failures)", r.failed - r.refused as u64)
            } else {
                String::new()
            },
            r.wall_ms / 1000.0
        ),
        None => "not run".into(),
    }
}

/// The section's Markdown (starts with a blank line and [`HEADING`]).
pub fn render(f: &FleetFigures, time: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "
{HEADING}

Replicas are separate processes (`tests/src/bin/replica.rs`), each a `lark_openapi::Client`
making {CALLS_PER_REPLICA} calls of `im.v1.chat.get` all at once (as fast as it can, no
retries: `--max-attempts 1`), started together on a cold cache, against the fake with its
enforced rate limit on (`FakeRateLimit::from_spec()`: the spec's 50 calls/s per tenant ×
endpoint, a bucket of one second's worth) and a fresh `redis-server` ({}) on 127.0.0.1.
Each cell: **token requests / calls refused with 429 (99991400) / wall time** from `go` to
the last replica's report. Measured in {:.1} s (`cargo xtask bench --only fleet` reruns
this section alone).

| replicas | {} | {} | {} | {} |
|---:|---|---|---|---|",
        if f.redis_version.is_empty() {
            "version unknown"
        } else {
            f.redis_version.as_str()
        },
        time.as_secs_f64(),
        Mode::ALL[0].label(),
        Mode::ALL[1].label(),
        Mode::ALL[2].label(),
        Mode::ALL[3].label(),
    );
    for replicas in FLEETS {
        let _ = writeln!(
            out,
            "| {replicas} | {} | {} | {} | {} |",
            cell(&f.runs, replicas, Mode::ALL[0]),
            cell(&f.runs, replicas, Mode::ALL[1]),
            cell(&f.runs, replicas, Mode::ALL[2]),
            cell(&f.runs, replicas, Mode::ALL[3]),
        );
    }
    let o = &f.overhead;
    let (none, local, redis) = (median(&o.none), median(&o.local), median(&o.redis));
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "
Without a shared store each replica fetches its own token; with it the fleet fetches one.
Without a limiter (or with one per process) the fleet's first second's burst goes over the
budget and the fake refuses the excess; with the shared limiter the calls are spaced on the
Redis clock (50/s, and the spec's 1000/min after a burst), so nothing is refused and the
run takes as long as the budget requires.

**Limiter overhead per call** (one call in flight, token cached, connection open; medians
of {} rounds of {} sequential calls; limits set so high that no call waits, so the
difference is the limiter's own work):

| limiter | µs per call | added |
|---|---:|---:|
| none | {none:.0} | — |
| in-process (`InProcessLimiter`) | {local:.0} | {:+.0} µs |
| Redis (`RedisRateLimiter`: one Lua script round trip to a local Redis) | {redis:.0} | {:+.0} µs |

Rounds (µs per call): none {}; in-process {}; Redis {}.",
        o.none.len(),
        o.calls_per_round,
        local - none,
        redis - none,
        list(&o.none),
        list(&o.local),
        list(&o.redis),
    );
    out
}

/// Replaces the section in `report` (from its heading to the next `## ` heading or the
/// end), or appends it.
pub fn splice(report: &str, heading: &str, section: &str) -> String {
    let section = section.trim_matches('\n');
    match report.find(heading) {
        Some(start) => {
            let after = start + heading.len();
            let end = report[after..]
                .find("\n## ")
                .map_or(report.len(), |i| after + i + 1);
            format!(
                "{}{section}\n{}{}",
                &report[..start],
                if end < report.len() { "\n" } else { "" },
                &report[end..]
            )
        }
        None => format!("{}\n\n{section}\n", report.trim_end()),
    }
}
