//! Password hashing with Argon2id (m = 19 MiB, t = 2, p = 1), off the async threads.
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
};

fn argon2() -> Argon2<'static> {
    // 19 MiB, 2 passes, 1 lane: the OWASP baseline, also the crate's default.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC-format hash of a password.
///
/// # Errors
/// Hashing failed (should not happen).
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut bytes = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let salt =
            SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("encoding salt: {e}"))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await?
}

/// A valid hash of a random password, verified against when the account does not exist so
/// that timing does not reveal which emails have accounts.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jp0SSBzmXw3kKz8R8nKSn+hpRV1c1cQa4sgJ2X0cRZg";

/// Checks `password` against `hash` (or a dummy hash when `None`, returning false).
pub async fn verify(password: String, hash: Option<String>) -> bool {
    let has_real = hash.is_some();
    let stored = hash.unwrap_or_else(|| DUMMY_HASH.to_string());
    let ok = tokio::task::spawn_blocking(move || match PasswordHash::new(&stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false);
    ok && has_real
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hashes_verify_and_use_argon2id_with_the_required_parameters() {
        let h = super::hash("correct horse battery".into()).await.ok();
        let h = h.unwrap_or_default();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(super::verify("correct horse battery".into(), Some(h.clone())).await);
        assert!(!super::verify("wrong".into(), Some(h)).await);
        assert!(!super::verify("anything".into(), None).await);
    }
}
