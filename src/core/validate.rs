//! Small validation helpers shared by services (field-named errors).

/// Normalises an email address (trimmed, lower-cased) and checks its shape.
pub fn email(raw: &str) -> Result<String, &'static str> {
    let e = raw.trim().to_lowercase();
    if e.is_empty() {
        return Err("is required");
    }
    if e.len() > 254 {
        return Err("is too long");
    }
    let Some((local, domain)) = e.split_once('@') else {
        return Err("must be an email address");
    };
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || e.chars().any(|c| c.is_whitespace() || c.is_control())
        || domain.contains('@')
    {
        return Err("must be an email address");
    }
    Ok(e)
}

/// A trimmed, non-empty text of at most `max` characters.
pub fn text(raw: &str, max: usize) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("is required".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_string())
}

/// A lookup key (municipality, island, category codes…): 1–`max` characters of ASCII letters,
/// digits, `-`, `_` and `.`, checked before it reaches a query.
pub fn code(raw: &str, max: usize) -> Result<String, &'static str> {
    let c = raw.trim();
    if c.is_empty() {
        return Err("is required");
    }
    if c.len() > max
        || !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err("is not a known code");
    }
    Ok(c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            email("  Ann@Example.JP ").ok(),
            Some("ann@example.jp".into())
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@example.jp",
            "a b@example.jp",
            "a@.jp",
            "a@example.",
        ] {
            assert!(email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn codes_are_plain_ascii() {
        assert_eq!(code(" 47207 ", 5).ok().as_deref(), Some("47207"));
        for bad in ["", "47207\u{0}", "a b", "石垣", "123456"] {
            assert!(code(bad, 5).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_counts_characters_not_bytes() {
        assert!(text("紅いもタルト", 6).is_ok());
        assert!(text("紅いもタルトA", 6).is_err());
        assert!(text("   ", 5).is_err());
    }
}
