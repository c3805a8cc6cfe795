//! Redacting wrappers for secrets and access tokens.

use std::fmt;
use std::time::{Duration, Instant};

/// A secret string (app secret, access token, app ticket).
///
/// `Debug` prints `Secret(***)` and `Display` prints `***`, so a secret never
/// ends up in a log line or an error message by accident. Use
/// [`Secret::expose`] at the one place that really needs the value (a request
/// body or an `Authorization` header).
///
/// Equality compares the bytes without an early exit on the first mismatch.
#[derive(Clone, Default)]
pub struct Secret(std::sync::Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into())
    }

    /// The secret value. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value.into())
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}

/// Shortest secret value that [`redact`] replaces: a shorter one would garble ordinary
/// words of a message (real app secrets and tokens are 20 characters and more).
const MIN_REDACTED_LEN: usize = 4;

/// `text` with every occurrence of each secret's value replaced by `***`.
///
/// Applied to every message the SDK builds from a server's answer (an auth endpoint's
/// `msg`, an error body's excerpt, an API error's message and field values), so that a
/// server echoing the app secret, the app ticket or a token does not put it into an error's
/// `Display` or a log line.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        if secret.len() >= MIN_REDACTED_LEN && out.contains(secret) {
            out = out.replace(secret, "***");
        }
    }
    out
}

/// Compares two byte strings without stopping at the first difference (the
/// length is not hidden).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// An access token (tenant_access_token or app_access_token) and the instant
/// it expires.
///
/// `Debug` shows the remaining lifetime but never the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    token: Secret,
    expires_at: Instant,
    /// `Bearer <token>`, built once (marked sensitive), shared by every request using it.
    bearer: Option<reqwest::header::HeaderValue>,
}

impl AccessToken {
    /// A token that expires at `expires_at`.
    pub fn new(token: impl Into<Secret>, expires_at: Instant) -> Self {
        let token = token.into();
        let bearer = bearer_header(token.expose());
        AccessToken {
            token,
            expires_at,
            bearer,
        }
    }

    /// The `Authorization` value, when the token can be sent in a header.
    pub(crate) fn bearer(&self) -> Option<&reqwest::header::HeaderValue> {
        self.bearer.as_ref()
    }

    /// The token value, for the `Authorization: Bearer` header. Do not log it.
    pub fn expose(&self) -> &str {
        self.token.expose()
    }

    /// The token as a [`Secret`].
    pub fn secret(&self) -> &Secret {
        &self.token
    }

    /// When the platform stops accepting the token.
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// Time left until [`expires_at`](Self::expires_at), zero once expired.
    pub fn remaining(&self) -> Duration {
        self.expires_at
            .saturating_duration_since(crate::clock::now())
    }
}

/// `Bearer <token>` as a sensitive header value, if the token can be one.
pub(crate) fn bearer_header(token: &str) -> Option<reqwest::header::HeaderValue> {
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("remaining", &self.remaining())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_and_display_are_redacted() {
        let s = Secret::from("super-secret-value");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:#?}"), "Secret(***)");
        assert_eq!(s.expose(), "super-secret-value");
        let owned = Secret::from(String::from("super-secret-value"));
        assert_eq!(s, owned);
        assert_ne!(s, Secret::from("super-secret-valuE"));
        assert_ne!(s, Secret::from("short"));
    }

    #[test]
    fn redact_replaces_every_secret_occurrence() {
        let text = "bad secret s3cr3t-value (s3cr3t-value) for ticket tkt-123456";
        assert_eq!(
            redact(text, &["s3cr3t-value", "tkt-123456", "abc"]),
            "bad secret *** (***) for ticket ***"
        );
        // Too short to be a real secret: left alone rather than garbling the message.
        assert_eq!(redact("a b c", &["b"]), "a b c");
        assert_eq!(redact("", &["s3cr3t-value"]), "");
    }

    #[test]
    fn access_token_debug_is_redacted() {
        let t = AccessToken::new(
            "t-very-secret-token",
            Instant::now() + Duration::from_secs(60),
        );
        let dbg = format!("{t:?} {t:#?}");
        assert!(!dbg.contains("very-secret"), "{dbg}");
        assert!(dbg.contains("Secret(***)"), "{dbg}");
        assert_eq!(t.expose(), "t-very-secret-token");
        assert!(t.remaining() <= Duration::from_secs(60));
    }
}
