//! Every row of the spec's error table, triggered on the fake server, arrives as its
//! generated variant with code, HTTP status, log id, meaning and advice. The rows are read
//! from the spec files, so a row added to a spec is tested with no new test code.

use crate::support;

use lark_openapi::im::v1::ErrorCode;
use lark_openapi::Error;
use lark_tests::{default_spec_dir, spec_error_rows, Fault, MESSAGE_RESOURCE_ENDPOINT};
use support::*;

#[tokio::test]
async fn every_error_row_maps_to_its_variant() {
    let fake = fake().await;
    let client = client(&fake);
    let rows: Vec<_> = spec_error_rows(&default_spec_dir())
        .into_iter()
        .filter(|r| r.endpoint_id == MESSAGE_RESOURCE_ENDPOINT)
        .collect();
    assert_eq!(rows.len(), 15, "the platform's metadata lists 15 codes");
    for row in rows {
        let before = fake.resource_requests();
        let err = get(&client, &format!("err_{}", row.code))
            .await
            .expect_err("an error row is an error");
        let Error::Service(e) = &err else {
            panic!("code {}: expected a service error, got {err:?}", row.code)
        };
        assert_eq!(e.code_number(), row.code);
        assert_eq!(e.http_status(), row.http_status, "code {}", row.code);
        // A row whose server message the metadata leaves empty is answered with its meaning.
        if !row.server_message.is_empty() {
            assert_eq!(e.message(), row.server_message, "code {}", row.code);
        }
        assert!(e.is_documented(), "code {} is the endpoint's own", row.code);
        assert!(
            e.code().is_some() && e.code_name().is_some(),
            "code {} must be typed",
            row.code
        );
        assert!(e.meaning().is_some() && e.advice().is_some());
        let log_id = e.log_id().expect("the fake sends a log id");
        assert!(!log_id.is_empty());
        assert_eq!(err.log_id(), Some(log_id));
        let line = err.to_string();
        assert!(
            line.contains(&row.code.to_string()) && line.contains(log_id),
            "{line}"
        );
        assert!(line.contains(e.advice().unwrap()), "{line}");
        // Rows the spec marks retryable are retried (3 attempts); the others are not.
        let attempts = fake.resource_requests() - before;
        let expected = if e.is_retryable() { 3 } else { 1 };
        assert_eq!(
            attempts,
            expected,
            "code {} retryable={}",
            row.code,
            e.is_retryable()
        );
    }
}

#[tokio::test]
async fn specific_variants_and_predicates() {
    let fake = fake().await;
    let client = client(&fake);
    let err = get(&client, "err_234003").await.unwrap_err();
    match &err {
        Error::Service(e) if e.code() == Some(ErrorCode::FileNotInMessage) => {
            let api = e.api_error();
            assert_eq!(api.code, 234003);
            assert!(api
                .troubleshooter
                .as_deref()
                .unwrap_or("")
                .contains("234003"));
        }
        other => panic!("expected FileNotInMessage, got {other:?}"),
    }
    assert_eq!(err.code(), Some(ErrorCode::FileNotInMessage));
    assert_eq!(err.code_name(), Some("file_not_in_message"));
    let err = get(&client, "err_234002").await.unwrap_err();
    assert_eq!(err.service_error().unwrap().http_status(), 401);
    assert_eq!(err.code(), Some(ErrorCode::Unauthorized));
}

#[tokio::test]
async fn codes_outside_the_table_are_unhandled_with_metadata() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_x", 10);
    // 99991672 (missing scope) is a platform-wide code, not in this endpoint's table.
    fake.push_faults(support::MESSAGE, "file_x", [Fault::ErrorCode(99991672)]);
    let err = get(&client, "file_x").await.unwrap_err();
    let e = err.service_error().expect("service error");
    assert!(!e.is_documented());
    assert_eq!(e.code_number(), 99991672);
    assert_eq!(e.api_error().code, 99991672);
    assert!(e.log_id().is_some());
}

#[tokio::test]
async fn html_error_page_is_a_clear_unexpected_response() {
    let fake = fake().await;
    let client = builder(&fake)
        .retry_policy(lark_openapi::RetryPolicy::disabled())
        .build()
        .unwrap();
    file(&fake, "file_html", 10);
    fake.push_faults(support::MESSAGE, "file_html", [Fault::HtmlError(502)]);
    let err = get(&client, "file_html").await.unwrap_err();
    let Error::UnexpectedResponse(body) = &err else {
        panic!("expected UnexpectedResponse, got {err:?}")
    };
    assert_eq!(body.http_status, 502);
    assert!(body
        .content_type
        .as_deref()
        .unwrap_or("")
        .starts_with("text/html"));
    assert!(body.excerpt.chars().count() <= 201);
    assert!(err.to_string().contains("502"), "{err}");
}

/// An endpoint's own wording of a code (its spec row's `meaning`/`advice`), and otherwise its
/// catalogue's, is what the error says: the wordings written once in the version's
/// `errors.rs`, including one that reads another code's catalogue text.
#[tokio::test]
async fn an_error_says_the_endpoints_own_wording_else_the_catalogues() {
    let fake = fake().await;
    let client = client(&fake);
    let text = |p: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(default_spec_dir().join(p)).unwrap()).unwrap()
    };
    let catalogue = text("im/v1/errors.json");
    let of = |code: i64, key: &str| -> String {
        let entry = catalogue["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["code"] == code)
            .unwrap_or_else(|| panic!("{code} is in the catalogue"));
        entry[key].as_str().unwrap().to_owned()
    };
    let spec = text("im/v1/pin/delete.json");
    let rows = spec["errors"].as_array().unwrap();
    let mut own = 0;
    for row in rows {
        let code = row["code"].as_i64().unwrap();
        let expected = |key: &str| match row[key].as_str() {
            Some(t) => t.to_owned(),
            None => of(code, key),
        };
        own += usize::from(row["meaning"].is_string() || row["advice"].is_string());
        fake.push_endpoint_faults("im.v1.pin.delete", vec![Fault::ErrorCode(code); 3]);
        let e = client
            .im()
            .v1()
            .pin()
            .delete("om_dc13264520392913993dd051dba21dcf")
            .await
            .unwrap_err();
        fake.clear_endpoint_faults("im.v1.pin.delete");
        assert_eq!(e.code_number(), Some(code), "{e:?}");
        assert_eq!(e.meaning(), Some(expected("meaning").as_str()), "{code}");
        assert_eq!(e.advice(), Some(expected("advice").as_str()), "{code}");
    }
    assert!(own >= 3, "pin delete words {own} of its codes itself");
}
