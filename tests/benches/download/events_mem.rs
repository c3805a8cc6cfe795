//! Section 8: events under load, memory. A client process on the long connection offered
//! 1,000 events of 4 MiB as fast as it reads, with a handler that holds each event for 10 s;
//! and a dispatcher's deduplication record after 10,000 events whose ids are 64 KiB each.
//! Each runs in a child process whose peak RSS the spawner reads (`wait4`).
//!
//! Runs alone with `cargo xtask bench --only events`, which rewrites only this section.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use lark_openapi::events::ws::LongConnection;
use lark_openapi::events::{Channel, Dispatcher, EventContext, MemoryDedup};
use lark_openapi::im::v1::events::MessageReceiveV1;
use lark_openapi::Client;
use lark_tests::fake::events::frame::Frame;
use tokio::net::TcpListener;

use crate::measure::{run_child, ChildRun};
use crate::Result;

/// The section's heading (the `--only events` splice looks for it).
pub const HEADING: &str = "## 8. Events under load: memory";
/// Child mode: the long-connection client.
pub const WS_MODE: &str = "child-events-ws";
/// Child mode: the deduplication record.
pub const DEDUP_MODE: &str = "child-events-dedup";

/// Events offered, and the size of each.
const EVENTS: usize = 1_000;
const EVENT_BYTES: usize = 4 << 20;
/// How long the handler holds each event.
const HANDLER_SLEEP: Duration = Duration::from_secs(10);
/// How long the client runs (two generations of handlers and more).
const WINDOW: Duration = Duration::from_secs(30);
/// Events and id size of the deduplication run.
const DEDUP_EVENTS: usize = 10_000;
const DEDUP_ID_BYTES: usize = 64 << 10;
/// The bound the figures are held to.
pub const BOUND_MIB: f64 = 64.0;

/// What the section measured.
#[derive(Debug, Clone)]
pub struct EventsFigures {
    pub ws: ChildRun,
    /// Events whose handler started within the window, and that finished.
    pub ws_started: usize,
    pub ws_done: usize,
    /// Frames the server wrote before the window closed (the rest waited on the socket).
    pub ws_offered: usize,
    pub dedup: ChildRun,
    pub dedup_kept: usize,
    pub dedup_key_bytes: usize,
}

/// The `n`th event: `im.message.receive_v1` whose content is 4 MiB of text, in the fake's
/// own frame (independent of the SDK's).
fn event_frame(n: usize) -> Vec<u8> {
    let text = "x".repeat(EVENT_BYTES);
    let content = serde_json::json!({ "text": text }).to_string();
    let envelope = serde_json::json!({
        "schema": "2.0",
        "header": {"event_id": format!("ev_{n}"), "event_type": "im.message.receive_v1", "create_time": "1"},
        "event": {"message": {"message_id": format!("om_{n}"), "chat_id": "oc_1", "chat_type": "p2p",
                               "message_type": "text", "content": content, "create_time": "1"},
                  "sender": {"sender_id": {"open_id": "ou_1"}, "sender_type": "user"}}
    });
    let payload = serde_json::to_vec(&envelope).unwrap_or_default();
    Frame::data(&format!("m_{n}"), "event", payload).to_bytes()
}

/// `download child-events-ws BASE_URL SECONDS`: a client on the long connection with a
/// handler holding each event for 10 s; prints `started N` and `done N` when the window
/// closes.
pub fn ws_main(args: &[String]) -> ExitCode {
    let [base_url, seconds] = args else {
        eprintln!("usage: download {WS_MODE} BASE_URL SECONDS");
        return ExitCode::from(2);
    };
    let window = Duration::from_secs(seconds.parse().unwrap_or(30));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("child: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let client = Client::builder("cli_bench_events", "bench-secret")
            .base_url(base_url.as_str())
            .build()
            .map_err(|e| e.to_string())?;
        let started = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let (s, d) = (started.clone(), done.clone());
        // The defaults: the figure is what an app gets without tuning.
        let dispatcher = Dispatcher::builder()
            .on::<MessageReceiveV1, _, _>(move |ctx: EventContext<MessageReceiveV1>| {
                let (s, d) = (s.clone(), d.clone());
                async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(HANDLER_SLEEP).await;
                    std::hint::black_box(&ctx.event);
                    d.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            })
            .build();
        let connection = LongConnection::builder(&client, dispatcher).build();
        connection
            .run_until(tokio::time::sleep(window))
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((started.load(Ordering::SeqCst), done.load(Ordering::SeqCst)))
    });
    match result {
        Ok((started, done)) => {
            println!("started {started}");
            println!("done {done}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("child: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `download child-events-dedup N ID_BYTES`: `N` events through a dispatcher with the
/// default deduplication record, each with an id of `ID_BYTES`; prints `kept N` and
/// `key_bytes N`.
pub fn dedup_main(args: &[String]) -> ExitCode {
    let [events, id_bytes] = args else {
        eprintln!("usage: download {DEDUP_MODE} N ID_BYTES");
        return ExitCode::from(2);
    };
    let (Ok(events), Ok(id_bytes)) = (events.parse::<usize>(), id_bytes.parse::<usize>()) else {
        eprintln!("child: N and ID_BYTES are numbers");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("child: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dedup = Arc::new(MemoryDedup::default());
    let dispatcher = Dispatcher::builder()
        .dedup_shared(dedup.clone())
        .on_unknown(|_raw| async { Ok(()) })
        .build();
    runtime.block_on(async {
        for n in 0..events {
            let id = format!("{n:08}{}", "i".repeat(id_bytes.saturating_sub(8)));
            let body = serde_json::to_vec(&serde_json::json!({
                "schema": "2.0",
                "header": {"event_id": id, "event_type": "bench.event_v1"},
                "event": {}
            }))
            .unwrap_or_default();
            let answer = dispatcher.dispatch(&body, Channel::LongConnection).await;
            assert!(answer.is_ok(), "{answer:?}");
        }
        tokio::task::yield_now().await;
    });
    println!("kept {}", dedup.len());
    println!("key_bytes {}", dedup.key_bytes());
    ExitCode::SUCCESS
}

/// Serves `/callback/ws/endpoint` and a WebSocket that writes [`EVENTS`] frames as fast as
/// the client reads them (one built at a time), answering pings; counts the frames written.
async fn serve(offered: Arc<AtomicUsize>) -> Result<String> {
    let ws_listener = TcpListener::bind("127.0.0.1:0").await?;
    let ws_addr = ws_listener.local_addr()?;
    tokio::spawn(async move {
        let Ok((socket, _)) = ws_listener.accept().await else {
            return;
        };
        let Ok(ws) = tokio_tungstenite::accept_async(socket).await else {
            return;
        };
        let (mut sink, mut stream) = ws.split();
        // Acknowledgements and pings are read (and dropped) so the client never blocks.
        tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
        for n in 0..EVENTS {
            let frame = event_frame(n);
            let message = tokio_tungstenite::tungstenite::Message::Binary(frame.into());
            if sink.send(message).await.is_err() {
                return;
            }
            offered.fetch_add(1, Ordering::SeqCst);
        }
    });
    let url = format!("ws://{ws_addr}/ws?device_id=bench&service_id=1");
    let app = axum::Router::new().route(
        "/callback/ws/endpoint",
        axum::routing::post(move || {
            let url = url.clone();
            async move {
                axum::Json(serde_json::json!({
                    "code": 0, "msg": "ok",
                    "data": {"URL": url, "ClientConfig": {"PingInterval": 120, "ReconnectCount": 1}}
                }))
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(base)
}

fn field(stdout: &str, name: &str) -> usize {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

/// Runs both measurements.
pub fn run() -> Result<EventsFigures> {
    let exe = std::env::current_exe()?;
    let exe_s = exe.display().to_string();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let offered = Arc::new(AtomicUsize::new(0));
    let base = runtime.block_on(serve(offered.clone()))?;
    eprintln!(
        "bench: events: {EVENTS} events of 4 MiB for {} s…",
        WINDOW.as_secs()
    );
    let t = Instant::now();
    let ws = run_child(
        &exe,
        &[
            exe_s.clone(),
            WS_MODE.into(),
            base,
            WINDOW.as_secs().to_string(),
        ],
    )?;
    if !ws.success {
        return Err(format!("{WS_MODE}: {} {}", ws.status, ws.stderr.trim()).into());
    }
    eprintln!(
        "bench: events: ws child done in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let ws_offered = offered.load(Ordering::SeqCst);
    drop(runtime);
    eprintln!("bench: events: {DEDUP_EVENTS} events with 64 KiB ids…");
    let dedup = run_child(
        &exe,
        &[
            exe_s,
            DEDUP_MODE.into(),
            DEDUP_EVENTS.to_string(),
            DEDUP_ID_BYTES.to_string(),
        ],
    )?;
    if !dedup.success {
        return Err(format!("{DEDUP_MODE}: {} {}", dedup.status, dedup.stderr.trim()).into());
    }
    Ok(EventsFigures {
        ws_started: field(&ws.stdout, "started "),
        ws_done: field(&ws.stdout, "done "),
        ws_offered,
        dedup_kept: field(&dedup.stdout, "kept "),
        dedup_key_bytes: field(&dedup.stdout, "key_bytes "),
        ws,
        dedup,
    })
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn verdict(kib: u64) -> &'static str {
    if mib(kib) <= BOUND_MIB {
        "PASS"
    } else {
        "FAIL"
    }
}

/// The section's Markdown.
pub fn render(f: &EventsFigures, time: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "
{HEADING}

Every quantity the network drives is bounded (issue 16; README \"Bounds\"). Each figure is
the peak RSS of a child process (`wait4`'s `ru_maxrss`; the spawner's own peak, the floor
under it, was {:.1} MiB), held to **≤ {BOUND_MIB:.0} MiB**. Measured in {:.1} s
(`cargo xtask bench --only events` reruns this section alone).

| measure | peak RSS | bound | result |
|---|---:|---:|---|
| long connection: {EVENTS} events of 4 MiB offered as fast as read, handler holds each 10 s, default limits, {} s | {:.1} MiB | {BOUND_MIB:.0} MiB | {} |
| dispatcher: {DEDUP_EVENTS} events with 64 KiB ids, default deduplication record | {:.1} MiB | {BOUND_MIB:.0} MiB | {} |

- Long connection: in {} s the server wrote {} frames; {} handlers started and {} finished
  (the default budget: 64 handlers, 8 MiB of events: one of these at a time). The rest were
  not read from the socket: unacknowledged, the platform pushes them again, and nothing is
  lost. A handler that holds a 4 MiB event for 10 s makes this a throughput of one such
  event per 10 s, by design; events of a few KiB run 64 at a time.
- Deduplication: the record kept {} ids in {} bytes of keys (ids over 64 bytes are
  remembered by their SHA-256: at most 71 bytes each, whatever arrives).",
        mib(f.ws.spawner_rss_kib.max(f.dedup.spawner_rss_kib)),
        time.as_secs_f64(),
        WINDOW.as_secs(),
        mib(f.ws.max_rss_kib),
        verdict(f.ws.max_rss_kib),
        mib(f.dedup.max_rss_kib),
        verdict(f.dedup.max_rss_kib),
        WINDOW.as_secs(),
        f.ws_offered,
        f.ws_started,
        f.ws_done,
        f.dedup_kept,
        f.dedup_key_bytes,
    );
    out
}
