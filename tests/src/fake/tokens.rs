//! Access-token checks of the data endpoints, by the token types their spec accepts
//! (platform-facts §5).
//!
//! | token | accepted when | else |
//! |---|---|---|
//! | none, or a blank `Bearer` | never | 99991661 |
//! | a live tenant token issued by the fake | the spec lists `tenant` | 99991663 |
//! | a live app token issued by the fake | the spec lists `app` | 99991663 |
//! | `u-…` (any, or one from `issue_user_token`) not revoked | the spec lists `user` | 99991668 |
//! | another `t-…` (unknown, expired, revoked, worn out) | never | 99991663 |
//! | anything else | never | 99991671 |

use std::time::Instant;

use axum::http::HeaderMap;

pub(crate) use super::caller::Caller;
use super::errors::codes;
use super::state::{bearer_token, Shared, TokenType};

/// Why a token was refused: the code, and a message when the platform's usual one for
/// the code would mislead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub code: i64,
    pub msg: Option<&'static str>,
}

fn reject(code: i64) -> Rejection {
    Rejection { code, msg: None }
}

/// Checks the request's token against the token types the endpoint accepts, and counts
/// one use of an accepted tenant token.
pub(crate) fn check(
    shared: &Shared,
    accepts: &[String],
    headers: &HeaderMap,
) -> Result<Caller, Rejection> {
    if accepts.is_empty() {
        return Ok(Caller::Anonymous);
    }
    let takes = |t: &str| accepts.iter().any(|a| a == t);
    let Some(token) = bearer_token(headers) else {
        return Err(reject(codes::MISSING_TOKEN));
    };
    let mut inner = shared.lock();
    let limit = inner.reject_after_uses;
    if let Some(issued) = inner.tokens.get_mut(token) {
        let worn_out = limit.is_some_and(|n| issued.uses >= n);
        if issued.expires_at <= Instant::now() || worn_out {
            return Err(reject(codes::INVALID_TOKEN));
        }
        return match issued.kind {
            TokenType::Tenant if takes("tenant") => {
                issued.uses += 1;
                Ok(Caller::Tenant {
                    tenant_key: issued.tenant_key.clone(),
                })
            }
            TokenType::App if takes("app") => Ok(Caller::App),
            TokenType::Tenant => Err(Rejection {
                code: codes::INVALID_TOKEN,
                msg: Some("Invalid access token for authorization: this API does not accept a tenant_access_token."),
            }),
            TokenType::App => Err(Rejection {
                code: codes::INVALID_TOKEN,
                msg: Some("Invalid access token for authorization: this API does not accept an app_access_token."),
            }),
        };
    }
    if token.starts_with("u-") {
        if inner.revoked_user_tokens.contains(token) {
            return Err(reject(codes::INVALID_USER_TOKEN));
        }
        if !takes("user") {
            return Err(Rejection {
                code: codes::INVALID_USER_TOKEN,
                msg: Some(
                    "Invalid user access token: this API does not accept a user_access_token.",
                ),
            });
        }
        return Ok(Caller::User {
            token: token.to_owned(),
        });
    }
    if token.starts_with("t-") {
        return Err(reject(codes::INVALID_TOKEN));
    }
    Err(reject(codes::MALFORMED_TOKEN))
}
