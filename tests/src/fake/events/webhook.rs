//! Webhook pushes: real HTTP POSTs (reqwest) of envelopes to an app's URL.

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::crypto;
use crate::fake::FakeLark;

/// How the `X-Lark-Signature` header of a push is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sign {
    /// The right signature (computed with the configured encrypt key, or an empty key
    /// when there is none).
    #[default]
    Good,
    /// A well-formed signature computed with another key.
    Bad,
    /// No `X-Lark-Signature` header (timestamp and nonce are still sent).
    Missing,
}

/// Options of a webhook push ([`FakeLark::push_webhook`]).
#[derive(Debug, Clone, Default)]
pub struct WebhookPush {
    /// Send `{"encrypt": "<base64>"}` encrypted with [`FakeConfig::encrypt_key`]
    /// (an error when none is configured).
    ///
    /// [`FakeConfig::encrypt_key`]: crate::FakeConfig::encrypt_key
    pub encrypt: bool,
    /// The signature header.
    pub sign: Sign,
    /// Added to the current Unix time in `X-Lark-Request-Timestamp` (seconds; negative:
    /// in the past).
    pub timestamp_offset_s: i64,
}

impl WebhookPush {
    /// Encrypted and well signed.
    pub fn encrypted() -> WebhookPush {
        WebhookPush {
            encrypt: true,
            ..WebhookPush::default()
        }
    }
}

/// The app's answer to a push.
#[derive(Debug, Clone)]
pub struct PushResult {
    /// HTTP status.
    pub status: u16,
    /// The body, as text (lossy UTF-8).
    pub body: String,
    /// The body as JSON, when it is.
    pub json: Option<Value>,
}

impl FakeLark {
    /// POSTs `envelope` to `url` as the platform pushes an event: JSON body (encrypted
    /// when [`WebhookPush::encrypt`]), headers `X-Lark-Request-Timestamp`,
    /// `X-Lark-Request-Nonce` and `X-Lark-Signature` (over the exact bytes sent). An
    /// error only when the request cannot be made or `encrypt` is asked without an
    /// encrypt key.
    pub async fn push_webhook(
        &self,
        url: &str,
        envelope: &Value,
        push: WebhookPush,
    ) -> io::Result<PushResult> {
        let plain = serde_json::to_vec(envelope).map_err(io::Error::other)?;
        self.push_webhook_bytes(url, &plain, push).await
    }

    /// [`FakeLark::push_webhook`] of a body given as bytes (sent exactly as given, or
    /// encrypted), for bodies whose byte layout matters to the signature.
    pub async fn push_webhook_bytes(
        &self,
        url: &str,
        plain: &[u8],
        push: WebhookPush,
    ) -> io::Result<PushResult> {
        let key = self.shared.config.encrypt_key.clone();
        let body = if push.encrypt {
            let Some(key) = key.as_deref() else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "fake-lark: an encrypted push needs FakeConfig::encrypt_key",
                ));
            };
            serde_json::to_vec(&json!({ "encrypt": crypto::encrypt(key, plain) }))
                .map_err(io::Error::other)?
        } else {
            plain.to_vec()
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let timestamp = (now + push.timestamp_offset_s).to_string();
        let nonce: String = (0..16).map(|_| fastrand::alphanumeric()).collect();
        let key = key.unwrap_or_default();
        let signature = match push.sign {
            Sign::Good => Some(crypto::signature(&timestamp, &nonce, &key, &body)),
            Sign::Bad => Some(crypto::signature(
                &timestamp,
                &nonce,
                &format!("{key}-wrong"),
                &body,
            )),
            Sign::Missing => None,
        };
        let mut headers = vec![
            ("X-Lark-Request-Timestamp", timestamp),
            ("X-Lark-Request-Nonce", nonce),
        ];
        if let Some(signature) = signature {
            headers.push(("X-Lark-Signature", signature));
        }
        post(url, &headers, body).await
    }

    /// POSTs the URL check `{"challenge", "token", "type": "url_verification"}` (encrypted
    /// when `encrypt`; no signature headers, as the check needs none) and returns the
    /// challenge sent with the answer: the app must answer `{"challenge": <same>}`.
    pub async fn push_url_verification(
        &self,
        url: &str,
        encrypt: bool,
    ) -> io::Result<(String, PushResult)> {
        let challenge: String = (0..24).map(|_| fastrand::alphanumeric()).collect();
        let plain = serde_json::to_vec(&json!({
            "challenge": challenge,
            "token": self.shared.config.verification_token,
            "type": "url_verification",
        }))
        .map_err(io::Error::other)?;
        let body = if encrypt {
            let Some(key) = self.shared.config.encrypt_key.as_deref() else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "fake-lark: an encrypted push needs FakeConfig::encrypt_key",
                ));
            };
            serde_json::to_vec(&json!({ "encrypt": crypto::encrypt(key, &plain) }))
                .map_err(io::Error::other)?
        } else {
            plain
        };
        let result = post(url, &[], body).await?;
        Ok((challenge, result))
    }
}

async fn post(url: &str, headers: &[(&str, String)], body: Vec<u8>) -> io::Result<PushResult> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(io::Error::other)?;
    let mut request = client
        .post(url)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.map_err(io::Error::other)?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(io::Error::other)?;
    Ok(PushResult {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        json: serde_json::from_slice(&bytes).ok(),
    })
}
