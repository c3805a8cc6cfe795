//! The store's message flows over HTTP: create, get, list page by page, reply, react,
//! delete; deduplication; patch and update; forward; pins; chats and members.

use reqwest::Method;
use serde_json::{json, Value};

use super::fake;
use super::http::Api;
use crate::fake::Fault;

const MESSAGES: &str = "/open-apis/im/v1/messages";

async fn send(api: &Api, receive: (&str, &str), text: &str, uuid: Option<&str>) -> Value {
    let mut body = json!({ "receive_id": receive.1, "msg_type": "text", "content": json!({ "text": text }).to_string() });
    if let Some(u) = uuid {
        body["uuid"] = json!(u);
    }
    let path = format!("{MESSAGES}?receive_id_type={}", receive.0);
    api.json(Method::POST, &path, &body).await.data()
}

/// Every item of a listing, following page tokens.
async fn list_all(api: &Api, path: &str) -> (Vec<Value>, usize) {
    let (mut items, mut pages, mut token) = (Vec::new(), 0, String::new());
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = if token.is_empty() {
            path.to_owned()
        } else {
            format!("{path}{sep}page_token={token}")
        };
        let data = api.get(&url).await.data();
        pages += 1;
        items.extend(data["items"].as_array().cloned().unwrap_or_default());
        token = data["page_token"].as_str().unwrap_or_default().to_owned();
        if data["has_more"] != true {
            return (items, pages);
        }
    }
}

#[tokio::test]
async fn create_get_list_reply_react_delete() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    let sent = send(&api, ("chat_id", "oc_fake_2"), "hello", None).await;
    let id = sent["message_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("om_fake_"), "{id}");
    assert_eq!(
        (sent["chat_id"].clone(), sent["msg_type"].clone()),
        (json!("oc_fake_2"), json!("text"))
    );
    assert_eq!(
        sent["sender"],
        json!({ "id": "cli_fake_app", "id_type": "app_id", "sender_type": "app", "tenant_key": "fake_tenant_key" })
    );

    let got = api.get(&format!("{MESSAGES}/{id}")).await.data();
    assert_eq!(
        got["items"][0]["body"]["content"],
        json!({ "text": "hello" }).to_string()
    );

    // Five seeded messages and ours, oldest first, two per page.
    let (items, pages) = list_all(
        &api,
        &format!("{MESSAGES}?container_id_type=chat&container_id=oc_fake_2&page_size=2"),
    )
    .await;
    assert_eq!((items.len(), pages), (6, 3));
    assert_eq!(items.last().unwrap()["message_id"], json!(id));
    let times: Vec<i64> = items
        .iter()
        .map(|m| m["create_time"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    let desc = api
        .get(&format!(
            "{MESSAGES}?container_id_type=chat&container_id=oc_fake_2&sort_type=ByCreateTimeDesc"
        ))
        .await
        .data();
    assert_eq!(desc["items"][0]["message_id"], json!(id));
    let late = times[5] / 1000;
    let filtered = api
        .get(&format!(
            "{MESSAGES}?container_id_type=chat&container_id=oc_fake_2&start_time={late}"
        ))
        .await
        .data();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);

    let body = json!({ "msg_type": "text", "content": "{\"text\":\"re\"}" });
    let reply = api
        .json(Method::POST, &format!("{MESSAGES}/{id}/reply"), &body)
        .await
        .data();
    assert_eq!(
        (
            reply["parent_id"].clone(),
            reply["root_id"].clone(),
            reply["chat_id"].clone()
        ),
        (json!(id), json!(id), json!("oc_fake_2"))
    );

    let reactions = format!("{MESSAGES}/{id}/reactions");
    let reaction = api
        .json(
            Method::POST,
            &reactions,
            &json!({ "reaction_type": { "emoji_type": "SMILE" } }),
        )
        .await
        .data();
    assert_eq!(reaction["reaction_type"], json!({ "emoji_type": "SMILE" }));
    assert_eq!(reaction["operator"]["operator_type"], "app");
    let listed = api.get(&reactions).await.data();
    assert_eq!(listed["items"][0]["reaction_id"], reaction["reaction_id"]);
    assert_eq!(
        api.get(&format!("{reactions}?reaction_type=LAUGH"))
            .await
            .data()["items"],
        json!([])
    );
    let bad = api
        .json(
            Method::POST,
            &reactions,
            &json!({ "reaction_type": { "emoji_type": "no such!" } }),
        )
        .await;
    assert_eq!(bad.code(), 231001);

    assert_eq!(
        api.call(Method::DELETE, &format!("{MESSAGES}/{id}"))
            .await
            .json(),
        json!({ "code": 0, "msg": "success" })
    );
    let gone = api.get(&format!("{MESSAGES}/{id}")).await;
    assert_eq!((gone.status.as_u16(), gone.code()), (400, 230110));
    assert_eq!(
        gone.msg(),
        "Action unavailable as the message has been deleted."
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("{MESSAGES}/{id}"))
            .await
            .code(),
        230110
    );
    let patch = api
        .json(
            Method::PATCH,
            &format!("{MESSAGES}/{id}"),
            &json!({ "content": "{}" }),
        )
        .await;
    assert_eq!(patch.code(), 230110);
    assert_eq!(
        api.json(
            Method::POST,
            &reactions,
            &json!({ "reaction_type": { "emoji_type": "SMILE" } })
        )
        .await
        .code(),
        230110
    );
    // Listed as recalled.
    let (items, _) = list_all(
        &api,
        &format!("{MESSAGES}?container_id_type=chat&container_id=oc_fake_2"),
    )
    .await;
    let listed = items.iter().find(|m| m["message_id"] == json!(id)).unwrap();
    assert_eq!(listed["deleted"], true);
}

#[tokio::test]
async fn receivers_uuids_and_unknown_ids() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    let first = send(&api, ("open_id", "ou_new_user"), "a", Some("uuid-1")).await;
    let again = send(&api, ("open_id", "ou_new_user"), "a", Some("uuid-1")).await;
    assert_eq!(first, again);
    let other = send(&api, ("open_id", "ou_new_user"), "b", Some("uuid-2")).await;
    assert_ne!(other["message_id"], first["message_id"]);
    assert_eq!(first["chat_id"], other["chat_id"]);
    assert!(first["chat_id"]
        .as_str()
        .unwrap()
        .starts_with("oc_fake_p2p_"));

    let path = format!("{MESSAGES}?receive_id_type=chat_id");
    let body =
        json!({ "receive_id": "oc_nope", "msg_type": "text", "content": "{\"text\":\"x\"}" });
    assert_eq!(api.json(Method::POST, &path, &body).await.code(), 230034);
    let body = json!({ "receive_id": "oc_fake_1", "msg_type": "text", "content": "not json" });
    let bad = api.json(Method::POST, &path, &body).await;
    assert_eq!(bad.code(), 230001);
    assert!(bad.msg().contains("body.content"), "{}", bad.msg());
    let body = json!({ "receive_id": "oc_fake_1", "msg_type": "image", "content": "{\"image_key\":\"img_unknown\"}" });
    assert_eq!(api.json(Method::POST, &path, &body).await.code(), 230017);

    assert_eq!(
        api.get(&format!("{MESSAGES}/om_unknown")).await.code(),
        230001
    );
    let list = api
        .get(&format!(
            "{MESSAGES}?container_id_type=chat&container_id=oc_nope"
        ))
        .await;
    assert_eq!(list.code(), 231204);
    let token = api
        .get(&format!(
            "{MESSAGES}?container_id_type=chat&container_id=oc_fake_1&page_token=forged"
        ))
        .await;
    assert_eq!(token.code(), 230001);

    // As a user: the sender is the user.
    let user = Api::with_token(&fake, Some("u-x".into()));
    let sent = send(&user, ("chat_id", "oc_fake_3"), "hi", None).await;
    assert_eq!(sent["sender"]["id"], "ou_fake_1");
}

#[tokio::test]
async fn patch_update_forward_and_pin() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    let text = send(&api, ("chat_id", "oc_fake_1"), "v1", None).await["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let card = json!({ "receive_id": "oc_fake_1", "msg_type": "interactive", "content": "{\"elements\":[]}" });
    let card = api
        .json(
            Method::POST,
            &format!("{MESSAGES}?receive_id_type=chat_id"),
            &card,
        )
        .await
        .data();
    let card = card["message_id"].as_str().unwrap().to_owned();

    let patch = |id: &str| format!("{MESSAGES}/{id}");
    assert_eq!(
        api.json(
            Method::PATCH,
            &patch(&card),
            &json!({ "content": "{\"elements\":[1]}" })
        )
        .await
        .code(),
        0
    );
    assert_eq!(
        api.json(Method::PATCH, &patch(&text), &json!({ "content": "{}" }))
            .await
            .code(),
        230001
    );
    let body = json!({ "msg_type": "text", "content": "{\"text\":\"v2\"}" });
    let updated = api.json(Method::PUT, &patch(&text), &body).await.data();
    assert_eq!(
        (
            updated["updated"].clone(),
            updated["body"]["content"].clone()
        ),
        (json!(true), json!("{\"text\":\"v2\"}"))
    );
    assert_eq!(
        api.json(Method::PUT, &patch(&card), &body).await.code(),
        230054
    );

    let forwarded = api
        .json(
            Method::POST,
            &format!("{MESSAGES}/{text}/forward?receive_id_type=chat_id"),
            &json!({ "receive_id": "oc_fake_3" }),
        )
        .await
        .data();
    assert_eq!(
        (forwarded["chat_id"].clone(), forwarded["body"].clone()),
        (json!("oc_fake_3"), updated["body"].clone())
    );

    let pin = api
        .json(
            Method::POST,
            "/open-apis/im/v1/pins",
            &json!({ "message_id": text }),
        )
        .await
        .data();
    assert_eq!(
        (
            pin["pin"]["message_id"].clone(),
            pin["pin"]["chat_id"].clone()
        ),
        (json!(text), json!("oc_fake_1"))
    );
    assert_eq!(
        api.json(
            Method::POST,
            "/open-apis/im/v1/pins",
            &json!({ "message_id": "om_nope" })
        )
        .await
        .code(),
        230001
    );
}

#[tokio::test]
async fn chats_members_and_reactions_page() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    let (chats, pages) = list_all(&api, "/open-apis/im/v1/chats?page_size=2").await;
    assert!(pages >= 2 && chats.len() >= 3, "{pages} {chats:?}");
    assert_eq!(chats[0]["chat_id"], "oc_fake_1");
    assert!(chats.iter().all(|c| c["chat_mode"] == "group"));
    let members = api
        .get("/open-apis/im/v1/chats/oc_fake_1/members?page_size=2")
        .await
        .data();
    assert_eq!(
        (members["member_total"].clone(), members["has_more"].clone()),
        (json!(3), json!(true))
    );
    assert_eq!(
        api.get("/open-apis/im/v1/chats/oc_nope/members")
            .await
            .code(),
        232006
    );
    assert_eq!(
        api.get("/open-apis/im/v1/chats?page_size=500").await.code(),
        232001
    );

    // A cap on the page size applies whatever page_size asks.
    fake.set_page_size_cap("im.v1.chat_members.get", Some(1));
    let (all, pages) = list_all(
        &api,
        "/open-apis/im/v1/chats/oc_fake_1/members?page_size=50",
    )
    .await;
    assert_eq!((all.len(), pages), (3, 3));
    let served = fake
        .requests_for("im.v1.chat_members.get")
        .last()
        .unwrap()
        .page_items
        .clone()
        .unwrap();
    assert_eq!(served, vec![all[2].clone()]);
}

#[tokio::test]
async fn a_cut_answer_changes_nothing_and_reset_restores_the_seed() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    let id = "om_dc13264520392913993dd051dba21dcf";
    fake.push_endpoint_faults("im.v1.message.delete", [Fault::CutOff { after_bytes: 3 }]);
    let answer = reqwest::Client::new()
        .delete(format!("{}{MESSAGES}/{id}", fake.base_url()))
        .bearer_auth(api.token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert!(answer.bytes().await.is_err());
    assert_eq!(api.get(&format!("{MESSAGES}/{id}")).await.code(), 0);
    assert_eq!(
        api.call(Method::DELETE, &format!("{MESSAGES}/{id}"))
            .await
            .code(),
        0
    );
    assert_eq!(api.get(&format!("{MESSAGES}/{id}")).await.code(), 230110);
    fake.reset_store();
    assert_eq!(api.get(&format!("{MESSAGES}/{id}")).await.code(), 0);
    let created = send(&api, ("chat_id", "oc_fake_1"), "x", None).await;
    fake.reset_store();
    assert_eq!(
        send(&api, ("chat_id", "oc_fake_1"), "x", None).await,
        created
    );
}
