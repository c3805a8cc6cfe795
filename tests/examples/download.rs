//! The main job: download one message resource through the SDK.
//!
//! ```text
//! cargo run --release --example download -- --message-id om_… --file-key file_… --type file --out downloads/
//! ```
//!
//! Credentials come from `LARK_APP_ID` / `LARK_APP_SECRET` (base URL from `--base-url` or
//! `LARK_BASE_URL`). With no credentials set, it starts the bundled fake Lark server on
//! 127.0.0.1, says so, and downloads a sample resource from it.
//!
//! Ctrl-C stops it cleanly: the download is dropped, nothing is left in the output
//! directory, and it exits with status 130. Killed outright (SIGKILL), it leaves nothing
//! either: the SDK writes into a file that has no name until it is complete.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use lark_openapi::im::v1::ErrorCode;
use lark_openapi::im::v1::ResourceType;
use lark_openapi::{Client, Error};
use lark_tests::{FakeConfig, FakeLark, SAMPLE_FILE_KEY, SAMPLE_MESSAGE_ID};

#[derive(Parser, Debug)]
#[command(about = "Download a message resource (image, file, audio, video) from Lark / Feishu")]
struct Args {
    /// Message id (`om_…`); defaults to the fake server's sample when no credentials are set.
    #[arg(long)]
    message_id: Option<String>,
    /// Resource key from the message content (`file_…`, `img_…`).
    #[arg(long)]
    file_key: Option<String>,
    /// Kind of resource: `image` or `file` (file, audio, video).
    #[arg(long = "type", default_value = "file")]
    kind: ResourceType,
    /// A directory (the server's file name, cleaned, is used) or a file path.
    #[arg(long, default_value = "downloads/")]
    out: PathBuf,
    /// Base URL of the Open Platform (default: Feishu).
    #[arg(long, env = "LARK_BASE_URL")]
    base_url: Option<String>,
}

// One download needs no worker pool: a current-thread runtime avoids cross-thread
// wake-ups between the connection and the body (see BENCHMARKS.md); the SDK writes the
// file from its own blocking thread either way.
// `pub`: the `download-example` binary of this package runs this same `main`.
#[tokio::main(flavor = "current_thread")]
pub async fn main() -> ExitCode {
    let args = Args::parse();
    let credentials = (env("LARK_APP_ID"), env("LARK_APP_SECRET"));
    // Keeps the fake server alive for the whole run when it is used.
    let mut _fake = None;
    let (client, message_id, file_key) = match credentials {
        (Some(id), Some(secret)) => {
            let mut builder = Client::builder(id, secret);
            if let Some(url) = &args.base_url {
                builder = builder.base_url(url);
            }
            let (Some(m), Some(f)) = (args.message_id.clone(), args.file_key.clone()) else {
                eprintln!("error: --message-id and --file-key are required with real credentials");
                return ExitCode::from(2);
            };
            match builder.build() {
                Ok(c) => (c, m, f),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        _ => {
            let config = FakeConfig::default();
            let fake = match FakeLark::start(config.clone()).await {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: cannot start the bundled fake Lark server: {e}");
                    return ExitCode::FAILURE;
                }
            };
            lark_tests::register_samples(&fake);
            eprintln!(
                "LARK_APP_ID / LARK_APP_SECRET are not set: using the bundled fake Lark server at {}",
                fake.base_url()
            );
            let client = Client::builder(config.app_id, config.app_secret)
                .base_url(fake.base_url())
                .build()
                .expect("the fake server's settings are valid");
            let m = args
                .message_id
                .clone()
                .unwrap_or_else(|| SAMPLE_MESSAGE_ID.into());
            let f = args
                .file_key
                .clone()
                .unwrap_or_else(|| SAMPLE_FILE_KEY.into());
            _fake = Some(fake);
            (client, m, f)
        }
    };
    let download = run(&client, &message_id, &file_key, args.kind, &args.out);
    tokio::select! {
        result = download => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                report(&e);
                ExitCode::FAILURE
            }
        },
        // Dropping the download future stops it; the SDK removes what it had written.
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\ninterrupted: the download was stopped and nothing was saved");
            ExitCode::from(130)
        }
    }
}

async fn run(
    client: &Client,
    message_id: &str,
    file_key: &str,
    kind: ResourceType,
    out: &std::path::Path,
) -> Result<(), Error<ErrorCode>> {
    let started = Instant::now();
    let download = client
        .im()
        .v1()
        .message_resource()
        .get(message_id, file_key, kind)
        .await?;
    let bar = ProgressBar::new(download.content_length().unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = bar.clone();
    let saved = download
        .on_progress(move |p| {
            if let Some(total) = p.total {
                progress.set_length(total);
            }
            progress.set_position(p.received);
        })
        .save_to(out)
        .await;
    bar.finish_and_clear();
    let saved = saved?;
    let size = std::fs::metadata(&saved).map(|m| m.len()).unwrap_or(0);
    println!(
        "saved {} ({size} bytes) in {:.2?}",
        saved.display(),
        started.elapsed()
    );
    Ok(())
}

fn report(e: &Error<ErrorCode>) {
    eprintln!("error: {e}");
    if let Some(service) = e.service_error() {
        eprintln!("  code:    {}", service.code_number());
        eprintln!("  message: {}", service.message());
        eprintln!("  log id:  {}", service.log_id().unwrap_or("-"));
        if let Some(advice) = service.advice() {
            eprintln!("  advice:  {advice}");
        }
    } else if let (Some(code), log_id) = (e.code_number(), e.log_id()) {
        eprintln!("  code:    {code}");
        eprintln!("  log id:  {}", log_id.unwrap_or("-"));
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
