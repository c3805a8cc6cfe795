//! Recognising the platform's envelopes in a plaintext JSON body.

use serde_json::{Map, Value};

use super::event::{EventHeader, Schema};

/// The event type given to [`RawEvent`](super::RawEvent)s made from a card action in the old
/// card callback format (no `schema`: `open_id`, `open_message_id`, `action`, `token` at the
/// top level). Such a callback goes to the
/// [`on_unknown`](super::DispatcherBuilder::on_unknown) handler with the whole body as its
/// `event`, and is answered with `{}`.
pub const LEGACY_CARD_ACTION: &str = "card.action.legacy";

/// What a body is.
#[derive(Debug)]
pub(crate) enum Envelope {
    /// `{"type": "url_verification", "challenge", "token"}`.
    UrlVerification {
        challenge: String,
        token: Option<String>,
    },
    /// A schema 1.0 or 2.0 event (or callback).
    Event {
        header: EventHeader,
        token: Option<String>,
        event: Value,
    },
    /// An old-format card callback: no id, no header.
    LegacyCard { header: EventHeader, body: Value },
}

/// A string member of an object.
fn str_of(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A string or number member, as a string (`ts` and `create_time` come both ways).
fn text_of(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Classifies a plaintext body; the error is the reason it is not an envelope.
pub(crate) fn parse(value: Value) -> Result<Envelope, &'static str> {
    let Value::Object(mut map) = value else {
        return Err("body is not a JSON object");
    };
    let kind = map.get("type").and_then(Value::as_str);
    if kind == Some("url_verification") {
        let challenge = str_of(&map, "challenge").ok_or("url_verification without a challenge")?;
        return Ok(Envelope::UrlVerification {
            challenge,
            token: str_of(&map, "token"),
        });
    }
    if map.contains_key("schema") || map.contains_key("header") {
        let header = match map.get("header") {
            Some(Value::Object(h)) => h,
            _ => return Err("schema 2.0 envelope without a header object"),
        };
        let event_id = str_of(header, "event_id").ok_or("envelope header without event_id")?;
        let event_type =
            str_of(header, "event_type").ok_or("envelope header without event_type")?;
        let token = str_of(header, "token");
        let mut h = EventHeader::new(event_id, event_type, Schema::V2);
        h.create_time = text_of(header, "create_time");
        h.app_id = str_of(header, "app_id");
        h.tenant_key = str_of(header, "tenant_key");
        let event = map.remove("event").unwrap_or(Value::Null);
        return Ok(Envelope::Event {
            header: h,
            token,
            event,
        });
    }
    if kind == Some("event_callback") {
        let event_id = str_of(&map, "uuid").ok_or("schema 1.0 envelope without uuid")?;
        let event = map.remove("event").unwrap_or(Value::Null);
        let event_type = event
            .get("type")
            .and_then(Value::as_str)
            .ok_or("schema 1.0 envelope without event.type")?
            .to_owned();
        let mut h = EventHeader::new(event_id, event_type, Schema::V1);
        h.create_time = text_of(&map, "ts");
        h.app_id = event
            .get("app_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        h.tenant_key = event
            .get("tenant_key")
            .and_then(Value::as_str)
            .map(str::to_owned);
        return Ok(Envelope::Event {
            header: h,
            token: str_of(&map, "token"),
            event,
        });
    }
    if kind.is_none() && map.contains_key("action") {
        let mut h = EventHeader::new(String::new(), LEGACY_CARD_ACTION, Schema::V1);
        h.app_id = str_of(&map, "app_id");
        h.tenant_key = str_of(&map, "tenant_key");
        return Ok(Envelope::LegacyCard {
            header: h,
            body: Value::Object(map),
        });
    }
    Err("not an event envelope")
}
