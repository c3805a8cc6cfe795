//! Section 4: small requests (1 KiB, 8 in flight, connections reused), SDK vs the same loop
//! written against bare reqwest.

use std::time::Instant;

use lark_openapi::im::v1::ResourceType;
use lark_openapi::Client;
use lark_tests::{FakeConfig, FakeLark, Resource, ResourceKind};

use crate::downloads::fetch_token;
use crate::Result;

const MESSAGE: &str = "om_bench_small";
const KEY: &str = "file_bench_1k";
const SIZE: u64 = 1024;

/// Requests per second of every round, in order.
#[derive(Debug, Clone)]
pub struct SmallFigures {
    /// Workers (requests in flight).
    pub workers: usize,
    /// Requests per round (all workers).
    pub per_round: usize,
    /// SDK rounds, requests/s.
    pub sdk: Vec<f64>,
    /// Bare reqwest rounds, requests/s.
    pub bare: Vec<f64>,
}

/// One request through the SDK: `get → collect`.
async fn sdk_once(client: &Client) -> Result<()> {
    let body = client
        .im()
        .v1()
        .message_resource()
        .get(MESSAGE, KEY, ResourceType::File)
        .await?
        .collect(64 * 1024)
        .await?;
    if body.len() as u64 != SIZE {
        return Err(format!("SDK: {} bytes, expected {SIZE}", body.len()).into());
    }
    Ok(())
}

/// The same request with bare reqwest: `GET url` with the bearer header, `.bytes()`.
async fn bare_once(http: &reqwest::Client, url: &str, token: &str) -> Result<()> {
    let body = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    if body.len() as u64 != SIZE {
        return Err(format!("reqwest: {} bytes, expected {SIZE}", body.len()).into());
    }
    Ok(())
}

/// `workers` tasks, each making `per_worker` sequential SDK requests; requests/s.
async fn sdk_round(client: &Client, workers: usize, per_worker: usize) -> Result<f64> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..per_worker {
                    sdk_once(&client).await?;
                }
                Ok::<(), crate::Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok((workers * per_worker) as f64 / started.elapsed().as_secs_f64())
}

/// The same pattern with one shared `reqwest::Client`; requests/s.
async fn bare_round(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    workers: usize,
    per_worker: usize,
) -> Result<f64> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (http, url, token) = (http.clone(), url.to_string(), token.to_string());
            tokio::spawn(async move {
                for _ in 0..per_worker {
                    bare_once(&http, &url, &token).await?;
                }
                Ok::<(), crate::Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok((workers * per_worker) as f64 / started.elapsed().as_secs_f64())
}

/// After a warm-up of each (token cached, connections open), `rounds` interleaved rounds
/// (SDK then reqwest, reqwest then SDK, …) of `total` requests with 8 in flight.
pub async fn run(rounds: usize, total: usize) -> Result<SmallFigures> {
    const WORKERS: usize = 8;
    let per_worker = total.div_ceil(WORKERS);
    let config = FakeConfig::default();
    let fake = FakeLark::start(config.clone()).await?;
    fake.add_resource(Resource::new(MESSAGE, KEY, ResourceKind::File, SIZE));
    let base_url = fake.base_url();
    let client = Client::builder(config.app_id, config.app_secret)
        .base_url(base_url.as_str())
        .build()?;
    let http = reqwest::Client::new();
    let url = format!("{base_url}/open-apis/im/v1/messages/{MESSAGE}/resources/{KEY}?type=file");
    let token = fetch_token(&base_url).await?;
    sdk_round(&client, WORKERS, 50).await?;
    bare_round(&http, &url, &token, WORKERS, 50).await?;
    let mut figures = SmallFigures {
        workers: WORKERS,
        per_round: WORKERS * per_worker,
        sdk: Vec::new(),
        bare: Vec::new(),
    };
    for round in 0..rounds {
        // Alternate which goes first, so neither always runs on a warmer server.
        let (sdk, bare) = if round % 2 == 0 {
            let sdk = sdk_round(&client, WORKERS, per_worker).await?;
            (
                sdk,
                bare_round(&http, &url, &token, WORKERS, per_worker).await?,
            )
        } else {
            let bare = bare_round(&http, &url, &token, WORKERS, per_worker).await?;
            (sdk_round(&client, WORKERS, per_worker).await?, bare)
        };
        eprintln!(
            "bench: small requests round {}/{rounds}: SDK {sdk:.0}/s, reqwest {bare:.0}/s ({:.3})",
            round + 1,
            sdk / bare
        );
        figures.sdk.push(sdk);
        figures.bare.push(bare);
    }
    Ok(figures)
}
