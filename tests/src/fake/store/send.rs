//! Sending: `im.v1.message.create`, `reply` and `forward`, with the checks of the
//! receiver and the content, and deduplication by `uuid`.

use serde_json::Value;

use super::{Chat, Ctx, Message, Store};
use crate::fake::outcome::Outcome;
use crate::fake::resources::ResourceKind;

/// Names of the rows for an unknown receiver, in order of preference.
const BAD_RECEIVER: &[&str] = &[
    "invalid_receive_id",
    "invalid_target_chat",
    "chat_not_found",
];

/// `im.v1.message.create`: to a chat (`chat_id`, which must exist) or a user (a one-to-one
/// chat, made on first use). The same `uuid` gives back the first message.
pub(super) fn create(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let call = ctx.call;
    let kind = call.query("receive_id_type").unwrap_or_default();
    let receive_id = call.text("receive_id").unwrap_or_default();
    let key = call
        .text("uuid")
        .filter(|u| !u.is_empty())
        .map(|u| format!("create|{u}"));
    if let Some(found) = key.as_ref().and_then(|k| s.dedup.get(k)).cloned() {
        return s.answer(&found);
    }
    let chat_id = match s.receiver(ctx, kind, &receive_id, BAD_RECEIVER) {
        Ok(chat_id) => chat_id,
        Err(outcome) => return outcome,
    };
    let msg_type = call.text("msg_type").unwrap_or_default();
    let content = call.text("content").unwrap_or_default();
    if let Err(outcome) = s.check_content(ctx, &msg_type, &content) {
        return outcome;
    }
    let id = s.add_message(&chat_id, &msg_type, &content, ctx.sender(), None);
    if let Some(key) = key {
        s.dedup.insert(key, id.clone());
    }
    s.answer(&id)
}

/// `im.v1.message.reply`: in the parent's chat, with `parent_id` and `root_id` set (and a
/// thread when `reply_in_thread` is true).
pub(super) fn reply(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let call = ctx.call;
    let parent_id = call.path_param("message_id").to_owned();
    let key = call
        .text("uuid")
        .filter(|u| !u.is_empty())
        .map(|u| format!("reply|{parent_id}|{u}"));
    if let Some(found) = key.as_ref().and_then(|k| s.dedup.get(k)).cloned() {
        return s.answer(&found);
    }
    let parent = match s.live_message(ctx, &parent_id) {
        Ok(m) => m.clone(),
        Err(outcome) => return outcome,
    };
    let msg_type = call.text("msg_type").unwrap_or_default();
    let content = call.text("content").unwrap_or_default();
    if let Err(outcome) = s.check_content(ctx, &msg_type, &content) {
        return outcome;
    }
    let in_thread = call.field("reply_in_thread").and_then(Value::as_bool) == Some(true);
    let thread_id = match (&parent.thread_id, in_thread) {
        (Some(t), _) => Some(t.clone()),
        (None, true) => Some(s.next_id("omt_fake_")),
        (None, false) => None,
    };
    if let (Some(t), Some(p)) = (&thread_id, s.message_mut(&parent_id)) {
        p.thread_id = Some(t.clone());
    }
    let id = s.add_message(
        &parent.chat_id,
        &msg_type,
        &content,
        ctx.sender(),
        Some(&parent),
    );
    if let Some(m) = s.message_mut(&id) {
        m.thread_id = thread_id;
    }
    if let Some(key) = key {
        s.dedup.insert(key, id.clone());
    }
    s.answer(&id)
}

/// `im.v1.message.forward`: a copy of the message in the receiver's chat; the query's
/// `uuid` gives back the first copy for the same receiver.
pub(super) fn forward(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let call = ctx.call;
    let source_id = call.path_param("message_id").to_owned();
    let kind = call.query("receive_id_type").unwrap_or_default();
    let receive_id = call.text("receive_id").unwrap_or_default();
    let key = call
        .query("uuid")
        .filter(|u| !u.is_empty())
        .map(|u| format!("forward|{u}|{kind}|{receive_id}"));
    if let Some(found) = key.as_ref().and_then(|k| s.dedup.get(k)).cloned() {
        return s.answer(&found);
    }
    let source = match s.live_message(ctx, &source_id) {
        Ok(m) => m.clone(),
        Err(outcome) => return outcome,
    };
    let names = &[
        "invalid_target_chat",
        "invalid_receive_id",
        "chat_not_found",
    ];
    let chat_id = match s.receiver(ctx, kind, &receive_id, names) {
        Ok(chat_id) => chat_id,
        Err(outcome) => return outcome,
    };
    let id = s.add_message(
        &chat_id,
        &source.msg_type,
        &source.content,
        ctx.sender(),
        None,
    );
    if let Some(key) = key {
        s.dedup.insert(key, id.clone());
    }
    s.answer(&id)
}

impl Store {
    /// The message as an answer.
    pub(super) fn answer(&self, id: &str) -> Outcome {
        match self.message(id) {
            Some(m) => Outcome::Json(self.message_json(m)),
            None => Outcome::Error {
                code: 500,
                msg: format!("fake-lark: message {id} vanished"),
            },
        }
    }

    /// A message that exists and is not deleted, else the endpoint's error for it.
    pub(super) fn live_message(&self, ctx: &Ctx<'_>, id: &str) -> Result<&Message, Outcome> {
        match self.message(id) {
            None => Err(ctx.fail(
                &["message_not_found", "invalid_source_message"],
                format!("message {id} does not exist"),
            )),
            Some(m) if m.deleted => Err(ctx.fail(
                &[
                    "message_deleted",
                    "message_recalled",
                    "source_message_recalled",
                ],
                format!("message {id} was deleted"),
            )),
            Some(m) => Ok(m),
        }
    }

    /// The chat a send goes to: a known chat for `chat_id`, a thread's chat for
    /// `thread_id`, else a one-to-one chat with the user (made on first use).
    fn receiver(
        &mut self,
        ctx: &Ctx<'_>,
        kind: &str,
        id: &str,
        names: &[&str],
    ) -> Result<String, Outcome> {
        let refuse = |what: &str| Err(ctx.fail(names, format!("receive_id {id:?}: {what}")));
        match kind {
            "chat_id" => match self.chat(id) {
                Some(chat) => Ok(chat.chat_id.clone()),
                None => refuse("no such chat"),
            },
            "thread_id" => match self
                .messages
                .iter()
                .find(|m| m.thread_id.as_deref() == Some(id))
            {
                Some(m) => Ok(m.chat_id.clone()),
                None => refuse("no such thread"),
            },
            "open_id" if !id.starts_with("ou_") => refuse("an open_id starts with ou_"),
            "union_id" if !id.starts_with("on_") => refuse("a union_id starts with on_"),
            "email" if !id.contains('@') => refuse("not an email address"),
            "open_id" | "union_id" | "user_id" | "email" => Ok(self.p2p_chat(id)),
            _ => refuse("unknown receive_id_type"),
        }
    }

    /// The one-to-one chat of the bot with a user.
    fn p2p_chat(&mut self, user: &str) -> String {
        if let Some(chat) = self
            .chats
            .iter()
            .find(|c| c.p2p_target.as_deref() == Some(user))
        {
            return chat.chat_id.clone();
        }
        let chat_id = self.next_id("oc_fake_p2p_");
        let time = self.tick();
        self.chats.push(Chat {
            chat_id: chat_id.clone(),
            name: String::new(),
            p2p: true,
            p2p_target: Some(user.to_owned()),
            members: vec![user.to_owned()],
            owner_id: user.to_owned(),
            create_time: time,
            last_active: time,
        });
        chat_id
    }

    /// The content must be a JSON object of the message type's shape; images and files
    /// must be uploads of the right kind.
    pub(super) fn check_content(
        &self,
        ctx: &Ctx<'_>,
        msg_type: &str,
        content: &str,
    ) -> Result<(), Outcome> {
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(content) else {
            return Err(ctx.invalid("body.content: not a JSON object serialized to a string"));
        };
        let string = |key: &str| obj.get(key).and_then(Value::as_str);
        let need = |key: &str| match string(key) {
            Some(_) => Ok(()),
            None => Err(ctx.invalid(format!("body.content: a {msg_type} message needs `{key}`"))),
        };
        let upload = |key: &str, kind: ResourceKind| {
            need(key)?;
            let value = string(key).unwrap_or_default();
            match self.upload(value) {
                Some(u) if u.kind == kind => Ok(()),
                Some(_) => Err(ctx.fail(
                    &["file_type_mismatch"],
                    format!("{value} is not an upload of that kind"),
                )),
                None => Err(ctx.fail(
                    &["not_resource_owner"],
                    format!("{value} was not uploaded by this app"),
                )),
            }
        };
        match msg_type {
            "text" => need("text"),
            "image" => upload("image_key", ResourceKind::Image),
            "file" | "audio" | "media" => upload("file_key", ResourceKind::File),
            "share_chat" => need("chat_id"),
            "share_user" => need("user_id"),
            "sticker" => need("file_key"),
            _ => Ok(()),
        }
    }

    /// Stores a new message and returns its id.
    pub(super) fn add_message(
        &mut self,
        chat_id: &str,
        msg_type: &str,
        content: &str,
        sender: super::Sender,
        parent: Option<&Message>,
    ) -> String {
        let message_id = self.next_id("om_fake_");
        let time = self.tick();
        if let Some(chat) = self.chats.iter_mut().find(|c| c.chat_id == chat_id) {
            chat.last_active = time;
        }
        self.messages.push(Message {
            message_id: message_id.clone(),
            chat_id: chat_id.to_owned(),
            msg_type: msg_type.to_owned(),
            content: content.to_owned(),
            sender,
            create_time: time,
            update_time: time,
            parent_id: parent.map(|p| p.message_id.clone()),
            root_id: parent.map(|p| p.root_id.clone().unwrap_or_else(|| p.message_id.clone())),
            thread_id: None,
            deleted: false,
            updated: false,
            example: false,
        });
        message_id
    }
}
