//! A faithful fake of the Lark (Feishu) Open API for tests.
//!
//! It serves, on `127.0.0.1` only:
//! - the five auth v3 token endpoints (`/open-apis/auth/v3/...`), issuing a
//!   new unique token on every call and counting calls per [`TokenRequestKind`];
//! - `GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=image|file`,
//!   streaming registered [`Resource`]s generated from a seed (see
//!   [`content_bytes`]), with `Range` support and scripted [`Fault`]s.
//!
//! Errors use the platform's envelope (`code`, `msg`, `error.log_id`,
//! `error.troubleshooter`) with the HTTP status and message from the spec
//! files' `errors` tables, so any spec row is triggerable (file key
//! `err_<code>`, or [`Fault::ErrorCode`]). Every answer carries `X-Tt-Logid`.
//!
//! Deliberate differences from the platform: every token request issues a new
//! token (the platform returns the same one while more than 30 minutes
//! remain); resources are not scoped per tenant; the 100 MB download limit is
//! not enforced (use [`Fault::ErrorCode`]`(234037)` to simulate it).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use lark_tests::{FakeConfig, FakeLark, Resource, ResourceKind};
//! let fake = FakeLark::start(FakeConfig::default()).await?;
//! fake.add_resource(Resource::new("om_1", "file_1", ResourceKind::File, 1 << 20));
//! let url = format!("{}/open-apis/im/v1/messages/om_1/resources/file_1?type=file", fake.base_url());
//! # let _ = url; Ok(()) }
//! ```

mod auth;
mod content;
mod download;
mod errors;
mod faults;
mod ids;
pub use ids::civil_from_days;
mod range;
mod resources;
mod samples;
mod state;
mod stream;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{middleware, Router};
use tokio::sync::watch;

pub use content::{content_bytes, content_range_sha256, content_sha256, fill_content, CHUNK_SIZE};
pub use download::MESSAGE_RESOURCE_ENDPOINT;
pub use errors::{codes, spec_error_rows, SpecErrorRow, JSON_CONTENT_TYPE, LOGID_HEADER};
pub use faults::Fault;
pub use range::{decide as decide_range, RangeDecision};
pub use resources::{Disposition, Resource, ResourceKind};
pub use samples::*;
pub use state::{LoggedRequest, TokenRequestKind};

use errors::SpecIndex;
use state::{Registered, Shared};

/// Kind of app the fake impersonates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FakeAppType {
    /// Self-built app: `…/internal` token endpoints; `app_ticket/resend` answers 10016.
    #[default]
    Custom,
    /// Store (ISV) app: app_ticket → app_access_token → per-tenant
    /// tenant_access_token; the `…/internal` endpoints answer 10003.
    Store,
}

/// Configuration of a [`FakeLark`].
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// The only accepted `app_id`.
    pub app_id: String,
    /// The only accepted `app_secret`.
    pub app_secret: String,
    /// Self-built or store app.
    pub app_type: FakeAppType,
    /// Lifetime of issued tokens; `expire` in token answers is its whole seconds.
    pub token_lifetime: Duration,
    /// Port to bind on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Directory whose `**/*.json` spec files supply the error tables.
    pub spec_dir: PathBuf,
}

impl Default for FakeConfig {
    /// `cli_fake_app` / `fake_secret`, custom app, 7200 s tokens, any port,
    /// the workspace's `spec/` directory.
    fn default() -> FakeConfig {
        FakeConfig {
            app_id: "cli_fake_app".to_owned(),
            app_secret: "fake_secret".to_owned(),
            app_type: FakeAppType::Custom,
            token_lifetime: Duration::from_secs(7200),
            port: 0,
            spec_dir: default_spec_dir(),
        }
    }
}

/// `<workspace>/spec`, located from this crate's manifest directory.
pub fn default_spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")))
        .join("spec")
}

/// A running fake server. Dropping it shuts the server down (streams in
/// progress are aborted).
#[derive(Debug)]
pub struct FakeLark {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl FakeLark {
    /// Binds `127.0.0.1:<config.port>` and serves on the current Tokio runtime.
    pub async fn start(config: FakeConfig) -> io::Result<FakeLark> {
        let (fake, listener, router, shutdown) = FakeLark::prepare(config)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        tokio::spawn(serve(listener, router, shutdown));
        Ok(fake)
    }

    /// Like [`FakeLark::start`], but serves from a dedicated thread with its
    /// own runtime, so it works from synchronous tests or alongside a client
    /// that blocks its runtime.
    pub fn start_in_background(config: FakeConfig) -> io::Result<FakeLark> {
        let (fake, listener, router, shutdown) = FakeLark::prepare(config)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name(format!("fake-lark-{}", fake.addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => serve(listener, router, shutdown).await,
                        Err(e) => eprintln!("fake-lark: cannot serve: {e}"),
                    }
                })
            })?;
        Ok(fake)
    }

    fn prepare(
        config: FakeConfig,
    ) -> io::Result<(
        FakeLark,
        std::net::TcpListener,
        Router,
        watch::Receiver<bool>,
    )> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            spec: SpecIndex::load(&config.spec_dir),
            config,
            inner: Mutex::default(),
            shutdown: rx.clone(),
        });
        let router = router(shared.clone());
        let fake = FakeLark {
            shared,
            addr,
            shutdown: tx,
        };
        Ok((fake, listener, router, rx))
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration the fake runs with.
    pub fn config(&self) -> &FakeConfig {
        &self.shared.config
    }

    /// Requests received on one token endpoint (including failed and faulted ones).
    pub fn token_requests(&self, kind: TokenRequestKind) -> usize {
        let inner = self.shared.lock();
        inner.token_requests.get(&kind).copied().unwrap_or(0)
    }

    /// Requests received on the message-resource endpoint (all outcomes).
    pub fn resource_requests(&self) -> usize {
        self.shared.lock().resource_requests
    }

    /// Registers (or replaces) a resource under `(message_id, file_key)`, with
    /// its fault queue.
    ///
    /// # Panics
    /// If its `Content-Disposition` or `Content-Type` cannot be sent in an
    /// HTTP header (see [`Disposition::Raw`]).
    pub fn add_resource(&self, r: Resource) {
        if let Err(e) = r.disposition.header_value() {
            panic!(
                "fake-lark: unsendable Content-Disposition {:?}: {e}",
                r.disposition
            );
        }
        if let Some(ct) = &r.content_type {
            if let Err(e) = axum::http::HeaderValue::from_str(ct) {
                panic!("fake-lark: unsendable Content-Type {ct:?}: {e}");
            }
        }
        let key = (r.message_id.clone(), r.file_key.clone());
        let faults: VecDeque<Fault> = r.faults.iter().cloned().collect();
        let entry = Registered {
            resource: r,
            faults,
        };
        self.shared.lock().resources.insert(key, entry);
    }

    /// Appends faults to an already registered resource's queue; false if
    /// there is no such resource.
    pub fn push_faults(
        &self,
        message_id: &str,
        file_key: &str,
        faults: impl IntoIterator<Item = Fault>,
    ) -> bool {
        let mut inner = self.shared.lock();
        let key = (message_id.to_owned(), file_key.to_owned());
        match inner.resources.get_mut(&key) {
            Some(entry) => {
                entry.faults.extend(faults);
                true
            }
            None => false,
        }
    }

    /// Faults still queued for a resource (0 if it is unknown).
    pub fn pending_faults(&self, message_id: &str, file_key: &str) -> usize {
        let inner = self.shared.lock();
        let key = (message_id.to_owned(), file_key.to_owned());
        inner.resources.get(&key).map_or(0, |e| e.faults.len())
    }

    /// Issues a new app_ticket, as the platform would push to a store app;
    /// `/open-apis/auth/v3/app_access_token` accepts only issued tickets.
    pub fn issue_app_ticket(&self) -> String {
        auth::issue_ticket(&self.shared)
    }

    /// The most recently issued app_ticket (by [`FakeLark::issue_app_ticket`]
    /// or by a successful `app_ticket/resend`), i.e. the last one "pushed".
    pub fn latest_app_ticket(&self) -> Option<String> {
        self.shared.lock().latest_ticket.clone()
    }

    /// Invalidates every issued app_ticket (the next app-token request answers 10012).
    pub fn revoke_app_tickets(&self) {
        let mut inner = self.shared.lock();
        inner.tickets.clear();
        inner.latest_ticket = None;
    }

    /// Invalidates every issued token: using one answers 99991663.
    pub fn revoke_tokens(&self) {
        self.shared.lock().tokens.clear();
    }

    /// With `Some(n)`, each tenant token is accepted for `n` resource requests
    /// (counted since it was issued), then answers 99991663; `None` lifts the limit.
    pub fn reject_tokens_after_uses(&self, n: Option<usize>) {
        self.shared.lock().reject_after_uses = n;
    }

    /// The next `n` requests to any token endpoint fail with `status`: 429 is
    /// the rate-limit answer (code 99991400, `x-ogw-ratelimit-*` headers),
    /// other statuses as [`Fault::Status5xx`]. Replaces any pending failures.
    pub fn fail_next_token_requests(&self, n: usize, status: u16) {
        self.shared.lock().token_failures = (n > 0).then_some((n, status));
    }

    /// Headers of the most recent request to any endpoint.
    pub fn last_request_headers(&self) -> Option<HeaderMap> {
        self.shared.lock().last_headers.clone()
    }

    /// Every request so far, in the order their answers started.
    pub fn requests_log(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    /// Every row of the spec error tables the fake loaded at start.
    pub fn spec_errors(&self) -> Vec<SpecErrorRow> {
        self.shared.spec.rows.clone()
    }
}

impl Drop for FakeLark {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/open-apis/auth/v3/tenant_access_token/internal",
            post(auth::tenant_internal),
        )
        .route(
            "/open-apis/auth/v3/app_access_token/internal",
            post(auth::app_internal),
        )
        .route("/open-apis/auth/v3/app_access_token", post(auth::app_store))
        .route(
            "/open-apis/auth/v3/tenant_access_token",
            post(auth::tenant_store),
        )
        .route(
            "/open-apis/auth/v3/app_ticket/resend",
            post(auth::ticket_resend),
        )
        .route(
            "/open-apis/im/v1/messages/{message_id}/resources/{file_key}",
            get(download::get_message_resource),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "404 page not found") })
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            state::record_request,
        ))
        .with_state(shared)
}

async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let stop = async move {
        let _ = shutdown.wait_for(|v| *v).await;
    };
    if let Err(e) = axum::serve(listener, router)
        .with_graceful_shutdown(stop)
        .await
    {
        eprintln!("fake-lark: server error: {e}");
    }
}
