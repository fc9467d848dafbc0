//! Secrets at rest: XChaCha20-Poly1305 with a 256-bit key derived from the deployment's secret
//! and a purpose (so one secret never encrypts two kinds of data under the same key), a random
//! 24-byte nonce per record, stored as `v1:` + hex(nonce ‖ ciphertext); and HMAC-SHA256 tags.
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit},
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The key for `purpose` derived from `secret`.
pub fn derive_key(secret: &str, purpose: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"yuimaru/");
    h.update(purpose.as_bytes());
    h.update([0u8]);
    h.update(secret.as_bytes());
    h.finalize().into()
}

/// Encrypts `plain` for storage under (`secret`, `purpose`).
///
/// # Errors
/// Never in practice (the AEAD cannot fail to encrypt a short message).
pub fn seal(secret: &str, purpose: &str, plain: &[u8]) -> anyhow::Result<String> {
    let cipher = XChaCha20Poly1305::new(&derive_key(secret, purpose).into());
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(XNonce::from_slice(&nonce), plain)
        .map_err(|_| anyhow::anyhow!("encryption failed"))?;
    let mut out = nonce.to_vec();
    out.extend(ct);
    Ok(format!("v1:{}", hex::encode(out)))
}

/// Decrypts what [`seal`] stored under the same (`secret`, `purpose`).
///
/// # Errors
/// A wrong key or a damaged record.
pub fn open(secret: &str, purpose: &str, stored: &str) -> anyhow::Result<Vec<u8>> {
    let raw = hex::decode(
        stored
            .strip_prefix("v1:")
            .ok_or_else(|| anyhow::anyhow!("unknown format"))?,
    )?;
    if raw.len() < 24 {
        anyhow::bail!("record too short");
    }
    let cipher = XChaCha20Poly1305::new(&derive_key(secret, purpose).into());
    cipher
        .decrypt(XNonce::from_slice(&raw[..24]), &raw[24..])
        .map_err(|_| anyhow::anyhow!("decryption failed"))
}

/// Hex HMAC-SHA256 of `message` under the key for (`secret`, `purpose`).
pub fn tag(secret: &str, purpose: &str, message: &[u8]) -> String {
    // HMAC accepts keys of any length, so building it cannot fail.
    match <Hmac<Sha256> as Mac>::new_from_slice(&derive_key(secret, purpose)) {
        Ok(mut mac) => {
            mac.update(message);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_records_open_only_with_their_secret_and_purpose() {
        let s = seal("secret", "p", b"hello").unwrap_or_default();
        assert!(s.starts_with("v1:"));
        assert_eq!(open("secret", "p", &s).ok().as_deref(), Some(&b"hello"[..]));
        assert!(open("other", "p", &s).is_err());
        assert!(open("secret", "q", &s).is_err());
        assert_ne!(s, seal("secret", "p", b"hello").unwrap_or_default());
    }
}
