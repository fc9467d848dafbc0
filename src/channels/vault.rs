//! Channel credentials at rest: a JSON object of the kind's fields, sealed
//! ([`crate::core::sealed`]) with one of the configured keys and stored with that key's id, so
//! keys can be rotated: `yuimaru channels rekey` opens every secret with the key it names and
//! seals it again with the current key. Opened credentials live only in memory, in a type whose
//! `Debug` hides them; they are never returned, logged or written to a job payload.
use super::domain::Kind;
use crate::{config::ChannelConfig, core::sealed};
use secrecy::ExposeSecret;
use std::collections::BTreeMap;

const PURPOSE: &str = "channel-credentials";

/// Opened credentials: field → value.
#[derive(Clone, Default)]
pub struct Credentials(BTreeMap<String, String>);

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.keys().map(|k| format!("{k}=***")))
            .finish()
    }
}

impl Credentials {
    /// The value of `field` ("" when missing).
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }

    /// When the access token expires, if the credentials say (Shopify expiring tokens).
    pub fn expires_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::parse_from_rfc3339(self.get("access_token_expires_at"))
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }

    /// Whether the access token can be refreshed (a refresh token with the app's client id
    /// and secret).
    pub fn refreshable(&self) -> bool {
        ["client_id", "client_secret", "refresh_token"]
            .iter()
            .all(|f| !self.get(f).is_empty())
    }

    /// These credentials with `field` set to `value`.
    pub fn with(mut self, field: &str, value: String) -> Self {
        self.0.insert(field.to_string(), value);
        self
    }

    /// Every secret value (for scrubbing them out of texts we keep, e.g. error bodies).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(String::as_str)
    }

    /// Reads the fields `kind` needs from `given`; the problems as (field, message).
    ///
    /// # Errors
    /// Missing, empty, too long or unknown fields.
    pub fn read(
        kind: Kind,
        given: &BTreeMap<String, String>,
    ) -> Result<Self, Vec<(String, String)>> {
        let wanted = kind.credential_fields();
        let mut problems = Vec::new();
        for f in wanted {
            match given.get(*f).map(|v| v.trim()) {
                None | Some("") => {
                    problems.push((format!("credentials.{f}"), "is required".to_string()));
                }
                Some(v) if v.len() > 512 || v.chars().any(char::is_control) => {
                    problems.push((
                        format!("credentials.{f}"),
                        "must be 1-512 printable characters".to_string(),
                    ));
                }
                Some(_) => {}
            }
        }
        let optional = kind.optional_credential_fields();
        for (k, v) in given {
            if optional.contains(&k.as_str()) && (v.len() > 512 || v.chars().any(char::is_control))
            {
                problems.push((
                    format!("credentials.{k}"),
                    "must be at most 512 printable characters".to_string(),
                ));
            }
            if k == "access_token_expires_at"
                && chrono::DateTime::parse_from_rfc3339(v.trim()).is_err()
            {
                problems.push((
                    format!("credentials.{k}"),
                    "must be an RFC 3339 time".to_string(),
                ));
            }
        }
        let refresh = ["client_id", "client_secret", "refresh_token"];
        let present = refresh
            .iter()
            .filter(|f| given.get(**f).is_some_and(|v| !v.trim().is_empty()))
            .count();
        if present != 0 && present != refresh.len() {
            for f in refresh {
                if given.get(f).is_none_or(|v| v.trim().is_empty()) {
                    problems.push((
                        format!("credentials.{f}"),
                        "is required with a refresh token".to_string(),
                    ));
                }
            }
        }
        for k in given.keys() {
            if !wanted.contains(&k.as_str()) && !optional.contains(&k.as_str()) {
                problems.push((
                    format!("credentials.{k}"),
                    format!("is not a {} credential", kind.as_str()),
                ));
            }
        }
        if problems.is_empty() {
            Ok(Self(
                given
                    .iter()
                    .map(|(k, v)| (k.clone(), v.trim().to_string()))
                    .collect(),
            ))
        } else {
            Err(problems)
        }
    }

    /// Seals these credentials with the current key: (sealed text, key id).
    ///
    /// # Errors
    /// The current key is not configured.
    pub fn seal(&self, cfg: &ChannelConfig) -> anyhow::Result<(String, String)> {
        let (id, key) = cfg.current_key()?;
        let plain = serde_json::to_vec(&self.0)?;
        Ok((
            sealed::seal(key.expose_secret(), PURPOSE, &plain)?,
            id.to_string(),
        ))
    }

    /// Opens what [`Credentials::seal`] stored with the key `key_id`.
    ///
    /// # Errors
    /// The key is not configured, or does not open the record.
    pub fn open(cfg: &ChannelConfig, key_id: &str, stored: &str) -> anyhow::Result<Self> {
        let key = cfg
            .credential_keys
            .get(key_id)
            .ok_or_else(|| anyhow::anyhow!("channel credential key {key_id} is not configured"))?;
        let plain = sealed::open(key.expose_secret(), PURPOSE, stored)?;
        Ok(Self(serde_json::from_slice(&plain)?))
    }
}

/// Replaces every credential value (and its common derived forms: base64 of `a:b` pairs, as
/// in Rakuten's ESA header) in `text` by `***`, for error texts that we store or show.
pub fn scrub(text: &str, creds: &Credentials) -> String {
    use base64::Engine;
    let mut out = text.to_string();
    let values: Vec<&str> = creds.values().filter(|v| v.len() >= 4).collect();
    let mut forms: Vec<String> = values.iter().map(|v| (*v).to_string()).collect();
    for a in &values {
        for b in &values {
            forms.push(base64::engine::general_purpose::STANDARD.encode(format!("{a}:{b}")));
        }
    }
    for f in forms {
        out = out.replace(&f, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn cfg(current: &str) -> ChannelConfig {
        ChannelConfig {
            credential_key: current.into(),
            credential_keys: [
                ("k1".to_string(), SecretString::from("a".repeat(32))),
                ("k2".to_string(), SecretString::from("b".repeat(32))),
            ]
            .into_iter()
            .collect(),
            follow_interval_ms: 500,
            order_tick_ms: 5000,
            lookback_seconds: 15,
            lease_seconds: 60,
            timeout_ms: 1000,
            expiry_alert_days: vec![7],
        }
    }

    #[test]
    fn sealed_credentials_open_with_their_key_only_and_hide_in_debug() {
        let given: BTreeMap<String, String> = [
            ("service_secret".to_string(), "SP123_secret".to_string()),
            ("license_key".to_string(), "SL123_license".to_string()),
        ]
        .into_iter()
        .collect();
        let c = Credentials::read(Kind::Rakuten, &given).unwrap_or_default();
        let (sealed, key) = c.seal(&cfg("k1")).unwrap_or_default();
        assert_eq!(key, "k1");
        assert!(!sealed.contains("SP123"));
        let opened = Credentials::open(&cfg("k2"), "k1", &sealed).unwrap_or_default();
        assert_eq!(opened.get("license_key"), "SL123_license");
        assert!(Credentials::open(&cfg("k1"), "k2", &sealed).is_err());
        assert!(!format!("{opened:?}").contains("SL123"));
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        let given: BTreeMap<String, String> = [("access_token".to_string(), "x".to_string())]
            .into_iter()
            .collect();
        let err = Credentials::read(Kind::Rakuten, &given)
            .err()
            .unwrap_or_default();
        let fields: Vec<&str> = err.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"credentials.service_secret"));
        assert!(fields.contains(&"credentials.access_token"));
    }

    #[test]
    fn scrub_removes_values_and_esa_forms() {
        use base64::Engine;
        let given: BTreeMap<String, String> = [
            ("service_secret".to_string(), "SP123_secret".to_string()),
            ("license_key".to_string(), "SL123_license".to_string()),
        ]
        .into_iter()
        .collect();
        let c = Credentials::read(Kind::Rakuten, &given).unwrap_or_default();
        let esa = base64::engine::general_purpose::STANDARD.encode("SP123_secret:SL123_license");
        let t = scrub(&format!("bad ESA {esa} for SL123_license"), &c);
        assert_eq!(t, "bad ESA *** for ***");
    }
}
