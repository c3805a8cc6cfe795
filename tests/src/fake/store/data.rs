//! The store's records.

use bytes::Bytes;

use crate::fake::resources::ResourceKind;

/// Who sent a message, reacted or pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sender {
    /// The app (its bot).
    App,
    /// A user, by open_id.
    User(String),
}

/// A chat.
#[derive(Debug, Clone)]
pub(crate) struct Chat {
    pub chat_id: String,
    pub name: String,
    /// A one-to-one chat (created by sending to a user); else a group.
    pub p2p: bool,
    /// For a one-to-one chat: the user's id.
    pub p2p_target: Option<String>,
    /// Member open_ids (users only; the bot is in every chat).
    pub members: Vec<String>,
    pub owner_id: String,
    pub create_time: i64,
    /// Time of the latest message.
    pub last_active: i64,
}

/// A message.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub message_id: String,
    pub chat_id: String,
    pub msg_type: String,
    /// The content, a JSON object serialized to a string.
    pub content: String,
    pub sender: Sender,
    pub create_time: i64,
    pub update_time: i64,
    pub parent_id: Option<String>,
    pub root_id: Option<String>,
    pub thread_id: Option<String>,
    pub deleted: bool,
    pub updated: bool,
    /// Seeded from a spec example: accepts every operation whatever its type, and holds
    /// every example upload (see `seed.rs`).
    pub example: bool,
}

/// An uploaded image or file.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub key: String,
    pub kind: ResourceKind,
    pub bytes: Bytes,
    pub content_type: String,
    /// Files: the uploaded `file_name`.
    pub file_name: Option<String>,
    /// Seeded from a spec example.
    pub example: bool,
}

/// A reaction on a message.
#[derive(Debug, Clone)]
pub(crate) struct Reaction {
    pub reaction_id: String,
    pub message_id: String,
    pub emoji: String,
    pub operator: Sender,
    pub time: i64,
}
