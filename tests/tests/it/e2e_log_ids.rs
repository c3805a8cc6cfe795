//! The log id of every successful answer (issue 16, finding 13): the platform's support asks
//! for the `x-tt-logid` of a call, and every generated `<Op>Response` gives it with
//! `log_id()`: a JSON answer, an answer with no data (a delete), and each page of a listing.
//! Checked against the bundled fake, which sends a fresh log id with every answer and records
//! it.

use crate::support;

use futures_util::TryStreamExt;
use lark_openapi::im::v1::message::CreateMessageBody;
use lark_openapi::im::v1::{ContainerIdType, MsgType, ReceiveIdType};
use lark_tests::FakeLark;
use support::*;

const CHAT: &str = "oc_fake_1";

/// The log ids the fake sent for an endpoint's successful answers, in order.
fn sent_log_ids(fake: &FakeLark, id: &str) -> Vec<String> {
    fake.requests_for(id)
        .into_iter()
        .filter(|r| r.status == 200)
        .map(|r| r.log_id)
        .collect()
}

#[tokio::test]
async fn a_json_answer_an_empty_answer_and_each_page_carry_their_log_id() {
    let fake = fake().await;
    let client = client(&fake);
    let im = client.im().v1();

    // A JSON answer.
    let mut ids = Vec::new();
    for text in ["one", "two", "three"] {
        let body = CreateMessageBody::new(CHAT, MsgType::Text, format!(r#"{{"text":"{text}"}}"#));
        let sent = im
            .message()
            .create(ReceiveIdType::ChatId, body)
            .await
            .unwrap();
        let log_id = sent.log_id().expect("a log id").to_string();
        assert_eq!(
            Some(&log_id),
            sent_log_ids(&fake, "im.v1.message.create").last()
        );
        ids.push((sent.message_id.clone(), log_id));
    }
    assert_ne!(ids[0].1, ids[1].1, "one log id per answer");

    // Each page of a listing is a response with the log id of its own answer.
    let pages: Vec<_> = im
        .message()
        .list(CHAT, ContainerIdType::Chat)
        .page_size(2)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert!(pages.len() >= 2, "{} page(s)", pages.len());
    let got: Vec<String> = pages
        .iter()
        .map(|p| p.log_id().expect("a log id").to_string())
        .collect();
    assert_eq!(got, sent_log_ids(&fake, "im.v1.message.list"));

    // The BoxStream of `.pages()` is Unpin: `while let … try_next()` needs no pinning.
    let mut stream = im
        .message()
        .list(CHAT, ContainerIdType::Chat)
        .page_size(2)
        .pages();
    let mut n = 0;
    while let Some(page) = stream.try_next().await.unwrap() {
        assert!(page.log_id().is_some());
        n += 1;
    }
    assert_eq!(n, pages.len());

    // An answer without data (a delete): its response holds only the log id.
    let deleted = im.message().delete(&ids[0].0).await.unwrap();
    assert_eq!(
        deleted.log_id().map(str::to_string).as_ref(),
        sent_log_ids(&fake, "im.v1.message.delete").last()
    );
    assert!(deleted.log_id().is_some());
}
