//! Pure rules of payments: the provider's webhook signature and order numbers in a bank
//! statement's words.
use crate::error::{ApiError, ApiResult};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Checks a `Stripe-Signature`-style header (`t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "{t}.{raw body}">`, several `v1` allowed during secret rotation) against the raw body.
///
/// # Errors
/// 400 `invalid_signature` or `stale_signature` (outside the tolerance window).
pub fn verify_signature(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> ApiResult<()> {
    let bad = || ApiError::bad_request("invalid_signature", "the webhook signature does not match");
    let header = header.ok_or_else(bad)?;
    let mut t: Option<i64> = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse().ok(),
            Some(("v1", v)) => sigs.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let t = t.ok_or_else(bad)?;
    let matches = sigs.iter().any(|sig| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return false;
        };
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(sig).is_ok()
    });
    if !matches {
        return Err(bad());
    }
    if (now - t).abs() > tolerance {
        return Err(ApiError::bad_request(
            "stale_signature",
            "the webhook timestamp is outside the accepted window",
        ));
    }
    Ok(())
}

/// Order numbers (8 Crockford base-32 characters) found in a statement's words.
pub fn candidates(words: &str) -> Vec<String> {
    let up = crate::core::jp::to_half_width_ascii(words).to_ascii_uppercase();
    let chars: Vec<char> = up.chars().collect();
    let ok = |c: &char| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(*c));
    let mut out = Vec::new();
    for w in chars.windows(8) {
        if w.iter().all(ok) {
            out.push(w.iter().collect());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures_are_checked_on_the_raw_body_and_window() {
        let body = br#"{"id":"evt_1"}"#;
        let good = sign(b"whsec", 1_000, body);
        assert!(verify_signature(b"whsec", Some(&good), body, 1_100, 300).is_ok());
        let code = |r: ApiResult<()>| match r {
            Err(ApiError::BadRequest { code, .. }) => code,
            _ => "ok",
        };
        assert_eq!(
            code(verify_signature(b"other", Some(&good), body, 1_100, 300)),
            "invalid_signature"
        );
        assert_eq!(
            code(verify_signature(
                b"whsec",
                Some(&good),
                br#"{"id":"evt_2"}"#,
                1_100,
                300
            )),
            "invalid_signature"
        );
        assert_eq!(
            code(verify_signature(b"whsec", Some(&good), body, 1_400, 300)),
            "stale_signature"
        );
        assert_eq!(
            code(verify_signature(b"whsec", None, body, 1_000, 300)),
            "invalid_signature"
        );
        // A rotated secret: either v1 may match.
        let two = format!("{good},v1={}", "00".repeat(32));
        assert!(verify_signature(b"whsec", Some(&two), body, 1_000, 300).is_ok());
    }

    #[test]
    fn order_numbers_are_found_in_payer_names() {
        assert_eq!(candidates("ﾔﾏﾀﾞ ﾊﾅｺ AB12CD34"), vec!["AB12CD34".to_string()]);
        assert_eq!(
            candidates("ｎ４ｒｃｍ１３ｇ ﾔﾏﾀﾞ"),
            vec!["N4RCM13G".to_string()]
        );
        assert!(candidates("ﾔﾏﾀﾞ ﾊﾅｺ").is_empty());
    }
}
