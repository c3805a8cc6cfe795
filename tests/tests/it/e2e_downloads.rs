//! Downloads over real HTTP: what the user gets and what is on disk.

use crate::support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lark_openapi::im::v1::{ErrorCode, ResourceType};
use lark_openapi::{Error, RetryPolicy};
use lark_tests::{content_sha256, Disposition, Fault, Resource, ResourceKind};
use support::*;
use tokio::io::AsyncReadExt;

#[tokio::test]
async fn a_100_mib_download_matches_the_servers_checksum() {
    let fake = fake().await;
    let client = client(&fake);
    let size = 100 * 1024 * 1024;
    let r = file(&fake, "file_100m", size);
    let dir = temp_dir();
    let last = Arc::new(AtomicU64::new(0));
    let seen = last.clone();
    let saved = get(&client, "file_100m")
        .await
        .unwrap()
        .on_progress(move |p| {
            assert_eq!(p.total, Some(size));
            seen.store(p.received, Ordering::Relaxed);
        })
        .save_to(dir.path())
        .await
        .unwrap();
    assert_eq!(std::fs::metadata(&saved).unwrap().len(), size);
    assert_eq!(sha256_file(&saved), content_sha256(r.seed, size));
    assert_eq!(
        last.load(Ordering::Relaxed),
        size,
        "progress reached the total"
    );
    assert_eq!(entries(dir.path()), ["file.bin"], "no temporary file left");
}

#[tokio::test]
async fn a_cut_off_body_resumes_with_range() {
    let fake = fake().await;
    let client = client(&fake);
    let size = 3 * 1024 * 1024;
    let r = file(&fake, "file_cut", size);
    fake.push_faults(
        MESSAGE,
        "file_cut",
        [Fault::CutOff {
            after_bytes: 1_000_000,
        }],
    );
    let dir = temp_dir();
    let saved = save(&client, "file_cut", dir.path()).await.unwrap();
    assert_eq!(sha256_file(&saved), content_sha256(r.seed, size));
    let ranges: Vec<_> = fake
        .requests_log()
        .into_iter()
        .filter_map(|l| l.range)
        .collect();
    assert_eq!(ranges.len(), 1);
    let from: u64 = ranges[0]
        .trim_start_matches("bytes=")
        .trim_end_matches('-')
        .parse()
        .unwrap();
    assert!(from > 0 && from <= 1_000_000, "resumed from {from}");
    let statuses: Vec<_> = fake.requests_log().iter().map(|l| l.status).collect();
    assert_eq!(statuses.last(), Some(&206));
}

#[tokio::test]
async fn a_cut_off_body_without_range_support_starts_over_cleanly() {
    let fake = fake().await;
    let client = client(&fake);
    let size = 2 * 1024 * 1024;
    let r = Resource::new(MESSAGE, "file_norange", ResourceKind::File, size)
        .with_seed(9)
        .with_accept_ranges(false)
        .with_fault(Fault::CutOff {
            after_bytes: 700_000,
        });
    fake.add_resource(r.clone());
    let dir = temp_dir();
    let saved = save(&client, "file_norange", dir.path()).await.unwrap();
    assert_eq!(std::fs::metadata(&saved).unwrap().len(), size);
    assert_eq!(sha256_file(&saved), content_sha256(9, size));
    // The stream interface skips what it already yielded when the server restarts.
    fake.push_faults(
        MESSAGE,
        "file_norange",
        [Fault::CutOff {
            after_bytes: 500_000,
        }],
    );
    let mut stream = get(&client, "file_norange").await.unwrap().into_stream();
    let mut total = 0usize;
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        total += chunk.len();
        sha2::Digest::update(&mut hasher, &chunk);
    }
    assert_eq!(total as u64, size);
    assert_eq!(<[u8; 32]>::from(sha2::Digest::finalize(hasher)), r.sha256());
}

#[tokio::test]
async fn a_cut_off_body_with_retries_off_fails_with_integrity_and_leaves_nothing() {
    let fake = fake().await;
    let client = builder(&fake)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    file(&fake, "file_cut2", 1_000_000);
    fake.push_faults(
        MESSAGE,
        "file_cut2",
        [Fault::CutOff {
            after_bytes: 400_000,
        }],
    );
    let dir = temp_dir();
    std::fs::write(dir.path().join("file.bin"), b"precious").unwrap();
    let err = save(&client, "file_cut2", dir.path()).await.unwrap_err();
    assert!(
        matches!(err, Error::Integrity { expected: 1_000_000, received } if received < 1_000_000),
        "{err:?}"
    );
    assert_eq!(
        entries(dir.path()),
        ["file.bin"],
        "no partial or temporary file"
    );
    assert_eq!(
        std::fs::read(dir.path().join("file.bin")).unwrap(),
        b"precious"
    );
}

#[tokio::test]
async fn hostile_file_names_land_inside_the_target_directory() {
    let fake = fake().await;
    let client = client(&fake);
    let long = "x".repeat(5000) + ".txt";
    let cases: Vec<(&str, Disposition)> = vec![
        ("h1", Disposition::Plain("../../evil.sh".into())),
        ("h2", Disposition::Plain("/etc/passwd".into())),
        ("h3", Disposition::Plain("..\\..\\win.ini".into())),
        ("h4", Disposition::Rfc5987("../a/b/c\u{0}.txt".into())),
        ("h5", Disposition::Rfc5987("\u{1b}[31mred\u{7}.txt".into())),
        ("h6", Disposition::Plain(long)),
        ("h7", Disposition::Plain("..".into())),
        ("h8", Disposition::Plain("CON".into())),
        ("h9", Disposition::RawUtf8("报告;final.pdf".into())),
        ("h10", Disposition::None),
    ];
    let dir = temp_dir();
    let canonical = dir.path().canonicalize().unwrap();
    for (key, disposition) in cases {
        let key = format!("file_{key}");
        fake.add_resource(
            Resource::new(MESSAGE, &key, ResourceKind::File, 10)
                .with_disposition(disposition.clone()),
        );
        let saved = get(&client, &key)
            .await
            .unwrap()
            .save_to(dir.path())
            .await
            .unwrap();
        let parent = saved.parent().unwrap().canonicalize().unwrap();
        assert_eq!(
            parent,
            canonical,
            "{disposition:?} escaped to {}",
            saved.display()
        );
        let name = saved.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with('.') && name.len() <= 255, "{name:?}");
        assert!(!name.chars().any(char::is_control), "{name:?}");
    }
    assert!(
        entries(dir.path()).contains(&"报告;final.pdf".to_string()),
        "{:?}",
        entries(dir.path())
    );
}

#[tokio::test]
async fn a_download_over_the_limit_stops_and_leaves_nothing() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_huge", 100 * 1024 * 1024 + 1);
    let dir = temp_dir();
    let err = save(&client, "file_huge", dir.path()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::SizeLimitExceeded {
                limit: 104_857_600,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(entries(dir.path()).is_empty());
    // A caller's lower limit applies while streaming too.
    file(&fake, "file_5k", 5000);
    let err = get(&client, "file_5k")
        .await
        .unwrap()
        .collect(1000)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::SizeLimitExceeded { limit: 1000, .. }),
        "{err:?}"
    );
}

/// A 100 kB file whose first response goes silent for 5 s after 10 kB.
fn stalling_file(fake: &lark_tests::FakeLark, key: &str) -> Resource {
    let r = file(fake, key, 100_000);
    let stall = Fault::Stall {
        after_bytes: 10_000,
        stall: Duration::from_secs(5),
    };
    fake.push_faults(MESSAGE, key, [stall]);
    r
}

#[tokio::test]
async fn a_stalled_server_times_out_and_leaves_nothing() {
    let fake = fake().await;
    let client = builder(&fake)
        .read_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    stalling_file(&fake, "file_stall");
    let dir = temp_dir();
    let err = save(&client, "file_stall", dir.path()).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(entries(dir.path()).is_empty());
}

#[tokio::test]
async fn a_stall_is_resumed_when_retries_allow() {
    let fake = fake().await;
    let client = builder(&fake)
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let r = stalling_file(&fake, "file_stall2");
    let dir = temp_dir();
    let saved = save(&client, "file_stall2", dir.path()).await.unwrap();
    assert_eq!(sha256_file(&saved), r.sha256());
}

#[tokio::test]
async fn bytes_that_look_like_a_json_error_are_still_a_file() {
    let fake = fake().await;
    let client = client(&fake);
    file(&fake, "file_json", 10);
    let body = br#"{"code":234003,"msg":"File not in message."}"#.to_vec();
    fake.push_faults(
        MESSAGE,
        "file_json",
        [Fault::Custom {
            status: 200,
            content_type: Some("application/octet-stream".into()),
            body: body.clone(),
        }],
    );
    let dir = temp_dir();
    let saved = save(&client, "file_json", dir.path().join("x.json").as_ref())
        .await
        .unwrap();
    assert_eq!(std::fs::read(saved).unwrap(), body);
}

#[tokio::test]
async fn metadata_stream_and_async_read() {
    let fake = fake().await;
    let client = client(&fake);
    fake.add_resource(
        Resource::new(MESSAGE, "img_1", ResourceKind::Image, 3000)
            .with_seed(3)
            .with_content_type("image/png")
            .with_disposition(Disposition::Rfc5987("示例 (1).png".into())),
    );
    let d = client
        .im()
        .v1()
        .message_resource()
        .get(MESSAGE, "img_1", ResourceType::Image)
        .await
        .unwrap();
    assert_eq!(d.content_type(), Some("image/png"));
    assert_eq!(d.content_length(), Some(3000));
    assert_eq!(d.file_name(), "示例 (1).png");
    assert!(d.log_id().is_some());
    let mut buf = Vec::new();
    d.into_async_read().read_to_end(&mut buf).await.unwrap();
    assert_eq!(buf, lark_tests::content_bytes(3, 0, 3000));
    // Wrong type for the resource: the fake answers 234001 like the platform.
    let err = client
        .im()
        .v1()
        .message_resource()
        .get(MESSAGE, "img_1", ResourceType::File)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::ResourceInvalidRequestParam));
    // Without a usable name the file key and Content-Type make one.
    fake.add_resource(
        Resource::new(MESSAGE, "file_noname", ResourceKind::File, 5)
            .with_content_type("application/pdf")
            .with_disposition(Disposition::None),
    );
    assert_eq!(
        get(&client, "file_noname").await.unwrap().file_name(),
        "file_noname.pdf"
    );
}

#[tokio::test]
async fn ids_are_one_encoded_segment_and_empty_ids_are_refused() {
    let fake = fake().await;
    let client = client(&fake);
    let odd = "om/../x?type=image#y z";
    fake.add_resource(Resource::new(odd, "file_odd", ResourceKind::File, 7));
    let bytes = client
        .im()
        .v1()
        .message_resource()
        .get(odd, "file_odd", ResourceType::File)
        .await
        .unwrap()
        .collect(100)
        .await
        .unwrap();
    assert_eq!(bytes.len(), 7);
    let path = fake.requests_log().last().unwrap().path_and_query.clone();
    assert!(path.starts_with("/open-apis/im/v1/messages/om%2F..%2Fx%3Ftype%3Dimage%23y%20z/resources/file_odd?type=file"), "{path}");
    let before = fake.requests_log().len();
    let err = client
        .im()
        .v1()
        .message_resource()
        .get("", "file_odd", ResourceType::File)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(m) if m.contains("message_id")),
        "{err:?}"
    );
    assert_eq!(fake.requests_log().len(), before, "nothing was sent");
}

#[tokio::test]
async fn durable_save_is_complete_and_io_errors_name_the_path() {
    let fake = fake().await;
    let client = client(&fake);
    let r = file(&fake, "file_durable", 300_000);
    let dir = temp_dir();
    let saved = get(&client, "file_durable")
        .await
        .unwrap()
        .durable(true)
        .save_to(dir.path().join("kept.bin"))
        .await
        .unwrap();
    assert_eq!(sha256_file(&saved), r.sha256());
    // A directory that cannot exist (its parent is a file): an I/O error naming it.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let err = save(&client, "file_durable", &blocker.join("sub/"))
        .await
        .unwrap_err();
    let Error::Io { path, .. } = &err else {
        panic!("expected an I/O error, got {err:?}")
    };
    assert!(path.starts_with(&blocker), "{}", path.display());
    assert!(err.to_string().contains("not-a-dir"), "{err}");
    assert_eq!(entries(dir.path()), ["kept.bin", "not-a-dir"]);
}

#[tokio::test]
async fn time_before_reading_the_body_is_not_an_idle_timeout() {
    let fake = fake().await;
    let client = builder(&fake)
        .read_timeout(Duration::from_secs(1))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let r = file(&fake, "file_late", 100_000);
    // The body starts 2 s after the headers; the caller starts reading after 1.5 s. The
    // silence the SDK sees while reading is 0.5 s, under the 1 s timeout: no error. (Timing
    // the silence from the headers instead would fail here.)
    let stall = Fault::Stall {
        after_bytes: 0,
        stall: Duration::from_secs(2),
    };
    fake.push_faults(MESSAGE, "file_late", [stall]);
    let download = get(&client, "file_late").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let bytes = download.collect(10 << 20).await.unwrap();
    assert_eq!(bytes.len() as u64, r.size);
}
