//! Deduplication of re-pushed events by id.

use futures_util::future::BoxFuture;
use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::{clock, ConfigError};

/// Event ids longer than this are remembered (and keyed on Redis) by their SHA-256 instead:
/// an id, whatever its length on the wire, costs at most 71 bytes of record.
pub const MAX_ID_BYTES: usize = 64;

/// The longest time a deduplication record may remember an id: 7 days (the platform's last
/// re-push comes about 7 hours after the first).
pub const MAX_DEDUP_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The key an event id is remembered by: the id itself when it is at most
/// [`MAX_ID_BYTES`], else `sha256-<64 hex digits>`. Shared by every record (in memory,
/// Redis), so the bytes an id costs never depend on what the network sent.
pub(crate) fn dedup_key(event_id: &str) -> Cow<'_, str> {
    if event_id.len() <= MAX_ID_BYTES {
        return Cow::Borrowed(event_id);
    }
    let digest = Sha256::digest(event_id.as_bytes());
    let mut key = String::with_capacity(7 + 64);
    key.push_str("sha256-");
    for b in digest {
        key.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        key.push(char::from(b"0123456789abcdef"[usize::from(b & 0x0f)]));
    }
    Cow::Owned(key)
}

/// Checks a deduplication TTL: above zero, at most [`MAX_DEDUP_TTL`].
pub(crate) fn check_ttl(what: &str, ttl: Duration) -> Result<Duration, ConfigError> {
    if ttl.is_zero() || ttl > MAX_DEDUP_TTL {
        return Err(ConfigError::new(format!(
            "{what} is {ttl:?}; it must be above zero and at most {MAX_DEDUP_TTL:?} (7 days)"
        )));
    }
    Ok(ttl)
}

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

/// The default [`DedupStore`]: in memory, bounded by count (the oldest ids are forgotten
/// first) and by bytes (an id longer than [`MAX_ID_BYTES`] is remembered by its SHA-256, so
/// each costs at most [`BYTES_PER_ID`](Self::BYTES_PER_ID)), with a time to live.
///
/// The default, 10,000 ids, holds at most about 3 MiB however long the ids the network
/// sends.
///
/// ```
/// use std::time::Duration;
/// use lark_openapi::events::MemoryDedup;
///
/// let dedup = MemoryDedup::new(50_000, Duration::from_secs(24 * 3600))?;
/// # let _ = dedup;
/// # Ok::<(), lark_openapi::ConfigError>(())
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

    /// The most ids a record may be asked to remember: 10 million (about 3 GiB).
    pub const MAX_CAPACITY: usize = 10_000_000;
    /// An upper bound of the memory one remembered id takes: its key (at most 71 bytes)
    /// twice (the set and the order) with their allocations, an instant, and the
    /// collections' slack.
    pub const BYTES_PER_ID: usize = 320;

    /// Remembers at most `capacity` ids (1 to [`MAX_CAPACITY`](Self::MAX_CAPACITY)), each
    /// for `ttl` (above zero, at most [`MAX_DEDUP_TTL`]); other values are refused with an
    /// error naming the setting.
    pub fn new(capacity: usize, ttl: Duration) -> Result<Self, ConfigError> {
        if capacity == 0 || capacity > Self::MAX_CAPACITY {
            return Err(ConfigError::new(format!(
                "MemoryDedup capacity is {capacity}; it must be 1 to {}",
                Self::MAX_CAPACITY
            )));
        }
        Ok(MemoryDedup {
            capacity,
            ttl: check_ttl("MemoryDedup ttl", ttl)?,
            state: Mutex::new(State::default()),
        })
    }

    /// An upper bound of the memory the record holds now: [`len`](Self::len) ×
    /// [`BYTES_PER_ID`](Self::BYTES_PER_ID).
    pub fn max_bytes_now(&self) -> usize {
        self.len().saturating_mul(Self::BYTES_PER_ID)
    }

    /// The bytes of the keys remembered now (each id, or the SHA-256 that stands for a long
    /// one): what the network's ids cost, without the collections' overhead.
    pub fn key_bytes(&self) -> usize {
        self.lock().order.iter().map(|(id, _)| id.len()).sum()
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
        let key = dedup_key(event_id);
        let event_id = key.as_ref();
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
        let key = event_id.to_owned();
        state.seen.insert(key.clone());
        state.order.push_back((key, now));
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
        MemoryDedup {
            capacity: Self::DEFAULT_CAPACITY,
            ttl: Self::DEFAULT_TTL,
            state: Mutex::new(State::default()),
        }
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
