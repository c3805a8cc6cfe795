//! The seam's figures: reading a chat through `.items()` (peak memory at 10,000 messages
//! against 100) and uploading a 30 MB file from disk (peak memory, time against `curl -F`).
//! Each measured run is a child process (`download child-list …` / `download child-upload …`)
//! spawned by the spawner, so its peak RSS is its own.

use std::path::Path;
use std::process::ExitCode;

use futures_util::TryStreamExt;
use lark_openapi::im::v1::file::CreateFileBody;
use lark_openapi::im::v1::message::CreateMessageBody;
use lark_openapi::im::v1::{ContainerIdType, FileType, MsgType, ReceiveIdType};
use lark_openapi::{Client, UploadFile};
use lark_tests::{FakeConfig, FakeLark};

use crate::downloads::{fetch_token, find_curl, Curl};
use crate::measure::{ms, run_child, ChildRun};
use crate::Result;

/// The child mode that lists a chat.
pub const LIST_MODE: &str = "child-list";
/// The child mode that uploads a file.
pub const UPLOAD_MODE: &str = "child-upload";

/// Messages in the small and the big chat.
pub const SMALL_CHAT: usize = 100;
/// Messages in the big chat.
pub const BIG_CHAT: usize = 10_000;
/// The uploaded file's size: the documented maximum of `im.v1.file.create`.
pub const UPLOAD_BYTES: u64 = 30 * 1024 * 1024;

/// The seam figures.
#[derive(Debug, Clone)]
pub struct SeamFigures {
    /// Peak RSS (MiB) of the runs reading the small chat.
    pub list_small_rss: Vec<f64>,
    /// Peak RSS (MiB) of the runs reading the big chat.
    pub list_big_rss: Vec<f64>,
    /// Wall ms of the runs reading the big chat.
    pub list_big_ms: Vec<f64>,
    /// SDK upload runs: (wall ms, peak RSS MiB).
    pub upload_sdk: Vec<(f64, f64)>,
    /// curl upload runs: (wall ms, peak RSS MiB); empty without curl.
    pub upload_curl: Vec<(f64, f64)>,
}

fn client_for(base_url: &str) -> std::result::Result<Client, String> {
    let config = FakeConfig::default();
    Client::builder(config.app_id, config.app_secret)
        .base_url(base_url)
        .build()
        .map_err(|e| e.to_string())
}

fn child_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// `download child-list BASE_URL CHAT_ID EXPECTED`: reads every message of the chat with
/// `.items()` (pages of 50) and checks the count.
pub fn list_main(args: &[String]) -> ExitCode {
    let [base_url, chat, expected] = args else {
        eprintln!("usage: download {LIST_MODE} BASE_URL CHAT_ID EXPECTED");
        return ExitCode::from(2);
    };
    let expected: usize = expected.parse().unwrap_or(0);
    let result = child_runtime().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(async {
            let client = client_for(base_url)?;
            let mut items = client
                .im()
                .v1()
                .message()
                .list(chat.as_str(), ContainerIdType::Chat)
                .page_size(50)
                .items();
            let mut n = 0usize;
            while let Some(message) = items.try_next().await.map_err(|e| e.to_string())? {
                std::hint::black_box(&message);
                n += 1;
            }
            if n < expected {
                return Err(format!("read {n} messages, expected at least {expected}"));
            }
            Ok(n)
        })
    });
    match result {
        Ok(n) => {
            println!("messages {n}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("child: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `download child-upload BASE_URL PATH`: uploads the file with `im.v1.file.create`.
pub fn upload_main(args: &[String]) -> ExitCode {
    let [base_url, path] = args else {
        eprintln!("usage: download {UPLOAD_MODE} BASE_URL PATH");
        return ExitCode::from(2);
    };
    let result = child_runtime().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(async {
            let client = client_for(base_url)?;
            let body =
                CreateFileBody::new(FileType::Stream, UploadFile::from_path(path), "upload.bin");
            let out = client
                .im()
                .v1()
                .file()
                .create(body)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(out.file_key)
        })
    });
    match result {
        Ok(key) => {
            println!("file_key {key}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("child: {e}");
            ExitCode::FAILURE
        }
    }
}

fn mib(run: &ChildRun) -> f64 {
    run.max_rss_kib as f64 / 1024.0
}

fn checked(run: ChildRun, what: &str) -> Result<ChildRun> {
    if run.success {
        Ok(run)
    } else {
        Err(format!("{what}: {} {}", run.status, run.stderr.trim()).into())
    }
}

/// Seeds the fake's chats through the SDK, then measures `runs` interleaved rounds.
pub fn run(root: &Path, runs: usize) -> Result<SeamFigures> {
    let exe = std::env::current_exe()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let fake = runtime.block_on(FakeLark::start(FakeConfig::default()))?;
    let base_url = fake.base_url();
    let client = client_for(&base_url)?;
    let (small_chat, big_chat) = ("oc_fake_2", "oc_fake_3");
    eprintln!("bench: seam: seeding {BIG_CHAT} messages…");
    runtime.block_on(async {
        for (chat, n) in [(small_chat, SMALL_CHAT), (big_chat, BIG_CHAT)] {
            let tasks: Vec<_> = (0..8)
                .map(|w| {
                    let client = client.clone();
                    tokio::spawn(async move {
                        for i in (w..n).step_by(8) {
                            let body = CreateMessageBody::new(
                                chat,
                                MsgType::Text,
                                format!(r#"{{"text":"message {i} of a long chat history"}}"#),
                            );
                            client
                                .im()
                                .v1()
                                .message()
                                .create(ReceiveIdType::ChatId, body)
                                .await?;
                        }
                        Ok::<(), crate::Error>(())
                    })
                })
                .collect();
            for t in tasks {
                t.await??;
            }
        }
        Ok::<(), crate::Error>(())
    })?;
    let scratch = root.join("target/bench-tmp");
    std::fs::create_dir_all(&scratch)?;
    let upload = scratch.join("upload-30m.bin");
    std::fs::write(
        &upload,
        (0..UPLOAD_BYTES)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    )?;
    let token = runtime.block_on(fetch_token(&base_url))?;
    let url = format!("{base_url}/open-apis/im/v1/files");
    let curl = find_curl();
    let exe_s = exe.display().to_string();
    let list = |chat: &str, n: usize| -> Result<ChildRun> {
        checked(
            run_child(
                &exe,
                &[
                    exe_s.clone(),
                    LIST_MODE.into(),
                    base_url.clone(),
                    chat.into(),
                    n.to_string(),
                ],
            )?,
            "child-list",
        )
    };
    let sdk_upload = || -> Result<ChildRun> {
        checked(
            run_child(
                &exe,
                &[
                    exe_s.clone(),
                    UPLOAD_MODE.into(),
                    base_url.clone(),
                    upload.display().to_string(),
                ],
            )?,
            "child-upload",
        )
    };
    let curl_upload = |program: &str| -> Result<ChildRun> {
        checked(
            run_child(
                &exe,
                &[
                    program.to_string(),
                    "-s".into(),
                    "-o".into(),
                    "/dev/null".into(),
                    "-H".into(),
                    format!("Authorization: Bearer {token}"),
                    "-F".into(),
                    "file_type=stream".into(),
                    "-F".into(),
                    "file_name=upload.bin".into(),
                    "-F".into(),
                    format!("file=@{}", upload.display()),
                    url.clone(),
                ],
            )?,
            "curl -F",
        )
    };
    // Warm-up, unrecorded.
    list(small_chat, SMALL_CHAT)?;
    sdk_upload()?;
    let mut figures = SeamFigures {
        list_small_rss: Vec::new(),
        list_big_rss: Vec::new(),
        list_big_ms: Vec::new(),
        upload_sdk: Vec::new(),
        upload_curl: Vec::new(),
    };
    for round in 0..runs {
        let small = list(small_chat, SMALL_CHAT)?;
        let big = list(big_chat, BIG_CHAT)?;
        figures.list_small_rss.push(mib(&small));
        figures.list_big_rss.push(mib(&big));
        figures.list_big_ms.push(ms(big.wall));
        let sdk = sdk_upload()?;
        figures.upload_sdk.push((ms(sdk.wall), mib(&sdk)));
        if let Curl::Found { path, .. } = &curl {
            let c = curl_upload(&path.display().to_string())?;
            figures.upload_curl.push((ms(c.wall), mib(&c)));
        }
        eprintln!(
            "bench: seam round {}/{runs}: list 100 {:.1} MiB, list 10000 {:.1} MiB in {:.0} ms; upload SDK {:.0} ms {:.1} MiB{}",
            round + 1,
            mib(&small),
            mib(&big),
            ms(big.wall),
            ms(sdk.wall),
            mib(&sdk),
            figures
                .upload_curl
                .last()
                .map_or(String::new(), |(t, m)| format!(", curl {t:.0} ms {m:.1} MiB")),
        );
    }
    let _ = std::fs::remove_file(&upload);
    drop(fake);
    Ok(figures)
}
