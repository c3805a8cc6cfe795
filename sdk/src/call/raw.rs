//! The escape hatch: a call of an operation the SDK does not generate (a path from an API
//! page, a newer version of an endpoint, an endpoint outside the pinned metadata), sent
//! through the same pipeline as a generated one: tokens, retries, rate limits, the envelope
//! check, one error type.

use std::borrow::Cow;
use std::future::IntoFuture;
use std::marker::PhantomData;

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;

use super::answer::{Answer, Answered};
use crate::errors::{AnyCode, Catalogue, CodeEntry};
use crate::operation::{HttpMethod, Multipart, OperationMeta, Payload, ResponseKind, TokenType};
use crate::transport::path::build_url;
use crate::transport::prepared::Prepared;
use crate::{Client, Download, Error, RequestOptions, UploadFile};

/// As the app in a tenant (or as a user, with [`RawCall::user_access_token`]).
const AS_TENANT: &[TokenType] = &[TokenType::Tenant, TokenType::User];
/// As the app itself (or as a user).
const AS_APP: &[TokenType] = &[TokenType::App, TokenType::User];

/// A call of any operation by its method and path, for what the SDK does not generate:
/// made by [`Client::raw`], sent with [`send`](Self::send) (the envelope's `data`, typed or
/// as a [`serde_json::Value`]), [`send_flat`](Self::send_flat) (answers without the `data`
/// envelope) or [`download`](Self::download) (a binary body, saved like any download).
///
/// It goes through the same steps as a generated call: the access token (the tenant's by
/// default, [`as_app`](Self::as_app), or a user's), the client's retry policy (a call is
/// retried only when it is idempotent: `GET`, or [`idempotent`](Self::idempotent)), its rate
/// limiter, the envelope check, and the one [`Error`] type. With
/// [`codes`](Self::codes) the errors are typed with a service version's `ErrorCode`, as
/// that version's generated calls are.
///
/// ```no_run
/// # async fn demo(client: lark_openapi::Client) -> Result<(), lark_openapi::Error> {
/// use lark_openapi::HttpMethod;
///
/// // The bot's own information: an answer without the `data` envelope.
/// let bot = client
///     .raw(HttpMethod::Get, "/open-apis/bot/v3/info")
///     .send_flat::<serde_json::Value>()
///     .await?;
/// println!("{} (log id {:?})", bot["bot"]["app_name"], bot.log_id());
///
/// // A path with a parameter, a query, and the version's typed error codes.
/// let user = client
///     .raw(HttpMethod::Get, "/open-apis/contact/v3/users/:user_id")
///     .path_param("user_id", "ou_7d8a6e6df7621556ce0d21922b676706ccs")
///     .query("user_id_type", "open_id")
///     .send::<serde_json::Value>()
///     .await?;
/// println!("{}", user["user"]["name"]);
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing until it is sent (`.await`, `.send()`, `.download()`)"]
pub struct RawCall<C = AnyCode> {
    client: Client,
    method: HttpMethod,
    path: String,
    path_params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    /// The body, or why it cannot be sent (reported by `send`, before anything is sent).
    payload: Result<Payload, String>,
    tokens: &'static [TokenType],
    idempotent: bool,
    options: RequestOptions,
    /// What the errors are typed with: `"raw"` and nothing, or a version's id and catalogue.
    codes: (&'static str, &'static [CodeEntry]),
    _code: PhantomData<fn() -> C>,
}

impl RawCall {
    pub(crate) fn new(client: &Client, method: HttpMethod, path: String) -> Self {
        RawCall {
            client: client.clone(),
            method,
            path,
            path_params: Vec::new(),
            query: Vec::new(),
            payload: Ok(Payload::None),
            tokens: AS_TENANT,
            idempotent: method == HttpMethod::Get,
            options: RequestOptions::default(),
            codes: ("raw", &[]),
            _code: PhantomData,
        }
    }
}

impl<C> RawCall<C> {
    /// The value of the path's `:name` placeholder (escaped as one path segment).
    pub fn path_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.path_params.push((name.into(), value.into()));
        self
    }

    /// A query parameter; a name given twice is sent twice (`ids=1&ids=2`).
    pub fn query(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((name.into(), value.to_string()));
        self
    }

    /// A JSON body (encoded now; a value that cannot be encoded fails the call before
    /// anything is sent).
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.payload = Payload::json(body);
        self
    }

    /// A text part of a `multipart/form-data` body (an upload).
    pub fn text_part(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let mut form = self.form();
        form.texts.push((Cow::Owned(name.into()), value.into()));
        self.payload = Ok(Payload::Multipart(form));
        self
    }

    /// A file part of a `multipart/form-data` body: streamed from its path (and opened
    /// again for a retry), or bytes, or a stream (sent once).
    pub fn file_part(mut self, name: impl Into<String>, file: UploadFile) -> Self {
        let mut form = self.form();
        form.files.push((Cow::Owned(name.into()), file, None));
        self.payload = Ok(Payload::Multipart(form));
        self
    }

    fn form(&mut self) -> Multipart {
        match std::mem::replace(&mut self.payload, Ok(Payload::None)) {
            Ok(Payload::Multipart(form)) => form,
            _ => Multipart::new(),
        }
    }

    /// Sends the app's `app_access_token` instead of the tenant's (for the operations that
    /// take one).
    pub fn as_app(mut self) -> Self {
        self.tokens = AS_APP;
        self
    }

    /// Whether the operation may be sent again after a failure that leaves its outcome
    /// unknown (default: only `GET`). Retries follow the client's policy.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    super::option_setters!();

    /// Types the call's errors with a service version's codes (`contact::v3::ErrorCode`):
    /// `e.code()` is that enum, and `meaning()`/`advice()` read its catalogue.
    pub fn codes<D: Catalogue>(self) -> RawCall<D> {
        RawCall {
            client: self.client,
            method: self.method,
            path: self.path,
            path_params: self.path_params,
            query: self.query,
            payload: self.payload,
            tokens: self.tokens,
            idempotent: self.idempotent,
            options: self.options,
            codes: (D::VERSION, D::ENTRIES),
            _code: PhantomData,
        }
    }

    /// Sends the call and decodes the envelope's `data` into `T` (`serde_json::Value` for
    /// any shape; `data` absent or `null` reads as `{}`), with the answer's log id.
    pub async fn send<T: DeserializeOwned + Send + 'static>(self) -> Result<Answered<T>, Error<C>> {
        self.receive::<Answered<T>>(ResponseKind::Json).await
    }

    /// Sends the call and decodes the whole answer into `T`, for operations that answer
    /// `{code, msg, …fields}` without `data` (the code is still checked).
    pub async fn send_flat<T: DeserializeOwned + Send + 'static>(
        self,
    ) -> Result<Answered<T>, Error<C>> {
        self.receive::<Answered<T>>(ResponseKind::Flat).await
    }

    /// Sends the call and returns its binary answer with the body unread: save it with
    /// [`Download::save_to`] (never a partial file), stream it, or collect it.
    pub async fn download(self) -> Result<Download<C>, Error<C>> {
        let kind = ResponseKind::Binary {
            max_bytes: u64::MAX,
        };
        let (client, prepared) = self.prepare(kind)?;
        super::download::start::<C>(client, prepared)
            .await
            .map_err(Error::retype)
    }

    async fn receive<A: Answer>(self, kind: ResponseKind) -> Result<A, Error<C>> {
        let (client, prepared) = self.prepare(kind)?;
        A::receive(client, prepared).await.map_err(Error::retype)
    }

    /// Checks the path and the body, and prepares the request as a generated call's.
    fn prepare(self, response: ResponseKind) -> Result<(Client, Prepared), Error<C>> {
        let invalid = |why: String| -> Error<C> {
            Error::InvalidRequest(format!("{} {}: {why}", self.method, self.path))
        };
        check_path(&self.path).map_err(invalid)?;
        let payload = self.payload.clone().map_err(invalid)?;
        let url = build_url(
            &self.client.inner.base_url,
            &self.path,
            &self.path_params,
            &self.query,
        )
        .map_err(invalid)?;
        let meta = OperationMeta {
            id: self.codes.0,
            method: self.method,
            path: "",
            access_tokens: self.tokens,
            idempotent: self.idempotent,
            response,
            doc_url: "",
            rate_limit: None,
            catalogue: self.codes.1,
            errors: &[],
        };
        let mut prepared = Prepared::assemble(&self.client, meta, url, payload, self.options)
            .map_err(Error::retype)?;
        prepared.label = Some(format!("{} {}", self.method, self.path));
        Ok((self.client, prepared))
    }
}

impl<C> std::fmt::Debug for RawCall<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawCall")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("path_params", &self.path_params)
            .field("query", &self.query)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// `.await` sends the call and gives the envelope's `data` as a `serde_json::Value`.
impl<C: Send + 'static> IntoFuture for RawCall<C> {
    type Output = Result<Answered<serde_json::Value>, Error<C>>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send::<serde_json::Value>())
    }
}

/// A raw path is the platform's: `/open-apis/…`, plain segments and `:name` placeholders.
/// Anything else (a URL, a query, `..`, characters a path would need escaped) is refused:
/// the call carries a credential, and it goes to the client's base URL only.
fn check_path(path: &str) -> Result<(), String> {
    let Some(rest) = path.strip_prefix("/open-apis/") else {
        return Err("the path must start with `/open-apis/` (a path, not a URL: the client's base URL is used)".into());
    };
    for segment in rest.split('/') {
        let name = segment.strip_prefix(':').unwrap_or(segment);
        if name.is_empty() {
            return Err("the path has an empty segment".into());
        }
        if name == "." || name == ".." {
            return Err(format!("the path has a `{name}` segment"));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '~')))
        {
            return Err(format!(
                "the path has `{c}` in `{segment}`: put the query in `.query()` and values in `.path_param()`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_path;

    #[test]
    fn platform_paths_pass() {
        for path in [
            "/open-apis/bot/v3/info",
            "/open-apis/contact/v3/users/:user_id",
            "/open-apis/im/v1/messages/:message_id/resources/:file_key",
        ] {
            assert_eq!(check_path(path), Ok(()), "{path}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        for (path, why) in [
            (
                "https://evil.example/open-apis/x",
                "must start with `/open-apis/`",
            ),
            ("/other/x", "must start with `/open-apis/`"),
            ("/open-apis/x?a=b", "`?`"),
            ("/open-apis/x#f", "`#`"),
            ("/open-apis/../x", "`..` segment"),
            ("/open-apis/x//y", "empty segment"),
            ("/open-apis/x/", "empty segment"),
            ("/open-apis/a b", "` `"),
            ("/open-apis/%2e%2e", "`%`"),
            ("/open-apis/x/:", "empty segment"),
        ] {
            let err = check_path(path).unwrap_err();
            assert!(err.contains(why), "{path}: {err}");
        }
    }
}
