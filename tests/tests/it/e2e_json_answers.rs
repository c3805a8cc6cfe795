//! JSON answers through the one pipeline, against a scripted server: a 200 whose `code` is
//! not 0 is the endpoint's typed error, `data` that does not fit the model is a clear decode
//! error naming the JSON path and the log id, a number where the model says string decodes
//! as its decimal text, an answer without data is a response carrying the log id, and the
//! service-wide `Error` takes any endpoint's error with `?` and gives the typed enum back.

use crate::support;

use lark_openapi::im::v1::ErrorCode;
use lark_openapi::{Client, Error, RetryPolicy};
use support::hostile::*;

fn client_of(base: &str) -> Client {
    Client::builder("cli_json", "json-test-app-secret")
        .base_url(base)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

async fn answering(body: &'static str) -> Hostile {
    Hostile::serve(move |seen, _| {
        if is_token_request(seen) {
            token_answer("t-json", "7200")
        } else {
            respond(
                200,
                &[
                    ("content-type", "application/json"),
                    ("x-tt-logid", "log-json-1"),
                ],
                body,
            )
        }
    })
    .await
}

#[tokio::test]
async fn a_200_with_a_nonzero_code_is_the_typed_error() {
    let server =
        answering(r#"{"code":230110,"msg":"Action unavailable as the message has been deleted."}"#)
            .await;
    let err = client_of(&server.base)
        .im()
        .v1()
        .message()
        .get("om_1")
        .await
        .unwrap_err();
    let Error::Service(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.code(), Some(ErrorCode::MessageDeleted));
    let api = e.api_error();
    assert_eq!((api.http_status, api.code), (200, 230110));
    assert_eq!(api.log_id.as_deref(), Some("log-json-1"));
}

#[tokio::test]
async fn data_that_does_not_fit_the_model_names_the_path_and_the_log_id() {
    let server = answering(
        r#"{"code":0,"msg":"ok","data":{"items":[{"message_id":"om_1","msg_type":"text","create_time":"1"},{"message_id":true,"msg_type":"text","create_time":"1"}]}}"#,
    )
    .await;
    let err = client_of(&server.base)
        .im()
        .v1()
        .message()
        .get("om_1")
        .await
        .unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(decode.endpoint, "im.v1.message.get");
    assert_eq!(decode.path, "data.items[1].message_id");
    assert_eq!(decode.log_id.as_deref(), Some("log-json-1"));
    let text = err.to_string();
    assert!(
        text.contains(
            "im.v1.message.get: the answer does not fit the model at `data.items[1].message_id`"
        ),
        "{text}"
    );
    assert!(
        text.contains("log-json-1") && text.contains("the answer starts"),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_fields_and_enum_values_decode() {
    let server = answering(
        r#"{"code":0,"msg":"ok","data":{"brand_new":1,"items":[{"message_id":"om_1","msg_type":"hologram","create_time":"1","future_field":{"x":1}}]}}"#,
    )
    .await;
    let page = client_of(&server.base)
        .im()
        .v1()
        .message()
        .get("om_1")
        .await
        .unwrap();
    let message = &page.items[0];
    assert_eq!(message.message_id, "om_1");
    assert!(message.msg_type.is_unknown());
    assert_eq!(message.msg_type.as_str(), "hologram");
}

/// A string field the platform (or a proxy) sends as a number decodes as its decimal text,
/// in the answer and in the shared models, and the answer carries the log id it came with.
#[tokio::test]
async fn numbers_where_the_model_says_string_decode_as_text() {
    let server = answering(
        r#"{"code":0,"msg":"ok","data":{"items":[{"message_id":"om_1","msg_type":"text","create_time":1700000000000,"update_time":1700000000001,"chat_id":7}]}}"#,
    )
    .await;
    let page = client_of(&server.base)
        .im()
        .v1()
        .message()
        .get("om_1")
        .await
        .unwrap();
    let message = &page.items[0];
    assert_eq!(message.create_time, "1700000000000");
    assert_eq!(message.update_time.as_deref(), Some("1700000000001"));
    assert_eq!(message.chat_id.as_deref(), Some("7"));
    assert_eq!(page.log_id(), Some("log-json-1"));
    // Sent back as strings.
    let json = serde_json::to_value(message).unwrap();
    assert_eq!(json["create_time"], "1700000000000");

    let message: lark_openapi::im::v1::Message = serde_json::from_str(
        r#"{"message_id":"om_2","msg_type":"text","create_time":1700000000000}"#,
    )
    .unwrap();
    assert_eq!(message.create_time, "1700000000000");
}

/// An answer with no `data` at all, `null` or `{}`: the empty response, with its log id.
#[tokio::test]
async fn an_empty_answer_is_a_response_with_the_log_id() {
    for body in [
        r#"{"code":0,"msg":"ok"}"#,
        r#"{"code":0,"msg":"ok","data":null}"#,
        r#"{"code":0,"msg":"ok","data":{}}"#,
    ] {
        let server = answering(body).await;
        let done = client_of(&server.base)
            .im()
            .v1()
            .message()
            .delete("om_1")
            .await
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(done.log_id(), Some("log-json-1"), "{body}");
    }
}

/// `?` from different endpoints into the service-wide error, and back to the typed enum.
async fn two_calls(client: &Client) -> Result<(), Error> {
    client.im().v1().message().get("om_1").await?;
    client
        .im()
        .v1()
        .message_resource()
        .get("om_1", "file_1", lark_openapi::im::v1::ResourceType::File)
        .await?;
    Ok(())
}

#[tokio::test]
async fn the_service_wide_error_keeps_the_typed_variant() {
    let server = answering(r#"{"code":230110,"msg":"deleted"}"#).await;
    let err = two_calls(&client_of(&server.base)).await.unwrap_err();
    let service = err.service_error().expect("a service error");
    assert_eq!(service.endpoint(), "im.v1.message.get");
    assert_eq!(service.code_number(), 230110);
    assert!(service.meaning().is_some());
    assert_eq!(
        service.code_as::<ErrorCode>(),
        Some(ErrorCode::MessageDeleted)
    );
    assert_eq!(err.code_number(), Some(230110));
    assert_eq!(err.code_as::<ErrorCode>(), Some(ErrorCode::MessageDeleted));
    assert_eq!(err.meaning(), service.meaning());
    assert!(err.to_string().contains("im.v1.message.get"), "{err}");
}
