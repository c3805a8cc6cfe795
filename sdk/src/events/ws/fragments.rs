//! Reassembly of fragmented data frames: by `message_id`, `sum` parts indexed by `seq`,
//! with a timeout and caps on what is held.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;

/// The most fragments one message may announce.
pub(crate) const MAX_FRAGMENTS_PER_MESSAGE: usize = 1024;

/// What happened to a fragment.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reassembled {
    /// The message is complete: its payload (a whole message's own bytes, not copied).
    Complete(Bytes),
    /// Kept; more fragments are awaited.
    Pending,
    /// Refused (bad `sum`/`seq`, or larger than the memory cap): why.
    Rejected(&'static str),
}

/// The limits of the reassembly buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// A partial message is dropped this long after its first fragment arrived.
    pub timeout: Duration,
    /// The most partial messages held at once (the oldest is dropped beyond it).
    pub max_messages: usize,
    /// The most payload bytes held at once (the oldest messages are dropped beyond it).
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(5),
            max_messages: 256,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

struct Partial {
    first_seen: Instant,
    parts: Vec<Option<Bytes>>,
    received: usize,
    bytes: usize,
}

impl Partial {
    /// Nothing received yet of a message in `sum` parts.
    fn new(first_seen: Instant, sum: usize) -> Self {
        Partial {
            first_seen,
            parts: vec![None; sum],
            received: 0,
            bytes: 0,
        }
    }
}

/// The partial messages of one connection.
pub(crate) struct Reassembler {
    limits: Limits,
    partials: HashMap<String, Partial>,
    bytes: usize,
}

impl Reassembler {
    pub(crate) fn new(limits: Limits) -> Self {
        Reassembler {
            limits,
            partials: HashMap::new(),
            bytes: 0,
        }
    }

    /// Number of partial messages held.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.partials.len()
    }

    /// Payload bytes held.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds the fragment `seq` (from 0) of `sum` of message `message_id`, received at `now`.
    /// A `sum` of 0 or 1 is a whole message.
    pub(crate) fn add(
        &mut self,
        message_id: &str,
        sum: i64,
        seq: i64,
        payload: Bytes,
        now: Instant,
    ) -> Reassembled {
        self.expire(now);
        if sum <= 1 {
            return Reassembled::Complete(payload);
        }
        let Ok(sum) = usize::try_from(sum) else {
            return Reassembled::Rejected("bad sum");
        };
        if sum > MAX_FRAGMENTS_PER_MESSAGE {
            return Reassembled::Rejected("too many fragments");
        }
        let Some(seq) = usize::try_from(seq).ok().filter(|s| *s < sum) else {
            return Reassembled::Rejected("seq out of range");
        };
        if message_id.is_empty() {
            return Reassembled::Rejected("fragment without message_id");
        }
        if payload.len() > self.limits.max_bytes {
            self.remove(message_id);
            return Reassembled::Rejected("fragment larger than the memory cap");
        }

        let partial = self
            .partials
            .entry(message_id.to_owned())
            .or_insert_with(|| Partial::new(now, sum));
        if partial.parts.len() != sum {
            // The same id with another `sum`: start over with this fragment.
            self.bytes -= partial.bytes;
            *partial = Partial::new(now, sum);
        }
        let added = payload.len();
        match partial.parts[seq].replace(payload) {
            Some(old) => {
                partial.bytes -= old.len();
                self.bytes -= old.len();
            }
            None => partial.received += 1,
        }
        partial.bytes += added;
        self.bytes += added;

        if partial.received == sum {
            let Some(partial) = self.partials.remove(message_id) else {
                return Reassembled::Pending;
            };
            self.bytes -= partial.bytes;
            let mut whole = Vec::with_capacity(partial.bytes);
            for part in partial.parts.into_iter().flatten() {
                whole.extend_from_slice(&part);
            }
            return Reassembled::Complete(Bytes::from(whole));
        }

        self.enforce_caps(message_id);
        if self.partials.contains_key(message_id) {
            Reassembled::Pending
        } else {
            Reassembled::Rejected("dropped to stay within the memory cap")
        }
    }

    /// Drops the partial messages older than the timeout; returns how many.
    pub(crate) fn expire(&mut self, now: Instant) -> usize {
        let timeout = self.limits.timeout;
        let before = self.partials.len();
        let mut freed = 0;
        self.partials.retain(|id, p| {
            let keep = now.saturating_duration_since(p.first_seen) < timeout;
            if !keep {
                tracing::warn!(
                    message_id = %id,
                    received = p.received,
                    sum = p.parts.len(),
                    "long connection: dropping an incomplete fragmented message after the timeout"
                );
                freed += p.bytes;
            }
            keep
        });
        self.bytes -= freed;
        before - self.partials.len()
    }

    /// When the oldest partial message expires (for a timer), if any.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.partials
            .values()
            .map(|p| p.first_seen + self.limits.timeout)
            .min()
    }

    fn remove(&mut self, message_id: &str) {
        if let Some(p) = self.partials.remove(message_id) {
            self.bytes -= p.bytes;
        }
    }

    /// Drops the oldest partial messages until both caps hold; `newest` goes last.
    fn enforce_caps(&mut self, newest: &str) {
        while self.partials.len() > self.limits.max_messages || self.bytes > self.limits.max_bytes {
            let oldest = self
                .partials
                .iter()
                .filter(|(id, _)| id.as_str() != newest || self.partials.len() == 1)
                .min_by_key(|(_, p)| p.first_seen)
                .map(|(id, _)| id.clone());
            let Some(oldest) = oldest else { break };
            tracing::warn!(
                message_id = %oldest,
                "long connection: dropping an incomplete fragmented message to stay within the memory cap"
            );
            self.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            timeout: Duration::from_secs(5),
            max_messages: 3,
            max_bytes: 100,
        }
    }

    #[test]
    fn whole_messages_pass_through() {
        let mut r = Reassembler::new(limits());
        let now = Instant::now();
        assert_eq!(
            r.add("m", 1, 0, b"abc".to_vec().into(), now),
            Reassembled::Complete(bytes::Bytes::from_static(b"abc"))
        );
        assert_eq!(
            r.add("", 0, 0, b"x".to_vec().into(), now),
            Reassembled::Complete(bytes::Bytes::from_static(b"x"))
        );
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn fragments_in_any_order_are_joined_in_seq_order() {
        let mut r = Reassembler::new(limits());
        let now = Instant::now();
        assert_eq!(
            r.add("m", 3, 2, b"ghi".to_vec().into(), now),
            Reassembled::Pending
        );
        assert_eq!(
            r.add("m", 3, 0, b"abc".to_vec().into(), now),
            Reassembled::Pending
        );
        // A repeated fragment replaces the first copy.
        assert_eq!(
            r.add("m", 3, 0, b"abc".to_vec().into(), now),
            Reassembled::Pending
        );
        assert_eq!(r.bytes(), 6);
        assert_eq!(
            r.add("m", 3, 1, b"def".to_vec().into(), now),
            Reassembled::Complete(bytes::Bytes::from_static(b"abcdefghi"))
        );
        assert_eq!(r.pending(), 0);
        assert_eq!(r.bytes(), 0);
    }

    #[test]
    fn interleaved_messages_are_kept_apart() {
        let mut r = Reassembler::new(limits());
        let now = Instant::now();
        assert_eq!(
            r.add("a", 2, 0, b"a0".to_vec().into(), now),
            Reassembled::Pending
        );
        assert_eq!(
            r.add("b", 2, 1, b"b1".to_vec().into(), now),
            Reassembled::Pending
        );
        assert_eq!(
            r.add("b", 2, 0, b"b0".to_vec().into(), now),
            Reassembled::Complete(bytes::Bytes::from_static(b"b0b1"))
        );
        assert_eq!(
            r.add("a", 2, 1, b"a1".to_vec().into(), now),
            Reassembled::Complete(bytes::Bytes::from_static(b"a0a1"))
        );
    }

    #[test]
    fn partials_expire_after_the_timeout() {
        let mut r = Reassembler::new(limits());
        let t0 = Instant::now();
        assert_eq!(
            r.add("m", 2, 0, b"abc".to_vec().into(), t0),
            Reassembled::Pending
        );
        assert_eq!(r.next_expiry(), Some(t0 + Duration::from_secs(5)));
        assert_eq!(r.expire(t0 + Duration::from_secs(4)), 0);
        // The late second half starts a new partial message: the first half is gone.
        let late = t0 + Duration::from_secs(6);
        assert_eq!(
            r.add("m", 2, 1, b"def".to_vec().into(), late),
            Reassembled::Pending
        );
        assert_eq!(r.pending(), 1);
        assert_eq!(r.bytes(), 3);
        assert_eq!(r.expire(late + Duration::from_secs(5)), 1);
        assert_eq!((r.pending(), r.bytes()), (0, 0));
        assert_eq!(r.next_expiry(), None);
    }

    #[test]
    fn bad_indexes_are_rejected() {
        let mut r = Reassembler::new(limits());
        let now = Instant::now();
        assert!(matches!(
            r.add("m", 2, 2, vec![1].into(), now),
            Reassembled::Rejected(_)
        ));
        assert!(matches!(
            r.add("m", 2, -1, vec![1].into(), now),
            Reassembled::Rejected(_)
        ));
        assert!(matches!(
            r.add("m", 1_000_000, 0, vec![1].into(), now),
            Reassembled::Rejected(_)
        ));
        assert!(matches!(
            r.add("", 2, 0, vec![1].into(), now),
            Reassembled::Rejected(_)
        ));
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn a_changed_sum_starts_over() {
        let mut r = Reassembler::new(limits());
        let now = Instant::now();
        assert_eq!(
            r.add("m", 3, 0, b"abc".to_vec().into(), now),
            Reassembled::Pending
        );
        assert_eq!(
            r.add("m", 2, 0, b"x".to_vec().into(), now),
            Reassembled::Pending
        );
        assert_eq!(r.bytes(), 1);
        assert_eq!(
            r.add("m", 2, 1, b"y".to_vec().into(), now),
            Reassembled::Complete(bytes::Bytes::from_static(b"xy"))
        );
    }

    #[test]
    fn caps_drop_the_oldest() {
        let mut r = Reassembler::new(limits());
        let t0 = Instant::now();
        let ms = Duration::from_millis(1);
        for (i, id) in ["a", "b", "c", "d"].into_iter().enumerate() {
            let _ = r.add(id, 2, 0, vec![0; 10].into(), t0 + ms * i as u32);
        }
        assert_eq!(r.pending(), 3, "max_messages = 3");
        // "a" was the oldest: its second half starts afresh.
        assert_eq!(
            r.add("a", 2, 1, vec![0; 10].into(), t0 + ms * 5),
            Reassembled::Pending
        );
        assert_eq!(r.pending(), 3);
        assert_eq!(r.bytes(), 30);

        // Bytes: a 90-byte fragment evicts older ones to stay within 100.
        assert_eq!(
            r.add("e", 2, 0, vec![0; 90].into(), t0 + ms * 6),
            Reassembled::Pending
        );
        assert!(r.bytes() <= 100, "{}", r.bytes());
        // A fragment larger than the whole cap is refused.
        assert!(matches!(
            r.add("f", 2, 0, vec![0; 101].into(), t0 + ms * 7),
            Reassembled::Rejected(_)
        ));
        assert!(r.bytes() <= 100);
    }

    #[test]
    fn a_message_growing_past_the_cap_is_dropped() {
        let mut r = Reassembler::new(limits());
        let now = Instant::now();
        assert_eq!(
            r.add("m", 3, 0, vec![0; 60].into(), now),
            Reassembled::Pending
        );
        assert!(matches!(
            r.add("m", 3, 1, vec![0; 60].into(), now),
            Reassembled::Rejected(_)
        ));
        assert_eq!((r.pending(), r.bytes()), (0, 0));
    }
}
