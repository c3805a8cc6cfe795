//! Child mode: one download through the SDK's `save_to`, in a process of its own so that the
//! parent can read this process's peak resident memory with `wait4`.
//!
//! `download child-download BASE_URL MESSAGE_ID FILE_KEY OUT_DIR EXPECTED_BYTES [current-thread|multi-thread] [durable]`
//!
//! The runtime flavor defaults to `current-thread`, the runtime of the download example
//! (`#[tokio::main(flavor = "current_thread")]` in `tests/examples/download.rs`);
//! `multi-thread` builds the runtime a plain `#[tokio::main]` builds. With `durable`, the
//! download is saved with `Download::durable(true)` (fsync before the rename); without it,
//! with the default (no fsync, like `curl -o`). The two optional words may come in either
//! order.
//!
//! On success it prints, one per line: `saved PATH`, then the phases in microseconds since
//! the process entered `main`: `headers_us` (client built, token fetched, response headers
//! received), `last_byte_us` (the last body byte handed over, seen through `on_progress`) and
//! `done_us` (`save_to` returned: final flush, `fsync`, rename). Any failure exits with 1.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lark_openapi::im::v1::ResourceType;
use lark_openapi::Client;
use lark_tests::FakeConfig;

/// The first argument that selects this mode.
pub const MODE: &str = "child-download";
/// The optional argument that asks for `durable(true)`.
pub const DURABLE: &str = "durable";

/// The tokio runtime the child builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `Builder::new_current_thread()`: `#[tokio::main(flavor = "current_thread")]`, as in
    /// the download example.
    CurrentThread,
    /// `Builder::new_multi_thread()`: what a plain `#[tokio::main]` builds (one worker per
    /// CPU).
    MultiThread,
}

impl Flavor {
    /// The child's argument for this flavor.
    pub fn arg(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current-thread",
            Flavor::MultiThread => "multi-thread",
        }
    }

    fn from_arg(arg: &str) -> Option<Flavor> {
        [Flavor::CurrentThread, Flavor::MultiThread]
            .into_iter()
            .find(|f| f.arg() == arg)
    }

    fn runtime(self) -> std::io::Result<tokio::runtime::Runtime> {
        match self {
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build(),
        }
    }
}

/// What the child reports, parsed by the parent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// Client built, token fetched, headers received.
    pub headers: Duration,
    /// Last body byte received.
    pub last_byte: Duration,
    /// `save_to` returned (after the last writes, the fsync if durable, and the rename).
    pub done: Duration,
}

impl Phases {
    /// Parses the child's standard output.
    pub fn parse(stdout: &str) -> Option<Phases> {
        let field = |name: &str| -> Option<Duration> {
            stdout.lines().find_map(|line| {
                let value = line.strip_prefix(name)?.strip_prefix(' ')?;
                value.trim().parse().ok().map(Duration::from_micros)
            })
        };
        Some(Phases {
            headers: field("headers_us")?,
            last_byte: field("last_byte_us")?,
            done: field("done_us")?,
        })
    }

    /// The saved file's path, as printed by the child.
    pub fn saved_path(stdout: &str) -> Option<&str> {
        stdout.lines().find_map(|l| l.strip_prefix("saved "))
    }
}

/// Runs the child mode with the arguments after [`MODE`].
pub fn main(args: &[String]) -> ExitCode {
    let started = Instant::now();
    // The optional words at the end, in any order.
    let mut args = args;
    let mut durable = false;
    let mut flavor = None;
    while let [rest @ .., last] = args {
        if last == DURABLE && !durable {
            durable = true;
        } else if let Some(f) = Flavor::from_arg(last).filter(|_| flavor.is_none()) {
            flavor = Some(f);
        } else {
            break;
        }
        args = rest;
    }
    let flavor = flavor.unwrap_or(Flavor::CurrentThread);
    let [base_url, message_id, file_key, out_dir, expected] = args else {
        eprintln!(
            "usage: download {MODE} BASE_URL MESSAGE_ID FILE_KEY OUT_DIR EXPECTED_BYTES [{}|{}] [{DURABLE}] (got {args:?})",
            Flavor::CurrentThread.arg(),
            Flavor::MultiThread.arg(),
        );
        return ExitCode::from(2);
    };
    let Ok(expected) = expected.parse::<u64>() else {
        eprintln!("child: EXPECTED_BYTES `{expected}` is not a number");
        return ExitCode::from(2);
    };
    // Current-thread unless asked otherwise: the runtime of the download example.
    let runtime = match flavor.runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("child: cannot build the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let config = FakeConfig::default();
        let client = Client::builder(config.app_id, config.app_secret)
            .base_url(base_url.as_str())
            .build()
            .map_err(|e| e.to_string())?;
        let download = client
            .im()
            .v1()
            .message_resource()
            .get(message_id.as_str(), file_key.as_str(), ResourceType::File)
            .await
            .map_err(|e| e.to_string())?;
        let headers = started.elapsed();
        // One comparison per chunk: records when the last byte arrives.
        let last_byte = Arc::new(Mutex::new(None::<Duration>));
        let seen = last_byte.clone();
        let saved = download
            .durable(durable)
            .on_progress(move |p| {
                if p.total == Some(p.received) {
                    if let Ok(mut slot) = seen.lock() {
                        *slot = Some(started.elapsed());
                    }
                }
            })
            .save_to(out_dir.as_str())
            .await
            .map_err(|e| e.to_string())?;
        let done = started.elapsed();
        let size = std::fs::metadata(&saved)
            .map_err(|e| format!("{}: {e}", saved.display()))?
            .len();
        if size != expected {
            return Err(format!(
                "{} has {size} bytes, expected {expected}",
                saved.display()
            ));
        }
        let last_byte = last_byte.lock().ok().and_then(|s| *s).unwrap_or(done);
        Ok::<_, String>((saved, headers, last_byte, done))
    });
    match result {
        Ok((saved, headers, last_byte, done)) => {
            println!("saved {}", saved.display());
            println!("headers_us {}", headers.as_micros());
            println!("last_byte_us {}", last_byte.as_micros());
            println!("done_us {}", done.as_micros());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("child: {e}");
            ExitCode::FAILURE
        }
    }
}
