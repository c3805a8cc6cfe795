//! The five auth v3 endpoints, and tenant-token checks for the data endpoints.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::binary;
use super::errors::{self, codes};
use super::faults::{self, FaultAction};
use super::state::{Inner, IssuedToken, Shared, TokenRequestKind, TokenType};
use super::stream::BodyFault;
use super::{ids, FakeAppType, FakeConfig};

type Fields = Map<String, Value>;

/// The spec id of a token endpoint.
pub(crate) fn endpoint_id(kind: TokenRequestKind) -> &'static str {
    match kind {
        TokenRequestKind::TenantInternal => "auth.v3.tenant_access_token.internal",
        TokenRequestKind::AppInternal => "auth.v3.app_access_token.internal",
        TokenRequestKind::AppStore => "auth.v3.app_access_token.create",
        TokenRequestKind::TenantStore => "auth.v3.tenant_access_token.create",
        TokenRequestKind::AppTicketResend => "auth.v3.app_ticket.resend",
    }
}

/// The state a fake starts with: the configuration's pre-issued app_tickets and app
/// tokens (see [`FakeConfig::extra_app_tickets`], [`FakeConfig::extra_app_tokens`]).
pub(crate) fn pre_issued(config: &FakeConfig) -> Inner {
    let mut inner = Inner::default();
    inner
        .tickets
        .extend(config.extra_app_tickets.iter().cloned());
    let expires_at = Instant::now() + config.token_lifetime;
    for token in &config.extra_app_tokens {
        let issued = IssuedToken {
            kind: TokenType::App,
            tenant_key: None,
            expires_at,
            uses: 0,
        };
        inner.tokens.insert(token.clone(), issued);
    }
    inner
}

/// Counts the request, then takes the endpoint's next fault: one that replaces the answer
/// (or a pending token-endpoint failure) is the `Err` to send; a cut-off or stalled body
/// applies to the success answer (the token is issued all the same); a delay is waited.
async fn begin(shared: &Shared, kind: TokenRequestKind) -> Result<BodyFault, Response> {
    *shared.lock().token_requests.entry(kind).or_default() += 1;
    let id = endpoint_id(kind);
    let mut body_fault = BodyFault::default();
    match shared
        .next_endpoint_fault(id, true)
        .map(|f| faults::apply(&f, &shared.spec, id))
    {
        Some(FaultAction::Respond(resp)) => return Err(resp),
        Some(FaultAction::Body(f)) => body_fault = f,
        Some(FaultAction::Delay(d)) => tokio::time::sleep(d).await,
        Some(FaultAction::RepeatPageToken) | None => {}
    }
    let mut inner = shared.lock();
    let Some((left, status)) = inner.token_failures else {
        return Ok(body_fault);
    };
    inner.token_failures = (left > 1).then_some((left - 1, status));
    drop(inner);
    match faults::apply(
        &faults::status_fault(status),
        &shared.spec,
        endpoint_id(kind),
    ) {
        FaultAction::Respond(resp) => Err(resp),
        _ => Ok(body_fault),
    }
}

/// A failed auth request: HTTP 400 with `{code, msg}`.
struct AuthError {
    code: i64,
    msg: String,
}

fn fail(code: i64, msg: impl Into<String>) -> AuthError {
    AuthError {
        code,
        msg: msg.into(),
    }
}

fn parse(body: &Bytes) -> Result<Fields, AuthError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(fail(codes::INVALID_PARAM, "invalid param")),
    }
}

fn field<'a>(fields: &'a Fields, name: &str) -> Result<&'a str, AuthError> {
    match fields.get(name).and_then(Value::as_str) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(fail(
            codes::INVALID_PARAM,
            format!("invalid param: {name} is required"),
        )),
    }
}

/// Checks `app_id` and `app_secret` against the configuration.
fn check_app(shared: &Shared, fields: &Fields) -> Result<(), AuthError> {
    let app_id = field(fields, "app_id")?;
    let app_secret = field(fields, "app_secret")?;
    if app_id != shared.config.app_id {
        return Err(fail(codes::INVALID_PARAM, "invalid param"));
    }
    if app_secret != shared.config.app_secret {
        return Err(fail(codes::BAD_SECRET, "app secret invalid"));
    }
    Ok(())
}

fn require_app_type(shared: &Shared, wanted: FakeAppType) -> Result<(), AuthError> {
    if shared.config.app_type == wanted {
        return Ok(());
    }
    let msg = match wanted {
        FakeAppType::Custom => "invalid param: store apps must use the app_ticket flow",
        FakeAppType::Store => "invalid param: self-built apps must use the internal endpoints",
    };
    Err(fail(codes::INVALID_PARAM, msg))
}

/// Issues a new token valid for the configured lifetime; returns it and `expire`.
fn issue(shared: &Shared, kind: TokenType, tenant_key: Option<&str>) -> (String, u64) {
    let prefix = match kind {
        TokenType::App => "a-",
        TokenType::Tenant => "t-",
    };
    let token = ids::token(prefix, &shared.config.app_id);
    let issued = IssuedToken {
        kind,
        tenant_key: tenant_key.map(str::to_owned),
        expires_at: Instant::now() + shared.config.token_lifetime,
        uses: 0,
    };
    shared.lock().tokens.insert(token.clone(), issued);
    (token, shared.config.token_lifetime.as_secs())
}

/// The fields of a success answer, in order.
type Answer = Vec<(&'static str, Value)>;

/// A success answer `{"code":0,"msg":"ok", <fields>}`, fields in the given order, its body
/// cut off or stalled if `fault` says so.
fn ok(shared: &Shared, fields: &[(&str, Value)], fault: BodyFault) -> Response {
    let mut pairs = vec![("code", json!(0)), ("msg", json!("ok"))];
    pairs.extend_from_slice(fields);
    let body = errors::ordered_json(&pairs);
    if fault.is_active() {
        binary::json_with_fault(shared, body, fault, None)
    } else {
        errors::json_response(200, body, &ids::log_id())
    }
}

/// Runs a token endpoint: [`begin`], then `f`'s answer or its error.
async fn run(
    shared: &Shared,
    kind: TokenRequestKind,
    f: impl FnOnce() -> Result<Answer, AuthError>,
) -> Response {
    let fault = match begin(shared, kind).await {
        Ok(fault) => fault,
        Err(resp) => return resp,
    };
    match f() {
        Ok(fields) => ok(shared, &fields, fault),
        Err(e) => errors::auth_error(e.code, &e.msg),
    }
}

/// `POST /open-apis/auth/v3/tenant_access_token/internal`.
pub(crate) async fn tenant_internal(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    run(&shared, TokenRequestKind::TenantInternal, || {
        let fields = parse(&body)?;
        check_app(&shared, &fields)?;
        require_app_type(&shared, FakeAppType::Custom)?;
        let (token, expire) = issue(&shared, TokenType::Tenant, None);
        Ok(vec![
            ("tenant_access_token", json!(token)),
            ("expire", json!(expire)),
        ])
    })
    .await
}

/// `POST /open-apis/auth/v3/app_access_token/internal`.
pub(crate) async fn app_internal(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    run(&shared, TokenRequestKind::AppInternal, || {
        let fields = parse(&body)?;
        check_app(&shared, &fields)?;
        require_app_type(&shared, FakeAppType::Custom)?;
        let (app_token, expire) = issue(&shared, TokenType::App, None);
        let (tenant_token, _) = issue(&shared, TokenType::Tenant, None);
        Ok(vec![
            ("app_access_token", json!(app_token)),
            ("expire", json!(expire)),
            ("tenant_access_token", json!(tenant_token)),
        ])
    })
    .await
}

/// `POST /open-apis/auth/v3/app_access_token` (store app).
pub(crate) async fn app_store(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    run(&shared, TokenRequestKind::AppStore, || {
        let fields = parse(&body)?;
        check_app(&shared, &fields)?;
        let ticket = field(&fields, "app_ticket")?;
        if !shared.lock().tickets.contains(ticket) {
            return Err(fail(codes::INVALID_TICKET, "app_ticket is invalid"));
        }
        let (token, expire) = issue(&shared, TokenType::App, None);
        Ok(vec![
            ("app_access_token", json!(token)),
            ("expire", json!(expire)),
        ])
    })
    .await
}

/// `POST /open-apis/auth/v3/tenant_access_token` (store app).
pub(crate) async fn tenant_store(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    run(&shared, TokenRequestKind::TenantStore, || {
        let fields = parse(&body)?;
        let app_token = field(&fields, "app_access_token")?;
        let tenant_key = field(&fields, "tenant_key")?;
        let valid = shared
            .lock()
            .tokens
            .get(app_token)
            .is_some_and(|t| t.kind == TokenType::App && t.expires_at > Instant::now());
        if !valid {
            return Err(fail(codes::INVALID_APP_TOKEN, "Invalid app access token."));
        }
        let (token, expire) = issue(&shared, TokenType::Tenant, Some(tenant_key));
        Ok(vec![
            ("tenant_access_token", json!(token)),
            ("expire", json!(expire)),
        ])
    })
    .await
}

/// `POST /open-apis/auth/v3/app_ticket/resend`: for a store app, issues a new
/// ticket (readable with [`FakeLark::latest_app_ticket`](super::FakeLark::latest_app_ticket)).
pub(crate) async fn ticket_resend(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    run(&shared, TokenRequestKind::AppTicketResend, || {
        let fields = parse(&body)?;
        check_app(&shared, &fields)?;
        if shared.config.app_type == FakeAppType::Custom {
            return Err(fail(
                codes::RESEND_NOT_ALLOWED,
                "app_ticket resend is only for store apps",
            ));
        }
        issue_ticket(&shared);
        Ok(Vec::new())
    })
    .await
}

/// Issues and remembers a new app_ticket.
pub(crate) fn issue_ticket(shared: &Shared) -> String {
    let ticket = ids::app_ticket(&shared.config.app_id);
    let mut inner = shared.lock();
    inner.tickets.insert(ticket.clone());
    inner.latest_ticket = Some(ticket.clone());
    ticket
}
