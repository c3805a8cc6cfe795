//! What a fresh store holds.
//!
//! - Users `ou_fake_1` … `ou_fake_3` (user tokens act as `ou_fake_1`).
//! - Group chats `oc_fake_1` … `oc_fake_3`, each with the three users and the bot as
//!   members and five text messages (alternately from the app and `ou_fake_1`).
//! - The ids the specs use as examples of request values (path and query parameters,
//!   body fields), so that every endpoint's example call succeeds on a fresh store:
//!   `oc_…` values are chats like the ones above; `om_…` values are text messages in
//!   `oc_fake_1`, each with three reactions (one of them the example `reaction_id` of
//!   an endpoint about that message, if any); `ou_…` values are users; `img_…` values
//!   (and `image_key` examples) are 8 KiB PNG images, `file_…` values (and `file_key`
//!   examples) 8 KiB files named `example.bin`. Example messages accept patch and update
//!   whatever their type, and hold every example upload for `message_resource.get`,
//!   under either `type`.

use bytes::Bytes;
use lark_codegen::model::{FieldDef, Ty, VersionModel};
use lark_codegen::Model;

use super::{Chat, Message, Reaction, Sender, Store, Upload};
use crate::fake::content::content_bytes;
use crate::fake::ids::stable_hash;
use crate::fake::resources::ResourceKind;

/// Seeded users.
const USERS: usize = 3;
/// Seeded group chats.
const CHATS: usize = 3;
/// Messages per seeded chat.
const MESSAGES_PER_CHAT: usize = 5;
/// Reactions per example message.
const REACTIONS_PER_MESSAGE: usize = 3;
/// Size of an example upload.
const UPLOAD_SIZE: usize = 8 * 1024;

/// An example request value: (wire name, value, the endpoint's example `message_id`).
type Example = (String, String, Option<String>);

pub(super) fn seeded(model: &Model, app_id: &str) -> Store {
    let mut s = Store {
        app_id: app_id.to_owned(),
        tenant_key: "fake_tenant_key".to_owned(),
        ..Store::default()
    };
    for n in 1..=USERS {
        s.users
            .push((format!("ou_fake_{n}"), format!("Fake User {n}")));
    }
    for n in 1..=CHATS {
        s.seed_chat(&format!("oc_fake_{n}"), &format!("Fake group {n}"));
    }
    let examples = harvest(model);
    for (_, value, _) in &examples {
        if value.starts_with("oc_") && s.chat(value).is_none() {
            s.seed_chat(value, "Example chat");
        } else if value.starts_with("ou_") && !s.users.iter().any(|(id, _)| id == value) {
            s.users.push((value.clone(), "Example User".to_owned()));
        }
    }
    for (wire, value, _) in &examples {
        if value.starts_with("om_") && s.message(value).is_none() {
            s.seed_message(value);
        }
        let kind = if value.starts_with("img_") || wire == "image_key" {
            Some(ResourceKind::Image)
        } else if value.starts_with("file_") || wire == "file_key" {
            Some(ResourceKind::File)
        } else {
            None
        };
        if let Some(kind) = kind.filter(|_| s.upload(value).is_none()) {
            s.uploads.push(example_upload(value, kind));
        }
    }
    let example_messages: Vec<String> = s
        .messages
        .iter()
        .filter(|m| m.example)
        .map(|m| m.message_id.clone())
        .collect();
    for (wire, value, message) in &examples {
        let on = message
            .clone()
            .or_else(|| example_messages.first().cloned());
        let known = s.reactions.iter().any(|r| r.reaction_id == *value);
        match on {
            Some(on) if wire == "reaction_id" && !known && s.message(&on).is_some() => {
                s.add_reaction(Some(value.clone()), &on, "SMILE", Sender::App);
            }
            _ => {}
        }
    }
    for on in &example_messages {
        let emojis = ["SMILE", "LAUGH", "THUMBSUP"];
        let mut n = s.reactions.iter().filter(|r| r.message_id == *on).count();
        while n < REACTIONS_PER_MESSAGE {
            let user = Sender::User(format!("ou_fake_{}", n % USERS + 1));
            s.add_reaction(None, on, emojis[n % emojis.len()], user);
            n += 1;
        }
    }
    s
}

/// The example request values of every endpoint that takes a token, in model order.
fn harvest(model: &Model) -> Vec<Example> {
    let mut out = Vec::new();
    for ep in model.endpoints.iter().filter(|ep| !ep.needs_no_token()) {
        let v = model.version_of(ep);
        let message = ep
            .path_params
            .iter()
            .find(|p| p.wire == "message_id")
            .and_then(|p| p.example.clone());
        for p in ep.path_params.iter().chain(&ep.query_params) {
            if let Some(example) = &p.example {
                out.push((p.wire.clone(), example.clone(), message.clone()));
            }
        }
        body_examples(ep.body.fields(), v, &message, 0, &mut out);
    }
    out
}

fn body_examples(
    fields: &[FieldDef],
    v: &VersionModel,
    message: &Option<String>,
    depth: usize,
    out: &mut Vec<Example>,
) {
    for f in fields {
        match (&f.ty, &f.example) {
            (Ty::String, Some(serde_json::Value::String(example))) => {
                out.push((f.wire.clone(), example.clone(), message.clone()));
            }
            (Ty::Object(name), _) if depth < 3 => {
                if let Some(def) = v.structs.get(name) {
                    body_examples(&def.fields, v, message, depth + 1, out);
                }
            }
            _ => {}
        }
    }
}

fn example_upload(key: &str, kind: ResourceKind) -> Upload {
    let mut bytes = content_bytes(stable_hash(key), 0, UPLOAD_SIZE);
    let (content_type, file_name) = match kind {
        ResourceKind::Image => {
            bytes[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
            ("image/png", None)
        }
        ResourceKind::File => ("application/octet-stream", Some("example.bin".to_owned())),
    };
    Upload {
        key: key.to_owned(),
        kind,
        bytes: Bytes::from(bytes),
        content_type: content_type.to_owned(),
        file_name,
        example: true,
    }
}

impl Store {
    fn seed_chat(&mut self, chat_id: &str, name: &str) {
        let time = self.tick();
        let members = (1..=USERS).map(|n| format!("ou_fake_{n}")).collect();
        self.chats.push(Chat {
            chat_id: chat_id.to_owned(),
            name: name.to_owned(),
            p2p: false,
            p2p_target: None,
            members,
            owner_id: "ou_fake_1".to_owned(),
            create_time: time,
            last_active: time,
        });
        for k in 1..=MESSAGES_PER_CHAT {
            let sender = if k % 2 == 1 {
                Sender::App
            } else {
                Sender::User("ou_fake_1".to_owned())
            };
            let content =
                serde_json::json!({ "text": format!("message {k} in {name}") }).to_string();
            self.add_message(chat_id, "text", &content, sender, None);
        }
    }

    fn seed_message(&mut self, message_id: &str) {
        let time = self.tick();
        self.messages.push(Message {
            message_id: message_id.to_owned(),
            chat_id: "oc_fake_1".to_owned(),
            msg_type: "text".to_owned(),
            content: r#"{"text":"an example message"}"#.to_owned(),
            sender: Sender::App,
            create_time: time,
            update_time: time,
            parent_id: None,
            root_id: None,
            thread_id: None,
            deleted: false,
            updated: false,
            example: true,
        });
    }

    fn add_reaction(
        &mut self,
        id: Option<String>,
        message_id: &str,
        emoji: &str,
        operator: Sender,
    ) {
        let reaction_id = id.unwrap_or_else(|| self.next_id("reaction_fake_"));
        let time = self.tick();
        self.reactions.push(Reaction {
            reaction_id,
            message_id: message_id.to_owned(),
            emoji: emoji.to_owned(),
            operator,
            time,
        });
    }
}
