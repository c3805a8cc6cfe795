//! Deduplication of re-pushed events by id.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::clock;

/// A boxed, `Send` future (the same type as `futures_util::future::BoxFuture`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Remembers which event ids were already handled, so that an event the platform pushes again
/// (same `event_id` / `uuid`) is acknowledged without running its handler twice.
///
/// [`MemoryDedup`] is the default; implement this trait to share the record between several
/// processes of one app (a Redis `SET NX EX`, say). An implementation that cannot reach its
/// store should answer `true` (handle the event) rather than lose it.
pub trait DedupStore: Send + Sync + 'static {
    /// Records `event_id` and says whether this is the first time it is seen (within the
    /// store's memory). Two concurrent calls with one id must not both answer `true`.
    fn first_seen<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, bool>;
}

/// The default [`DedupStore`]: in memory, bounded (the oldest ids are forgotten first) and
/// with a time to live.
///
/// ```
/// use std::time::Duration;
/// use lark_openapi::events::MemoryDedup;
///
/// let dedup = MemoryDedup::new(50_000, Duration::from_secs(24 * 3600));
/// # let _ = dedup;
/// ```
pub struct MemoryDedup {
    capacity: usize,
    ttl: Duration,
    state: Mutex<State>,
}

/// The ids, oldest first; each id is in `order` once.
#[derive(Default)]
struct State {
    seen: HashSet<String>,
    order: VecDeque<(String, Instant)>,
}

impl MemoryDedup {
    /// Ids remembered by [`MemoryDedup::default`].
    pub const DEFAULT_CAPACITY: usize = 10_000;
    /// How long [`MemoryDedup::default`] remembers an id: 12 hours (the platform's last
    /// re-push comes about 7 hours after the first).
    pub const DEFAULT_TTL: Duration = Duration::from_secs(12 * 3600);

    /// Remembers at most `capacity` ids (at least 1), each for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        MemoryDedup {
            capacity: capacity.max(1),
            ttl,
            state: Mutex::new(State::default()),
        }
    }

    /// How many ids are remembered now.
    pub fn len(&self) -> usize {
        self.lock().seen.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The synchronous form of [`DedupStore::first_seen`].
    fn check(&self, event_id: &str) -> bool {
        let now = clock::now();
        let mut state = self.lock();
        while let Some((id, at)) = state.order.front() {
            if clock::after(*at, self.ttl) > now {
                break;
            }
            let id = id.clone();
            state.seen.remove(&id);
            state.order.pop_front();
        }
        if state.seen.contains(event_id) {
            return false;
        }
        state.seen.insert(event_id.to_owned());
        state.order.push_back((event_id.to_owned(), now));
        while state.order.len() > self.capacity {
            if let Some((id, _)) = state.order.pop_front() {
                state.seen.remove(&id);
            }
        }
        true
    }
}

impl Default for MemoryDedup {
    /// [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) ids for [`DEFAULT_TTL`](Self::DEFAULT_TTL).
    fn default() -> Self {
        MemoryDedup::new(Self::DEFAULT_CAPACITY, Self::DEFAULT_TTL)
    }
}

impl DedupStore for MemoryDedup {
    fn first_seen<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, bool> {
        let first = self.check(event_id);
        Box::pin(std::future::ready(first))
    }
}

impl fmt::Debug for MemoryDedup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryDedup")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .field("len", &self.len())
            .finish()
    }
}
