//! Shared set-up of the end-to-end tests: a fake Lark server on 127.0.0.1 and an SDK client
//! pointed at it, with short waits so retries do not slow the suite down.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use lark_openapi::im::v1::message_resource::GetMessageResource;
use lark_openapi::im::v1::{ErrorCode, ResourceType};
use lark_openapi::{Client, ClientBuilder, Download, Error, RetryPolicy};
use lark_tests::{FakeConfig, FakeLark, Resource, ResourceKind};
use sha2::{Digest, Sha256};

pub const MESSAGE: &str = "om_e2e";

/// A fake server with the default (custom app) configuration.
pub async fn fake() -> FakeLark {
    FakeLark::start(FakeConfig::default())
        .await
        .expect("fake server starts")
}

/// Retries on, with waits of a few milliseconds.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(20))
}

/// A builder for a client of `fake`, with fast retries.
pub fn builder(fake: &FakeLark) -> ClientBuilder {
    let config = fake.config();
    Client::builder(config.app_id.clone(), config.app_secret.clone())
        .base_url(fake.base_url())
        .retry_policy(fast_retries())
}

pub fn client(fake: &FakeLark) -> Client {
    builder(fake).build().expect("valid client settings")
}

/// Registers a `type=file` resource of `size` bytes under [`MESSAGE`].
pub fn file(fake: &FakeLark, key: &str, size: u64) -> Resource {
    let r = Resource::new(MESSAGE, key, ResourceKind::File, size).with_seed(size ^ 0x5eed);
    fake.add_resource(r.clone());
    r
}

/// The prepared call for `key` (a `type=file` resource of [`MESSAGE`]).
pub fn request(client: &Client, key: &str) -> GetMessageResource {
    client
        .im()
        .v1()
        .message_resource()
        .get(MESSAGE, key, ResourceType::File)
}

pub async fn get(client: &Client, key: &str) -> Result<Download<ErrorCode>, Error<ErrorCode>> {
    request(client, key).await
}

/// Downloads `key` and saves it to `to` (a directory or a file path).
pub async fn save(client: &Client, key: &str, to: &Path) -> Result<PathBuf, Error<ErrorCode>> {
    get(client, key).await?.save_to(to).await
}

/// Downloads `key` acting for a store app's tenant.
pub async fn get_for_tenant(
    client: &Client,
    key: &str,
    tenant_key: &str,
) -> Result<Download<ErrorCode>, Error<ErrorCode>> {
    request(client, key).tenant_key(tenant_key).await
}

pub fn sha256_file(path: &Path) -> [u8; 32] {
    use std::io::Read;
    let mut f = std::fs::File::open(path).expect("saved file opens");
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).expect("saved file reads");
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    hasher.finalize().into()
}

/// Every entry of `dir` (file names), sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn path_in(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}
pub mod hostile;

/// A small PNG: the signature, then filler.
pub fn png(len: usize) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    bytes.extend((0..len.saturating_sub(8)).map(|i| (i % 251) as u8));
    bytes
}
