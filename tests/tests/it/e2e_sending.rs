//! Sending safely: a message send carries one deduplication key (`uuid`) per call, the same
//! on every retry (5xx, 429, the per-chat limit 230020), so the platform delivers it once.

use crate::support;

use lark_openapi::im::v1::message::CreateMessageBody;
use lark_openapi::im::v1::{ErrorCode, MsgType, ReceiveIdType};
use lark_openapi::{Client, Error};
use support::hostile::*;
use support::*;

const CREATED: &str = r#"{"code":0,"msg":"success","data":{"message_id":"om_sent_1","msg_type":"text","create_time":"1700000000000","chat_id":"oc_1"}}"#;

/// Answers the n-th send with `answers[n]` (the last one after that).
async fn sender(answers: Vec<(u16, &'static str)>) -> Hostile {
    let count = std::sync::atomic::AtomicUsize::new(0);
    Hostile::serve(move |seen, _| {
        if is_token_request(seen) {
            return token_answer("t-send", "7200");
        }
        let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (status, body) = answers[n.min(answers.len() - 1)];
        let mut headers = vec![("content-type", "application/json")];
        if status == 429 {
            headers.push(("x-ogw-ratelimit-reset", "0"));
        }
        respond(status, &headers, body)
    })
    .await
}

fn client_of(base: &str) -> Client {
    Client::builder("cli_send", "send-test-app-secret")
        .base_url(base)
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

fn uuids(server: &Hostile) -> Vec<String> {
    server
        .seen()
        .iter()
        .filter(|s| !is_token_request(s))
        .map(|s| {
            let body: serde_json::Value = serde_json::from_slice(&s.body).unwrap();
            body["uuid"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

fn text(receive_id: &str) -> CreateMessageBody {
    CreateMessageBody::new(receive_id, MsgType::Text, r#"{"text":"hi"}"#)
}

#[tokio::test]
async fn every_retry_of_a_send_carries_the_same_generated_uuid() {
    let server = sender(vec![
        (503, r#"{"code":503,"msg":"busy"}"#),
        (
            429,
            r#"{"code":99991400,"msg":"request trigger frequency limit"}"#,
        ),
        (200, CREATED),
    ])
    .await;
    let client = client_of(&server.base);
    let sent = client
        .im()
        .v1()
        .message()
        .create(ReceiveIdType::ChatId, text("oc_1"))
        .await
        .unwrap();
    assert_eq!(sent.message_id, "om_sent_1");
    let keys = uuids(&server);
    assert_eq!(keys.len(), 3, "two retries");
    assert!(
        keys[0].len() == 36 && keys.iter().all(|k| k == &keys[0]),
        "{keys:?}"
    );

    // The next call gets a key of its own.
    let server2 = sender(vec![(200, CREATED)]).await;
    client_of(&server2.base)
        .im()
        .v1()
        .message()
        .create(ReceiveIdType::ChatId, text("oc_1"))
        .await
        .unwrap();
    assert_ne!(uuids(&server2)[0], keys[0]);
}

#[tokio::test]
async fn the_per_chat_send_limit_is_retried_with_the_same_uuid() {
    let server = sender(vec![
        (
            400,
            r#"{"code":230020,"msg":"This operation triggers the frequency limit."}"#,
        ),
        (200, CREATED),
    ])
    .await;
    client_of(&server.base)
        .im()
        .v1()
        .message()
        .create(ReceiveIdType::ChatId, text("oc_1"))
        .await
        .unwrap();
    let keys = uuids(&server);
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1]);
}

#[tokio::test]
async fn a_callers_uuid_is_kept_and_a_final_refusal_is_typed() {
    let server = sender(vec![(
        400,
        r#"{"code":230020,"msg":"This operation triggers the frequency limit."}"#,
    )])
    .await;
    let err = client_of(&server.base)
        .im()
        .v1()
        .message()
        .create(ReceiveIdType::ChatId, text("oc_1").uuid("my-key-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Service(e) if e.code() == Some(ErrorCode::FrequencyLimited)),
        "{err:?}"
    );
    assert_eq!(
        uuids(&server),
        ["my-key-1", "my-key-1", "my-key-1"],
        "3 attempts"
    );
}
