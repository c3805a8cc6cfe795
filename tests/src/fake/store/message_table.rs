//! The store's messages in creation order, indexed by id and by chat, so that finding a
//! message or a chat's messages does not walk every message of the store.

use std::collections::HashMap;

use super::Message;

/// Messages are only ever added (a deleted one is marked, not removed), and a message's
/// id and chat never change, so positions and indexes stay valid.
#[derive(Debug, Clone, Default)]
pub(crate) struct MessageTable {
    all: Vec<Message>,
    /// message_id → position in `all`.
    by_id: HashMap<String, usize>,
    /// chat_id → positions in `all`, in creation order.
    by_chat: HashMap<String, Vec<usize>>,
}

impl MessageTable {
    /// Adds a message after the others (an id seen before keeps finding the first).
    pub fn push(&mut self, message: Message) {
        let at = self.all.len();
        self.by_id.entry(message.message_id.clone()).or_insert(at);
        self.by_chat
            .entry(message.chat_id.clone())
            .or_default()
            .push(at);
        self.all.push(message);
    }

    /// The message with this id.
    pub fn get(&self, id: &str) -> Option<&Message> {
        self.by_id.get(id).map(|&at| &self.all[at])
    }

    /// The message with this id, to change anything but its id and chat.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Message> {
        self.by_id.get(id).map(|&at| &mut self.all[at])
    }

    /// Every message, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Message> {
        self.all.iter()
    }

    /// The messages of a chat, oldest first.
    pub fn in_chat<'a>(&'a self, chat_id: &str) -> impl Iterator<Item = &'a Message> + 'a {
        self.by_chat
            .get(chat_id)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&at| &self.all[at])
    }
}
