//! What `save_to` does to a directory: a server-chosen name never clobbers, an explicit path
//! is replaced (or kept, with `no_clobber`), and a killed process leaves nothing behind.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lark_openapi::Error;
use lark_tests::{content_sha256, Disposition, Fault, Resource, ResourceKind};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_downloads_with_the_same_server_name_all_keep_their_file() {
    const N: u64 = 300;
    let fake = fake().await;
    let client = client(&fake);
    for i in 0..N {
        let r = Resource::new(
            MESSAGE,
            format!("file_same_{i}"),
            ResourceKind::File,
            1000 + i,
        )
        .with_seed(i)
        .with_disposition(Disposition::Plain("same.bin".into()));
        fake.add_resource(r);
    }
    let dir = temp_dir();
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let (client, dir) = (client.clone(), dir.path().to_path_buf());
            tokio::spawn(async move { (i, save(&client, &format!("file_same_{i}"), &dir).await) })
        })
        .collect();
    let mut paths = BTreeSet::new();
    for task in tasks {
        let (i, saved) = task.await.unwrap();
        let saved = saved.unwrap();
        assert_eq!(
            sha256_file(&saved),
            content_sha256(i, 1000 + i),
            "{}",
            saved.display()
        );
        paths.insert(saved);
    }
    assert_eq!(paths.len() as u64, N, "every download has its own file");
    let names = entries(dir.path());
    assert_eq!(names.len() as u64, N, "and nothing else is there");
    assert!(names.contains(&"same.bin".to_owned()));
    assert!(names.contains(&"same (1).bin".to_owned()));
    assert!(names.contains(&format!("same ({}).bin", N - 1)));
}

#[tokio::test]
async fn an_explicit_path_is_replaced_unless_no_clobber() {
    let fake = fake().await;
    let client = client(&fake);
    let r = file(&fake, "file_explicit", 4096);
    let dir = temp_dir();
    let target = path_in(&dir, "mine.bin");
    std::fs::write(&target, b"precious").unwrap();

    let err = get(&client, "file_explicit")
        .await
        .unwrap()
        .no_clobber(true)
        .save_to(&target)
        .await
        .unwrap_err();
    match &err {
        Error::Io { path, source } => {
            assert_eq!(path, &target);
            assert_eq!(source.kind(), std::io::ErrorKind::AlreadyExists);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    assert_eq!(entries(dir.path()), ["mine.bin"]);

    // The default, like `curl -o`: replaced once complete.
    let saved = save(&client, "file_explicit", &target).await.unwrap();
    assert_eq!(saved, target);
    assert_eq!(sha256_file(&target), content_sha256(r.seed, 4096));

    // no_clobber on a free path saves normally.
    let fresh = path_in(&dir, "fresh.bin");
    let saved = get(&client, "file_explicit")
        .await
        .unwrap()
        .no_clobber(true)
        .save_to(&fresh)
        .await
        .unwrap();
    assert_eq!(sha256_file(&saved), content_sha256(r.seed, 4096));
    assert_eq!(entries(dir.path()), ["fresh.bin", "mine.bin"]);
}

/// The download example's binary: the package's `download-example` binary, which cargo
/// builds with the test (the example's own source, `examples/download.rs`).
fn example_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_download-example"))
}

/// Starts the download example against `fake` for a 64 MiB resource whose body stalls for a
/// minute after 8 MiB, and returns once that much has been sent.
async fn example_mid_download(fake: &lark_tests::FakeLark, out: &Path, key: &str) -> Child {
    let size = 64 << 20;
    fake.add_resource(
        Resource::new(MESSAGE, key, ResourceKind::File, size)
            .with_disposition(Disposition::Plain("big.bin".into()))
            .with_fault(Fault::Stall {
                after_bytes: 8 << 20,
                stall: Duration::from_secs(60),
            }),
    );
    let config = fake.config();
    let mut child = Command::new(example_binary())
        .env("LARK_APP_ID", &config.app_id)
        .env("LARK_APP_SECRET", &config.app_secret)
        .args([
            "--base-url",
            &fake.base_url(),
            "--message-id",
            MESSAGE,
            "--file-key",
            key,
        ])
        .arg("--out")
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example starts");
    // The fake logs a request when its answer starts; the stall comes 8 MiB later.
    for _ in 0..600 {
        if fake
            .requests_log()
            .iter()
            .any(|l| l.path_and_query.contains(key))
        {
            tokio::time::sleep(Duration::from_millis(500)).await;
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the example never asked for the resource");
}

fn signal(child: &Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_download_example_killed_mid_download_leaves_the_directory_as_it_was() {
    let fake = fake().await;
    for (sig, name) in [(libc::SIGKILL, "SIGKILL"), (libc::SIGTERM, "SIGTERM")] {
        let dir = temp_dir();
        std::fs::write(path_in(&dir, "already-here.txt"), b"x").unwrap();
        let before = entries(dir.path());
        let mut child = example_mid_download(&fake, dir.path(), &format!("file_kill_{sig}")).await;
        signal(&child, sig);
        let status = child.wait().unwrap();
        assert!(!status.success(), "{name}: {status:?}");
        assert_eq!(entries(dir.path()), before, "{name} left something behind");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_download_example_stops_cleanly_on_ctrl_c() {
    let fake = fake().await;
    let dir = temp_dir();
    let child = example_mid_download(&fake, dir.path(), "file_ctrl_c").await;
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("interrupted: the download was stopped and nothing was saved"),
        "{stderr}"
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_save_on_a_multi_thread_runtime_stops_it_and_leaves_nothing() {
    let fake = fake().await;
    let client = client(&fake);
    fake.add_resource(
        Resource::new(MESSAGE, "file_dropped", ResourceKind::File, 4 << 20).with_fault(
            Fault::Stall {
                after_bytes: 1 << 20,
                stall: Duration::from_secs(30),
            },
        ),
    );
    let dir = temp_dir();
    let download = get(&client, "file_dropped").await.unwrap();
    let outcome =
        tokio::time::timeout(Duration::from_millis(300), download.save_to(dir.path())).await;
    assert!(
        outcome.is_err(),
        "the save was still waiting on the stalled body"
    );
    // The task doing the save is aborted with the future; its staged file goes with it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}
