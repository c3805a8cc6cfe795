//! Deterministic resource content.
//!
//! Every byte of a fake resource is a pure function of `(seed, offset)`, so the
//! server can stream any slice of any size without holding it in memory, and a
//! test can compute the expected bytes or checksum independently.
//!
//! Byte `p` of a resource is byte `p % 8` (little-endian) of the 64-bit word
//! `mix(key(seed) + (p / 8) * GOLDEN)`, where `mix` is the SplitMix64 finaliser.

use sha2::{Digest, Sha256};

/// Size of the chunks the server streams (and [`content_sha256`] hashes): 64 KiB.
pub const CHUNK_SIZE: usize = 64 * 1024;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64 finaliser: a cheap, well-mixing bijection on `u64`.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Per-resource key, so that nearby seeds give unrelated content.
fn key(seed: u64) -> u64 {
    mix(seed ^ 0x6C61_726B_6661_6B65) // "larkfake"
}

/// Fills `out` with the content of resource `seed` starting at byte `offset`.
///
/// Allocation-free variant of [`content_bytes`]; the server uses it to build
/// each streamed chunk.
pub fn fill_content(seed: u64, offset: u64, out: &mut [u8]) {
    let k = key(seed);
    let mut pos = offset;
    let mut i = 0;
    while i < out.len() {
        let word = mix(k.wrapping_add((pos / 8).wrapping_mul(GOLDEN))).to_le_bytes();
        let start = (pos % 8) as usize;
        let n = (8 - start).min(out.len() - i);
        out[i..i + n].copy_from_slice(&word[start..start + n]);
        i += n;
        pos = pos.wrapping_add(n as u64);
    }
}

/// The `len` bytes of resource `seed` starting at byte `offset`: exactly the
/// bytes the fake server streams for that slice.
pub fn content_bytes(seed: u64, offset: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    fill_content(seed, offset, &mut out);
    out
}

/// SHA-256 of a whole resource of `size` bytes, computed chunk by chunk
/// (memory use is one 64 KiB buffer whatever `size` is).
pub fn content_sha256(seed: u64, size: u64) -> [u8; 32] {
    content_range_sha256(seed, 0, size)
}

/// SHA-256 of the `len` bytes of resource `seed` starting at `offset` (for
/// checking a ranged or resumed download piece by piece).
pub fn content_range_sha256(seed: u64, offset: u64, len: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut buf = vec![0; CHUNK_SIZE];
    let mut done = 0u64;
    while done < len {
        let n = (len - done).min(CHUNK_SIZE as u64) as usize;
        fill_content(seed, offset + done, &mut buf[..n]);
        hasher.update(&buf[..n]);
        done += n as u64;
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_agree_with_whole_at_any_offset() {
        let whole = content_bytes(7, 0, 1000);
        for offset in [0usize, 1, 7, 8, 9, 63, 500, 999] {
            for len in [0usize, 1, 3, 8, 17] {
                let end = (offset + len).min(1000);
                assert_eq!(
                    content_bytes(7, offset as u64, end - offset),
                    whole[offset..end],
                    "offset {offset} len {len}"
                );
            }
        }
    }

    #[test]
    fn different_seeds_give_different_content() {
        assert_ne!(content_bytes(1, 0, 64), content_bytes(2, 0, 64));
        assert_ne!(content_bytes(1, 0, 64), content_bytes(1, 64, 64));
    }

    #[test]
    fn sha256_matches_hash_of_bytes() {
        let size = CHUNK_SIZE as u64 * 2 + 13;
        let bytes = content_bytes(42, 0, size as usize);
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(content_sha256(42, size), expected);
        let part: [u8; 32] = Sha256::digest(&bytes[100..5000]).into();
        assert_eq!(content_range_sha256(42, 100, 4900), part);
        let empty: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(content_sha256(42, 0), empty);
    }
}
