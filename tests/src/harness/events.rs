//! Generic end-to-end cases for one event type, on both channels, over loopback: the
//! generated `tests/tests/generated/events.rs` calls them once per event spec.
//!
//! ```no_run
//! use lark_openapi::im::v1::events::MessageReceiveV1;
//! # async fn demo() {
//! lark_tests::harness::events::webhook_case::<MessageReceiveV1>().await;
//! lark_tests::harness::events::long_connection_case::<MessageReceiveV1>().await;
//! # }
//! ```
//!
//! Each case starts its own [`FakeLark`], a [`Client`] of it and a [`Dispatcher`] with one
//! typed handler for the type, and then:
//!
//! - pushes the fake's envelope of the type (the spec's example as its `event`): by
//!   webhook encrypted and signed, then a second (fresh) envelope plain and signed; over
//!   the long connection with [`FakeLark::ws_push`];
//! - checks the handler got each exactly once, with the envelope's header (event id and
//!   type, schema, app) and an event that, serialized again, is the spec's example;
//! - checks the answer: `200` and `{}` (webhook), an ack with code 200 and a `biz_rt`
//!   (long connection); for a callback, the answer its handler returned (a toast and a
//!   card), from the webhook response or the ack's `data`;
//! - pushes the first envelope again (the platform's re-push): acknowledged, not handled;
//! - by webhook, pushes envelopes with a bad signature and with none (encrypted and
//!   plain): refused with 401, not handled.
//!
//! Every failure names the event type and the channel. Nothing here measures time: waits
//! are on channels and watches, with [`TIMEOUT`] only as a guard against a hang.

use std::fmt::Debug;
use std::time::Duration;

use lark_openapi::events::ws::{ConnectionStatus, LongConnection, ShutdownHandle, WsError};
use lark_openapi::events::{
    Callback, CallbackAnswer, Channel, Dispatcher, DispatcherBuilder, Event, EventContext,
    EventHeader, RawEvent, Schema, Toast, WebhookHandler,
};
use lark_openapi::Client;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::fake::WsFakeConfig;
use crate::fake::{EventSchema, FakeConfig, FakeLark, PushResult, Sign, WebhookPush, WsAck};

/// The guard against a hang: no wait of the harness lasts longer (a failure if it does).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The Encrypt Key of the webhook cases' app.
pub const ENCRYPT_KEY: &str = "harness_encrypt_key_0123456789";

/// What a handler received, the event serialized again.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's facts, as the dispatcher gave them.
    pub header: EventHeader,
    /// The channel it came by.
    pub channel: Channel,
    /// The typed event serialized again (or the raw event, for `on_unknown`).
    pub event: Value,
}

/// Handlers' deliveries, in the order the handlers ran.
#[derive(Debug)]
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Received>,
    what: String,
}

/// The sending side of an [`Inbox`], to clone into handlers.
#[derive(Debug, Clone)]
pub struct Outbox(mpsc::UnboundedSender<Received>);

impl Outbox {
    /// Records a delivery.
    pub fn record(&self, header: EventHeader, channel: Channel, event: Value) {
        let _ = self.0.send(Received {
            header,
            channel,
            event,
        });
    }
}

/// A channel of deliveries; `what` names it in failures (the event type, say).
pub fn inbox(what: impl Into<String>) -> (Outbox, Inbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        Outbox(tx),
        Inbox {
            rx,
            what: what.into(),
        },
    )
}

impl Inbox {
    /// The next delivery; a panic after [`TIMEOUT`].
    pub async fn next(&mut self) -> Received {
        match tokio::time::timeout(TIMEOUT, self.rx.recv()).await {
            Ok(Some(received)) => received,
            Ok(None) => panic!("{}: the handler's channel closed", self.what),
            Err(_) => panic!(
                "{}: no handler call within {} s",
                self.what,
                TIMEOUT.as_secs()
            ),
        }
    }

    /// A delivery already made, if any (no wait).
    pub fn try_next(&mut self) -> Option<Received> {
        self.rx.try_recv().ok()
    }

    /// Asserts that no delivery is waiting.
    pub fn assert_empty(&mut self, when: &str) {
        if let Some(extra) = self.try_next() {
            panic!(
                "{}: {when}: an unexpected handler call: {extra:?}",
                self.what
            );
        }
    }
}

/// A client of `fake`'s app, pointed at it.
///
/// # Panics
/// If the client does not build.
pub fn client_of(fake: &FakeLark) -> Client {
    let config = fake.config();
    Client::builder(config.app_id.clone(), config.app_secret.clone())
        .base_url(fake.base_url())
        .build()
        .unwrap_or_else(|e| panic!("events harness: the client does not build: {e}"))
}

/// A webhook server on 127.0.0.1 (any port) serving a router; stopped when dropped.
#[derive(Debug)]
pub struct WebhookServer {
    base: String,
    task: JoinHandle<()>,
}

impl WebhookServer {
    /// Serves `router` on a free port of 127.0.0.1.
    ///
    /// # Panics
    /// If no port can be bound.
    pub async fn start(router: axum::Router) -> WebhookServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("events harness: cannot bind a webhook port: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("events harness: no local address: {e}"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        WebhookServer {
            base: format!("http://{addr}"),
            task,
        }
    }

    /// Serves `handler` with the SDK's axum integration
    /// ([`lark_openapi::events::axum::router`]).
    pub async fn serve(handler: WebhookHandler) -> WebhookServer {
        WebhookServer::start(lark_openapi::events::axum::router(handler)).await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The URL the SDK's router serves: `http://127.0.0.1:PORT/webhook/event`.
    pub fn url(&self) -> String {
        format!("{}{}", self.base, lark_openapi::events::axum::PATH)
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A [`LongConnection`] running in a task, with its status and shutdown handle.
#[derive(Debug)]
pub struct RunningConnection {
    /// The connection's status.
    pub status: watch::Receiver<ConnectionStatus>,
    /// Its shutdown handle.
    pub shutdown: ShutdownHandle,
    task: Option<JoinHandle<Result<(), WsError>>>,
}

impl RunningConnection {
    /// Spawns `conn.run()`.
    pub fn spawn(conn: LongConnection) -> RunningConnection {
        let status = conn.status();
        let shutdown = conn.shutdown_handle();
        let task = tokio::spawn(conn.run());
        RunningConnection {
            status,
            shutdown,
            task: Some(task),
        }
    }

    /// Builds the connection of `client` feeding `dispatcher`, spawns it and waits until
    /// it is connected.
    ///
    /// # Panics
    /// If it does not connect within [`TIMEOUT`].
    pub async fn connect(client: &Client, dispatcher: Dispatcher) -> RunningConnection {
        let mut running =
            RunningConnection::spawn(LongConnection::builder(client, dispatcher).build());
        running.connected("the long connection").await;
        running
    }

    /// Waits until the status is `Connected` and returns it; `what` names the wait in a
    /// failure.
    ///
    /// # Panics
    /// If it is not connected within [`TIMEOUT`], or `run` returned.
    pub async fn connected(&mut self, what: &str) -> ConnectionStatus {
        self.wait_for(what, ConnectionStatus::is_connected).await
    }

    /// Waits until the status satisfies `f` and returns it.
    ///
    /// # Panics
    /// If it does not within [`TIMEOUT`].
    pub async fn wait_for(
        &mut self,
        what: &str,
        f: impl FnMut(&ConnectionStatus) -> bool,
    ) -> ConnectionStatus {
        let reached = match tokio::time::timeout(TIMEOUT, self.status.wait_for(f)).await {
            Ok(Ok(status)) => Some(status.clone()),
            Ok(Err(_)) => panic!("{what}: the connection's status sender is gone"),
            Err(_) => None,
        };
        reached.unwrap_or_else(|| {
            panic!(
                "{what}: status not reached within {} s; last status {:?}",
                TIMEOUT.as_secs(),
                *self.status.borrow()
            )
        })
    }

    /// What `run` returned, without asking it to stop.
    ///
    /// # Panics
    /// If it does not return within [`TIMEOUT`], or the task panicked.
    pub async fn finished(&mut self, what: &str) -> Result<(), WsError> {
        let Some(task) = self.task.take() else {
            panic!("{what}: run's result was already taken");
        };
        match tokio::time::timeout(TIMEOUT, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => panic!("{what}: LongConnection::run panicked: {join}"),
            Err(_) => panic!(
                "{what}: LongConnection::run did not return within {} s",
                TIMEOUT.as_secs()
            ),
        }
    }

    /// Asks for a graceful shutdown and returns what `run` returned.
    ///
    /// # Panics
    /// As [`finished`](Self::finished).
    pub async fn stop(mut self, what: &str) -> Result<(), WsError> {
        self.shutdown.shutdown();
        self.finished(what).await
    }
}

impl Drop for RunningConnection {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}

/// `value` with every `null` object member removed, recursively (the types omit unset
/// optional fields; a `null` in the spec means the same).
pub fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// The places where `actual` differs from `expected`, as `path: expected … got …` lines
/// (empty when they are equal).
pub fn json_differences(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    differences("", expected, actual, &mut out);
    out
}

fn differences(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = format!("{path}/{k}");
                match a.get(k) {
                    Some(av) => differences(&p, ev, av, out),
                    None => out.push(format!("{p}: expected {ev}, missing")),
                }
            }
            for (k, av) in a {
                if !e.contains_key(k) {
                    out.push(format!("{path}/{k}: not expected, got {av}"));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                differences(&format!("{path}/{i}"), ev, av, out);
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!(
            "{}: expected {expected}, got {actual}",
            if path.is_empty() { "/" } else { path }
        )),
    }
}

/// Asserts that the typed event, serialized again, is the `event` object the fake sent
/// (the spec's example; for a schema 1.0 event, with `type` set to the event type), nulls
/// aside. The comparison is strict, both ways: the generated types model every field of
/// the examples, so nothing may be lost (or invented) on the way through the SDK.
fn assert_round_trip(what: &str, sent_event: &Value, received: &Received) {
    let expected = without_nulls(sent_event);
    let actual = without_nulls(&received.event);
    let diff = json_differences(&expected, &actual);
    assert!(
        diff.is_empty(),
        "{what}: the typed event serialized again is not the spec's example:\n  {}\nsent: {expected}\ngot:  {actual}",
        diff.join("\n  ")
    );
}

/// The spec's example of `event_type`, as the fake's envelope carries it.
fn expected_event(fake: &FakeLark, event_type: &str) -> (EventSchema, Value) {
    let spec = fake.event_catalogue().get(event_type).unwrap_or_else(|| {
        panic!(
            "{event_type}: no event spec of this type in the fake's catalogue ({} specs)",
            fake.event_catalogue().len()
        )
    });
    let mut example = spec.example.clone();
    if spec.schema == EventSchema::V1 {
        // Schema 1.0 events carry their type inside the event.
        example
            .entry("type".to_owned())
            .or_insert_with(|| json!(event_type));
    }
    (spec.schema, Value::Object(example))
}

/// Checks what the handler got against the envelope pushed.
fn assert_header(
    what: &str,
    fake: &FakeLark,
    envelope: &Value,
    event_id: &str,
    event_type: &str,
    channel: Channel,
    received: &Received,
) {
    let h = &received.header;
    assert_eq!(h.event_id, event_id, "{what}: header.event_id");
    assert_eq!(h.event_type, event_type, "{what}: header.event_type");
    assert_eq!(received.channel, channel, "{what}: the context's channel");
    match envelope.get("schema") {
        Some(_) => {
            assert_eq!(h.schema, Schema::V2, "{what}: a schema 2.0 envelope");
            assert_eq!(
                h.app_id.as_deref(),
                Some(fake.config().app_id.as_str()),
                "{what}: header.app_id"
            );
            assert_eq!(
                h.tenant_key.as_deref(),
                envelope
                    .pointer("/header/tenant_key")
                    .and_then(Value::as_str),
                "{what}: header.tenant_key"
            );
            assert_eq!(
                h.create_time.as_deref(),
                envelope
                    .pointer("/header/create_time")
                    .and_then(Value::as_str),
                "{what}: header.create_time"
            );
        }
        None => {
            assert_eq!(h.schema, Schema::V1, "{what}: a schema 1.0 envelope");
            assert_eq!(
                h.create_time.as_deref(),
                envelope.get("ts").and_then(Value::as_str),
                "{what}: ts as create_time"
            );
        }
    }
}

/// The fake of the webhook cases: an Encrypt Key is set (so pushes are signed with it).
async fn webhook_fake() -> FakeLark {
    FakeLark::start(FakeConfig {
        encrypt_key: Some(ENCRYPT_KEY.to_owned()),
        ..FakeConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("events harness: the fake does not start: {e}"))
}

/// The fake of the long-connection cases: no re-push within the test (a re-push is the
/// subject of its own test, not of the per-type cases).
async fn ws_fake() -> FakeLark {
    FakeLark::start(FakeConfig {
        ws: WsFakeConfig {
            ack_timeout: Duration::from_secs(60),
            ..WsFakeConfig::default()
        },
        ..FakeConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("events harness: the fake does not start: {e}"))
}

/// A dispatcher of `fake`'s app (its verification token, the client for app_ticket)
/// whose catch-all handler records into `unknown`.
fn dispatcher_base(
    fake: &FakeLark,
    client: &Client,
    encrypt_key: Option<&str>,
    unknown: Outbox,
) -> DispatcherBuilder {
    let mut builder = Dispatcher::builder()
        .verification_token(fake.config().verification_token.clone())
        .client(client)
        .on_unknown(move |raw: RawEvent| {
            let unknown = unknown.clone();
            async move {
                unknown.record(raw.header, raw.channel, raw.event);
                Ok(())
            }
        });
    if let Some(key) = encrypt_key {
        builder = builder.encrypt_key(key);
    }
    builder
}

/// A typed handler recording into `out`.
fn record_event<E: Event + Serialize + Debug>(
    out: Outbox,
) -> impl Fn(
    EventContext<E>,
) -> futures_util::future::Ready<Result<(), lark_openapi::events::HandlerError>>
       + Send
       + Sync
       + 'static {
    move |ctx: EventContext<E>| {
        let event = serde_json::to_value(&ctx.event).unwrap_or_else(|e| {
            panic!(
                "{}: the typed event does not serialize: {e}: {:?}",
                E::EVENT_TYPE,
                ctx.event
            )
        });
        out.record(ctx.header, ctx.channel, event);
        futures_util::future::ready(Ok(()))
    }
}

/// The answer the harness's callback handlers give for `C`.
pub fn harness_answer(event_type: &str) -> CallbackAnswer {
    CallbackAnswer::toast(Toast::success(format!("{event_type} handled"))).with_card(json!({
        "schema": "2.0",
        "body": {"elements": [{"tag": "markdown", "content": format!("**{event_type}** done")}]}
    }))
}

/// A callback handler recording into `out` and answering [`harness_answer`].
fn record_callback<C: Callback + Serialize + Debug>(
    out: Outbox,
) -> impl Fn(
    EventContext<C>,
)
    -> futures_util::future::Ready<Result<CallbackAnswer, lark_openapi::events::HandlerError>>
       + Send
       + Sync
       + 'static {
    move |ctx: EventContext<C>| {
        let event = serde_json::to_value(&ctx.event).unwrap_or_else(|e| {
            panic!(
                "{}: the typed callback does not serialize: {e}: {:?}",
                C::EVENT_TYPE,
                ctx.event
            )
        });
        out.record(ctx.header, ctx.channel, event);
        futures_util::future::ready(Ok(harness_answer(C::EVENT_TYPE)))
    }
}

/// Pushes by webhook, guarded by [`TIMEOUT`].
///
/// # Panics
/// If the push fails or takes longer than [`TIMEOUT`].
pub async fn push(fake: &FakeLark, url: &str, envelope: &Value, how: WebhookPush) -> PushResult {
    let what = format!("webhook push {how:?}");
    match tokio::time::timeout(TIMEOUT, fake.push_webhook(url, envelope, how)).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => panic!("{what}: the POST failed: {e}"),
        Err(_) => panic!("{what}: no answer within {} s", TIMEOUT.as_secs()),
    }
}

fn assert_answer(what: &str, result: &PushResult, expected: &Value) {
    assert_eq!(
        result.status, 200,
        "{what}: the webhook's status (body {})",
        result.body
    );
    assert_eq!(
        result.json.as_ref(),
        Some(expected),
        "{what}: the webhook's answer (body {})",
        result.body
    );
}

/// The webhook case of an event type: see the [module documentation](self).
pub async fn webhook_case<E: Event + Serialize + Debug>() {
    webhook_run::<E>(None).await;
}

/// The webhook case of a callback type: as [`webhook_case`], the answer being the
/// handler's ([`harness_answer`]: a toast and a card).
pub async fn webhook_callback_case<C: Callback + Serialize + Debug>() {
    webhook_run::<C>(Some(callback_registrar::<C>())).await;
}

/// The long-connection case of an event type: see the [module documentation](self).
pub async fn long_connection_case<E: Event + Serialize + Debug>() {
    long_connection_run::<E>(None).await;
}

/// The long-connection case of a callback type: as [`long_connection_case`], the ack's
/// `data` being the handler's answer ([`harness_answer`]).
pub async fn long_connection_callback_case<C: Callback + Serialize + Debug>() {
    long_connection_run::<C>(Some(callback_registrar::<C>())).await;
}

/// Registers the handler of a callback type (made where `C: Callback` is known).
type CallbackRegistrar = Box<dyn FnOnce(DispatcherBuilder, Outbox) -> DispatcherBuilder>;

/// Registers `E`'s handler: the typed event handler, or for a callback its registrar.
fn register<E: Event + Serialize + Debug>(
    builder: DispatcherBuilder,
    out: Outbox,
    callback: Option<CallbackRegistrar>,
) -> DispatcherBuilder {
    match callback {
        Some(register) => register(builder, out),
        None => builder.on::<E, _, _>(record_event::<E>(out)),
    }
}

/// The registrar of callback `C`: its handler records and answers [`harness_answer`].
fn callback_registrar<C: Callback + Serialize + Debug>() -> CallbackRegistrar {
    Box::new(|builder, out| builder.on_callback::<C, _, _>(record_callback::<C>(out)))
}

async fn webhook_run<E: Event + Serialize + Debug>(callback: Option<CallbackRegistrar>) {
    let event_type = E::EVENT_TYPE;
    let is_callback = callback.is_some();
    let fake = webhook_fake().await;
    let client = client_of(&fake);
    let (out, mut handled) = inbox(format!("{event_type} (webhook)"));
    let (unknown_out, mut unknown) = inbox(format!("{event_type} (webhook, on_unknown)"));
    let builder = dispatcher_base(&fake, &client, Some(ENCRYPT_KEY), unknown_out);
    let dispatcher = register::<E>(builder, out, callback).build();
    let server = WebhookServer::serve(WebhookHandler::new(dispatcher)).await;
    let url = server.url();
    let (schema, example) = expected_event(&fake, event_type);
    let expected_answer = if is_callback {
        harness_answer(event_type).to_json()
    } else {
        json!({})
    };

    // 1. Encrypted and signed.
    let (id1, env1) = fake.event_envelope(event_type, None);
    assert_eq!(
        env1.get("event"),
        Some(&example),
        "{event_type}: the fake's envelope carries the spec's example"
    );
    let what = format!("{event_type} (webhook, encrypted + signed, {schema:?})");
    let result = push(&fake, &url, &env1, WebhookPush::encrypted()).await;
    assert_answer(&what, &result, &expected_answer);
    let got = handled.next().await;
    assert_header(
        &what,
        &fake,
        &env1,
        &id1,
        event_type,
        Channel::Webhook,
        &got,
    );
    assert_round_trip(&what, &example, &got);

    // 2. The same envelope again (a re-push, freshly encrypted): acknowledged, not handled.
    let what = format!("{event_type} (webhook, duplicate of {id1})");
    let result = push(&fake, &url, &env1, WebhookPush::encrypted()).await;
    assert_eq!(result.status, 200, "{what}: status (body {})", result.body);
    if !is_callback {
        assert_answer(&what, &result, &json!({}));
    }

    // 3. Fresh envelopes with a bad signature and with none: refused with 401, not handled
    //    (step 4 proves it).
    for (sign, label) in [
        (Sign::Bad, "a bad signature"),
        (Sign::Missing, "no signature"),
    ] {
        let (_, env) = fake.event_envelope(event_type, None);
        for encrypt in [true, false] {
            let how = WebhookPush {
                encrypt,
                sign,
                timestamp_offset_s: 0,
            };
            let result = push(&fake, &url, &env, how).await;
            assert_eq!(
                result.status, 401,
                "{event_type} (webhook, {label}, encrypted: {encrypt}): refused (body {})",
                result.body
            );
        }
    }

    // 4. A fresh envelope, plain and signed. Its handler call comes after any call the
    //    duplicate or a refused push would have caused (decided before their answers, and
    //    handlers start in order), so seeing this one next proves they were not handled.
    let (id2, env2) = fake.event_envelope(event_type, None);
    let what = format!("{event_type} (webhook, plain + signed)");
    let result = push(&fake, &url, &env2, WebhookPush::default()).await;
    assert_answer(&what, &result, &expected_answer);
    let got = handled.next().await;
    assert_ne!(
        got.header.event_id, id1,
        "{event_type} (webhook): the duplicate delivery of {id1} was handled a second time"
    );
    assert_header(
        &what,
        &fake,
        &env2,
        &id2,
        event_type,
        Channel::Webhook,
        &got,
    );
    assert_round_trip(&what, &example, &got);

    handled.assert_empty("after two events and one duplicate");
    unknown.assert_empty("the typed handler's events never reach on_unknown");
}

async fn long_connection_run<E: Event + Serialize + Debug>(callback: Option<CallbackRegistrar>) {
    let event_type = E::EVENT_TYPE;
    let is_callback = callback.is_some();
    let fake = ws_fake().await;
    let client = client_of(&fake);
    let (out, mut handled) = inbox(format!("{event_type} (long connection)"));
    let (unknown_out, mut unknown) = inbox(format!("{event_type} (long connection, on_unknown)"));
    let builder = dispatcher_base(&fake, &client, None, unknown_out);
    let dispatcher = register::<E>(builder, out, callback).build();
    let conn = RunningConnection::connect(&client, dispatcher).await;
    let (schema, example) = expected_event(&fake, event_type);
    let (frame_type, expected_data) = if is_callback {
        ("card", harness_answer(event_type).to_json())
    } else {
        ("event", json!({}))
    };

    let (id1, env1) = fake.event_envelope(event_type, None);
    let what = format!("{event_type} (long connection, {schema:?})");
    let message_id = fake.ws_push(&env1);
    let ack = wait_ack(&fake, &what, &message_id, 1).await;
    assert_ack(&what, &ack, &id1, frame_type, &expected_data);
    let got = handled.next().await;
    assert_header(
        &what,
        &fake,
        &env1,
        &id1,
        event_type,
        Channel::LongConnection,
        &got,
    );
    assert_round_trip(&what, &example, &got);

    // The same envelope again: acknowledged, not handled.
    let what = format!("{event_type} (long connection, duplicate of {id1})");
    let message_id = fake.ws_push(&env1);
    let ack = wait_ack(&fake, &what, &message_id, 2).await;
    assert_eq!(ack.code, 200, "{what}: the ack's code: {ack:?}");
    assert!(
        ack.biz_rt.is_some(),
        "{what}: the ack has no biz_rt: {ack:?}"
    );

    // A fresh one: the next handler call (see the webhook case for why this proves the
    // duplicate was not handled).
    let (id2, env2) = fake.event_envelope(event_type, None);
    let what = format!("{event_type} (long connection, second event)");
    let message_id = fake.ws_push(&env2);
    let ack = wait_ack(&fake, &what, &message_id, 3).await;
    assert_ack(&what, &ack, &id2, frame_type, &expected_data);
    let got = handled.next().await;
    assert_ne!(
        got.header.event_id, id1,
        "{event_type} (long connection): the duplicate delivery of {id1} was handled a second time"
    );
    assert_header(
        &what,
        &fake,
        &env2,
        &id2,
        event_type,
        Channel::LongConnection,
        &got,
    );
    assert_round_trip(&what, &example, &got);

    handled.assert_empty("after two events and one duplicate");
    unknown.assert_empty("the typed handler's events never reach on_unknown");
    let counters = fake.ws_counters();
    assert_eq!(
        counters.repushes, 0,
        "{event_type} (long connection): nothing was pushed again: {counters:?}"
    );
    let stopped = conn.stop(&format!("{event_type} (long connection)")).await;
    assert!(
        stopped.is_ok(),
        "{event_type} (long connection): a graceful shutdown returns Ok, got {stopped:?}"
    );
}

/// Waits until the fake has at least `n` acks and returns the one of `message_id`.
///
/// # Panics
/// If it does not come within [`TIMEOUT`].
pub async fn wait_ack(fake: &FakeLark, what: &str, message_id: &str, n: usize) -> WsAck {
    let acks = fake.ws_wait_acks(n, TIMEOUT).await;
    acks.iter()
        .find(|a| a.message_id == message_id)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{what}: no ack of {message_id} within {} s; acks: {acks:?}; counters: {:?}",
                TIMEOUT.as_secs(),
                fake.ws_counters()
            )
        })
}

fn assert_ack(what: &str, ack: &WsAck, event_id: &str, frame_type: &str, data: &Value) {
    assert_eq!(ack.code, 200, "{what}: the ack's code: {ack:?}");
    assert!(
        ack.biz_rt.is_some(),
        "{what}: the ack has no biz_rt: {ack:?}"
    );
    assert_eq!(
        ack.event_id.as_deref(),
        Some(event_id),
        "{what}: the ack's event"
    );
    assert_eq!(ack.frame_type, frame_type, "{what}: the ack's type header");
    assert_eq!(&ack.data, data, "{what}: the ack's data (the answer)");
}
