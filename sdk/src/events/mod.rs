//! Receiving events: typed events, a dispatcher, a webhook handler and the long connection.
//!
//! The platform delivers events (a message was sent to the bot, a reaction was added, …) and
//! callbacks (a card button was clicked) in one of two ways: it POSTs them to the app's
//! request URL (the *webhook*), or it sends them over a WebSocket the app opened (the *long
//! connection*, module `ws`, feature `ws`). Either way they reach a [`Dispatcher`], which
//! routes each to the handler registered for its type:
//!
//! * [`DispatcherBuilder::on`] registers a handler for one typed event (the generated types,
//!   such as `lark_openapi::im::v1::events::MessageReceiveV1`). The platform is answered at
//!   once and the handler runs afterwards, so a slow handler never causes a re-push; its
//!   error is logged (`tracing`) with the event's id and type.
//! * [`DispatcherBuilder::on_callback`] registers a handler for a callback
//!   (`lark_openapi::card::v1::events::ActionTrigger`); what it returns, a
//!   [`CallbackAnswer`] with a [`Toast`] and/or a new card, is the platform's answer.
//! * [`DispatcherBuilder::on_unknown`] receives every other event as a [`RawEvent`] (JSON).
//!   Events without a handler are acknowledged, never refused.
//!
//! Events the platform pushes again (same `event_id`) are handled once
//! ([`DedupStore`], [`MemoryDedup`] by default). With [`DispatcherBuilder::client`], the
//! store apps' `app_ticket` event is given to the client, which needs it for its tokens.
//!
//! A [`WebhookHandler`] serves the request URL with any HTTP framework: it answers the
//! `url_verification` challenge, checks the signature over the raw bytes in constant time,
//! refuses stale timestamps, decrypts encrypted bodies ([`crypto`]) and caps the body size.
//! The `axum` feature has a ready route (`events::axum::router`).
//!
//! ```no_run
//! # #[cfg(all(feature = "im", feature = "card"))]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use lark_openapi::card::v1::events::ActionTrigger;
//! use lark_openapi::events::{
//!     CallbackAnswer, Dispatcher, EventContext, RawEvent, Toast, WebhookHandler,
//! };
//! use lark_openapi::im::v1::events::MessageReceiveV1;
//!
//! let client = lark_openapi::Client::from_env()?;
//! let dispatcher = Dispatcher::builder()
//!     .verification_token(std::env::var("LARK_VERIFICATION_TOKEN")?)
//!     .encrypt_key(std::env::var("LARK_ENCRYPT_KEY")?)
//!     .client(&client)
//!     .on::<MessageReceiveV1, _, _>(|ctx: EventContext<MessageReceiveV1>| async move {
//!         tracing::info!(event_id = %ctx.header.event_id, "message received");
//!         Ok(())
//!     })
//!     .on_callback::<ActionTrigger, _, _>(|_ctx| async move {
//!         Ok(CallbackAnswer::toast(Toast::success("Done")))
//!     })
//!     .on_unknown(|raw: RawEvent| async move {
//!         tracing::debug!(event_type = %raw.header.event_type, "not handled");
//!         Ok(())
//!     })
//!     .build();
//!
//! // Framework-neutral: the POST's headers and raw body in, status and JSON body out.
//! let webhook = WebhookHandler::new(dispatcher);
//! # let (headers, body) = (http::HeaderMap::new(), Vec::<u8>::new());
//! let response = webhook.handle(&headers, &body).await;
//! println!("{} {}", response.status, String::from_utf8_lossy(&response.body));
//! # Ok(()) }
//! ```

mod answer;
#[cfg(feature = "axum")]
pub mod axum;
mod budget;
pub mod crypto;
mod dedup;
mod dispatcher;
mod envelope;
mod event;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_webhook;
mod webhook;

pub use answer::{CallbackAnswer, Toast, ToastKind};
pub use crypto::DecryptError;
#[cfg(feature = "redis")]
pub(crate) use dedup::{check_ttl as check_dedup_ttl, dedup_key};
pub use dedup::{DedupStore, MemoryDedup, MAX_DEDUP_TTL, MAX_ID_BYTES};
pub use dispatcher::{Dispatched, Dispatcher, DispatcherBuilder};
pub use envelope::LEGACY_CARD_ACTION;
pub use event::{
    Callback, Channel, Event, EventContext, EventHeader, HandlerError, RawEvent, Schema,
};
pub use webhook::{
    WebhookHandler, WebhookResponse, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};

#[cfg(feature = "ws")]
pub mod ws;
