//! The framework-neutral webhook handler: raw headers and body in, status and body out.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::crypto;
use super::dispatcher::{Dispatcher, Place};
use super::envelope::{self, Envelope};
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
/// A request is **authenticated before anything is decrypted or parsed for its meaning**:
///
/// 1. a body over [`max_body`](Self::max_body) is refused (413), by its length alone;
/// 2. with an Encrypt Key: a signed request must carry a valid `X-Lark-Signature` (SHA-256
///    over timestamp, nonce, key and the raw bytes, compared in constant time), else it is
///    refused; only then is its body parsed and, if encrypted, decrypted (once). The one
///    unsigned request accepted is the URL check (`url_verification`, which the platform
///    does not sign), and only when it decrypts to a URL check carrying the right
///    verification token;
/// 3. without an Encrypt Key: the body's verification token is what authenticates it
///    (when a [`verification_token`](super::DispatcherBuilder::verification_token) is set);
/// 4. old-format card callbacks, when the dispatcher accepts them
///    ([`legacy_card_callbacks`](super::DispatcherBuilder::legacy_card_callbacks)), must
///    carry a valid SHA-1 signature over the verification token;
/// 5. a signed request's `X-Lark-Request-Timestamp` must be within
///    [`max_skew`](Self::max_skew) of now (401, `stale timestamp`).
///
/// **Every refusal of a request that is not authenticated is the same answer**, 401 with
/// [`WebhookResponse::UNAUTHENTICATED`], whatever the reason (bad or missing signature,
/// wrong token, a ciphertext that does not open, a body of no known kind): no answer tells
/// an attacker anything about a body it could not sign, so the decryption cannot be used as
/// an oracle. The reason is in a `tracing::warn!` line. After authentication, a body that is
/// not usable is refused with its reason (400), and the authenticated envelope goes to
/// [`Dispatcher`], which answers it. Never panics.
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

/// Why a request is refused.
enum Refusal {
    /// Not authenticated: always the same answer; the reason is only logged.
    Unauthenticated(&'static str),
    /// Authenticated (or nothing is configured to authenticate with), but not usable.
    Refused(StatusCode, &'static str),
}

impl WebhookResponse {
    /// The body's content type.
    pub const CONTENT_TYPE: &'static str = "application/json";

    /// The `msg` of the one answer (status 401) given to every request that is not
    /// authenticated.
    pub const UNAUTHENTICATED: &'static str =
        "not authenticated: the signature or the verification token is missing or wrong";

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

    /// The one answer to an unauthenticated request; `reason` goes to the log only.
    fn unauthenticated(reason: &'static str) -> Self {
        tracing::warn!(
            status = 401u16,
            reason,
            "webhook request refused: not authenticated"
        );
        WebhookResponse {
            status: StatusCode::UNAUTHORIZED,
            body: Bytes::from_static(
                br#"{"msg":"not authenticated: the signature or the verification token is missing or wrong"}"#,
            ),
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
        let envelope = match self.authenticate(headers, body) {
            Ok(envelope) => envelope,
            Err(Refusal::Unauthenticated(reason)) => {
                return WebhookResponse::unauthenticated(reason)
            }
            Err(Refusal::Refused(status, reason)) => {
                return WebhookResponse::refuse(status, reason)
            }
        };
        let place = Place::Wait {
            size: body.len(),
            max_wait: Some(self.dispatcher.handler_wait()),
        };
        let dispatched = self
            .dispatcher
            .route(envelope, Channel::Webhook, place)
            .await;
        WebhookResponse {
            status: StatusCode::from_u16(dispatched.status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body: dispatched.body,
        }
    }

    /// Authenticates a request, and only then opens its body: the plaintext envelope, or
    /// why it is refused.
    fn authenticate(&self, headers: &HeaderMap, body: &[u8]) -> Result<Envelope, Refusal> {
        let d = &self.dispatcher;
        let signature = header(headers, HEADER_SIGNATURE);
        let Some(key) = d.encrypt_key() else {
            return self.authenticate_by_token(headers, body, signature);
        };
        let Some(signature) = signature else {
            return self.unsigned_url_check(body);
        };
        let timestamp =
            header(headers, HEADER_TIMESTAMP).ok_or(Refusal::Unauthenticated("no timestamp"))?;
        let nonce = header(headers, HEADER_NONCE).unwrap_or("");
        if crypto::verify_signature(timestamp, nonce, key.expose(), body, signature) {
            self.check_skew(Some(timestamp))?;
            let value = serde_json::from_slice::<Value>(body)
                .map_err(|_| Refusal::Refused(StatusCode::BAD_REQUEST, "body is not JSON"))?;
            return d
                .open(value)
                .map_err(|reason| Refusal::Refused(StatusCode::BAD_REQUEST, reason));
        }
        // An old-format card callback is signed with SHA-1 over the verification token.
        if self.legacy_signature_ok(timestamp, nonce, body, signature) {
            self.check_skew(Some(timestamp))?;
            return match parse_plain(body) {
                Some(card @ Envelope::LegacyCard { .. }) => Ok(card),
                _ => Err(Refusal::Unauthenticated(
                    "a card callback's signature over a body that is no card callback",
                )),
            };
        }
        Err(Refusal::Unauthenticated("bad signature"))
    }

    /// With an Encrypt Key, the one unsigned request accepted: the URL check, opened (it is
    /// encrypted) and carrying the right verification token. Any other outcome, whatever
    /// went wrong, is the same refusal.
    fn unsigned_url_check(&self, body: &[u8]) -> Result<Envelope, Refusal> {
        let value = serde_json::from_slice::<Value>(body)
            .map_err(|_| Refusal::Unauthenticated("unsigned body that is not JSON"))?;
        match self.dispatcher.open(value) {
            Ok(check @ Envelope::UrlVerification { .. }) => match &check {
                Envelope::UrlVerification { token, .. }
                    if self.dispatcher.token_ok(token.as_deref()) =>
                {
                    Ok(check)
                }
                _ => Err(Refusal::Unauthenticated(
                    "url_verification with a wrong verification token",
                )),
            },
            Ok(_) => Err(Refusal::Unauthenticated("missing signature")),
            Err(reason) => Err(Refusal::Unauthenticated(reason)),
        }
    }

    /// Without an Encrypt Key: the body's verification token authenticates it (when one is
    /// configured; without one there is nothing to check, and refusals say why).
    fn authenticate_by_token(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Envelope, Refusal> {
        let d = &self.dispatcher;
        let refuse = |reason: &'static str| match d.verification_token() {
            Some(_) => Refusal::Unauthenticated(reason),
            None => Refusal::Refused(StatusCode::BAD_REQUEST, reason),
        };
        let value =
            serde_json::from_slice::<Value>(body).map_err(|_| refuse("body is not JSON"))?;
        let envelope = envelope::classify(value).map_err(refuse)?;
        let timestamp = header(headers, HEADER_TIMESTAMP);
        match &envelope {
            Envelope::Encrypted(_) => Err(refuse("encrypted body but no encrypt key configured")),
            Envelope::LegacyCard { .. } => {
                if !d.legacy_cards() {
                    return Err(refuse("old-format card callbacks are not accepted"));
                }
                if d.verification_token().is_some() {
                    let nonce = header(headers, HEADER_NONCE).unwrap_or("");
                    let signed = match (timestamp, signature) {
                        (Some(ts), Some(sig)) => self.legacy_signature_ok(ts, nonce, body, sig),
                        _ => false,
                    };
                    if !signed {
                        return Err(Refusal::Unauthenticated(
                            "card callback without a valid signature",
                        ));
                    }
                }
                self.check_skew(timestamp)?;
                Ok(envelope)
            }
            Envelope::UrlVerification { token, .. } => {
                if d.token_ok(token.as_deref()) {
                    Ok(envelope)
                } else {
                    Err(Refusal::Unauthenticated("verification token mismatch"))
                }
            }
            Envelope::Event { token, .. } => {
                if !d.token_ok(token.as_deref()) {
                    return Err(Refusal::Unauthenticated("verification token mismatch"));
                }
                self.check_skew(timestamp)?;
                Ok(envelope)
            }
        }
    }

    /// Whether `signature` is the SHA-1 signature of an old-format card callback, when the
    /// dispatcher accepts them and has a verification token to check it with.
    fn legacy_signature_ok(
        &self,
        timestamp: &str,
        nonce: &str,
        body: &[u8],
        signature: &str,
    ) -> bool {
        let d = &self.dispatcher;
        match d.verification_token() {
            Some(token) if d.legacy_cards() => crypto::verify_legacy_card_signature(
                timestamp,
                nonce,
                token.expose(),
                body,
                signature,
            ),
            _ => false,
        }
    }

    /// Refuses a request whose timestamp is further than `max_skew` from now (a replay).
    fn check_skew(&self, timestamp: Option<&str>) -> Result<(), Refusal> {
        let (Some(skew), Some(timestamp)) = (self.max_skew, timestamp) else {
            return Ok(());
        };
        let Ok(seconds) = timestamp.trim().parse::<i64>() else {
            return Err(Refusal::Refused(StatusCode::UNAUTHORIZED, "bad timestamp"));
        };
        if !fresh(seconds, skew) {
            return Err(Refusal::Refused(
                StatusCode::UNAUTHORIZED,
                "stale timestamp",
            ));
        }
        Ok(())
    }
}

/// A plaintext body's kind, if it is JSON.
fn parse_plain(body: &[u8]) -> Option<Envelope> {
    let value = serde_json::from_slice::<Value>(body).ok()?;
    envelope::classify(value).ok()
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
