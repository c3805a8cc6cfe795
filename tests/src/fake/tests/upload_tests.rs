//! Uploads: an image or file is stored, served back, and downloadable through the
//! message-resource endpoint once a message names it.

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::json;

use super::fake;
use super::http::Api;

fn png(len: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    bytes[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
    bytes
}

#[tokio::test]
async fn upload_an_image_send_it_and_download_it_from_the_message() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    let bytes = png(5000);
    let form = Form::new()
        .text("image_type", "message")
        .part("image", Part::bytes(bytes.clone()).file_name("a.png"));
    let key = api.form("/open-apis/im/v1/images", form).await.data()["image_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(key, "img_v2_fake_1");
    let got = api.get(&format!("/open-apis/im/v1/images/{key}")).await;
    assert_eq!(
        (got.header("content-type").as_deref(), got.bytes.as_slice()),
        (Some("image/png"), bytes.as_slice())
    );

    let body = json!({ "receive_id": "oc_fake_1", "msg_type": "image", "content": json!({ "image_key": key }).to_string() });
    let sent = api
        .json(
            Method::POST,
            "/open-apis/im/v1/messages?receive_id_type=chat_id",
            &body,
        )
        .await
        .data();
    let message = sent["message_id"].as_str().unwrap();
    let path = format!("/open-apis/im/v1/messages/{message}/resources/{key}?type=image");
    let download = api.get(&path).await;
    assert_eq!(
        (download.status.as_u16(), download.bytes.as_slice()),
        (200, bytes.as_slice())
    );
    assert_eq!(fake.expected_download(&path).unwrap(), bytes);
    let ranged = reqwest::Client::new()
        .get(format!("{}{path}", fake.base_url()))
        .bearer_auth(api.token.clone().unwrap())
        .header("Range", "bytes=4000-")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), &bytes[4000..]);

    assert_eq!(
        api.get(&format!(
            "/open-apis/im/v1/messages/{message}/resources/{key}?type=file"
        ))
        .await
        .code(),
        234001
    );
    let other = api
        .get(&format!(
            "/open-apis/im/v1/messages/om_fake_1/resources/{key}?type=image"
        ))
        .await;
    assert_eq!(other.code(), 234003);
    // A file key is not an image.
    assert_eq!(
        api.get("/open-apis/im/v1/images/file_456a92d6-c6ea-4de4-ac3f-7afcf44ac78g")
            .await
            .code(),
        234008
    );

    let not_image = Form::new().text("image_type", "message").part(
        "image",
        Part::bytes(b"plain text".to_vec()).file_name("a.png"),
    );
    assert_eq!(
        api.form("/open-apis/im/v1/images", not_image).await.code(),
        234011
    );
    let bad_type = Form::new()
        .text("image_type", "poster")
        .part("image", Part::bytes(png(10)).file_name("a.png"));
    assert_eq!(
        api.form("/open-apis/im/v1/images", bad_type).await.code(),
        234001
    );
    let empty = Form::new()
        .text("image_type", "message")
        .part("image", Part::bytes(Vec::new()).file_name("a.png"));
    assert_eq!(
        api.form("/open-apis/im/v1/images", empty).await.code(),
        234010
    );
}

#[tokio::test]
async fn upload_a_file_and_fetch_it_with_its_name() {
    let fake = fake().await;
    let api = Api::tenant(&fake).await;
    let bytes = b"%PDF-1.7 fake".to_vec();
    let form = Form::new()
        .text("file_type", "pdf")
        .text("file_name", "季度报告.pdf")
        .text("duration", "10")
        .part("file", Part::bytes(bytes.clone()).file_name("x.pdf"));
    let key = api.form("/open-apis/im/v1/files", form).await.data()["file_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = api.get(&format!("/open-apis/im/v1/files/{key}")).await;
    assert_eq!(got.bytes, bytes);
    assert_eq!(
        got.header("content-type").as_deref(),
        Some("application/pdf")
    );
    let cd = got.header("content-disposition").unwrap();
    assert!(cd.contains("filename*=UTF-8''%E5%AD%A3"), "{cd}");

    let body = json!({ "receive_id": "oc_fake_2", "msg_type": "file", "content": json!({ "file_key": key }).to_string() });
    let sent = api
        .json(
            Method::POST,
            "/open-apis/im/v1/messages?receive_id_type=chat_id",
            &body,
        )
        .await
        .data();
    let path = format!(
        "/open-apis/im/v1/messages/{}/resources/{key}?type=file",
        sent["message_id"].as_str().unwrap()
    );
    assert_eq!(api.get(&path).await.bytes, bytes);
    // An image message cannot carry a file key.
    let body = json!({ "receive_id": "oc_fake_2", "msg_type": "image", "content": json!({ "image_key": key }).to_string() });
    let mismatch = api
        .json(
            Method::POST,
            "/open-apis/im/v1/messages?receive_id_type=chat_id",
            &body,
        )
        .await;
    assert_eq!(mismatch.code(), 230055);
    let bad = Form::new()
        .text("file_type", "pdf")
        .text("file_name", "a.pdf")
        .text("duration", "long")
        .part("file", Part::bytes(vec![1]));
    assert_eq!(api.form("/open-apis/im/v1/files", bad).await.code(), 234001);
}
