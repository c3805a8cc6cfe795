//! The fake pushes events: envelopes built from the event specs, webhook POSTs to an
//! app's URL (signed, encrypted or plain, with bad signatures and skewed timestamps on
//! request), and a long-connection endpoint speaking the platform's frame protocol.
//!
//! Everything here is independent of the SDK's event code: its own AES-256-CBC and
//! signature ([`crypto`]), its own protobuf frame ([`frame`]), so tests check the SDK
//! against a second implementation of the protocol.
//!
//! - **Envelopes**: [`FakeLark::event_envelope`] builds the schema 2.0 (or 1.0, as the
//!   spec says) envelope of an event, with a fresh `ev_fake_<n>` id, the configured
//!   verification token, app id and tenant key, and the store's clock.
//! - **Messages**: [`FakeLark::deliver_message`] stores a user's message (and its upload)
//!   and returns its `im.message.receive_v1` envelope; [`FakeLark::replies_to`] lists
//!   the replies it got.
//! - **Webhook**: [`FakeLark::push_webhook`] POSTs an envelope with reqwest (see
//!   [`WebhookPush`]), [`FakeLark::push_url_verification`] the URL check.
//! - **Long connection**: `POST /callback/ws/endpoint` (checks `AppID`/`AppSecret`,
//!   answers the WebSocket URL and the [`WsFakeConfig`] as `ClientConfig`) and `GET /ws`
//!   (the WebSocket). [`FakeLark::ws_push`] sends an envelope to one connected client
//!   (at random), fragmented when [`WsFakeConfig::fragment_size`] is set, and sends it
//!   again (same `event_id`, new `message_id`) when no ack comes within
//!   [`WsFakeConfig::ack_timeout`]. Pings are answered with pongs, which carry the
//!   `ClientConfig` when it changed ([`FakeLark::ws_set_ping_interval`]). Acks are
//!   recorded ([`FakeLark::ws_acks`]); connections can be dropped
//!   ([`FakeLark::ws_drop_connections`]) and the next endpoint call or handshake refused
//!   ([`FakeLark::ws_refuse_next`], [`FakeLark::ws_refuse_next_handshake`]).

pub mod catalogue;
pub mod crypto;
mod webhook;
mod ws;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{json, Map, Value};

pub use catalogue::{is_event_file, EventCatalogue, EventKind, EventSchema, EventSpec};
pub use webhook::{PushResult, Sign, WebhookPush};
pub use ws::frame;
pub(crate) use ws::{router as ws_router, WsState};
pub use ws::{HandshakeRefusal, WsAck, WsCounters, WsPush};

use super::store::FAKE_USER;
use super::FakeLark;

/// Settings of the fake's long connection; small defaults suitable for tests.
#[derive(Debug, Clone)]
pub struct WsFakeConfig {
    /// `PingInterval` of the `ClientConfig`, in seconds. Default 120.
    pub ping_interval_s: u64,
    /// `ReconnectCount` (0 or less: forever). Default 5.
    pub reconnect_count: i64,
    /// `ReconnectInterval`, in seconds. Default 1.
    pub reconnect_interval_s: u64,
    /// `ReconnectNonce` (bound of the random wait before the first reconnection), in
    /// seconds. Default 0.
    pub reconnect_nonce_s: u64,
    /// An event pushed on the long connection and not acknowledged within this time is
    /// pushed again. Default 3 s (the platform's limit).
    pub ack_timeout: Duration,
    /// How many times an unacknowledged event is pushed again. Default 3.
    pub max_repush: u32,
    /// When set, data frames carry at most this many payload bytes: larger payloads are
    /// split into fragments (`sum`/`seq` headers). Default `None`.
    pub fragment_size: Option<usize>,
}

impl Default for WsFakeConfig {
    fn default() -> WsFakeConfig {
        WsFakeConfig {
            ping_interval_s: 120,
            reconnect_count: 5,
            reconnect_interval_s: 1,
            reconnect_nonce_s: 0,
            ack_timeout: Duration::from_secs(3),
            max_repush: 3,
            fragment_size: None,
        }
    }
}

/// A message a user sends the bot ([`FakeLark::deliver_message`]).
#[derive(Debug, Clone)]
pub enum MsgIn {
    /// A text message.
    Text(String),
    /// A file, uploaded under a new `file_v2_fake_<n>` key.
    File {
        /// Its file name.
        name: String,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// An image, uploaded under a new `img_v2_fake_<n>` key.
    Image {
        /// Its bytes (the Content-Type served is sniffed from them, PNG if unknown).
        bytes: Vec<u8>,
    },
}

/// A reply in the store ([`FakeLark::replies_to`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// The reply's id.
    pub message_id: String,
    /// Its `msg_type`.
    pub msg_type: String,
    /// Its content JSON, as sent.
    pub content: String,
    /// Sent by the app (its bot), not by a user.
    pub from_app: bool,
    /// Sent in a thread (`reply_in_thread`).
    pub in_thread: bool,
    /// Deleted since.
    pub deleted: bool,
}

impl StoredReply {
    /// The content parsed as JSON (`Null` if it is not JSON).
    pub fn content_json(&self) -> Value {
        serde_json::from_str(&self.content).unwrap_or(Value::Null)
    }
}

/// The fake's event state, shared by its handlers.
#[derive(Debug)]
pub(crate) struct EventsState {
    pub catalogue: EventCatalogue,
    next_event: AtomicU64,
    pub ws: WsState,
}

impl EventsState {
    pub(crate) fn new(catalogue: EventCatalogue, ws: WsState) -> EventsState {
        EventsState {
            catalogue,
            next_event: AtomicU64::new(1),
            ws,
        }
    }

    /// The long-connection frame type of an event type: `card` for callbacks.
    pub(crate) fn frame_type(&self, event_type: &str) -> &'static str {
        match self.catalogue.get(event_type).map(|s| s.kind) {
            Some(EventKind::Callback) => "card",
            _ => "event",
        }
    }
}

/// The event type of an envelope (`header.event_type`, or `event.type` for schema 1.0).
pub fn envelope_event_type(envelope: &Value) -> Option<&str> {
    envelope
        .pointer("/header/event_type")
        .or_else(|| envelope.pointer("/event/type"))
        .and_then(Value::as_str)
}

/// The id of an envelope (`header.event_id`, or `uuid` for schema 1.0).
pub fn envelope_event_id(envelope: &Value) -> Option<&str> {
    envelope
        .pointer("/header/event_id")
        .or_else(|| envelope.get("uuid"))
        .and_then(Value::as_str)
}

impl FakeLark {
    /// The event specs the fake read at start (`<spec_dir>/**/events/*.json`).
    pub fn event_catalogue(&self) -> &EventCatalogue {
        &self.shared.events.catalogue
    }

    /// The envelope of an event, and its id: schema 2.0 (`header` with a fresh
    /// `ev_fake_<n>` event id, the event type, `create_time` from the store's clock in
    /// milliseconds, the verification token, the app id and the store's tenant key) or,
    /// when the event's spec says schema 1.0, `{uuid, token, ts, type: "event_callback",
    /// event}` with `event.type` set. `event` defaults to the spec's example (an empty
    /// object for an event type the catalogue does not know, which gets schema 2.0).
    pub fn event_envelope(&self, event_type: &str, event: Option<Value>) -> (String, Value) {
        let events = &self.shared.events;
        let spec = events.catalogue.get(event_type);
        let event = event.unwrap_or_else(|| Value::Object(events.catalogue.example(event_type)));
        let n = events.next_event.fetch_add(1, Ordering::Relaxed);
        let event_id = format!("ev_fake_{n}");
        let (time, tenant_key) = {
            let mut store = self.shared.store();
            (store.event_time(), store.tenant_key.clone())
        };
        let config = &self.shared.config;
        let schema = spec.map_or(EventSchema::V2, |s| s.schema);
        let envelope = match schema {
            EventSchema::V2 => json!({
                "schema": "2.0",
                "header": {
                    "event_id": event_id,
                    "event_type": event_type,
                    "create_time": time.to_string(),
                    "token": config.verification_token,
                    "app_id": config.app_id,
                    "tenant_key": tenant_key,
                },
                "event": event,
            }),
            EventSchema::V1 => {
                let mut event = match event {
                    Value::Object(map) => map,
                    other => {
                        let mut map = Map::new();
                        map.insert("value".to_owned(), other);
                        map
                    }
                };
                event.insert("type".to_owned(), json!(event_type));
                json!({
                    "uuid": event_id,
                    "token": config.verification_token,
                    "ts": format!("{}.{:03}", time / 1000, time % 1000),
                    "type": "event_callback",
                    "event": event,
                })
            }
        };
        (event_id, envelope)
    }

    /// Issues a new app_ticket (as [`FakeLark::issue_app_ticket`]) and returns it with the
    /// envelope of the `app_ticket` event carrying it (schema 1.0 unless the spec says
    /// otherwise).
    pub fn app_ticket_envelope(&self) -> (String, Value) {
        let ticket = self.issue_app_ticket();
        let mut event = self.shared.events.catalogue.example("app_ticket");
        event.insert("app_id".to_owned(), json!(self.shared.config.app_id));
        event.insert("app_ticket".to_owned(), json!(ticket));
        event.insert("type".to_owned(), json!("app_ticket"));
        let (_, envelope) = self.event_envelope("app_ticket", Some(Value::Object(event)));
        (ticket, envelope)
    }

    /// Stores a message from the user [`FAKE_USER`] in `chat_id` (the seeded chats are
    /// `oc_fake_1` … `oc_fake_3`; an unknown id becomes a new group chat), with its upload
    /// for a file or an image, so that `im.v1.message_resource.get` of the message and
    /// its `file_key`/`image_key` serves the bytes and `im.v1.message.reply` to it works.
    /// Returns the message id and its `im.message.receive_v1` envelope, whose
    /// `event.message` matches the stored message (`message_type`, `content` JSON by type,
    /// `chat_id`, `chat_type`, `create_time`); the rest comes from the spec's example.
    pub fn deliver_message(&self, chat_id: &str, msg: MsgIn) -> (String, Value) {
        let delivered = self.shared.store().deliver(chat_id, &msg);
        let event_type = "im.message.receive_v1";
        let mut event = self.shared.events.catalogue.example(event_type);
        let mut sender = match event.remove("sender") {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        sender.insert(
            "sender_id".to_owned(),
            json!({
                "open_id": FAKE_USER,
                "union_id": FAKE_USER.replacen("ou_", "on_", 1),
                "user_id": FAKE_USER.trim_start_matches("ou_"),
            }),
        );
        sender.insert("sender_type".to_owned(), json!("user"));
        sender.insert("tenant_key".to_owned(), json!(delivered.tenant_key));
        let mut message = match event.remove("message") {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        for key in ["root_id", "parent_id", "thread_id", "mentions"] {
            message.remove(key);
        }
        let time = delivered.create_time.to_string();
        for (key, value) in [
            ("message_id", json!(delivered.message_id)),
            ("create_time", json!(time)),
            ("update_time", json!(time)),
            ("chat_id", json!(delivered.chat_id)),
            ("chat_type", json!(delivered.chat_type)),
            ("message_type", json!(delivered.msg_type)),
            ("content", json!(delivered.content)),
        ] {
            message.insert(key.to_owned(), value);
        }
        event.insert("sender".to_owned(), Value::Object(sender));
        event.insert("message".to_owned(), Value::Object(message));
        let (_, envelope) = self.event_envelope(event_type, Some(Value::Object(event)));
        (delivered.message_id, envelope)
    }

    /// The replies to a message in the store, oldest first.
    pub fn replies_to(&self, message_id: &str) -> Vec<StoredReply> {
        self.shared.store().replies_to(message_id)
    }
}

#[cfg(test)]
mod tests;
