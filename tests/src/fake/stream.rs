//! Streamed bodies: generated chunk by chunk from `(seed, offset)` or sliced from bytes
//! held in memory, optionally cut off or stalled part-way.

use std::io;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::stream;
use tokio::sync::watch;

use super::content::{fill_content, CHUNK_SIZE};

/// Where a body's bytes come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// [`content_bytes`](super::content_bytes) of this seed, generated while streaming.
    Seed(u64),
    /// These bytes (an upload, a JSON answer).
    Bytes(Bytes),
}

impl Source {
    fn fill(&self, offset: u64, out: &mut [u8]) {
        match self {
            Source::Seed(seed) => fill_content(*seed, offset, out),
            Source::Bytes(bytes) => {
                let start = offset as usize;
                out.copy_from_slice(&bytes[start..start + out.len()]);
            }
        }
    }
}

/// A misbehaving body (from [`Fault::CutOff`](super::Fault::CutOff) or
/// [`Fault::Stall`](super::Fault::Stall)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BodyFault {
    /// Drop the connection after this many body bytes.
    pub cut_off_after: Option<u64>,
    /// Pause for the duration after this many body bytes.
    pub stall: Option<(u64, Duration)>,
}

/// How long the body waits after its last bytes before failing on a cut-off,
/// so hyper can flush what was sent before it drops the connection.
const CUT_OFF_FLUSH_DELAY: Duration = Duration::from_millis(100);

impl BodyFault {
    /// Whether the body misbehaves at all.
    pub fn is_active(&self) -> bool {
        self.cut_off_after.is_some() || self.stall.is_some()
    }
}

struct BodyState {
    source: Source,
    /// Absolute offset of the next byte to send.
    pos: u64,
    /// Absolute offset one past the last byte.
    end: u64,
    /// Body bytes sent so far.
    sent: u64,
    fault: BodyFault,
    shutdown: watch::Receiver<bool>,
    done: bool,
    /// Called when the last chunk is produced.
    on_complete: Option<Completion>,
}

/// What to do when a body was sent whole.
pub(crate) type Completion = Box<dyn FnOnce() + Send>;

fn abort(msg: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        format!("fake-lark: {msg}"),
    )
}

fn is_shut_down(rx: &watch::Receiver<bool>) -> bool {
    *rx.borrow() || rx.has_changed().is_err()
}

/// A body of bytes `start..end` of `source`, streamed in 64 KiB chunks.
/// The body fails (so hyper drops the connection) on a cut-off, or when the
/// fake shuts down mid-body.
pub(crate) fn body(
    source: Source,
    start: u64,
    end: u64,
    fault: BodyFault,
    shutdown: watch::Receiver<bool>,
) -> Body {
    body_then(source, start, end, fault, shutdown, None)
}

/// [`body`], calling `on_complete` just before the last chunk goes out: never when the body
/// is cut off; after a stall only once the stall is over (whether or not the client
/// waited).
pub(crate) fn body_then(
    source: Source,
    start: u64,
    end: u64,
    fault: BodyFault,
    shutdown: watch::Receiver<bool>,
    on_complete: Option<Completion>,
) -> Body {
    let state = BodyState {
        source,
        pos: start,
        end,
        sent: 0,
        fault,
        shutdown,
        done: false,
        on_complete,
    };
    Body::from_stream(stream::unfold(state, next_chunk))
}

async fn next_chunk(mut st: BodyState) -> Option<(io::Result<Bytes>, BodyState)> {
    if st.done || st.pos >= st.end {
        return None;
    }
    if is_shut_down(&st.shutdown) {
        st.done = true;
        return Some((Err(abort("server shut down")), st));
    }
    if let Some((at, pause)) = st.fault.stall {
        if st.sent >= at {
            st.fault.stall = None;
            let mut rx = st.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = rx.wait_for(|v| *v) => {
                    st.done = true;
                    return Some((Err(abort("server shut down")), st));
                }
            }
        }
    }
    let mut n = (st.end - st.pos).min(CHUNK_SIZE as u64);
    if let Some(cut) = st.fault.cut_off_after {
        if st.sent >= cut {
            tokio::time::sleep(CUT_OFF_FLUSH_DELAY).await;
            st.done = true;
            return Some((Err(abort("CutOff fault")), st));
        }
        n = n.min(cut - st.sent);
    }
    if let Some((at, _)) = st.fault.stall {
        if at > st.sent {
            n = n.min(at - st.sent);
        }
    }
    let mut buf = vec![0; n as usize];
    st.source.fill(st.pos, &mut buf);
    st.pos += n;
    st.sent += n;
    if st.pos >= st.end {
        // Before the last bytes go out, so a client that has them all sees the effect.
        if let Some(f) = st.on_complete.take() {
            f();
        }
    }
    Some((Ok(Bytes::from(buf)), st))
}
