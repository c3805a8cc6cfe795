//! Section 3: token requests made by many concurrent cold downloads of a small resource.

use std::time::{Duration, Instant};

use lark_openapi::im::v1::ResourceType;
use lark_openapi::Client;
use lark_tests::{FakeConfig, FakeLark, Resource, ResourceKind, TokenRequestKind};

use crate::Result;

const MESSAGE: &str = "om_bench_tokens";
const KEY: &str = "file_bench_small";
const SIZE: u64 = 1024;

/// One cold start: a fresh fake and a fresh client, `concurrency` downloads at once.
#[derive(Debug, Clone)]
pub struct TokenRound {
    /// Concurrent downloads.
    pub concurrency: usize,
    /// Requests the fake saw on `tenant_access_token/internal`.
    pub token_requests: usize,
    /// Requests the fake saw on the resource endpoint.
    pub resource_requests: usize,
    /// Downloads that failed or returned the wrong length.
    pub failures: usize,
    /// First error message, if any.
    pub first_error: Option<String>,
    /// From the first spawn to the last completion.
    pub elapsed: Duration,
}

/// `rounds` cold starts at each concurrency.
pub async fn run(concurrencies: &[usize], rounds: usize) -> Result<Vec<TokenRound>> {
    let mut out = Vec::new();
    for &concurrency in concurrencies {
        for round in 0..rounds {
            let r = cold_start(concurrency).await?;
            eprintln!(
                "bench: {concurrency:>5} cold downloads, round {}/{rounds}: {} token request(s), {} failure(s), {:.0} ms",
                round + 1,
                r.token_requests,
                r.failures,
                r.elapsed.as_secs_f64() * 1000.0
            );
            out.push(r);
        }
    }
    Ok(out)
}

async fn cold_start(concurrency: usize) -> Result<TokenRound> {
    let config = FakeConfig::default();
    let fake = FakeLark::start(config.clone()).await?;
    fake.add_resource(Resource::new(MESSAGE, KEY, ResourceKind::File, SIZE));
    let client = Client::builder(config.app_id, config.app_secret)
        .base_url(fake.base_url())
        .build()?;
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let download = client
                    .im()
                    .v1()
                    .message_resource()
                    .get(MESSAGE, KEY, ResourceType::File)
                    .await
                    .map_err(|e| e.to_string())?;
                let bytes = download.collect(1 << 20).await.map_err(|e| e.to_string())?;
                if bytes.len() as u64 != SIZE {
                    return Err(format!("{} bytes, expected {SIZE}", bytes.len()));
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    let mut failures = 0;
    let mut first_error = None;
    for task in tasks {
        let result = task.await.map_err(|e| e.to_string()).and_then(|r| r);
        if let Err(e) = result {
            failures += 1;
            first_error.get_or_insert(e);
        }
    }
    let elapsed = started.elapsed();
    Ok(TokenRound {
        concurrency,
        token_requests: fake.token_requests(TokenRequestKind::TenantInternal),
        resource_requests: fake.resource_requests(),
        failures,
        first_error,
        elapsed,
    })
}
