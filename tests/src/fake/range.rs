//! `Range: bytes=…` request header handling (RFC 9110 §14), single ranges only.

/// What the server should do with a request's `Range` header for a body of a
/// given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeDecision {
    /// No usable range: send the whole body with 200. Also used for
    /// syntactically invalid or multi-range headers, which a server may ignore.
    Full,
    /// Send bytes `start..=end` with 206 and `Content-Range: bytes start-end/size`.
    Partial {
        /// First byte (inclusive).
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
}

/// Interprets a `Range` header value for a body of `size` bytes. Supports
/// `bytes=N-`, `bytes=N-M` (M is clamped to the last byte) and `bytes=-S`
/// (the last S bytes).
pub fn decide(header: &str, size: u64) -> RangeDecision {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeDecision::Full;
    };
    if spec.contains(',') {
        return RangeDecision::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeDecision::Full;
    };
    let parse = |s: &str| -> Option<u64> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, true) => RangeDecision::Full,
        (true, false) => {
            let Some(suffix) = parse(last) else {
                return RangeDecision::Full;
            };
            if suffix == 0 || size == 0 {
                return RangeDecision::Unsatisfiable;
            }
            RangeDecision::Partial {
                start: size - suffix.min(size),
                end: size - 1,
            }
        }
        (false, open_end) => {
            let Some(start) = parse(first) else {
                return RangeDecision::Full;
            };
            let end = if open_end {
                u64::MAX
            } else {
                match parse(last) {
                    Some(end) if end >= start => end,
                    _ => return RangeDecision::Full,
                }
            };
            if start >= size {
                return RangeDecision::Unsatisfiable;
            }
            RangeDecision::Partial {
                start,
                end: end.min(size - 1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{decide, RangeDecision::*};

    #[test]
    fn parses_the_usual_forms() {
        assert_eq!(decide("bytes=0-", 10), Partial { start: 0, end: 9 });
        assert_eq!(decide("bytes=3-5", 10), Partial { start: 3, end: 5 });
        assert_eq!(decide("bytes=3-500", 10), Partial { start: 3, end: 9 });
        assert_eq!(decide("bytes=-4", 10), Partial { start: 6, end: 9 });
        assert_eq!(decide("bytes=-40", 10), Partial { start: 0, end: 9 });
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        assert_eq!(decide("bytes=10-", 10), Unsatisfiable);
        assert_eq!(decide("bytes=-0", 10), Unsatisfiable);
        assert_eq!(decide("bytes=0-", 0), Unsatisfiable);
        assert_eq!(decide("bytes=5-3", 10), Full);
        assert_eq!(decide("bytes=0-1,3-4", 10), Full);
        assert_eq!(decide("items=0-1", 10), Full);
        assert_eq!(decide("bytes=x-", 10), Full);
        assert_eq!(decide("bytes=-", 10), Full);
    }
}
