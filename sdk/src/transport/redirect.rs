//! The one redirect rule: **no request of the SDK follows a redirect.**
//!
//! Every request the SDK sends carries a credential: the app secret (token endpoints, the
//! long connection's endpoint call), the app ticket, or an access token (every API call,
//! downloads included). A redirect would hand it to whatever host the answer names (a 307 or
//! 308 resends the body, secret included). So the SDK's own HTTP client follows none
//! (`reqwest::redirect::Policy::none()`), and every answer, whatever client sent it (a
//! caller's own `reqwest::Client` may follow redirects), is checked here: a 3xx, or an answer
//! that came from another URL than the one asked, is refused and never read.

/// Where an answer that must be refused pointed: `scheme://host[:port]` (never the path or
/// query, which may carry a ticket), or `None` when the answer is the one asked for.
pub(crate) fn refused(response: &reqwest::Response, requested: &reqwest::Url) -> Option<String> {
    if response.status().is_redirection() {
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|location| requested.join(location).ok());
        return Some(to.map_or_else(|| "an unreadable location".to_owned(), |u| origin(&u)));
    }
    // A caller's client followed one: the answer is from elsewhere.
    (response.url() != requested).then(|| origin(response.url()))
}

/// `scheme://host[:port]` of a URL: where a redirect pointed, without its path or query.
pub(crate) fn origin(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// The redirect policy of the SDK's own HTTP client.
pub(crate) fn policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::none()
}
