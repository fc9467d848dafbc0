//! Buyer personal data at rest: XChaCha20-Poly1305 with a key derived from `auth.secret_key`
//! (random 24-byte nonce per record, stored as `v1:` + hex(nonce ‖ ciphertext)); and signed
//! order links (HMAC-SHA256 over the order id) for guests, who have no account.
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit},
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn key(secret: &str, purpose: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"yuimaru/");
    h.update(purpose.as_bytes());
    h.update([0u8]);
    h.update(secret.as_bytes());
    h.finalize().into()
}

/// Encrypts `plain` for storage.
///
/// # Errors
/// Never in practice (the AEAD cannot fail to encrypt a short message).
pub fn seal(settings: &crate::config::Settings, plain: &[u8]) -> anyhow::Result<String> {
    let cipher = XChaCha20Poly1305::new(
        &key(settings.auth.secret_key.expose_secret(), "personal-data-v1").into(),
    );
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(XNonce::from_slice(&nonce), plain)
        .map_err(|_| anyhow::anyhow!("encryption failed"))?;
    let mut out = nonce.to_vec();
    out.extend(ct);
    Ok(format!("v1:{}", hex::encode(out)))
}

/// Decrypts what [`seal`] stored.
///
/// # Errors
/// A wrong key or a damaged record.
pub fn open(settings: &crate::config::Settings, stored: &str) -> anyhow::Result<Vec<u8>> {
    let raw = hex::decode(
        stored
            .strip_prefix("v1:")
            .ok_or_else(|| anyhow::anyhow!("unknown format"))?,
    )?;
    if raw.len() < 24 {
        anyhow::bail!("record too short");
    }
    let cipher = XChaCha20Poly1305::new(
        &key(settings.auth.secret_key.expose_secret(), "personal-data-v1").into(),
    );
    cipher
        .decrypt(XNonce::from_slice(&raw[..24]), &raw[24..])
        .map_err(|_| anyhow::anyhow!("decryption failed"))
}

/// The token of an order's signed link.
pub fn order_token(settings: &crate::config::Settings, order_id: Uuid) -> String {
    // HMAC accepts keys of any length, so building it cannot fail.
    match <Hmac<Sha256> as Mac>::new_from_slice(&key(
        settings.auth.secret_key.expose_secret(),
        "order-link-v1",
    )) {
        Ok(mut mac) => {
            mac.update(order_id.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Whether `token` is the signed link token of `order_id` (constant time).
pub fn check_order_token(settings: &crate::config::Settings, order_id: Uuid, token: &str) -> bool {
    let expected = order_token(settings, order_id);
    !expected.is_empty() && crate::core::secrets::constant_time_eq(&expected, token)
}

/// A keyed hash naming an anonymous client (for idempotency scopes) without storing it.
pub fn client_key(settings: &crate::config::Settings, client: &str) -> String {
    crate::core::secrets::keyed_hash(settings.auth.secret_key.expose_secret(), client)
}
