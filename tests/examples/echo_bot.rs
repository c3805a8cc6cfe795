//! The second main job: a bot that echoes the text it is sent and downloads the files.
//!
//! ```text
//! cargo run --release --example echo-bot                       # bundled fake, long connection
//! cargo run --release --example echo-bot -- --webhook 127.0.0.1:8080
//! ```
//!
//! For each `im.message.receive_v1` event: a text is answered with the same text; a file or
//! an image is downloaded with get message resource into `--out` (default `downloads/`) and
//! answered with its name and size.
//!
//! With no credentials (`LARK_APP_ID` / `LARK_APP_SECRET` unset) it starts the bundled fake
//! Lark server on 127.0.0.1, which sends it one text message and one file message, waits
//! for both answers, prints a summary and exits 0. With credentials it connects to the
//! platform (`--base-url` or `LARK_BASE_URL`, else Feishu) and runs until Ctrl-C.
//!
//! Events come over the long connection (no public URL needed), or with `--webhook ADDR`
//! as webhook POSTs to `http://ADDR/webhook/event`, checked with `LARK_ENCRYPT_KEY` and
//! `LARK_VERIFICATION_TOKEN` (with the fake: its own key and token).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use lark_openapi::events::ws::LongConnection;
use lark_openapi::events::{Dispatcher, EventContext, HandlerError, WebhookHandler};
use lark_openapi::im::v1::events::MessageReceiveV1;
use lark_openapi::im::v1::message::ReplyMessageBody;
use lark_openapi::im::v1::ResourceType;
use lark_openapi::message_content::{MessageContent, ReceivedContent, Text};
use lark_openapi::Client;
use lark_tests::{FakeConfig, FakeLark, MsgIn, WebhookPush};
use tokio::sync::mpsc;

#[derive(Parser, Debug)]
#[command(about = "A Lark / Feishu bot that echoes text and downloads the files it is sent")]
struct Args {
    /// Directory the received files are saved into.
    #[arg(long, default_value = "downloads/")]
    out: PathBuf,
    /// Serve webhook events at `http://ADDR/webhook/event` instead of the long connection.
    #[arg(long, value_name = "ADDR")]
    webhook: Option<SocketAddr>,
    /// Base URL of the Open Platform (default: Feishu).
    #[arg(long, env = "LARK_BASE_URL")]
    base_url: Option<String>,
}

/// What the bot did with one message.
#[derive(Debug, Clone)]
enum Handled {
    Echoed(String),
    Saved { path: PathBuf, size: u64 },
    Ignored(String),
    Failed(String),
}

struct Bot {
    client: Client,
    out: PathBuf,
    done: mpsc::UnboundedSender<Handled>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match (env("LARK_APP_ID"), env("LARK_APP_SECRET")) {
        (Some(id), Some(secret)) => real(args, id, secret).await,
        _ => with_fake(args).await,
    }
}

/// Connected to the platform: runs until Ctrl-C.
async fn real(args: Args, app_id: String, app_secret: String) -> ExitCode {
    let mut builder = Client::builder(app_id, app_secret);
    if let Some(url) = &args.base_url {
        builder = builder.base_url(url);
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut dispatcher = Dispatcher::builder().client(&client);
    if let Some(token) = env("LARK_VERIFICATION_TOKEN") {
        dispatcher = dispatcher.verification_token(token);
    }
    if let Some(key) = env("LARK_ENCRYPT_KEY") {
        dispatcher = dispatcher.encrypt_key(key);
    }
    let dispatcher = with_bot(dispatcher, bot(&client, &args.out, tx)).build();
    let printer = tokio::spawn(async move {
        while let Some(h) = rx.recv().await {
            report(&h);
        }
    });
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("\ninterrupted: stopping");
    };
    let result = match args.webhook {
        Some(addr) => serve_webhook(addr, dispatcher, stop).await,
        None => {
            eprintln!(
                "connecting to {} over the long connection",
                client.base_url()
            );
            LongConnection::builder(&client, dispatcher)
                .build()
                .run_until(stop)
                .await
                .map_err(|e| e.to_string())
        }
    };
    printer.abort();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// With the bundled fake: it sends a text and a file, the bot answers both, then exits.
/// A file of the same name already in `--out` is kept: the new one is saved beside it as
/// `name (1).ext`.
async fn with_fake(args: Args) -> ExitCode {
    let config = FakeConfig {
        encrypt_key: Some("echo_bot_fake_encrypt_key".to_owned()),
        ..FakeConfig::default()
    };
    let fake = match FakeLark::start(config.clone()).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot start the bundled fake Lark server: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "LARK_APP_ID / LARK_APP_SECRET are not set: using the bundled fake Lark server at {}",
        fake.base_url()
    );
    let client = Client::builder(&config.app_id, &config.app_secret)
        .base_url(fake.base_url())
        .build()
        .expect("the fake server's settings are valid");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let dispatcher = with_bot(
        Dispatcher::builder()
            .verification_token(&config.verification_token)
            .encrypt_key(config.encrypt_key.clone().unwrap_or_default()),
        bot(&client, &args.out, tx),
    )
    .build();

    let text = "Hello, echo bot!";
    let file_name = "quarterly-report.pdf";
    let file_bytes: Vec<u8> = (0..64 * 1024u32).map(|i| (i % 251) as u8).collect();
    let (text_id, text_event) = fake.deliver_message("oc_echo_bot_demo", MsgIn::Text(text.into()));
    let (file_id, file_event) = fake.deliver_message(
        "oc_echo_bot_demo",
        MsgIn::File {
            name: file_name.into(),
            bytes: file_bytes.clone(),
        },
    );

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let stop = async move {
        let _ = stop_rx.await;
    };
    let channel;
    let server = match args.webhook {
        Some(addr) => {
            let listener = match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("error: cannot listen on {addr}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let url = format!(
                "http://{}/webhook/event",
                listener.local_addr().unwrap_or(addr)
            );
            channel = format!("webhook at {url}");
            let app = lark_openapi::events::axum::router(WebhookHandler::new(dispatcher));
            let server = tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop)
                    .await
                    .map_err(|e| e.to_string())
            });
            for event in [&text_event, &file_event] {
                match fake
                    .push_webhook(&url, event, WebhookPush::encrypted())
                    .await
                {
                    Ok(r) if r.status == 200 => {}
                    Ok(r) => {
                        eprintln!("error: the webhook answered {}: {}", r.status, r.body);
                        return ExitCode::FAILURE;
                    }
                    Err(e) => {
                        eprintln!("error: cannot push to the webhook: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            server
        }
        None => {
            channel = "long connection".to_owned();
            let conn = LongConnection::builder(&client, dispatcher).build();
            let server =
                tokio::spawn(async move { conn.run_until(stop).await.map_err(|e| e.to_string()) });
            // The fake holds events until a connection is open.
            fake.ws_push(&text_event);
            fake.ws_push(&file_event);
            server
        }
    };
    eprintln!("the fake sent a text and a file message over the {channel}");

    let mut handled = Vec::new();
    while handled.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(h)) => {
                report(&h);
                handled.push(h);
            }
            Ok(None) => break,
            Err(_) => {
                eprintln!("error: no answer from the bot within 30 s");
                return ExitCode::FAILURE;
            }
        }
    }
    let _ = stop_tx.send(());
    match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        _ => {
            eprintln!("error: the bot did not stop");
            return ExitCode::FAILURE;
        }
    }

    // Check, from the fake's side, what the bot answered and saved.
    let echoed = fake
        .replies_to(&text_id)
        .iter()
        .any(|r| r.msg_type == "text" && r.content_json()["text"] == text);
    let file_reply = fake.replies_to(&file_id).into_iter().next();
    let saved_ok = handled.iter().any(|h| match h {
        Handled::Saved { path, size } => {
            *size == file_bytes.len() as u64 && std::fs::read(path).is_ok_and(|b| b == file_bytes)
        }
        _ => false,
    });
    println!(
        "summary: {} event(s) handled over the {channel}; text echoed: {}; file saved: {}; file answer: {}",
        handled.len(),
        yes(echoed),
        yes(saved_ok),
        file_reply
            .as_ref()
            .map_or_else(|| "none".to_owned(), |r| r.content_json()["text"].to_string()),
    );
    if echoed && saved_ok && file_reply.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn bot(client: &Client, out: &Path, done: mpsc::UnboundedSender<Handled>) -> Arc<Bot> {
    Arc::new(Bot {
        client: client.clone(),
        out: out.to_owned(),
        done,
    })
}

fn with_bot(
    builder: lark_openapi::events::DispatcherBuilder,
    bot: Arc<Bot>,
) -> lark_openapi::events::DispatcherBuilder {
    builder.on::<MessageReceiveV1, _, _>(move |ctx| {
        let bot = bot.clone();
        async move {
            let result = on_message(&bot, &ctx).await;
            let handled = match &result {
                Ok(h) => h.clone(),
                Err(e) => Handled::Failed(format!("{}: {e}", ctx.event.message.message_id)),
            };
            let _ = bot.done.send(handled);
            result.map(|_| ())
        }
    })
}

async fn on_message(
    bot: &Bot,
    ctx: &EventContext<MessageReceiveV1>,
) -> Result<Handled, HandlerError> {
    let message = &ctx.event.message;
    let (kind, key) = match message.parsed_content()? {
        ReceivedContent::Text(text) => {
            reply(bot, &message.message_id, &Text::new(&text)).await?;
            return Ok(Handled::Echoed(text));
        }
        ReceivedContent::File(file) => (ResourceType::File, file.file_key),
        ReceivedContent::Image(image) => (ResourceType::Image, image.image_key),
        _ => return Ok(Handled::Ignored(message.message_type.clone())),
    };
    tokio::fs::create_dir_all(&bot.out).await?;
    let path = bot
        .client
        .im()
        .v1()
        .message_resource()
        .get(&message.message_id, &key, kind)
        .await?
        .save_to(&bot.out)
        .await?;
    let size = tokio::fs::metadata(&path).await?.len();
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    reply(
        bot,
        &message.message_id,
        &Text::new(format!("saved {name} ({size} bytes)")),
    )
    .await?;
    Ok(Handled::Saved { path, size })
}

async fn reply(bot: &Bot, message_id: &str, text: &Text) -> Result<(), HandlerError> {
    bot.client
        .im()
        .v1()
        .message()
        .reply(
            message_id,
            ReplyMessageBody::new(text.message_type(), text.to_content_string()),
        )
        .await?;
    Ok(())
}

fn report(h: &Handled) {
    match h {
        Handled::Echoed(text) => println!("echoed {text:?}"),
        Handled::Saved { path, size } => println!("saved {} ({size} bytes)", path.display()),
        Handled::Ignored(what) => println!("ignored a {what} message"),
        Handled::Failed(why) => eprintln!("failed: {why}"),
    }
}

async fn serve_webhook(
    addr: SocketAddr,
    dispatcher: Dispatcher,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!("serving webhook events at http://{addr}/webhook/event");
    let app = lark_openapi::events::axum::router(WebhookHandler::new(dispatcher));
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
        .map_err(|e| e.to_string())
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
