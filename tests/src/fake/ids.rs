//! Generated identifiers: log ids, tokens, app tickets and method ids.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// Process-wide counter so ids stay unique across several fakes in one test binary.
static COUNTER: AtomicU64 = AtomicU64::new(1);

fn next() -> u64 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// Lower-case hex of SHA-256 over `parts`, truncated to `len` characters.
fn hex_digest(parts: &[&[u8]], len: usize) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let digest = h.finalize();
    let mut s: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    s.truncate(len);
    s
}

/// A fresh log id shaped like the platform's: `YYYYMMDDHHMMSS` (UTC) followed by
/// 20 upper-case hex digits (8 of them a counter), 34 characters in all.
pub fn log_id() -> String {
    let n = next();
    let secs = (now_nanos() / 1_000_000_000) as u64;
    let tail = hex_digest(&[&n.to_le_bytes(), &now_nanos().to_le_bytes()], 12);
    format!(
        "{}{:08X}{}",
        utc_timestamp(secs),
        n as u32,
        tail.to_uppercase()
    )
}

/// A fresh token `<prefix>` + 40 hex digits, like `t-caecc734…`.
pub fn token(prefix: &str, app_id: &str) -> String {
    let n = next();
    let body = hex_digest(
        &[
            app_id.as_bytes(),
            &n.to_le_bytes(),
            &now_nanos().to_le_bytes(),
        ],
        40,
    );
    format!("{prefix}{body}")
}

/// A fresh app_ticket value.
pub fn app_ticket(app_id: &str) -> String {
    let n = next();
    format!(
        "fake-ticket-{}",
        hex_digest(&[b"ticket", app_id.as_bytes(), &n.to_le_bytes()], 32)
    )
}

/// A stable 19-digit numeric method id for an endpoint id, like the ones in
/// the platform's troubleshooter links.
pub fn method_id(endpoint_id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in endpoint_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    7_000_000_000_000_000_000 + h % 1_000_000_000_000_000_000
}

/// FNV-1a of a string, used for default resource seeds.
pub fn stable_hash(s: &str) -> u64 {
    stable_hash_bytes(s.as_bytes())
}

/// FNV-1a of bytes, for ETags of stored uploads.
pub fn stable_hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `YYYYMMDDHHMMSS` for a Unix time in seconds (UTC, proleptic Gregorian).
fn utc_timestamp(secs: u64) -> String {
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_and_shapes() {
        assert_eq!(utc_timestamp(0), "19700101000000");
        assert_eq!(utc_timestamp(1_795_000_000), "20261118110640");
        let id = log_id();
        assert_eq!(id.len(), 34, "{id}");
        assert_ne!(log_id(), log_id());
        let t = token("t-", "cli_x");
        assert!(t.starts_with("t-") && t.len() == 42, "{t}");
        assert_eq!(method_id("a").to_string().len(), 19);
    }
}
