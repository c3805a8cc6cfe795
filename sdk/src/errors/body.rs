//! The Lark error envelope.
//!
//! Failed calls answer with `{ "code": int, "msg": string, "error": {...} }`
//! and (usually) a 4xx/5xx status. Gateways and proxies in front of the
//! platform answer with HTML or plain text instead, so the body is only
//! decoded as JSON when the `Content-Type` says it is JSON; anything else is
//! kept as a short, cleaned excerpt for the error message.

use std::fmt;

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use serde_json::{Map, Value};

/// Longest excerpt of an unexpected body, in characters (before the `…`).
pub(crate) const EXCERPT_CHARS: usize = 200;

/// Header carrying the platform's request log id.
const LOG_ID_HEADER: &str = "x-tt-logid";

/// Fallback request id header (used by the Go SDK when `X-Tt-Logid` is absent).
const REQUEST_ID_HEADER: &str = "x-request-id";

/// A business error reported by the Open Platform.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status of the response.
    pub http_status: u16,
    /// The platform error code (`code`), never 0 for a real failure.
    pub code: i64,
    /// The server's `msg` (falls back to `error.message` when `msg` is absent).
    pub message: String,
    /// The request log id, to quote when asking the platform for help.
    pub log_id: Option<String>,
    /// A troubleshooting URL (`error.troubleshooter`).
    pub troubleshooter: Option<String>,
    /// Parameters that failed validation (`error.field_violations`).
    pub field_violations: Vec<FieldViolation>,
    /// Missing permissions (`error.permission_violations`).
    pub permission_violations: Vec<PermissionViolation>,
    /// Help links, e.g. to grant a missing scope (`error.helps`).
    pub helps: Vec<Help>,
}

impl ApiError {
    /// An error with the given status, code and message and no details.
    pub fn new(http_status: u16, code: i64, message: impl Into<String>) -> Self {
        Self {
            http_status,
            code,
            message: message.into(),
            log_id: None,
            troubleshooter: None,
            field_violations: Vec::new(),
            permission_violations: Vec::new(),
            helps: Vec::new(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}: {}", self.code, self.message)?;
        if let Some(log_id) = &self.log_id {
            write!(f, " (log id {log_id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A request parameter that failed validation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldViolation {
    /// The parameter name (empty when the server did not say).
    pub field: String,
    /// The rejected value, as sent back by the server.
    pub value: Option<String>,
    /// Why the value was rejected.
    pub description: Option<String>,
}

/// A missing permission.
///
/// Two shapes are seen: the documentation's `{scope, url}` and the SDK
/// models' `{type, subject, description}`. Whichever keys are present are
/// filled in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PermissionViolation {
    /// The missing scope (documentation shape).
    pub scope: Option<String>,
    /// Where to apply for the scope (documentation shape).
    pub url: Option<String>,
    /// The violation type (SDK model shape, JSON key `type`).
    pub kind: Option<String>,
    /// What the violation is about (SDK model shape).
    pub subject: Option<String>,
    /// A description (SDK model shape).
    pub description: Option<String>,
}

/// A help link attached to an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Help {
    /// The link (empty when the server sent only a description).
    pub url: String,
    /// What the link is for.
    pub description: Option<String>,
}

/// A non-2xx response whose body is not a Lark JSON error envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnexpectedBody {
    /// HTTP status of the response.
    pub http_status: u16,
    /// The response `Content-Type`, cleaned up for display.
    pub content_type: Option<String>,
    /// The start of the body: whitespace collapsed, control characters
    /// removed, at most 200 characters plus `…` when cut. Empty for an
    /// empty body.
    pub excerpt: String,
    /// The log id from the response headers.
    pub log_id: Option<String>,
    /// Set when the body was longer than this many bytes: only its start was read.
    pub cut_at: Option<usize>,
    /// For a redirect that was not followed (auth requests follow none): where it pointed,
    /// scheme, host and port only.
    pub redirect_to: Option<String>,
}

impl UnexpectedBody {
    /// A body that is not a Lark envelope; `cap` is set when only that much was read.
    pub(crate) fn cut(http_status: u16, headers: &HeaderMap, body: &[u8], cap: usize) -> Self {
        UnexpectedBody {
            http_status,
            content_type: headers
                .get(CONTENT_TYPE)
                .map(|ct| excerpt(ct.as_bytes(), EXCERPT_CHARS))
                .filter(|ct| !ct.is_empty()),
            excerpt: excerpt(body, EXCERPT_CHARS),
            log_id: log_id_from_headers(headers),
            cut_at: (cap != usize::MAX).then_some(cap),
            redirect_to: None,
        }
    }
}

impl fmt::Display for UnexpectedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let content_type = self.content_type.as_deref().unwrap_or("no Content-Type");
        write!(
            f,
            "HTTP {} with a non-JSON body ({content_type}): ",
            self.http_status
        )?;
        if self.excerpt.is_empty() {
            f.write_str("empty body")?;
        } else {
            write!(f, "\"{}\"", self.excerpt)?;
        }
        if let Some(to) = &self.redirect_to {
            write!(f, " (a redirect to {to}, not followed)")?;
        }
        if let Some(cap) = self.cut_at {
            write!(f, " (body longer than {cap} bytes; the rest was not read)")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnexpectedBody {}

/// What an error response's body turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorBody {
    /// A Lark JSON error envelope.
    Api(ApiError),
    /// Anything else (HTML gateway page, empty body, broken JSON, ...).
    Unexpected(UnexpectedBody),
}

impl ErrorBody {
    /// HTTP status of the response.
    #[cfg(test)]
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Api(e) => e.http_status,
            Self::Unexpected(e) => e.http_status,
        }
    }

    /// The request log id, if one was found.
    pub fn log_id(&self) -> Option<&str> {
        match self {
            Self::Api(e) => e.log_id.as_deref(),
            Self::Unexpected(e) => e.log_id.as_deref(),
        }
    }

    /// The platform error code, when the body was a Lark envelope.
    #[cfg(test)]
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Api(e) => Some(e.code),
            Self::Unexpected(_) => None,
        }
    }
}

impl ErrorBody {
    /// The body with every secret value scrubbed from its texts (message, excerpt, field
    /// values and descriptions, help texts), in case the server echoed one.
    pub(crate) fn redacted(self, secrets: &[&str]) -> ErrorBody {
        use crate::auth::redact;
        let scrub = |text: &mut String| *text = redact(text, secrets);
        let scrub_opt = |text: &mut Option<String>| {
            if let Some(t) = text {
                *t = redact(t, secrets);
            }
        };
        match self {
            ErrorBody::Api(mut e) => {
                scrub(&mut e.message);
                for v in &mut e.field_violations {
                    scrub_opt(&mut v.value);
                    scrub_opt(&mut v.description);
                }
                for v in &mut e.permission_violations {
                    scrub_opt(&mut v.description);
                }
                for h in &mut e.helps {
                    scrub_opt(&mut h.description);
                }
                ErrorBody::Api(e)
            }
            ErrorBody::Unexpected(mut u) => {
                scrub(&mut u.excerpt);
                ErrorBody::Unexpected(u)
            }
        }
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api(e) => e.fmt(f),
            Self::Unexpected(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ErrorBody {}

/// The request log id from the response headers: `X-Tt-Logid`, else
/// `X-Request-Id`. Blank or non-ASCII values are ignored.
pub fn log_id_from_headers(headers: &HeaderMap) -> Option<String> {
    [LOG_ID_HEADER, REQUEST_ID_HEADER].iter().find_map(|name| {
        headers
            .get_all(*name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::trim)
            .find(|v| !v.is_empty())
            .map(str::to_owned)
    })
}

/// Classifies the body of a failed response.
///
/// The body is decoded as JSON only when the `Content-Type` media type is
/// `application/json` or ends in `+json`; other bodies are never sniffed.
/// A JSON body that does not parse, is not an object, or has no integer
/// `code` becomes [`ErrorBody::Unexpected`].
///
/// The log id is taken from `error.log_id`, `error.logid`, top-level
/// `log_id`/`logid`, then the `X-Tt-Logid` and `X-Request-Id` headers.
pub fn parse_error_body(http_status: u16, headers: &HeaderMap, body: &[u8]) -> ErrorBody {
    let content_type = headers.get(CONTENT_TYPE).map(|v| v.as_bytes());
    if content_type.is_some_and(is_json_media_type) {
        if let Some(error) = parse_api_error(http_status, headers, body) {
            return ErrorBody::Api(error);
        }
    }
    ErrorBody::Unexpected(UnexpectedBody {
        http_status,
        content_type: content_type
            .map(|ct| excerpt(ct, EXCERPT_CHARS))
            .filter(|ct| !ct.is_empty()),
        excerpt: excerpt(body, EXCERPT_CHARS),
        log_id: log_id_from_headers(headers),
        cut_at: None,
        redirect_to: None,
    })
}

/// Whether a Content-Type value names a JSON media type.
fn is_json_media_type(content_type: &[u8]) -> bool {
    let media_type = content_type
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    media_type.eq_ignore_ascii_case(b"application/json")
        || (media_type.len() > b"+json".len()
            && media_type[media_type.len() - b"+json".len()..].eq_ignore_ascii_case(b"+json"))
}

/// Skips a UTF-8 byte order mark, which `serde_json` rejects.
fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// Decodes a Lark error envelope; `None` if the body is not one.
pub(crate) fn parse_api_error(
    http_status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<ApiError> {
    let root: Map<String, Value> = serde_json::from_slice(strip_bom(body)).ok()?;
    let code = root.get("code").and_then(Value::as_i64)?;
    let detail = root.get("error").and_then(Value::as_object);
    let detail_str = |key: &str| detail.and_then(|d| string_field(d, key));

    let message = string_field(&root, "msg")
        .or_else(|| detail_str("message"))
        .unwrap_or_default();
    let non_blank = |id: Option<String>| id.filter(|id| !id.trim().is_empty());
    let log_id = non_blank(detail_str("log_id"))
        .or_else(|| non_blank(detail_str("logid")))
        .or_else(|| non_blank(string_field(&root, "log_id")))
        .or_else(|| non_blank(string_field(&root, "logid")))
        .or_else(|| log_id_from_headers(headers));
    let list = |key: &str| -> Vec<&Map<String, Value>> {
        detail
            .and_then(|d| d.get(key))
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default()
    };

    let field_violations = list("field_violations")
        .into_iter()
        .map(|item| FieldViolation {
            field: string_field(item, "field").unwrap_or_default(),
            value: text_field(item, "value"),
            description: string_field(item, "description"),
        })
        .filter(|v| *v != FieldViolation::default())
        .collect();
    let permission_violations = list("permission_violations")
        .into_iter()
        .map(|item| PermissionViolation {
            scope: string_field(item, "scope"),
            url: string_field(item, "url"),
            kind: string_field(item, "type"),
            subject: string_field(item, "subject"),
            description: string_field(item, "description"),
        })
        .filter(|v| *v != PermissionViolation::default())
        .collect();
    let helps = list("helps")
        .into_iter()
        .map(|item| Help {
            url: string_field(item, "url").unwrap_or_default(),
            description: string_field(item, "description"),
        })
        .filter(|h| *h != Help::default())
        .collect();

    Some(ApiError {
        http_status,
        code,
        message,
        log_id,
        troubleshooter: detail_str("troubleshooter").filter(|t| !t.is_empty()),
        field_violations,
        permission_violations,
        helps,
    })
}

/// A string member of a JSON object.
fn string_field(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A member rendered as text: strings as-is, other non-null values as JSON.
fn text_field(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Whether `c` is removed from excerpts: control and bidi formatting
/// characters (whitespace controls are collapsed to a space instead).
fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A display-safe excerpt of `bytes`: lossy UTF-8, whitespace runs collapsed
/// to one space, control characters removed, leading/trailing whitespace
/// trimmed, at most `limit` characters followed by `…` when cut.
///
/// Only as much of the input as needed is decoded, so huge bodies are cheap.
pub(crate) fn excerpt(bytes: &[u8], limit: usize) -> String {
    let chars = bytes.utf8_chunks().flat_map(|chunk| {
        let invalid = (!chunk.invalid().is_empty()).then_some(char::REPLACEMENT_CHARACTER);
        chunk.valid().chars().chain(invalid)
    });
    let mut out = String::new();
    let mut count = 0;
    let mut pending_space = false;
    let mut cut = false;
    for c in chars {
        if c.is_whitespace() {
            pending_space = count > 0;
            continue;
        }
        if is_hidden(c) {
            continue;
        }
        let needed = if pending_space { 2 } else { 1 };
        if count + needed > limit {
            cut = true;
            break;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        count += needed;
    }
    if cut {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn json_headers() -> HeaderMap {
        headers(&[("content-type", "application/json; charset=utf-8")])
    }

    fn api(status: u16, headers: &HeaderMap, body: &str) -> ApiError {
        match parse_error_body(status, headers, body.as_bytes()) {
            ErrorBody::Api(e) => e,
            other => panic!("expected an API error, got {other:?}"),
        }
    }

    fn unexpected(status: u16, headers: &HeaderMap, body: &[u8]) -> UnexpectedBody {
        match parse_error_body(status, headers, body) {
            ErrorBody::Unexpected(e) => e,
            other => panic!("expected an unexpected body, got {other:?}"),
        }
    }

    #[test]
    fn full_error_envelope() {
        let body = r#"{
            "code": 230001,
            "msg": "invalid param: ext=receive_id",
            "error": {
                "message": "detail message",
                "log_id": "20240101abcdef",
                "troubleshooter": "https://open.feishu.cn/search?from=openapi&log_id=20240101abcdef&code=230001",
                "field_violations": [
                    {"field": "receive_id", "value": "ou_x", "description": "not found"},
                    {"field": "uuid", "value": 42}
                ],
                "helps": [{"url": "https://open.feishu.cn/app", "description": "grant it"}]
            }
        }"#;
        let e = api(400, &json_headers(), body);
        assert_eq!(e.http_status, 400);
        assert_eq!(e.code, 230001);
        assert_eq!(e.message, "invalid param: ext=receive_id");
        assert_eq!(e.log_id.as_deref(), Some("20240101abcdef"));
        assert_eq!(
            e.troubleshooter.as_deref(),
            Some("https://open.feishu.cn/search?from=openapi&log_id=20240101abcdef&code=230001")
        );
        assert_eq!(
            e.field_violations,
            vec![
                FieldViolation {
                    field: "receive_id".into(),
                    value: Some("ou_x".into()),
                    description: Some("not found".into()),
                },
                FieldViolation {
                    field: "uuid".into(),
                    value: Some("42".into()),
                    description: None,
                },
            ]
        );
        assert_eq!(
            e.helps,
            vec![Help {
                url: "https://open.feishu.cn/app".into(),
                description: Some("grant it".into()),
            }]
        );
        assert!(e.permission_violations.is_empty());
        assert_eq!(
            e.to_string(),
            "code 230001: invalid param: ext=receive_id (log id 20240101abcdef)"
        );
    }

    #[test]
    fn minimal_envelope_and_display_without_log_id() {
        let e = api(
            429,
            &headers(&[("content-type", "application/json")]),
            r#"{"code":99991400,"msg":"request trigger frequency limit"}"#,
        );
        assert_eq!(
            e,
            ApiError::new(429, 99991400, "request trigger frequency limit")
        );
        assert_eq!(
            e.to_string(),
            "code 99991400: request trigger frequency limit"
        );
    }

    #[test]
    fn log_id_key_variants() {
        let h = json_headers();
        let e = api(
            400,
            &h,
            r#"{"code":1,"msg":"m","error":{"logid":"doc-style"}}"#,
        );
        assert_eq!(e.log_id.as_deref(), Some("doc-style"));
        let e = api(
            400,
            &h,
            r#"{"code":1,"msg":"m","error":{"log_id":"py-style"}}"#,
        );
        assert_eq!(e.log_id.as_deref(), Some("py-style"));
        let e = api(400, &h, r#"{"code":1,"msg":"m","log_id":"top"}"#);
        assert_eq!(e.log_id.as_deref(), Some("top"));
        let e = api(400, &h, r#"{"code":1,"msg":"m","logid":"top2"}"#);
        assert_eq!(e.log_id.as_deref(), Some("top2"));
    }

    #[test]
    fn log_id_precedence() {
        let h = headers(&[
            ("content-type", "application/json"),
            ("x-tt-logid", "from-header"),
            ("x-request-id", "from-request-id"),
        ]);
        let e = api(
            400,
            &h,
            r#"{"code":1,"log_id":"top","logid":"top2","error":{"logid":"b","log_id":"a"}}"#,
        );
        assert_eq!(e.log_id.as_deref(), Some("a"));
        let e = api(
            400,
            &h,
            r#"{"code":1,"log_id":"top","error":{"logid":"b"}}"#,
        );
        assert_eq!(e.log_id.as_deref(), Some("b"));
        let e = api(400, &h, r#"{"code":1,"log_id":"top","logid":"top2"}"#);
        assert_eq!(e.log_id.as_deref(), Some("top"));
        let e = api(400, &h, r#"{"code":1}"#);
        assert_eq!(e.log_id.as_deref(), Some("from-header"));
        // A blank body log id does not hide the header.
        let e = api(400, &h, r#"{"code":1,"error":{"log_id":""}}"#);
        assert_eq!(e.log_id.as_deref(), Some("from-header"));
        let e = api(
            400,
            &h,
            r#"{"code":1,"error":{"log_id":" ","logid":"second"}}"#,
        );
        assert_eq!(e.log_id.as_deref(), Some("second"));
    }

    #[test]
    fn header_log_id_fallbacks() {
        let h = headers(&[("X-Tt-Logid", "tt"), ("X-Request-Id", "req")]);
        assert_eq!(log_id_from_headers(&h).as_deref(), Some("tt"));
        let h = headers(&[("X-Request-Id", "req")]);
        assert_eq!(log_id_from_headers(&h).as_deref(), Some("req"));
        let h = headers(&[("X-Tt-Logid", "  "), ("X-Request-Id", "req")]);
        assert_eq!(log_id_from_headers(&h).as_deref(), Some("req"));
        assert_eq!(log_id_from_headers(&HeaderMap::new()), None);
        let mut h = HeaderMap::new();
        h.insert("x-tt-logid", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
        assert_eq!(log_id_from_headers(&h), None);

        let h = headers(&[
            ("content-type", "application/json"),
            ("x-request-id", "req"),
        ]);
        let e = api(500, &h, r#"{"code":2,"msg":"x"}"#);
        assert_eq!(e.log_id.as_deref(), Some("req"));
    }

    #[test]
    fn permission_violation_shapes() {
        let body = r#"{"code":99991672,"msg":"Access denied","error":{
            "permission_violations":[
                {"scope":"im:message","url":"https://open.feishu.cn/app/cli_x/auth"},
                {"type":"action_scope_required","subject":"im:message:send_as_bot","description":"need it"},
                {},
                "not an object"
            ]}}"#;
        let e = api(403, &json_headers(), body);
        assert_eq!(
            e.permission_violations,
            vec![
                PermissionViolation {
                    scope: Some("im:message".into()),
                    url: Some("https://open.feishu.cn/app/cli_x/auth".into()),
                    ..Default::default()
                },
                PermissionViolation {
                    kind: Some("action_scope_required".into()),
                    subject: Some("im:message:send_as_bot".into()),
                    description: Some("need it".into()),
                    ..Default::default()
                },
            ]
        );
    }

    #[test]
    fn message_falls_back_to_error_message() {
        let e = api(
            400,
            &json_headers(),
            r#"{"code":5,"error":{"message":"inner"}}"#,
        );
        assert_eq!(e.message, "inner");
        let e = api(400, &json_headers(), r#"{"code":5}"#);
        assert_eq!(e.message, "");
    }

    #[test]
    fn wrongly_typed_details_are_ignored() {
        let body = r#"{"code":7,"msg":"m","error":{"field_violations":"x","helps":{"url":"u"},"permission_violations":null,"troubleshooter":5}}"#;
        let e = api(400, &json_headers(), body);
        assert_eq!(e, ApiError::new(400, 7, "m"));
        let e = api(
            400,
            &json_headers(),
            r#"{"code":7,"msg":"m","error":"oops"}"#,
        );
        assert_eq!(e, ApiError::new(400, 7, "m"));
    }

    #[test]
    fn plus_json_and_case_insensitive_content_type() {
        for ct in [
            "application/json",
            "Application/JSON; charset=UTF-8",
            "application/problem+json",
            " application/json ;charset=utf-8",
        ] {
            let h = headers(&[("content-type", ct)]);
            let e = api(400, &h, r#"{"code":1,"msg":"m"}"#);
            assert_eq!(e.code, 1, "{ct}");
        }
    }

    #[test]
    fn json_body_without_json_content_type_is_not_sniffed() {
        let body = br#"{"code":1,"msg":"m"}"#;
        for h in [
            HeaderMap::new(),
            headers(&[("content-type", "text/plain")]),
            headers(&[("content-type", "text/json-ish")]),
            headers(&[("content-type", "+json")]),
        ] {
            let u = unexpected(400, &h, body);
            assert_eq!(u.excerpt, r#"{"code":1,"msg":"m"}"#);
        }
    }

    #[test]
    fn html_gateway_page() {
        let h = headers(&[("content-type", "text/html"), ("x-tt-logid", "gw-log")]);
        let body = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\n\t<center><h1>502 Bad Gateway</h1></center>\n</body>\n</html>\n";
        let u = unexpected(502, &h, body);
        assert_eq!(u.http_status, 502);
        assert_eq!(u.content_type.as_deref(), Some("text/html"));
        assert_eq!(u.log_id.as_deref(), Some("gw-log"));
        assert_eq!(
            u.excerpt,
            "<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> </body> </html>"
        );
        let shown = ErrorBody::Unexpected(u).to_string();
        assert!(shown.starts_with("HTTP 502 with a non-JSON body (text/html): \"<html> <head>"));
        assert!(shown.ends_with("</html>\""));
    }

    #[test]
    fn empty_body() {
        let u = unexpected(503, &HeaderMap::new(), b"");
        assert_eq!(u.excerpt, "");
        assert_eq!(u.content_type, None);
        assert_eq!(u.log_id, None);
        assert_eq!(
            u.to_string(),
            "HTTP 503 with a non-JSON body (no Content-Type): empty body"
        );
        // Whitespace and control characters only count as empty too.
        let u = unexpected(503, &HeaderMap::new(), b" \r\n\t\x00\x07 ");
        assert_eq!(u.excerpt, "");
    }

    #[test]
    fn json_content_type_with_empty_body() {
        let u = unexpected(500, &json_headers(), b"");
        assert_eq!(
            u.to_string(),
            "HTTP 500 with a non-JSON body (application/json; charset=utf-8): empty body"
        );
    }

    #[test]
    fn json_content_type_with_broken_json() {
        let h = headers(&[
            ("content-type", "application/json; charset=utf-8"),
            ("x-tt-logid", "L1"),
        ]);
        let u = unexpected(500, &h, br#"{"code": 1, "msg": "trunc"#);
        assert_eq!(u.excerpt, r#"{"code": 1, "msg": "trunc"#);
        assert_eq!(u.log_id.as_deref(), Some("L1"));
        assert_eq!(
            u.content_type.as_deref(),
            Some("application/json; charset=utf-8")
        );
    }

    #[test]
    fn json_without_integer_code_is_unexpected() {
        for body in [
            r#"{"msg":"no code"}"#,
            r#"{"code":"99991400","msg":"string code"}"#,
            r#"{"code":1.5,"msg":"float"}"#,
            r#"{"code":null}"#,
            r#"[1,2,3]"#,
            r#""just a string""#,
            "null",
            r#"{"code":18446744073709551615}"#,
        ] {
            let u = unexpected(400, &json_headers(), body.as_bytes());
            assert_eq!(u.excerpt, body, "{body}");
        }
    }

    #[test]
    fn byte_order_mark_is_tolerated() {
        let mut body = b"\xEF\xBB\xBF".to_vec();
        body.extend_from_slice(br#"{"code":3,"msg":"bom"}"#);
        match parse_error_body(400, &json_headers(), &body) {
            ErrorBody::Api(e) => assert_eq!((e.code, e.message.as_str()), (3, "bom")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn huge_body_is_truncated() {
        let body = "x".repeat(1_000_000);
        let u = unexpected(
            500,
            &headers(&[("content-type", "text/plain")]),
            body.as_bytes(),
        );
        assert_eq!(u.excerpt.chars().count(), EXCERPT_CHARS + 1);
        assert!(u.excerpt.ends_with('…'));
        assert_eq!(u.excerpt.trim_end_matches('…'), "x".repeat(EXCERPT_CHARS));
    }

    #[test]
    fn body_at_the_limit_is_not_cut() {
        let body = "y".repeat(EXCERPT_CHARS);
        let u = unexpected(500, &HeaderMap::new(), body.as_bytes());
        assert_eq!(u.excerpt, body);
        // Whitespace runs collapse before counting.
        let body = format!("{}{}", "y".repeat(EXCERPT_CHARS), " \n \n ");
        let u = unexpected(500, &HeaderMap::new(), body.as_bytes());
        assert_eq!(u.excerpt, "y".repeat(EXCERPT_CHARS));
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        let body = "错".repeat(1_000);
        let u = unexpected(500, &HeaderMap::new(), body.as_bytes());
        assert_eq!(u.excerpt, format!("{}…", "错".repeat(EXCERPT_CHARS)));
        // A cut that lands on a space does not leave a trailing space.
        let body = format!("{} {}", "a".repeat(EXCERPT_CHARS), "b".repeat(10));
        let u = unexpected(500, &HeaderMap::new(), body.as_bytes());
        assert_eq!(u.excerpt, format!("{}…", "a".repeat(EXCERPT_CHARS)));
    }

    #[test]
    fn excerpt_cleans_control_and_invalid_bytes() {
        let body = b"  bad\x1b[31m\x00 gate\xffway \xe2\x80\xae\x7f  end\n";
        let u = unexpected(502, &HeaderMap::new(), body);
        assert_eq!(u.excerpt, "bad[31m gate\u{fffd}way end");
    }

    #[test]
    fn content_type_is_cleaned_for_display() {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_bytes(b"text/html;\tcharset=\xff").unwrap(),
        );
        let u = unexpected(502, &h, b"x");
        assert_eq!(
            u.content_type.as_deref(),
            Some("text/html; charset=\u{fffd}")
        );
    }

    #[test]
    fn error_body_accessors() {
        let h = headers(&[("content-type", "application/json"), ("x-tt-logid", "L")]);
        let b = parse_error_body(400, &h, br#"{"code":9,"msg":"m"}"#);
        assert_eq!(
            (b.http_status(), b.code(), b.log_id()),
            (400, Some(9), Some("L"))
        );
        assert_eq!(b.to_string(), "code 9: m (log id L)");
        let b = parse_error_body(502, &h, b"<html>");
        assert_eq!(
            (b.http_status(), b.code(), b.log_id()),
            (502, None, Some("L"))
        );
    }

    #[test]
    fn never_panics_on_arbitrary_bodies() {
        let mut rng = fastrand::Rng::with_seed(11);
        let alphabet = b"{}[]\":,0123456789codemsgerrorlog_id \n\xff\xe9\x00";
        let h = json_headers();
        for _ in 0..2000 {
            let len = rng.usize(0..60);
            let body: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect();
            let parsed = parse_error_body(400, &h, &body);
            assert_eq!(parsed.http_status(), 400);
        }
    }
}
