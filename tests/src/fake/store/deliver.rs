//! Messages users send to the bot, for the fake's events (`FakeLark::deliver_message`),
//! and the replies they got (`FakeLark::replies_to`).

use bytes::Bytes;
use serde_json::json;

use super::uploads::sniff_image;
use super::{Chat, Sender, Store, FAKE_USER};
use crate::fake::events::{MsgIn, StoredReply};
use crate::fake::resources::ResourceKind;

/// A message stored by [`Store::deliver`], as the event describes it.
#[derive(Debug, Clone)]
pub(crate) struct Delivered {
    pub message_id: String,
    pub chat_id: String,
    /// `p2p` or `group`.
    pub chat_type: &'static str,
    pub msg_type: &'static str,
    /// The content JSON, serialized.
    pub content: String,
    pub create_time: i64,
    pub tenant_key: String,
}

impl Store {
    /// The time of a new event, in Unix milliseconds (the store's clock moves on).
    pub(crate) fn event_time(&mut self) -> i64 {
        self.version += 1;
        self.tick()
    }

    /// Stores a message from [`FAKE_USER`] in `chat_id` (a group chat with that user is
    /// made if there is no such chat), with its upload for files and images, so that
    /// `im.v1.message_resource.get` serves it and `im.v1.message.reply` answers it.
    pub(crate) fn deliver(&mut self, chat_id: &str, msg: &MsgIn) -> Delivered {
        // Changed outside a request: a request in flight must not commit over this.
        self.version += 1;
        if self.chat(chat_id).is_none() {
            let time = self.tick();
            self.chats.push(Chat {
                chat_id: chat_id.to_owned(),
                name: format!("Chat {chat_id}"),
                p2p: false,
                p2p_target: None,
                members: vec![FAKE_USER.to_owned()],
                owner_id: FAKE_USER.to_owned(),
                create_time: time,
                last_active: time,
            });
        }
        let p2p = self.chat(chat_id).is_some_and(|c| c.p2p);
        let (msg_type, content) = match msg {
            MsgIn::Text(text) => ("text", json!({ "text": text })),
            MsgIn::File { name, bytes } => {
                let key = self.add_upload(
                    ResourceKind::File,
                    Bytes::from(bytes.clone()),
                    "application/octet-stream".to_owned(),
                    Some(name.clone()),
                );
                ("file", json!({ "file_key": key, "file_name": name }))
            }
            MsgIn::Image { bytes } => {
                let key = self.add_upload(
                    ResourceKind::Image,
                    Bytes::from(bytes.clone()),
                    sniff_image(bytes).unwrap_or("image/png").to_owned(),
                    None,
                );
                ("image", json!({ "image_key": key }))
            }
        };
        let content = content.to_string();
        let sender = Sender::User(FAKE_USER.to_owned());
        let message_id = self.add_message(chat_id, msg_type, &content, sender, None);
        let create_time = self.message(&message_id).map_or(0, |m| m.create_time);
        Delivered {
            message_id,
            chat_id: chat_id.to_owned(),
            chat_type: if p2p { "p2p" } else { "group" },
            msg_type,
            content,
            create_time,
            tenant_key: self.tenant_key.clone(),
        }
    }

    /// The messages whose parent is `message_id`, oldest first.
    pub(crate) fn replies_to(&self, message_id: &str) -> Vec<StoredReply> {
        self.messages
            .iter()
            .filter(|m| m.parent_id.as_deref() == Some(message_id))
            .map(|m| StoredReply {
                message_id: m.message_id.clone(),
                msg_type: m.msg_type.clone(),
                content: m.content.clone(),
                from_app: m.sender == Sender::App,
                in_thread: m.thread_id.is_some(),
                deleted: m.deleted,
            })
            .collect()
    }
}
