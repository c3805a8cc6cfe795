//! A small in-memory IM store that makes the common flows real, used by the generic
//! handler for the endpoint ids it knows (others get synthesized answers).
//!
//! Everything is deterministic: ids come from counters (`om_fake_<n>`, `oc_fake_<n>`,
//! `img_v2_fake_<n>`, `file_v2_fake_<n>`, `reaction_fake_<n>`, `omt_fake_<n>`), times
//! from a fixed epoch ([`EPOCH_MS`]) plus one second per event. See `seed.rs` for what a
//! fresh store holds.

mod chats;
mod data;
mod deliver;
mod message_table;
mod messages;
mod paging;
mod reactions;
mod render;
mod seed;
mod send;
mod uploads;

use std::collections::HashMap;

use lark_codegen::model::EndpointModel;
use lark_codegen::Model;

pub(crate) use data::{Chat, Message, Reaction, Sender, Upload};
use message_table::MessageTable;

use super::call::Call;
use super::caller::Caller;
use super::errors::SpecIndex;
use super::outcome::Outcome;
use super::resources::ResourceKind;
use super::served::Served;
use super::validate::Invalid;

/// Creation time of the first seeded event (2023-11-14T22:13:20Z), in Unix milliseconds.
pub const EPOCH_MS: i64 = 1_700_000_000_000;

/// The open_id every user token acts as.
pub const FAKE_USER: &str = "ou_fake_1";

/// The store's data.
#[derive(Debug, Clone, Default)]
pub(crate) struct Store {
    pub app_id: String,
    pub tenant_key: String,
    /// Next number per id kind.
    counters: HashMap<&'static str, u64>,
    /// Events so far (each one second after the previous).
    clock: i64,
    /// (open_id, name), in creation order.
    pub users: Vec<(String, String)>,
    pub chats: Vec<Chat>,
    pub messages: MessageTable,
    pub uploads: Vec<Upload>,
    pub reactions: Vec<Reaction>,
    /// Pinned message ids, with who pinned them and when.
    pub pins: Vec<(String, Sender, i64)>,
    /// Deduplication keys (`<endpoint>|<uuid>|…`) → the message they created.
    pub dedup: HashMap<String, String>,
    /// Counts the requests that may have changed the store (all but `GET`s).
    version: u64,
}

/// What a store handler sees of a request.
pub(crate) struct Ctx<'a> {
    pub ep: &'a EndpointModel,
    pub spec: &'a SpecIndex,
    pub caller: &'a Caller,
    pub call: &'a Call,
    /// The largest page to serve (`FakeLark::set_page_size_cap`).
    pub page_cap: Option<usize>,
}

impl Ctx<'_> {
    /// The endpoint's first row among `names` (`message_deleted`, …) with `msg` for a row
    /// without a server message; the invalid-request answer when it has none of them.
    pub fn fail(&self, names: &[&str], msg: impl Into<String>) -> Outcome {
        let msg = msg.into();
        let id = self.ep.spec.id.as_str();
        match names.iter().find_map(|n| self.spec.code_named(id, n)) {
            Some(code) => Outcome::Error { code, msg },
            None => Outcome::Invalid(Invalid::from(msg)),
        }
    }

    /// The invalid-request answer.
    pub fn invalid(&self, msg: impl Into<String>) -> Outcome {
        Outcome::Invalid(Invalid::from(msg.into()))
    }

    /// Who acts: the app, or [`FAKE_USER`] for a user token.
    pub fn sender(&self) -> Sender {
        match self.caller {
            Caller::User { .. } => Sender::User(FAKE_USER.to_owned()),
            _ => Sender::App,
        }
    }
}

impl Store {
    /// A store seeded with a few users and chats, and with the ids the specs use as
    /// examples (see `seed.rs`).
    pub fn seeded(model: &Model, app_id: &str) -> Store {
        seed::seeded(model, app_id)
    }

    /// Replaces the store with `changed`, a copy that handled one request, unless
    /// another change was made since the copy was taken.
    pub fn commit(&mut self, changed: Store) {
        if changed.version == self.version + 1 {
            *self = changed;
        }
    }

    /// Becomes `seeded`, keeping the change count going (so that a change computed before
    /// the reset is never committed after it).
    pub fn reset_to(&mut self, seeded: Store) {
        let version = self.version + 1;
        *self = seeded;
        self.version = version;
    }

    /// Answers a request to an endpoint the store knows; `None` for the others.
    pub fn handle(&mut self, ctx: &Ctx<'_>) -> Option<Outcome> {
        if ctx.ep.spec.http_method != "GET" {
            self.version += 1;
        }
        Some(match ctx.ep.spec.id.as_str() {
            "im.v1.message.create" => messages::create(self, ctx),
            "im.v1.message.reply" => messages::reply(self, ctx),
            "im.v1.message.get" => messages::get(self, ctx),
            "im.v1.message.list" => messages::list(self, ctx),
            "im.v1.message.patch" => messages::patch(self, ctx),
            "im.v1.message.update" => messages::update(self, ctx),
            "im.v1.message.delete" => messages::delete(self, ctx),
            "im.v1.message.forward" => messages::forward(self, ctx),
            "im.v1.chat.list" => chats::list(self, ctx),
            "im.v1.chat_members.get" => chats::members(self, ctx),
            "im.v1.message_reaction.create" => reactions::create(self, ctx),
            "im.v1.message_reaction.list" => reactions::list(self, ctx),
            "im.v1.message_reaction.delete" => reactions::delete(self, ctx),
            "im.v1.pin.create" => messages::pin(self, ctx),
            "im.v1.image.create" => uploads::create(self, ctx, ResourceKind::Image),
            "im.v1.file.create" => uploads::create(self, ctx, ResourceKind::File),
            "im.v1.image.get" => uploads::get(self, ctx, ResourceKind::Image),
            "im.v1.file.get" => uploads::get(self, ctx, ResourceKind::File),
            _ => return None,
        })
    }

    /// What `im.v1.message_resource.get` serves for an upload held by a message: `Err`
    /// with the code to answer (`None`: 234003, the key is not in the message).
    pub fn message_resource(
        &self,
        message_id: &str,
        file_key: &str,
        kind: ResourceKind,
    ) -> Result<Served, Option<i64>> {
        uploads::message_resource(self, message_id, file_key, kind)
    }

    /// The next id of a kind: `<prefix><n>`.
    fn next_id(&mut self, prefix: &'static str) -> String {
        let n = self.counters.entry(prefix).or_insert(0);
        *n += 1;
        format!("{prefix}{n}")
    }

    /// The time of a new event, in Unix milliseconds.
    fn tick(&mut self) -> i64 {
        self.clock += 1;
        EPOCH_MS + self.clock * 1000
    }

    fn message(&self, id: &str) -> Option<&Message> {
        self.messages.get(id)
    }

    fn message_mut(&mut self, id: &str) -> Option<&mut Message> {
        self.messages.get_mut(id)
    }

    fn chat(&self, id: &str) -> Option<&Chat> {
        self.chats.iter().find(|c| c.chat_id == id)
    }

    fn upload(&self, key: &str) -> Option<&Upload> {
        self.uploads.iter().find(|u| u.key == key)
    }

    fn user_name(&self, open_id: &str) -> String {
        self.users
            .iter()
            .find(|(id, _)| id == open_id)
            .map_or_else(|| open_id.to_owned(), |(_, name)| name.clone())
    }
}
