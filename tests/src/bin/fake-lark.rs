//! `fake-lark`: run the fake Lark Open API on 127.0.0.1 with the sample resources.
//!
//! ```text
//! cargo run -p lark-tests --bin fake-lark -- --port 8080 [--store] [--app-id ID] [--app-secret S]
//!     [--rate-limit spec|N]
//! ```
//!
//! Serves until interrupted (Ctrl-C ends the process).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use lark_tests::{
    register_samples, sample_usage, FakeAppType, FakeConfig, FakeLark, FakeRateLimit,
};

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(
    name = "fake-lark",
    about = "A fake Lark Open API server for local testing"
)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, env = "FAKE_LARK_PORT", default_value_t = 8080)]
    port: u16,
    /// The accepted app_id.
    #[arg(long, env = "FAKE_LARK_APP_ID", default_value = "cli_fake_app")]
    app_id: String,
    /// The accepted app_secret.
    #[arg(long, env = "FAKE_LARK_APP_SECRET", default_value = "fake_secret")]
    app_secret: String,
    /// Act as a store (ISV) app instead of a self-built one; an app_ticket is issued and printed.
    #[arg(long)]
    store: bool,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = 7200)]
    token_lifetime_secs: u64,
    /// Enforce the platform's rate limit: `spec` takes each endpoint's per-second limit
    /// from its spec, a number sets it for every endpoint (429 / 99991400 over it).
    #[arg(long, value_name = "spec|N")]
    rate_limit: Option<String>,
    /// Directory of spec JSON files the fake is built from (default: the workspace's spec/).
    #[arg(long)]
    spec_dir: Option<PathBuf>,
    /// More spec directories, served beside --spec-dir: operations the SDK does not
    /// generate, for an app's calls through `Client::raw` (repeat the flag for several).
    #[arg(long, value_name = "DIR")]
    extra_spec_dir: Vec<PathBuf>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut config = FakeConfig {
        app_id: args.app_id,
        app_secret: args.app_secret,
        app_type: if args.store {
            FakeAppType::Store
        } else {
            FakeAppType::Custom
        },
        token_lifetime: Duration::from_secs(args.token_lifetime_secs),
        port: args.port,
        rate_limit: match args.rate_limit.as_deref() {
            None => None,
            Some("spec") => Some(FakeRateLimit::from_spec()),
            Some(n) => Some(FakeRateLimit::per_second(n.parse().map_err(|_| {
                std::io::Error::other(format!("--rate-limit: `spec` or a number, not {n:?}"))
            })?)),
        },
        ..FakeConfig::default()
    };
    if let Some(dir) = args.spec_dir {
        config.spec_dir = dir;
    }
    config.extra_spec_dirs = args.extra_spec_dir;
    let fake = FakeLark::start(config).await?;
    if args.store {
        fake.issue_app_ticket();
    }
    register_samples(&fake);
    println!(
        "{} endpoints and {} error rows loaded from {}",
        fake.model().endpoints.len(),
        fake.spec_errors().len(),
        fake.config().spec_dir.display()
    );
    println!("{}", sample_usage(&fake));
    // Tokio's `signal` feature is not enabled for this crate, so rely on the
    // default SIGINT action (process exit) rather than a graceful handler.
    std::future::pending::<()>().await;
    Ok(())
}
