//! Unit tests of the webhook handler's steps.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Value};

use super::tests::{body_json, bytes, settle, v2, Click, Logs, Ping};
use super::*;

const EK: &str = "ek-0123456789-secret";
const VT: &str = "vt-0123456789-secret";

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Headers signing `body` with `key` at `ts`.
fn signed(ts: i64, key: &str, body: &[u8]) -> HeaderMap {
    let ts = ts.to_string();
    let mut h = HeaderMap::new();
    h.insert(HEADER_TIMESTAMP, HeaderValue::from_str(&ts).unwrap());
    h.insert(HEADER_NONCE, HeaderValue::from_static("nonce-1"));
    h.insert(
        HEADER_SIGNATURE,
        HeaderValue::from_str(&crypto::signature(&ts, "nonce-1", key, body)).unwrap(),
    );
    h
}

/// `value` sealed with `EK`.
fn sealed(value: &Value) -> Vec<u8> {
    bytes(&json!({"encrypt": crypto::encrypt(EK, &bytes(value), [5; 16])}))
}

/// A webhook with both secrets, counting `Ping`s.
fn secured() -> (WebhookHandler, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&count);
    let d = Dispatcher::builder()
        .verification_token(VT)
        .encrypt_key(EK)
        .on::<Ping, _, _>(move |_ctx: EventContext<Ping>| {
            let c = Arc::clone(&c);
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .on_callback::<Click, _, _>(|ctx: EventContext<Click>| async move {
            Ok(CallbackAnswer::toast(Toast::success(ctx.event.value))
                .with_card(json!({"header": {"title": "updated"}})))
        })
        .build();
    (WebhookHandler::new(d), count)
}

fn ping(id: &str) -> Value {
    v2(id, "test.ping_v1", VT, json!({"text": "hello"}))
}

#[tokio::test]
async fn challenge_plain() {
    let webhook = WebhookHandler::new(Dispatcher::builder().verification_token(VT).build());
    let body = bytes(&json!({"type": "url_verification", "challenge": "ch-1", "token": VT}));
    let out = webhook.handle(&HeaderMap::new(), &body).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(body_json(&out.body), json!({"challenge": "ch-1"}));
    let response = out.into_http();
    assert_eq!(
        response.headers()[http::header::CONTENT_TYPE],
        WebhookResponse::CONTENT_TYPE
    );
}

#[tokio::test]
async fn challenge_encrypted_needs_no_signature() {
    let (webhook, _) = secured();
    let body = sealed(&json!({"type": "url_verification", "challenge": "ch-2", "token": VT}));
    let out = webhook.handle(&HeaderMap::new(), &body).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(body_json(&out.body), json!({"challenge": "ch-2"}));
}

#[tokio::test]
async fn good_signature_over_encrypted_and_plain_bodies() {
    let (webhook, count) = secured();
    let body = sealed(&ping("ev-1"));
    let out = webhook.handle(&signed(now_s(), EK, &body), &body).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(&out.body[..], b"{}");
    // The exact bytes are signed: odd spacing is fine.
    let plain = format!(
        "{{ \"schema\" : \"2.0\", \"header\": {{\"event_id\": \"ev-2\", \"event_type\": \"test.ping_v1\", \"token\": \"{VT}\"}}, \"event\": {{\"text\": \"hi\"}} }}"
    );
    let out = webhook
        .handle(&signed(now_s(), EK, plain.as_bytes()), plain.as_bytes())
        .await;
    assert_eq!(out.status, StatusCode::OK);
    settle().await;
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn bad_or_missing_signature_is_a_401() {
    let (logs, _guard) = Logs::capture();
    let (webhook, count) = secured();
    let body = sealed(&ping("ev-3"));
    let out = webhook
        .handle(&signed(now_s(), "other key", &body), &body)
        .await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(&out.body)["msg"], "bad signature");
    let out = webhook.handle(&HeaderMap::new(), &body).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(&out.body)["msg"], "missing signature");
    let mut headers = signed(now_s(), EK, &body);
    headers.remove(HEADER_TIMESTAMP);
    let out = webhook.handle(&headers, &body).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    // Signed over other bytes (a re-serialization of the same JSON).
    let reserialized = bytes(&body_json(&body));
    let mut tampered = body.clone();
    tampered.push(b' ');
    assert_ne!(tampered, reserialized);
    let out = webhook.handle(&signed(now_s(), EK, &tampered), &body).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    settle().await;
    assert_eq!(count.load(Ordering::SeqCst), 0);
    let text = logs.text();
    assert!(text.contains("webhook request refused"), "{text}");
    assert!(text.contains("bad signature"), "{text}");
    assert!(!text.contains(EK) && !text.contains(VT), "{text}");
}

#[tokio::test]
async fn stale_timestamp_is_a_401() {
    let (webhook, count) = secured();
    let body = sealed(&ping("ev-4"));
    for ts in [now_s() - 600, now_s() + 600] {
        let out = webhook.handle(&signed(ts, EK, &body), &body).await;
        assert_eq!(out.status, StatusCode::UNAUTHORIZED);
        assert_eq!(body_json(&out.body)["msg"], "stale timestamp");
    }
    // Unsigned webhooks check the timestamp too, when it is sent.
    let plain = WebhookHandler::new(Dispatcher::builder().build());
    let body = bytes(&ping("ev-5"));
    let mut h = HeaderMap::new();
    h.insert(HEADER_TIMESTAMP, HeaderValue::from_static("12"));
    assert_eq!(
        plain.handle(&h, &body).await.status,
        StatusCode::UNAUTHORIZED
    );
    h.insert(HEADER_TIMESTAMP, HeaderValue::from_static("soon"));
    assert_eq!(
        plain.handle(&h, &body).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The check can be turned off.
    let lax = plain.clone().max_skew(Duration::ZERO);
    h.insert(HEADER_TIMESTAMP, HeaderValue::from_static("12"));
    assert_eq!(lax.handle(&h, &body).await.status, StatusCode::OK);
    // Within the window.
    let ok = sealed(&ping("ev-6"));
    let out = webhook.handle(&signed(now_s() - 100, EK, &ok), &ok).await;
    assert_eq!(out.status, StatusCode::OK);
    settle().await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn wrong_token_is_a_401() {
    let (webhook, count) = secured();
    let body = sealed(&v2("ev-7", "test.ping_v1", "wrong", json!({"text": "x"})));
    let out = webhook.handle(&signed(now_s(), EK, &body), &body).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    let challenge = sealed(&json!({"type": "url_verification", "challenge": "c", "token": "bad"}));
    let out = webhook.handle(&HeaderMap::new(), &challenge).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    settle().await;
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn oversize_body_is_a_413() {
    let (webhook, _) = secured();
    let webhook = webhook.max_body(100);
    let body = vec![b' '; 101];
    let out = webhook.handle(&HeaderMap::new(), &body).await;
    assert_eq!(out.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(webhook.max_body_limit(), 100);
}

#[tokio::test]
async fn bad_encrypted_bodies_are_a_400() {
    use base64::Engine as _;
    let (webhook, _) = secured();
    // Bad padding: the IV's last byte flipped so the last plaintext byte is 0.
    let sealed_text = crypto::encrypt(EK, b"{\"a\":1}", [1; 16]);
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(&sealed_text)
        .unwrap();
    raw[15] ^= 9; // 7 bytes of JSON: pad 9
    let bad = bytes(&json!({"encrypt": base64::engine::general_purpose::STANDARD.encode(&raw)}));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (bad, "encrypted body has bad padding (wrong encrypt key?)"),
        (
            bytes(&json!({"encrypt": "@@@"})),
            "encrypted body is not valid base64",
        ),
        (
            bytes(&json!({"encrypt": "AAAA"})),
            "encrypted body has a bad length",
        ),
        (bytes(&json!({"encrypt": 5})), "`encrypt` is not a string"),
        (
            bytes(&json!({"encrypt": crypto::encrypt(EK, b"not json", [0; 16])})),
            "decrypted body is not JSON",
        ),
        (b"{not json".to_vec(), "body is not JSON"),
    ];
    for (body, reason) in cases {
        let out = webhook.handle(&signed(now_s(), EK, &body), &body).await;
        assert_eq!(out.status, StatusCode::BAD_REQUEST, "{reason}");
        assert_eq!(body_json(&out.body)["msg"], reason);
    }
    let no_key = WebhookHandler::new(Dispatcher::builder().build());
    let body = sealed(&ping("ev-8"));
    let out = no_key.handle(&HeaderMap::new(), &body).await;
    assert_eq!(out.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body_json(&out.body)["msg"],
        "encrypted body but no encrypt key configured"
    );
}

#[tokio::test]
async fn unknown_type_is_acknowledged() {
    let (webhook, _) = secured();
    let body = sealed(&v2("ev-9", "im.chat.updated_v1", VT, json!({"x": 1})));
    let out = webhook.handle(&signed(now_s(), EK, &body), &body).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(&out.body[..], b"{}");
}

#[tokio::test]
async fn duplicates_are_handled_once() {
    let (webhook, count) = secured();
    let body = sealed(&ping("ev-10"));
    for _ in 0..3 {
        let out = webhook.handle(&signed(now_s(), EK, &body), &body).await;
        assert_eq!(out.status, StatusCode::OK);
    }
    // A re-push is a new request (new nonce, new ciphertext) with the same event id.
    let again = bytes(&json!({"encrypt": crypto::encrypt(EK, &bytes(&ping("ev-10")), [8; 16])}));
    let out = webhook.handle(&signed(now_s(), EK, &again), &again).await;
    assert_eq!(out.status, StatusCode::OK);
    settle().await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn slow_handler_does_not_delay_the_answer() {
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let release_rx = Arc::new(Mutex::new(Some(release_rx)));
    let done = Arc::new(AtomicUsize::new(0));
    let dn = Arc::clone(&done);
    let webhook = WebhookHandler::new(
        Dispatcher::builder()
            .on::<Ping, _, _>(move |_ctx: EventContext<Ping>| {
                let rx = release_rx.lock().unwrap().take();
                let dn = Arc::clone(&dn);
                async move {
                    if let Some(rx) = rx {
                        let _ = rx.await;
                    }
                    dn.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            })
            .build(),
    );
    let body = bytes(&ping("ev-11"));
    let out = tokio::time::timeout(
        Duration::from_secs(5),
        webhook.handle(&HeaderMap::new(), &body),
    )
    .await
    .expect("answered at once");
    assert_eq!(out.status, StatusCode::OK);
    settle().await;
    assert_eq!(done.load(Ordering::SeqCst), 0);
    release_tx.send(()).unwrap();
    settle().await;
    assert_eq!(done.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn handler_error_is_logged_not_lost() {
    let (logs, _guard) = Logs::capture();
    let webhook = WebhookHandler::new(
        Dispatcher::builder()
            .on::<Ping, _, _>(|_ctx: EventContext<Ping>| async move {
                Err::<(), HandlerError>("reply failed: 99991663".into())
            })
            .build(),
    );
    let body = bytes(&ping("ev-12"));
    let out = webhook.handle(&HeaderMap::new(), &body).await;
    assert_eq!(out.status, StatusCode::OK);
    settle().await;
    let text = logs.text();
    assert!(text.contains("ERROR"), "{text}");
    assert!(text.contains("event_id=ev-12"), "{text}");
    assert!(text.contains("event_type=test.ping_v1"), "{text}");
    assert!(text.contains("reply failed: 99991663"), "{text}");
}

#[tokio::test]
async fn callback_answer_with_toast_and_card() {
    let (webhook, _) = secured();
    let body = sealed(&v2(
        "ev-13",
        "card.action.trigger",
        VT,
        json!({"value": "Approved"}),
    ));
    let out = webhook.handle(&signed(now_s(), EK, &body), &body).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(
        body_json(&out.body),
        json!({
            "toast": {"type": "success", "content": "Approved"},
            "card": {"type": "raw", "data": {"header": {"title": "updated"}}},
        })
    );
}

#[tokio::test]
async fn arbitrary_bytes_never_panic() {
    let (webhook, _) = secured();
    let mut rng = fastrand::Rng::with_seed(7);
    for len in 0..200usize {
        let body: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        let out = webhook.handle(&signed(now_s(), EK, &body), &body).await;
        assert!(out.status.is_client_error(), "{}", out.status);
    }
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_router_serves_the_webhook() {
    let (webhook, _) = secured();
    let app = super::axum::router(webhook.max_body(1000));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { ::axum::serve(listener, app).await });
    let url = format!("http://{addr}{}", super::axum::PATH);
    let http = reqwest::Client::new();

    let body = sealed(&json!({"type": "url_verification", "challenge": "ax", "token": VT}));
    let response = http.post(&url).body(body).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        WebhookResponse::CONTENT_TYPE
    );
    let answer = body_json(&response.bytes().await.unwrap());
    assert_eq!(answer, json!({"challenge": "ax"}));

    let response = http.post(&url).body(vec![b' '; 5000]).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let response = http.post(&url).body(vec![b' '; 1001]).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 413);
    server.abort();
}
