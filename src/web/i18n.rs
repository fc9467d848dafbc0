//! Page texts in Japanese (default) and English, kept as data in `src/locales/{ja,en}.yml`
//! and embedded at compile time by rust-i18n. Unit tests check that every key exists in both
//! languages and that every key the pages use exists.
use crate::core::locale::Locale;

/// Looks up page texts for one locale.
#[derive(Debug, Clone, Copy)]
pub struct T {
    pub locale: Locale,
}

impl T {
    /// The text for `key` (the key itself when missing, which a test prevents).
    pub fn get(&self, key: &str) -> &'static str {
        self.locale.text(key)
    }

    /// The text for `{prefix}.{name}` (for labels of fields rendered in a loop).
    pub fn label(&self, prefix: &str, name: &str) -> &'static str {
        self.get(&format!("{prefix}.{name}"))
    }

    /// `ja` or `en`, for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    /// The other locale's code, for the switch link.
    pub fn other_lang(&self) -> &'static str {
        match self.locale {
            Locale::Ja => "en",
            Locale::En => "ja",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_in_templates_pages_and_emails_exists() {
        // Every literal key passed to `t.get(…)`, `.text(…)` or `.fill(…)` anywhere in src/
        // (pages, templates, emails).
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p
                    .extension()
                    .is_some_and(|x| x == "rs" || x == "html" || x == "txt")
                {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut seen = 0;
        for f in files {
            let src = std::fs::read_to_string(&f).unwrap_or_default();
            for needle in ["t.get(\"", ".text(\"", ".fill(\"", ".fill(\n"] {
                for part in src.split(needle).skip(1) {
                    let part = if needle.ends_with('"') {
                        part
                    } else {
                        match part.trim_start().strip_prefix('"') {
                            Some(p) => p,
                            None => continue,
                        }
                    };
                    let key = part.split('"').next().unwrap_or_default();
                    if key.is_empty() || key.contains('{') || key.contains(' ') {
                        continue;
                    }
                    seen += 1;
                    for locale in [Locale::Ja, Locale::En] {
                        assert_ne!(locale.text(key), "??", "missing text key {key} in {f:?}");
                    }
                }
            }
        }
        assert!(seen > 500, "only {seen} keys found");
        // Keys the code builds from a value.
        for locale in [Locale::Ja, Locale::En] {
            for s in ["approved", "rejected", "suspended", "other"] {
                assert_ne!(locale.text(&format!("mail.producer_status.{s}")), "??");
            }
            for s in [
                "submitted",
                "listed",
                "rejected",
                "paused",
                "retired",
                "revision_approved",
                "revision_rejected",
                "other",
            ] {
                assert_ne!(locale.text(&format!("mail.product_status.{s}")), "??");
            }
            for w in ["approved", "rejected"] {
                assert_ne!(
                    locale.text(&format!("mail.bank_decision.subject_{w}")),
                    "??"
                );
                assert_ne!(locale.text(&format!("mail.bank_decision.body_{w}")), "??");
            }
            for w in ["expired", "near"] {
                assert_ne!(locale.text(&format!("mail.lot_alert.subject_{w}")), "??");
                assert_ne!(locale.text(&format!("mail.lot_alert.body_{w}")), "??");
            }
        }
    }

    #[test]
    fn every_registration_field_has_a_label_or_an_error_text() {
        let t = T { locale: Locale::En };
        for f in crate::web::producer_pages::ERROR_FIELDS {
            assert_ne!(t.get(&format!("reg.err.{f}")), "??", "reg.err.{f}");
        }
        for f in [
            "title_ja",
            "title_en",
            "ingredients",
            "additives",
            "net_content",
            "storage",
        ] {
            assert_ne!(t.label("prod", f), "??", "prod.{f}");
        }
        for f in crate::web::producer_pages::TEXT_FIELDS {
            assert_ne!(t.get(&format!("reg.{}", f.0)), "??", "reg.{}", f.0);
        }
    }

    #[test]
    fn every_stock_code_shown_on_pages_has_a_label() {
        use crate::inventory::ledger::kind;
        for locale in [Locale::Ja, Locale::En] {
            let t = T { locale };
            for k in [
                kind::RECEIPT,
                kind::RESERVATION,
                kind::RELEASE,
                kind::SHIPMENT,
                kind::RETURN_TO_STOCK,
                kind::ADJUSTMENT,
                kind::DAMAGE,
                kind::DISPOSAL,
                kind::RETURN_TO_PRODUCER,
            ] {
                assert_ne!(t.label("mv", k), "??", "mv.{k}");
            }
            for s in ["held", "released", "consumed", "expired"] {
                assert_ne!(t.label("hold.status", s), "??", "hold.status.{s}");
            }
            for b in crate::inventory::adjustments::BEARERS {
                assert_ne!(t.label("bearer", b), "??", "bearer.{b}");
            }
            for k in [
                "adjustment",
                "damage",
                "loss",
                "disposal",
                "return_to_producer",
            ] {
                assert_ne!(t.label("adj.kind", k), "??", "adj.kind.{k}");
            }
            for k in [
                crate::inventory::rules::MIN_DAYS_CATEGORY,
                crate::inventory::rules::TRANSIT_DAYS_PREFECTURE,
            ] {
                assert_ne!(t.label("rule", k), "??", "rule.{k}");
            }
            for f in ["clearance", "disposal"] {
                assert_ne!(t.label("flag", f), "??", "flag.{f}");
            }
        }
    }

    #[test]
    fn every_key_exists_in_both_languages() {
        let keys = |locale: &str| -> std::collections::BTreeSet<String> {
            crate::_rust_i18n_backend()
                .messages_for_locale(locale)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, _)| k.into_owned())
                .collect()
        };
        let (ja, en) = (keys("ja"), keys("en"));
        assert!(ja.len() > 500, "{} keys", ja.len());
        assert_eq!(
            ja.symmetric_difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "keys in one language only"
        );
        for k in &ja {
            for locale in [Locale::Ja, Locale::En] {
                assert_ne!(T { locale }.get(k), "??", "{k}");
            }
        }
    }
}
