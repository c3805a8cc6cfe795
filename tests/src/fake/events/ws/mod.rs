//! The long connection: `POST /callback/ws/endpoint`, the `GET /ws` WebSocket, and the
//! controls of [`FakeLark`] that push events over it and watch the client.

pub mod frame;
mod push;
mod server;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

pub(crate) use server::router;

use super::{envelope_event_id, envelope_event_type, WsFakeConfig};
use crate::fake::FakeLark;

/// A refusal of the WebSocket handshake ([`FakeLark::ws_refuse_next_handshake`]): the
/// upgrade is answered with an HTTP error carrying the `Handshake-Status`,
/// `Handshake-Msg` and (when set) `Handshake-Autherrcode` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeRefusal {
    /// `Handshake-Status` (514 auth failed, 403 forbidden, ...).
    pub status: i64,
    /// `Handshake-Msg`.
    pub msg: String,
    /// `Handshake-Autherrcode` (1000040350: too many connections).
    pub auth_err_code: Option<i64>,
}

impl HandshakeRefusal {
    /// Status 514, no auth error code: authentication failed (the official SDKs retry).
    pub fn auth_failed() -> HandshakeRefusal {
        HandshakeRefusal {
            status: 514,
            msg: "auth failed".to_owned(),
            auth_err_code: None,
        }
    }

    /// Status 514 with auth error code 1000040350: the app has too many connections.
    pub fn too_many_connections() -> HandshakeRefusal {
        HandshakeRefusal {
            status: 514,
            msg: "exceed connection limit".to_owned(),
            auth_err_code: Some(1_000_040_350),
        }
    }

    /// Status 403: the app is forbidden to connect.
    pub fn forbidden() -> HandshakeRefusal {
        HandshakeRefusal {
            status: 403,
            msg: "forbidden".to_owned(),
            auth_err_code: None,
        }
    }
}

/// Options of one long-connection push ([`FakeLark::ws_push_with`]).
#[derive(Debug, Clone, Default)]
pub struct WsPush {
    /// Fragment size for this push, overriding [`WsFakeConfig::fragment_size`].
    pub fragment_size: Option<usize>,
    /// Send the fragments last first.
    pub reverse_fragments: bool,
    /// The frame's `type` header, overriding the one of the event's kind (`event`, or
    /// `card` for a callback).
    pub frame_type: Option<String>,
}

/// An acknowledgement the client sent back.
#[derive(Debug, Clone, PartialEq)]
pub struct WsAck {
    /// The `message_id` header (that of the push it answers).
    pub message_id: String,
    /// The id of the event pushed under that message id, if the fake pushed it.
    pub event_id: Option<String>,
    /// The `type` header (`event` or `card`).
    pub frame_type: String,
    /// The payload's `code` (200 handled, 500 failed); -1 if the payload is not the
    /// expected JSON.
    pub code: i64,
    /// The `biz_rt` header (handling time in ms), if present and a number.
    pub biz_rt: Option<u64>,
    /// The payload's `data`, base64-decoded and parsed as JSON (a string if it is not
    /// JSON, `Null` if absent).
    pub data: Value,
    /// The frame's `service` (should be the connection's `service_id`).
    pub service: i32,
    /// All headers of the ack frame.
    pub headers: Vec<(String, String)>,
}

/// Counters of the long connection ([`FakeLark::ws_counters`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WsCounters {
    /// Requests to `POST /callback/ws/endpoint`, all outcomes.
    pub endpoint_requests: usize,
    /// Endpoint requests or handshakes refused (scripted refusals, bad credentials,
    /// unknown tickets).
    pub refused: usize,
    /// WebSocket connections accepted so far.
    pub connections_total: usize,
    /// WebSocket connections open now.
    pub connections_open: usize,
    /// Pings received.
    pub pings: usize,
    /// Pongs sent.
    pub pongs: usize,
    /// Pongs that carried a `ClientConfig`.
    pub config_pongs: usize,
    /// Data frames sent (fragments count one each).
    pub data_frames_sent: usize,
    /// Deliveries of pushed events (first pushes and re-pushes).
    pub deliveries: usize,
    /// Re-pushes of unacknowledged events.
    pub repushes: usize,
    /// Pushed events never acknowledged after every re-push.
    pub unacked: usize,
    /// Acks received.
    pub acks: usize,
    /// Frames from the client whose `service` is not its connection's `service_id`.
    pub wrong_service: usize,
    /// Binary messages from the client that are not frames, and text messages.
    pub undecodable: usize,
}

/// What the connection task sends.
#[derive(Debug)]
enum Out {
    Frame(Vec<u8>),
    Drop,
}

/// An open connection.
#[derive(Debug)]
struct Conn {
    tx: mpsc::UnboundedSender<Out>,
    service_id: i32,
    /// The `ClientConfig` version this client was last told.
    config_version: u64,
}

/// One pushed event, across its re-pushes.
#[derive(Debug, Default)]
struct Delivery {
    event_id: Option<String>,
    acked: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

#[derive(Debug)]
struct WsInner {
    config: WsFakeConfig,
    config_version: u64,
    tickets: HashSet<String>,
    refuse_endpoint: VecDeque<i64>,
    refuse_handshake: VecDeque<HandshakeRefusal>,
    conns: BTreeMap<u64, Conn>,
    next_id: u64,
    deliveries: HashMap<String, Arc<Delivery>>,
    acks: Vec<WsAck>,
    counters: WsCounters,
}

/// The long connection's state.
#[derive(Debug)]
pub(crate) struct WsState {
    addr: SocketAddr,
    runtime: OnceLock<tokio::runtime::Handle>,
    inner: Mutex<WsInner>,
    /// (open connections, connections so far).
    connections: watch::Sender<(usize, usize)>,
    acks: watch::Sender<usize>,
}

impl WsState {
    pub(crate) fn new(addr: SocketAddr, config: WsFakeConfig) -> WsState {
        WsState {
            addr,
            runtime: OnceLock::new(),
            inner: Mutex::new(WsInner {
                config,
                config_version: 0,
                tickets: HashSet::new(),
                refuse_endpoint: VecDeque::new(),
                refuse_handshake: VecDeque::new(),
                conns: BTreeMap::new(),
                next_id: 1,
                deliveries: HashMap::new(),
                acks: Vec::new(),
                counters: WsCounters::default(),
            }),
            connections: watch::channel((0, 0)).0,
            acks: watch::channel(0).0,
        }
    }

    /// The runtime the fake serves on, where pushes run.
    pub(crate) fn set_runtime(&self, handle: tokio::runtime::Handle) {
        let _ = self.runtime.set(handle);
    }

    fn lock(&self) -> MutexGuard<'_, WsInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `ClientConfig` JSON of the current settings.
    fn client_config(config: &WsFakeConfig) -> Value {
        json!({
            "ReconnectCount": config.reconnect_count,
            "ReconnectInterval": config.reconnect_interval_s,
            "ReconnectNonce": config.reconnect_nonce_s,
            "PingInterval": config.ping_interval_s,
        })
    }

    fn publish_connections(&self, inner: &WsInner) {
        let state = (inner.conns.len(), inner.counters.connections_total);
        self.connections.send_replace(state);
    }
}

impl FakeLark {
    fn ws(&self) -> &WsState {
        &self.shared.events.ws
    }

    /// Open long connections.
    pub fn ws_connections(&self) -> usize {
        self.ws().lock().conns.len()
    }

    /// Pings received on the long connections.
    pub fn ws_pings(&self) -> usize {
        self.ws().lock().counters.pings
    }

    /// Every counter of the long connection.
    pub fn ws_counters(&self) -> WsCounters {
        let inner = self.ws().lock();
        let mut counters = inner.counters.clone();
        counters.connections_open = inner.conns.len();
        counters
    }

    /// Pushes an envelope to one open connection, chosen at random (waiting for one if
    /// none is open), as a data frame of type `event`, or `card` for a callback's
    /// envelope; fragmented when [`WsFakeConfig::fragment_size`] is set. If no ack comes
    /// within [`WsFakeConfig::ack_timeout`], the same envelope (same `event_id`) is
    /// pushed again under a new message id, up to [`WsFakeConfig::max_repush`] times;
    /// any ack (whatever its code) ends the re-pushes. Returns the message id of the
    /// first push. Runs on the fake's runtime: it may be called from any thread.
    pub fn ws_push(&self, envelope: &Value) -> String {
        self.ws_push_with(envelope, WsPush::default())
    }

    /// [`FakeLark::ws_push`] with options.
    pub fn ws_push_with(&self, envelope: &Value, push: WsPush) -> String {
        let events = &self.shared.events;
        let frame_type = push.frame_type.clone().unwrap_or_else(|| {
            envelope_event_type(envelope)
                .map_or("event", |t| events.frame_type(t))
                .to_owned()
        });
        let event_id = envelope_event_id(envelope).map(str::to_owned);
        let payload = serde_json::to_vec(envelope).unwrap_or_default();
        push::spawn(self.shared.clone(), payload, event_id, frame_type, push)
    }

    /// The acks received so far, in order.
    pub fn ws_acks(&self) -> Vec<WsAck> {
        self.ws().lock().acks.clone()
    }

    /// Waits until at least `n` acks were received or `timeout` passed, and returns the
    /// acks received (check their number).
    pub async fn ws_wait_acks(&self, n: usize, timeout: Duration) -> Vec<WsAck> {
        let mut rx = self.ws().acks.subscribe();
        let wait = async { rx.wait_for(|count| *count >= n).await.is_ok() };
        let _ = tokio::time::timeout(timeout, wait).await;
        self.ws_acks()
    }

    /// Waits until at least `n` connections are open; false on timeout.
    pub async fn ws_wait_connections(&self, n: usize, timeout: Duration) -> bool {
        let mut rx = self.ws().connections.subscribe();
        let wait = async { rx.wait_for(|(open, _)| *open >= n).await.is_ok() };
        tokio::time::timeout(timeout, wait).await.unwrap_or(false)
    }

    /// Waits until at least `n` connections were accepted since the start (reconnections
    /// count); false on timeout.
    pub async fn ws_wait_handshakes(&self, n: usize, timeout: Duration) -> bool {
        let mut rx = self.ws().connections.subscribe();
        let wait = async { rx.wait_for(|(_, total)| *total >= n).await.is_ok() };
        tokio::time::timeout(timeout, wait).await.unwrap_or(false)
    }

    /// Drops every open connection abruptly (no close frame: the TCP connection is
    /// closed, as when a network fails) and returns how many there were. Events not
    /// acknowledged are pushed again after their ack timeout.
    pub fn ws_drop_connections(&self) -> usize {
        let inner = self.ws().lock();
        for conn in inner.conns.values() {
            let _ = conn.tx.send(Out::Drop);
        }
        inner.conns.len()
    }

    /// Sets the ping interval (seconds) of the `ClientConfig`: the next pong of each
    /// connection carries the new `ClientConfig`, and later endpoint answers too.
    pub fn ws_set_ping_interval(&self, seconds: u64) {
        let mut inner = self.ws().lock();
        inner.config.ping_interval_s = seconds;
        inner.config_version += 1;
    }

    /// The next request to `POST /callback/ws/endpoint` is answered with this `code`
    /// (HTTP 200, no `data`): 1 system busy, 403 forbidden, 514 auth failed, 1000040350
    /// too many connections, 1000040343 internal error. Calls queue up.
    pub fn ws_refuse_next(&self, code: i64) {
        self.ws().lock().refuse_endpoint.push_back(code);
    }

    /// The next WebSocket handshake is refused (see [`HandshakeRefusal`]). Calls queue up.
    pub fn ws_refuse_next_handshake(&self, refusal: HandshakeRefusal) {
        self.ws().lock().refuse_handshake.push_back(refusal);
    }
}

/// Resolves once the fake shuts down (never holding the watch's lock across awaits).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await.map(|_| ());
}

/// The message of an endpoint refusal code.
fn refusal_msg(code: i64) -> &'static str {
    match code {
        1 => "system busy",
        403 => "forbidden",
        514 => "auth failed",
        1_000_040_350 => "exceed connection limit",
        1_000_040_343 => "internal error",
        _ => "refused",
    }
}
