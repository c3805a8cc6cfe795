//! `POST /callback/ws/endpoint`: the connection URL and the client config.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::config::ServerClientConfig;
use super::error::{Stage, WsError};

/// The endpoint's path on the open platform domain.
pub(crate) const ENDPOINT_PATH: &str = "/callback/ws/endpoint";

/// The largest endpoint answer read.
const MAX_ANSWER: usize = 1024 * 1024;

/// What the endpoint call gives: where to connect, and the settings to use.
#[derive(Clone)]
pub(crate) struct Endpoint {
    /// The WebSocket URL, with its ticket: never logged in full (see [`redacted_url`]).
    pub url: String,
    /// The URL's `device_id` (the connection's id).
    pub device_id: String,
    /// The URL's `service_id`, put in every frame the client sends.
    pub service_id: i32,
    /// The server's settings, when it sent them.
    pub config: Option<ServerClientConfig>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &redacted_url(&self.url))
            .field("device_id", &self.device_id)
            .field("service_id", &self.service_id)
            .field("config", &self.config)
            .finish()
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    data: Option<AnswerData>,
}

#[derive(Deserialize)]
struct AnswerData {
    #[serde(rename = "URL", default)]
    url: Option<String>,
    #[serde(rename = "ClientConfig", default)]
    client_config: Option<ServerClientConfig>,
}

/// Calls the endpoint at `endpoint_url` with the app's credentials.
pub(crate) async fn fetch(
    http: &reqwest::Client,
    endpoint_url: &str,
    app_id: &str,
    app_secret: &str,
    timeout: Duration,
) -> Result<Endpoint, WsError> {
    let body = serde_json::json!({ "AppID": app_id, "AppSecret": app_secret });
    let body = serde_json::to_vec(&body).map_err(|e| transport(e.into()))?;
    let response = http
        .post(endpoint_url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )
        .body(body)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| transport(Box::new(e.without_url())))?;
    let status = response.status();
    // The call carries the app secret: an answer from elsewhere is refused unread, and the
    // SDK's own HTTP client follows no redirect (transport/redirect.rs).
    if let Ok(requested) = reqwest::Url::parse(endpoint_url) {
        if let Some(to) = crate::transport::redirect::refused(&response, &requested) {
            return Err(WsError::Redirected {
                status: status.as_u16(),
                to,
            });
        }
    }
    let bytes = read_answer(response).await?;
    parse_answer(status.as_u16(), &bytes, app_secret)
}

fn transport(source: super::error::BoxError) -> WsError {
    WsError::Transport {
        stage: Stage::Endpoint,
        source,
    }
}

/// The answer's body, through the crate's capped reader.
async fn read_answer(mut response: reqwest::Response) -> Result<Vec<u8>, WsError> {
    use crate::transport::read::{read_capped, ReadError};
    match read_capped(&mut response, MAX_ANSWER, None).await {
        Ok(capped) if capped.over_cap => Err(WsError::InvalidEndpoint {
            reason: format!("answer larger than {MAX_ANSWER} bytes"),
        }),
        Ok(capped) => Ok(capped.bytes),
        Err(ReadError::Http(e)) => Err(transport(Box::new(e.without_url()))),
        // No idle timeout was given: the request's own timeout bounds the read.
        Err(ReadError::Idle) => Err(transport("the answer stalled".into())),
    }
}

/// Interprets the endpoint's answer (HTTP status and body).
pub(crate) fn parse_answer(
    http_status: u16,
    body: &[u8],
    app_secret: &str,
) -> Result<Endpoint, WsError> {
    let scrub = |text: &str| crate::auth::redact(text, &[app_secret]);
    let http_error = || WsError::ServerBusy {
        stage: Stage::Endpoint,
        code: i64::from(http_status),
        msg: format!("HTTP {http_status}"),
    };
    let answer: Answer = match serde_json::from_slice(body) {
        Ok(answer) => answer,
        Err(e) if (200..300).contains(&http_status) => {
            return Err(WsError::InvalidEndpoint {
                reason: format!("not a JSON answer: {e}"),
            })
        }
        Err(_) => return Err(http_error()),
    };
    if answer.code != 0 {
        return Err(WsError::from_endpoint_code(answer.code, scrub(&answer.msg)));
    }
    if !(200..300).contains(&http_status) {
        return Err(http_error());
    }
    let data = answer.data.ok_or_else(|| WsError::InvalidEndpoint {
        reason: "no `data` in the answer".into(),
    })?;
    let url = data
        .url
        .filter(|u| !u.is_empty())
        .ok_or_else(|| WsError::InvalidEndpoint {
            reason: "no `data.URL` in the answer".into(),
        })?;
    let parsed = reqwest::Url::parse(&url).map_err(|e| WsError::InvalidEndpoint {
        reason: format!("`data.URL` is not a URL: {e}"),
    })?;
    if !matches!(parsed.scheme(), "ws" | "wss") {
        return Err(WsError::InvalidEndpoint {
            reason: format!(
                "`data.URL` has the scheme `{}`, not ws or wss",
                parsed.scheme()
            ),
        });
    }
    let query = |name: &str| {
        parsed
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let device_id = query("device_id").unwrap_or_default();
    let service_id = match query("service_id") {
        Some(s) => s.trim().parse::<i32>().unwrap_or_else(|_| {
            tracing::warn!(
                service_id = %s,
                "long connection: the URL's service_id is not a 32-bit number; frames carry 0"
            );
            0
        }),
        None => {
            tracing::warn!("long connection: the URL has no service_id; frames carry 0");
            0
        }
    };
    Ok(Endpoint {
        url,
        device_id,
        service_id,
        config: data.client_config,
    })
}

/// The URL without its query (which holds the connection ticket) and credentials: safe to
/// log.
pub(crate) fn redacted_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("");
            match u.port() {
                Some(port) => format!("{}://{host}:{port}{}", u.scheme(), u.path()),
                None => format!("{}://{host}{}", u.scheme(), u.path()),
            }
        }
        Err(_) => "<unparsable URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "the-app-secret";

    fn ok_body() -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "code": 0, "msg": "ok",
            "data": {
                "URL": "wss://msg.example.com/ws/v2?fpid=493&aid=552564&device_id=dev123&access_key=abc&service_id=33554678&ticket=sekrit",
                "ClientConfig": {"ReconnectCount": -1, "ReconnectInterval": 120, "ReconnectNonce": 30, "PingInterval": 120}
            }
        }))
        .unwrap()
    }

    #[test]
    fn a_good_answer_gives_url_ids_and_config() {
        let e = parse_answer(200, &ok_body(), SECRET).unwrap();
        assert_eq!(e.device_id, "dev123");
        assert_eq!(e.service_id, 33_554_678);
        let c = e.config.clone().unwrap();
        assert_eq!(c.ping_interval, Some(120));
        assert_eq!(c.reconnect_count, Some(-1));
        let debug = format!("{e:?}");
        assert!(!debug.contains("sekrit"), "{debug}");
        assert!(debug.contains("wss://msg.example.com/ws/v2"), "{debug}");
    }

    #[test]
    fn answer_codes_map_to_named_errors() {
        let body = |code: i64, msg: &str| {
            serde_json::to_vec(&serde_json::json!({"code": code, "msg": msg, "data": null}))
                .unwrap()
        };
        let err = |code| parse_answer(200, &body(code, "m"), SECRET).unwrap_err();
        assert!(matches!(err(1), WsError::ServerBusy { code: 1, .. }));
        assert!(matches!(err(403), WsError::Forbidden { .. }));
        assert!(matches!(err(514), WsError::AuthFailed { .. }));
        assert!(matches!(
            err(1_000_040_350),
            WsError::TooManyConnections { .. }
        ));
        assert!(matches!(err(1_000_040_343), WsError::ServerBusy { .. }));
        assert!(matches!(err(12345), WsError::Endpoint { code: 12345, .. }));
        // A code in a non-200 answer still names the error.
        let e = parse_answer(401, &body(514, "bad"), SECRET).unwrap_err();
        assert!(matches!(e, WsError::AuthFailed { .. }));
    }

    #[test]
    fn the_secret_is_scrubbed_from_messages() {
        let body = serde_json::to_vec(&serde_json::json!({
            "code": 514, "msg": format!("secret {SECRET} is wrong")
        }))
        .unwrap();
        let e = parse_answer(200, &body, SECRET).unwrap_err();
        assert!(!e.to_string().contains(SECRET), "{e}");
    }

    #[test]
    fn unusable_answers() {
        assert!(matches!(
            parse_answer(200, b"<html>", SECRET),
            Err(WsError::InvalidEndpoint { .. })
        ));
        assert!(matches!(
            parse_answer(502, b"<html>", SECRET),
            Err(WsError::ServerBusy { code: 502, .. })
        ));
        assert!(matches!(
            parse_answer(200, br#"{"code":0}"#, SECRET),
            Err(WsError::InvalidEndpoint { .. })
        ));
        assert!(matches!(
            parse_answer(200, br#"{"code":0,"data":{"URL":""}}"#, SECRET),
            Err(WsError::InvalidEndpoint { .. })
        ));
        assert!(matches!(
            parse_answer(200, br#"{"code":0,"data":{"URL":"https://x/y"}}"#, SECRET),
            Err(WsError::InvalidEndpoint { .. })
        ));
        // No service id: frames carry 0, no failure.
        let e = parse_answer(
            200,
            br#"{"code":0,"data":{"URL":"ws://127.0.0.1:9/ws"}}"#,
            SECRET,
        )
        .unwrap();
        assert_eq!((e.service_id, e.device_id.as_str()), (0, ""));
        assert!(e.config.is_none());
    }

    #[test]
    fn redacted_urls_lose_the_query() {
        assert_eq!(
            redacted_url("wss://h.example/ws?ticket=abc&device_id=1"),
            "wss://h.example/ws"
        );
        assert_eq!(
            redacted_url("ws://127.0.0.1:8080/ws?ticket=abc"),
            "ws://127.0.0.1:8080/ws"
        );
        assert_eq!(redacted_url("::"), "<unparsable URL>");
    }
}
