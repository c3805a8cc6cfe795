//! The escape hatch (`Client::raw`) against operations the SDK does not generate: the fake
//! serves them from `tests/fixtures/escape_hatch/spec/` next to `spec/`. The call goes
//! through the same pipeline as a generated one: the token it needs (tenant or user), the
//! retry policy, the envelope check, one error type with typed codes.

use crate::support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::future::BoxFuture;

use lark_openapi::ratelimit::{RateKey, RateLimitError, RateLimitMeta, RateLimiter};
use lark_openapi::{Error, HttpMethod};
use lark_tests::{AcceptedToken, FakeConfig, FakeLark, Fault, TokenRequestKind};
use support::*;

const BOT_INFO: &str = "bot.v3.info.get";
const SEARCH_USER: &str = "search.v1.user.list";

lark_openapi::error_codes! {
    /// The platform-wide codes the fixtures document, as an app would write them for an
    /// operation the SDK does not generate.
    pub enum PlatformCode("search.v1") {
        99992402 InvalidParameter "invalid_parameter"
            "A request parameter is missing or wrong." "Fix the parameter named in the message." false,
        99991672 ScopeMissing "scope_missing"
            "The app lacks a scope the operation needs." "Grant the scope and release a version." false,
    }
}

async fn fake_with_fixtures() -> FakeLark {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/escape_hatch/spec");
    FakeLark::start(FakeConfig {
        extra_spec_dirs: vec![fixtures],
        ..FakeConfig::default()
    })
    .await
    .expect("fake server starts with the fixtures")
}

#[derive(Debug, serde::Deserialize)]
struct BotInfo {
    bot: Bot,
}

#[derive(Debug, serde::Deserialize)]
struct Bot {
    app_name: String,
    open_id: String,
    activate_status: i64,
}

#[derive(Debug, serde::Deserialize)]
struct UserPage {
    users: Vec<FoundUser>,
    has_more: bool,
}

#[derive(Debug, serde::Deserialize)]
struct FoundUser {
    name: String,
    open_id: String,
}

#[tokio::test]
async fn an_operation_outside_the_sdk_is_called_with_the_tenant_token() {
    let fake = fake_with_fixtures().await;
    let client = client(&fake);
    let info = client
        .raw(HttpMethod::Get, "/open-apis/bot/v3/info")
        .send_flat::<BotInfo>()
        .await
        .unwrap();
    assert!(!info.bot.app_name.is_empty(), "{info:?}");
    assert!(info.bot.open_id.starts_with("ou_"), "{info:?}");
    assert!(info.bot.activate_status >= 0, "{info:?}");
    assert!(info.log_id().is_some(), "the answer's log id is kept");
    let sent = fake.requests_for(BOT_INFO);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].path_and_query, "/open-apis/bot/v3/info");
    assert_eq!(sent[0].accepted_as, Some(AcceptedToken::Tenant));
    // `.await` alone gives the answer as JSON; a flat answer has no `data`, read as `{}`.
    let untyped = client
        .raw(HttpMethod::Get, "/open-apis/bot/v3/info")
        .await
        .unwrap();
    assert_eq!(*untyped, serde_json::json!({}));
}

#[tokio::test]
async fn an_operation_outside_the_sdk_is_called_with_a_user_token() {
    let fake = fake_with_fixtures().await;
    let client = client(&fake);
    let token = fake.issue_user_token();
    let page = client
        .raw(HttpMethod::Get, "/open-apis/search/v1/user")
        .query("query", "zhang san")
        .query("page_size", 2)
        .user_access_token(&token)
        .send::<UserPage>()
        .await
        .unwrap();
    assert!(!page.users.is_empty(), "{page:?}");
    assert!(page
        .users
        .iter()
        .all(|u| !u.name.is_empty() && u.open_id.starts_with("ou_")));
    let _ = page.has_more;
    let sent = fake.requests_for(SEARCH_USER);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0].path_and_query,
        "/open-apis/search/v1/user?query=zhang+san&page_size=2"
    );
    assert_eq!(sent[0].accepted_as, Some(AcceptedToken::User));
    assert_eq!(sent[0].bearer.as_deref(), Some(token.as_str()));

    // Without the user's token the app's tenant token is sent, and the operation refuses it
    // with the platform's token code, as it would refuse a generated call.
    let e = client
        .raw(HttpMethod::Get, "/open-apis/search/v1/user")
        .query("query", "zhang")
        .await
        .unwrap_err();
    assert_eq!(e.code_number(), Some(99991663), "{e:?}");
}

#[tokio::test]
async fn a_raw_call_is_retried_when_it_is_idempotent_and_only_then() {
    let fake = fake_with_fixtures().await;
    let client = client(&fake);
    fake.push_endpoint_faults(BOT_INFO, [Fault::Status5xx(503)]);
    let info = client
        .raw(HttpMethod::Get, "/open-apis/bot/v3/info")
        .send_flat::<BotInfo>()
        .await
        .unwrap();
    assert!(!info.bot.app_name.is_empty());
    assert_eq!(fake.requests_for(BOT_INFO).len(), 2, "a GET is retried");

    // Declared not idempotent, the same failure is not sent again.
    fake.push_endpoint_faults(BOT_INFO, [Fault::Status5xx(503)]);
    let e = client
        .raw(HttpMethod::Get, "/open-apis/bot/v3/info")
        .idempotent(false)
        .send_flat::<BotInfo>()
        .await
        .unwrap_err();
    assert_eq!(e.code_number(), Some(503), "{e:?}");
    assert_eq!(fake.requests_for(BOT_INFO).len(), 3, "sent once");
}

#[tokio::test]
async fn errors_of_a_raw_call_are_typed_with_the_codes_it_is_given() {
    let fake = fake_with_fixtures().await;
    let client = client(&fake);
    let token = fake.issue_user_token();
    fake.push_endpoint_faults(SEARCH_USER, [Fault::ErrorCode(99992402)]);
    let e = client
        .raw(HttpMethod::Get, "/open-apis/search/v1/user")
        .query("query", "zhang")
        .user_access_token(&token)
        .codes::<PlatformCode>()
        .send::<UserPage>()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(PlatformCode::InvalidParameter), "{e:?}");
    assert_eq!(
        e.meaning(),
        Some("A request parameter is missing or wrong.")
    );
    assert_eq!(e.advice(), Some("Fix the parameter named in the message."));
    // `?` into the service-wide error keeps it.
    let wide: Error = e.into();
    assert_eq!(
        wide.code_as::<PlatformCode>(),
        Some(PlatformCode::InvalidParameter)
    );
    assert_eq!(wide.code_number(), Some(99992402));

    // Without codes the number is still there.
    fake.push_endpoint_faults(SEARCH_USER, [Fault::EnvelopeError { code: 99991672 }]);
    let e = client
        .raw(HttpMethod::Get, "/open-apis/search/v1/user")
        .query("query", "zhang")
        .user_access_token(&token)
        .await
        .unwrap_err();
    assert_eq!(e.code_number(), Some(99991672), "{e:?}");
    assert_eq!(e.meaning(), None, "no catalogue was given");
}

#[tokio::test]
async fn a_path_that_is_not_the_platforms_is_refused_before_anything_is_sent() {
    let fake = fake_with_fixtures().await;
    let client = client(&fake);
    for path in [
        "https://example.com/open-apis/bot/v3/info",
        "/open-apis/bot/v3/info?x=1",
        "/open-apis/../open-apis/bot/v3/info",
        "/open-apis/contact/v3/users/:user_id",
    ] {
        let e = client.raw(HttpMethod::Get, path).await.unwrap_err();
        assert!(matches!(e, Error::InvalidRequest(_)), "{path}: {e:?}");
        assert!(e.to_string().contains(path), "{path}: {e}");
    }
    assert!(fake.requests_log().is_empty(), "{:?}", fake.requests_log());
}

#[tokio::test]
async fn a_raw_call_uploads_a_multipart_form_and_saves_a_download() {
    let fake = fake_with_fixtures().await;
    let client = client(&fake);
    let bytes = png(64 * 1024);
    let dir = temp_dir();
    let path = path_in(&dir, "chart.png");
    std::fs::write(&path, &bytes).unwrap();

    // An upload by path and method, the file streamed from disk.
    let uploaded = client
        .raw(HttpMethod::Post, "/open-apis/im/v1/images")
        .text_part("image_type", "message")
        .file_part("image", lark_openapi::UploadFile::from_path(&path))
        .await
        .unwrap();
    let image_key = uploaded["image_key"]
        .as_str()
        .expect("an image key")
        .to_owned();
    let sent = fake.requests_for("im.v1.image.create");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].accepted_as, Some(AcceptedToken::Tenant));

    // The same bytes back, saved through the download path (never a partial file).
    let saved = client
        .raw(HttpMethod::Get, "/open-apis/im/v1/images/:image_key")
        .path_param("image_key", &image_key)
        .download()
        .await
        .unwrap()
        .save_to(path_in(&dir, "back.png"))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&saved).unwrap(), bytes);
}

/// A limiter that lets every call go and records the operation each one was keyed by.
#[derive(Clone, Default)]
struct KeysSeen(Arc<Mutex<Vec<String>>>);

impl RateLimiter for KeysSeen {
    fn acquire<'a>(
        &'a self,
        key: &'a RateKey<'a>,
        _limit: RateLimitMeta,
        _deadline: Option<Instant>,
    ) -> BoxFuture<'a, Result<(), RateLimitError>> {
        self.0.lock().unwrap().push(key.endpoint_id.to_owned());
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn the_rate_limiter_counts_a_raw_call_by_its_method_and_path() {
    let fake = fake_with_fixtures().await;
    let seen = KeysSeen::default();
    let client = builder(&fake).rate_limiter(seen.clone()).build().unwrap();
    client
        .raw(HttpMethod::Get, "/open-apis/bot/v3/info")
        .send_flat::<BotInfo>()
        .await
        .unwrap();
    // The token request is paced too, under its own id; the call under its method and path.
    let seen = seen.0.lock().unwrap();
    assert_eq!(
        seen.last().map(String::as_str),
        Some("GET /open-apis/bot/v3/info"),
        "{seen:?}"
    );
    assert!(!seen.iter().any(|k| k == "raw"), "{seen:?}");
}

#[tokio::test]
async fn as_app_sends_the_app_access_token() {
    let fake = fake_with_fixtures().await;
    let client = client(&fake);
    // The bot's information takes a tenant token only: the app's token is refused, which
    // shows which one was sent.
    let e = client
        .raw(HttpMethod::Get, "/open-apis/bot/v3/info")
        .as_app()
        .send_flat::<BotInfo>()
        .await
        .unwrap_err();
    assert_eq!(e.code_number(), Some(99991663), "{e:?}");
    assert!(fake.token_requests(TokenRequestKind::AppInternal) >= 1);
    assert_eq!(fake.token_requests(TokenRequestKind::TenantInternal), 0);
    let sent = fake.requests_for(BOT_INFO);
    assert!(sent.iter().all(|r| r.accepted_as.is_none()), "{sent:?}");
}

#[tokio::test]
async fn an_operation_served_twice_stops_the_fake_naming_it() {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let err = FakeLark::start(FakeConfig {
        extra_spec_dirs: vec![spec],
        ..FakeConfig::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("im.v1.message.create"), "{err}");
}
