//! [`Call`]: one prepared call of any endpoint, and what every endpoint's call can do.
//!
//! An endpoint's accessor (`client.im().v1().message().list(…)`) returns a `Call` of its
//! request type; the endpoint adds only its own setters (its optional parameters). The
//! options, `send`, `.await` ([`IntoFuture`]), and for lists `.pages()` and `.items()`, are
//! defined here once, for every endpoint.

mod answer;
mod download;
mod json;
mod pages;
mod raw;

use std::future::IntoFuture;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;

use crate::operation::{Operation, Paginated};
use crate::transport::prepared::Prepared;
use crate::{Client, Error, RequestOptions};
pub use answer::Answered;
pub(crate) use answer::{Answer, Output};

pub use pages::DEFAULT_MAX_PAGES;
pub use raw::RawCall;

/// The option setters of a prepared call ([`Call`] and [`RawCall`]), written once: each
/// changes the call's `options` field.
macro_rules! option_setters {
    () => {
        /// Per-call options (an explicit token, a tenant key, extra headers, a deadline, a
        /// retry opt-in), merged into those set so far: what `options` sets replaces, what it
        /// leaves unset is kept, headers add up.
        pub fn options(mut self, options: RequestOptions) -> Self {
            self.options = self.options.merge(options);
            self
        }

        /// Store apps: the tenant to act for (its `tenant_key`); custom apps need not set it.
        pub fn tenant_key(mut self, tenant_key: impl Into<String>) -> Self {
            self.options = self.options.tenant_key(tenant_key);
            self
        }

        /// Sends the call as a user, with that user's `user_access_token`, instead of as the
        /// app (for operations that accept one; a generated call to one that does not refuses
        /// it before sending).
        pub fn user_access_token(mut self, token: impl Into<String>) -> Self {
            self.options = self.options.user_access_token(token);
            self
        }
    };
}
use option_setters;

/// A prepared call of the endpoint whose request is `R`: set options, then `.await` it (or
/// `.send().await`); list endpoints also stream with [`pages`](Self::pages) and
/// [`items`](Self::items).
///
/// Each endpoint's call type is an alias, such as
/// `lark_openapi::im::v1::message::ListMessage = Call<ListMessageRequest>`, with the
/// endpoint's optional parameters as setters. The required ones are the accessor's
/// arguments, so a missing one does not compile:
///
/// ```compile_fail
/// # async fn f(client: lark_openapi::Client) {
/// // `im.v1.message.get` needs the message id.
/// let message = client.im().v1().message().get().await;
/// # }
/// ```
///
/// Setters compose in any order: [`options`](Self::options) merges what it sets into what
/// was set before (a field it leaves unset is kept), so no setter drops another's identity
/// or opt-in.
///
/// Every shape of endpoint is a `Call` (this one example stands for all of them; each
/// endpoint's own example is compiled by the test suite):
///
/// ```no_run
/// use futures_util::TryStreamExt;
/// use lark_openapi::im::v1::image::CreateImageBody;
/// use lark_openapi::im::v1::message::CreateMessageBody;
/// use lark_openapi::im::v1::{ContainerIdType, ImageType, MsgType, ReceiveIdType, ResourceType};
/// use lark_openapi::{RequestOptions, UploadFile};
///
/// # async fn f(client: lark_openapi::Client) -> Result<(), lark_openapi::Error> {
/// let im = client.im().v1();
/// // A JSON body, with an optional query parameter and per-call options.
/// let body = CreateMessageBody::new("oc_1", MsgType::Text, r#"{"text":"hi"}"#).uuid("key-1");
/// let sent = im
///     .message()
///     .create(ReceiveIdType::ChatId, body)
///     .options(RequestOptions::new().tenant_key("t-1"))
///     .await?;
/// // Query and path parameters only.
/// let message = im.message().get(&sent.message_id).await?;
/// // A list: every item of every page, one page in memory at a time.
/// let mut items = im.message().list("oc_1", ContainerIdType::Chat).page_size(50).items();
/// while let Some(item) = items.try_next().await? {
///     println!("{:?}", item.message_id);
/// }
/// // A multipart upload, streamed from disk.
/// let image = im
///     .image()
///     .create(CreateImageBody::new(ImageType::Message, UploadFile::from_path("a.png")))
///     .await?;
/// // A binary download, streamed to disk.
/// let saved = im
///     .message_resource()
///     .get(&sent.message_id, "file_1", ResourceType::File)
///     .await?
///     .save_to("downloads/")
///     .await?;
/// println!("{message:?} {image:?} {}", saved.display());
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing until it is sent (`.await` or `.send().await`)"]
pub struct Call<R> {
    pub(crate) client: Client,
    pub(crate) request: R,
    pub(crate) options: RequestOptions,
}

impl<R> Call<R> {
    /// A call of `request` through `client`.
    pub(crate) fn new(client: &Client, request: R) -> Self {
        Call {
            client: client.clone(),
            request,
            options: RequestOptions::default(),
        }
    }

    /// A call whose options start as `options` (user-token-only endpoints pass the token).
    pub(crate) fn with_options(client: &Client, request: R, options: RequestOptions) -> Self {
        Call {
            client: client.clone(),
            request,
            options,
        }
    }

    option_setters!();

    /// The request as it will be sent.
    pub fn request(&self) -> &R {
        &self.request
    }

    /// The request, to change a parameter in place.
    pub fn request_mut(&mut self) -> &mut R {
        &mut self.request
    }
}

impl<R: Clone> Clone for Call<R> {
    fn clone(&self) -> Self {
        Call {
            client: self.client.clone(),
            request: self.request.clone(),
            options: self.options.clone(),
        }
    }
}

impl<R: std::fmt::Debug> std::fmt::Debug for Call<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("request", &self.request)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<R: Operation> Call<R>
where
    R::Answer: Answer,
{
    /// Sends the call and reads the answer: the decoded response (whose `log_id()` is the
    /// platform's log id), or for a download its headers with the body unread.
    pub async fn send(self) -> Result<R::Answer, Error<R::Code>> {
        send::<R>(self.client, self.request, self.options)
            .await
            .map_err(Error::retype)
    }
}

/// Prepares and sends a call: the one generic step is writing the request's parts.
pub(crate) async fn send<R: Operation>(
    client: Client,
    request: R,
    options: RequestOptions,
) -> Result<R::Answer, Error>
where
    R::Answer: Answer,
{
    let prepared = Prepared::new(&client, &request, options)?;
    drop(request);
    R::Answer::receive(client, prepared).await
}

impl<R: Operation> IntoFuture for Call<R>
where
    R::Answer: Answer,
{
    type Output = Result<R::Answer, Error<R::Code>>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl<R: Paginated> Call<R>
where
    R::Answer: Answer,
{
    /// Every page, fetched lazily one after the other as the stream is read: the first
    /// with this call's parameters, each next one with the previous page's `page_token`,
    /// until `has_more` is false. A page token seen before (however long ago) ends the
    /// stream with an error instead of looping, and so does reading more than
    /// [`RequestOptions::max_pages`] pages; an error is the stream's last item, after every
    /// page before it.
    pub fn pages(self) -> BoxStream<'static, Result<R::Answer, Error<R::Code>>> {
        pages::pages(self.client, self.request, self.options)
    }

    /// Every item of every page, one at a time; one page is held in memory at a time,
    /// however many items are read. Errors as for [`pages`](Self::pages).
    pub fn items(self) -> BoxStream<'static, Result<R::Item, Error<R::Code>>> {
        pages::items(self.client, self.request, self.options)
    }
}
