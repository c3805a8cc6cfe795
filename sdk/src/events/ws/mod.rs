//! The long connection: events and callbacks over a WebSocket the app opens (feature `ws`),
//! so the app needs no public URL.
//!
//! [`LongConnection`] asks the platform for a connection URL (`POST /callback/ws/endpoint`
//! with the app's id and secret), opens the WebSocket (rustls), and then:
//!
//! * pings at the interval the server sets, and applies the settings the server sends back
//!   in its pongs (ping interval, reconnect count, interval and jitter);
//! * reassembles fragmented messages by message id (incomplete ones are dropped after
//!   [`fragment_timeout`](LongConnectionBuilder::fragment_timeout); the memory they may
//!   hold is capped);
//! * hands every event **and every card callback** to the [`Dispatcher`](super::Dispatcher),
//!   and acknowledges each with the dispatcher's answer and the handling time (`biz_rt`);
//! * reconnects after a drop as the server's settings say (random jitter first, then a
//!   fixed interval, a bounded or unbounded number of tries), with a fresh endpoint call
//!   each time;
//! * stops on a fatal error, named: [`WsError::AuthFailed`],
//!   [`WsError::TooManyConnections`], [`WsError::Forbidden`], … (the handshake's
//!   `Handshake-Status` / `Handshake-Autherrcode` / `Handshake-Msg` headers are read);
//! * shuts down gracefully through a [`ShutdownHandle`]: answers what is in flight, closes
//!   the WebSocket, and [`LongConnection::run`] returns `Ok(())`.
//!
//! Nothing is process-global: several connections (for several apps) run side by side.
//! The app secret is only ever sent in the endpoint call's body, and the connection URL,
//! which carries a ticket, is logged without its query.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use lark_openapi::events::ws::LongConnection;
//! use lark_openapi::events::{Dispatcher, RawEvent};
//!
//! let client = lark_openapi::Client::from_env()?;
//! let dispatcher = Dispatcher::builder()
//!     // Typed handlers: `.on::<MessageReceiveV1, _, _>(…)`, `.on_callback::<ActionTrigger, _, _>(…)`.
//!     .on_unknown(|raw: RawEvent| async move {
//!         tracing::info!(event_type = %raw.header.event_type, "event received");
//!         Ok(())
//!     })
//!     .build();
//!
//! let conn = LongConnection::builder(&client, dispatcher).build();
//! let mut status = conn.status();
//! tokio::spawn(async move {
//!     while status.changed().await.is_ok() {
//!         tracing::info!(status = ?*status.borrow(), "long connection");
//!     }
//! });
//! // Call `handle.shutdown()` from anywhere (a Ctrl-C handler, say) to close gracefully.
//! let handle = conn.shutdown_handle();
//! # let _ = handle;
//! // Runs until shut down (then `Ok(())`) or a fatal error (credentials refused, …).
//! conn.run().await?;
//! # Ok(()) }
//! ```

mod client;
mod config;
mod endpoint;
mod error;
mod fragments;
mod frame;
mod session;
#[cfg(test)]
mod tests;

pub use client::{
    ConnectionStatus, LongConnection, LongConnectionBuilder, ShutdownHandle,
    DEFAULT_MIN_RECONNECT_WAIT,
};
pub use config::ConnectionSettings;
pub use error::{BoxError, Stage, WsError};
