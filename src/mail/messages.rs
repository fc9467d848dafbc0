//! Typed emails. Each variant renders a subject, a plain-text part and an HTML part in the
//! recipient's locale (ja default, en). Stored as job payloads, rendered when sent.
use askama::Template;
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

/// Every email the system sends.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum EmailMessage {
    /// A password-reset link.
    PasswordReset {
        display_name: String,
        link: String,
        expires_minutes: i64,
    },
    /// An invitation to set a password for a new account.
    Invitation {
        display_name: String,
        link: String,
        role: String,
        organisation: String,
        expires_hours: i64,
    },
}

/// A message rendered for one locale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "mail/templates/password_reset.txt",
    escape = "none"
)]
struct PasswordResetText<'a> {
    ja: bool,
    display_name: &'a str,
    link: &'a str,
    expires_minutes: i64,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "mail/templates/password_reset.html"
)]
struct PasswordResetHtml<'a> {
    ja: bool,
    display_name: &'a str,
    link: &'a str,
    expires_minutes: i64,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "mail/templates/invitation.txt",
    escape = "none"
)]
struct InvitationText<'a> {
    ja: bool,
    display_name: &'a str,
    link: &'a str,
    role: &'a str,
    organisation: &'a str,
    expires_hours: i64,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "mail/templates/invitation.html")]
struct InvitationHtml<'a> {
    ja: bool,
    display_name: &'a str,
    link: &'a str,
    role: &'a str,
    organisation: &'a str,
    expires_hours: i64,
}

impl EmailMessage {
    /// The template name (part of the job's dedupe key).
    pub fn template(&self) -> &'static str {
        match self {
            Self::PasswordReset { .. } => "password_reset",
            Self::Invitation { .. } => "invitation",
        }
    }

    /// Renders subject, text and HTML for `locale`.
    ///
    /// # Errors
    /// A template failed to render.
    pub fn render(&self, locale: Locale) -> Result<Rendered, askama::Error> {
        let ja = locale == Locale::Ja;
        Ok(match self {
            Self::PasswordReset {
                display_name,
                link,
                expires_minutes,
            } => Rendered {
                subject: if ja {
                    "【yuimaru】パスワード再設定のご案内".into()
                } else {
                    "[yuimaru] Reset your password".into()
                },
                text: PasswordResetText {
                    ja,
                    display_name,
                    link,
                    expires_minutes: *expires_minutes,
                }
                .render()?,
                html: PasswordResetHtml {
                    ja,
                    display_name,
                    link,
                    expires_minutes: *expires_minutes,
                }
                .render()?,
            },
            Self::Invitation {
                display_name,
                link,
                role,
                organisation,
                expires_hours,
            } => Rendered {
                subject: if ja {
                    format!("【yuimaru】{organisation} へのご招待")
                } else {
                    format!("[yuimaru] You are invited to {organisation}")
                },
                text: InvitationText {
                    ja,
                    display_name,
                    link,
                    role,
                    organisation,
                    expires_hours: *expires_hours,
                }
                .render()?,
                html: InvitationHtml {
                    ja,
                    display_name,
                    link,
                    role,
                    organisation,
                    expires_hours: *expires_hours,
                }
                .render()?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reset() -> EmailMessage {
        EmailMessage::PasswordReset {
            display_name: "山田 花子".into(),
            link: "https://shop.example/password-reset/abc".into(),
            expires_minutes: 60,
        }
    }

    #[test]
    fn password_reset_renders_in_japanese() {
        let r = reset().render(Locale::Ja).ok();
        insta::assert_debug_snapshot!(r);
    }

    #[test]
    fn password_reset_renders_in_english() {
        let r = reset().render(Locale::En).ok();
        insta::assert_debug_snapshot!(r);
    }

    #[test]
    fn invitation_renders_in_both_languages_and_escapes_html() {
        let m = EmailMessage::Invitation {
            display_name: "<b>Ken</b>".into(),
            link: "https://shop.example/password-reset/xyz".into(),
            role: "operator".into(),
            organisation: "石垣島物産".into(),
            expires_hours: 72,
        };
        let ja = m.render(Locale::Ja).ok();
        let en = m.render(Locale::En).ok();
        assert!(
            ja.as_ref().is_some_and(
                |r| r.html.contains("&#60;b&#62;Ken") || r.html.contains("&lt;b&gt;Ken")
            )
        );
        insta::assert_debug_snapshot!((ja, en));
    }
}
