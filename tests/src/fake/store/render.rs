//! Records as JSON objects with the wire names of `spec/im/v1/types.json`; the generic
//! handler fits them to each endpoint's response model.

use serde_json::{json, Map, Value};

use super::{Chat, Message, Reaction, Sender, Store};

/// Content shown for a deleted message, as the platform shows a recalled one.
const RECALLED: &str = r#"{"text":"This message was recalled"}"#;

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl Store {
    /// A `Sender`-shaped object.
    pub(super) fn sender_json(&self, sender: &Sender) -> Value {
        match sender {
            Sender::App => json!({
                "id": self.app_id, "id_type": "app_id", "sender_type": "app",
                "tenant_key": self.tenant_key,
            }),
            Sender::User(open_id) => json!({
                "id": open_id, "id_type": "open_id", "sender_type": "user",
                "tenant_key": self.tenant_key,
            }),
        }
    }

    /// An `Operator`-shaped object.
    pub(super) fn operator_json(&self, sender: &Sender) -> Value {
        match sender {
            Sender::App => json!({ "operator_id": self.app_id, "operator_type": "app" }),
            Sender::User(open_id) => json!({ "operator_id": open_id, "operator_type": "user" }),
        }
    }

    /// A `Message`-shaped object.
    pub(super) fn message_json(&self, m: &Message) -> Map<String, Value> {
        let content = if m.deleted {
            RECALLED
        } else {
            m.content.as_str()
        };
        let mut out = object(json!({
            "message_id": m.message_id,
            "msg_type": m.msg_type,
            "create_time": m.create_time.to_string(),
            "update_time": m.update_time.to_string(),
            "deleted": m.deleted,
            "updated": m.updated,
            "chat_id": m.chat_id,
            "sender": self.sender_json(&m.sender),
            "body": { "content": content },
        }));
        for (key, value) in [
            ("root_id", &m.root_id),
            ("parent_id", &m.parent_id),
            ("thread_id", &m.thread_id),
        ] {
            if let Some(value) = value {
                out.insert(key.to_owned(), json!(value));
            }
        }
        out
    }

    /// A `ChatSummary`-shaped object.
    pub(super) fn chat_json(&self, c: &Chat) -> Value {
        let mut out = json!({
            "chat_id": c.chat_id,
            "name": c.name,
            "description": "",
            "owner_id": c.owner_id,
            "owner_id_type": "open_id",
            "external": false,
            "tenant_key": self.tenant_key,
            "chat_status": "normal",
            "chat_mode": if c.p2p { "p2p" } else { "group" },
        });
        if let Some(target) = &c.p2p_target {
            out["p2p_target_type"] = json!("user");
            out["p2p_target_id"] = json!(target);
        }
        out
    }

    /// A `ChatMember`-shaped object.
    pub(super) fn member_json(&self, open_id: &str) -> Value {
        json!({
            "member_id_type": "open_id",
            "member_id": open_id,
            "name": self.user_name(open_id),
            "tenant_key": self.tenant_key,
        })
    }

    /// A `MessageReaction`-shaped object.
    pub(super) fn reaction_json(&self, r: &Reaction) -> Map<String, Value> {
        object(json!({
            "reaction_id": r.reaction_id,
            "operator": self.operator_json(&r.operator),
            "action_time": r.time.to_string(),
            "reaction_type": { "emoji_type": r.emoji },
        }))
    }
}
