//! Tests of the fake's event pushes: frame codec, crypto known answers, the catalogue,
//! envelopes, webhook pushes to a capturing server, the long connection with a raw
//! tokio-tungstenite client, and delivered messages.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use super::frame::{Frame, FrameHeader, METHOD_CONTROL, METHOD_DATA};
use super::*;
use crate::fake::tests::tenant_token;
use crate::fake::{default_spec_dir, FakeConfig, FakeLark};

// ---- frame codec ----------------------------------------------------------------

#[test]
fn frame_known_bytes_and_round_trip() {
    let mut frame = Frame {
        seq_id: 1,
        log_id: 2,
        service: 3,
        method: METHOD_DATA,
        payload: Some(b"{}".to_vec()),
        ..Frame::default()
    };
    frame.push_header("type", "event");
    let bytes = frame.to_bytes();
    let mut expected = vec![0x08, 1, 0x10, 2, 0x18, 3, 0x20, 1, 0x2a, 13];
    expected.extend_from_slice(&[0x0a, 4]);
    expected.extend_from_slice(b"type");
    expected.extend_from_slice(&[0x12, 5]);
    expected.extend_from_slice(b"event");
    expected.extend_from_slice(&[0x42, 2]);
    expected.extend_from_slice(b"{}");
    assert_eq!(bytes, expected);
    let back = Frame::from_bytes(&bytes).expect("decodes");
    assert_eq!(back, frame);
    assert_eq!(back.header("type"), Some("event"));
    assert_eq!(back.header("sum"), None);

    let full = Frame {
        seq_id: u64::MAX,
        log_id: 0,
        service: -5,
        method: METHOD_CONTROL,
        headers: vec![FrameHeader {
            key: "k".into(),
            value: "v".into(),
        }],
        payload_encoding: Some("json".into()),
        payload_type: Some("t".into()),
        payload: None,
        log_id_new: Some("log".into()),
    };
    assert_eq!(Frame::from_bytes(&full.to_bytes()), Some(full));
    assert_eq!(Frame::from_bytes(&[0xff, 0xff, 0xff]), None);
    // prost reads missing required fields as their defaults.
    assert_eq!(
        Frame::from_bytes(&[0x08, 1]).map(|f| (f.seq_id, f.method)),
        Some((1, 0))
    );
}

// ---- crypto -----------------------------------------------------------------------

#[test]
fn crypto_known_answers_and_round_trip() {
    let iv: [u8; 16] = std::array::from_fn(|i| i as u8);
    // Computed with Python's `cryptography` (AES-256-CBC, PKCS#7, key = SHA-256(key)).
    let sealed = crypto::encrypt_with_iv("test key", br#"{"hello":"world"}"#, iv);
    assert_eq!(
        sealed,
        "AAECAwQFBgcICQoLDA0OD9gZxLPCjhTc8ikhGYSbtk4sEld4sdJv3X2nyN2IIf6w"
    );
    assert_eq!(
        crypto::decrypt("test key", &sealed).as_deref(),
        Some(&br#"{"hello":"world"}"#[..])
    );
    assert_eq!(
        crypto::signature("1700000000", "nonce123", "test key", br#"{"a":1}"#),
        "09fa8a6a7f34e42ab7358816b08dcab6b7a6c771b4bf753944523ad0d56d29e3"
    );
    for len in [0, 1, 15, 16, 17, 1000] {
        let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let a = crypto::encrypt("k", &plain);
        let b = crypto::encrypt("k", &plain);
        assert_ne!(a, b, "a random IV each time");
        assert_eq!(crypto::decrypt("k", &a), Some(plain));
    }
    assert_eq!(crypto::decrypt("k", "not base64!"), None);
    assert_eq!(crypto::decrypt("k", "AAAA"), None);
}

// ---- catalogue ----------------------------------------------------------------------

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// Sample event specs (the four keys the fake reads, plus what the generator wants).
fn write_sample_events(dir: &Path) {
    write(
        dir,
        "im/v1/events/message_receive_v1.json",
        &json!({
            "event_type": "im.message.receive_v1", "schema": "2.0", "kind": "event",
            "summary": "A message was sent to the bot.",
            "example": {
                "sender": {"sender_id": {"open_id": "ou_x"}, "sender_type": "user", "tenant_key": "t"},
                "message": {"message_id": "om_x", "chat_id": "oc_x", "chat_type": "group",
                            "message_type": "text", "content": "{\"text\":\"hi\"}",
                            "create_time": "1", "mentions": [{"key": "@_user_1"}]}
            }
        })
        .to_string(),
    );
    write(
        dir,
        "card/v1/events/action_trigger.json",
        &json!({
            "event_type": "card.action.trigger", "schema": "2.0", "kind": "callback",
            "example": {"action": {"value": {"k": "v"}, "tag": "button"}}
        })
        .to_string(),
    );
    write(
        dir,
        "auth/v3/events/app_ticket.json",
        &json!({
            "event_type": "app_ticket", "schema": "1.0", "kind": "event",
            "example": {"app_id": "cli_x", "app_ticket": "example", "type": "app_ticket"}
        })
        .to_string(),
    );
}

#[test]
fn catalogue_reads_event_files_and_skips_broken_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_sample_events(dir.path());
    write(dir.path(), "im/v1/events/broken.json", "{ not json");
    write(dir.path(), "im/v1/events/no_type.json", "{}");
    write(
        dir.path(),
        "im/v1/types.json",
        r#"{"event_type": "not.an.event"}"#,
    );
    let catalogue = EventCatalogue::load(dir.path());
    assert_eq!(catalogue.len(), 3, "{:?}", catalogue.problems());
    assert_eq!(catalogue.problems().len(), 2, "{:?}", catalogue.problems());
    let receive = catalogue.get("im.message.receive_v1").expect("receive");
    assert_eq!(
        (receive.schema, receive.kind),
        (EventSchema::V2, EventKind::Event)
    );
    assert!(receive.example.contains_key("message"));
    let card = catalogue.get("card.action.trigger").expect("card");
    assert_eq!(card.kind, EventKind::Callback);
    let ticket = catalogue.get("app_ticket").expect("ticket");
    assert_eq!(ticket.schema, EventSchema::V1);
    assert!(catalogue.get("not.an.event").is_none());
    assert!(EventCatalogue::load(&dir.path().join("missing")).is_empty());
}

// ---- a fake with sample events ---------------------------------------------------

/// The workspace's endpoint specs (event files left out) plus the sample event specs.
fn spec_copy() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        for entry in std::fs::read_dir(from).expect("read spec dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("name");
            if path.is_dir() {
                if name != "events" {
                    copy(&path, &to.join(name));
                }
            } else if path.extension().is_some_and(|e| e == "json") {
                std::fs::create_dir_all(to).expect("mkdir");
                std::fs::copy(&path, to.join(name)).expect("copy");
            }
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    copy(&default_spec_dir(), dir.path());
    write_sample_events(dir.path());
    dir
}

async fn fake_with(config: FakeConfig) -> (FakeLark, tempfile::TempDir) {
    let dir = spec_copy();
    let fake = FakeLark::start(FakeConfig {
        spec_dir: dir.path().to_owned(),
        ..config
    })
    .await
    .expect("fake starts");
    (fake, dir)
}

#[tokio::test]
async fn event_files_in_the_spec_tree_do_not_break_the_fake() {
    let (fake, _dir) = fake_with(FakeConfig::default()).await;
    assert_eq!(fake.event_catalogue().len(), 3);
    assert!(!fake.model().endpoints.is_empty());
}

#[tokio::test]
async fn the_workspace_event_specs_load() {
    let fake = FakeLark::start(FakeConfig::default())
        .await
        .expect("fake starts with the workspace's specs");
    let catalogue = fake.event_catalogue();
    assert!(
        catalogue.problems().is_empty(),
        "{:?}",
        catalogue.problems()
    );
    for spec in catalogue.iter() {
        let (id, env) = fake.event_envelope(&spec.event_type, None);
        assert_eq!(envelope_event_id(&env), Some(id.as_str()));
        assert_eq!(envelope_event_type(&env), Some(spec.event_type.as_str()));
    }
}

#[tokio::test]
async fn envelopes_follow_the_spec_schema() {
    let (fake, _dir) = fake_with(FakeConfig::default()).await;
    let (id, env) = fake.event_envelope("im.message.receive_v1", None);
    assert!(id.starts_with("ev_fake_"), "{id}");
    assert_eq!(env["schema"], "2.0");
    assert_eq!(env["header"]["event_id"], json!(id));
    assert_eq!(env["header"]["event_type"], "im.message.receive_v1");
    assert_eq!(env["header"]["token"], "fake_verification_token");
    assert_eq!(env["header"]["app_id"], "cli_fake_app");
    assert_eq!(env["header"]["tenant_key"], "fake_tenant_key");
    assert!(env["header"]["create_time"]
        .as_str()
        .is_some_and(|t| t.parse::<i64>().is_ok()));
    assert_eq!(env["event"]["message"]["message_id"], "om_x");
    let (id2, _) = fake.event_envelope("im.message.receive_v1", None);
    assert_ne!(id, id2);

    let (id, env) = fake.event_envelope("app_ticket", None);
    assert_eq!(env["uuid"], json!(id));
    assert_eq!(env["type"], "event_callback");
    assert_eq!(env["token"], "fake_verification_token");
    assert_eq!(env["event"]["type"], "app_ticket");
    assert!(env["ts"].as_str().is_some_and(|t| t.contains('.')));

    let (ticket, env) = fake.app_ticket_envelope();
    assert_eq!(env["event"]["app_ticket"], json!(ticket));
    assert_eq!(fake.latest_app_ticket(), Some(ticket));

    let (_, env) = fake.event_envelope("unknown.event_v9", Some(json!({"x": 1})));
    assert_eq!(env["schema"], "2.0");
    assert_eq!(env["event"], json!({"x": 1}));
    assert_eq!(envelope_event_type(&env), Some("unknown.event_v9"));
}

// ---- webhook ------------------------------------------------------------------------

type Captured = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A server that records what it is sent and answers `{"ok": true}`; returns its URL.
async fn capturing_server() -> (String, Captured) {
    let captured: Captured = Arc::default();
    let seen = captured.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                seen.lock().expect("lock").push((headers, body));
                axum::Json(json!({"ok": true}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), captured)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn webhook_pushes_are_signed_and_encrypted_as_asked() {
    let (fake, _dir) = fake_with(FakeConfig {
        encrypt_key: Some("ek".to_owned()),
        ..FakeConfig::default()
    })
    .await;
    let (url, captured) = capturing_server().await;
    let (_, env) = fake.event_envelope("im.message.receive_v1", None);

    let result = fake
        .push_webhook(&url, &env, WebhookPush::encrypted())
        .await
        .expect("push");
    assert_eq!(result.status, 200);
    assert_eq!(result.json, Some(json!({"ok": true})));
    let pushes: Vec<_> = captured.lock().expect("lock").clone();
    let (headers, body) = &pushes[0];
    let ts = header(headers, "x-lark-request-timestamp").expect("timestamp");
    let nonce = header(headers, "x-lark-request-nonce").expect("nonce");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!((ts.parse::<i64>().expect("number") - now).abs() < 60);
    assert_eq!(
        header(headers, "x-lark-signature"),
        Some(crypto::signature(ts, nonce, "ek", body).as_str())
    );
    let wrapper: Value = serde_json::from_slice(body).expect("JSON");
    let plain =
        crypto::decrypt("ek", wrapper["encrypt"].as_str().expect("encrypt")).expect("decrypts");
    assert_eq!(serde_json::from_slice::<Value>(&plain).expect("JSON"), env);

    let push = WebhookPush {
        sign: Sign::Bad,
        timestamp_offset_s: -3600,
        ..WebhookPush::default()
    };
    fake.push_webhook(&url, &env, push).await.expect("push");
    let push = WebhookPush {
        sign: Sign::Missing,
        ..WebhookPush::default()
    };
    fake.push_webhook(&url, &env, push).await.expect("push");
    let pushes: Vec<_> = captured.lock().expect("lock").clone();
    let (headers, body) = &pushes[1];
    assert_eq!(serde_json::from_slice::<Value>(body).expect("plain"), env);
    let ts = header(headers, "x-lark-request-timestamp").expect("timestamp");
    let nonce = header(headers, "x-lark-request-nonce").expect("nonce");
    assert!((ts.parse::<i64>().expect("number") - (now - 3600)).abs() < 60);
    let sig = header(headers, "x-lark-signature").expect("signature");
    assert_eq!(sig.len(), 64);
    assert_ne!(sig, crypto::signature(ts, nonce, "ek", body));
    assert_eq!(header(&pushes[2].0, "x-lark-signature"), None);

    let (challenge, result) = fake.push_url_verification(&url, true).await.expect("push");
    assert_eq!(result.status, 200);
    let pushes: Vec<_> = captured.lock().expect("lock").clone();
    let wrapper: Value = serde_json::from_slice(&pushes[3].1).expect("JSON");
    let plain =
        crypto::decrypt("ek", wrapper["encrypt"].as_str().expect("encrypt")).expect("decrypts");
    assert_eq!(
        serde_json::from_slice::<Value>(&plain).expect("JSON"),
        json!({"challenge": challenge, "token": "fake_verification_token", "type": "url_verification"})
    );
}

#[tokio::test]
async fn an_encrypted_push_needs_a_key() {
    let (fake, _dir) = fake_with(FakeConfig::default()).await;
    let (url, _captured) = capturing_server().await;
    let (_, env) = fake.event_envelope("im.message.receive_v1", None);
    let err = fake
        .push_webhook(&url, &env, WebhookPush::encrypted())
        .await
        .expect_err("no key");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

// ---- long connection --------------------------------------------------------------

/// POSTs JSON, returns the JSON answer.
async fn post_json(url: &str, token: Option<&str>, body: &Value) -> Value {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_string());
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let bytes = req.send().await.expect("sent").bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("JSON answer")
}

async fn endpoint(fake: &FakeLark, secret: &str) -> Value {
    let url = format!("{}/callback/ws/endpoint", fake.base_url());
    post_json(
        &url,
        None,
        &json!({"AppID": "cli_fake_app", "AppSecret": secret}),
    )
    .await
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(fake: &FakeLark) -> (Socket, i32) {
    let answer = endpoint(fake, "fake_secret").await;
    assert_eq!(answer["code"], 0, "{answer}");
    let url = answer["data"]["URL"].as_str().expect("URL").to_owned();
    let service: i32 = url
        .split("service_id=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .and_then(|s| s.parse().ok())
        .expect("service_id");
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connects");
    (socket, service)
}

async fn next_frame(socket: &mut Socket) -> Frame {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("no error");
        if let Message::Binary(bytes) = msg {
            return Frame::from_bytes(&bytes).expect("a frame");
        }
    }
}

fn ping(service: i32) -> Message {
    let mut frame = Frame {
        service,
        method: METHOD_CONTROL,
        ..Frame::default()
    };
    frame.push_header("type", "ping");
    Message::Binary(frame.to_bytes().into())
}

/// The ack the SDKs send: the frame back with `biz_rt` and a JSON payload.
fn ack(mut frame: Frame, code: i64, data: &Value) -> Message {
    frame.push_header("biz_rt", "7");
    let payload = json!({
        "code": code,
        "headers": {},
        "data": STANDARD.encode(data.to_string()),
    });
    frame.payload = Some(payload.to_string().into_bytes());
    Message::Binary(frame.to_bytes().into())
}

#[tokio::test]
async fn endpoint_checks_credentials_and_scripted_refusals() {
    let (fake, _dir) = fake_with(FakeConfig::default()).await;
    assert_eq!(endpoint(&fake, "wrong").await["code"], 514);
    fake.ws_refuse_next(1_000_040_350);
    let answer = endpoint(&fake, "fake_secret").await;
    assert_eq!(answer["code"], 1_000_040_350_i64);
    assert!(answer.get("data").is_none());
    let answer = endpoint(&fake, "fake_secret").await;
    assert_eq!(answer["code"], 0);
    let config = &answer["data"]["ClientConfig"];
    assert_eq!(config["PingInterval"], 120);
    assert_eq!(config["ReconnectInterval"], 1);
    assert_eq!(config["ReconnectNonce"], 0);
    let url = answer["data"]["URL"].as_str().expect("URL");
    assert!(url.starts_with(&format!("ws://{}/ws?device_id=", fake.addr())));
    let counters = fake.ws_counters();
    assert_eq!((counters.endpoint_requests, counters.refused), (3, 2));

    // The ticket is good once.
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connects");
    drop(socket);
    let err = tokio_tungstenite::connect_async(url)
        .await
        .expect_err("used ticket");
    let tokio_tungstenite::tungstenite::Error::Http(resp) = err else {
        panic!("not an HTTP refusal: {err}");
    };
    assert_eq!(
        resp.headers().get("Handshake-Status").map(|v| v.as_bytes()),
        Some(&b"514"[..])
    );
}

#[tokio::test]
async fn handshake_refusals_carry_the_handshake_headers() {
    let (fake, _dir) = fake_with(FakeConfig::default()).await;
    fake.ws_refuse_next_handshake(HandshakeRefusal::too_many_connections());
    let answer = endpoint(&fake, "fake_secret").await;
    let url = answer["data"]["URL"].as_str().expect("URL");
    let err = tokio_tungstenite::connect_async(url)
        .await
        .expect_err("refused");
    let tokio_tungstenite::tungstenite::Error::Http(resp) = err else {
        panic!("not an HTTP refusal: {err}");
    };
    let h = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(h("Handshake-Status").as_deref(), Some("514"));
    assert_eq!(h("Handshake-Autherrcode").as_deref(), Some("1000040350"));
    assert_eq!(
        h("Handshake-Msg").as_deref(),
        Some("exceed connection limit")
    );
    // The refusal was used up; the ticket was not.
    let (_socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connects");
    assert!(fake.ws_wait_connections(1, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn pings_pushes_fragments_and_acks() {
    let (fake, _dir) = fake_with(FakeConfig::default()).await;
    let (mut socket, service) = connect(&fake).await;
    assert!(fake.ws_wait_connections(1, Duration::from_secs(5)).await);

    socket.send(ping(service)).await.expect("ping");
    let pong = next_frame(&mut socket).await;
    assert_eq!(
        (pong.method, pong.header("type")),
        (METHOD_CONTROL, Some("pong"))
    );
    assert_eq!(pong.payload, None, "no config change yet");
    fake.ws_set_ping_interval(5);
    socket.send(ping(service)).await.expect("ping");
    let pong = next_frame(&mut socket).await;
    let config: Value = serde_json::from_slice(pong.payload.as_deref().expect("config"))
        .expect("ClientConfig JSON");
    assert_eq!(config["PingInterval"], 5);
    assert_eq!(fake.ws_pings(), 2);

    // A fragmented event, reassembled.
    let (event_id, env) = fake.event_envelope("im.message.receive_v1", None);
    let message_id = fake.ws_push_with(
        &env,
        WsPush {
            fragment_size: Some(40),
            reverse_fragments: true,
            ..WsPush::default()
        },
    );
    let first = next_frame(&mut socket).await;
    let sum: usize = first.header("sum").expect("sum").parse().expect("number");
    assert!(sum > 2, "{sum} fragments");
    let mut parts = vec![Vec::new(); sum];
    let mut last = first.clone();
    let mut frame = first;
    for i in 0..sum {
        if i > 0 {
            frame = next_frame(&mut socket).await;
        }
        assert_eq!(frame.method, METHOD_DATA);
        assert_eq!(frame.service, service);
        assert_eq!(frame.header("type"), Some("event"));
        assert_eq!(frame.header("message_id"), Some(message_id.as_str()));
        let seq: usize = frame.header("seq").expect("seq").parse().expect("number");
        assert!(frame.payload.as_ref().is_some_and(|p| p.len() <= 40));
        parts[seq] = frame.payload.clone().unwrap_or_default();
        last = frame.clone();
    }
    let whole: Value = serde_json::from_slice(&parts.concat()).expect("JSON");
    assert_eq!(whole, env);
    socket.send(ack(last, 200, &json!({}))).await.expect("ack");
    let acks = fake.ws_wait_acks(1, Duration::from_secs(5)).await;
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].message_id, message_id);
    assert_eq!(acks[0].event_id.as_deref(), Some(event_id.as_str()));
    assert_eq!(
        (acks[0].code, acks[0].biz_rt, acks[0].service),
        (200, Some(7), service)
    );
    assert_eq!(acks[0].data, json!({}));
    assert_eq!(acks[0].frame_type, "event");

    // A callback goes as type=card, and its answer is recorded.
    let (_, env) = fake.event_envelope("card.action.trigger", None);
    fake.ws_push(&env);
    let frame = next_frame(&mut socket).await;
    assert_eq!(frame.header("type"), Some("card"));
    assert_eq!(frame.header("sum"), Some("1"));
    let answer = json!({"toast": {"type": "info", "content": "hi"}});
    socket.send(ack(frame, 200, &answer)).await.expect("ack");
    let acks = fake.ws_wait_acks(2, Duration::from_secs(5)).await;
    assert_eq!(acks[1].data, answer);
    assert_eq!(acks[1].frame_type, "card");
    let counters = fake.ws_counters();
    assert_eq!(counters.repushes, 0);
    assert_eq!(counters.wrong_service, 0);
    assert_eq!(counters.connections_open, 1);
}

#[tokio::test]
async fn unacked_events_are_pushed_again_with_the_same_event_id() {
    let config = FakeConfig {
        ws: WsFakeConfig {
            ack_timeout: Duration::from_millis(300),
            max_repush: 1,
            ..WsFakeConfig::default()
        },
        ..FakeConfig::default()
    };
    let (fake, _dir) = fake_with(config).await;
    // Pushed before any client connects: waits for one.
    let (event_id, env) = fake.event_envelope("im.message.receive_v1", None);
    let first_id = fake.ws_push(&env);
    let (mut socket, _) = connect(&fake).await;
    let first = next_frame(&mut socket).await;
    assert_eq!(first.header("message_id"), Some(first_id.as_str()));
    let again = next_frame(&mut socket).await;
    assert_ne!(again.header("message_id"), Some(first_id.as_str()));
    let body: Value =
        serde_json::from_slice(again.payload.as_deref().unwrap_or_default()).expect("JSON");
    assert_eq!(body["header"]["event_id"], json!(event_id));
    // Never acked: given up after one re-push.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while fake.ws_counters().unacked == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let counters = fake.ws_counters();
    assert_eq!(
        (counters.deliveries, counters.repushes, counters.unacked),
        (2, 1, 1)
    );

    // Acked in time: no re-push.
    let (_, env) = fake.event_envelope("im.message.receive_v1", None);
    fake.ws_push(&env);
    let frame = next_frame(&mut socket).await;
    socket.send(ack(frame, 200, &json!({}))).await.expect("ack");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.ws_counters().repushes, 1);
}

#[tokio::test]
async fn dropped_connections_close_and_new_ones_are_counted() {
    let (fake, _dir) = fake_with(FakeConfig::default()).await;
    let (mut socket, _) = connect(&fake).await;
    assert!(fake.ws_wait_connections(1, Duration::from_secs(5)).await);
    assert_eq!(fake.ws_drop_connections(), 1);
    let end = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("ends in time");
    assert!(
        !matches!(end, Some(Ok(Message::Binary(_)))),
        "the socket ends: {end:?}"
    );
    let (_socket, _) = connect(&fake).await;
    assert!(fake.ws_wait_handshakes(2, Duration::from_secs(5)).await);
    assert!(fake.ws_wait_connections(1, Duration::from_secs(5)).await);
    assert_eq!(fake.ws_connections(), 1);
}

// ---- delivered messages -------------------------------------------------------------

#[tokio::test]
async fn delivered_messages_can_be_downloaded_and_replied_to() {
    let (fake, _dir) = fake_with(FakeConfig::default()).await;
    let http = reqwest::Client::new();
    let token = tenant_token(&fake).await;

    let (text_id, env) = fake.deliver_message("oc_fake_1", MsgIn::Text("hello".into()));
    let message = &env["event"]["message"];
    assert_eq!(message["message_id"], json!(text_id));
    assert_eq!(message["message_type"], "text");
    assert_eq!(message["chat_id"], "oc_fake_1");
    assert_eq!(message["chat_type"], "group");
    assert!(message.get("mentions").is_none());
    let content: Value =
        serde_json::from_str(message["content"].as_str().expect("content")).expect("JSON");
    assert_eq!(content, json!({"text": "hello"}));
    assert_eq!(env["event"]["sender"]["sender_id"]["open_id"], "ou_fake_1");
    assert_eq!(env["event"]["sender"]["sender_type"], "user");

    let bytes = b"some file bytes".to_vec();
    let (file_id, env) = fake.deliver_message(
        "oc_fake_2",
        MsgIn::File {
            name: "notes.txt".into(),
            bytes: bytes.clone(),
        },
    );
    let content: Value = serde_json::from_str(
        env["event"]["message"]["content"]
            .as_str()
            .expect("content"),
    )
    .expect("JSON");
    assert_eq!(content["file_name"], "notes.txt");
    let file_key = content["file_key"].as_str().expect("file_key");
    let resp = http
        .get(format!(
            "{}/open-apis/im/v1/messages/{file_id}/resources/{file_key}?type=file",
            fake.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.expect("body").to_vec(), bytes);

    let (image_id, env) = fake.deliver_message(
        "oc_fake_1",
        MsgIn::Image {
            bytes: b"\x89PNG\r\n\x1a\nrest".to_vec(),
        },
    );
    let content: Value = serde_json::from_str(
        env["event"]["message"]["content"]
            .as_str()
            .expect("content"),
    )
    .expect("JSON");
    let image_key = content["image_key"].as_str().expect("image_key");
    let resp = http
        .get(format!(
            "{}/open-apis/im/v1/messages/{image_id}/resources/{image_key}?type=image",
            fake.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status(), 200);

    let url = format!(
        "{}/open-apis/im/v1/messages/{text_id}/reply",
        fake.base_url()
    );
    let body = json!({"msg_type": "text", "content": "{\"text\":\"hello\"}"});
    let answer = post_json(&url, Some(&token), &body).await;
    assert_eq!(answer["code"], 0, "{answer}");
    let replies = fake.replies_to(&text_id);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].msg_type, "text");
    assert_eq!(replies[0].content_json(), json!({"text": "hello"}));
    assert!(replies[0].from_app);
    assert!(fake.replies_to(&file_id).is_empty());

    // An unknown chat becomes a group chat.
    let (_, env) = fake.deliver_message("oc_new", MsgIn::Text("x".into()));
    assert_eq!(env["event"]["message"]["chat_type"], "group");
}
