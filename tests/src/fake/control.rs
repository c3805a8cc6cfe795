//! The control surface of a running [`FakeLark`]: counters, the request log, resources,
//! tokens, faults and the store.

use std::collections::VecDeque;
use std::net::SocketAddr;

use axum::http::HeaderMap;
use lark_codegen::Model;

use super::state::Registered;
use super::{
    auth, ids, preview, FakeConfig, FakeLark, FakeRateLimit, Fault, LoggedRequest, Resource,
    SpecErrorRow, TokenRequestKind,
};

impl FakeLark {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration the fake runs with.
    pub fn config(&self) -> &FakeConfig {
        &self.shared.config
    }

    /// Requests received on one token endpoint (including failed and faulted ones).
    pub fn token_requests(&self, kind: TokenRequestKind) -> usize {
        let inner = self.shared.lock();
        inner.token_requests.get(&kind).copied().unwrap_or(0)
    }

    /// Requests refused by the enforced rate limit ([`FakeConfig::rate_limit`]), all
    /// endpoints together.
    pub fn rate_limited(&self) -> usize {
        self.shared.lock().rate.refused.values().sum()
    }

    /// Requests to endpoint `id` refused by the enforced rate limit.
    pub fn rate_limited_for(&self, id: &str) -> usize {
        self.shared
            .lock()
            .rate
            .refused
            .get(id)
            .copied()
            .unwrap_or(0)
    }

    /// Turns the enforced rate limit on (`Some`) or off (`None`) from now on, replacing
    /// [`FakeConfig::rate_limit`]; buckets start full again, the refusal counters stay.
    pub fn set_rate_limit(&self, limit: Option<FakeRateLimit>) {
        self.shared.lock().rate.set_limit(limit);
    }

    /// Requests received on the message-resource endpoint (all outcomes).
    pub fn resource_requests(&self) -> usize {
        self.shared.lock().resource_requests
    }

    /// Registers (or replaces) a resource under `(message_id, file_key)`, with
    /// its fault queue.
    ///
    /// # Panics
    /// If its `Content-Disposition` or `Content-Type` cannot be sent in an
    /// HTTP header (see [`Disposition::Raw`](super::Disposition::Raw)).
    pub fn add_resource(&self, r: Resource) {
        if let Err(e) = r.disposition.header_value() {
            panic!(
                "fake-lark: unsendable Content-Disposition {:?}: {e}",
                r.disposition
            );
        }
        if let Some(ct) = &r.content_type {
            if let Err(e) = axum::http::HeaderValue::from_str(ct) {
                panic!("fake-lark: unsendable Content-Type {ct:?}: {e}");
            }
        }
        let key = (r.message_id.clone(), r.file_key.clone());
        let faults: VecDeque<Fault> = r.faults.iter().cloned().collect();
        let entry = Registered {
            resource: r,
            faults,
        };
        self.shared.lock().resources.insert(key, entry);
    }

    /// Appends faults to an already registered resource's queue; false if
    /// there is no such resource.
    pub fn push_faults(
        &self,
        message_id: &str,
        file_key: &str,
        faults: impl IntoIterator<Item = Fault>,
    ) -> bool {
        let mut inner = self.shared.lock();
        let key = (message_id.to_owned(), file_key.to_owned());
        match inner.resources.get_mut(&key) {
            Some(entry) => {
                entry.faults.extend(faults);
                true
            }
            None => false,
        }
    }

    /// Faults still queued for a resource (0 if it is unknown).
    pub fn pending_faults(&self, message_id: &str, file_key: &str) -> usize {
        let inner = self.shared.lock();
        let key = (message_id.to_owned(), file_key.to_owned());
        inner.resources.get(&key).map_or(0, |e| e.faults.len())
    }

    /// Issues a new app_ticket, as the platform would push to a store app;
    /// `/open-apis/auth/v3/app_access_token` accepts only issued tickets (and those of
    /// [`FakeConfig::extra_app_tickets`]).
    pub fn issue_app_ticket(&self) -> String {
        auth::issue_ticket(&self.shared)
    }

    /// The most recently issued app_ticket (by [`FakeLark::issue_app_ticket`]
    /// or by a successful `app_ticket/resend`), i.e. the last one "pushed".
    pub fn latest_app_ticket(&self) -> Option<String> {
        self.shared.lock().latest_ticket.clone()
    }

    /// Invalidates every issued app_ticket, pre-issued ones included (the next app-token
    /// request answers 10012).
    pub fn revoke_app_tickets(&self) {
        let mut inner = self.shared.lock();
        inner.tickets.clear();
        inner.latest_ticket = None;
    }

    /// Invalidates every issued token, pre-issued app tokens included: using a tenant or
    /// app token answers 99991663, a user token from [`FakeLark::issue_user_token`]
    /// 99991668.
    pub fn revoke_tokens(&self) {
        let mut inner = self.shared.lock();
        inner.tokens.clear();
        let users: Vec<String> = inner.user_tokens.drain().collect();
        inner.revoked_user_tokens.extend(users);
    }

    /// With `Some(n)`, each tenant token is accepted for `n` data requests
    /// (counted since it was issued), then answers 99991663; `None` lifts the limit.
    pub fn reject_tokens_after_uses(&self, n: Option<usize>) {
        self.shared.lock().reject_after_uses = n;
    }

    /// The next `n` requests to any token endpoint fail with `status`: 429 is
    /// the rate-limit answer (code 99991400, `x-ogw-ratelimit-*` headers),
    /// other statuses as [`Fault::Status5xx`]. Replaces any pending failures.
    pub fn fail_next_token_requests(&self, n: usize, status: u16) {
        self.shared.lock().token_failures = (n > 0).then_some((n, status));
    }

    /// Headers of the most recent request to any endpoint.
    pub fn last_request_headers(&self) -> Option<HeaderMap> {
        self.shared.lock().last_headers.clone()
    }

    /// Every request so far, in the order their answers started.
    pub fn requests_log(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    /// Every row of the spec error tables the fake loaded at start.
    pub fn spec_errors(&self) -> Vec<SpecErrorRow> {
        self.shared.spec.rows.clone()
    }

    /// The spec model the fake was built from.
    pub fn model(&self) -> &Model {
        &self.shared.model
    }

    /// Every request routed to endpoint `id` (`im.v1.message.create`), in the order
    /// their answers started: one entry per attempt, so retries are countable.
    pub fn requests_for(&self, id: &str) -> Vec<LoggedRequest> {
        let inner = self.shared.lock();
        inner
            .log
            .iter()
            .filter(|r| r.endpoint_id.as_deref() == Some(id))
            .cloned()
            .collect()
    }

    /// Appends faults to the queue of endpoint `id`: each request to the endpoint takes
    /// the next one, after the token check and before validation (see [`Fault`]).
    /// Works for every endpoint, the hand-written ones included (the token endpoints cut
    /// or stall only success answers, as the generic handler does).
    pub fn push_endpoint_faults(&self, id: &str, faults: impl IntoIterator<Item = Fault>) {
        let mut inner = self.shared.lock();
        inner
            .endpoint_faults
            .entry(id.to_owned())
            .or_default()
            .extend(faults);
    }

    /// Faults still queued for endpoint `id`.
    pub fn pending_endpoint_faults(&self, id: &str) -> usize {
        let inner = self.shared.lock();
        inner.endpoint_faults.get(id).map_or(0, VecDeque::len)
    }

    /// Drops the faults still queued for endpoint `id`.
    pub fn clear_endpoint_faults(&self, id: &str) {
        self.shared.lock().endpoint_faults.remove(id);
    }

    /// With `Some(n)`, the store serves at most `n` items per page of endpoint `id`,
    /// whatever `page_size` asks (the platform may return fewer items than asked for);
    /// `None` lifts the cap.
    pub fn set_page_size_cap(&self, id: &str, cap: Option<usize>) {
        let mut inner = self.shared.lock();
        match cap {
            Some(n) => inner.page_caps.insert(id.to_owned(), n.max(1)),
            None => inner.page_caps.remove(id),
        };
    }

    /// A new user access token (`u-…`), accepted by endpoints that take user tokens
    /// until [`FakeLark::revoke_tokens`]. Any other `u-…` token is accepted too.
    pub fn issue_user_token(&self) -> String {
        let token = ids::token("u-", &self.shared.config.app_id);
        self.shared.lock().user_tokens.insert(token.clone());
        token
    }

    /// Forgets everything the store learned and restores its seeded state (ids and
    /// times start again from the same values).
    pub fn reset_store(&self) {
        let mut store = self.shared.store();
        let seeded = self.shared.seeded.clone();
        store.reset_to(seeded);
    }

    /// The whole body a successful `GET` of `path_and_query` would send now, for a
    /// binary endpoint (a registered resource, an upload, synthesized bytes); `None` if
    /// the path is no binary endpoint's or would not succeed. Nothing is logged or
    /// changed, and no fault is taken.
    pub fn expected_download(&self, path_and_query: &str) -> Option<Vec<u8>> {
        preview::download(&self.shared, path_and_query)
    }
}
