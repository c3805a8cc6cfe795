//! The long connection against an in-process server over 127.0.0.1: a raw HTTP endpoint and
//! a tokio-tungstenite WebSocket server speaking the frame protocol.

// tungstenite's handshake callback returns its (large) `ErrorResponse` by value.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::frame::{Frame, Header, METHOD_CONTROL, METHOD_DATA};
use super::*;
use crate::events::{Callback, CallbackAnswer, Dispatcher, Event, EventContext, RawEvent, Toast};
use crate::Client;

const SECRET: &str = "s3cret-app-value";
const SERVICE_ID: i32 = 7;
const WAIT: Duration = Duration::from_secs(10);

type ServerWs = WebSocketStream<TcpStream>;

/// A minimal HTTP/1.1 server answering every request with `answer(n)` (n = the call's
/// index), recording the request bodies.
async fn endpoint_server(
    answer: impl Fn(usize) -> String + Send + Sync + 'static,
) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&bodies);
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let Ok(read) = stream.read(&mut chunk).await else {
                    break None;
                };
                if read == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..read]);
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    break Some(String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned());
                }
            };
            let Some(body) = body else { continue };
            recorded.lock().unwrap().push(body);
            let text = answer(n);
            n += 1;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (port, bodies)
}

fn ok_answer(ws_port: u16, config: Value) -> String {
    json!({
        "code": 0, "msg": "ok",
        "data": {
            "URL": format!("ws://127.0.0.1:{ws_port}/ws?device_id=dev-1&service_id={SERVICE_ID}&ticket=tkt-secret"),
            "ClientConfig": config,
        }
    })
    .to_string()
}

fn quick_config() -> Value {
    json!({"ReconnectCount": 3, "ReconnectInterval": 0, "ReconnectNonce": 0, "PingInterval": 120})
}

fn client(http_port: u16) -> Client {
    Client::builder("cli_test_app", SECRET)
        .base_url(format!("http://127.0.0.1:{http_port}"))
        .build()
        .unwrap()
}

async fn accept(listener: &TcpListener) -> ServerWs {
    let (stream, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .expect("the client connects")
        .unwrap();
    tokio_tungstenite::accept_async(stream).await.unwrap()
}

/// The next frame from the client, skipping pings unless `pings` is true.
async fn next_frame(ws: &mut ServerWs, pings: bool) -> Frame {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("the connection is open")
            .unwrap();
        let Message::Binary(bytes) = message else {
            continue;
        };
        let frame = Frame::from_bytes(bytes).unwrap();
        if !pings && frame.header("type") == Some("ping") {
            continue;
        }
        return frame;
    }
}

fn header(key: &str, value: &str) -> Header {
    Header {
        key: key.into(),
        value: value.into(),
    }
}

fn data_frame(kind: &str, message_id: &str, sum: usize, seq: usize, payload: &[u8]) -> Frame {
    Frame {
        seq_id: 1,
        log_id: 2,
        service: SERVICE_ID,
        method: METHOD_DATA,
        headers: vec![
            header("type", kind),
            header("message_id", message_id),
            header("sum", &sum.to_string()),
            header("seq", &seq.to_string()),
            header("trace_id", "trace-1"),
        ],
        payload: Some(bytes::Bytes::copy_from_slice(payload)),
        ..Frame::default()
    }
}

async fn send(ws: &mut ServerWs, frame: Frame) {
    ws.send(Message::Binary(frame.to_bytes().into()))
        .await
        .unwrap();
}

fn envelope(event_id: &str, event_type: &str, event: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schema": "2.0",
        "header": {
            "event_id": event_id, "event_type": event_type, "create_time": "1700000000000",
            "token": "vt", "app_id": "cli_test_app", "tenant_key": "tk"
        },
        "event": event,
    }))
    .unwrap()
}

/// The acknowledgement's `code` and decoded `data`.
fn ack_of(frame: &Frame) -> (i64, Vec<u8>) {
    let v: Value = serde_json::from_slice(frame.payload()).unwrap();
    let data = base64::engine::general_purpose::STANDARD
        .decode(v["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(v["headers"], json!({}));
    (v["code"].as_i64().unwrap(), data)
}

#[tokio::test]
async fn ws_event_round_trip_fragments_pong_config_and_shutdown() {
    let ws_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_port = ws_listener.local_addr().unwrap().port();
    let (http_port, bodies) = endpoint_server(move |_| ok_answer(ws_port, quick_config())).await;

    let (tx, mut received) = mpsc::unbounded_channel();
    let dispatcher = Dispatcher::builder()
        .on_unknown(move |raw: RawEvent| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((raw.header.event_type, raw.event));
                Ok(())
            }
        })
        .build();
    let conn = LongConnection::builder(&client(http_port), dispatcher).build();
    let handle = conn.shutdown_handle();
    let mut status = conn.status();
    assert_eq!(*status.borrow(), ConnectionStatus::NotStarted);
    let run = tokio::spawn(conn.run());

    let mut server = accept(&ws_listener).await;
    // The first frame is a ping carrying the URL's service id.
    let ping = next_frame(&mut server, true).await;
    assert_eq!(ping.method, METHOD_CONTROL);
    assert_eq!(ping.header("type"), Some("ping"));
    assert_eq!(ping.service, SERVICE_ID);
    tokio::time::timeout(WAIT, status.wait_for(|s| s.is_connected()))
        .await
        .unwrap()
        .unwrap();

    // One event in two fragments, the second first.
    let body = envelope("ev-1", "test.thing_happened_v1", json!({"n": 1}));
    let (a, b) = body.split_at(body.len() / 2);
    send(&mut server, data_frame("event", "msg-1", 2, 1, b)).await;
    send(&mut server, data_frame("event", "msg-1", 2, 0, a)).await;

    let ack = next_frame(&mut server, false).await;
    assert_eq!(ack.method, METHOD_DATA);
    assert_eq!(ack.service, SERVICE_ID);
    assert_eq!(ack.header("message_id"), Some("msg-1"));
    assert_eq!(ack.header("trace_id"), Some("trace-1"));
    let biz_rt: u64 = ack.header("biz_rt").unwrap().parse().unwrap();
    assert!(biz_rt < 5_000, "{biz_rt}");
    let (code, data) = ack_of(&ack);
    assert_eq!(code, 200);
    assert_eq!(serde_json::from_slice::<Value>(&data).unwrap(), json!({}));

    let (event_type, event) = tokio::time::timeout(WAIT, received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event_type, "test.thing_happened_v1");
    assert_eq!(event, json!({"n": 1}));

    // The same event pushed again (a new message id): acknowledged, not handled twice.
    send(&mut server, data_frame("event", "msg-1-again", 1, 0, &body)).await;
    let ack = next_frame(&mut server, false).await;
    assert_eq!(ack.header("message_id"), Some("msg-1-again"));
    assert_eq!(ack_of(&ack).0, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(received.try_recv().is_err(), "a duplicate was handled");

    // A pong carrying a new config: applied, and pings follow the new interval.
    let pong = Frame {
        service: SERVICE_ID,
        method: METHOD_CONTROL,
        headers: vec![header("type", "pong")],
        payload: Some(bytes::Bytes::from_static(
            br#"{"PingInterval":1,"ReconnectCount":5}"#,
        )),
        ..Frame::default()
    };
    send(&mut server, pong).await;
    tokio::time::timeout(
        WAIT,
        status.wait_for(|s| {
            matches!(s, ConnectionStatus::Connected { settings, .. }
                if settings.ping_interval == Duration::from_secs(1) && settings.reconnect_count == Some(5))
        }),
    )
    .await
    .unwrap()
    .unwrap();
    let ping = next_frame(&mut server, true).await;
    assert_eq!(ping.header("type"), Some("ping"));

    // Shutdown: a close frame, and `run` returns Ok.
    handle.shutdown();
    let closed = tokio::time::timeout(WAIT, async {
        while let Some(message) = server.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame;
            }
        }
        None
    })
    .await
    .unwrap();
    assert!(closed.is_some(), "a close frame with a code");
    tokio::time::timeout(WAIT, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(*status.borrow(), ConnectionStatus::Stopped);

    // The endpoint call carried the credentials as the platform expects them.
    let bodies = bodies.lock().unwrap();
    let sent: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(sent, json!({"AppID": "cli_test_app", "AppSecret": SECRET}));
}

#[derive(Debug, serde::Deserialize)]
struct TestCardAction {
    action: Value,
}

impl Event for TestCardAction {
    const EVENT_TYPE: &'static str = "card.action.trigger";
}
impl Callback for TestCardAction {}

#[tokio::test]
async fn ws_card_frames_are_answered_not_dropped() {
    let ws_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_port = ws_listener.local_addr().unwrap().port();
    let (http_port, _) = endpoint_server(move |_| ok_answer(ws_port, quick_config())).await;
    let dispatcher = Dispatcher::builder()
        .on_callback::<TestCardAction, _, _>(|ctx: EventContext<TestCardAction>| async move {
            let clicked = ctx.event.action["value"]["k"]
                .as_str()
                .unwrap_or("?")
                .to_owned();
            Ok(CallbackAnswer::toast(Toast::success(format!(
                "clicked {clicked}"
            ))))
        })
        .build();
    let conn = LongConnection::builder(&client(http_port), dispatcher).build();
    let handle = conn.shutdown_handle();
    let run = tokio::spawn(conn.run());
    let mut server = accept(&ws_listener).await;

    let body = envelope(
        "ev-card-1",
        "card.action.trigger",
        json!({"action": {"value": {"k": "v"}, "tag": "button"}, "operator": {"open_id": "ou_1"}}),
    );
    send(&mut server, data_frame("card", "msg-card", 1, 0, &body)).await;
    let ack = next_frame(&mut server, false).await;
    assert_eq!(ack.header("message_id"), Some("msg-card"));
    assert!(ack.header("biz_rt").is_some());
    let (code, data) = ack_of(&ack);
    assert_eq!(code, 200);
    let answer: Value = serde_json::from_slice(&data).unwrap();
    assert_eq!(answer["toast"]["content"], "clicked v", "{answer}");

    // A body the dispatcher refuses is acknowledged with code 500.
    send(
        &mut server,
        data_frame("event", "msg-bad", 1, 0, b"not json"),
    )
    .await;
    let ack = next_frame(&mut server, false).await;
    assert_eq!(ack.header("message_id"), Some("msg-bad"));
    assert_eq!(ack_of(&ack).0, 500);

    handle.shutdown();
    tokio::time::timeout(WAIT, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn ws_reconnects_after_a_drop_with_a_fresh_endpoint_call() {
    let ws_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_port = ws_listener.local_addr().unwrap().port();
    let (http_port, bodies) = endpoint_server(move |_| ok_answer(ws_port, quick_config())).await;
    let conn = LongConnection::builder(&client(http_port), Dispatcher::builder().build()).build();
    let handle = conn.shutdown_handle();
    let mut status = conn.status();
    let run = tokio::spawn(conn.run());

    let mut first = accept(&ws_listener).await;
    let _ = next_frame(&mut first, true).await;
    first.close(None).await.unwrap();
    drop(first);

    let mut second = accept(&ws_listener).await;
    let _ = next_frame(&mut second, true).await;
    tokio::time::timeout(
        WAIT,
        status.wait_for(|s| {
            matches!(
                s,
                ConnectionStatus::Connected {
                    connection_number: 2,
                    ..
                }
            )
        }),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(bodies.lock().unwrap().len(), 2);

    // Events flow on the new connection.
    send(
        &mut second,
        data_frame(
            "event",
            "msg-2",
            1,
            0,
            &envelope("ev-2", "test.x_v1", json!({})),
        ),
    )
    .await;
    let ack = next_frame(&mut second, false).await;
    assert_eq!(ack_of(&ack).0, 200);

    handle.shutdown();
    tokio::time::timeout(WAIT, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn ws_endpoint_auth_failure_is_fatal_and_named() {
    let (http_port, bodies) =
        endpoint_server(|_| json!({"code": 514, "msg": "auth failed"}).to_string()).await;
    let conn = LongConnection::builder(&client(http_port), Dispatcher::builder().build()).build();
    let err = tokio::time::timeout(WAIT, conn.run())
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            err,
            WsError::AuthFailed {
                stage: Stage::Endpoint,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(bodies.lock().unwrap().len(), 1, "no retry");
}

#[tokio::test]
async fn ws_handshake_refusal_headers_are_reported_by_name() {
    let ws_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_port = ws_listener.local_addr().unwrap().port();
    let (http_port, _) = endpoint_server(move |_| ok_answer(ws_port, quick_config())).await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = ws_listener.accept().await {
            let _ = tokio_tungstenite::accept_hdr_async(stream, |_: &Request, _: Response| {
                let refusal: ErrorResponse = http::Response::builder()
                    .status(403)
                    .header("Handshake-Status", "514")
                    .header("Handshake-Msg", "too many connections")
                    .header("Handshake-Autherrcode", "1000040350")
                    .body(None)
                    .unwrap();
                Err(refusal)
            })
            .await;
        }
    });
    let conn = LongConnection::builder(&client(http_port), Dispatcher::builder().build()).build();
    let err = tokio::time::timeout(WAIT, conn.run())
        .await
        .unwrap()
        .unwrap_err();
    match err {
        WsError::TooManyConnections { stage, msg } => {
            assert_eq!(stage, Stage::Handshake);
            assert_eq!(msg, "too many connections");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn ws_retryable_failures_stop_after_the_reconnect_count() {
    let ws_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_port = ws_listener.local_addr().unwrap().port();
    let config = json!({"ReconnectCount": 2, "ReconnectInterval": 0, "ReconnectNonce": 0, "PingInterval": 120});
    let (http_port, bodies) = endpoint_server(move |_| ok_answer(ws_port, config.clone())).await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = ws_listener.accept().await {
            let _ = tokio_tungstenite::accept_hdr_async(stream, |_: &Request, _: Response| {
                let refusal: ErrorResponse =
                    http::Response::builder().status(502).body(None).unwrap();
                Err(refusal)
            })
            .await;
        }
    });
    let conn = LongConnection::builder(&client(http_port), Dispatcher::builder().build()).build();
    let mut status = conn.status();
    let err = tokio::time::timeout(WAIT, conn.run())
        .await
        .unwrap()
        .unwrap_err();
    match &err {
        WsError::ReconnectExhausted { attempts, last } => {
            assert_eq!(*attempts, 2);
            assert!(
                matches!(
                    **last,
                    WsError::Handshake {
                        http_status: 502,
                        ..
                    }
                ),
                "{last:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The first try, then two reconnection tries, each with its own endpoint call.
    assert_eq!(bodies.lock().unwrap().len(), 3);
    assert_eq!(*status.borrow_and_update(), ConnectionStatus::Stopped);
}

#[tokio::test]
async fn ws_shutdown_before_run_returns_at_once_and_while_waiting() {
    let conn = LongConnection::builder(&client(9), Dispatcher::builder().build())
        .endpoint_url("http://127.0.0.1:9/callback/ws/endpoint")
        .build();
    let handle = conn.shutdown_handle();
    handle.shutdown();
    assert!(handle.is_shutdown());
    tokio::time::timeout(WAIT, conn.run())
        .await
        .unwrap()
        .unwrap();

    // Busy endpoint: the connection waits (default jitter up to 30 s); shutdown cuts it short.
    let (http_port, _) =
        endpoint_server(|_| json!({"code": 1, "msg": "system busy"}).to_string()).await;
    let conn = LongConnection::builder(&client(http_port), Dispatcher::builder().build()).build();
    let handle = conn.shutdown_handle();
    let mut status = conn.status();
    let run = tokio::spawn(conn.run_until(async move {
        let _ = status
            .wait_for(|s| matches!(s, ConnectionStatus::Reconnecting { .. }))
            .await;
    }));
    tokio::time::timeout(WAIT, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // Ended by the signal: the handle shows the shutdown.
    assert!(handle.is_shutdown());
}
