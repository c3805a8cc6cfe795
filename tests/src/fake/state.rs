//! Shared server state, request counters and the request log.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use tokio::sync::watch;

use lark_codegen::model::EndpointModel;
use lark_codegen::Model;
use serde_json::Value;

use super::caller::AcceptedToken;
use super::errors::{SpecIndex, LOGID_HEADER};
use super::events::EventsState;
use super::faults::Fault;
use super::resources::Resource;
use super::store::Store;
use super::{ids, FakeConfig};

/// Which auth endpoint a token request hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenRequestKind {
    /// `POST /open-apis/auth/v3/tenant_access_token/internal` (self-built app).
    TenantInternal,
    /// `POST /open-apis/auth/v3/app_access_token/internal` (self-built app).
    AppInternal,
    /// `POST /open-apis/auth/v3/app_access_token` (store app, with app_ticket).
    AppStore,
    /// `POST /open-apis/auth/v3/tenant_access_token` (store app, per tenant_key).
    TenantStore,
    /// `POST /open-apis/auth/v3/app_ticket/resend`.
    AppTicketResend,
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path and query exactly as sent (still percent-encoded).
    pub path_and_query: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// The token from `Authorization: Bearer <token>`, if any.
    pub bearer: Option<String>,
    /// The tenant the bearer token was issued for (store apps), when the
    /// request was authenticated with a store tenant token.
    pub tenant_key: Option<String>,
    /// The kind of access token the fake accepted the request with; `None` when it
    /// refused the token or did not check one (the auth endpoints, unknown paths).
    pub accepted_as: Option<AcceptedToken>,
    /// The spec id of the endpoint the request was routed to (`im.v1.message.create`);
    /// `None` for paths no spec describes (answered 404).
    pub endpoint_id: Option<String>,
    /// For a successful answer of a paginated endpoint: the page's items as sent.
    pub page_items: Option<Vec<Value>>,
    /// HTTP status of the answer.
    pub status: u16,
    /// The `X-Tt-Logid` of the answer.
    pub log_id: String,
    /// All request headers.
    pub headers: HeaderMap,
}

/// Whether an issued token is an app or a tenant token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenType {
    App,
    Tenant,
}

/// A token the fake issued.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub kind: TokenType,
    /// Set for store-app tenant tokens.
    pub tenant_key: Option<String>,
    pub expires_at: Instant,
    /// Resource requests accepted with this token.
    pub uses: usize,
}

/// A registered resource and its remaining faults.
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    pub resource: Resource,
    pub faults: VecDeque<Fault>,
}

/// Mutable state, behind one mutex (never held across an await).
#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub tokens: HashMap<String, IssuedToken>,
    pub tickets: HashSet<String>,
    pub latest_ticket: Option<String>,
    pub token_requests: HashMap<TokenRequestKind, usize>,
    pub resource_requests: usize,
    pub resources: HashMap<(String, String), Registered>,
    pub reject_after_uses: Option<usize>,
    /// Remaining failing token requests and their status.
    pub token_failures: Option<(usize, u16)>,
    pub last_headers: Option<HeaderMap>,
    pub log: Vec<LoggedRequest>,
    /// Fault queues per endpoint id.
    pub endpoint_faults: HashMap<String, VecDeque<Fault>>,
    /// Largest page the store serves, per endpoint id.
    pub page_caps: HashMap<String, usize>,
    /// User tokens issued by `issue_user_token`.
    pub user_tokens: HashSet<String>,
    /// User tokens revoked by `revoke_tokens`.
    pub revoked_user_tokens: HashSet<String>,
    /// The enforced rate limit: its buckets and refusals.
    pub rate: super::ratelimit::RateState,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: FakeConfig,
    pub model: Model,
    pub spec: SpecIndex,
    pub inner: Mutex<Inner>,
    /// The in-memory IM data; its own lock, never held with `inner`'s.
    pub store: Mutex<Store>,
    /// The store as seeded, for `reset_store`.
    pub seeded: Store,
    /// Event pushes and the long connection; their own locks.
    pub events: EventsState,
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not wedge the fake for everyone else.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The endpoint with this id (the router only routes ids of the model).
    pub fn endpoint(&self, id: &str) -> Option<&EndpointModel> {
        self.model.endpoint(id)
    }

    /// Takes the next fault queued for `endpoint_id`. A [`Fault::RepeatPageToken`] at the
    /// head stays queued for a request that carries no page token.
    pub fn next_endpoint_fault(&self, endpoint_id: &str, has_page_token: bool) -> Option<Fault> {
        let mut inner = self.lock();
        let queue = inner.endpoint_faults.get_mut(endpoint_id)?;
        if queue.front() == Some(&Fault::RepeatPageToken) && !has_page_token {
            return None;
        }
        queue.pop_front()
    }
}

/// The endpoint a response answered, passed from handler to the log.
#[derive(Debug, Clone)]
pub(crate) struct EndpointTag(pub String);

/// The items of a page answer, passed from handler to the log.
#[derive(Debug, Clone)]
pub(crate) struct PageItems(pub Vec<Value>);

/// The token kind a request was accepted with, passed from handler to the log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AcceptedTag(pub AcceptedToken);

/// Tenant a request was authenticated for, passed from handler to the log.
#[derive(Debug, Clone)]
pub(crate) struct TenantTag(pub String);

/// The token in `Authorization: Bearer <token>` (scheme case-insensitive),
/// `None` if the header is absent, not Bearer, or the token is empty.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Middleware: makes sure every answer has `X-Tt-Logid`, and logs the request.
pub(crate) async fn record_request(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().to_string();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let headers = req.headers().clone();
    let mut resp = next.run(req).await;
    if !resp.headers().contains_key(LOGID_HEADER) {
        if let Ok(v) = HeaderValue::from_str(&ids::log_id()) {
            resp.headers_mut().insert(LOGID_HEADER, v);
        }
    }
    let log_id = resp
        .headers()
        .get(LOGID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let entry = LoggedRequest {
        method,
        path_and_query,
        range: headers
            .get(header::RANGE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        bearer: bearer_token(&headers).map(str::to_owned),
        tenant_key: resp.extensions().get::<TenantTag>().map(|t| t.0.clone()),
        accepted_as: resp.extensions().get::<AcceptedTag>().map(|t| t.0),
        endpoint_id: resp.extensions().get::<EndpointTag>().map(|t| t.0.clone()),
        page_items: resp.extensions().get::<PageItems>().map(|t| t.0.clone()),
        status: resp.status().as_u16(),
        log_id,
        headers: headers.clone(),
    };
    let mut inner = shared.lock();
    inner.last_headers = Some(headers);
    inner.log.push(entry);
    drop(inner);
    resp
}
