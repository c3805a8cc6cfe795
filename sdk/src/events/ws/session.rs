//! One open WebSocket: pings, pongs, data frames, acknowledgements, until it drops or the
//! connection is shut down.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
// `SinkExt`: tokio-tungstenite (this module's feature) enables futures-util's `sink`.
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use super::config::{ConnectionSettings, ServerClientConfig};
use super::endpoint::Endpoint;
use super::error::{Scrub, Stage, WsError};
use super::fragments::{Limits, Reassembled, Reassembler};
use super::frame::{
    Frame, HEADER_BIZ_RT, HEADER_MESSAGE_ID, HEADER_SEQ, HEADER_SUM, HEADER_TRACE_ID, HEADER_TYPE,
    METHOD_CONTROL, METHOD_DATA, TYPE_PONG,
};
use super::ConnectionStatus;
use crate::events::budget::Admission;
use crate::events::dispatcher::Place;
use crate::events::{Channel, Dispatched, Dispatcher};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The connection is presumed dead after this many ping intervals without any inbound
/// message (the server answers each ping with a pong).
const SILENCE_PINGS: u32 = 3;
/// ... and never before this long.
const MIN_SILENCE: Duration = Duration::from_secs(30);
/// How long the close handshake may take at shutdown.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long sending one frame may take before the connection is presumed stuck.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The most messages handled at once; beyond it, reading pauses until one is answered.
const MAX_IN_FLIGHT: usize = 1024;

/// What a session needs from its connection.
pub(crate) struct SessionParams<'a> {
    pub dispatcher: &'a Dispatcher,
    pub shutdown: &'a CancellationToken,
    pub status: &'a watch::Sender<ConnectionStatus>,
    pub limits: Limits,
    pub shutdown_grace: Duration,
    pub connection_number: u64,
    /// What the server's texts are scrubbed of.
    pub scrub: Scrub,
}

/// A complete data message waiting for a place in the dispatcher's handler budget; while one
/// waits, nothing more is read (the platform re-pushes what is not acknowledged in time).
struct Waiting {
    frame: Frame,
    payload: bytes::Bytes,
    message_id: String,
    trace_id: String,
}

/// A received data message waiting for its handler's answer.
struct InFlight {
    /// The frame to send back as the acknowledgement (the last fragment received).
    frame: Frame,
    received: Instant,
    message_id: String,
    trace_id: String,
}

/// Runs the session until shutdown (`Ok`) or until the connection is lost (`Err`).
pub(crate) async fn run(
    ws: &mut Ws,
    endpoint: &Endpoint,
    settings: &mut ConnectionSettings,
    params: SessionParams<'_>,
) -> Result<(), WsError> {
    let mut session = Session {
        service_id: endpoint.service_id,
        device_id: endpoint.device_id.clone(),
        reassembler: Reassembler::new(params.limits),
        tasks: JoinSet::new(),
        in_flight: HashMap::new(),
        waiting: None,
        params,
    };
    let result = session.run(ws, settings).await;
    // Messages still being handled cannot be acknowledged on a lost connection: the platform
    // pushes them again. They are left to finish, not aborted: an abort between the
    // deduplication store's record and the handler's start would lose the event (the
    // re-push would be taken for a duplicate).
    session.tasks.detach_all();
    result
}

struct Session<'a> {
    service_id: i32,
    device_id: String,
    reassembler: Reassembler,
    tasks: JoinSet<Dispatched>,
    in_flight: HashMap<tokio::task::Id, InFlight>,
    waiting: Option<Waiting>,
    params: SessionParams<'a>,
}

enum Step {
    Shutdown,
    Done(Result<(tokio::task::Id, Dispatched), tokio::task::JoinError>),
    Incoming(Option<Result<Message, tokio_tungstenite::tungstenite::Error>>),
    Admitted(Admission),
    Ping,
    Expire,
    Silent,
}

impl Session<'_> {
    async fn run(&mut self, ws: &mut Ws, settings: &mut ConnectionSettings) -> Result<(), WsError> {
        let mut last_ping = Instant::now();
        self.send(ws, Frame::ping(self.service_id)).await?;
        let mut last_inbound = Instant::now();
        loop {
            let ping_at = last_ping + settings.ping_interval;
            let silence = (settings.ping_interval * SILENCE_PINGS).max(MIN_SILENCE);
            let expiry = self.reassembler.next_expiry().map(Instant::from_std);
            let waiting = self.waiting.as_ref().map(|w| w.payload.len());
            let budget = self.params.dispatcher.budget().clone();
            let step = tokio::select! {
                biased;
                _ = self.params.shutdown.cancelled() => Step::Shutdown,
                Some(done) = self.tasks.join_next_with_id(), if !self.tasks.is_empty() => Step::Done(done),
                admission = budget.admit(waiting.unwrap_or(0)), if waiting.is_some() => Step::Admitted(admission),
                message = ws.next(), if waiting.is_none() && self.tasks.len() < MAX_IN_FLIGHT => Step::Incoming(message),
                _ = sleep_until(ping_at) => Step::Ping,
                _ = sleep_until(expiry.unwrap_or(ping_at)), if expiry.is_some() => Step::Expire,
                // Silence counts only while reading: a pause for the handlers is not one.
                _ = sleep_until(last_inbound + silence), if waiting.is_none() => Step::Silent,
            };
            match step {
                Step::Shutdown => return self.shut_down(ws).await,
                Step::Done(done) => self.acknowledge(ws, done).await?,
                Step::Incoming(message) => {
                    last_inbound = Instant::now();
                    self.incoming(ws, message, settings).await?;
                }
                Step::Admitted(admission) => {
                    if let Some(waiting) = self.waiting.take() {
                        self.spawn(waiting, admission);
                    }
                    last_inbound = Instant::now();
                }
                Step::Ping => {
                    last_ping = Instant::now();
                    self.send(ws, Frame::ping(self.service_id)).await?;
                    tracing::trace!(device_id = %self.device_id, "long connection: ping sent");
                }
                Step::Expire => {
                    self.reassembler.expire(Instant::now().into_std());
                }
                Step::Silent => {
                    return Err(WsError::Disconnected {
                        reason: format!(
                            "nothing received for {} s (not even a pong)",
                            silence.as_secs()
                        ),
                    })
                }
            }
        }
    }

    async fn send(&self, ws: &mut Ws, frame: Frame) -> Result<(), WsError> {
        match timeout(
            SEND_TIMEOUT,
            ws.send(Message::Binary(frame.to_bytes().into())),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(WsError::Transport {
                stage: Stage::Session,
                source: Box::new(e),
            }),
            Err(_) => Err(WsError::Disconnected {
                reason: format!(
                    "a frame could not be sent within {} s",
                    SEND_TIMEOUT.as_secs()
                ),
            }),
        }
    }

    async fn incoming(
        &mut self,
        ws: &mut Ws,
        message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
        settings: &mut ConnectionSettings,
    ) -> Result<(), WsError> {
        let bytes = match message {
            None => {
                return Err(WsError::Disconnected {
                    reason: "the connection ended".into(),
                })
            }
            Some(Err(e)) => {
                return Err(WsError::Transport {
                    stage: Stage::Session,
                    source: Box::new(e),
                })
            }
            Some(Ok(Message::Binary(bytes))) => bytes,
            Some(Ok(Message::Close(frame))) => {
                // Complete the close handshake (best effort), then reconnect.
                let _ = timeout(CLOSE_TIMEOUT, ws.close(None)).await;
                let reason = match frame {
                    Some(f) => format!(
                        "the server closed it ({}: {})",
                        f.code,
                        self.params.scrub.text(&f.reason)
                    ),
                    None => "the server closed it".to_owned(),
                };
                return Err(WsError::Disconnected { reason });
            }
            Some(Ok(Message::Text(text))) => {
                tracing::warn!(
                    device_id = %self.device_id,
                    len = text.len(),
                    "long connection: ignoring a text message (frames are binary)"
                );
                return Ok(());
            }
            // WebSocket pings are answered by tungstenite itself.
            Some(Ok(_)) => return Ok(()),
        };
        let len = bytes.len();
        let frame = match Frame::from_bytes(bytes) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::warn!(
                    device_id = %self.device_id,
                    len,
                    error = %e,
                    "long connection: ignoring a message that is not a usable frame"
                );
                return Ok(());
            }
        };
        match frame.method {
            METHOD_CONTROL => self.control(frame, settings),
            METHOD_DATA => self.data(frame),
            other => tracing::debug!(
                device_id = %self.device_id,
                method = other,
                "long connection: ignoring a frame of an unknown method"
            ),
        }
        Ok(())
    }

    fn control(&mut self, frame: Frame, settings: &mut ConnectionSettings) {
        if frame.header(HEADER_TYPE) != Some(TYPE_PONG) {
            return;
        }
        tracing::trace!(device_id = %self.device_id, "long connection: pong received");
        match ServerClientConfig::from_pong(frame.payload()) {
            Ok(Some(config)) => {
                let before = *settings;
                settings.apply(&config);
                if *settings != before {
                    tracing::info!(
                        device_id = %self.device_id,
                        ping_interval_s = settings.ping_interval.as_secs(),
                        reconnect_interval_s = settings.reconnect_interval.as_secs(),
                        reconnect_nonce_s = settings.reconnect_nonce.as_secs(),
                        reconnect_count = ?settings.reconnect_count,
                        "long connection: new settings from the server"
                    );
                    self.params
                        .status
                        .send_replace(ConnectionStatus::Connected {
                            device_id: self.device_id.clone(),
                            settings: *settings,
                            connection_number: self.params.connection_number,
                        });
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(
                device_id = %self.device_id,
                error = %e,
                "long connection: ignoring a pong whose payload is not a client config"
            ),
        }
    }

    fn data(&mut self, mut frame: Frame) {
        let message_id = frame.header(HEADER_MESSAGE_ID).unwrap_or("").to_owned();
        let trace_id = frame.header(HEADER_TRACE_ID).unwrap_or("").to_owned();
        let kind = frame.header(HEADER_TYPE).unwrap_or("").to_owned();
        let sum = frame.header_int(HEADER_SUM).unwrap_or(1);
        let seq = frame.header_int(HEADER_SEQ).unwrap_or(0);
        let payload = frame.payload.take().unwrap_or_default();
        let payload =
            match self
                .reassembler
                .add(&message_id, sum, seq, payload, Instant::now().into_std())
            {
                Reassembled::Complete(payload) => payload,
                Reassembled::Pending => return,
                Reassembled::Rejected(reason) => {
                    tracing::warn!(
                        device_id = %self.device_id,
                        %message_id, %trace_id, sum, seq, reason,
                        "long connection: fragment dropped"
                    );
                    return;
                }
            };
        // Events (`type` = event) and callbacks (`type` = card) alike: the envelope says
        // which it is, and the dispatcher routes it.
        tracing::debug!(
            device_id = %self.device_id,
            %message_id, %trace_id, frame_type = %kind, len = payload.len(),
            "long connection: message received"
        );
        let waiting = Waiting {
            frame,
            payload,
            message_id,
            trace_id,
        };
        // A place among the handlers first: without one, reading pauses until a handler
        // ends (the budget bounds what events hold in memory, whatever the platform sends).
        match self
            .params
            .dispatcher
            .budget()
            .try_admit(waiting.payload.len())
        {
            Some(admission) => self.spawn(waiting, admission),
            None => {
                tracing::debug!(
                    device_id = %self.device_id,
                    message_id = %waiting.message_id,
                    running = self.params.dispatcher.running_handlers(),
                    "long connection: every handler place is taken; reading pauses"
                );
                self.waiting = Some(waiting);
            }
        }
    }

    /// Hands a message with its place in the budget to the dispatcher.
    fn spawn(&mut self, waiting: Waiting, admission: Admission) {
        let Waiting {
            frame,
            payload,
            message_id,
            trace_id,
        } = waiting;
        let dispatcher = self.params.dispatcher.clone();
        // A payload sent as `{"encrypt": …}` is opened by the dispatcher.
        let handle = self.tasks.spawn(async move {
            let place = Place::Taken(admission);
            dispatcher
                .dispatch_owned(payload, Channel::LongConnection, place)
                .await
        });
        self.in_flight.insert(
            handle.id(),
            InFlight {
                frame,
                received: Instant::now(),
                message_id,
                trace_id,
            },
        );
    }

    async fn acknowledge(
        &mut self,
        ws: &mut Ws,
        done: Result<(tokio::task::Id, Dispatched), tokio::task::JoinError>,
    ) -> Result<(), WsError> {
        let (id, answer) = match done {
            Ok((id, answer)) => (id, Some(answer)),
            Err(e) => (e.id(), None),
        };
        let Some(flight) = self.in_flight.remove(&id) else {
            return Ok(());
        };
        let biz_rt = flight.received.elapsed().as_millis();
        let (code, data) = match &answer {
            Some(answer) if answer.status == 200 => (200, &answer.body[..]),
            Some(answer) => {
                tracing::warn!(
                    device_id = %self.device_id,
                    message_id = %flight.message_id, trace_id = %flight.trace_id,
                    status = answer.status,
                    "long connection: message refused by the dispatcher"
                );
                (500, &answer.body[..])
            }
            None => {
                tracing::error!(
                    device_id = %self.device_id,
                    message_id = %flight.message_id, trace_id = %flight.trace_id,
                    "long connection: the handler panicked"
                );
                (500, &b""[..])
            }
        };
        let mut frame = flight.frame;
        frame.service = self.service_id;
        frame.set_header(HEADER_BIZ_RT, biz_rt.to_string());
        frame.payload = Some(ack_payload(code, data).into());
        self.send(ws, frame).await?;
        tracing::debug!(
            device_id = %self.device_id,
            message_id = %flight.message_id, trace_id = %flight.trace_id,
            code, biz_rt = %biz_rt,
            "long connection: acknowledged"
        );
        Ok(())
    }

    /// Acknowledges what is still being handled (within the grace period), then closes.
    async fn shut_down(&mut self, ws: &mut Ws) -> Result<(), WsError> {
        let deadline = Instant::now() + self.params.shutdown_grace;
        while !self.tasks.is_empty() {
            match tokio::time::timeout_at(deadline, self.tasks.join_next_with_id()).await {
                Ok(Some(done)) => {
                    if self.acknowledge(ws, done).await.is_err() {
                        break;
                    }
                }
                Ok(None) | Err(_) => break,
            }
        }
        // Not aborted, for the reason given in `run`.
        self.tasks.detach_all();
        let close = CloseFrame {
            code: CloseCode::Normal,
            reason: "client shutdown".into(),
        };
        let closing = async {
            ws.close(Some(close)).await?;
            // Wait for the server's close frame.
            while let Some(message) = ws.next().await {
                message?;
            }
            Ok::<(), tokio_tungstenite::tungstenite::Error>(())
        };
        match timeout(CLOSE_TIMEOUT, closing).await {
            Ok(Ok(())) | Ok(Err(_)) => {}
            Err(_) => tracing::debug!(
                device_id = %self.device_id,
                "long connection: the server did not finish the close handshake in time"
            ),
        }
        tracing::info!(device_id = %self.device_id, "long connection: closed (shutdown)");
        Ok(())
    }
}

/// The acknowledgement's payload: `{"code": 200|500, "headers": {}, "data": "<base64>"}`.
pub(crate) fn ack_payload(code: u16, data: &[u8]) -> Vec<u8> {
    let value = serde_json::json!({
        "code": code,
        "headers": {},
        "data": base64::engine::general_purpose::STANDARD.encode(data),
    });
    serde_json::to_vec(&value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_payload_shape() {
        let v: serde_json::Value = serde_json::from_slice(&ack_payload(200, b"{}")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"code": 200, "headers": {}, "data": "e30="})
        );
        let v: serde_json::Value = serde_json::from_slice(&ack_payload(500, b"")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"code": 500, "headers": {}, "data": ""})
        );
    }
}
