//! The dispatcher: from a plaintext body to handlers and the answer to give.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use serde::Deserialize as _;
use serde_json::Value;

use super::answer::CallbackAnswer;
use super::budget::{Admission, Budget};
use super::dedup::{DedupStore, MemoryDedup};
use super::envelope::{self, Envelope};
use super::event::{Callback, Channel, Event, EventContext, EventHeader, HandlerError, RawEvent};
use crate::auth::v3::events::AppTicket;
use crate::auth::Secret;
use crate::Client;
use futures_util::future::BoxFuture;

/// A handler's outcome, boxed.
type HandlerFuture<T> = BoxFuture<'static, Result<T, HandlerError>>;
/// Why a typed event could not be decoded.
type DecodeFailure = serde_path_to_error::Error<serde_json::Error>;
/// A typed handler with its decoding step, its future giving `T`.
type TypedFn<T> =
    dyn Fn(EventHeader, Value, Channel) -> Result<HandlerFuture<T>, DecodeFailure> + Send + Sync;
/// A typed event handler with its decoding step.
type EventFn = TypedFn<()>;
/// A typed callback handler with its decoding step.
type CallbackFn = TypedFn<CallbackAnswer>;
/// The catch-all handler.
type UnknownFn = dyn Fn(RawEvent) -> HandlerFuture<()> + Send + Sync;

/// A registered handler.
#[derive(Clone)]
enum Registered {
    Event(Arc<EventFn>),
    Callback(Arc<CallbackFn>),
}

/// Routes events to their handlers.
///
/// One dispatcher serves both channels: the [`WebhookHandler`](super::WebhookHandler) and the
/// long connection hand it plaintext bodies through [`dispatch`](Self::dispatch). For each
/// body it checks the verification token, drops events already seen (by `event_id` or
/// `uuid`), feeds `app_ticket` to the client, and then:
///
/// * an event is acknowledged at once and its handler runs afterwards on the current tokio
///   runtime, so that a slow handler never makes the platform push the event again; a
///   handler's error (or panic) is logged with `tracing::error!` with the event's id and type;
/// * a callback's handler runs before the answer, which carries what the handler returned,
///   bounded by [`callback_timeout`](DispatcherBuilder::callback_timeout);
/// * an event of a type without a handler goes to the
///   [`on_unknown`](DispatcherBuilder::on_unknown) handler (if any) and is acknowledged;
/// * an event whose payload does not decode into its type is logged and acknowledged (a
///   refusal would make the platform push it again, forever).
///
/// Cheap to clone (an `Arc` inside); `Send + Sync`.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    handlers: HashMap<String, Registered>,
    unknown: Option<Arc<UnknownFn>>,
    verification_token: Option<Secret>,
    encrypt_key: Option<Secret>,
    dedup: Arc<dyn DedupStore>,
    client: Option<Client>,
    callback_timeout: Duration,
    budget: Budget,
    handler_wait: Duration,
    legacy_cards: bool,
}

/// Where a body's place in the handlers' budget comes from.
pub(crate) enum Place {
    /// Already taken (the long connection takes it before it reads on).
    Taken(Admission),
    /// Wait for one for a body of `size` bytes, at most `max_wait` (`None`: as long as it
    /// takes); past it the answer is 503 and the event is not recorded, so the platform's
    /// re-push is handled.
    Wait {
        size: usize,
        max_wait: Option<Duration>,
    },
}

/// Configures a [`Dispatcher`]; from [`Dispatcher::builder`].
pub struct DispatcherBuilder {
    inner: Inner,
}

/// What to answer the platform: an HTTP status and a JSON body.
///
/// * `200` and `{}` for an event (also a duplicate, an unknown type, an undecodable payload);
/// * `200` and `{"challenge": "…"}` for a `url_verification` request;
/// * `200` and the handler's [`CallbackAnswer`] for a callback;
/// * `400` and `{"msg": "<reason>"}` for a body that is not an envelope;
/// * `401` and `{"msg": "<reason>"}` for a verification token that does not match;
/// * `503` and `{"msg": "<reason>"}` when the handlers' budget had no place in time
///   ([`handler_limits`](DispatcherBuilder::handler_limits)): the event is not recorded,
///   and the platform pushes it again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dispatched {
    /// The HTTP status (the long connection maps it to its frame's `code`).
    pub status: u16,
    /// The JSON body.
    pub body: Bytes,
}

impl Dispatched {
    /// `200` with `{}`.
    pub fn ack() -> Self {
        Dispatched {
            status: 200,
            body: Bytes::from_static(b"{}"),
        }
    }

    /// `200` with this JSON.
    fn ok(value: &Value) -> Self {
        Dispatched {
            status: 200,
            body: Bytes::from(serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())),
        }
    }

    /// A refusal with `{"msg": reason}`.
    pub(crate) fn refuse(status: u16, reason: &str) -> Self {
        Dispatched {
            status,
            body: Bytes::from(
                serde_json::to_vec(&serde_json::json!({ "msg": reason }))
                    .unwrap_or_else(|_| b"{}".to_vec()),
            ),
        }
    }

    /// `503`: no place for the handler in time.
    fn busy() -> Self {
        Dispatched::refuse(
            503,
            "busy: every handler place is taken; push the event again later",
        )
    }

    /// Whether the status is 200.
    pub fn is_ok(&self) -> bool {
        self.status == 200
    }
}

impl Dispatcher {
    /// Starts configuring a dispatcher.
    pub fn builder() -> DispatcherBuilder {
        DispatcherBuilder {
            inner: Inner {
                handlers: HashMap::new(),
                unknown: None,
                verification_token: None,
                encrypt_key: None,
                dedup: Arc::new(MemoryDedup::default()),
                client: None,
                callback_timeout: DispatcherBuilder::DEFAULT_CALLBACK_TIMEOUT,
                budget: Budget::default(),
                handler_wait: Budget::DEFAULT_WAIT,
                legacy_cards: false,
            },
        }
    }

    /// The Encrypt Key, for the webhook's decryption and signature check.
    pub(crate) fn encrypt_key(&self) -> Option<&Secret> {
        self.inner.encrypt_key.as_ref()
    }

    /// The verification token, if set (the webhook checks old-format cards' signatures with it).
    pub(crate) fn verification_token(&self) -> Option<&Secret> {
        self.inner.verification_token.as_ref()
    }

    /// The handlers' budget (the long connection takes places in it before reading on).
    pub(crate) fn budget(&self) -> &Budget {
        &self.inner.budget
    }

    /// How long the webhook waits for a place in the handlers' budget.
    pub(crate) fn handler_wait(&self) -> Duration {
        self.inner.handler_wait
    }

    /// Whether old-format card callbacks are accepted.
    pub(crate) fn legacy_cards(&self) -> bool {
        self.inner.legacy_cards
    }

    /// Handlers running now (events and callbacks whose handler has not finished).
    pub fn running_handlers(&self) -> usize {
        self.inner.budget.running()
    }

    /// Whether a handler (typed or catch-all) would receive events of this type.
    pub fn handles(&self, event_type: &str) -> bool {
        self.inner.handlers.contains_key(event_type) || self.inner.unknown.is_some()
    }

    /// Handles one JSON body that arrived on `channel` from an authenticated source (the
    /// long connection, or a custom transport that checked the request itself), and says
    /// what to answer. Never panics, whatever the bytes.
    ///
    /// An encrypted body (`{"encrypt": …}`) is opened once with the
    /// [`encrypt_key`](DispatcherBuilder::encrypt_key), without any signature check: the
    /// [`WebhookHandler`](super::WebhookHandler) authenticates a request before anything
    /// is decrypted or parsed, and is what an HTTP endpoint should use.
    ///
    /// It waits for a place in the handlers' budget
    /// ([`handler_limits`](DispatcherBuilder::handler_limits)); event handlers are spawned on
    /// the current tokio runtime (outside one they run before this returns).
    pub async fn dispatch(&self, body: &[u8], channel: Channel) -> Dispatched {
        let place = Place::Wait {
            size: body.len(),
            max_wait: None,
        };
        self.dispatch_in(body, channel, place).await
    }

    /// [`dispatch`](Self::dispatch) of a body it owns (dropped as soon as it is parsed),
    /// with the body's place in the budget.
    pub(crate) async fn dispatch_owned(
        &self,
        body: bytes::Bytes,
        channel: Channel,
        place: Place,
    ) -> Dispatched {
        let parsed = serde_json::from_slice::<Value>(&body);
        drop(body);
        self.dispatch_parsed(parsed, channel, place).await
    }

    /// [`dispatch`](Self::dispatch) with the body's place in the budget.
    pub(crate) async fn dispatch_in(
        &self,
        body: &[u8],
        channel: Channel,
        place: Place,
    ) -> Dispatched {
        self.dispatch_parsed(serde_json::from_slice::<Value>(body), channel, place)
            .await
    }

    async fn dispatch_parsed(
        &self,
        parsed: serde_json::Result<Value>,
        channel: Channel,
        place: Place,
    ) -> Dispatched {
        let opened = parsed
            .map_err(|_| "body is not JSON")
            .and_then(|value| self.open(value));
        match opened {
            Ok(envelope) => self.route(envelope, channel, place).await,
            Err(reason) => {
                tracing::warn!(?channel, reason, "event refused");
                Dispatched::refuse(400, reason)
            }
        }
    }

    /// Routes a plaintext envelope: the URL check is answered, a token that does not match
    /// is refused, an event or callback takes its place in the budget (or is answered 503)
    /// and goes to its handler.
    pub(crate) async fn route(
        &self,
        envelope: Envelope,
        channel: Channel,
        place: Place,
    ) -> Dispatched {
        match envelope {
            Envelope::Encrypted(_) => {
                tracing::warn!(?channel, reason = "still encrypted", "event refused");
                Dispatched::refuse(400, "an encrypted body inside an encrypted body")
            }
            Envelope::UrlVerification { challenge, token } => {
                if !self.token_ok(token.as_deref()) {
                    tracing::warn!(
                        ?channel,
                        reason = "verification token mismatch",
                        "url_verification refused"
                    );
                    return Dispatched::refuse(401, "verification token mismatch");
                }
                tracing::info!(?channel, "answering url_verification");
                Dispatched::ok(&serde_json::json!({ "challenge": challenge }))
            }
            Envelope::LegacyCard { header, body } => {
                if !self.inner.legacy_cards {
                    tracing::warn!(
                        ?channel,
                        reason = "old-format card callbacks are off",
                        "event refused"
                    );
                    return Dispatched::refuse(400, "old-format card callbacks are not accepted (DispatcherBuilder::legacy_card_callbacks)");
                }
                // Its `token` is the card's update token (`c-…`), not the app's verification
                // token: an old-format card is authenticated by its SHA-1 signature over the
                // verification token, which the webhook checks (the long connection is
                // authenticated by its handshake).
                let Some(admission) = self.place(place, channel).await else {
                    return Dispatched::busy();
                };
                self.unknown(header, body, channel, admission).await;
                Dispatched::ack()
            }
            Envelope::Event {
                header,
                token,
                event,
            } => {
                if !self.token_ok(token.as_deref()) {
                    tracing::warn!(
                        ?channel,
                        event_id = %header.event_id,
                        event_type = %header.event_type,
                        reason = "verification token mismatch",
                        "event refused"
                    );
                    return Dispatched::refuse(401, "verification token mismatch");
                }
                let Some(admission) = self.place(place, channel).await else {
                    tracing::warn!(
                        ?channel,
                        event_id = %header.event_id,
                        event_type = %header.event_type,
                        running = self.inner.budget.running(),
                        "no place for the handler in time; answered 503, the platform pushes it again"
                    );
                    return Dispatched::busy();
                };
                self.event(header, event, channel, admission).await
            }
        }
    }

    /// The body's place in the budget: taken already, or waited for.
    async fn place(&self, place: Place, channel: Channel) -> Option<Admission> {
        match place {
            Place::Taken(admission) => Some(admission),
            Place::Wait {
                size,
                max_wait: None,
            } => Some(self.inner.budget.admit(size).await),
            Place::Wait {
                size,
                max_wait: Some(wait),
            } => {
                if let Some(admission) = self.inner.budget.try_admit(size) {
                    return Some(admission);
                }
                tracing::debug!(?channel, "waiting for a place in the handlers' budget");
                tokio::time::timeout(wait, self.inner.budget.admit(size))
                    .await
                    .ok()
            }
        }
    }

    /// Classifies a body and opens it if it is encrypted, exactly once: what is inside an
    /// encrypted body must be a plaintext envelope. The error is the reason to refuse it.
    pub(crate) fn open(&self, value: Value) -> Result<Envelope, &'static str> {
        match envelope::classify(value)? {
            Envelope::Encrypted(sealed) => {
                let plain = self.decrypt(&sealed)?;
                let value: Value =
                    serde_json::from_slice(&plain).map_err(|_| "decrypted body is not JSON")?;
                match envelope::classify(value)? {
                    Envelope::Encrypted(_) => Err("an encrypted body inside an encrypted body"),
                    plain => Ok(plain),
                }
            }
            plain => Ok(plain),
        }
    }

    /// Decrypts the `encrypt` value of a body; the error is the reason to refuse it.
    pub(crate) fn decrypt(&self, sealed: &str) -> Result<Vec<u8>, &'static str> {
        let key = self
            .inner
            .encrypt_key
            .as_ref()
            .ok_or("encrypted body but no encrypt key configured")?;
        super::crypto::decrypt(key.expose(), sealed).map_err(|e| match e {
            super::crypto::DecryptError::Base64 => "encrypted body is not valid base64",
            super::crypto::DecryptError::Padding => {
                "encrypted body has bad padding (wrong encrypt key?)"
            }
            _ => "encrypted body has a bad length",
        })
    }

    /// Whether the envelope's token is acceptable.
    pub(crate) fn token_ok(&self, token: Option<&str>) -> bool {
        match &self.inner.verification_token {
            None => true,
            Some(expected) => token.is_some_and(|t| Secret::from(t) == *expected),
        }
    }

    /// An event or callback whose token was accepted.
    async fn event(
        &self,
        header: EventHeader,
        event: Value,
        channel: Channel,
        admission: Admission,
    ) -> Dispatched {
        if header.event_type == AppTicket::EVENT_TYPE {
            self.feed_app_ticket(&header, &event);
        }
        if !header.event_id.is_empty() && !self.inner.dedup.first_seen(&header.event_id).await {
            tracing::debug!(
                ?channel,
                event_id = %header.event_id,
                event_type = %header.event_type,
                "duplicate event acknowledged"
            );
            return Dispatched::ack();
        }
        let Some(registered) = self.inner.handlers.get(header.event_type.as_str()).cloned() else {
            self.unknown(header, event, channel, admission).await;
            return Dispatched::ack();
        };
        let event_id = header.event_id.clone();
        let event_type = header.event_type.clone();
        match registered {
            Registered::Event(f) => match f(header, event, channel) {
                Ok(fut) => {
                    run_detached(fut, admission, event_id, event_type).await;
                    Dispatched::ack()
                }
                Err(e) => {
                    log_decode_failure(&event_id, &event_type, &e);
                    Dispatched::ack()
                }
            },
            Registered::Callback(f) => match f(header, event, channel) {
                Ok(fut) => {
                    self.run_callback(fut, admission, event_id, event_type)
                        .await
                }
                Err(e) => {
                    log_decode_failure(&event_id, &event_type, &e);
                    Dispatched::ack()
                }
            },
        }
    }

    /// Gives an `app_ticket` event's ticket to the client, if one was configured.
    fn feed_app_ticket(&self, header: &EventHeader, event: &Value) {
        let Some(client) = &self.inner.client else {
            return;
        };
        match AppTicket::deserialize(event) {
            Ok(ticket) if !ticket.app_ticket.is_empty() => {
                client.set_app_ticket(ticket.app_ticket);
                tracing::debug!(event_id = %header.event_id, "app_ticket given to the client");
            }
            _ => tracing::error!(
                event_id = %header.event_id,
                event_type = %header.event_type,
                "app_ticket event without an app_ticket string"
            ),
        }
    }

    /// Hands an event to the catch-all handler, if any.
    async fn unknown(
        &self,
        header: EventHeader,
        event: Value,
        channel: Channel,
        admission: Admission,
    ) {
        let event_id = header.event_id.clone();
        let event_type = header.event_type.clone();
        match &self.inner.unknown {
            Some(f) => {
                let f = Arc::clone(f);
                let raw = RawEvent::new(header, event, channel);
                let fut: HandlerFuture<()> = Box::pin(async move { f(raw).await });
                run_detached(fut, admission, event_id, event_type).await;
            }
            None => tracing::debug!(
                ?channel,
                event_id = %event_id,
                event_type = %event_type,
                "no handler for this event type; acknowledged"
            ),
        }
    }

    /// Runs a callback handler within the timeout and turns its outcome into the answer.
    async fn run_callback(
        &self,
        fut: HandlerFuture<CallbackAnswer>,
        admission: Admission,
        event_id: String,
        event_type: String,
    ) -> Dispatched {
        // The place is held until the handler ends, even after a late answer.
        let guarded = async move {
            let outcome = AssertUnwindSafe(fut).catch_unwind().await;
            drop(admission);
            outcome
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            let outcome = guarded.await;
            return callback_outcome(outcome, &event_id, &event_type);
        };
        let mut task = runtime.spawn(guarded);
        match tokio::time::timeout(self.inner.callback_timeout, &mut task).await {
            Ok(Ok(outcome)) => callback_outcome(outcome, &event_id, &event_type),
            Ok(Err(join)) => {
                tracing::error!(%event_id, %event_type, error = %join, "callback handler task failed; answered {{}}");
                Dispatched::ack()
            }
            Err(_) => {
                tracing::error!(
                    %event_id,
                    %event_type,
                    timeout = ?self.inner.callback_timeout,
                    "callback handler too slow; answered {{}}, the handler keeps running"
                );
                runtime.spawn(async move {
                    match task.await {
                        Ok(Ok(Ok(_))) => tracing::info!(
                            %event_id,
                            %event_type,
                            "late callback handler finished; its answer was not sent"
                        ),
                        Ok(outcome) => {
                            let _ = callback_outcome(outcome, &event_id, &event_type);
                        }
                        Err(join) => tracing::error!(%event_id, %event_type, error = %join, "callback handler task failed"),
                    }
                });
                Dispatched::ack()
            }
        }
    }
}

/// A callback handler's outcome as the answer, logging a failure.
fn callback_outcome(
    outcome: Result<Result<CallbackAnswer, HandlerError>, Box<dyn Any + Send>>,
    event_id: &str,
    event_type: &str,
) -> Dispatched {
    match outcome {
        Ok(Ok(answer)) => Dispatched::ok(&answer.to_json()),
        Ok(Err(error)) => {
            tracing::error!(%event_id, %event_type, %error, "callback handler failed; answered {{}}");
            Dispatched::ack()
        }
        Err(panic) => {
            tracing::error!(
                %event_id,
                %event_type,
                panic = panic_message(panic.as_ref()),
                "callback handler panicked; answered {{}}"
            );
            Dispatched::ack()
        }
    }
}

/// Runs an event handler after the answer: spawned on the current tokio runtime, or awaited
/// here outside one. Its error or panic is logged; its place in the budget is released when
/// it ends.
async fn run_detached(
    fut: HandlerFuture<()>,
    admission: Admission,
    event_id: String,
    event_type: String,
) {
    let guarded = async move {
        let _admission = admission;
        match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::error!(%event_id, %event_type, %error, "event handler failed");
            }
            Err(panic) => tracing::error!(
                %event_id,
                %event_type,
                panic = panic_message(panic.as_ref()),
                "event handler panicked"
            ),
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(guarded);
        }
        Err(_) => guarded.await,
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}

/// Logs an event whose payload does not fit its type.
fn log_decode_failure(event_id: &str, event_type: &str, error: &DecodeFailure) {
    tracing::error!(
        %event_id,
        %event_type,
        path = %error.path(),
        error = %error.inner(),
        "event payload does not decode into its type; acknowledged and dropped"
    );
}

/// A handler of typed events `E` as a [`TypedFn`]: it decodes the payload (keeping the path
/// of a failure) and defers the handler's call to the returned future, so that a panic in
/// it is caught where the future runs.
fn typed<E, T, F, Fut>(handler: F) -> Arc<TypedFn<T>>
where
    E: Event,
    T: 'static,
    F: Fn(EventContext<E>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, HandlerError>> + Send + 'static,
{
    let handler = Arc::new(handler);
    Arc::new(move |header, event, channel| {
        let event: E = serde_path_to_error::deserialize(event)?;
        let handler = Arc::clone(&handler);
        let ctx = EventContext::new(header, event, channel);
        Ok(Box::pin(async move { handler(ctx).await }) as HandlerFuture<T>)
    })
}

impl DispatcherBuilder {
    /// How long a callback handler may take before the dispatcher answers `{}` without it:
    /// 2.5 s (the platform waits 3 s).
    pub const DEFAULT_CALLBACK_TIMEOUT: Duration = Duration::from_millis(2500);

    /// Registers the handler of events of type `E` (replacing any handler of that type).
    ///
    /// The event is acknowledged before the handler runs; an `Err` is logged with the event's
    /// id and type.
    pub fn on<E, F, Fut>(mut self, handler: F) -> Self
    where
        E: Event,
        F: Fn(EventContext<E>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.insert(E::EVENT_TYPE, Registered::Event(typed(handler)));
        self
    }

    /// Registers the handler of callbacks of type `C` (`card.action.trigger`), whose answer is
    /// sent to the platform (replacing any handler of that type).
    ///
    /// If the handler takes longer than [`callback_timeout`](Self::callback_timeout), fails
    /// or panics, the answer is `{}` and the problem is logged.
    pub fn on_callback<C, F, Fut>(mut self, handler: F) -> Self
    where
        C: Callback,
        F: Fn(EventContext<C>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CallbackAnswer, HandlerError>> + Send + 'static,
    {
        self.insert(C::EVENT_TYPE, Registered::Callback(typed(handler)));
        self
    }

    /// Registers the catch-all handler: it receives, as JSON, every event of a type without a
    /// handler (and old-format card callbacks, as
    /// [`LEGACY_CARD_ACTION`](super::LEGACY_CARD_ACTION)). Such events are acknowledged
    /// whether or not there is a catch-all handler.
    pub fn on_unknown<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(RawEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let f: Arc<UnknownFn> = Arc::new(move |raw| {
            let handler = Arc::clone(&handler);
            Box::pin(async move { handler(raw).await })
        });
        self.inner.unknown = Some(f);
        self
    }

    /// The app's Verification Token: when set, a body whose token differs is refused (401);
    /// without an Encrypt Key it is what authenticates webhook requests.
    pub fn verification_token(mut self, token: impl Into<String>) -> Self {
        self.inner.verification_token = Some(Secret::new(token));
        self
    }

    /// The app's Encrypt Key: when set, the webhook requires and checks `X-Lark-Signature`,
    /// and encrypted bodies can be opened.
    pub fn encrypt_key(mut self, key: impl Into<String>) -> Self {
        self.inner.encrypt_key = Some(Secret::new(key));
        self
    }

    /// Where handled event ids are recorded (default: [`MemoryDedup::default`]).
    pub fn dedup(mut self, store: impl DedupStore) -> Self {
        self.inner.dedup = Arc::new(store);
        self
    }

    /// [`dedup`](Self::dedup) with a store already shared.
    pub fn dedup_shared(mut self, store: Arc<dyn DedupStore>) -> Self {
        self.inner.dedup = store;
        self
    }

    /// The client that `app_ticket` events are given to
    /// ([`Client::set_app_ticket`]), before any handler of theirs runs.
    pub fn client(mut self, client: &Client) -> Self {
        self.inner.client = Some(client.clone());
        self
    }

    /// How long a callback handler may take (default
    /// [`DEFAULT_CALLBACK_TIMEOUT`](Self::DEFAULT_CALLBACK_TIMEOUT)).
    pub fn callback_timeout(mut self, timeout: Duration) -> Self {
        self.inner.callback_timeout = timeout;
        self
    }

    /// Bounds the handlers: at most `max_handlers` run at once (default 64), holding at
    /// most `max_bytes` of events together (default 8 MiB; an event counts its body's
    /// size, and one larger than the whole budget runs alone). An event is recorded as
    /// seen and acknowledged only once it has a place; until then it waits, so a slow
    /// handler slows the intake instead of filling the memory: the long connection stops
    /// reading, the webhook waits [`handler_wait`](Self::handler_wait) and then answers
    /// 503 (the platform pushes an event it did not get an answer for again, and the
    /// deduplication has not recorded it). Values are clamped to at least 1 handler and
    /// 1 KiB.
    pub fn handler_limits(mut self, max_handlers: usize, max_bytes: usize) -> Self {
        self.inner.budget = Budget::new(max_handlers, max_bytes);
        self
    }

    /// How long a webhook request waits for a place among the handlers before it is
    /// answered 503 (default 2 s; the platform waits 3 s for an answer). At most 24 hours,
    /// larger values are clamped.
    pub fn handler_wait(mut self, wait: Duration) -> Self {
        self.inner.handler_wait = wait.min(crate::limits::MAX_DURATION_SETTING);
        self
    }

    /// Accepts old-format card callbacks (no `schema`, an `action` at the top level; the
    /// message-card request URL of the card builder's first version). Off by default: they
    /// are authenticated only by a SHA-1 signature over the verification token, weaker than
    /// the Encrypt Key's, so a dispatcher takes them only when asked to, and the webhook
    /// only with a [`verification_token`](Self::verification_token) to check them with.
    /// Accepted ones go to [`on_unknown`](Self::on_unknown) as
    /// [`LEGACY_CARD_ACTION`](super::LEGACY_CARD_ACTION).
    pub fn legacy_card_callbacks(mut self, accept: bool) -> Self {
        self.inner.legacy_cards = accept;
        self
    }

    /// The dispatcher.
    pub fn build(self) -> Dispatcher {
        Dispatcher {
            inner: Arc::new(self.inner),
        }
    }

    fn insert(&mut self, event_type: &str, handler: Registered) {
        if self
            .inner
            .handlers
            .insert(event_type.to_owned(), handler)
            .is_some()
        {
            tracing::debug!(event_type, "handler replaced");
        }
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut types: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        types.sort_unstable();
        f.debug_struct("Dispatcher")
            .field("handlers", &types)
            .field("on_unknown", &self.unknown.is_some())
            .field("verification_token", &self.verification_token)
            .field("encrypt_key", &self.encrypt_key)
            .field("client", &self.client)
            .field("callback_timeout", &self.callback_timeout)
            .field("budget", &self.budget)
            .field("handler_wait", &self.handler_wait)
            .field("legacy_card_callbacks", &self.legacy_cards)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl fmt::Debug for DispatcherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
