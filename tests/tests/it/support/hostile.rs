//! A scriptable hostile server on 127.0.0.1: every request is recorded and answered by a
//! closure, so a test can send what no honest server would (redirects to another host, a
//! gigabyte token answer, a flood of headers, a 206 nobody asked for).

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request};
use axum::response::Response;
use tokio::net::TcpListener;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

type Handler = dyn Fn(&Seen, usize) -> Response + Send + Sync;

/// A running hostile server; stops when dropped.
pub struct Hostile {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Hostile {
    /// Serves `handler(request, n)` for the n-th request (0-based).
    pub async fn serve(
        handler: impl Fn(&Seen, usize) -> Response + Send + Sync + 'static,
    ) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let log = seen.clone();
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let (handler, log) = (handler.clone(), log.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20)
                    .await
                    .unwrap_or_default();
                let path = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default();
                let seen = Seen {
                    method: parts.method,
                    path,
                    headers: parts.headers,
                    body,
                };
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(seen.clone());
                    log.len() - 1
                };
                handler(&seen, n)
            }
        });
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Hostile { base, seen, task }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A response with this status, headers and body.
pub fn respond(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> Response {
    let mut builder = Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder.body(body.into()).unwrap()
}

/// A JSON response.
pub fn json(status: u16, body: &str) -> Response {
    respond(
        status,
        &[("content-type", "application/json; charset=utf-8")],
        body.to_owned(),
    )
}

/// A successful tenant-token answer with this `expire` text (any JSON number).
pub fn token_answer(token: &str, expire: &str) -> Response {
    json(
        200,
        &format!(r#"{{"code":0,"msg":"ok","tenant_access_token":"{token}","expire":{expire}}}"#),
    )
}

pub const TOKEN_PATH: &str = "/open-apis/auth/v3/tenant_access_token/internal";

pub fn is_token_request(seen: &Seen) -> bool {
    seen.path == TOKEN_PATH
}
