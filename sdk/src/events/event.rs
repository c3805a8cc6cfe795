//! What every event has: its type, its header, and the context a handler receives.

use serde::de::DeserializeOwned;

/// A typed event: the `event` object of one event type.
///
/// Implemented by the generated event types (`lark_openapi::im::v1::events::MessageReceiveV1`
/// and the others); register a handler for one with
/// [`DispatcherBuilder::on`](super::DispatcherBuilder::on).
pub trait Event: DeserializeOwned + Send + Sync + 'static {
    /// The platform's name of the event type: `header.event_type` in a schema 2.0 envelope
    /// (`im.message.receive_v1`), `event.type` in a schema 1.0 one (`app_ticket`).
    const EVENT_TYPE: &'static str;
}

/// An event whose handler answers the platform (the card action callback,
/// `card.action.trigger`): its answer can carry a toast and a new card. Register a handler
/// for one with [`DispatcherBuilder::on_callback`](super::DispatcherBuilder::on_callback).
pub trait Callback: Event {}

/// How an event reached the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// POSTed by the platform to the app's request URL.
    Webhook,
    /// Received over the long connection (WebSocket).
    LongConnection,
}

/// The envelope an event came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Schema {
    /// `{"uuid", "token", "ts", "type": "event_callback", "event": {"type", …}}`.
    V1,
    /// `{"schema": "2.0", "header": {…}, "event": {…}}`.
    V2,
}

/// The envelope's facts about one event. The verification token it carried is checked and
/// not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventHeader {
    /// The event's id, the same in every re-push: `header.event_id` (schema 2.0) or `uuid`
    /// (schema 1.0).
    pub event_id: String,
    /// The event type (`im.message.receive_v1`).
    pub event_type: String,
    /// When the event happened, as the platform sends it: milliseconds since the epoch
    /// (`header.create_time`, schema 2.0) or `ts` (schema 1.0).
    pub create_time: Option<String>,
    /// The app the event is for.
    pub app_id: Option<String>,
    /// The tenant the event happened in (store apps need it to act there).
    pub tenant_key: Option<String>,
    /// The envelope's schema.
    pub schema: Schema,
}

impl EventHeader {
    /// A header with this id, type and schema and no other facts (for tests of handlers,
    /// and custom transports).
    pub fn new(event_id: impl Into<String>, event_type: impl Into<String>, schema: Schema) -> Self {
        EventHeader {
            event_id: event_id.into(),
            event_type: event_type.into(),
            create_time: None,
            app_id: None,
            tenant_key: None,
            schema,
        }
    }
}

/// What a handler receives: the header, the typed event and the channel.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EventContext<E> {
    /// The envelope's facts.
    pub header: EventHeader,
    /// The typed event.
    pub event: E,
    /// How it arrived.
    pub channel: Channel,
}

impl<E> EventContext<E> {
    /// Builds a context (for tests of handlers, and custom transports).
    pub fn new(header: EventHeader, event: E, channel: Channel) -> Self {
        EventContext {
            header,
            event,
            channel,
        }
    }
}

/// An event of a type no handler is registered for, kept as JSON: given to
/// [`DispatcherBuilder::on_unknown`](super::DispatcherBuilder::on_unknown), and always
/// acknowledged.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RawEvent {
    /// The envelope's facts.
    pub header: EventHeader,
    /// The `event` object as received.
    pub event: serde_json::Value,
    /// How it arrived.
    pub channel: Channel,
}

impl RawEvent {
    /// Builds a raw event (for tests of handlers, and custom transports).
    pub fn new(header: EventHeader, event: serde_json::Value, channel: Channel) -> Self {
        RawEvent {
            header,
            event,
            channel,
        }
    }
}

/// What a handler may fail with; the dispatcher logs it with the event's id and type.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;
