//! `POST /callback/ws/endpoint` and the `GET /ws` WebSocket.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::frame::{Frame, METHOD_CONTROL, METHOD_DATA};
use super::{refusal_msg, stopped, Conn, HandshakeRefusal, Out, WsAck, WsState};
use crate::fake::state::Shared;

/// The two routes of the long connection.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/callback/ws/endpoint", post(endpoint))
        .route("/ws", get(upgrade))
}

fn answer(code: i64, msg: &str) -> Response {
    Json(json!({ "code": code, "msg": msg })).into_response()
}

/// `POST /callback/ws/endpoint` with `{"AppID", "AppSecret"}`: a scripted refusal, 514
/// for other credentials, else the WebSocket URL (with a one-use ticket) and the
/// `ClientConfig`.
async fn endpoint(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let ws = &shared.events.ws;
    let mut inner = ws.lock();
    inner.counters.endpoint_requests += 1;
    if let Some(code) = inner.refuse_endpoint.pop_front() {
        inner.counters.refused += 1;
        return answer(code, refusal_msg(code));
    }
    let Ok(Value::Object(creds)) = serde_json::from_slice::<Value>(&body) else {
        inner.counters.refused += 1;
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "code": 400, "msg": "the body is not a JSON object" })),
        )
            .into_response();
    };
    let config = &shared.config;
    let field = |name: &str| creds.get(name).and_then(Value::as_str);
    if field("AppID") != Some(config.app_id.as_str())
        || field("AppSecret") != Some(config.app_secret.as_str())
    {
        inner.counters.refused += 1;
        return answer(514, "auth failed: unknown AppID or wrong AppSecret");
    }
    let n = inner.next_id;
    inner.next_id += 1;
    let ticket: String = (0..32).map(|_| fastrand::alphanumeric()).collect();
    inner.tickets.insert(ticket.clone());
    let url = format!(
        "ws://{}/ws?device_id=fake_device_{n}&service_id={}&ticket={ticket}",
        ws.addr,
        7_000 + n
    );
    let client_config = WsState::client_config(&inner.config);
    Json(json!({
        "code": 0,
        "msg": "ok",
        "data": { "URL": url, "ClientConfig": client_config },
    }))
    .into_response()
}

fn refuse(refusal: &HandshakeRefusal) -> Response {
    let status = match refusal.status {
        403 => StatusCode::FORBIDDEN,
        514 => StatusCode::UNAUTHORIZED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut resp = (status, refusal.msg.clone()).into_response();
    let headers = resp.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("handshake-status", refusal.status.to_string());
    set("handshake-msg", refusal.msg.clone());
    if let Some(code) = refusal.auth_err_code {
        set("handshake-autherrcode", code.to_string());
    }
    resp
}

/// `GET /ws?device_id&service_id&ticket`: a scripted refusal, a refusal for an unknown
/// or used ticket, else the WebSocket.
async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let ws = &shared.events.ws;
    {
        let mut inner = ws.lock();
        if let Some(refusal) = inner.refuse_handshake.pop_front() {
            inner.counters.refused += 1;
            return refuse(&refusal);
        }
        let ticket = query.get("ticket").map(String::as_str).unwrap_or_default();
        if !inner.tickets.remove(ticket) {
            inner.counters.refused += 1;
            return refuse(&HandshakeRefusal {
                status: 514,
                msg: "invalid or used ticket".to_owned(),
                auth_err_code: None,
            });
        }
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let service_id = query
        .get("service_id")
        .and_then(|s| s.parse::<i32>().ok())
        .unwrap_or_default();
    upgrade.on_upgrade(move |socket| connection(shared, socket, service_id))
}

/// One connection: answers pings, records acks, sends what pushes queue, until the
/// client closes, the fake drops it, or the fake shuts down.
async fn connection(shared: Arc<Shared>, mut socket: WebSocket, service_id: i32) {
    let ws = &shared.events.ws;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = {
        let mut inner = ws.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        let config_version = inner.config_version;
        inner.conns.insert(
            id,
            Conn {
                tx,
                service_id,
                config_version,
            },
        );
        inner.counters.connections_total += 1;
        ws.publish_connections(&inner);
        id
    };
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            out = rx.recv() => match out {
                Some(Out::Frame(bytes)) => {
                    if socket.send(Message::Binary(bytes.into())).await.is_err() {
                        break;
                    }
                }
                Some(Out::Drop) | None => break,
            },
            received = socket.recv() => match received {
                Some(Ok(Message::Binary(bytes))) => {
                    if let Some(pong) = received_frame(ws, id, &bytes) {
                        if socket.send(Message::Binary(pong.into())).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(Message::Text(_))) => {
                    ws.lock().counters.undecodable += 1;
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    let mut inner = ws.lock();
    inner.conns.remove(&id);
    ws.publish_connections(&inner);
}

/// Handles a frame from the client; returns the pong to send for a ping.
fn received_frame(ws: &WsState, conn_id: u64, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut inner = ws.lock();
    let Some(frame) = Frame::from_bytes(bytes) else {
        inner.counters.undecodable += 1;
        return None;
    };
    let expected_service = inner.conns.get(&conn_id).map(|c| c.service_id);
    if expected_service != Some(frame.service) {
        inner.counters.wrong_service += 1;
    }
    match frame.method {
        METHOD_CONTROL if frame.header("type") == Some("ping") => {
            inner.counters.pings += 1;
            inner.counters.pongs += 1;
            let version = inner.config_version;
            let config = WsState::client_config(&inner.config);
            let changed = inner
                .conns
                .get_mut(&conn_id)
                .map(|c| std::mem::replace(&mut c.config_version, version) != version)
                .unwrap_or(false);
            let mut pong = Frame {
                seq_id: frame.seq_id,
                log_id: frame.log_id,
                service: frame.service,
                method: METHOD_CONTROL,
                ..Frame::default()
            };
            pong.push_header("type", "pong");
            if changed {
                inner.counters.config_pongs += 1;
                pong.payload = Some(config.to_string().into_bytes());
            }
            Some(pong.to_bytes())
        }
        METHOD_DATA => {
            let ack = decode_ack(&frame);
            let delivery = inner.deliveries.get(&ack.message_id).cloned();
            let ack = WsAck {
                event_id: delivery.as_ref().and_then(|d| d.event_id.clone()),
                ..ack
            };
            inner.acks.push(ack);
            inner.counters.acks += 1;
            ws.acks.send_replace(inner.acks.len());
            drop(inner);
            if let Some(delivery) = delivery {
                delivery.acked.store(true, Ordering::SeqCst);
                delivery.notify.notify_one();
            }
            None
        }
        _ => None,
    }
}

fn decode_ack(frame: &Frame) -> WsAck {
    let payload: Option<Value> = frame
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_slice(p).ok());
    let code = payload
        .as_ref()
        .and_then(|p| p.get("code"))
        .and_then(Value::as_i64)
        .unwrap_or(-1);
    let data = match payload.as_ref().and_then(|p| p.get("data")) {
        Some(Value::String(s)) => match STANDARD.decode(s) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
            Err(_) => Value::String(s.clone()),
        },
        Some(other) => other.clone(),
        None => Value::Null,
    };
    WsAck {
        message_id: frame.header("message_id").unwrap_or_default().to_owned(),
        event_id: None,
        frame_type: frame.header("type").unwrap_or_default().to_owned(),
        code,
        biz_rt: frame.header("biz_rt").and_then(|v| v.trim().parse().ok()),
        data,
        service: frame.service,
        headers: frame
            .headers
            .iter()
            .map(|h| (h.key.clone(), h.value.clone()))
            .collect(),
    }
}
