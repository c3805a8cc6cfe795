//! `replica`: one process of a bot fleet, for the fleet tests (`tests/tests/e2e_fleet.rs`)
//! and the fleet benchmark. It builds a `lark_openapi::Client` for the fake Lark server,
//! optionally sharing its tokens (and its rate budget) with the other replicas on Redis,
//! makes `--calls` calls of `GET /open-apis/im/v1/chats/oc_fake_1` (`im.v1.chat.get`),
//! `--concurrency` at a time, and prints one JSON line:
//!
//! ```text
//! {"ok":250,"failed":0,"http_429":0,"token_errors":0,"elapsed_ms":41,"max_call_ms":39,"errors":[]}
//! ```
//!
//! - `ok` / `failed`: calls that succeeded / failed (after the client's retries);
//! - `http_429`: failed calls whose last answer was a rate-limit refusal (99991400);
//! - `token_errors`: failed calls that could not get a token;
//! - `elapsed_ms`: from the start of the calls (after `go`, see below) to the last answer;
//!   `max_call_ms`: the slowest call; `errors`: the first few failures, as text.
//!
//! ```text
//! replica --base-url URL [--app-id ID] [--app-secret S] [--redis URL] [--prefix P]
//!         [--calls N] [--concurrency N] [--limiter off|redis|local] [--headroom F]
//!         [--lock-ttl-ms MS] [--redis-timeout-ms MS] [--max-attempts N]
//!         [--wait-for-go] [--hold-lock-and-hang]
//! ```
//!
//! - `--redis URL`: tokens shared through `RedisTokenStore` (without it, the client keeps
//!   its tokens to itself, today's default);
//! - `--limiter redis` (needs `--redis`): the fleet shares one rate budget
//!   (`RedisRateLimiter`); `local`: an in-process limiter per replica; `off` (default): none;
//!   `--headroom F` scales the limiter's limits (the spec's) by `F`;
//! - `--wait-for-go`: prints `{"ready":true}` once the client is built, then waits for a line
//!   on standard input before calling (so a test starts every replica's calls together);
//! - `--hold-lock-and-hang`: takes the tenant token's lock in Redis (as a replica about to
//!   fetch the token does), prints `{"locked":true}`, and sleeps until killed: the test
//!   SIGKILLs it to play a replica dying while it holds the lock.
//!
//! Logs (`tracing`, `WARN` and up unless `--log-level`) go to standard error.

use std::io::BufRead;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use lark_openapi::{Client, RetryPolicy};
use serde_json::json;

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(
    name = "replica",
    about = "One replica of a bot fleet, for the fleet tests"
)]
struct Args {
    /// Base URL of the (fake) Lark Open API.
    #[arg(long)]
    base_url: String,
    /// App id.
    #[arg(long, default_value = "cli_fake_app")]
    app_id: String,
    /// App secret.
    #[arg(long, default_value = "fake_secret")]
    app_secret: String,
    /// Redis URL: share tokens (and, with `--limiter redis`, the rate budget) there.
    #[arg(long)]
    redis: Option<String>,
    /// Key prefix in Redis.
    #[arg(long, default_value = "lark")]
    prefix: String,
    /// Calls to make.
    #[arg(long, default_value_t = 250)]
    calls: usize,
    /// Calls in flight at once (default: all of them).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Client-side rate limiter.
    #[arg(long, value_enum, default_value_t = Limiter::Off)]
    limiter: Limiter,
    /// Headroom factor of the limiter (its limits times this; 1.0 = the documented ones).
    #[arg(long, default_value_t = 1.0)]
    headroom: f64,
    /// TTL of the token lock in Redis, in milliseconds (the SDK's default otherwise).
    #[arg(long)]
    lock_ttl_ms: Option<u64>,
    /// Timeout of each Redis command, in milliseconds (the SDK's default otherwise).
    #[arg(long)]
    redis_timeout_ms: Option<u64>,
    /// Attempts per call, first included (the client's retry policy, short backoffs).
    #[arg(long, default_value_t = 3)]
    max_attempts: u32,
    /// Print `{"ready":true}` and wait for a line on standard input before calling.
    #[arg(long)]
    wait_for_go: bool,
    /// Take the token lock in Redis, print `{"locked":true}` and hang until killed.
    #[arg(long)]
    hold_lock_and_hang: bool,
    /// Lowest level logged to standard error (error, warn, info, debug, trace).
    #[arg(long, default_value = "warn")]
    log_level: tracing::Level,
}

/// Which client-side rate limiter the replica runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Limiter {
    /// None (the SDK's default).
    Off,
    /// One budget shared by the fleet on Redis.
    Redis,
    /// An in-process limiter, per replica.
    Local,
}

/// The chat every call reads (seeded by the fake's store).
const CHAT_ID: &str = "oc_fake_1";

/// The platform's rate-limit code.
const RATE_LIMIT_CODE: i64 = 99991400;

/// Failures kept as text in the report.
const KEPT_ERRORS: usize = 5;

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(args.log_level)
        .with_ansi(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("replica: cannot build a runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("replica: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn run(args: Args) -> Result<(), BoxError> {
    if args.hold_lock_and_hang {
        let redis = args
            .redis
            .as_deref()
            .ok_or("--hold-lock-and-hang needs --redis")?;
        fleet::hold_lock(&args, redis).await?;
        println!("{}", json!({"locked": true}));
        std::future::pending::<()>().await;
    }
    let client = fleet::client(&args)?;
    if args.wait_for_go {
        println!("{}", json!({"ready": true}));
        let mut line = String::new();
        tokio::task::spawn_blocking(move || std::io::stdin().lock().read_line(&mut line)).await??;
    }
    let report = calls(&client, args.calls, args.concurrency.unwrap_or(args.calls)).await;
    println!("{report}");
    Ok(())
}

/// Makes `total` calls, `concurrency` at a time; returns the JSON report.
async fn calls(client: &Client, total: usize, concurrency: usize) -> serde_json::Value {
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let rate_limited = Arc::new(AtomicUsize::new(0));
    let token_errors = Arc::new(AtomicUsize::new(0));
    let max_call = Arc::new(Mutex::new(Duration::ZERO));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency.clamp(1, total.max(1)))
        .map(|_| {
            let client = client.clone();
            let (next, ok, rate_limited, token_errors, max_call, errors) = (
                next.clone(),
                ok.clone(),
                rate_limited.clone(),
                token_errors.clone(),
                max_call.clone(),
                errors.clone(),
            );
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let t = Instant::now();
                    let result = client.im().v1().chat().get(CHAT_ID).send().await;
                    let took = t.elapsed();
                    {
                        let mut max = max_call.lock().unwrap_or_else(|e| e.into_inner());
                        *max = (*max).max(took);
                    }
                    match result {
                        Ok(_) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            if e.code_number() == Some(RATE_LIMIT_CODE) {
                                rate_limited.fetch_add(1, Ordering::Relaxed);
                            }
                            if matches!(e, lark_openapi::Error::Token(_)) {
                                token_errors.fetch_add(1, Ordering::Relaxed);
                            }
                            let mut kept = errors.lock().unwrap_or_else(|e| e.into_inner());
                            if kept.len() < KEPT_ERRORS {
                                kept.push(e.to_string());
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let elapsed = start.elapsed();
    let ok = ok.load(Ordering::Relaxed);
    let max_call = *max_call.lock().unwrap_or_else(|e| e.into_inner());
    let errors = errors.lock().unwrap_or_else(|e| e.into_inner()).clone();
    json!({
        "ok": ok,
        "failed": total - ok,
        "http_429": rate_limited.load(Ordering::Relaxed),
        "token_errors": token_errors.load(Ordering::Relaxed),
        "elapsed_ms": elapsed.as_millis() as u64,
        "max_call_ms": max_call.as_millis() as u64,
        "errors": errors,
    })
}

/// The client with the fleet's shared state, as the flags ask.
mod fleet {
    use super::*;
    use lark_openapi::auth::TokenKey;
    use lark_openapi::ratelimit::{InProcessLimiter, RedisRateLimiter};
    use lark_openapi::shared::{RedisTokenStore, TokenStore, TokenStoreKey, DEFAULT_LOCK_TTL};

    /// The client for `args`: short retry backoffs, and the shared store and limiter
    /// the flags ask for.
    pub fn client(args: &Args) -> Result<Client, BoxError> {
        let retry = RetryPolicy::new()
            .with_max_attempts(args.max_attempts)
            .with_initial_backoff(Duration::from_millis(20))
            .with_max_backoff(Duration::from_millis(200));
        let mut builder = Client::builder(args.app_id.clone(), args.app_secret.clone())
            .base_url(args.base_url.clone())
            .retry_policy(retry);
        if let Some(url) = &args.redis {
            builder = builder.token_store(token_store(args, url)?);
            if let Some(ms) = args.lock_ttl_ms {
                builder = builder.token_lock_ttl(Duration::from_millis(ms));
            }
        }
        builder = match args.limiter {
            Limiter::Off => builder,
            Limiter::Local => builder.rate_limiter(InProcessLimiter::new().headroom(args.headroom)),
            Limiter::Redis => {
                let url = args
                    .redis
                    .as_deref()
                    .ok_or("--limiter redis needs --redis")?;
                let mut limiter = RedisRateLimiter::new(url)?
                    .prefix(args.prefix.clone())
                    .headroom(args.headroom);
                if let Some(ms) = args.redis_timeout_ms {
                    limiter = limiter.timeout(Duration::from_millis(ms))?;
                }
                builder.rate_limiter(limiter)
            }
        };
        Ok(builder.build()?)
    }

    fn token_store(args: &Args, url: &str) -> Result<RedisTokenStore, BoxError> {
        let mut store = RedisTokenStore::new(url)?.prefix(args.prefix.clone());
        if let Some(ms) = args.redis_timeout_ms {
            store = store.timeout(Duration::from_millis(ms))?;
        }
        Ok(store)
    }

    /// Takes the tenant token's lock in Redis as a fetching replica would, for
    /// `--lock-ttl-ms` (the SDK's default otherwise).
    pub async fn hold_lock(args: &Args, redis: &str) -> Result<(), BoxError> {
        let store = token_store(args, redis)?;
        let key = TokenStoreKey::new(args.app_id.clone(), TokenKey::Tenant(None));
        let ttl = args
            .lock_ttl_ms
            .map_or(DEFAULT_LOCK_TTL, Duration::from_millis);
        match store.lock(&key, ttl).await? {
            Some(_) => Ok(()),
            None => Err("the token lock is already held".into()),
        }
    }
}
