//! The routes: the hand-written auth and message-resource handlers, then one route per
//! endpoint of the model (`:name` → `{name}`), grouped by path; anything else is 404.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::routing::{get, post, MethodFilter, MethodRouter};
use axum::{middleware, Router};

use super::auth;
use super::download::{self, MESSAGE_RESOURCE_ENDPOINT};
use super::events;
use super::generic;
use super::state::{self, EndpointTag, Shared, TokenRequestKind};
use super::validate::MAX_REQUEST_BODY;

type Routes = BTreeMap<String, MethodRouter<Arc<Shared>>>;

/// `/open-apis/im/v1/messages/:message_id` → `/open-apis/im/v1/messages/{message_id}`.
pub(crate) fn axum_path(template: &str) -> String {
    template
        .split('/')
        .map(|seg| match seg.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn filter(method: &str) -> Option<MethodFilter> {
    Some(match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        _ => return None,
    })
}

fn add<H, T>(routes: &mut Routes, path: &str, method: MethodFilter, handler: H)
where
    H: Handler<T, Arc<Shared>>,
    T: 'static,
{
    let entry = routes.remove(path).unwrap_or_default();
    routes.insert(path.to_owned(), entry.on(method, handler));
}

/// A hand-written route whose answers get the endpoint id in the log.
fn tagged(id: &'static str, methods: MethodRouter<Arc<Shared>>) -> MethodRouter<Arc<Shared>> {
    methods.layer(middleware::from_fn(
        move |req: Request, next: Next| async move {
            let mut resp = next.run(req).await;
            resp.extensions_mut().insert(EndpointTag(id.to_owned()));
            resp
        },
    ))
}

/// Every route. A route the model cannot have (two endpoints on one method and path,
/// paths axum cannot tell apart) is an error. An endpoint on the path of a hand-written
/// route is left to that route.
pub(crate) fn router(shared: Arc<Shared>) -> io::Result<Router> {
    let mut routes = Routes::new();
    let mut special: Vec<(&str, &str)> = Vec::new();
    let auth_routes = [
        (
            "/open-apis/auth/v3/tenant_access_token/internal",
            TokenRequestKind::TenantInternal,
        ),
        (
            "/open-apis/auth/v3/app_access_token/internal",
            TokenRequestKind::AppInternal,
        ),
        (
            "/open-apis/auth/v3/app_access_token",
            TokenRequestKind::AppStore,
        ),
        (
            "/open-apis/auth/v3/tenant_access_token",
            TokenRequestKind::TenantStore,
        ),
        (
            "/open-apis/auth/v3/app_ticket/resend",
            TokenRequestKind::AppTicketResend,
        ),
    ];
    for (path, kind) in auth_routes {
        let id = auth::endpoint_id(kind);
        special.push((id, path));
        let methods = match kind {
            TokenRequestKind::TenantInternal => post(auth::tenant_internal),
            TokenRequestKind::AppInternal => post(auth::app_internal),
            TokenRequestKind::AppStore => post(auth::app_store),
            TokenRequestKind::TenantStore => post(auth::tenant_store),
            TokenRequestKind::AppTicketResend => post(auth::ticket_resend),
        };
        routes.insert(path.to_owned(), tagged(id, methods));
    }
    let resource_path = "/open-apis/im/v1/messages/{message_id}/resources/{file_key}";
    special.push((MESSAGE_RESOURCE_ENDPOINT, resource_path));
    routes.insert(
        resource_path.to_owned(),
        tagged(
            MESSAGE_RESOURCE_ENDPOINT,
            get(download::get_message_resource),
        ),
    );
    let mut seen: Vec<(String, String)> = Vec::new();
    for ep in &shared.model.endpoints {
        let id = ep.spec.id.as_str();
        let path = axum_path(&ep.spec.path);
        if special
            .iter()
            .any(|(sid, spath)| *sid == id || *spath == path)
        {
            continue;
        }
        let method = ep.spec.http_method.as_str();
        let Some(method_filter) = filter(method) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("fake-lark: {id}: HTTP method {method} cannot be routed"),
            ));
        };
        if let Some((other, _)) = seen
            .iter()
            .find(|(_, key)| *key == format!("{method} {path}"))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("fake-lark: {id} and {other} are both {method} {path}"),
            ));
        }
        seen.push((id.to_owned(), format!("{method} {path}")));
        let id: Arc<str> = Arc::from(id);
        let handler = move |State(shared): State<Arc<Shared>>, req: Request| {
            generic::handle(shared, id.clone(), req)
        };
        add(&mut routes, &path, method_filter, handler);
    }
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut router = Router::new();
        for (path, methods) in routes {
            router = router.route(&path, methods);
        }
        router
    }))
    .map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("fake-lark: the spec paths cannot be routed: {why}"),
        )
    })?;
    Ok(built
        .merge(events::ws_router())
        .fallback(|| async { (StatusCode::NOT_FOUND, "404 page not found").into_response() })
        // Bodies are bounded by the handlers (multipart parts are counted as they stream);
        // this outer bound, a little above, keeps the hand-written handlers bounded too.
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY + (1 << 20)))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            state::record_request,
        ))
        .with_state(shared))
}
