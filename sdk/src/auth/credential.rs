//! Which credential a request is sent with: the caller's token, or one of the client's
//! cached tokens for the endpoint's preferred token type.

use crate::auth::{AccessToken, TokenKey};
use crate::operation::TokenType;
use crate::transport::prepared::Prepared;
use crate::{Client, Error};

/// Where the request's token comes from.
pub(crate) enum Credential {
    /// From the client's cache, under this key: can be invalidated and replaced.
    Cached(TokenKey, AccessToken),
    /// Given by the caller: sent as is.
    Explicit(String),
    /// The endpoint takes no token (the auth endpoints).
    None,
}

impl Credential {
    /// The `Authorization` header value; `Err` when the token cannot be sent in a header.
    pub(crate) fn authorization(&self) -> Result<Option<reqwest::header::HeaderValue>, ()> {
        match self {
            Credential::Cached(_, t) => t.bearer().cloned().map(Some).ok_or(()),
            Credential::Explicit(t) => crate::auth::bearer_header(t).map(Some).ok_or(()),
            Credential::None => Ok(None),
        }
    }

    pub(crate) fn expose(&self) -> Option<&str> {
        match self {
            Credential::Cached(_, t) => Some(t.expose()),
            Credential::Explicit(t) => Some(t),
            Credential::None => None,
        }
    }
}

/// The token for a request: the caller's, or one from the client's cache for the endpoint's
/// preferred token type.
pub(crate) async fn credential(client: &Client, p: &Prepared) -> Result<Credential, Error> {
    let o = &p.options;
    if p.meta.access_tokens.is_empty() {
        return Ok(Credential::None);
    }
    if let Some(token) = &o.access_token {
        return Ok(Credential::Explicit(token.expose().to_string()));
    }
    if let Some(token) = &o.user_access_token {
        if !p.meta.access_tokens.contains(&TokenType::User) {
            return Err(Error::InvalidRequest(format!(
                "{} does not accept a user_access_token",
                p.meta.id
            )));
        }
        return Ok(Credential::Explicit(token.expose().to_string()));
    }
    let key = if p.meta.access_tokens.contains(&TokenType::Tenant) {
        TokenKey::Tenant(o.tenant_key.clone())
    } else if p.meta.access_tokens.contains(&TokenType::App) {
        TokenKey::App
    } else {
        return Err(Error::InvalidRequest(format!(
            "{} accepts only a user_access_token: set one in the request options",
            p.meta.id
        )));
    };
    let token = client
        .inner
        .tokens
        .get(&key)
        .await
        .map_err(Error::<crate::AnyCode>::Token)?;
    Ok(Credential::Cached(key, token))
}
