//! The connection settings the platform sends: in the endpoint's answer (`ClientConfig`) and
//! in the payload of a pong.

use std::time::Duration;

use serde::Deserialize;

/// The longest wait a server setting can ask for (a larger value is clamped): a day.
const MAX_SETTING: Duration = Duration::from_secs(24 * 60 * 60);
/// The shortest ping interval honoured (a smaller one is raised to it).
const MIN_PING_INTERVAL: Duration = Duration::from_secs(1);

/// `ClientConfig` as sent: every field optional (the platform omits zero values).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct ServerClientConfig {
    #[serde(rename = "ReconnectCount", default)]
    pub reconnect_count: Option<i64>,
    #[serde(rename = "ReconnectInterval", default)]
    pub reconnect_interval: Option<i64>,
    #[serde(rename = "ReconnectNonce", default)]
    pub reconnect_nonce: Option<i64>,
    #[serde(rename = "PingInterval", default)]
    pub ping_interval: Option<i64>,
}

impl ServerClientConfig {
    /// Parses a pong's payload; `None` for an empty payload, an error message for one that
    /// is not a config.
    pub(crate) fn from_pong(payload: &[u8]) -> Result<Option<ServerClientConfig>, String> {
        if payload.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(payload)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// The long connection's current settings: the defaults of the official SDKs until the
/// platform sends its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionSettings {
    /// How often a ping is sent.
    pub ping_interval: Duration,
    /// How many times to try to reconnect after a drop; `None`: without end.
    pub reconnect_count: Option<u32>,
    /// The wait between two tries to reconnect.
    pub reconnect_interval: Duration,
    /// The bound of the random wait before the first try to reconnect (spreads the
    /// reconnections of many clients).
    pub reconnect_nonce: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            ping_interval: Duration::from_secs(120),
            reconnect_count: None,
            reconnect_interval: Duration::from_secs(120),
            reconnect_nonce: Duration::from_secs(30),
        }
    }
}

impl ConnectionSettings {
    /// Applies the fields the server sent; the others keep their values. Nonsense values
    /// (negative durations, a zero ping interval) are ignored, huge ones clamped.
    pub(crate) fn apply(&mut self, config: &ServerClientConfig) {
        if let Some(count) = config.reconnect_count {
            // <= 0: forever (the platform sends -1 for "without end").
            self.reconnect_count = u32::try_from(count).ok().filter(|c| *c > 0);
        }
        if let Some(s) = config.reconnect_interval.and_then(seconds) {
            self.reconnect_interval = s;
        }
        if let Some(s) = config.reconnect_nonce.and_then(seconds) {
            self.reconnect_nonce = s;
        }
        if let Some(s) = config.ping_interval.and_then(seconds) {
            if !s.is_zero() {
                self.ping_interval = s.max(MIN_PING_INTERVAL);
            }
        }
    }

    /// The random wait before the first try to reconnect: uniform in `0..reconnect_nonce`.
    pub(crate) fn first_reconnect_delay(&self) -> Duration {
        let bound = u64::try_from(self.reconnect_nonce.as_millis()).unwrap_or(u64::MAX);
        if bound == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(fastrand::u64(0..bound))
    }
}

/// A non-negative number of seconds as a duration, clamped to [`MAX_SETTING`].
fn seconds(value: i64) -> Option<Duration> {
    let value = u64::try_from(value).ok()?;
    Some(Duration::from_secs(value).min(MAX_SETTING))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_applies_a_full_config() {
        let json =
            br#"{"ReconnectCount":3,"ReconnectInterval":5,"ReconnectNonce":2,"PingInterval":10}"#;
        let config = ServerClientConfig::from_pong(json).unwrap().unwrap();
        let mut settings = ConnectionSettings::default();
        settings.apply(&config);
        assert_eq!(
            settings,
            ConnectionSettings {
                ping_interval: Duration::from_secs(10),
                reconnect_count: Some(3),
                reconnect_interval: Duration::from_secs(5),
                reconnect_nonce: Duration::from_secs(2),
            }
        );
    }

    #[test]
    fn missing_fields_keep_their_values_and_nonsense_is_ignored() {
        let mut settings = ConnectionSettings::default();
        let config: ServerClientConfig =
            serde_json::from_str(r#"{"PingInterval":0,"ReconnectInterval":-4,"Other":"x"}"#)
                .unwrap();
        settings.apply(&config);
        assert_eq!(settings, ConnectionSettings::default());

        let config: ServerClientConfig =
            serde_json::from_str(r#"{"ReconnectCount":-1,"PingInterval":99999999999}"#).unwrap();
        settings.reconnect_count = Some(4);
        settings.apply(&config);
        assert_eq!(settings.reconnect_count, None);
        assert_eq!(settings.ping_interval, MAX_SETTING);

        let config: ServerClientConfig = serde_json::from_str(r#"{"ReconnectCount":0}"#).unwrap();
        settings.reconnect_count = Some(4);
        settings.apply(&config);
        assert_eq!(settings.reconnect_count, None, "0 means without end");
    }

    #[test]
    fn pong_payloads() {
        assert_eq!(ServerClientConfig::from_pong(b"").unwrap(), None);
        assert_eq!(ServerClientConfig::from_pong(b"  \n").unwrap(), None);
        assert!(ServerClientConfig::from_pong(b"not json").is_err());
        assert!(ServerClientConfig::from_pong(br#"{"PingInterval":"ten"}"#).is_err());
        let c = ServerClientConfig::from_pong(br#"{"PingInterval":3}"#)
            .unwrap()
            .unwrap();
        assert_eq!(c.ping_interval, Some(3));
    }

    #[test]
    fn jitter_stays_below_the_nonce() {
        let mut settings = ConnectionSettings {
            reconnect_nonce: Duration::ZERO,
            ..ConnectionSettings::default()
        };
        assert_eq!(settings.first_reconnect_delay(), Duration::ZERO);
        settings.reconnect_nonce = Duration::from_secs(2);
        for _ in 0..100 {
            assert!(settings.first_reconnect_delay() < Duration::from_secs(2));
        }
    }
}
