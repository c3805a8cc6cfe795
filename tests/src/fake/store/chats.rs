//! `im.v1.chat.list` and `im.v1.chat_members.get`.

use serde_json::json;

use super::{paging, Ctx, Sender, Store};
use crate::fake::outcome::Outcome;

/// `im.v1.chat.list`: the group chats the caller is in (the bot is in every chat; a user
/// in those listing them as a member), by creation time or, with
/// `sort_type=ByActiveTimeDesc`, latest message first. Pages of at most 100.
pub(super) fn list(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let me = ctx.sender();
    let mut chats: Vec<_> = s
        .chats
        .iter()
        .filter(|c| !c.p2p)
        .filter(|c| match &me {
            Sender::App => true,
            Sender::User(id) => c.members.contains(id),
        })
        .collect();
    let sort = ctx.call.query("sort_type").unwrap_or("ByCreateTimeAsc");
    if sort == "ByActiveTimeDesc" {
        chats.sort_by_key(|c| (std::cmp::Reverse(c.last_active), c.create_time));
    } else {
        chats.sort_by_key(|c| c.create_time);
    }
    let listing = format!("chat.list|{me:?}|{sort}");
    match paging::page(ctx, &listing, &chats, 100, |c| s.chat_json(c)) {
        Ok(out) => Outcome::Json(out),
        Err(outcome) => outcome,
    }
}

/// `im.v1.chat_members.get`: the users of a chat, in the order they joined, with
/// `member_total`. Pages of at most 100.
pub(super) fn members(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let chat_id = ctx.call.path_param("chat_id");
    let Some(chat) = s.chat(chat_id) else {
        return ctx.fail(
            &["invalid_chat_id", "chat_not_found"],
            format!("no chat {chat_id}"),
        );
    };
    let total = chat.members.len();
    let listing = format!("chat_members.get|{chat_id}");
    match paging::page(ctx, &listing, &chat.members, 100, |m| s.member_json(m)) {
        Ok(mut out) => {
            out.insert("member_total".to_owned(), json!(total));
            Outcome::Json(out)
        }
        Err(outcome) => outcome,
    }
}
