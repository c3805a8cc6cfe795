//! A harness for the generated end-to-end tests: one [`Harness`] (a [`FakeLark`] and an
//! SDK [`Client`] pointed at it) per test, and checks that run an endpoint through every
//! case its spec implies. The generated tests only say how to call each endpoint:
//!
//! ```no_run
//! use lark_tests::harness::{self, Harness};
//! # async fn demo() {
//! let h = Harness::for_endpoint("im.v1.message.get").await;
//! let client = h.client().clone();
//! let call = move || {
//!     let client = client.clone();
//!     async move { client.im().v1().message().get("om_dc13264520392913993dd051dba21dcf").send().await }
//! };
//! harness::exercise(&h, "im.v1.message.get", call).await;
//! # }
//! ```
//!
//! - [`exercise`]: success (accepted with the token type the spec prefers: tenant, else
//!   app, else the caller's user token; none for the auth endpoints); every error row of the spec (to its typed variant, retried
//!   rows retried); 503, 429, 99991400 in a 200 (retried if the endpoint is idempotent);
//!   a rejected token (replayed once with a new token; only for endpoints that take an
//!   access token); a code the spec does not list
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
//!
//! # Which app
//!
//! The fake's app is the one of the spec examples ([`SpecCredentials`]): the auth
//! endpoints take the app's credentials in their body, and their generated cases send the
//! spec's example values, so the fake's app id and secret are those examples and the
//! example app_ticket and app_access_token are pre-issued. An endpoint whose spec's
//! `app_types` is `store` only is exercised as a store app, every other as a custom
//! (self-built) app ([`app_type_for`], [`Harness::for_endpoint`]); the checks refuse an
//! endpoint the harness's app may not call.
//!
//! The cases that need an access token (a rejected token replayed, a user token) apply
//! only to the endpoints that take one: the auth endpoints get success, their error rows,
//! the retried faults and the unlisted code.

mod apps;
mod cases;
mod download;
pub mod events;
pub mod logs;
mod pages;
mod run;
mod user;

use std::time::Duration;

use lark_codegen::model::EndpointModel;
use lark_codegen::Model;
use lark_openapi::auth::AppType;
use lark_openapi::{Client, RetryPolicy};

use crate::fake::{FakeAppType, FakeLark};

pub use apps::{app_type_for, SpecCredentials};
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
    /// [`Harness::start_as`] a custom (self-built) app.
    ///
    /// # Panics
    /// As [`Harness::start_as`].
    pub async fn start() -> Harness {
        Harness::start_as(FakeAppType::Custom).await
    }

    /// The harness for endpoint `id`: [`Harness::start_as`] the app type the endpoint is
    /// exercised as ([`app_type_for`]: a store app when its spec allows only store apps).
    ///
    /// # Panics
    /// If no spec has the id, or as [`Harness::start_as`].
    pub async fn for_endpoint(id: &str) -> Harness {
        let (model, _) = apps::workspace();
        let ep = model
            .endpoint(id)
            .unwrap_or_else(|| panic!("harness: no spec has the id {id:?}"));
        Harness::start_as(app_type_for(ep)).await
    }

    /// A [`FakeLark`] of the workspace's specs impersonating an app of `app_type` with the
    /// spec examples' credentials ([`SpecCredentials::fake_config`]), and a client of that
    /// app pointed at it (a store app's client holds the first example app_ticket): 3
    /// attempts, backoff 5–20 ms (rate-limit waits capped at 50 ms), read timeout 1 s.
    ///
    /// # Panics
    /// If the specs are broken or give two example app ids or secrets, the fake cannot
    /// start, or the client cannot be built.
    pub async fn start_as(app_type: FakeAppType) -> Harness {
        let (_, creds) = apps::workspace();
        let fake = FakeLark::start(creds.fake_config(app_type))
            .await
            .unwrap_or_else(|e| panic!("harness: the fake server does not start: {e}"));
        let config = fake.config();
        let policy = RetryPolicy::new()
            .with_max_attempts(MAX_ATTEMPTS)
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(20))
            .with_max_rate_limit_wait(Duration::from_millis(50));
        let sdk_type = match app_type {
            FakeAppType::Custom => AppType::Custom,
            FakeAppType::Store => AppType::Store,
        };
        let client = Client::builder(config.app_id.clone(), config.app_secret.clone())
            .app_type(sdk_type)
            .base_url(fake.base_url())
            .retry_policy(policy)
            .read_timeout(READ_TIMEOUT)
            .build()
            .unwrap_or_else(|e| panic!("harness: the client does not build: {e}"));
        if let (FakeAppType::Store, Some(ticket)) = (app_type, creds.app_tickets.first()) {
            client.set_app_ticket(ticket.clone());
        }
        Harness { fake, client }
    }

    /// The credentials of the spec examples, which the fake accepts.
    pub fn credentials(&self) -> &'static SpecCredentials {
        &apps::workspace().1
    }

    /// The kind of app the fake impersonates (and the client is).
    pub fn app_type(&self) -> FakeAppType {
        self.fake.config().app_type
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

    /// The catalogue name of the code `code` as endpoint `id` documents it (the variant of
    /// its version's `ErrorCode` a call's error gives).
    pub(crate) fn code_name(&self, id: &str, code: i64) -> Option<String> {
        let ep = self.endpoint(id);
        let row = ep.errors.iter().find(|r| r.code == code)?;
        let v = self.model().version_of(ep);
        v.codes.get(row.entry).map(|c| c.name.clone())
    }

    /// The endpoint `id`, or a panic naming it, or one saying the harness's app may not
    /// call it.
    pub(crate) fn endpoint(&self, id: &str) -> &EndpointModel {
        let ep = self
            .model()
            .endpoint(id)
            .unwrap_or_else(|| panic!("harness: no spec has the id {id:?}"));
        let app_type = self.app_type();
        assert!(
            apps::allows(ep, app_type),
            "harness: {id} is for {:?} apps, the harness runs a {app_type:?} app: start it with Harness::for_endpoint({id:?})",
            ep.spec.app_types
        );
        ep
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
