//! The SDK's own [`TokenFetcher`]: the auth v3 endpoints, generated from their specs and
//! sent through the client's one pipeline (retries, deadlines, capped reads, redaction,
//! tracing), like every other endpoint.

use std::fmt;
use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};

use tracing::Instrument;

use super::credentials::{AppCredentials, AppType};
use super::error::{TokenError, TokenErrorKind};
use super::fetcher::{FetchFuture, TokenFetcher, TokenSource};
use super::key::{Fetched, TokenKey};
use super::secret::Secret;
use crate::generated::auth::v3::{app_access_token, app_ticket, tenant_access_token};
use crate::transport::retry::RetryPolicy;
use crate::{Client, Error, RequestOptions};

/// Paths of the auth v3 endpoints (all `POST`, JSON body, no access token).
pub mod endpoints {
    /// Tenant token of a self-built app (`app_id`, `app_secret`).
    pub const TENANT_ACCESS_TOKEN_INTERNAL: &str =
        "/open-apis/auth/v3/tenant_access_token/internal";
    /// App token of a self-built app (`app_id`, `app_secret`).
    pub const APP_ACCESS_TOKEN_INTERNAL: &str = "/open-apis/auth/v3/app_access_token/internal";
    /// App token of a store app (`app_id`, `app_secret`, `app_ticket`).
    pub const APP_ACCESS_TOKEN: &str = "/open-apis/auth/v3/app_access_token";
    /// Tenant token of a store app (`app_access_token`, `tenant_key`).
    pub const TENANT_ACCESS_TOKEN: &str = "/open-apis/auth/v3/tenant_access_token";
    /// Asks the platform to push a new `app_ticket` event (store apps only).
    pub const APP_TICKET_RESEND: &str = "/open-apis/auth/v3/app_ticket/resend";
}

/// Retries of auth requests: the shared classification, 3 attempts, short waits. Fixed
/// rather than the client's policy: a client with retries off still gets a token through a
/// blip.
pub(crate) fn auth_retry_policy() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(1))
        .with_max_rate_limit_wait(Duration::from_secs(10))
}

/// Each auth request (all its attempts) must be over within this.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Automatic app_ticket resends (on a missing or rejected ticket) are sent at most this
/// often.
const AUTO_RESEND_INTERVAL: Duration = Duration::from_secs(10);
/// The app_access_token passed to the store tenant endpoint is invalid.
const APP_TOKEN_INVALID_CODES: [i64; 2] = [99991664, 20014];
/// app_ticket invalid (Go SDK `errCodeAppTicketInvalid`).
const CODE_APP_TICKET_INVALID: i64 = 10012;

/// Gets tokens from the auth v3 endpoints through the client that owns the cache.
///
/// * Self-built apps: `tenant_access_token/internal` and `app_access_token/internal`.
/// * Store apps: `app_access_token` with the app_ticket (from the cache), then
///   `tenant_access_token` with that app token (from the cache) and the `tenant_key`.
///   Without an app_ticket it requests a resend and fails with
///   [`TokenErrorKind::AppTicketMissing`].
pub(crate) struct HttpTokenFetcher {
    /// The client whose pipeline sends the requests. Weak: the client owns the cache,
    /// which owns this fetcher.
    client: Weak<crate::client::Inner>,
    creds: AppCredentials,
    last_auto_resend: Mutex<Option<Instant>>,
}

impl HttpTokenFetcher {
    pub(crate) fn new(client: Weak<crate::client::Inner>, creds: AppCredentials) -> Self {
        HttpTokenFetcher {
            client,
            creds,
            last_auto_resend: Mutex::new(None),
        }
    }

    fn client(&self, endpoint: &'static str) -> Result<Client, TokenError> {
        self.client
            .upgrade()
            .map(|inner| Client { inner })
            .ok_or_else(|| {
                TokenError::new(
                    endpoint,
                    TokenErrorKind::Malformed(
                        "the client that owns this token cache is gone".into(),
                    ),
                )
            })
    }

    /// Options of an auth request: the fixed retry policy, a deadline, and the body's
    /// credentials to scrub from any message built from the answer.
    fn options(&self, secrets: &[&str]) -> RequestOptions {
        RequestOptions::new()
            .timeout(AUTH_TIMEOUT)
            .with_retry_policy(auth_retry_policy())
            .with_secrets(secrets.iter().map(|s| Secret::new(*s)))
    }

    async fn resend(&self) -> Result<(), TokenError> {
        let ep = endpoints::APP_TICKET_RESEND;
        let client = self.client(ep)?;
        let secret = self.creds.app_secret().expose();
        let body = app_ticket::ResendAppTicketBody::new(self.creds.app_id(), secret);
        client
            .auth()
            .v3()
            .app_ticket()
            .resend(body)
            .options(self.options(&[secret]))
            .send()
            .instrument(tracing::debug_span!(
                "lark.app_ticket.resend",
                app_id = self.creds.app_id()
            ))
            .await
            .map(|_| ())
            .map_err(|e| token_error(ep, e))
    }

    /// Requests a resend unless one was requested recently; failures are only logged,
    /// since the caller reports its own error.
    async fn auto_resend(&self) {
        {
            let mut last = self
                .last_auto_resend
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let now = crate::clock::now();
            if last.is_some_and(|t| now.saturating_duration_since(t) < AUTO_RESEND_INTERVAL) {
                tracing::debug!("app_ticket resend requested recently; not sending another");
                return;
            }
            *last = Some(now);
        }
        match self.resend().await {
            Ok(()) => tracing::info!("requested an app_ticket resend"),
            Err(e) => tracing::warn!(error = %e, "app_ticket resend failed"),
        }
    }

    async fn fetch_key(
        &self,
        key: &TokenKey,
        source: &dyn TokenSource,
    ) -> Result<Fetched, TokenError> {
        let app_id = self.creds.app_id();
        let secret = self.creds.app_secret().expose();
        match (self.creds.app_type(), key) {
            (AppType::Custom, TokenKey::Tenant(tenant_key)) => {
                if tenant_key.is_some() {
                    tracing::debug!("self-built app: tenant_key ignored");
                }
                let ep = endpoints::TENANT_ACCESS_TOKEN_INTERNAL;
                let out = self
                    .client(ep)?
                    .auth()
                    .v3()
                    .tenant_access_token()
                    .internal(tenant_access_token::InternalTenantAccessTokenBody::new(
                        app_id, secret,
                    ))
                    .options(self.options(&[secret]))
                    .send()
                    .await
                    .map_err(|e| token_error(ep, e))?;
                fetched(ep, out.tenant_access_token, out.expire)
            }
            (AppType::Custom, TokenKey::App) => {
                let ep = endpoints::APP_ACCESS_TOKEN_INTERNAL;
                let out = self
                    .client(ep)?
                    .auth()
                    .v3()
                    .app_access_token()
                    .internal(app_access_token::InternalAppAccessTokenBody::new(
                        app_id, secret,
                    ))
                    .options(self.options(&[secret]))
                    .send()
                    .await
                    .map_err(|e| token_error(ep, e))?;
                fetched(ep, out.app_access_token, out.expire)
            }
            (AppType::Store, TokenKey::App) => {
                let ep = endpoints::APP_ACCESS_TOKEN;
                let Some(ticket) = source.app_ticket() else {
                    self.auto_resend().await;
                    return Err(TokenError::new(ep, TokenErrorKind::AppTicketMissing));
                };
                let body = app_access_token::CreateAppAccessTokenBody::new(
                    app_id,
                    secret,
                    ticket.expose(),
                );
                let answer = self
                    .client(ep)?
                    .auth()
                    .v3()
                    .app_access_token()
                    .create(body)
                    .options(self.options(&[secret, ticket.expose()]))
                    .send()
                    .await;
                match answer {
                    Ok(out) => fetched(ep, out.app_access_token, out.expire),
                    Err(e) => {
                        let e = token_error(ep, e);
                        if e.code() == Some(CODE_APP_TICKET_INVALID) {
                            self.auto_resend().await;
                        }
                        Err(e)
                    }
                }
            }
            (AppType::Store, TokenKey::Tenant(None)) => Err(TokenError::new(
                endpoints::TENANT_ACCESS_TOKEN,
                TokenErrorKind::MissingTenantKey,
            )),
            (AppType::Store, TokenKey::Tenant(Some(tenant_key))) => {
                let ep = endpoints::TENANT_ACCESS_TOKEN;
                let mut retried = false;
                loop {
                    let app_token = source.token(&TokenKey::App).await?;
                    let body = tenant_access_token::CreateTenantAccessTokenBody::new(
                        tenant_key.as_str(),
                        app_token.expose(),
                    );
                    let answer = self
                        .client(ep)?
                        .auth()
                        .v3()
                        .tenant_access_token()
                        .create(body)
                        .options(self.options(&[secret, app_token.expose()]))
                        .send()
                        .await;
                    match answer {
                        Ok(out) => return fetched(ep, out.tenant_access_token, out.expire),
                        Err(e) => {
                            let e = token_error(ep, e);
                            if !retried
                                && e.code()
                                    .is_some_and(|c| APP_TOKEN_INVALID_CODES.contains(&c))
                            {
                                tracing::debug!(
                                    code = e.code(),
                                    "app_access_token rejected; refreshing it once"
                                );
                                source.invalidate(&TokenKey::App, &app_token);
                                retried = true;
                            } else {
                                return Err(e);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A token answer: the token must be a non-empty string that an HTTP header can carry, and
/// the lifetime positive.
fn fetched(endpoint: &'static str, token: String, expire: i64) -> Result<Fetched, TokenError> {
    let malformed = |what: &str| TokenError::new(endpoint, TokenErrorKind::Malformed(what.into()));
    if token.is_empty() {
        return Err(malformed("the answer's token is empty"));
    }
    if reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
        return Err(malformed(
            "the answer's token has characters an HTTP header cannot carry",
        ));
    }
    if expire <= 0 {
        return Err(malformed("answer has no positive `expire`"));
    }
    Ok(Fetched {
        token: Secret::from(token),
        expires_in: Duration::from_secs(expire.unsigned_abs()),
    })
}

/// What an auth call's failure means for the token cache.
fn token_error<C>(endpoint: &'static str, error: Error<C>) -> TokenError {
    let log_id = error.log_id().map(str::to_string);
    let kind = match error {
        Error::Service(e) => TokenErrorKind::Rejected {
            code: e.code_number(),
            msg: e.message().to_owned(),
        },
        Error::UnexpectedResponse(body) => match (&body.redirect_to, body.cut_at) {
            (Some(to), _) => TokenErrorKind::Redirected {
                status: body.http_status,
                to: to.clone(),
            },
            (None, Some(limit)) => TokenErrorKind::TooLarge { limit },
            (None, None) => TokenErrorKind::Http {
                status: body.http_status,
                excerpt: withhold_credentials(&body.excerpt),
            },
        },
        Error::Transport(t) => return TokenError::transport(endpoint, t).with_log_id(log_id),
        Error::Decode(d) => match d.cut_at {
            Some(limit) => TokenErrorKind::TooLarge { limit },
            None => TokenErrorKind::Malformed(format!("{}: {}", d.path, d.message)),
        },
        other => TokenErrorKind::Malformed(other.to_string()),
    };
    TokenError::new(endpoint, kind).with_log_id(log_id)
}

/// An excerpt that looks like it carries a credential is withheld whole.
fn withhold_credentials(excerpt: &str) -> String {
    let lower = excerpt.to_ascii_lowercase();
    if ["access_token", "app_secret", "app_ticket"]
        .iter()
        .any(|needle| lower.contains(needle))
    {
        return "<withheld: body mentions a credential>".into();
    }
    excerpt.to_string()
}

impl fmt::Debug for HttpTokenFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTokenFetcher")
            .field("creds", &self.creds)
            .finish_non_exhaustive()
    }
}

impl TokenFetcher for HttpTokenFetcher {
    fn fetch<'a>(
        &'a self,
        key: &'a TokenKey,
        source: &'a dyn TokenSource,
    ) -> FetchFuture<'a, Fetched> {
        Box::pin(self.fetch_key(key, source))
    }

    fn resend_app_ticket(&self) -> FetchFuture<'_, ()> {
        Box::pin(self.resend())
    }
}

#[cfg(test)]
mod tests;
