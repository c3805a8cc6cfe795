//! [`Caller`]: who a request acts as, once its token is accepted.

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The app in a tenant (store apps: the tenant the token was issued for).
    Tenant { tenant_key: Option<String> },
    /// The app itself (an app token).
    App,
    /// A user, with this user token.
    User { token: String },
    /// The endpoint takes no token.
    Anonymous,
}

impl Caller {
    /// The kind of token the caller was accepted with.
    pub fn accepted(&self) -> AcceptedToken {
        match self {
            Caller::Tenant { .. } => AcceptedToken::Tenant,
            Caller::App => AcceptedToken::App,
            Caller::User { .. } => AcceptedToken::User,
            Caller::Anonymous => AcceptedToken::None,
        }
    }

    /// The tenant of a store app's tenant token.
    pub fn tenant_key(&self) -> Option<&str> {
        match self {
            Caller::Tenant { tenant_key } => tenant_key.as_deref(),
            _ => None,
        }
    }
}

/// The kind of token a request was accepted with (see [`LoggedRequest::accepted_as`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptedToken {
    /// A tenant_access_token the fake issued.
    Tenant,
    /// An app_access_token the fake issued.
    App,
    /// A user_access_token (`u-…`).
    User,
    /// The endpoint takes no token.
    None,
}

impl AcceptedToken {
    /// The name the specs use in `access_tokens` (`tenant`, `app`, `user`), or `None`.
    pub fn spec_name(self) -> Option<&'static str> {
        match self {
            AcceptedToken::Tenant => Some("tenant"),
            AcceptedToken::App => Some("app"),
            AcceptedToken::User => Some("user"),
            AcceptedToken::None => None,
        }
    }
}
