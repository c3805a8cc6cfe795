//! The fake's own webhook cryptography, written from the protocol description and
//! independent of the SDK's: AES-256-CBC with a random IV and PKCS#7 padding, the key
//! being SHA-256 of the encrypt key, and the `X-Lark-Signature` digest.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

type Encryptor = cbc::Encryptor<aes::Aes256>;
type Decryptor = cbc::Decryptor<aes::Aes256>;

/// The AES key: SHA-256 of the encrypt key's UTF-8 bytes.
fn aes_key(encrypt_key: &str) -> [u8; 32] {
    Sha256::digest(encrypt_key.as_bytes()).into()
}

/// Encrypts `plaintext` as the platform does: base64 of `IV || AES-256-CBC(PKCS#7)`,
/// with a fresh random IV.
pub fn encrypt(encrypt_key: &str, plaintext: &[u8]) -> String {
    let mut iv = [0u8; 16];
    iv.iter_mut().for_each(|b| *b = fastrand::u8(..));
    encrypt_with_iv(encrypt_key, plaintext, iv)
}

/// [`encrypt`] with a chosen IV (for known-answer tests).
pub fn encrypt_with_iv(encrypt_key: &str, plaintext: &[u8], iv: [u8; 16]) -> String {
    let key = aes_key(encrypt_key);
    let sealed = Encryptor::new(&key.into(), &iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut out = Vec::with_capacity(16 + sealed.len());
    out.extend_from_slice(&iv);
    out.extend_from_slice(&sealed);
    STANDARD.encode(out)
}

/// Reverses [`encrypt`]; `None` on bad base64, a short input or bad padding.
pub fn decrypt(encrypt_key: &str, encrypted: &str) -> Option<Vec<u8>> {
    let data = STANDARD.decode(encrypted.trim()).ok()?;
    if data.len() < 32 || data.len() % 16 != 0 {
        return None;
    }
    let (iv, body) = data.split_at(16);
    let iv: [u8; 16] = iv.try_into().ok()?;
    let key = aes_key(encrypt_key);
    Decryptor::new(&key.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(body)
        .ok()
}

/// `X-Lark-Signature`: lower-case hex of `SHA-256(timestamp + nonce + encrypt_key + body)`.
pub fn signature(timestamp: &str, nonce: &str, encrypt_key: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(timestamp.as_bytes());
    h.update(nonce.as_bytes());
    h.update(encrypt_key.as_bytes());
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
