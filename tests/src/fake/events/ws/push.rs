//! Pushing an event to a connected client, and pushing it again until it is acked.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::frame::{Frame, METHOD_DATA};
use super::{stopped, Delivery, Out, WsPush};
use crate::fake::state::Shared;

/// Starts the delivery of `payload` on the fake's runtime; returns the first message id.
pub(super) fn spawn(
    shared: Arc<Shared>,
    payload: Vec<u8>,
    event_id: Option<String>,
    frame_type: String,
    push: WsPush,
) -> String {
    let ws = &shared.events.ws;
    let (first_id, ack_timeout, max_repush, fragment_size) = {
        let mut inner = ws.lock();
        let n = inner.next_id;
        inner.next_id += 1;
        let config = &inner.config;
        (
            message_id(n),
            config.ack_timeout,
            config.max_repush,
            push.fragment_size.or(config.fragment_size),
        )
    };
    let delivery = Arc::new(Delivery {
        event_id,
        ..Delivery::default()
    });
    let task = deliver(
        shared.clone(),
        delivery,
        first_id.clone(),
        Job {
            payload,
            frame_type,
            fragment_size,
            reverse: push.reverse_fragments,
            ack_timeout,
            max_repush,
        },
    );
    match ws
        .runtime
        .get()
        .cloned()
        .or_else(|| tokio::runtime::Handle::try_current().ok())
    {
        Some(runtime) => {
            runtime.spawn(task);
        }
        None => {
            // Without a runtime nothing can be sent; the push is recorded as unacked.
            ws.lock().counters.unacked += 1;
        }
    }
    first_id
}

fn message_id(n: u64) -> String {
    format!("fake_msg_{n:08}")
}

struct Job {
    payload: Vec<u8>,
    frame_type: String,
    fragment_size: Option<usize>,
    reverse: bool,
    ack_timeout: Duration,
    max_repush: u32,
}

async fn deliver(shared: Arc<Shared>, delivery: Arc<Delivery>, first_id: String, job: Job) {
    let ws = &shared.events.ws;
    let mut connections = ws.connections.subscribe();
    let mut shutdown = shared.shutdown.clone();
    let mut message_id = first_id;
    let mut attempt: u32 = 0;
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => return,
            open = async { connections.wait_for(|(open, _)| *open > 0).await.is_ok() } => {
                if !open {
                    return;
                }
            }
        }
        if !send(&shared, &delivery, &message_id, &job) {
            // The connection went away meanwhile: wait for another.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        }
        let acked = tokio::select! {
            _ = stopped(&mut shutdown) => return,
            r = tokio::time::timeout(job.ack_timeout, delivery.notify.notified()) => r.is_ok(),
        };
        if acked || delivery.acked.load(Ordering::SeqCst) {
            return;
        }
        let mut inner = ws.lock();
        if attempt >= job.max_repush {
            inner.counters.unacked += 1;
            return;
        }
        attempt += 1;
        inner.counters.repushes += 1;
        let n = inner.next_id;
        inner.next_id += 1;
        message_id = self::message_id(n);
    }
}

/// Sends the frames of one delivery to a random open connection; false if none.
fn send(shared: &Shared, delivery: &Arc<Delivery>, message_id: &str, job: &Job) -> bool {
    let ws = &shared.events.ws;
    let mut inner = ws.lock();
    if inner.conns.is_empty() {
        return false;
    }
    let pick = fastrand::usize(..inner.conns.len());
    let Some((service, tx)) = inner
        .conns
        .values()
        .nth(pick)
        .map(|c| (c.service_id, c.tx.clone()))
    else {
        return false;
    };
    let size = job.fragment_size.unwrap_or(usize::MAX).max(1);
    let mut chunks: Vec<&[u8]> = job.payload.chunks(size).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let sum = chunks.len();
    let trace_id: String = (0..16)
        .map(|_| char::from_digit(fastrand::u32(..16), 16).unwrap_or('0'))
        .collect();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut frames = Vec::with_capacity(sum);
    for (seq, chunk) in chunks.iter().enumerate() {
        let n = inner.next_id;
        inner.next_id += 1;
        let mut frame = Frame {
            seq_id: n,
            log_id: n,
            service,
            method: METHOD_DATA,
            payload: Some(chunk.to_vec()),
            ..Frame::default()
        };
        frame.push_header("type", job.frame_type.clone());
        frame.push_header("message_id", message_id);
        frame.push_header("sum", sum.to_string());
        frame.push_header("seq", seq.to_string());
        frame.push_header("trace_id", trace_id.clone());
        frame.push_header("timestamp", now_ms.to_string());
        frames.push(frame.to_bytes());
    }
    if job.reverse {
        frames.reverse();
    }
    for bytes in frames {
        if tx.send(Out::Frame(bytes)).is_err() {
            return false;
        }
        inner.counters.data_frames_sent += 1;
    }
    inner
        .deliveries
        .insert(message_id.to_owned(), delivery.clone());
    inner.counters.deliveries += 1;
    true
}
