//! Reading and changing messages: `im.v1.message.get`, `list`, `patch`, `update`,
//! `delete`, and `im.v1.pin.create`.

use serde_json::{json, Map, Value};

use super::{paging, Ctx, Message, Store};
use crate::fake::outcome::Outcome;

pub(super) use super::send::{create, forward, reply};

/// `im.v1.message.get`: `{items: [message]}`; a deleted message answers 230110.
pub(super) fn get(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let id = ctx.call.path_param("message_id");
    match s.live_message(ctx, id) {
        Ok(m) => {
            let mut out = Map::new();
            out.insert("items".to_owned(), json!([s.message_json(m)]));
            Outcome::Json(out)
        }
        Err(outcome) => outcome,
    }
}

/// `im.v1.message.list`: the messages of a chat (or thread), oldest first unless
/// `sort_type=ByCreateTimeDesc`, between `start_time` and `end_time` (Unix seconds);
/// deleted messages are listed with `deleted: true`. Pages of at most 50.
pub(super) fn list(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let call = ctx.call;
    let kind = call.query("container_id_type").unwrap_or_default();
    let container = call.query("container_id").unwrap_or_default();
    let in_container: Vec<_> = match kind {
        "chat" if s.chat(container).is_some() => s.messages.in_chat(container).collect(),
        "thread" => s
            .messages
            .iter()
            .filter(|m| m.thread_id.as_deref() == Some(container))
            .collect(),
        "chat" => vec![],
        _ => {
            return ctx.fail(
                &["container_id_invalid"],
                format!("query.container_id_type: {kind:?} is neither chat nor thread"),
            )
        }
    };
    if in_container.is_empty() && (kind == "thread" || s.chat(container).is_none()) {
        return ctx.fail(&["container_not_found"], format!("no {kind} {container}"));
    }
    let bound = |name: &str| -> Result<Option<i64>, Outcome> {
        match call.query(name).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => t.trim().parse::<i64>().map(Some).map_err(|_| {
                ctx.invalid(format!("query.{name}: {t:?} is not a Unix time in seconds"))
            }),
        }
    };
    let (start, end) = match (bound("start_time"), bound("end_time")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    let mut selected: Vec<_> = in_container
        .into_iter()
        .filter(|m| start.is_none_or(|t| m.create_time / 1000 >= t))
        .filter(|m| end.is_none_or(|t| m.create_time / 1000 <= t))
        .collect();
    let sort = call.query("sort_type").unwrap_or("ByCreateTimeAsc");
    if sort == "ByCreateTimeDesc" {
        selected.reverse();
    }
    let listing = format!("message.list|{kind}|{container}|{sort}|{start:?}|{end:?}");
    let render = |m: &&Message| Value::Object(s.message_json(m));
    match paging::page(ctx, &listing, &selected, 50, render) {
        Ok(out) => Outcome::Json(out),
        Err(outcome) => outcome,
    }
}

/// `im.v1.message.patch`: a card's content; only `interactive` messages.
pub(super) fn patch(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let id = ctx.call.path_param("message_id").to_owned();
    let m = match s.live_message(ctx, &id) {
        Ok(m) => m.clone(),
        Err(outcome) => return outcome,
    };
    if m.msg_type != "interactive" && !m.example {
        return ctx.invalid(format!(
            "message {id} is {}, only interactive (card) messages can be patched",
            m.msg_type
        ));
    }
    let content = ctx.call.text("content").unwrap_or_default();
    if let Err(outcome) = s.check_content(ctx, "interactive", &content) {
        return outcome;
    }
    s.edit(&id, None, content);
    Outcome::Json(Map::new())
}

/// `im.v1.message.update`: a text or post message's type and content.
pub(super) fn update(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let id = ctx.call.path_param("message_id").to_owned();
    let m = match s.live_message(ctx, &id) {
        Ok(m) => m.clone(),
        Err(outcome) => return outcome,
    };
    let editable = |t: &str| t == "text" || t == "post";
    if !editable(&m.msg_type) && !m.example {
        return ctx.fail(
            &["unsupported_message_type"],
            format!(
                "message {id} is {}, only text and post messages can be edited",
                m.msg_type
            ),
        );
    }
    let msg_type = ctx.call.text("msg_type").unwrap_or_default();
    if !editable(&msg_type) {
        return ctx.invalid(format!(
            "body.msg_type: {msg_type:?}: only text and post messages can be edited"
        ));
    }
    let content = ctx.call.text("content").unwrap_or_default();
    if let Err(outcome) = s.check_content(ctx, &msg_type, &content) {
        return outcome;
    }
    s.edit(&id, Some(msg_type), content);
    s.answer(&id)
}

/// `im.v1.message.delete`: marks it deleted; afterwards it answers 230110.
pub(super) fn delete(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let id = ctx.call.path_param("message_id").to_owned();
    if let Err(outcome) = s.live_message(ctx, &id) {
        return outcome;
    }
    let time = s.tick();
    if let Some(m) = s.message_mut(&id) {
        m.deleted = true;
        m.update_time = time;
    }
    Outcome::Json(Map::new())
}

/// `im.v1.pin.create`: pins a message (again: the first pin).
pub(super) fn pin(s: &mut Store, ctx: &Ctx<'_>) -> Outcome {
    let id = ctx.call.text("message_id").unwrap_or_default();
    let chat_id = match s.message(&id) {
        None => return ctx.invalid(format!("body.message_id: message {id} does not exist")),
        Some(m) if m.deleted => {
            return ctx.fail(
                &["message_recalled", "message_deleted"],
                format!("message {id} was deleted"),
            )
        }
        Some(m) => m.chat_id.clone(),
    };
    if !s.pins.iter().any(|(m, _, _)| *m == id) {
        let time = s.tick();
        s.pins.push((id.clone(), ctx.sender(), time));
    }
    let Some((_, by, time)) = s.pins.iter().find(|(m, _, _)| *m == id).cloned() else {
        return ctx.invalid(format!("body.message_id: message {id} cannot be pinned"));
    };
    let operator = s.operator_json(&by);
    let mut out = Map::new();
    out.insert(
        "pin".to_owned(),
        json!({
            "message_id": id,
            "chat_id": chat_id,
            "operator_id": operator["operator_id"],
            "operator_id_type": if by == super::Sender::App { "app_id" } else { "open_id" },
            "create_time": time.to_string(),
        }),
    );
    Outcome::Json(out)
}

impl Store {
    fn edit(&mut self, id: &str, msg_type: Option<String>, content: String) {
        let time = self.tick();
        if let Some(m) = self.message_mut(id) {
            if let Some(t) = msg_type {
                m.msg_type = t;
            }
            m.content = content;
            m.updated = true;
            m.update_time = time;
        }
    }
}
