//! `im.v1.message_reaction.create`, `list` and `delete`.

use serde_json::Value;

use super::{paging, Ctx, Reaction, Store};
use crate::fake::outcome::Outcome;

/// Whether an emoji type looks like one (`SMILE`, `THUMBSUP`, `Get`).
fn valid_emoji(emoji: &str) -> bool {
    !emoji.is_empty()
        && emoji.len() <= 64
        && emoji.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `im.v1.message_reaction.create`: `reaction_type.emoji_type` on a live message.
pub(super) fn create(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let message_id = ctx.call.path_param("message_id").to_owned();
    if let Err(outcome) = s.live_message(ctx, &message_id) {
        return outcome;
    }
    let emoji = ctx
        .call
        .field("reaction_type")
        .and_then(|r| r.get("emoji_type"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if !valid_emoji(&emoji) {
        return ctx.fail(
            &["invalid_reaction_type"],
            format!("body.reaction_type.emoji_type: {emoji:?} is not an emoji type"),
        );
    }
    let reaction_id = s.next_id("reaction_fake_");
    let time = s.tick();
    let reaction = Reaction {
        reaction_id,
        message_id,
        emoji,
        operator: ctx.sender(),
        time,
    };
    let out = s.reaction_json(&reaction);
    s.reactions.push(reaction);
    Outcome::Json(out)
}

/// `im.v1.message_reaction.list`: a message's reactions, oldest first, optionally of one
/// `reaction_type`. Pages of at most 50.
pub(super) fn list(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let message_id = ctx.call.path_param("message_id").to_owned();
    if let Err(outcome) = s.live_message(ctx, &message_id) {
        return outcome;
    }
    let only = ctx.call.query("reaction_type").filter(|t| !t.is_empty());
    let selected: Vec<&Reaction> = s
        .reactions
        .iter()
        .filter(|r| r.message_id == message_id)
        .filter(|r| only.is_none_or(|t| r.emoji == t))
        .collect();
    let listing = format!("message_reaction.list|{message_id}|{only:?}");
    let render = |r: &&Reaction| Value::Object(s.reaction_json(r));
    match paging::page(ctx, &listing, &selected, 50, render) {
        Ok(out) => Outcome::Json(out),
        Err(outcome) => outcome,
    }
}

/// `im.v1.message_reaction.delete`: removes one of the message's reactions and answers it.
pub(super) fn delete(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let message_id = ctx.call.path_param("message_id").to_owned();
    let reaction_id = ctx.call.path_param("reaction_id");
    if let Err(outcome) = s.live_message(ctx, &message_id) {
        return outcome;
    }
    let Some(at) = s
        .reactions
        .iter()
        .position(|r| r.reaction_id == reaction_id && r.message_id == message_id)
    else {
        return ctx.fail(
            &["reaction_not_in_message", "invalid_reaction_id"],
            format!("reaction {reaction_id} is not on message {message_id}"),
        );
    };
    let reaction = s.reactions.remove(at);
    Outcome::Json(s.reaction_json(&reaction))
}
