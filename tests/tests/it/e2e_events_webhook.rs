//! Events by webhook, over loopback HTTP: the fake POSTs (signed, encrypted, tampered with)
//! to the SDK's `WebhookHandler` served with its axum integration.
//!
//! Every wait is on a channel or a notification; the timeouts ([`TIMEOUT`]) only guard
//! against a hang.

use crate::support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aes::cipher::{block_padding::NoPadding, BlockEncryptMut, KeyIvInit};
use base64::Engine as _;
use lark_openapi::auth::v3::events::AppTicket;
use lark_openapi::auth::{AppType, TokenErrorKind};
use lark_openapi::card::v1::events::ActionTrigger;
use lark_openapi::events::{
    crypto, CallbackAnswer, Channel, Dispatcher, DispatcherBuilder, EventContext, RawEvent, Toast,
    WebhookHandler,
};
use lark_openapi::im::v1::events::{ChatDisbandedV1, MessageReceiveV1};
use lark_openapi::Error;
use lark_tests::fake::events::crypto as fake_crypto;
use lark_tests::harness::events::{
    inbox, push, Inbox, Outbox, WebhookServer, ENCRYPT_KEY, TIMEOUT,
};
use lark_tests::harness::logs::CapturedLogs;
use lark_tests::{FakeAppType, FakeConfig, FakeLark, PushResult, Sign, WebhookPush};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, Notify};

const RECEIVE: &str = "im.message.receive_v1";

/// A fake whose app has [`ENCRYPT_KEY`].
async fn fake_with_key() -> FakeLark {
    FakeLark::start(FakeConfig {
        encrypt_key: Some(ENCRYPT_KEY.to_owned()),
        ..FakeConfig::default()
    })
    .await
    .expect("fake starts")
}

/// The fake's app's dispatcher: its verification token and Encrypt Key, a
/// `MessageReceiveV1` handler recording into the first inbox and `on_unknown` into the
/// second.
fn receiving(fake: &FakeLark) -> (DispatcherBuilder, Inbox, Inbox) {
    let (out, handled) = inbox(RECEIVE);
    let (unknown_out, unknown) = inbox("on_unknown");
    let mut builder = Dispatcher::builder()
        .verification_token(fake.config().verification_token.clone())
        .on::<MessageReceiveV1, _, _>(move |ctx: EventContext<MessageReceiveV1>| {
            let out = out.clone();
            async move {
                let event = serde_json::to_value(&ctx.event)?;
                out.record(ctx.header, ctx.channel, event);
                Ok(())
            }
        })
        .on_unknown(record_raw(unknown_out));
    if let Some(key) = &fake.config().encrypt_key {
        builder = builder.encrypt_key(key.clone());
    }
    (builder, handled, unknown)
}

fn record_raw(
    out: Outbox,
) -> impl Fn(RawEvent) -> std::future::Ready<Result<(), lark_openapi::events::HandlerError>>
       + Send
       + Sync
       + 'static {
    move |raw: RawEvent| {
        out.record(raw.header, raw.channel, raw.event);
        std::future::ready(Ok(()))
    }
}

/// Serves the dispatcher with the SDK's axum router.
async fn serve(builder: DispatcherBuilder) -> WebhookServer {
    WebhookServer::serve(WebhookHandler::new(builder.build())).await
}

fn how(encrypt: bool, sign: Sign, timestamp_offset_s: i64) -> WebhookPush {
    WebhookPush {
        encrypt,
        sign,
        timestamp_offset_s,
    }
}

fn signed_plain() -> WebhookPush {
    how(false, Sign::Good, 0)
}

async fn push_bytes(fake: &FakeLark, url: &str, body: &[u8], push: WebhookPush) -> PushResult {
    tokio::time::timeout(TIMEOUT, fake.push_webhook_bytes(url, body, push))
        .await
        .expect("the webhook answers in time")
        .expect("the POST is made")
}

fn assert_status(result: &PushResult, status: u16, what: &str) {
    assert_eq!(
        result.status, status,
        "{what}: status (body {:?})",
        result.body
    );
}

/// A refusal: `status` and a `{"msg": …}` body naming the reason.
fn assert_refused(result: &PushResult, status: u16, reason: &str, what: &str) {
    assert_status(result, status, what);
    let msg = result
        .json
        .as_ref()
        .and_then(|v| v.get("msg"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{what}: no {{\"msg\"}} in the refusal: {:?}", result.body));
    assert!(
        msg.contains(reason),
        "{what}: the reason {msg:?} does not say {reason:?}"
    );
}

/// Pushes a fresh event and waits for its handler call, which must be the next one:
/// every refused or duplicate push before it would have been handled first.
async fn assert_next_is_fresh(fake: &FakeLark, url: &str, handled: &mut Inbox, after: &str) {
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let result = push(fake, url, &env, signed_plain()).await;
    assert_status(&result, 200, "a fresh event");
    let got = handled.next().await;
    assert_eq!(
        got.header.event_id, id,
        "{after}: a handler call came before the fresh event's"
    );
    handled.assert_empty(after);
}

// ---------------------------------------------------------------------------------------
// The URL check

#[tokio::test]
async fn url_verification_plain_and_encrypted_echo_the_challenge() {
    let fake = fake_with_key().await;
    let (builder, mut handled, mut unknown) = receiving(&fake);
    let server = serve(builder).await;
    for encrypt in [false, true] {
        let (challenge, result) =
            tokio::time::timeout(TIMEOUT, fake.push_url_verification(&server.url(), encrypt))
                .await
                .expect("answered in time")
                .expect("POST made");
        let what = format!("url_verification (encrypted: {encrypt})");
        assert_status(&result, 200, &what);
        assert_eq!(
            result.json,
            Some(json!({ "challenge": challenge })),
            "{what}: the challenge echoed"
        );
    }
    handled.assert_empty("a URL check is not an event");
    unknown.assert_empty("a URL check is not an event");

    // Without an Encrypt Key the plain check works as well.
    let fake = FakeLark::start(FakeConfig::default()).await.unwrap();
    let (builder, _, _) = receiving(&fake);
    let server = serve(builder).await;
    let (challenge, result) = fake
        .push_url_verification(&server.url(), false)
        .await
        .unwrap();
    assert_status(&result, 200, "url_verification without an Encrypt Key");
    assert_eq!(result.json, Some(json!({ "challenge": challenge })));
}

// ---------------------------------------------------------------------------------------
// Signatures, timestamps, tokens

#[tokio::test]
async fn signatures_good_bad_and_missing() {
    let fake = fake_with_key().await;
    let (builder, mut handled, _unknown) = receiving(&fake);
    let server = serve(builder).await;
    let url = server.url();

    for encrypt in [false, true] {
        let (id, env) = fake.event_envelope(RECEIVE, None);
        let good = push(&fake, &url, &env, how(encrypt, Sign::Good, 0)).await;
        assert_status(
            &good,
            200,
            &format!("good signature (encrypted: {encrypt})"),
        );
        assert_eq!(handled.next().await.header.event_id, id);

        let (refused_id, env) = fake.event_envelope(RECEIVE, None);
        let bad = push(&fake, &url, &env, how(encrypt, Sign::Bad, 0)).await;
        assert_refused(
            &bad,
            401,
            "signature",
            &format!("bad signature (encrypted: {encrypt})"),
        );
        let missing = push(&fake, &url, &env, how(encrypt, Sign::Missing, 0)).await;
        assert_refused(
            &missing,
            401,
            "signature",
            &format!("missing signature (encrypted: {encrypt})"),
        );
        // A refused push does not count as seen: the genuine delivery is handled.
        let good = push(&fake, &url, &env, how(encrypt, Sign::Good, 0)).await;
        assert_status(&good, 200, "the genuine delivery after forged ones");
        assert_eq!(
            handled.next().await.header.event_id,
            refused_id,
            "a refused push poisoned the deduplication"
        );
    }
    assert_next_is_fresh(&fake, &url, &mut handled, "refused pushes are not handled").await;
}

#[tokio::test]
async fn the_signature_covers_the_raw_bytes() {
    // A body whose bytes are not serde_json's layout (spaces, key order): signed over what
    // was sent, so a re-serializing check would fail.
    let fake = fake_with_key().await;
    let (builder, mut handled, _unknown) = receiving(&fake);
    let server = serve(builder).await;
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let pretty = serde_json::to_vec_pretty(&env).unwrap();
    let result = push_bytes(&fake, &server.url(), &pretty, signed_plain()).await;
    assert_status(&result, 200, "a pretty-printed body, signed as sent");
    assert_eq!(handled.next().await.header.event_id, id);
}

#[tokio::test]
async fn stale_and_future_timestamps_are_refused() {
    let fake = fake_with_key().await;
    let (builder, mut handled, _unknown) = receiving(&fake);
    let server = serve(builder).await;
    let url = server.url();
    for offset in [-600, 600, -3600 * 24] {
        let (_, env) = fake.event_envelope(RECEIVE, None);
        let result = push(&fake, &url, &env, how(false, Sign::Good, offset)).await;
        assert_refused(
            &result,
            401,
            "timestamp",
            &format!("timestamp off by {offset} s"),
        );
    }
    // Within the 5 minutes allowed.
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let result = push(&fake, &url, &env, how(false, Sign::Good, -60)).await;
    assert_status(&result, 200, "a timestamp one minute old");
    assert_eq!(handled.next().await.header.event_id, id);
    handled.assert_empty("stale pushes are not handled");
}

#[tokio::test]
async fn a_wrong_verification_token_is_refused() {
    let fake = fake_with_key().await;
    let (builder, mut handled, mut unknown) = receiving(&fake);
    let server = serve(builder).await;
    let url = server.url();

    let (_, mut env) = fake.event_envelope(RECEIVE, None);
    env["header"]["token"] = json!("not_the_app_token");
    for encrypt in [false, true] {
        let result = push(&fake, &url, &env, how(encrypt, Sign::Good, 0)).await;
        assert_refused(
            &result,
            401,
            "token",
            &format!("a wrong token (encrypted: {encrypt})"),
        );
    }
    // No token at all.
    let (_, mut env) = fake.event_envelope(RECEIVE, None);
    env["header"].as_object_mut().unwrap().remove("token");
    let result = push(&fake, &url, &env, signed_plain()).await;
    assert_refused(&result, 401, "token", "no token");
    // A URL check with a wrong token.
    let check = json!({"type": "url_verification", "challenge": "c", "token": "nope"});
    let result = push(&fake, &url, &check, how(false, Sign::Missing, 0)).await;
    assert_refused(&result, 401, "token", "url_verification with a wrong token");
    // Schema 1.0 (app_ticket) with a wrong token.
    let (_, mut env) = fake.event_envelope("app_ticket", None);
    env["token"] = json!("not_the_app_token");
    let result = push(&fake, &url, &env, signed_plain()).await;
    assert_refused(
        &result,
        401,
        "token",
        "a schema 1.0 event with a wrong token",
    );

    unknown.assert_empty("refused events reach no handler");
    assert_next_is_fresh(&fake, &url, &mut handled, "refused pushes are not handled").await;
}

// ---------------------------------------------------------------------------------------
// Bad bodies

#[tokio::test]
async fn an_oversize_body_is_413() {
    let fake = fake_with_key().await;
    let (builder, mut handled, _unknown) = receiving(&fake);
    let dispatcher = builder.build();
    // A small limit on the handler...
    let small = WebhookServer::serve(WebhookHandler::new(dispatcher.clone()).max_body(4096)).await;
    let mut big_event = fake.event_catalogue().get(RECEIVE).unwrap().example.clone();
    big_event.insert("padding".into(), json!("x".repeat(8 * 1024)));
    let (_, env) = fake.event_envelope(RECEIVE, Some(Value::Object(big_event)));
    let result = push(&fake, &small.url(), &env, signed_plain()).await;
    assert_status(&result, 413, "8 KiB over a 4 KiB limit");
    // ...and the default 1 MiB one, beyond it by far (axum's own limit answers 413 too).
    let default = WebhookServer::serve(WebhookHandler::new(dispatcher)).await;
    let huge = vec![b' '; 3 << 20];
    let result = push_bytes(&fake, &default.url(), &huge, signed_plain()).await;
    assert_status(&result, 413, "3 MiB over the default 1 MiB limit");
    let just_over = vec![b' '; (1 << 20) + 1];
    let result = push_bytes(&fake, &default.url(), &just_over, signed_plain()).await;
    assert_status(&result, 413, "1 MiB + 1 byte");
    assert_next_is_fresh(&fake, &default.url(), &mut handled, "oversize pushes").await;
}

/// `{"encrypt": base64(iv || ciphertext)}` with the ciphertext of `blocks` (no padding
/// added): decrypting gives exactly `blocks`, whose padding is then what they end with.
fn sealed_without_padding(key: &str, blocks: &[u8]) -> Vec<u8> {
    assert_eq!(blocks.len() % 16, 0);
    let aes_key: [u8; 32] = Sha256::digest(key.as_bytes()).into();
    let iv = [7u8; 16];
    let ciphertext = cbc::Encryptor::<aes::Aes256>::new(&aes_key.into(), &iv.into())
        .encrypt_padded_vec_mut::<NoPadding>(blocks);
    let mut all = iv.to_vec();
    all.extend_from_slice(&ciphertext);
    let b64 = base64::engine::general_purpose::STANDARD.encode(all);
    serde_json::to_vec(&json!({ "encrypt": b64 })).unwrap()
}

fn encrypt_value(b64: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "encrypt": b64 })).unwrap()
}

#[tokio::test]
async fn garbage_and_broken_ciphertexts_are_400_never_a_panic() {
    let fake = fake_with_key().await;
    let (builder, mut handled, mut unknown) = receiving(&fake);
    let server = serve(builder).await;
    let url = server.url();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);

    let mut bad_last_byte = br#"{"schema":"2.0"}"#.to_vec();
    bad_last_byte.extend_from_slice(&[b' '; 15]);
    bad_last_byte.push(0); // padding byte 0: invalid
    let mut over_16 = vec![b'{'; 31];
    over_16.push(17); // padding byte 17 > 16: invalid
    let mut inconsistent = vec![b'a'; 28];
    inconsistent.extend_from_slice(&[4, 4, 3, 4]); // says 4, one of the 4 is not 4
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not JSON", b"this is not json {".to_vec(), "JSON"),
        ("empty body", Vec::new(), "JSON"),
        ("binary bytes", vec![0xff, 0x00, 0xfe, 0x80, 0x01], "JSON"),
        ("a JSON array", b"[1, 2, 3]".to_vec(), "object"),
        ("an empty object", b"{}".to_vec(), "envelope"),
        (
            "schema 2.0 without header",
            br#"{"schema":"2.0","event":{}}"#.to_vec(),
            "header",
        ),
        (
            "encrypt not a string",
            br#"{"encrypt": 5}"#.to_vec(),
            "encrypt",
        ),
        ("bad base64", encrypt_value("!!!not base64!!!"), "base64"),
        ("too short", encrypt_value(&b64(&[1u8; 16])), "length"),
        (
            "not whole blocks",
            encrypt_value(&b64(&[1u8; 16 + 17])),
            "length",
        ),
        (
            "padding byte 0",
            sealed_without_padding(ENCRYPT_KEY, &bad_last_byte),
            "padding",
        ),
        (
            "padding byte 17",
            sealed_without_padding(ENCRYPT_KEY, &over_16),
            "padding",
        ),
        (
            "inconsistent padding",
            sealed_without_padding(ENCRYPT_KEY, &inconsistent),
            "padding",
        ),
        (
            "sealed with another key",
            encrypt_value(&fake_crypto::encrypt_with_iv(
                "another key",
                &[b'z'; 48],
                [3; 16],
            )),
            "",
        ),
        (
            "decrypts to non-JSON",
            encrypt_value(&fake_crypto::encrypt_with_iv(
                ENCRYPT_KEY,
                b"plain text",
                [9; 16],
            )),
            "JSON",
        ),
    ];
    // Nesting deeper than any parser should follow: refused, not a stack overflow.
    let depth = 100_000;
    let mut nested = "[".repeat(depth).into_bytes();
    nested.extend(std::iter::repeat_n(b']', depth));
    let mut deep_event =
        br#"{"schema":"2.0","header":{"event_id":"e","event_type":"t"},"event":"#.to_vec();
    deep_event.extend_from_slice(&nested);
    deep_event.push(b'}');
    let deep_sealed = encrypt_value(&fake_crypto::encrypt_with_iv(ENCRYPT_KEY, &nested, [5; 16]));
    let cases: Vec<(&str, Vec<u8>, &str)> = cases
        .into_iter()
        .chain([
            ("100 000 nested arrays", nested, "JSON"),
            ("an envelope with a deeply nested event", deep_event, "JSON"),
            ("100 000 nested arrays, encrypted", deep_sealed, "JSON"),
        ])
        .collect();
    for (what, body, reason) in &cases {
        let result = push_bytes(&fake, &url, body, signed_plain()).await;
        assert_refused(&result, 400, reason, what);
    }
    unknown.assert_empty("garbage reaches no handler");
    // Still serving.
    assert_next_is_fresh(&fake, &url, &mut handled, "after every bad body").await;
}

#[tokio::test]
async fn without_an_encrypt_key_signatures_are_not_required_and_encrypted_bodies_refused() {
    let fake = FakeLark::start(FakeConfig::default()).await.unwrap();
    let (builder, mut handled, _unknown) = receiving(&fake);
    let server = serve(builder).await;
    let url = server.url();
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let result = push(&fake, &url, &env, how(false, Sign::Missing, 0)).await;
    assert_status(&result, 200, "unsigned, no Encrypt Key configured");
    assert_eq!(handled.next().await.header.event_id, id);
    // An encrypted body cannot be authenticated by its token without the key: the one
    // answer to unauthenticated requests.
    let sealed = encrypt_value(&fake_crypto::encrypt("some key", b"{}"));
    let result = push_bytes(&fake, &url, &sealed, how(false, Sign::Missing, 0)).await;
    assert_refused(
        &result,
        401,
        lark_openapi::events::WebhookResponse::UNAUTHENTICATED,
        "an encrypted body, no key",
    );
}

// ---------------------------------------------------------------------------------------
// Routing

#[tokio::test]
async fn an_unknown_event_type_is_acknowledged_and_given_raw_to_on_unknown() {
    let fake = fake_with_key().await;
    let (builder, mut handled, mut unknown) = receiving(&fake);
    let server = serve(builder).await;
    let url = server.url();
    let payload = json!({"anything": [1, {"nested": true}], "text": "中文 ✓"});
    let (id, env) = fake.event_envelope("custom.never_heard_of_v9", Some(payload.clone()));
    let result = push(&fake, &url, &env, how(true, Sign::Good, 0)).await;
    assert_status(&result, 200, "an unknown event type");
    assert_eq!(result.json, Some(json!({})), "acknowledged with {{}}");
    let raw = unknown.next().await;
    assert_eq!(raw.header.event_id, id);
    assert_eq!(raw.header.event_type, "custom.never_heard_of_v9");
    assert_eq!(raw.channel, Channel::Webhook);
    assert_eq!(raw.event, payload, "the raw JSON as sent");

    // A known type without a typed handler also goes to on_unknown.
    let (id, env) = fake.event_envelope("im.chat.disbanded_v1", None);
    let result = push(&fake, &url, &env, signed_plain()).await;
    assert_status(&result, 200, "a type without a handler");
    let raw = unknown.next().await;
    assert_eq!(raw.header.event_id, id);
    assert_eq!(raw.header.event_type, "im.chat.disbanded_v1");
    handled.assert_empty("not for the typed handler");

    // Without any catch-all handler: acknowledged all the same.
    let bare = WebhookServer::serve(WebhookHandler::new(
        Dispatcher::builder().encrypt_key(ENCRYPT_KEY).build(),
    ))
    .await;
    let (_, env) = fake.event_envelope("custom.never_heard_of_v9", Some(payload));
    let result = push(&fake, &bare.url(), &env, signed_plain()).await;
    assert_status(&result, 200, "an unknown type, no handler at all");
    assert_eq!(result.json, Some(json!({})));
}

#[tokio::test]
async fn a_payload_that_does_not_fit_its_type_is_acknowledged_not_handled() {
    let fake = fake_with_key().await;
    let (builder, mut handled, mut unknown) = receiving(&fake);
    let server = serve(builder).await;
    let (_, env) = fake.event_envelope(RECEIVE, Some(json!({"message": 42})));
    let result = push(&fake, &server.url(), &env, signed_plain()).await;
    assert_status(
        &result,
        200,
        "an undecodable payload (never re-pushed forever)",
    );
    unknown.assert_empty("not given to on_unknown");
    assert_next_is_fresh(&fake, &server.url(), &mut handled, "undecodable payload").await;
}

#[tokio::test]
async fn a_duplicate_delivery_is_handled_once() {
    let fake = fake_with_key().await;
    let (builder, mut handled, _unknown) = receiving(&fake);
    let server = serve(builder).await;
    let url = server.url();
    let (id, env) = fake.event_envelope(RECEIVE, None);
    for (n, push_how) in [
        how(true, Sign::Good, 0),
        how(true, Sign::Good, 0),
        how(false, Sign::Good, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let result = push(&fake, &url, &env, push_how).await;
        assert_status(&result, 200, &format!("delivery {} of {id}", n + 1));
        assert_eq!(result.json, Some(json!({})));
    }
    assert_eq!(handled.next().await.header.event_id, id);
    assert_next_is_fresh(&fake, &url, &mut handled, "three deliveries of one event").await;

    // Schema 1.0: by `uuid`.
    let (_, env) = fake.event_envelope("app_ticket", None);
    let (app_out, mut app_tickets) = inbox("app_ticket");
    let server = serve(receiving(&fake).0.on::<AppTicket, _, _>(
        move |ctx: EventContext<AppTicket>| {
            app_out.record(ctx.header, ctx.channel, json!(ctx.event.app_id));
            std::future::ready(Ok(()))
        },
    ))
    .await;
    for _ in 0..2 {
        let result = push(&fake, &server.url(), &env, signed_plain()).await;
        assert_status(&result, 200, "app_ticket delivered twice");
    }
    let (_, other) = fake.event_envelope("app_ticket", None);
    let result = push(&fake, &server.url(), &other, signed_plain()).await;
    assert_status(&result, 200, "another app_ticket");
    let first = app_tickets.next().await;
    let second = app_tickets.next().await;
    assert_eq!(first.header.event_id, env["uuid"].as_str().unwrap());
    assert_eq!(
        second.header.event_id,
        other["uuid"].as_str().unwrap(),
        "the duplicate app_ticket (same uuid) was handled twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicates_are_handled_once() {
    let fake = fake_with_key().await;
    let (builder, mut handled, _unknown) = receiving(&fake);
    let server = serve(builder).await;
    let url = server.url();
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let pushes: Vec<_> = (0..16)
        .map(|n| {
            let (env, url) = (env.clone(), url.clone());
            let fake = &fake;
            async move { push(fake, &url, &env, how(n % 2 == 0, Sign::Good, 0)).await }
        })
        .collect();
    for result in futures_util::future::join_all(pushes).await {
        assert_status(&result, 200, "one of 16 concurrent deliveries");
    }
    assert_eq!(handled.next().await.header.event_id, id);
    assert_next_is_fresh(&fake, &url, &mut handled, "16 concurrent deliveries").await;
}

#[tokio::test]
async fn a_legacy_card_callback_reaches_on_unknown() {
    // The old card callback format (no schema): `token` is the card's update token (valid
    // 30 minutes, for two updates), not the app's Verification Token; the platform signs
    // these requests with SHA-1 over timestamp + nonce + verification token + body (the
    // official SDKs' card handlers check it). The dispatcher documents that such a callback
    // goes to `on_unknown` as `card.action.legacy` and is answered `{}`.
    let fake = FakeLark::start(FakeConfig::default()).await.unwrap();
    let (builder, mut handled, mut unknown) = receiving(&fake);
    let server = serve(builder.legacy_card_callbacks(true)).await;
    let legacy = json!({
        "open_id": "ou_84aad35d084aa403a838cf73ee18467",
        "user_id": "e33ggbyz",
        "open_message_id": "om_dc13264520392913993dd051dba21dcf",
        "open_chat_id": "oc_413871e9b5f8a5e3a4a2b8d2c1d2e3f4",
        "tenant_key": "736588c9260f175e",
        "token": "c-295ee57b4fb0e7b5b1b7e7b6c8c2f0b52d9c1d11",
        "action": {"value": {"action": "approve"}, "tag": "button"}
    });
    let body = serde_json::to_vec(&legacy).unwrap();
    let token = fake.config().verification_token.clone();
    let http = reqwest::Client::new();
    let post = |signature: String| {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let signature = if signature.is_empty() {
            legacy_signature(&timestamp, "n0nce", &token, &body)
        } else {
            signature
        };
        http.post(server.url())
            .header("content-type", "application/json")
            .header("X-Lark-Request-Timestamp", timestamp)
            .header("X-Lark-Request-Nonce", "n0nce")
            .header("X-Lark-Signature", signature)
            .body(body.clone())
            .send()
    };
    let bad = post("0".repeat(40)).await.unwrap();
    // (Without the opt-in, even a well-signed one is refused: see the SDK's tests.)
    assert_eq!(
        bad.status(),
        401,
        "a legacy card callback with a bad SHA-1 signature"
    );
    let good = post(String::new()).await.unwrap();
    assert_eq!(
        good.status(),
        200,
        "a legacy card callback (token = the card's update token), well signed"
    );
    let answer: Value = serde_json::from_slice(&good.bytes().await.unwrap()).unwrap();
    assert_eq!(answer, json!({}));
    let raw = unknown.next().await;
    assert_eq!(
        raw.header.event_type,
        lark_openapi::events::LEGACY_CARD_ACTION
    );
    assert_eq!(raw.event["open_message_id"], legacy["open_message_id"]);
    handled.assert_empty("not a message");
}

/// Lowercase hex of SHA-1(timestamp + nonce + verification token + body), computed here
/// independently of the SDK.
fn legacy_signature(timestamp: &str, nonce: &str, token: &str, body: &[u8]) -> String {
    use sha1::Digest as _;
    let mut h = sha1::Sha1::new();
    h.update(timestamp.as_bytes());
    h.update(nonce.as_bytes());
    h.update(token.as_bytes());
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// Handlers run after the answer

#[tokio::test]
async fn a_slow_handler_does_not_delay_the_answer() {
    let fake = fake_with_key().await;
    let release = Arc::new(Notify::new());
    let finished = Arc::new(AtomicBool::new(false));
    let (started_tx, mut started) = mpsc::unbounded_channel::<String>();
    let (done_tx, mut done) = mpsc::unbounded_channel::<String>();
    let dispatcher = Dispatcher::builder()
        .encrypt_key(ENCRYPT_KEY)
        .on::<MessageReceiveV1, _, _>({
            let (release, finished) = (release.clone(), finished.clone());
            move |ctx: EventContext<MessageReceiveV1>| {
                let (release, finished) = (release.clone(), finished.clone());
                let (started_tx, done_tx) = (started_tx.clone(), done_tx.clone());
                async move {
                    let _ = started_tx.send(ctx.header.event_id.clone());
                    // Slow: it cannot finish before the test lets it, which the test
                    // does only once the answer is in.
                    release.notified().await;
                    finished.store(true, Ordering::SeqCst);
                    let _ = done_tx.send(ctx.header.event_id);
                    Ok(())
                }
            }
        })
        .build();
    let server = WebhookServer::serve(WebhookHandler::new(dispatcher)).await;
    let (id, env) = fake.event_envelope(RECEIVE, None);
    // If the answer waited for the handler, this would hang (and fail after TIMEOUT).
    let result = push(&fake, &server.url(), &env, how(true, Sign::Good, 0)).await;
    assert_status(&result, 200, "the answer to a slow handler's event");
    assert!(
        !finished.load(Ordering::SeqCst),
        "the handler finished before the answer"
    );
    let started_id = tokio::time::timeout(TIMEOUT, started.recv())
        .await
        .expect("the handler starts")
        .unwrap();
    assert_eq!(started_id, id);
    release.notify_one();
    let done_id = tokio::time::timeout(TIMEOUT, done.recv())
        .await
        .expect("the handler finishes once released")
        .unwrap();
    assert_eq!(done_id, id);
    assert!(finished.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_failing_handler_is_logged_and_the_event_still_acknowledged() {
    // A current-thread runtime: the subscriber (thread-local default) sees the handlers.
    let (captured, _guard) = CapturedLogs::install(tracing::Level::DEBUG);

    let fake = fake_with_key().await;
    let dispatcher = Dispatcher::builder()
        .encrypt_key(ENCRYPT_KEY)
        .verification_token(fake.config().verification_token.clone())
        .on::<MessageReceiveV1, _, _>(|_ctx: EventContext<MessageReceiveV1>| async move {
            Err("the handler failed on purpose".into())
        })
        .on::<ChatDisbandedV1, _, _>(|_ctx: EventContext<ChatDisbandedV1>| async move {
            if true {
                panic!("the handler panicked on purpose");
            }
            Ok(())
        })
        .build();
    let server = WebhookServer::serve(WebhookHandler::new(dispatcher)).await;

    let (id, env) = fake.event_envelope(RECEIVE, None);
    let result = push(&fake, &server.url(), &env, how(true, Sign::Good, 0)).await;
    assert_status(&result, 200, "a failing handler's event");
    assert_eq!(result.json, Some(json!({})));
    let line = captured
        .wait_line(
            &["ERROR", &id, RECEIVE, "the handler failed on purpose"],
            TIMEOUT,
        )
        .await;
    assert!(line.contains("handler"), "{line}");

    let (id, env) = fake.event_envelope("im.chat.disbanded_v1", None);
    let result = push(&fake, &server.url(), &env, signed_plain()).await;
    assert_status(&result, 200, "a panicking handler's event");
    captured
        .wait_line(
            &[
                "ERROR",
                &id,
                "im.chat.disbanded_v1",
                "the handler panicked on purpose",
            ],
            TIMEOUT,
        )
        .await;

    // Refusals are logged with their reason, and no secret is.
    let (_, env) = fake.event_envelope(RECEIVE, None);
    let result = push(&fake, &server.url(), &env, how(false, Sign::Bad, 0)).await;
    assert_status(&result, 401, "a bad signature");
    captured
        .wait_line(&["WARN", "bad signature"], TIMEOUT)
        .await;
    let text = captured.text();
    for secret in [ENCRYPT_KEY, fake.config().verification_token.as_str()] {
        assert!(!text.contains(secret), "a secret was logged:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------
// Callbacks

#[tokio::test]
async fn a_card_action_is_answered_with_a_toast_and_a_new_card() {
    let fake = fake_with_key().await;
    let (seen_tx, mut seen) = mpsc::unbounded_channel::<ActionTrigger>();
    let release = Arc::new(Notify::new());
    let dispatcher = Dispatcher::builder()
        .encrypt_key(ENCRYPT_KEY)
        .verification_token(fake.config().verification_token.clone())
        .callback_timeout(std::time::Duration::from_millis(300))
        .on_callback::<ActionTrigger, _, _>({
            let release = release.clone();
            move |ctx: EventContext<ActionTrigger>| {
                let seen_tx = seen_tx.clone();
                let release = release.clone();
                async move {
                    let _ = seen_tx.send(ctx.event.clone());
                    let value = ctx.event.action.value.clone().unwrap_or(Value::Null);
                    match value["action"].as_str() {
                        Some("approve") => {
                            let request = value["request_id"].as_str().unwrap_or("?");
                            Ok(
                                CallbackAnswer::toast(Toast::success(format!(
                                    "Approved {request}"
                                )))
                                .with_card(json!({
                                    "schema": "2.0",
                                    "body": {"elements": [{"tag": "markdown", "content": format!("{request}: approved")}]}
                                })),
                            )
                        }
                        Some("template") => Ok(CallbackAnswer::toast(
                            Toast::info("Using a template").with_i18n("zh_cn", "使用模板"),
                        )
                        .with_card_template("AAqk1xyz", json!({"name": "Ada"}))
                        .with_template_version("1.0.2")),
                        Some("fail") => Err("the callback failed on purpose".into()),
                        Some("slow") => {
                            release.notified().await;
                            Ok(CallbackAnswer::toast(Toast::info("too late")))
                        }
                        _ => Ok(CallbackAnswer::empty()),
                    }
                }
            }
        })
        .build();
    let server = WebhookServer::serve(WebhookHandler::new(dispatcher)).await;
    let url = server.url();

    // The spec's example: a button with {"action": "approve", "request_id": "REQ-1042"}.
    let (_, env) = fake.event_envelope("card.action.trigger", None);
    let result = push(&fake, &url, &env, how(true, Sign::Good, 0)).await;
    assert_status(&result, 200, "card.action.trigger");
    assert_eq!(
        result.json,
        Some(json!({
            "toast": {"type": "success", "content": "Approved REQ-1042"},
            "card": {"type": "raw", "data": {
                "schema": "2.0",
                "body": {"elements": [{"tag": "markdown", "content": "REQ-1042: approved"}]}
            }}
        })),
        "card.action.trigger: the answer carries the toast and the new card"
    );
    let event = seen.recv().await.unwrap();
    assert_eq!(event.action.tag, "button");
    assert_eq!(event.operator.open_id, "ou_84aad35d084aa403a838cf73ee18467");

    let with_value = |value: Value| {
        let mut example = fake
            .event_catalogue()
            .get("card.action.trigger")
            .unwrap()
            .example
            .clone();
        example["action"]["value"] = value;
        fake.event_envelope("card.action.trigger", Some(Value::Object(example)))
            .1
    };

    let env = with_value(json!({"action": "template"}));
    let result = push(&fake, &url, &env, signed_plain()).await;
    assert_status(&result, 200, "card.action.trigger (template)");
    assert_eq!(
        result.json,
        Some(json!({
            "toast": {"type": "info", "content": "Using a template", "i18n": {"zh_cn": "使用模板"}},
            "card": {"type": "template", "data": {
                "template_id": "AAqk1xyz",
                "template_version_name": "1.0.2",
                "template_variable": {"name": "Ada"}
            }}
        }))
    );

    // A failing callback handler: answered {} (and logged).
    let env = with_value(json!({"action": "fail"}));
    let result = push(&fake, &url, &env, signed_plain()).await;
    assert_status(&result, 200, "card.action.trigger (failing handler)");
    assert_eq!(result.json, Some(json!({})));

    // A callback handler slower than the callback timeout: answered {} without it.
    let env = with_value(json!({"action": "slow"}));
    let result = push(&fake, &url, &env, signed_plain()).await;
    assert_status(&result, 200, "card.action.trigger (slow handler)");
    assert_eq!(result.json, Some(json!({})));
    release.notify_one();

    // A callback delivered twice runs its handler once.
    while seen.try_recv().is_ok() {}
    let env = with_value(json!({"action": "approve", "request_id": "REQ-7"}));
    for _ in 0..2 {
        let result = push(&fake, &url, &env, signed_plain()).await;
        assert_status(&result, 200, "card.action.trigger twice");
    }
    let event = seen.recv().await.unwrap();
    assert_eq!(event.action.value.as_ref().unwrap()["request_id"], "REQ-7");
    assert!(
        seen.try_recv().is_err(),
        "the duplicate callback ran its handler again"
    );
}

// ---------------------------------------------------------------------------------------
// app_ticket and the store app's token chain

#[tokio::test]
async fn an_app_ticket_pushed_to_a_store_app_feeds_its_token_chain() {
    let fake = FakeLark::start(FakeConfig {
        app_type: FakeAppType::Store,
        encrypt_key: Some(ENCRYPT_KEY.to_owned()),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let client = support::builder(&fake)
        .app_type(AppType::Store)
        .build()
        .unwrap();
    support::file(&fake, "file_ticket", 64);

    // No ticket yet: the token chain cannot start.
    let err = support::get_for_tenant(&client, "file_ticket", "tenant_a")
        .await
        .unwrap_err();
    let Error::Token(token) = &err else {
        panic!("expected a token error, got {err:?}")
    };
    assert!(
        matches!(token.kind(), TokenErrorKind::AppTicketMissing),
        "{token:?}"
    );

    let (tickets_out, mut tickets) = inbox("app_ticket");
    let dispatcher = Dispatcher::builder()
        .encrypt_key(ENCRYPT_KEY)
        .verification_token(fake.config().verification_token.clone())
        .client(&client)
        .on::<AppTicket, _, _>(move |ctx: EventContext<AppTicket>| {
            tickets_out.record(
                ctx.header,
                ctx.channel,
                json!({"app_id": ctx.event.app_id, "app_ticket": ctx.event.app_ticket}),
            );
            std::future::ready(Ok(()))
        })
        .build();
    let server = WebhookServer::serve(WebhookHandler::new(dispatcher)).await;
    let (ticket, env) = fake.app_ticket_envelope();
    assert_eq!(
        env["type"], "event_callback",
        "app_ticket is a schema 1.0 event"
    );
    let result = push(&fake, &server.url(), &env, how(true, Sign::Good, 0)).await;
    assert_status(&result, 200, "app_ticket");
    let got = tickets.next().await;
    assert_eq!(got.event["app_ticket"], ticket.as_str());
    assert_eq!(got.event["app_id"], fake.config().app_id.as_str());
    assert_eq!(got.header.event_type, "app_ticket");

    // The pushed ticket → app_access_token → tenant_access_token → the call.
    let download = support::get_for_tenant(&client, "file_ticket", "tenant_a")
        .await
        .expect("the call succeeds once the app_ticket was pushed");
    assert_eq!(download.collect(1 << 10).await.unwrap().len(), 64);
    assert_eq!(
        fake.token_requests(lark_tests::TokenRequestKind::AppStore),
        1,
        "one app token, from the pushed ticket"
    );
}

// ---------------------------------------------------------------------------------------
// Serving

#[tokio::test]
async fn the_axum_handler_mounts_anywhere_and_the_neutral_handler_works_alone() {
    let fake = fake_with_key().await;
    let (builder, mut handled, _unknown) = receiving(&fake);
    let webhook = WebhookHandler::new(builder.build());
    let router = axum::Router::new()
        .route(
            "/lark/callback",
            axum::routing::post(lark_openapi::events::axum::handle),
        )
        .with_state(webhook.clone());
    let server = WebhookServer::start(router).await;
    let url = format!("{}/lark/callback", server.base_url());
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let result = push(&fake, &url, &env, how(true, Sign::Good, 0)).await;
    assert_status(&result, 200, "the handler mounted at /lark/callback");
    assert_eq!(handled.next().await.header.event_id, id);

    // The framework-neutral handler: headers and raw bytes in, status and body out.
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let body = serde_json::to_vec(&env).unwrap();
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let signature = fake_crypto::signature(&timestamp, "n0nce", ENCRYPT_KEY, &body);
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("X-Lark-Request-Timestamp", timestamp.parse().unwrap());
    headers.insert("X-Lark-Request-Nonce", "n0nce".parse().unwrap());
    headers.insert("X-Lark-Signature", signature.parse().unwrap());
    let response = webhook.handle(&headers, &body).await;
    assert_eq!(response.status, axum::http::StatusCode::OK);
    assert_eq!(&response.body[..], b"{}");
    assert_eq!(handled.next().await.header.event_id, id);
    let response = webhook.handle(&axum::http::HeaderMap::new(), &body).await;
    assert_eq!(
        response.status,
        axum::http::StatusCode::UNAUTHORIZED,
        "unsigned"
    );
}

// ---------------------------------------------------------------------------------------
// Cryptography: the SDK against the fake's independent implementation and openssl

#[test]
fn sdk_and_fake_crypto_agree_with_known_answers() {
    // Produced with openssl (a third implementation):
    //   K=$(printf %s kat-encrypt-key | sha256sum | cut -d' ' -f1)
    //   (printf '\x00\x01…\x0f'; printf %s "$PT" | openssl enc -aes-256-cbc -K $K -iv 000102…0f) | base64 -w0
    let key = "kat-encrypt-key";
    let plain = br#"{"schema":"2.0","header":{"event_id":"ev_kat"}}"#;
    let iv: [u8; 16] = std::array::from_fn(|i| i as u8);
    let known =
        "AAECAwQFBgcICQoLDA0OD8ICtAn6+oEfAuQ3dUIsN4J3mhpME/UNYy4G45GZv02FZEuSLiT8qmi1yHn6RCYlHg==";
    assert_eq!(fake_crypto::encrypt_with_iv(key, plain, iv), known);
    assert_eq!(crypto::decrypt(key, known).unwrap(), plain);

    // The SDK opens what the fake seals, with random IVs and with chosen ones (the SDK's own
    // sealing, test-only, is checked against the same known answer in its unit tests).
    for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 1000] {
        let text: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let sealed = fake_crypto::encrypt(ENCRYPT_KEY, &text);
        assert_eq!(
            crypto::decrypt(ENCRYPT_KEY, &sealed).unwrap(),
            text,
            "len {len}"
        );
        let sealed = fake_crypto::encrypt_with_iv(ENCRYPT_KEY, &text, [len as u8; 16]);
        assert_eq!(
            crypto::decrypt(ENCRYPT_KEY, &sealed).unwrap(),
            text,
            "len {len}"
        );
        assert!(crypto::decrypt("another key", &sealed).map_or(true, |p| p != text));
    }

    // Signatures: sha256sum of "1700000000" "nonce-kat" "kat-encrypt-key" '{"encrypt":"x"}'.
    let body = br#"{"encrypt":"x"}"#;
    let known_sig = "9b3c6447282b4b088b39362c6dfd7e3a67dc3efaffdfe0e83a6a86ae0de48896";
    assert_eq!(
        crypto::signature("1700000000", "nonce-kat", key, body),
        known_sig
    );
    assert_eq!(
        fake_crypto::signature("1700000000", "nonce-kat", key, body),
        known_sig
    );
    assert!(crypto::verify_signature(
        "1700000000",
        "nonce-kat",
        key,
        body,
        known_sig
    ));
    assert!(crypto::verify_signature(
        "1700000000",
        "nonce-kat",
        key,
        body,
        &known_sig.to_uppercase()
    ));
    assert!(!crypto::verify_signature(
        "1700000001",
        "nonce-kat",
        key,
        body,
        known_sig
    ));
    assert!(!crypto::verify_signature(
        "1700000000",
        "nonce-kat",
        key,
        b"{}",
        known_sig
    ));
    assert!(!crypto::verify_signature(
        "1700000000",
        "nonce-kat",
        key,
        body,
        ""
    ));
    assert!(!crypto::verify_signature(
        "1700000000",
        "nonce-kat",
        key,
        body,
        "zz"
    ));
    for (ts, nonce, k, b) in [
        ("0", "", "", &b""[..]),
        ("1733100000", "abc", "ünïcödé key", &b"\x00\xff binary"[..]),
    ] {
        assert_eq!(
            crypto::signature(ts, nonce, k, b),
            fake_crypto::signature(ts, nonce, k, b)
        );
    }
}
