//! The webhook handler as an axum route (feature `axum`).
//!
//! ```no_run
//! use lark_openapi::events::{Dispatcher, WebhookHandler};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let dispatcher = Dispatcher::builder().encrypt_key("encrypt key").build();
//! let app = lark_openapi::events::axum::router(WebhookHandler::new(dispatcher));
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use ::axum::body::Bytes;
use ::axum::extract::{DefaultBodyLimit, State};
use ::axum::http::{header, HeaderMap, HeaderValue};
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::post;
use ::axum::Router;

use super::webhook::{WebhookHandler, WebhookResponse};

/// The path [`router`] serves: `/webhook/event`.
pub const PATH: &str = "/webhook/event";

/// A router serving `POST /webhook/event` with this handler; merge or nest it into the app's
/// router. Bodies larger than the handler's [`max_body`](WebhookHandler::max_body) are
/// refused with 413.
pub fn router(webhook: WebhookHandler) -> Router {
    let limit = webhook.max_body_limit().saturating_add(1);
    Router::new()
        .route(PATH, post(handle))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(webhook)
}

/// The handler itself, for mounting at another path:
/// `Router::new().route("/lark", post(handle)).with_state(webhook)`. Mind axum's default body
/// limit (2 MB) when raising [`max_body`](WebhookHandler::max_body).
pub async fn handle(
    State(webhook): State<WebhookHandler>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    webhook.handle(&headers, &body).await.into_response()
}

impl IntoResponse for WebhookResponse {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(WebhookResponse::CONTENT_TYPE),
        );
        response
    }
}
