//! The webhook's cryptography: AES-256-CBC bodies and `X-Lark-Signature`.
//!
//! When an app has an Encrypt Key, the platform sends `{"encrypt": "<base64>"}` bodies and signs
//! every request. [`decrypt`] opens a body, [`verify_signature`] checks a signature in
//! constant time. [`WebhookHandler`](super::WebhookHandler) does both; these functions are
//! public for custom transports and tests.
//!
//! ```
//! use lark_openapi::events::crypto;
//!
//! // `{"hello":"world"}` sealed under "kat-encrypt-key" with the IV 00 01 … 0f (openssl).
//! let sealed = "AAECAwQFBgcICQoLDA0OD/JV5WxUlTkLznTHlJNlLJ0rDGdtY9bA7r7C5OFpDLp0";
//! let plain = crypto::decrypt("kat-encrypt-key", sealed)?;
//! assert_eq!(plain, br#"{"hello":"world"}"#);
//!
//! let sig = crypto::signature("1700000000", "nonce", "my encrypt key", b"{}");
//! assert!(crypto::verify_signature("1700000000", "nonce", "my encrypt key", b"{}", &sig));
//! # Ok::<(), crypto::DecryptError>(())
//! ```

use aes::Aes256;
use base64::Engine as _;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// AES block size: the IV's length and the unit of the ciphertext.
const BLOCK: usize = 16;

/// Why an encrypted body could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// The `encrypt` value is not standard base64.
    #[error("encrypted body is not valid base64")]
    Base64,
    /// Shorter than an IV and one block.
    #[error("encrypted body is too short")]
    TooShort,
    /// The ciphertext is not a whole number of 16-byte blocks.
    #[error("encrypted body is not a whole number of AES blocks")]
    BlockLength,
    /// The PKCS#7 padding is wrong (a wrong key, most likely).
    #[error("encrypted body has bad padding (wrong encrypt key?)")]
    Padding,
}

/// The AES-256 key: SHA-256 of the Encrypt Key.
fn key_of(encrypt_key: &str) -> [u8; 32] {
    Sha256::digest(encrypt_key.as_bytes()).into()
}

/// Opens the `encrypt` value of a webhook body: base64-decodes it, takes its first 16 bytes
/// as the IV and decrypts the rest with AES-256-CBC under `SHA-256(encrypt_key)`, checking
/// and removing the PKCS#7 padding.
///
/// Never panics, whatever the input.
pub fn decrypt(encrypt_key: &str, encrypted_b64: &str) -> Result<Vec<u8>, DecryptError> {
    let data = base64::engine::general_purpose::STANDARD
        .decode(encrypted_b64.trim().as_bytes())
        .map_err(|_| DecryptError::Base64)?;
    if data.len() < 2 * BLOCK {
        return Err(DecryptError::TooShort);
    }
    let (iv, ciphertext) = data.split_at(BLOCK);
    if ciphertext.len() % BLOCK != 0 {
        return Err(DecryptError::BlockLength);
    }
    let key = key_of(encrypt_key);
    let cipher =
        cbc::Decryptor::<Aes256>::new_from_slices(&key, iv).map_err(|_| DecryptError::TooShort)?;
    cipher
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map_err(|_| DecryptError::Padding)
}

/// Seals `plaintext` as the platform does: AES-256-CBC under `SHA-256(encrypt_key)` with
/// PKCS#7 padding, the IV prepended, the whole base64-encoded. The inverse of [`decrypt`];
/// for the tests (the fake has its own).
#[cfg(test)]
pub(crate) fn encrypt(encrypt_key: &str, plaintext: &[u8], iv: [u8; 16]) -> String {
    let key = key_of(encrypt_key);
    use cbc::cipher::BlockEncryptMut;
    let cipher = cbc::Encryptor::<Aes256>::new(&key.into(), &iv.into());
    let ciphertext = cipher.encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut out = Vec::with_capacity(BLOCK + ciphertext.len());
    out.extend_from_slice(&iv);
    out.extend_from_slice(&ciphertext);
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// The `X-Lark-Signature` of a request: lowercase hex of
/// `SHA-256(timestamp + nonce + encrypt_key + body)`, `body` being the exact bytes received.
pub fn signature(timestamp: &str, nonce: &str, encrypt_key: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(timestamp.as_bytes());
    hasher.update(nonce.as_bytes());
    hasher.update(encrypt_key.as_bytes());
    hasher.update(body);
    hex(&hasher.finalize())
}

/// Whether `expected` (the `X-Lark-Signature` header) is the [`signature`] of this request.
/// Compared in constant time; hex case is ignored. Never panics.
pub fn verify_signature(
    timestamp: &str,
    nonce: &str,
    encrypt_key: &str,
    body: &[u8],
    expected: &str,
) -> bool {
    hex_matches(&signature(timestamp, nonce, encrypt_key, body), expected)
}

/// The `X-Lark-Signature` of an old-format card callback (no `schema`, an `action` at the
/// top level): lowercase hex of `SHA-1(timestamp + nonce + verification_token + body)`, as
/// the platform signs them (the official SDKs' card handlers check the same).
pub fn legacy_card_signature(
    timestamp: &str,
    nonce: &str,
    verification_token: &str,
    body: &[u8],
) -> String {
    let mut hasher = sha1::Sha1::new();
    hasher.update(timestamp.as_bytes());
    hasher.update(nonce.as_bytes());
    hasher.update(verification_token.as_bytes());
    hasher.update(body);
    hex(&hasher.finalize())
}

/// Whether `expected` is the [`legacy_card_signature`] of this request; constant time,
/// hex case ignored, never panics.
pub fn verify_legacy_card_signature(
    timestamp: &str,
    nonce: &str,
    verification_token: &str,
    body: &[u8],
    expected: &str,
) -> bool {
    hex_matches(
        &legacy_card_signature(timestamp, nonce, verification_token, body),
        expected,
    )
}

/// Whether `expected` (trimmed, any hex case) equals the lowercase hex `actual`; constant
/// time over the bytes (the length is not hidden).
fn hex_matches(actual: &str, expected: &str) -> bool {
    let expected = expected.trim().to_ascii_lowercase();
    actual.len() == expected.len() && bool::from(actual.as_bytes().ct_eq(expected.as_bytes()))
}

/// Lowercase hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The known answer the end-to-end tests check the fake's sealing against (produced
    /// with openssl, a third implementation).
    #[test]
    fn sealing_and_opening_match_a_known_answer() {
        let key = "kat-encrypt-key";
        let plain = br#"{"schema":"2.0","header":{"event_id":"ev_kat"}}"#;
        let iv: [u8; 16] = std::array::from_fn(|i| i as u8);
        let known = "AAECAwQFBgcICQoLDA0OD8ICtAn6+oEfAuQ3dUIsN4J3mhpME/UNYy4G45GZv02FZEuSLiT8qmi1yHn6RCYlHg==";
        assert_eq!(encrypt(key, plain, iv), known);
        assert_eq!(decrypt(key, known).unwrap(), plain);
    }
}
