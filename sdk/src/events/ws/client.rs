//! [`LongConnection`]: connect, run sessions, reconnect, shut down.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::Connector;
use tokio_util::sync::CancellationToken;

use super::config::ConnectionSettings;
use super::endpoint::{self, redacted_url, Endpoint, ENDPOINT_PATH};
use super::error::{Scrub, Stage, WsError};
use super::fragments::Limits;
use super::session::{self, SessionParams, Ws};
use crate::events::Dispatcher;
use crate::Client;

/// The shortest wait between two tries to connect by default, whatever the server's settings
/// say and whether or not a session was ever established: at most one endpoint call (which
/// carries the app secret) per second.
pub const DEFAULT_MIN_RECONNECT_WAIT: Duration = Duration::from_secs(1);
/// The shortest wait between two tries that can be set.
const MIN_RECONNECT_WAIT_FLOOR: Duration = Duration::from_millis(100);
/// The largest WebSocket message accepted.
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// What the long connection is doing; watch it with [`LongConnection::status`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionStatus {
    /// [`LongConnection::run`] has not been called yet.
    NotStarted,
    /// The first try to connect is under way.
    Connecting,
    /// Connected: events flow. Sent again when the server changes the settings.
    #[non_exhaustive]
    Connected {
        /// The connection's id (the URL's `device_id`).
        device_id: String,
        /// The settings in force.
        settings: ConnectionSettings,
        /// 1 for the first connection, 2 after the first reconnection, and so on.
        connection_number: u64,
    },
    /// The connection was lost (or the first try failed): waiting to try again, or trying.
    #[non_exhaustive]
    Reconnecting {
        /// The number of the try about to be made in this round (from 1).
        attempt: u32,
    },
    /// [`LongConnection::run`] has returned (shut down, or a fatal error).
    Stopped,
}

impl ConnectionStatus {
    /// Whether the connection is open.
    pub fn is_connected(&self) -> bool {
        matches!(self, ConnectionStatus::Connected { .. })
    }
}

/// Stops a running [`LongConnection`]: cheap to clone, usable from any task.
///
/// After [`shutdown`](Self::shutdown), the connection acknowledges what it is handling
/// (within a grace period), closes the WebSocket, stops pinging, and
/// [`LongConnection::run`] returns `Ok(())`.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    token: CancellationToken,
}

impl ShutdownHandle {
    /// Asks the connection to shut down (idempotent; before `run`, `run` returns at once).
    pub fn shutdown(&self) {
        self.token.cancel();
    }

    /// Whether shutdown was asked for.
    pub fn is_shutdown(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// The long connection: receives events and callbacks over a WebSocket the app opens, so
/// the app needs no public URL (self-built apps only; at most 50 connections per app, each
/// event going to one of them).
///
/// Every event and callback is handed to the [`Dispatcher`] (as
/// [`Channel::LongConnection`](crate::events::Channel::LongConnection)) and acknowledged
/// with its answer and handling time. Each `LongConnection` is independent: any number of
/// them, for any number of apps, can run in one process.
///
/// See the [module documentation](super) for an example.
pub struct LongConnection {
    client: Client,
    dispatcher: Dispatcher,
    endpoint_url: String,
    options: Options,
    shutdown: CancellationToken,
    status: watch::Sender<ConnectionStatus>,
}

#[derive(Debug, Clone, Copy)]
struct Options {
    limits: Limits,
    connect_timeout: Duration,
    shutdown_grace: Duration,
    auto_reconnect: bool,
    min_reconnect_wait: Duration,
}

impl fmt::Debug for LongConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LongConnection")
            .field("app_id", &self.client.inner.app_id)
            .field("endpoint_url", &redacted_url(&self.endpoint_url))
            .field("options", &self.options)
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

/// Configures a [`LongConnection`]; from [`LongConnection::builder`].
///
/// `Debug` shows the endpoint URL without its query.
#[must_use]
pub struct LongConnectionBuilder {
    client: Client,
    dispatcher: Dispatcher,
    endpoint_url: Option<String>,
    options: Options,
}

impl fmt::Debug for LongConnectionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LongConnectionBuilder")
            .field("client", &self.client)
            .field("dispatcher", &self.dispatcher)
            .field(
                "endpoint_url",
                &self.endpoint_url.as_deref().map(redacted_url),
            )
            .field("options", &self.options)
            .finish()
    }
}

impl LongConnectionBuilder {
    /// The URL of the endpoint call (default `{client base URL}/callback/ws/endpoint`).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// How long a fragmented message may take to arrive whole before its parts are dropped
    /// (default 5 s; at most 24 h, larger values are clamped).
    pub fn fragment_timeout(mut self, timeout: Duration) -> Self {
        self.options.limits.timeout = clamp(timeout);
        self
    }

    /// The most partial (fragmented) messages held at once, and the most bytes they may
    /// hold together (defaults 256 and 16 MiB); beyond either, the oldest are dropped.
    pub fn fragment_limits(mut self, max_messages: usize, max_bytes: usize) -> Self {
        self.options.limits.max_messages = max_messages.max(1);
        self.options.limits.max_bytes = max_bytes;
        self
    }

    /// The time allowed for the endpoint call, and for the WebSocket handshake (default
    /// 15 s each; at most 24 h, larger values are clamped).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = clamp(timeout);
        self
    }

    /// At shutdown, how long to wait for the handlers still running so their answers can
    /// be sent (default 3 s; at most 24 h, larger values are clamped).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.options.shutdown_grace = clamp(grace);
        self
    }

    /// The shortest wait between two tries to connect (default
    /// [`DEFAULT_MIN_RECONNECT_WAIT`], 1 s; at least 100 ms, at most 24 h): however the
    /// server answers (a `ReconnectInterval` of 0, connections closed before the handshake),
    /// the endpoint call is made at most once per this wait.
    pub fn min_reconnect_wait(mut self, wait: Duration) -> Self {
        self.options.min_reconnect_wait = clamp(wait).max(MIN_RECONNECT_WAIT_FLOOR);
        self
    }

    /// Whether to reconnect after a drop or a failed try (default true). When false,
    /// [`LongConnection::run`] returns the first error.
    pub fn auto_reconnect(mut self, reconnect: bool) -> Self {
        self.options.auto_reconnect = reconnect;
        self
    }

    /// Builds the connection (nothing is sent before [`LongConnection::run`]).
    pub fn build(self) -> LongConnection {
        let endpoint_url = self.endpoint_url.unwrap_or_else(|| {
            format!(
                "{}{ENDPOINT_PATH}",
                self.client.inner.base_url.trim_end_matches('/')
            )
        });
        let (status, _) = watch::channel(ConnectionStatus::NotStarted);
        LongConnection {
            client: self.client,
            dispatcher: self.dispatcher,
            endpoint_url,
            options: self.options,
            shutdown: CancellationToken::new(),
            status,
        }
    }
}

impl LongConnection {
    /// Starts configuring a long connection for the client's app (its id, secret, base URL
    /// and HTTP client are used for the endpoint call), handing what it receives to
    /// `dispatcher`.
    pub fn builder(client: &Client, dispatcher: Dispatcher) -> LongConnectionBuilder {
        LongConnectionBuilder {
            client: client.clone(),
            dispatcher,
            endpoint_url: None,
            options: Options {
                limits: Limits::default(),
                connect_timeout: Duration::from_secs(15),
                shutdown_grace: Duration::from_secs(3),
                auto_reconnect: true,
                min_reconnect_wait: DEFAULT_MIN_RECONNECT_WAIT,
            },
        }
    }

    /// A handle that stops [`run`](Self::run) from elsewhere.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            token: self.shutdown.clone(),
        }
    }

    /// A receiver of the connection's status: `receiver.wait_for(|s| s.is_connected())`
    /// waits until it is connected.
    pub fn status(&self) -> watch::Receiver<ConnectionStatus> {
        self.status.subscribe()
    }

    /// Connects and handles events until [`ShutdownHandle::shutdown`] (then `Ok(())`) or a
    /// fatal error: credentials refused ([`WsError::AuthFailed`]), too many connections,
    /// forbidden, or every reconnection try used up ([`WsError::ReconnectExhausted`]).
    ///
    /// After a drop or a failed try it waits a random time below the server's
    /// `ReconnectNonce`, then tries up to `ReconnectCount` times (without end when it is 0
    /// or less), `ReconnectInterval` apart, each try with a fresh endpoint call.
    pub async fn run(self) -> Result<(), WsError> {
        let result = self.run_loop().await;
        if let Err(e) = &result {
            tracing::error!(app_id = %self.client.inner.app_id, error = %e, "long connection: stopped");
        }
        self.status.send_replace(ConnectionStatus::Stopped);
        result
    }

    /// [`run`](Self::run), shutting down gracefully when `signal` completes (such as
    /// `tokio::signal::ctrl_c()`).
    pub async fn run_until<F>(self, signal: F) -> Result<(), WsError>
    where
        F: Future,
    {
        let token = self.shutdown.clone();
        let run = self.run();
        tokio::pin!(run);
        tokio::select! {
            result = &mut run => result,
            _ = signal => {
                token.cancel();
                run.await
            }
        }
    }

    async fn run_loop(&self) -> Result<(), WsError> {
        let mut settings = ConnectionSettings::default();
        // `None`: not reconnecting; `Some(n)`: n tries of this round failed.
        let mut round: Option<u32> = None;
        let mut connections: u64 = 0;
        self.status.send_replace(ConnectionStatus::Connecting);
        loop {
            if self.shutdown.is_cancelled() {
                return Ok(());
            }
            let connected = tokio::select! {
                _ = self.shutdown.cancelled() => return Ok(()),
                connected = self.connect(&mut settings) => connected,
            };
            let error = match connected {
                Ok((mut ws, endpoint)) => {
                    connections += 1;
                    round = None;
                    tracing::info!(
                        app_id = %self.client.inner.app_id,
                        device_id = %endpoint.device_id,
                        url = %redacted_url(&endpoint.url),
                        connection_number = connections,
                        "long connection: connected"
                    );
                    self.status.send_replace(ConnectionStatus::Connected {
                        device_id: endpoint.device_id.clone(),
                        settings,
                        connection_number: connections,
                    });
                    let started = Instant::now();
                    let params = SessionParams {
                        dispatcher: &self.dispatcher,
                        shutdown: &self.shutdown,
                        status: &self.status,
                        limits: self.options.limits,
                        shutdown_grace: self.options.shutdown_grace,
                        connection_number: connections,
                        scrub: Scrub::new(&self.client.inner.app_secret, Some(&endpoint.url)),
                    };
                    match session::run(&mut ws, &endpoint, &mut settings, params).await {
                        Ok(()) => return Ok(()),
                        Err(e) => {
                            tracing::warn!(
                                session_ms = u64::try_from(started.elapsed().as_millis())
                                    .unwrap_or(u64::MAX),
                                app_id = %self.client.inner.app_id,
                                device_id = %endpoint.device_id,
                                error = %e,
                                "long connection: lost"
                            );
                            e
                        }
                    }
                }
                Err(e) => {
                    if !e.is_retryable() {
                        return Err(e);
                    }
                    tracing::warn!(
                        app_id = %self.client.inner.app_id,
                        error = %e,
                        attempt = round.map_or(0, |n| n + 1),
                        "long connection: failed to connect"
                    );
                    e
                }
            };
            if !self.options.auto_reconnect {
                return Err(error);
            }
            let wait = match round {
                // A new round: the random jitter first.
                None => {
                    round = Some(0);
                    settings.first_reconnect_delay()
                }
                Some(failed) => {
                    let failed = failed + 1;
                    round = Some(failed);
                    if settings
                        .reconnect_count
                        .is_some_and(|count| failed >= count)
                    {
                        return Err(WsError::ReconnectExhausted {
                            attempts: failed,
                            last: Box::new(error),
                        });
                    }
                    settings.reconnect_interval
                }
            };
            // The floor holds for every wait: before the first session too, whatever the
            // server's settings say.
            let wait = wait.max(self.options.min_reconnect_wait);
            let attempt = round.map_or(1, |n| n + 1);
            self.status
                .send_replace(ConnectionStatus::Reconnecting { attempt });
            tracing::info!(
                app_id = %self.client.inner.app_id,
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "long connection: reconnecting"
            );
            tokio::select! {
                _ = self.shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One try: the endpoint call, then the handshake.
    async fn connect(&self, settings: &mut ConnectionSettings) -> Result<(Ws, Endpoint), WsError> {
        let inner = &self.client.inner;
        let endpoint = endpoint::fetch(
            &inner.http,
            &self.endpoint_url,
            &inner.app_id,
            inner.app_secret.expose(),
            self.options.connect_timeout,
        )
        .await?;
        if let Some(config) = &endpoint.config {
            settings.apply(config);
        }
        let scrub = Scrub::new(&inner.app_secret, Some(&endpoint.url));
        let ws = handshake(&endpoint.url, self.options.connect_timeout, &scrub).await?;
        Ok((ws, endpoint))
    }
}

/// A duration setting, at most [`MAX_DURATION_SETTING`](crate::limits::MAX_DURATION_SETTING).
fn clamp(value: Duration) -> Duration {
    value.min(crate::limits::MAX_DURATION_SETTING)
}

/// The WebSocket handshake, with rustls (ring provider, webpki roots) for `wss://`.
async fn handshake(url: &str, connect_timeout: Duration, scrub: &Scrub) -> Result<Ws, WsError> {
    let request = url
        .into_client_request()
        .map_err(|e| WsError::InvalidEndpoint {
            reason: format!("`data.URL` is not a WebSocket request: {e}"),
        })?;
    let connector = if request.uri().scheme_str() == Some("wss") {
        tls_connector()?
    } else {
        Connector::Plain
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let connecting = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(config),
        true,
        Some(connector),
    );
    match tokio::time::timeout(connect_timeout, connecting).await {
        Err(_) => Err(WsError::Transport {
            stage: Stage::Handshake,
            source: format!("no answer within {} s", connect_timeout.as_secs_f32()).into(),
        }),
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            Err(handshake_error(&response, scrub))
        }
        Ok(Err(e)) => Err(WsError::Transport {
            stage: Stage::Handshake,
            source: Box::new(e),
        }),
    }
}

/// The error for a handshake answered with something other than `101`: its
/// `Handshake-Status`, `Handshake-Msg` and `Handshake-Autherrcode` headers, by name.
pub(crate) fn handshake_error<T>(response: &http::Response<T>, scrub: &Scrub) -> WsError {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| scrub.text(v.trim()))
    };
    let number = |name: &str| header(name).and_then(|v| v.parse::<i64>().ok());
    WsError::from_handshake(
        response.status().as_u16(),
        number("Handshake-Status"),
        number("Handshake-Autherrcode"),
        header("Handshake-Msg"),
    )
}

fn tls_connector() -> Result<Connector, WsError> {
    let provider = Arc::new(ring_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| WsError::Transport {
            stage: Stage::Handshake,
            source: Box::new(e),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(config)))
}

/// The *ring* provider of rustls, chosen explicitly as reqwest's TLS stack does (no
/// process-wide default is installed or needed, and no C toolchain is needed to build it).
/// rustls 0.23.48 deprecated the function that builds it in favour of aws-lc-rs (post-quantum
/// key exchange); it is still the supported provider of rustls 0.23, and moving to aws-lc-rs
/// is a decision for the whole crate (reqwest's and redis's TLS too), not this call.
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}
