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
    assert_eq!(
        body_json(&out.body)["msg"],
        WebhookResponse::UNAUTHENTICATED
    );
    let out = webhook.handle(&HeaderMap::new(), &body).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body_json(&out.body)["msg"],
        WebhookResponse::UNAUTHENTICATED
    );
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
    assert!(text.contains("missing signature"), "{text}");
    assert!(!text.contains(EK) && !text.contains(VT), "{text}");
}

/// The review's finding 1: with an Encrypt Key, the handler decrypted unsigned bodies and
/// answered `bad padding` and `not JSON` differently, a padding oracle (22,481 requests
/// decrypted a captured event). Now nothing unsigned is answered by what its decryption
/// gave: every unsigned body but a genuine URL check gets one answer, byte for byte.
#[tokio::test]
async fn unsigned_bodies_get_one_answer_whatever_they_decrypt_to() {
    use base64::Engine as _;
    let (webhook, count) = secured();
    let b64 = |raw: &[u8]| base64::engine::general_purpose::STANDARD.encode(raw);
    let captured = crypto::encrypt(EK, &bytes(&ping("ev-captured")), [4; 16]);
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&captured)
        .unwrap();
    // The attacker's probes: the last block with every value of one IV byte (bad and good
    // padding alike), the whole captured event, and bodies that open to other kinds.
    let mut probes: Vec<Vec<u8>> = (0..=255u8)
        .map(|guess| {
            let mut tampered = raw[raw.len() - 32..].to_vec();
            tampered[15] ^= guess;
            bytes(&json!({"encrypt": b64(&tampered)}))
        })
        .collect();
    probes.push(bytes(&json!({"encrypt": captured})));
    probes.push(bytes(
        &json!({"encrypt": crypto::encrypt(EK, b"not json", [0; 16])}),
    ));
    probes.push(bytes(&json!({"encrypt": "@@@"})));
    probes.push(bytes(&json!({"encrypt": 5})));
    probes.push(b"{not json".to_vec());
    probes.push(bytes(&ping("ev-plain")));
    let check = json!({"type": "url_verification", "challenge": "c", "token": "wrong"});
    probes.push(bytes(
        &json!({"encrypt": crypto::encrypt(EK, &bytes(&check), [2; 16])}),
    ));
    let expected = webhook.handle(&HeaderMap::new(), &probes[0]).await;
    assert_eq!(expected.status, StatusCode::UNAUTHORIZED);
    for (n, probe) in probes.iter().enumerate() {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER_TIMESTAMP, HeaderValue::from(now_s()));
        let out = webhook.handle(&headers, probe).await;
        assert_eq!(out, expected, "probe {n} was answered differently");
    }
    settle().await;
    assert_eq!(count.load(Ordering::SeqCst), 0);
    // A genuine URL check still passes unsigned.
    let good = json!({"type": "url_verification", "challenge": "ok", "token": VT});
    let body = bytes(&json!({"encrypt": crypto::encrypt(EK, &bytes(&good), [6; 16])}));
    let out = webhook.handle(&HeaderMap::new(), &body).await;
    assert_eq!(body_json(&out.body), json!({"challenge": "ok"}));
}

/// The review's finding 1, second half: with an Encrypt Key, an old-format card callback
/// signed with SHA-1 over the verification token is refused unless the dispatcher accepts
/// such callbacks (and then it must be one, well signed).
#[tokio::test]
async fn a_token_signed_card_is_no_way_around_the_encrypt_key() {
    let card = bytes(&json!({"open_id": "ou", "token": "c-1", "action": {"tag": "button"}}));
    let ts = now_s().to_string();
    let mut headers = HeaderMap::new();
    headers.insert(HEADER_TIMESTAMP, HeaderValue::from_str(&ts).unwrap());
    headers.insert(HEADER_NONCE, HeaderValue::from_static("n"));
    let sig = crypto::legacy_card_signature(&ts, "n", VT, &card);
    headers.insert(HEADER_SIGNATURE, HeaderValue::from_str(&sig).unwrap());
    let (webhook, _) = secured();
    let out = webhook.handle(&headers, &card).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body_json(&out.body)["msg"],
        WebhookResponse::UNAUTHENTICATED
    );
    // A SHA-1 signature over the token authenticates a card callback and nothing else.
    let opted = WebhookHandler::new(
        Dispatcher::builder()
            .verification_token(VT)
            .encrypt_key(EK)
            .legacy_card_callbacks(true)
            .build(),
    );
    assert_eq!(opted.handle(&headers, &card).await.status, StatusCode::OK);
    let event = bytes(&ping("ev-sha1"));
    let sig = crypto::legacy_card_signature(&ts, "n", VT, &event);
    headers.insert(HEADER_SIGNATURE, HeaderValue::from_str(&sig).unwrap());
    let out = opted.handle(&headers, &event).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
}

/// The review's finding 2: with a verification token and no Encrypt Key, a card body with
/// `"type": null`, `7`, `"event": 1` or `null` was taken for an old-format card by the
/// dispatcher but not by the webhook, so no signature was checked. One classification
/// decides now: such a body is no card and fits no kind, and is refused unauthenticated.
#[tokio::test]
async fn forged_card_callbacks_are_refused_whatever_their_shape() {
    let webhook = WebhookHandler::new(
        Dispatcher::builder()
            .verification_token(VT)
            .legacy_card_callbacks(true)
            .on_unknown(|_raw: RawEvent| async { panic!("a forged card was delivered") })
            .build(),
    );
    let card = json!({"open_id": "ou", "token": "c-1", "action": {"tag": "button"}});
    let mut bodies = vec![card.clone()];
    for (key, value) in [
        ("type", Value::Null),
        ("type", json!(7)),
        ("event", json!(1)),
        ("event", Value::Null),
    ] {
        let mut body = card.clone();
        body[key] = value;
        bodies.push(body);
    }
    for body in bodies {
        let out = webhook.handle(&HeaderMap::new(), &bytes(&body)).await;
        assert_eq!(out.status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(
            body_json(&out.body)["msg"],
            WebhookResponse::UNAUTHENTICATED
        );
    }
}

/// The review's finding 15: a signed body whose plaintext is again `{"encrypt": …}` was
/// decrypted twice. A body is opened once; what is inside must be plaintext.
#[tokio::test]
async fn an_encrypted_body_inside_an_encrypted_body_is_refused() {
    let (webhook, count) = secured();
    let inner = bytes(&json!({"encrypt": crypto::encrypt(EK, &bytes(&ping("ev-in")), [1; 16])}));
    let body = bytes(&json!({"encrypt": crypto::encrypt(EK, &inner, [2; 16])}));
    let out = webhook.handle(&signed(now_s(), EK, &body), &body).await;
    assert_eq!(out.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body_json(&out.body)["msg"],
        "an encrypted body inside an encrypted body"
    );
    settle().await;
    assert_eq!(count.load(Ordering::SeqCst), 0);
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
    // Nothing configured to authenticate with: the reason is given.
    let no_key = WebhookHandler::new(Dispatcher::builder().build());
    let body = sealed(&ping("ev-8"));
    let out = no_key.handle(&HeaderMap::new(), &body).await;
    assert_eq!(out.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body_json(&out.body)["msg"],
        "encrypted body but no encrypt key configured"
    );
    // A verification token but no key: an encrypted body cannot be authenticated.
    let token_only = WebhookHandler::new(Dispatcher::builder().verification_token(VT).build());
    let out = token_only.handle(&HeaderMap::new(), &body).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body_json(&out.body)["msg"],
        WebhookResponse::UNAUTHENTICATED
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

/// The review's finding 6: handlers ran detached with no limit (100 events of 4 MiB with a
/// slow handler took a client from 12 to 425 MiB). A dispatcher runs at most its budget of
/// handlers; the webhook waits for a place, then answers 503 without recording the event,
/// so the platform's re-push of it is handled, once.
#[tokio::test]
async fn a_full_handler_budget_answers_503_and_loses_nothing() {
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let handled = Arc::new(Mutex::new(Vec::<String>::new()));
    let (r, h) = (Arc::clone(&release), Arc::clone(&handled));
    let webhook = WebhookHandler::new(
        Dispatcher::builder()
            .verification_token(VT)
            .encrypt_key(EK)
            .handler_limits(2, 1 << 20)
            .handler_wait(Duration::from_millis(50))
            .on::<Ping, _, _>(move |ctx: EventContext<Ping>| {
                let (r, h) = (Arc::clone(&r), Arc::clone(&h));
                async move {
                    r.acquire().await.unwrap().forget();
                    h.lock().unwrap().push(ctx.header.event_id);
                    Ok(())
                }
            })
            .build(),
    );
    let send = |id: &str| {
        let body = sealed(&ping(id));
        let webhook = webhook.clone();
        async move { webhook.handle(&signed(now_s(), EK, &body), &body).await }
    };
    assert_eq!(send("ev-a").await.status, StatusCode::OK);
    assert_eq!(send("ev-b").await.status, StatusCode::OK);
    assert_eq!(webhook.dispatcher().running_handlers(), 2);
    let busy = send("ev-c").await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body_json(&busy.body)["msg"]
        .as_str()
        .unwrap()
        .starts_with("busy"));
    release.add_permits(2);
    while webhook.dispatcher().running_handlers() > 0 {
        settle().await;
    }
    // The platform pushes ev-c again: it was not recorded, so it is handled now.
    assert_eq!(send("ev-c").await.status, StatusCode::OK);
    release.add_permits(1);
    while webhook.dispatcher().running_handlers() > 0 {
        settle().await;
    }
    let mut got = handled.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, ["ev-a", "ev-b", "ev-c"]);
}
