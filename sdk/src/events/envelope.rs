//! Recognising the platform's envelopes in a plaintext JSON body.

use serde_json::{Map, Value};

use super::event::{EventHeader, Schema};

/// The event type given to [`RawEvent`](super::RawEvent)s made from a card action in the old
/// card callback format (no `schema`: `open_id`, `open_message_id`, `action`, `token` at the
/// top level). Such a callback goes to the
/// [`on_unknown`](super::DispatcherBuilder::on_unknown) handler with the whole body as its
/// `event`, and is answered with `{}`.
pub const LEGACY_CARD_ACTION: &str = "card.action.legacy";

/// What a body is: the one decision every channel and every security check follows from.
#[derive(Debug)]
pub(crate) enum Envelope {
    /// `{"encrypt": "<base64>"}`: opened with the Encrypt Key, then classified again.
    Encrypted(String),
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

/// Members that an old-format card callback never has: a body with any of them (whatever
/// its value, `null` included) is not one.
const NOT_IN_LEGACY_CARDS: [&str; 7] = [
    "type",
    "schema",
    "header",
    "event",
    "uuid",
    "encrypt",
    "challenge",
];

/// Says what a body is; the error is the reason it is none of the kinds (and is refused).
///
/// * `encrypt` present: [`Envelope::Encrypted`] (its value must be a string);
/// * `type` is the string `url_verification`: the URL check (it must carry a `challenge`);
/// * `schema` or `header` present: a schema 2.0 event (a `header` object with `event_id`
///   and `event_type` strings);
/// * `type` is the string `event_callback`: a schema 1.0 event (`uuid`, `event.type`);
/// * none of `type`, `schema`, `header`, `event`, `uuid`, `encrypt`, `challenge` present
///   (not even as `null`) and `action` an object: an old-format card callback;
/// * anything else: refused.
pub(crate) fn classify(value: Value) -> Result<Envelope, &'static str> {
    let Value::Object(mut map) = value else {
        return Err("body is not a JSON object");
    };
    if let Some(sealed) = map.get_mut("encrypt") {
        return match sealed.take() {
            Value::String(sealed) => Ok(Envelope::Encrypted(sealed)),
            _ => Err("`encrypt` is not a string"),
        };
    }
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
    let legacy = NOT_IN_LEGACY_CARDS.iter().all(|k| !map.contains_key(*k))
        && map.get("action").is_some_and(Value::is_object);
    if legacy {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kind(value: Value) -> &'static str {
        match classify(value) {
            Ok(Envelope::Encrypted(_)) => "encrypted",
            Ok(Envelope::UrlVerification { .. }) => "url_verification",
            Ok(Envelope::Event { header, .. }) if header.schema == Schema::V2 => "v2",
            Ok(Envelope::Event { .. }) => "v1",
            Ok(Envelope::LegacyCard { .. }) => "legacy card",
            Err(_) => "refused",
        }
    }

    #[test]
    fn each_kind_is_recognised() {
        assert_eq!(kind(json!({"encrypt": "abc"})), "encrypted");
        assert_eq!(
            kind(json!({"type": "url_verification", "challenge": "c"})),
            "url_verification"
        );
        assert_eq!(
            kind(json!({"schema": "2.0", "header": {"event_id": "e", "event_type": "t"}})),
            "v2"
        );
        assert_eq!(
            kind(json!({"type": "event_callback", "uuid": "u", "event": {"type": "t"}})),
            "v1"
        );
        assert_eq!(
            kind(json!({"open_id": "ou", "token": "c-1", "action": {"tag": "button"}})),
            "legacy card"
        );
    }

    /// The forged callbacks of the review: a member an old-format card never has, with any
    /// value, makes the body no card at all (and it fits no other kind).
    #[test]
    fn a_body_with_any_envelope_member_is_no_legacy_card() {
        let card = json!({"open_id": "ou", "token": "c-1", "action": {"tag": "button"}});
        for (key, value) in [
            ("type", Value::Null),
            ("type", json!(7)),
            ("type", json!("card")),
            ("event", json!(1)),
            ("event", Value::Null),
            ("uuid", Value::Null),
            ("challenge", json!("c")),
        ] {
            let mut body = card.clone();
            body[key] = value.clone();
            assert_eq!(kind(body), "refused", "{key}: {value}");
        }
        let mut body = card.clone();
        body["action"] = json!("click");
        assert_eq!(kind(body), "refused", "an action that is not an object");
        assert_eq!(kind(json!({"encrypt": 5})), "refused");
        assert_eq!(kind(json!([1])), "refused");
        assert_eq!(kind(json!({})), "refused");
    }
}
