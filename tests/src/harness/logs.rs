//! What `tracing` writes while a test runs: to check what is logged, and that no secret is.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::Layer as _;

/// Log lines captured while a test runs ([`CapturedLogs::install`]): everything `tracing`
/// emits on the installing thread (on a current-thread runtime, every task) at the level
/// asked for or above.
///
/// One global subscriber, installed once per test process, routes each event to the
/// capture of the thread it happens on. (A thread-local default per test would miss events
/// when other tests create and drop their own on other threads: tracing caches each
/// callsite's interest and the global level hint across all dispatchers, a race a loaded
/// machine makes visible.)
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

thread_local! {
    /// The captures of this thread, innermost last, each with its level.
    static CAPTURES: RefCell<Vec<(CapturedLogs, Level)>> = const { RefCell::new(Vec::new()) };
}

/// The capture an event at `level` on this thread goes to, if any.
fn capture_for(level: &Level) -> Option<CapturedLogs> {
    CAPTURES
        .try_with(|c| {
            c.borrow()
                .last()
                .filter(|(_, max)| level <= max)
                .map(|(logs, _)| logs.clone())
        })
        .ok()
        .flatten()
}

/// Writes to the current thread's capture.
struct ThreadCapture;

impl<'a> MakeWriter<'a> for ThreadCapture {
    type Writer = Box<dyn Write + 'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Box::new(std::io::sink())
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        match capture_for(meta.level()) {
            Some(logs) => Box::new(logs),
            None => Box::new(std::io::sink()),
        }
    }
}

/// Ends a capture when dropped.
#[must_use = "the capture ends when the guard is dropped"]
pub struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        let _ = CAPTURES.try_with(|c| c.borrow_mut().pop());
    }
}

impl CapturedLogs {
    /// Captures, as plain text (span closings included), what is logged at `level` or
    /// above on this thread until the guard is dropped.
    pub fn install(level: Level) -> (CapturedLogs, CaptureGuard) {
        static GLOBAL: Once = Once::new();
        GLOBAL.call_once(|| {
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(ThreadCapture)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
                .with_ansi(false)
                // Dynamic: decided per event (a plain `filter_fn` caches its first answer
                // per callsite, which depends on the thread).
                .with_filter(tracing_subscriber::filter::dynamic_filter_fn(|meta, _| {
                    capture_for(meta.level()).is_some()
                }));
            let subscriber = tracing_subscriber::registry().with(layer);
            // A test process that installed its own global subscriber keeps it.
            let _ = tracing::subscriber::set_global_default(subscriber);
        });
        let logs = CapturedLogs::default();
        CAPTURES.with(|c| c.borrow_mut().push((logs.clone(), level)));
        (logs, CaptureGuard(()))
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// How many lines contain `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.text().lines().filter(|l| l.contains(needle)).count()
    }

    /// Waits (up to `timeout`) for a line that has every one of `parts`, and returns it;
    /// panics with the whole log if none comes.
    pub async fn wait_line(&self, parts: &[&str], timeout: Duration) -> String {
        let found = tokio::time::timeout(timeout, async {
            loop {
                if let Some(line) = self
                    .text()
                    .lines()
                    .find(|l| parts.iter().all(|p| l.contains(p)))
                {
                    return line.to_owned();
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no log line with {parts:?}; log:\n{}", self.text()))
    }
}
