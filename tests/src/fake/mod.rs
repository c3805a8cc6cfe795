//! A faithful fake of the Lark (Feishu) Open API for tests, driven by the specs.
//!
//! At start it builds the spec model from [`FakeConfig::spec_dir`] (as the generator
//! does; a broken spec directory fails [`FakeLark::start`] with every problem named) and
//! serves, on `127.0.0.1` only:
//!
//! - the five auth v3 token endpoints (`/open-apis/auth/v3/...`), hand-written: a new
//!   unique token on every call, calls counted per [`TokenRequestKind`], store-app
//!   tickets (issued, or pre-issued by [`FakeConfig::extra_app_tickets`]), pre-issued app
//!   tokens ([`FakeConfig::extra_app_tokens`]), rotation, rejection and failure
//!   injection; they take the endpoint faults as the generic handler does (an answer
//!   replaced, or a cut-off or stalled body);
//! - `GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=image|file`,
//!   hand-written: registered [`Resource`]s streamed from a seed (see
//!   [`content_bytes`]) with `Range` and per-resource [`Fault`]s, or the uploads a
//!   message of the store holds;
//! - the long connection: `POST /callback/ws/endpoint` and the `GET /ws` WebSocket
//!   (see [`events`]);
//! - every other endpoint of every spec, routed from its method and path, by one
//!   generic handler (below). Unknown paths answer 404.
//!
//! It also pushes events ([`events`]): signed and encrypted webhook POSTs to an app's
//! URL, and frames on the long connection, with envelopes built from the event specs
//! (`spec/**/events/*.json`, read as raw JSON and left out of the endpoint model).
//!
//! # The generic handler
//!
//! In order, for each request:
//!
//! 1. **Log** it ([`FakeLark::requests_log`], [`FakeLark::requests_for`]; each entry has
//!    the endpoint id, so retries are countable per endpoint).
//! 2. **Token**, by the spec's `access_tokens`: none or a blank one → 99991661; a live
//!    tenant token issued by the fake only where `tenant` is accepted (else 99991663);
//!    a user token (`u-…`, or from [`FakeLark::issue_user_token`]) only where `user` is
//!    (else 99991668); other `t-…` tokens 99991663; anything else 99991671. Then, when
//!    [`FakeConfig::rate_limit`] is set, a request over the endpoint's limit is refused:
//!    HTTP 429, 99991400, `x-ogw-ratelimit-limit` / `-reset` ([`FakeRateLimit`],
//!    [`FakeLark::rate_limited`]).
//! 3. **Fault**: the endpoint's next [`Fault`] ([`FakeLark::push_endpoint_faults`]).
//! 4. **Validation** against the spec: path parameters non-empty and of their type;
//!    query parameters required present, integers and booleans parse, enum values known
//!    (enums are closed here, though the SDK keeps unknown values), a key repeated only
//!    if the parameter is `repeated`; JSON bodies a JSON object with the required fields,
//!    every field of its type through named types (integers as numbers or decimal
//!    strings; unknown fields ignored); multipart bodies read as a stream (at most
//!    [`MAX_REQUEST_BODY`] bytes, never more buffered), text parts as query parameters,
//!    file parts present when required, not empty and within `max_bytes`. A breach is
//!    HTTP 400 with the spec's `invalid_request_code` (default 99992402) and `msg`
//!    `field validation failed: body.receive_id is required`; an empty or oversized file
//!    uses the endpoint's rows named `empty_file` / `file_too_large` when it has them.
//! 5. **Success**: the store's answer if it knows the endpoint, else one synthesized
//!    from the response model: `{code:0,msg:"success",data}` (`json`), the fields at
//!    top level (`flat`), `{code:0,msg:"success"}` (`empty`), deterministic bytes
//!    (`binary`). Values are the fields' examples, else made from the type; synthesized
//!    listings serve 3 pages of 2 items driven by page tokens. Every JSON answer is
//!    fitted to the model's field names and types and type-checked before it is sent, so
//!    the generated SDK can decode it.
//!
//! # The store
//!
//! A small in-memory IM store (module `store`) makes the common flows real: messages
//! are created (to a chat, or to a user through a one-to-one chat made on the fly;
//! the same `uuid` gives back the first message), fetched, listed page by page (sort
//! order, time filters, opaque page tokens), replied to, patched (cards), updated (text
//! and post), forwarded, deleted (then 230110), reacted to and pinned; chats and their
//! members are listed page by page; images and files are uploaded, downloaded, and
//! served through the message-resource endpoint once a message names them. Ids come
//! from counters and times from a fixed epoch, so runs are repeatable.
//! [`FakeLark::reset_store`] restores the seeded state.
//!
//! # Faults
//!
//! Every error row of every spec, and every [`Fault`] (5xx, 429, 99991400, token
//! rejection, cut-off or stalled bodies, HTML pages, 200 with `code != 0`, a page token
//! served twice), can be triggered per endpoint id. Errors use the platform's envelope
//! (`code`, `msg`, `error.log_id`, `error.troubleshooter`) with the HTTP status and the
//! message from the spec's row (its `meaning` when the spec has no server message);
//! every answer carries `X-Tt-Logid`.
//!
//! # Deliberate differences from the platform
//!
//! - Every token request issues a new token (the platform returns the same one while
//!   more than 30 minutes remain); every user token acts as the user `ou_fake_1`.
//! - Resources and store data are not scoped per tenant; the bot is in every chat.
//! - Enums are closed: an unknown value is an invalid request.
//! - A request whose answer is cut off or stalled by a fault changes the store only when
//!   its last bytes go out, and only if nothing else changed the store meanwhile: a
//!   cut-off request changes nothing, and a stalled one whose client retried during the
//!   stall is overtaken by the retry, so a retry finds the state it expects (the
//!   platform may have applied the first request).
//! - Messages seeded from spec examples accept patch and update whatever their type and
//!   hold every example upload; the 100 MB download limit is not enforced (use
//!   [`Fault::ErrorCode`]`(234037)`).
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
mod binary;
mod call;
mod caller;
mod content;
mod control;
mod download;
mod errors;
pub mod events;
mod faults;
mod generic;
mod ids;
pub use ids::civil_from_days;
mod outcome;
mod preview;
mod range;
mod ratelimit;
pub use ratelimit::FakeRateLimit;
mod resources;
mod router;
mod samples;
mod served;
mod specs;
pub(crate) use specs::load_model;
mod state;
mod store;
mod stream;
mod synth;
#[cfg(test)]
mod tests;
mod tokens;
mod validate;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::serve::ListenerExt;
use axum::Router;
use tokio::sync::watch;

pub use caller::AcceptedToken;
pub use content::{content_bytes, content_range_sha256, content_sha256, fill_content, CHUNK_SIZE};
pub use download::MESSAGE_RESOURCE_ENDPOINT;
pub use errors::{codes, spec_error_rows, SpecErrorRow, JSON_CONTENT_TYPE, LOGID_HEADER};
pub use events::{
    EventCatalogue, EventKind, EventSchema, EventSpec, HandshakeRefusal, MsgIn, PushResult, Sign,
    StoredReply, WebhookPush, WsAck, WsCounters, WsFakeConfig, WsPush,
};
pub use faults::Fault;
pub use range::{decide as decide_range, RangeDecision};
pub use resources::{Disposition, Resource, ResourceKind};
pub use samples::*;
pub use state::{LoggedRequest, TokenRequestKind};
pub use store::{EPOCH_MS, FAKE_USER};
pub use validate::MAX_REQUEST_BODY;

use errors::SpecIndex;
use state::Shared;
use store::Store;

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
    /// Directory whose `**/*.json` spec files (endpoints and `types.json`) the fake is
    /// built from: routes, validation, answers and error tables.
    pub spec_dir: PathBuf,
    /// More spec directories served as if they were part of `spec_dir`: operations the SDK
    /// does not generate, for calls through its escape hatch (`Client::raw`) or an app's
    /// own. An id found twice is an error. Default: none.
    pub extra_spec_dirs: Vec<PathBuf>,
    /// app_tickets valid from the start, as if the platform had pushed them before the
    /// fake started: `/open-apis/auth/v3/app_access_token` accepts them (with the tickets
    /// the fake issues) until [`FakeLark::revoke_app_tickets`]. Default: none.
    pub extra_app_tickets: Vec<String>,
    /// app_access_tokens valid from the start, as if the fake had issued them just before
    /// it started (for [`token_lifetime`](Self::token_lifetime), until
    /// [`FakeLark::revoke_tokens`]): `/open-apis/auth/v3/tenant_access_token` accepts
    /// them, and so does every endpoint that takes an app token. Default: none.
    pub extra_app_tokens: Vec<String>,
    /// The app's Encrypt Key: webhook pushes may be encrypted and are signed with it
    /// ([`FakeLark::push_webhook`]). Default: none.
    pub encrypt_key: Option<String>,
    /// The app's Verification Token, put in every event envelope. Default
    /// `fake_verification_token`.
    pub verification_token: String,
    /// The long connection's settings.
    pub ws: WsFakeConfig,
    /// The platform's rate limit, enforced: a token bucket per tenant × endpoint holding
    /// one second's worth of requests; a request over it is answered HTTP 429, code
    /// 99991400, with `x-ogw-ratelimit-limit` / `x-ogw-ratelimit-reset` (see
    /// [`FakeRateLimit`], [`FakeLark::rate_limited`], [`FakeLark::set_rate_limit`]).
    /// Default: none (no limit).
    pub rate_limit: Option<FakeRateLimit>,
}

impl Default for FakeConfig {
    /// `cli_fake_app` / `fake_secret`, custom app, 7200 s tokens, any port,
    /// the workspace's `spec/` directory, no pre-issued ticket or token, no encrypt key,
    /// verification token `fake_verification_token`, [`WsFakeConfig::default`], no
    /// enforced rate limit.
    fn default() -> FakeConfig {
        FakeConfig {
            app_id: "cli_fake_app".to_owned(),
            app_secret: "fake_secret".to_owned(),
            app_type: FakeAppType::Custom,
            token_lifetime: Duration::from_secs(7200),
            port: 0,
            spec_dir: default_spec_dir(),
            extra_spec_dirs: Vec::new(),
            extra_app_tickets: Vec::new(),
            extra_app_tokens: Vec::new(),
            encrypt_key: None,
            verification_token: "fake_verification_token".to_owned(),
            ws: WsFakeConfig::default(),
            rate_limit: None,
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
    /// Builds the spec model from `config.spec_dir`, binds `127.0.0.1:<config.port>` and
    /// serves on the current Tokio runtime. A spec directory that cannot be read or whose
    /// specs are broken is an error naming every problem.
    pub async fn start(config: FakeConfig) -> io::Result<FakeLark> {
        let (fake, listener, router, shutdown) = FakeLark::prepare(config)?;
        fake.shared
            .events
            .ws
            .set_runtime(tokio::runtime::Handle::current());
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
        fake.shared.events.ws.set_runtime(runtime.handle().clone());
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
        let dirs: Vec<&Path> = std::iter::once(config.spec_dir.as_path())
            .chain(config.extra_spec_dirs.iter().map(PathBuf::as_path))
            .collect();
        let model = specs::load_models(&dirs)?;
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = watch::channel(false);
        let seeded = Store::seeded(&model, &config.app_id);
        let mut inner = auth::pre_issued(&config);
        inner.rate = ratelimit::RateState::new(config.rate_limit);
        let events = events::EventsState::new(
            events::EventCatalogue::load(&config.spec_dir),
            events::WsState::new(addr, config.ws.clone()),
        );
        let shared = Arc::new(Shared {
            spec: SpecIndex::from_model(&model),
            model,
            config,
            inner: Mutex::new(inner),
            store: Mutex::new(seeded.clone()),
            seeded,
            events,
            shutdown: rx.clone(),
        });
        let router = router::router(shared.clone())?;
        let fake = FakeLark {
            shared,
            addr,
            shutdown: tx,
        };
        Ok((fake, listener, router, rx))
    }
}

impl Drop for FakeLark {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let stop = async move {
        let _ = shutdown.wait_for(|v| *v).await;
    };
    // Answers go out as soon as they are written: with Nagle's algorithm a response
    // written in pieces (headers, then body chunks) can wait for the client's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    if let Err(e) = axum::serve(listener, router)
        .with_graceful_shutdown(stop)
        .await
    {
        eprintln!("fake-lark: server error: {e}");
    }
}
