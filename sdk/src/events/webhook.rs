//! The framework-neutral webhook handler: raw headers and body in, status and body out.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::crypto;
use super::dispatcher::Dispatcher;
use super::event::Channel;

/// Header carrying the request's timestamp (seconds since the epoch).
pub const HEADER_TIMESTAMP: &str = "x-lark-request-timestamp";
/// Header carrying the request's nonce.
pub const HEADER_NONCE: &str = "x-lark-request-nonce";
/// Header carrying the request's signature.
pub const HEADER_SIGNATURE: &str = "x-lark-signature";

/// Serves the app's request URL: give it each POST's headers and raw body, send back the
/// [`WebhookResponse`]. Works with any HTTP framework (the `axum` feature has a ready
/// integration in [`events::axum`](crate::events)).
///
/// In order, it: refuses a body over [`max_body`](Self::max_body) (413); parses the JSON
/// (400); decrypts an `{"encrypt": …}` body with the dispatcher's Encrypt Key (400 without
/// one or when it does not open); when an Encrypt Key is set, requires `X-Lark-Signature`
/// and checks it in constant time over the raw bytes (401), except for the
/// `url_verification` request; refuses a `X-Lark-Request-Timestamp` further than
/// [`max_skew`](Self::max_skew) from now (401); and hands the plaintext to
/// [`Dispatcher::dispatch`]. Each refusal is logged with `tracing::warn!` and its reason.
/// Never panics.
#[derive(Debug, Clone)]
pub struct WebhookHandler {
    dispatcher: Dispatcher,
    max_body: usize,
    max_skew: Option<Duration>,
}

/// The answer to a webhook request: always JSON
/// ([`CONTENT_TYPE`](WebhookResponse::CONTENT_TYPE)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON body.
    pub body: Bytes,
}

impl WebhookResponse {
    /// The body's content type.
    pub const CONTENT_TYPE: &'static str = "application/json";

    /// The response as an `http::Response` with its content type.
    pub fn into_http(self) -> http::Response<Bytes> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = self.status;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(Self::CONTENT_TYPE),
        );
        response
    }

    fn refuse(status: StatusCode, reason: &'static str) -> Self {
        tracing::warn!(status = status.as_u16(), reason, "webhook request refused");
        let body = serde_json::to_vec(&serde_json::json!({ "msg": reason }))
            .unwrap_or_else(|_| b"{}".to_vec());
        WebhookResponse {
            status,
            body: Bytes::from(body),
        }
    }
}

impl WebhookHandler {
    /// Largest body accepted by default: 1 MiB.
    pub const DEFAULT_MAX_BODY: usize = 1 << 20;
    /// Largest difference between a request's timestamp and now accepted by default: 5 minutes.
    pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(300);

    /// A handler feeding this dispatcher (whose verification token and Encrypt Key it uses).
    pub fn new(dispatcher: Dispatcher) -> Self {
        WebhookHandler {
            dispatcher,
            max_body: Self::DEFAULT_MAX_BODY,
            max_skew: Some(Self::DEFAULT_MAX_SKEW),
        }
    }

    /// The largest body accepted, in bytes; a larger one is refused with 413.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The largest difference accepted between `X-Lark-Request-Timestamp` and the local clock
    /// (replayed requests are refused); `Duration::ZERO` turns the check off.
    pub fn max_skew(mut self, skew: Duration) -> Self {
        self.max_skew = (!skew.is_zero()).then_some(skew);
        self
    }

    /// The body size limit in force.
    pub fn max_body_limit(&self) -> usize {
        self.max_body
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// Handles one POST: its headers and the exact bytes of its body.
    pub async fn handle(&self, headers: &HeaderMap, body: &[u8]) -> WebhookResponse {
        if body.len() > self.max_body {
            return WebhookResponse::refuse(StatusCode::PAYLOAD_TOO_LARGE, "body too large");
        }
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return WebhookResponse::refuse(StatusCode::BAD_REQUEST, "body is not JSON");
        };
        let value = match self.dispatcher.open(value) {
            Ok(value) => value,
            Err(reason) => return WebhookResponse::refuse(StatusCode::BAD_REQUEST, reason),
        };
        let key = self.dispatcher.encrypt_key();
        let verification = value.get("type").and_then(Value::as_str) == Some("url_verification");
        if !verification && is_legacy_card(&value) {
            // Old-format card callbacks are signed with SHA-1 over the verification token.
            match self.dispatcher.verification_token() {
                Some(token) => {
                    let (Some(signature), Some(timestamp)) = (
                        header(headers, HEADER_SIGNATURE),
                        header(headers, HEADER_TIMESTAMP),
                    ) else {
                        return WebhookResponse::refuse(
                            StatusCode::UNAUTHORIZED,
                            "missing signature on a card callback",
                        );
                    };
                    let nonce = header(headers, HEADER_NONCE).unwrap_or("");
                    if !crypto::verify_legacy_card_signature(
                        timestamp,
                        nonce,
                        token.expose(),
                        body,
                        signature,
                    ) {
                        return WebhookResponse::refuse(
                            StatusCode::UNAUTHORIZED,
                            "bad card callback signature",
                        );
                    }
                }
                None if key.is_some() => {
                    return WebhookResponse::refuse(
                        StatusCode::UNAUTHORIZED,
                        "old-format card callback, but no verification token configured to check its signature",
                    );
                }
                None => {}
            }
        } else if !verification {
            if let Some(key) = key {
                let Some(signature) = header(headers, HEADER_SIGNATURE) else {
                    return WebhookResponse::refuse(StatusCode::UNAUTHORIZED, "missing signature");
                };
                let Some(timestamp) = header(headers, HEADER_TIMESTAMP) else {
                    return WebhookResponse::refuse(StatusCode::UNAUTHORIZED, "missing timestamp");
                };
                let nonce = header(headers, HEADER_NONCE).unwrap_or("");
                if !crypto::verify_signature(timestamp, nonce, key.expose(), body, signature) {
                    return WebhookResponse::refuse(StatusCode::UNAUTHORIZED, "bad signature");
                }
            }
        }
        if !verification {
            if let (Some(skew), Some(timestamp)) =
                (self.max_skew, header(headers, HEADER_TIMESTAMP))
            {
                let Ok(seconds) = timestamp.trim().parse::<i64>() else {
                    return WebhookResponse::refuse(StatusCode::UNAUTHORIZED, "bad timestamp");
                };
                if !fresh(seconds, skew) {
                    return WebhookResponse::refuse(StatusCode::UNAUTHORIZED, "stale timestamp");
                }
            }
        }
        let dispatched = self
            .dispatcher
            .dispatch_value(value, Channel::Webhook)
            .await;
        WebhookResponse {
            status: StatusCode::from_u16(dispatched.status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body: dispatched.body,
        }
    }
}

/// An old-format card callback: no `schema`, no `type`, an `action` at the top level.
fn is_legacy_card(value: &Value) -> bool {
    value.get("schema").is_none()
        && value.get("type").is_none()
        && value.get("event").is_none()
        && value.get("action").is_some()
}

/// A header's value, if present and text.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether a timestamp (seconds since the epoch) is within `skew` of now.
fn fresh(seconds: i64, skew: Duration) -> bool {
    let now = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    };
    let skew = i64::try_from(skew.as_secs()).unwrap_or(i64::MAX);
    now.abs_diff(seconds) <= skew.unsigned_abs()
}
