//! The languages people read the service in: Japanese (the default) and English.
use serde::{Deserialize, Serialize};

/// Supported locales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    Ja,
    En,
}

impl Locale {
    /// Parses a stored locale (anything unknown is Japanese, the default).
    pub fn parse(s: &str) -> Self {
        if s.eq_ignore_ascii_case("en") {
            Self::En
        } else {
            Self::Ja
        }
    }

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }
}

impl Locale {
    /// The text of `key` in this language (page and email texts live in `src/locales`;
    /// `??` for a key that does not exist, which the tests prevent).
    pub fn text(self, key: &str) -> &'static str {
        // The embedded texts live as long as the program: the backend lends them as such.
        match crate::_rust_i18n_backend().translate(self.as_str(), key) {
            Some(std::borrow::Cow::Borrowed(text)) => text,
            _ => "??",
        }
    }

    /// The text of `key` with each `%{name}` replaced by its value from `args`.
    pub fn fill(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = self.text(key).to_string();
        for (name, value) in args {
            out = out.replace(&format!("%{{{name}}}"), value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Locale;

    #[test]
    fn texts_are_filled_by_name() {
        assert_eq!(Locale::Ja.text("app.name"), "ゆいまーる");
        assert_eq!(Locale::En.text("app.name"), "yuimaru");
        assert_eq!(Locale::En.text(&format!("no.such.{}", "key")), "??");
        assert_eq!(
            Locale::En.fill(
                "mail.order.subject.cancelled",
                &[("shop", "S"), ("number", "N1")]
            ),
            "[S] Your order N1 was cancelled"
        );
    }
}
