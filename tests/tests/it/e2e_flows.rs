//! The common IM flows against the fake's store, through the generated SDK: send typed
//! content, read it back typed, reply, react, list as a stream, recall; upload an image and a
//! file (from disk, bytes and a stream), send them and download them again.

use crate::support;

use futures_util::TryStreamExt;
use lark_openapi::im::v1::file::CreateFileBody;
use lark_openapi::im::v1::image::CreateImageBody;
use lark_openapi::im::v1::message::{CreateMessageBody, ReplyMessageBody};
use lark_openapi::im::v1::message_reaction::CreateMessageReactionBody;
use lark_openapi::im::v1::{
    ContainerIdType, Emoji, ErrorCode, FileType, ImageType, ReceiveIdType, ResourceType,
};
use lark_openapi::message_content::{
    File, Image, MessageContent, Post, PostBody, ReceivedContent, Text,
};
use lark_openapi::{Error, RequestOptions, UploadFile};
use lark_tests::Fault;
use support::*;

const CHAT: &str = "oc_fake_1";

fn body(content: &impl MessageContent) -> CreateMessageBody {
    CreateMessageBody::new(CHAT, content.message_type(), content.to_content_string())
}

#[tokio::test]
async fn send_read_reply_react_list_and_recall() {
    let fake = fake().await;
    let client = client(&fake);
    let im = client.im().v1();

    let text = Text::new("Deploy finished. ").at("ou_fake_2", "Bob");
    let sent = im
        .message()
        .create(ReceiveIdType::ChatId, body(&text))
        .await
        .unwrap();
    let got = im.message().get(&sent.message_id).await.unwrap();
    let message = &got.items[0];
    assert_eq!(message.message_id, sent.message_id);
    let content = message.body.as_ref().expect("a body");
    let parsed = ReceivedContent::parse(message.msg_type.as_str(), &content.content).unwrap();
    assert_eq!(
        parsed.plain_text().as_deref(),
        Some(text.as_str()),
        "{parsed:?}"
    );

    let post = Post::new(
        "en_us",
        PostBody::new()
            .title("Release")
            .text_paragraph("All green."),
    );
    let reply = ReplyMessageBody::new(post.message_type(), post.to_content_string());
    let replied = im.message().reply(&sent.message_id, reply).await.unwrap();
    assert_eq!(replied.parent_id.as_deref(), Some(sent.message_id.as_str()));

    im.message_reaction()
        .create(
            &sent.message_id,
            CreateMessageReactionBody::new(Emoji::new("THUMBSUP")),
        )
        .await
        .unwrap();
    let reactions: Vec<_> = im
        .message_reaction()
        .list(&sent.message_id)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(reactions.len(), 1);

    // Every message of the chat, page by page (pages of 2), the new ones last.
    let listed: Vec<_> = im
        .message()
        .list(CHAT, ContainerIdType::Chat)
        .page_size(2)
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = listed.iter().map(|m| m.message_id.as_str()).collect();
    assert!(ids.len() >= 3, "{ids:?}");
    assert_eq!(
        &ids[ids.len() - 2..],
        [sent.message_id.as_str(), replied.message_id.as_str()]
    );
    let pages = fake.requests_for("im.v1.message.list").len();
    assert_eq!(pages, ids.len().div_ceil(2), "one request per page");

    im.message().delete(&sent.message_id).await.unwrap();
    let err = im.message().get(&sent.message_id).await.unwrap_err();
    assert!(
        matches!(&err, Error::Service(e) if e.code() == Some(ErrorCode::MessageDeleted)),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_uploaded_image_is_sent_and_downloaded_again() {
    let fake = fake().await;
    let client = client(&fake);
    let im = client.im().v1();
    let dir = temp_dir();
    let path = path_in(&dir, "chart.png");
    let bytes = png(300 * 1024);
    std::fs::write(&path, &bytes).unwrap();

    let uploaded = im
        .image()
        .create(CreateImageBody::new(
            ImageType::Message,
            UploadFile::from_path(&path),
        ))
        .await
        .unwrap();
    let image = Image::new(uploaded.image_key.clone());
    let sent = im
        .message()
        .create(ReceiveIdType::ChatId, body(&image))
        .await
        .unwrap();
    let download = im
        .message_resource()
        .get(&sent.message_id, &uploaded.image_key, ResourceType::Image)
        .await
        .unwrap()
        .collect(1 << 20)
        .await
        .unwrap();
    assert_eq!(&download[..], &bytes[..], "the same bytes come back");
    let direct = im
        .image()
        .get(&uploaded.image_key)
        .await
        .unwrap()
        .collect(1 << 20)
        .await
        .unwrap();
    assert_eq!(&direct[..], &bytes[..]);
}

#[tokio::test]
async fn a_file_from_disk_is_reopened_for_a_token_replay_and_a_retry() {
    let fake = fake().await;
    let client = client(&fake);
    let dir = temp_dir();
    let path = path_in(&dir, "report.pdf");
    let bytes: Vec<u8> = (0..2 * 1024 * 1024).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, &bytes).unwrap();
    let upload = || CreateFileBody::new(FileType::Pdf, UploadFile::from_path(&path), "report.pdf");

    // A rejected token: the file is sent again, whole, with a new token.
    fake.push_endpoint_faults("im.v1.file.create", [Fault::TokenRejected]);
    let first = client.im().v1().file().create(upload()).await.unwrap();
    assert_eq!(fake.requests_for("im.v1.file.create").len(), 2);

    // A 503: uploads are not idempotent, so only with the caller's opt-in.
    fake.push_endpoint_faults("im.v1.file.create", [Fault::Status5xx(503)]);
    let err = client.im().v1().file().create(upload()).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    fake.push_endpoint_faults("im.v1.file.create", [Fault::Status5xx(503)]);
    let second = client
        .im()
        .v1()
        .file()
        .create(upload())
        .options(RequestOptions::new().retry_non_idempotent(true))
        .await
        .unwrap();
    for key in [first.file_key, second.file_key] {
        let download = client.im().v1().file().get(&key).await.unwrap();
        assert_eq!(download.server_file_name(), Some("report.pdf"));
        assert_eq!(&download.collect(4 << 20).await.unwrap()[..], &bytes[..]);
    }
}

#[tokio::test]
async fn a_stream_upload_is_sent_once_and_bytes_upload_as_is() {
    let fake = fake().await;
    let client = client(&fake);
    let stream = futures_util::stream::iter(vec![
        Ok(bytes::Bytes::from_static(b"%PDF-1.4 ")),
        Ok(bytes::Bytes::from_static(b"streamed")),
    ]);
    fake.push_endpoint_faults("im.v1.file.create", [Fault::TokenRejected]);
    let err = client
        .im()
        .v1()
        .file()
        .create(CreateFileBody::new(
            FileType::Stream,
            UploadFile::from_stream("s.bin", Some(17), stream),
            "s.bin",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code_number(), Some(99991663), "{err:?}");
    assert_eq!(
        fake.requests_for("im.v1.file.create").len(),
        1,
        "a stream cannot be replayed"
    );

    let sent = client
        .im()
        .v1()
        .file()
        .create(CreateFileBody::new(
            FileType::Stream,
            UploadFile::from_bytes("b.bin", b"in memory".to_vec()),
            "b.bin",
        ))
        .await
        .unwrap();
    let file = File::new(sent.file_key.clone());
    let message = client
        .im()
        .v1()
        .message()
        .create(ReceiveIdType::ChatId, body(&file))
        .await
        .unwrap();
    let got = client
        .im()
        .v1()
        .message_resource()
        .get(&message.message_id, &sent.file_key, ResourceType::File)
        .await
        .unwrap()
        .collect(1024)
        .await
        .unwrap();
    assert_eq!(&got[..], b"in memory");
}

#[tokio::test]
async fn empty_oversized_and_missing_files_are_refused_before_sending() {
    let fake = fake().await;
    let client = client(&fake);
    let dir = temp_dir();
    let empty = path_in(&dir, "empty.png");
    std::fs::write(&empty, b"").unwrap();
    let big = path_in(&dir, "big.png");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(10 * 1024 * 1024 + 1).unwrap();
    let image = |path: &std::path::Path| {
        CreateImageBody::new(ImageType::Message, UploadFile::from_path(path))
    };

    let err = client
        .im()
        .v1()
        .image()
        .create(image(&empty))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is empty"), "{err}");
    let err = client
        .im()
        .v1()
        .image()
        .create(image(&big))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("10485761 bytes, over the limit of 10485760 bytes"),
        "{err}"
    );
    let err = client
        .im()
        .v1()
        .image()
        .create(image(&path_in(&dir, "missing.png")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(
        fake.requests_for("im.v1.image.create").is_empty(),
        "nothing was sent"
    );
}
