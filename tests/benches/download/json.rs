//! Small JSON requests: `im.v1.message.get` through the SDK (send, envelope check, typed
//! decode) vs the same request with bare reqwest + serde_json, on the same fake.

use std::time::Instant;

use lark_openapi::Client;
use lark_tests::{FakeConfig, FakeLark};

use crate::downloads::fetch_token;
use crate::small::SmallFigures;
use crate::Result;

const MESSAGE: &str = "om_dc13264520392913993dd051dba21dcf";

async fn sdk_once(client: &Client) -> Result<()> {
    let page = client.im().v1().message().get(MESSAGE).await?;
    if page.items.is_empty() {
        return Err("SDK: no message in the answer".into());
    }
    Ok(())
}

/// What a hand-written client does: GET, status check, JSON parse, `code` check.
async fn bare_once(http: &reqwest::Client, url: &str, token: &str) -> Result<()> {
    let body = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let value: serde_json::Value = serde_json::from_slice(&body)?;
    if value["code"] != 0
        || value["data"]["items"]
            .as_array()
            .is_none_or(|a| a.is_empty())
    {
        return Err(format!("reqwest: unexpected answer {value}").into());
    }
    Ok(())
}

async fn round<F, Fut>(workers: usize, per_worker: usize, once: F) -> Result<f64>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let once = once.clone();
            tokio::spawn(async move {
                for _ in 0..per_worker {
                    once().await?;
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

/// Interleaved rounds of `total` message gets with 8 in flight, after a warm-up of each.
pub async fn run(rounds: usize, total: usize) -> Result<SmallFigures> {
    const WORKERS: usize = 8;
    let per_worker = total.div_ceil(WORKERS);
    let config = FakeConfig::default();
    let fake = FakeLark::start(config.clone()).await?;
    let base_url = fake.base_url();
    let client = Client::builder(config.app_id, config.app_secret)
        .base_url(base_url.as_str())
        .build()?;
    let http = reqwest::Client::new();
    let url = format!("{base_url}/open-apis/im/v1/messages/{MESSAGE}");
    let token = fetch_token(&base_url).await?;
    let sdk = {
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { sdk_once(&client).await }
        }
    };
    let bare = {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        move || {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            async move { bare_once(&http, &url, &token).await }
        }
    };
    round(WORKERS, 50, sdk.clone()).await?;
    round(WORKERS, 50, bare.clone()).await?;
    let mut figures = SmallFigures {
        workers: WORKERS,
        per_round: WORKERS * per_worker,
        sdk: Vec::new(),
        bare: Vec::new(),
    };
    for r in 0..rounds {
        let (s, b) = if r % 2 == 0 {
            let s = round(WORKERS, per_worker, sdk.clone()).await?;
            (s, round(WORKERS, per_worker, bare.clone()).await?)
        } else {
            let b = round(WORKERS, per_worker, bare.clone()).await?;
            (round(WORKERS, per_worker, sdk.clone()).await?, b)
        };
        eprintln!(
            "bench: JSON requests round {}/{rounds}: SDK {s:.0}/s, reqwest {b:.0}/s ({:.3})",
            r + 1,
            s / b
        );
        figures.sdk.push(s);
        figures.bare.push(b);
    }
    Ok(figures)
}
