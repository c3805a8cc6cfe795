//! A harness for the generated end-to-end tests: one [`Harness`] (a [`FakeLark`] and an
//! SDK [`Client`] pointed at it) per test, and checks that run an endpoint through every
//! case its spec implies. The generated tests only say how to call each endpoint:
//!
//! ```no_run
//! use lark_tests::harness::{self, Harness};
//! # async fn demo() {
//! let h = Harness::start().await;
//! let client = h.client().clone();
//! let call = move || {
//!     let client = client.clone();
//!     async move { client.im().v1().message().get("om_dc13264520392913993dd051dba21dcf").send().await }
//! };
//! harness::exercise(&h, "im.v1.message.get", call).await;
//! # }
//! ```
//!
//! - [`exercise`]: success; every error row of the spec (to its typed variant, retried
//!   rows retried); 503, 429, 99991400 in a 200 (retried if the endpoint is idempotent);
//!   a rejected token (replayed once with a new token); a code the spec does not list
//!   (`Unhandled`); a cut-off and a stalled body (retried if idempotent, else a
//!   transport error / a timeout). The attempts of each case are counted from the fake's
//!   log.
//! - [`exercise_download`]: the same for binary endpoints; success means the body
//!   collects to the bytes the fake serves; a broken body resumes.
//! - [`exercise_as_user`]: success with a user token, which the fake saw.
//! - [`exercise_pages`]: a listing of several pages arrives whole and in order; a page
//!   token served twice ends the stream with `Error::Pagination`.
//!
//! Every case starts from the store's seeded state with no fault queued, and the
//! checks print nothing unless one fails; a failure names the endpoint and the case.

mod cases;
mod download;
mod pages;
mod run;
mod user;

use std::time::Duration;

use lark_codegen::model::EndpointModel;
use lark_codegen::Model;
use lark_openapi::{Client, RetryPolicy};

use crate::fake::{FakeConfig, FakeLark};

pub use cases::exercise;
pub use download::exercise_download;
pub use pages::exercise_pages;
pub use user::exercise_as_user;

/// The client's read timeout: a stall longer than this is a timeout.
pub const READ_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a stalled body pauses in the stall case.
pub const STALL: Duration = Duration::from_millis(1500);

/// Attempts the harness client makes at most.
pub const MAX_ATTEMPTS: u32 = 3;

/// A fake server and a client of it with fast retries.
#[derive(Debug)]
pub struct Harness {
    fake: FakeLark,
    client: Client,
}

impl Harness {
    /// A [`FakeLark`] with the default configuration (the workspace's specs) and a client
    /// pointed at it: 3 attempts, backoff 5–20 ms (rate-limit waits capped at 50 ms),
    /// read timeout 1 s.
    ///
    /// # Panics
    /// If the fake cannot start (a broken spec directory) or the client cannot be built.
    pub async fn start() -> Harness {
        let fake = FakeLark::start(FakeConfig::default())
            .await
            .unwrap_or_else(|e| panic!("harness: the fake server does not start: {e}"));
        let config = fake.config();
        let policy = RetryPolicy::new()
            .with_max_attempts(MAX_ATTEMPTS)
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(20))
            .with_max_rate_limit_wait(Duration::from_millis(50));
        let client = Client::builder(config.app_id.clone(), config.app_secret.clone())
            .base_url(fake.base_url())
            .retry_policy(policy)
            .read_timeout(READ_TIMEOUT)
            .build()
            .unwrap_or_else(|e| panic!("harness: the client does not build: {e}"));
        Harness { fake, client }
    }

    /// The client (clone it into the calls).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The fake server.
    pub fn fake(&self) -> &FakeLark {
        &self.fake
    }

    /// The spec model the fake serves.
    pub fn model(&self) -> &Model {
        self.fake.model()
    }

    /// The endpoint `id`, or a panic naming it.
    pub(crate) fn endpoint(&self, id: &str) -> &EndpointModel {
        self.model()
            .endpoint(id)
            .unwrap_or_else(|| panic!("harness: no spec has the id {id:?}"))
    }
}

/// What a check ran: the endpoint and the names of its cases, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The endpoint id.
    pub endpoint: String,
    /// The cases, such as `success` or `error row 230110 (message_deleted)`.
    pub cases: Vec<String>,
}

impl Report {
    pub(crate) fn new(id: &str) -> Report {
        Report {
            endpoint: id.to_owned(),
            cases: Vec::new(),
        }
    }
}
