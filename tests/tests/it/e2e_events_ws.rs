//! Events over the long connection, over loopback: the SDK's `LongConnection` against the
//! fake's endpoint and WebSocket, which pushes, fragments, drops, re-pushes and refuses.
//!
//! Every wait is on a channel, a watch or the fake's counters; the timeouts ([`TIMEOUT`])
//! only guard against a hang.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lark_openapi::card::v1::events::ActionTrigger;
use lark_openapi::events::ws::{ConnectionStatus, LongConnection, Stage, WsError};
use lark_openapi::events::{
    CallbackAnswer, Channel, Dispatcher, DispatcherBuilder, EventContext, RawEvent, Toast,
};
use lark_openapi::im::v1::events::MessageReceiveV1;
use lark_openapi::Client;
use lark_tests::harness::events::{
    client_of, inbox, json_differences, wait_ack, without_nulls, Inbox, Outbox, RunningConnection,
    TIMEOUT,
};
use lark_tests::harness::logs::CapturedLogs;
use lark_tests::{FakeConfig, FakeLark, HandshakeRefusal, WsFakeConfig, WsPush};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

const RECEIVE: &str = "im.message.receive_v1";

async fn fake_with(ws: WsFakeConfig) -> FakeLark {
    FakeLark::start(FakeConfig {
        ws,
        ..FakeConfig::default()
    })
    .await
    .expect("fake starts")
}

/// The fake's app's dispatcher: a `MessageReceiveV1` handler recording into the first
/// inbox, `on_unknown` into the second.
fn receiving(fake: &FakeLark) -> (DispatcherBuilder, Inbox, Inbox) {
    let (out, handled) = inbox(RECEIVE);
    let (unknown_out, unknown) = inbox("on_unknown");
    let builder = Dispatcher::builder()
        .verification_token(fake.config().verification_token.clone())
        .on::<MessageReceiveV1, _, _>(record_message(out))
        .on_unknown(move |raw: RawEvent| {
            unknown_out.record(raw.header, raw.channel, raw.event);
            std::future::ready(Ok(()))
        });
    (builder, handled, unknown)
}

fn record_message(
    out: Outbox,
) -> impl Fn(
    EventContext<MessageReceiveV1>,
) -> std::future::Ready<Result<(), lark_openapi::events::HandlerError>>
       + Send
       + Sync
       + 'static {
    move |ctx: EventContext<MessageReceiveV1>| {
        let event = serde_json::to_value(&ctx.event).expect("serializes");
        out.record(ctx.header, ctx.channel, event);
        std::future::ready(Ok(()))
    }
}

/// The spec's example of `im.message.receive_v1`.
fn receive_example(fake: &FakeLark) -> Value {
    Value::Object(fake.event_catalogue().get(RECEIVE).unwrap().example.clone())
}

fn assert_is_example(fake: &FakeLark, event: &Value, what: &str) {
    let diff = json_differences(
        &without_nulls(&receive_example(fake)),
        &without_nulls(event),
    );
    assert!(diff.is_empty(), "{what}: the event differs: {diff:?}");
}

/// Polls `f` until true; a panic naming `what` after [`TIMEOUT`].
async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let reached = tokio::time::timeout(TIMEOUT, async {
        while !f() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        reached.is_ok(),
        "{what}: not reached within {} s",
        TIMEOUT.as_secs()
    );
}

// ---------------------------------------------------------------------------------------
// Events and acks

#[tokio::test]
async fn an_event_is_acknowledged_with_biz_rt_and_handled() {
    let fake = fake_with(WsFakeConfig::default()).await;
    let client = client_of(&fake);
    let (builder, mut handled, mut unknown) = receiving(&fake);
    let conn = RunningConnection::connect(&client, builder.build()).await;
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let message_id = fake.ws_push(&env);
    let ack = wait_ack(&fake, RECEIVE, &message_id, 1).await;
    assert_eq!(ack.code, 200, "{ack:?}");
    assert!(ack.biz_rt.is_some(), "biz_rt header: {ack:?}");
    assert_eq!(ack.frame_type, "event");
    assert_eq!(ack.data, json!({}));
    assert_eq!(ack.event_id.as_deref(), Some(id.as_str()));
    let got = handled.next().await;
    assert_eq!(got.header.event_id, id);
    assert_eq!(got.channel, Channel::LongConnection);
    assert_is_example(&fake, &got.event, "over the long connection");
    unknown.assert_empty("a typed event");
    let counters = fake.ws_counters();
    assert_eq!(
        counters.wrong_service, 0,
        "frames carry the service id: {counters:?}"
    );
    assert_eq!(counters.undecodable, 0, "{counters:?}");
    assert!(counters.pings >= 1, "the SDK pings at once: {counters:?}");
    conn.stop("ack test").await.expect("graceful shutdown");
}

#[tokio::test]
async fn fragmented_frames_are_reassembled_in_any_order() {
    let fake = fake_with(WsFakeConfig {
        fragment_size: Some(64),
        ..WsFakeConfig::default()
    })
    .await;
    let client = client_of(&fake);
    let (builder, mut handled, _unknown) = receiving(&fake);
    let conn = RunningConnection::connect(&client, builder.build()).await;

    let (id, env) = fake.event_envelope(RECEIVE, None);
    let size = serde_json::to_vec(&env).unwrap().len();
    assert!(
        size > 64 * 4,
        "the envelope makes several fragments ({size} bytes)"
    );
    let message_id = fake.ws_push(&env);
    let ack = wait_ack(&fake, "fragments of 64 bytes", &message_id, 1).await;
    assert_eq!(ack.code, 200, "{ack:?}");
    let got = handled.next().await;
    assert_eq!(got.header.event_id, id);
    assert_is_example(&fake, &got.event, "reassembled from 64-byte fragments");
    let frames = fake.ws_counters().data_frames_sent;
    assert!(frames >= size / 64, "{frames} frames for {size} bytes");

    // Last fragment first.
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let message_id = fake.ws_push_with(
        &env,
        WsPush {
            fragment_size: Some(100),
            reverse_fragments: true,
            ..WsPush::default()
        },
    );
    let ack = wait_ack(&fake, "reversed fragments", &message_id, 2).await;
    assert_eq!(ack.code, 200, "{ack:?}");
    let got = handled.next().await;
    assert_eq!(got.header.event_id, id);
    assert_is_example(&fake, &got.event, "reassembled from reversed fragments");

    // Eight bytes per fragment (well over a hundred fragments; the SDK caps them at 1024).
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let message_id = fake.ws_push_with(
        &env,
        WsPush {
            fragment_size: Some(8),
            ..WsPush::default()
        },
    );
    let ack = wait_ack(&fake, "8-byte fragments", &message_id, 3).await;
    assert_eq!(ack.code, 200, "{ack:?}");
    assert_eq!(handled.next().await.header.event_id, id);
    handled.assert_empty("each event once");
    conn.stop("fragments").await.expect("graceful shutdown");
}

#[tokio::test]
async fn a_dropped_connection_is_resumed() {
    let fake = fake_with(WsFakeConfig {
        reconnect_interval_s: 1,
        reconnect_nonce_s: 0,
        ..WsFakeConfig::default()
    })
    .await;
    let client = client_of(&fake);
    let (builder, mut handled, _unknown) = receiving(&fake);
    let mut conn = RunningConnection::connect(&client, builder.build()).await;
    let first = conn.status.borrow().clone();
    let ConnectionStatus::Connected {
        connection_number, ..
    } = first
    else {
        panic!("connected: {first:?}")
    };
    assert_eq!(connection_number, 1);

    // Record every status from now on.
    let seen = Arc::new(Mutex::new(Vec::<ConnectionStatus>::new()));
    let mut rx = conn.status.clone();
    rx.mark_unchanged();
    let recorder = tokio::spawn({
        let seen = seen.clone();
        async move {
            while rx.changed().await.is_ok() {
                let status = rx.borrow_and_update().clone();
                seen.lock().unwrap().push(status);
            }
        }
    });

    assert_eq!(fake.ws_drop_connections(), 1);
    let status = conn
        .wait_for("reconnected after the drop", |s| {
            matches!(s, ConnectionStatus::Connected { connection_number, .. } if *connection_number == 2)
        })
        .await;
    assert!(status.is_connected());
    let statuses = seen.lock().unwrap().clone();
    let reconnecting = statuses
        .iter()
        .position(|s| matches!(s, ConnectionStatus::Reconnecting { .. }));
    let connected = statuses.iter().position(ConnectionStatus::is_connected);
    assert!(
        matches!((reconnecting, connected), (Some(r), Some(c)) if r < c),
        "Reconnecting, then Connected: {statuses:?}"
    );

    // The next event arrives on the new connection.
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let message_id = fake.ws_push(&env);
    let ack = wait_ack(&fake, "after the reconnection", &message_id, 1).await;
    assert_eq!(ack.code, 200, "{ack:?}");
    assert_eq!(handled.next().await.header.event_id, id);
    let counters = fake.ws_counters();
    assert_eq!(counters.connections_total, 2, "{counters:?}");
    assert_eq!(counters.connections_open, 1, "{counters:?}");
    assert!(
        counters.endpoint_requests >= 2,
        "a fresh endpoint call: {counters:?}"
    );
    conn.stop("after the reconnection")
        .await
        .expect("graceful shutdown");
    recorder.abort();
}

#[tokio::test]
async fn a_slow_handler_does_not_cause_a_repush() {
    let ack_timeout = Duration::from_millis(500);
    let fake = fake_with(WsFakeConfig {
        ack_timeout,
        ..WsFakeConfig::default()
    })
    .await;
    let client = client_of(&fake);
    let release = Arc::new(Notify::new());
    let finished = Arc::new(AtomicBool::new(false));
    let (calls_tx, mut calls) = mpsc::unbounded_channel::<String>();
    let dispatcher = Dispatcher::builder()
        .on::<MessageReceiveV1, _, _>({
            let (release, finished) = (release.clone(), finished.clone());
            move |ctx: EventContext<MessageReceiveV1>| {
                let (release, finished) = (release.clone(), finished.clone());
                let calls_tx = calls_tx.clone();
                async move {
                    let _ = calls_tx.send(ctx.header.event_id);
                    // Slower than the fake's ack timeout: it waits for the test.
                    release.notified().await;
                    finished.store(true, Ordering::SeqCst);
                    Ok(())
                }
            }
        })
        .build();
    let conn = RunningConnection::connect(&client, dispatcher).await;
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let message_id = fake.ws_push(&env);
    let ack = wait_ack(&fake, "a slow handler's event", &message_id, 1).await;
    assert_eq!(ack.code, 200, "{ack:?}");
    assert!(
        !finished.load(Ordering::SeqCst),
        "the ack waited for the handler"
    );
    // Let the handler run well past the ack timeout before it finishes.
    tokio::time::sleep(ack_timeout * 3).await;
    release.notify_one();
    until("the handler finishes", || finished.load(Ordering::SeqCst)).await;
    let counters = fake.ws_counters();
    assert_eq!(
        counters.repushes, 0,
        "a slow handler caused a re-push: {counters:?}"
    );
    assert_eq!(counters.deliveries, 1, "{counters:?}");
    assert_eq!(calls.recv().await.as_deref(), Some(id.as_str()));
    assert!(calls.try_recv().is_err(), "the handler ran twice");
    conn.stop("slow handler").await.expect("graceful shutdown");
}

#[tokio::test]
async fn an_unacknowledged_callback_pushed_again_is_handled_once() {
    // A callback is answered after its handler: a handler slower than the fake's ack
    // timeout leaves the push unacknowledged, and the fake pushes it again (same event id,
    // new message id). The re-push is acknowledged at once without running the handler
    // again; the first push gets the handler's answer when it is ready.
    let fake = fake_with(WsFakeConfig {
        ack_timeout: Duration::from_millis(300),
        max_repush: 3,
        ..WsFakeConfig::default()
    })
    .await;
    let client = client_of(&fake);
    let release = Arc::new(Notify::new());
    let (calls_tx, mut calls) = mpsc::unbounded_channel::<String>();
    let dispatcher = Dispatcher::builder()
        .callback_timeout(Duration::from_secs(30))
        .on_callback::<ActionTrigger, _, _>({
            let release = release.clone();
            move |ctx: EventContext<ActionTrigger>| {
                let release = release.clone();
                let calls_tx = calls_tx.clone();
                async move {
                    let _ = calls_tx.send(ctx.header.event_id);
                    release.notified().await;
                    Ok(CallbackAnswer::toast(Toast::success("late but once")))
                }
            }
        })
        .build();
    let conn = RunningConnection::connect(&client, dispatcher).await;
    let (id, env) = fake.event_envelope("card.action.trigger", None);
    let first = fake.ws_push(&env);
    // The re-push's ack comes first, while the handler still waits.
    let acks = fake.ws_wait_acks(1, TIMEOUT).await;
    let repush_ack = acks.first().cloned().expect("the re-push is acknowledged");
    assert_ne!(
        repush_ack.message_id, first,
        "the first push is not acked yet"
    );
    assert_eq!(repush_ack.event_id.as_deref(), Some(id.as_str()));
    assert_eq!(repush_ack.code, 200, "{repush_ack:?}");
    assert!(fake.ws_counters().repushes >= 1);
    release.notify_one();
    let ack = wait_ack(&fake, "the first push, answered", &first, 2).await;
    assert_eq!(ack.code, 200, "{ack:?}");
    assert_eq!(
        ack.data,
        json!({"toast": {"type": "success", "content": "late but once"}})
    );
    assert_eq!(calls.recv().await.as_deref(), Some(id.as_str()));
    assert!(
        calls.try_recv().is_err(),
        "the re-pushed callback ran the handler again"
    );
    conn.stop("re-push").await.expect("graceful shutdown");
}

#[tokio::test]
async fn the_same_event_pushed_twice_is_handled_once() {
    let fake = fake_with(WsFakeConfig::default()).await;
    let client = client_of(&fake);
    let (builder, mut handled, _unknown) = receiving(&fake);
    let conn = RunningConnection::connect(&client, builder.build()).await;
    let (id, env) = fake.event_envelope(RECEIVE, None);
    for n in 1..=3 {
        let message_id = fake.ws_push(&env);
        let ack = wait_ack(&fake, &format!("push {n} of {id}"), &message_id, n).await;
        assert_eq!(ack.code, 200, "{ack:?}");
    }
    assert_eq!(handled.next().await.header.event_id, id);
    // A fresh event is the next handler call: the duplicates were not handled.
    let (fresh, env) = fake.event_envelope(RECEIVE, None);
    let message_id = fake.ws_push(&env);
    wait_ack(&fake, "a fresh event", &message_id, 4).await;
    assert_eq!(
        handled.next().await.header.event_id,
        fresh,
        "a duplicate was handled"
    );
    handled.assert_empty("once each");
    conn.stop("duplicates").await.expect("graceful shutdown");
}

// ---------------------------------------------------------------------------------------
// Callbacks and unknown types

#[tokio::test]
async fn a_card_action_is_answered_over_the_long_connection() {
    let fake = fake_with(WsFakeConfig::default()).await;
    let client = client_of(&fake);
    let dispatcher = Dispatcher::builder()
        .verification_token(fake.config().verification_token.clone())
        .on_callback::<ActionTrigger, _, _>(|ctx: EventContext<ActionTrigger>| async move {
            let request = ctx
                .event
                .action
                .value
                .as_ref()
                .and_then(|v| v["request_id"].as_str())
                .unwrap_or("?")
                .to_owned();
            Ok(
                CallbackAnswer::toast(Toast::success(format!("Approved {request}")))
                    .with_card(json!({"elements": [{"tag": "markdown", "content": request}]})),
            )
        })
        .build();
    let conn = RunningConnection::connect(&client, dispatcher).await;
    let (id, env) = fake.event_envelope("card.action.trigger", None);
    let message_id = fake.ws_push(&env);
    let ack = wait_ack(&fake, "card.action.trigger", &message_id, 1).await;
    assert_eq!(ack.frame_type, "card", "sent and answered as a card frame");
    assert_eq!(ack.code, 200, "{ack:?}");
    assert!(ack.biz_rt.is_some());
    assert_eq!(ack.event_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        ack.data,
        json!({
            "toast": {"type": "success", "content": "Approved REQ-1042"},
            "card": {"type": "raw", "data": {"elements": [{"tag": "markdown", "content": "REQ-1042"}]}}
        }),
        "the ack's data carries the handler's answer"
    );
    // A card frame with an event envelope, and an event frame with a callback: the
    // envelope decides.
    let (_, env) = fake.event_envelope("card.action.trigger", None);
    let message_id = fake.ws_push_with(
        &env,
        WsPush {
            frame_type: Some("event".into()),
            ..WsPush::default()
        },
    );
    let ack = wait_ack(&fake, "a callback in an event frame", &message_id, 2).await;
    assert_eq!(ack.data["toast"]["content"], "Approved REQ-1042");
    conn.stop("card").await.expect("graceful shutdown");
}

#[tokio::test]
async fn an_unknown_type_is_acknowledged_and_given_raw() {
    let fake = fake_with(WsFakeConfig::default()).await;
    let client = client_of(&fake);
    let (builder, mut handled, mut unknown) = receiving(&fake);
    let conn = RunningConnection::connect(&client, builder.build()).await;
    let payload = json!({"whatever": {"deep": [1, 2, 3]}});
    let (id, env) = fake.event_envelope("custom.brand_new_v1", Some(payload.clone()));
    let message_id = fake.ws_push(&env);
    let ack = wait_ack(&fake, "an unknown type", &message_id, 1).await;
    assert_eq!(ack.code, 200, "{ack:?}");
    assert_eq!(ack.data, json!({}));
    let raw = unknown.next().await;
    assert_eq!(raw.header.event_id, id);
    assert_eq!(raw.header.event_type, "custom.brand_new_v1");
    assert_eq!(raw.channel, Channel::LongConnection);
    assert_eq!(raw.event, payload);
    handled.assert_empty("not for the typed handler");

    // Not an envelope at all: answered (code 500), the connection stays up.
    let message_id = fake.ws_push(&json!({"hello": "world"}));
    let ack = wait_ack(&fake, "not an envelope", &message_id, 2).await;
    assert_eq!(ack.code, 500, "{ack:?}");
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let message_id = fake.ws_push(&env);
    wait_ack(&fake, "after a bad payload", &message_id, 3).await;
    assert_eq!(handled.next().await.header.event_id, id);
    conn.stop("unknown").await.expect("graceful shutdown");
}

// ---------------------------------------------------------------------------------------
// Settings, refusals, shutdown

#[tokio::test]
async fn a_new_ping_interval_from_a_pong_is_applied() {
    let fake = fake_with(WsFakeConfig {
        ping_interval_s: 1,
        ..WsFakeConfig::default()
    })
    .await;
    let client = client_of(&fake);
    let (builder, _, _) = receiving(&fake);
    let mut conn = RunningConnection::connect(&client, builder.build()).await;
    let status = conn.status.borrow().clone();
    let ConnectionStatus::Connected { settings, .. } = status else {
        panic!("{status:?}")
    };
    assert_eq!(
        settings.ping_interval,
        Duration::from_secs(1),
        "the endpoint's ClientConfig applied"
    );
    assert_eq!(settings.reconnect_interval, Duration::from_secs(1));
    until("pings every second", || fake.ws_pings() >= 2).await;

    fake.ws_set_ping_interval(3);
    let status = conn
        .wait_for("the pong's ping interval applied", |s| {
            matches!(s, ConnectionStatus::Connected { settings, .. } if settings.ping_interval == Duration::from_secs(3))
        })
        .await;
    let ConnectionStatus::Connected {
        connection_number, ..
    } = status
    else {
        unreachable!()
    };
    assert_eq!(connection_number, 1, "the same connection");
    assert!(fake.ws_counters().config_pongs >= 1);
    conn.stop("ping interval").await.expect("graceful shutdown");
}

/// Runs a connection of `client` until it returns, which it must do by itself.
async fn run_to_error(client: &Client, fake: &FakeLark, what: &str) -> WsError {
    let (builder, _, _) = receiving(fake);
    let mut conn =
        RunningConnection::spawn(LongConnection::builder(client, builder.build()).build());
    let result = conn.finished(what).await;
    let status = conn.status.borrow().clone();
    assert_eq!(
        status,
        ConnectionStatus::Stopped,
        "{what}: status after run"
    );
    result.expect_err(what)
}

#[tokio::test]
async fn endpoint_and_handshake_refusals_are_reported_by_name() {
    let fake = fake_with(WsFakeConfig::default()).await;
    let client = client_of(&fake);

    fake.ws_refuse_next(514);
    let err = run_to_error(&client, &fake, "endpoint 514").await;
    assert!(
        matches!(
            err,
            WsError::AuthFailed {
                stage: Stage::Endpoint,
                ..
            }
        ),
        "endpoint 514: {err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some(514));
    assert!(err.to_string().contains("authentication failed"), "{err}");

    fake.ws_refuse_next(1_000_040_350);
    let err = run_to_error(&client, &fake, "endpoint 1000040350").await;
    assert!(
        matches!(
            err,
            WsError::TooManyConnections {
                stage: Stage::Endpoint,
                ..
            }
        ),
        "endpoint 1000040350: {err:?}"
    );
    assert!(err.to_string().contains("too many connections"), "{err}");

    fake.ws_refuse_next(403);
    let err = run_to_error(&client, &fake, "endpoint 403").await;
    assert!(matches!(err, WsError::Forbidden { .. }), "{err:?}");

    fake.ws_refuse_next_handshake(HandshakeRefusal::too_many_connections());
    let err = run_to_error(&client, &fake, "handshake too many connections").await;
    assert!(
        matches!(
            err,
            WsError::TooManyConnections {
                stage: Stage::Handshake,
                ..
            }
        ),
        "handshake 514/1000040350: {err:?}"
    );

    fake.ws_refuse_next_handshake(HandshakeRefusal::forbidden());
    let err = run_to_error(&client, &fake, "handshake forbidden").await;
    assert!(
        matches!(
            err,
            WsError::Forbidden {
                stage: Stage::Handshake,
                ..
            }
        ),
        "handshake 403: {err:?}"
    );

    // A wrong app secret: the fake's endpoint answers 514.
    let config = fake.config();
    let wrong = Client::builder(config.app_id.clone(), "not_the_secret")
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let err = run_to_error(&wrong, &fake, "a wrong secret").await;
    assert!(matches!(err, WsError::AuthFailed { .. }), "{err:?}");
    assert!(
        !format!("{err} {err:?}").contains("not_the_secret"),
        "secret in the error"
    );
    assert_eq!(fake.ws_counters().connections_total, 0, "never connected");
}

#[tokio::test]
async fn retryable_refusals_are_retried_until_connected() {
    let fake = fake_with(WsFakeConfig {
        reconnect_interval_s: 1,
        reconnect_nonce_s: 0,
        ..WsFakeConfig::default()
    })
    .await;
    let client = client_of(&fake);
    let (builder, mut handled, _unknown) = receiving(&fake);
    // Connected first, so that the fake's settings (1 s between tries, no jitter) are in
    // force: before any endpoint answer the SDK waits as the platform's defaults say (up to
    // 30 s of jitter).
    let mut conn = RunningConnection::connect(&client, builder.build()).await;
    // Then, after a drop: busy at the endpoint, then a handshake refused as "auth failed"
    // (a stale ticket), then connected.
    fake.ws_refuse_next(1);
    fake.ws_refuse_next_handshake(HandshakeRefusal::auth_failed());
    assert_eq!(fake.ws_drop_connections(), 1);
    conn.wait_for("connected after two refusals", |s| {
        matches!(s, ConnectionStatus::Connected { connection_number, .. } if *connection_number == 2)
    })
    .await;
    let counters = fake.ws_counters();
    assert!(counters.refused >= 2, "{counters:?}");
    assert_eq!(counters.connections_total, 2, "{counters:?}");
    assert!(
        counters.endpoint_requests >= 4,
        "a fresh endpoint call per try: {counters:?}"
    );
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let message_id = fake.ws_push(&env);
    wait_ack(&fake, "after the retries", &message_id, 1).await;
    assert_eq!(handled.next().await.header.event_id, id);
    conn.stop("retries").await.expect("graceful shutdown");
}

#[tokio::test]
async fn reconnection_tries_are_bounded_by_the_servers_count() {
    let fake = fake_with(WsFakeConfig {
        reconnect_count: 2,
        reconnect_interval_s: 1,
        reconnect_nonce_s: 0,
        ..WsFakeConfig::default()
    })
    .await;
    let client = client_of(&fake);
    let (builder, _, _) = receiving(&fake);
    let mut conn = RunningConnection::connect(&client, builder.build()).await;
    for _ in 0..5 {
        fake.ws_refuse_next(1); // system busy: retryable
    }
    let before = fake.ws_counters().endpoint_requests;
    fake.ws_drop_connections();
    let err = conn
        .finished("reconnection with every endpoint call busy")
        .await
        .expect_err("gives up");
    match &err {
        WsError::ReconnectExhausted { attempts, last } => {
            assert_eq!(*attempts, 2, "ReconnectCount 2: {err}");
            assert!(
                matches!(**last, WsError::ServerBusy { code: 1, .. }),
                "{err:?}"
            );
        }
        other => panic!("expected ReconnectExhausted, got {other:?}"),
    }
    assert_eq!(
        fake.ws_counters().endpoint_requests - before,
        2,
        "one endpoint call per try"
    );
    assert_eq!(*conn.status.borrow(), ConnectionStatus::Stopped);
}

#[tokio::test]
async fn an_encrypted_payload_is_opened_with_the_encrypt_key() {
    let fake = fake_with(WsFakeConfig::default()).await;
    let client = client_of(&fake);
    let key = "ws_encrypt_key";
    let (builder, mut handled, _unknown) = receiving(&fake);
    let conn = RunningConnection::connect(&client, builder.encrypt_key(key).build()).await;
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let sealed = lark_tests::fake::events::crypto::encrypt(key, &serde_json::to_vec(&env).unwrap());
    let message_id = fake.ws_push(&json!({ "encrypt": sealed }));
    let ack = wait_ack(&fake, "an encrypted payload", &message_id, 1).await;
    assert_eq!(ack.code, 200, "{ack:?}");
    assert_eq!(handled.next().await.header.event_id, id);
    conn.stop("encrypted").await.expect("graceful shutdown");
}

#[tokio::test]
async fn a_graceful_shutdown_returns_ok_and_closes() {
    let fake = fake_with(WsFakeConfig::default()).await;
    let client = client_of(&fake);
    let (builder, _, _) = receiving(&fake);
    let mut conn = RunningConnection::connect(&client, builder.build()).await;
    assert_eq!(fake.ws_connections(), 1);
    conn.shutdown.shutdown();
    let result = conn.finished("shutdown").await;
    assert!(result.is_ok(), "shutdown returns Ok: {result:?}");
    assert_eq!(*conn.status.borrow(), ConnectionStatus::Stopped);
    until("the fake sees the connection closed", || {
        fake.ws_connections() == 0
    })
    .await;

    // Shut down before it runs: returns at once, Ok.
    let (builder, _, _) = receiving(&fake);
    let early = LongConnection::builder(&client, builder.build()).build();
    early.shutdown_handle().shutdown();
    let result = tokio::time::timeout(TIMEOUT, early.run())
        .await
        .expect("returns");
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn a_shutdown_answers_the_callback_in_flight() {
    let fake = fake_with(WsFakeConfig::default()).await;
    let client = client_of(&fake);
    let release = Arc::new(Notify::new());
    let (started_tx, mut started) = mpsc::unbounded_channel::<String>();
    let dispatcher = Dispatcher::builder()
        .on_callback::<ActionTrigger, _, _>({
            let release = release.clone();
            move |ctx: EventContext<ActionTrigger>| {
                let release = release.clone();
                let started_tx = started_tx.clone();
                async move {
                    let _ = started_tx.send(ctx.header.event_id);
                    release.notified().await;
                    Ok(CallbackAnswer::toast(Toast::info("answered at shutdown")))
                }
            }
        })
        .build();
    let mut conn = RunningConnection::connect(&client, dispatcher).await;
    let (id, env) = fake.event_envelope("card.action.trigger", None);
    let message_id = fake.ws_push(&env);
    let got = tokio::time::timeout(TIMEOUT, started.recv())
        .await
        .expect("handler starts");
    assert_eq!(got.as_deref(), Some(id.as_str()));
    conn.shutdown.shutdown();
    release.notify_one();
    let result = conn.finished("shutdown with a callback in flight").await;
    assert!(result.is_ok(), "{result:?}");
    let ack = wait_ack(&fake, "the callback in flight at shutdown", &message_id, 1).await;
    assert_eq!(ack.code, 200, "{ack:?}");
    assert_eq!(
        ack.data,
        json!({"toast": {"type": "info", "content": "answered at shutdown"}})
    );
}

#[tokio::test]
async fn nothing_secret_is_logged_over_the_long_connection() {
    // A current-thread runtime: the subscriber (thread-local default) sees every task.
    let (captured, _guard) = CapturedLogs::install(tracing::Level::TRACE);

    let fake = fake_with(WsFakeConfig {
        reconnect_nonce_s: 0,
        reconnect_interval_s: 1,
        ..WsFakeConfig::default()
    })
    .await;
    let client = client_of(&fake);
    let (builder, mut handled, _unknown) = receiving(&fake);
    let mut conn = RunningConnection::connect(&client, builder.build()).await;
    let (id, env) = fake.event_envelope(RECEIVE, None);
    let message_id = fake.ws_push(&env);
    wait_ack(&fake, "logged run", &message_id, 1).await;
    assert_eq!(handled.next().await.header.event_id, id);
    // A drop and a refused handshake make the SDK log its errors.
    fake.ws_refuse_next_handshake(HandshakeRefusal::auth_failed());
    fake.ws_drop_connections();
    conn.wait_for("reconnected", |s| {
        matches!(s, ConnectionStatus::Connected { connection_number, .. } if *connection_number == 2)
    })
    .await;
    conn.stop("logged run").await.expect("graceful shutdown");

    let text = captured.text();
    assert!(text.contains("long connection"), "the SDK logs: {text}");
    let config = fake.config();
    for (what, secret) in [
        ("the app secret", config.app_secret.as_str()),
        ("the connection ticket", "ticket="),
        ("the verification token", config.verification_token.as_str()),
    ] {
        assert!(!text.contains(secret), "{what} was logged:\n{text}");
    }
}

#[tokio::test]
async fn two_apps_in_one_process_each_get_their_own_events() {
    let app = |id: &str| FakeConfig {
        app_id: id.to_owned(),
        app_secret: format!("{id}_secret"),
        ..FakeConfig::default()
    };
    let fake_one = FakeLark::start(app("cli_app_one")).await.unwrap();
    let fake_two = FakeLark::start(app("cli_app_two")).await.unwrap();
    let (client_one, client_two) = (client_of(&fake_one), client_of(&fake_two));
    let (builder_one, mut handled_one, _) = receiving(&fake_one);
    let (builder_two, mut handled_two, _) = receiving(&fake_two);
    let conn_one = RunningConnection::connect(&client_one, builder_one.build()).await;
    let conn_two = RunningConnection::connect(&client_two, builder_two.build()).await;

    for round in 0..3 {
        let (id_one, env_one) = fake_one.event_envelope(RECEIVE, None);
        let (id_two, env_two) = fake_two.event_envelope(RECEIVE, None);
        let m_two = fake_two.ws_push(&env_two);
        let m_one = fake_one.ws_push(&env_one);
        wait_ack(&fake_one, "app one", &m_one, round + 1).await;
        wait_ack(&fake_two, "app two", &m_two, round + 1).await;
        let got_one = handled_one.next().await;
        let got_two = handled_two.next().await;
        assert_eq!(got_one.header.event_id, id_one);
        assert_eq!(got_one.header.app_id.as_deref(), Some("cli_app_one"));
        assert_eq!(got_two.header.event_id, id_two);
        assert_eq!(got_two.header.app_id.as_deref(), Some("cli_app_two"));
    }
    handled_one.assert_empty("app one got only its events");
    handled_two.assert_empty("app two got only its events");

    // Stopping one leaves the other running.
    conn_one.stop("app one").await.expect("graceful shutdown");
    let (id, env) = fake_two.event_envelope(RECEIVE, None);
    let m = fake_two.ws_push(&env);
    wait_ack(&fake_two, "app two after app one stopped", &m, 4).await;
    assert_eq!(handled_two.next().await.header.event_id, id);
    conn_two.stop("app two").await.expect("graceful shutdown");
}
