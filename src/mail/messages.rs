//! Typed emails. Each variant renders a subject, a plain-text part and an HTML part in the
//! recipient's locale (ja default, en). Stored as job payloads, rendered when sent.
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::core::locale::Locale;

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
    /// A producer registered themselves: thanks, and confirm the address.
    ProducerRegistered {
        display_name: String,
        organisation: String,
        confirm_link: String,
    },
    /// An operator registered a producer on their behalf: claim the account.
    ProducerClaim {
        display_name: String,
        organisation: String,
        link: String,
        expires_hours: i64,
    },
    /// To an operator: a new producer is waiting for review.
    OperatorNewProducer {
        producer_name: String,
        municipality: String,
        review_link: String,
    },
    /// A producer's status changed (approved, rejected, suspended, reinstated).
    ProducerStatusChanged {
        display_name: String,
        organisation: String,
        status: String,
        reason: Option<String>,
    },
    /// A producer's bank-account change was approved or rejected.
    BankAccountDecision {
        display_name: String,
        approved: bool,
    },
    /// A lot is close to its date (clearance) or past it (disposal).
    LotDateAlert {
        display_name: String,
        sku_code: String,
        lot_code: String,
        best_before: String,
        on_hand: i64,
        expired: bool,
    },
    /// A notice about an order to its buyer, composed when the job sends it (the buyer's
    /// address is read from the encrypted order then, never stored in the job).
    OrderNotice {
        subject: String,
        greeting: String,
        paragraphs: Vec<String>,
        link: Option<(String, String)>,
    },
    /// Available stock of a SKU fell below its threshold.
    LowStock {
        display_name: String,
        sku_code: String,
        available: i64,
        threshold: i64,
    },
    /// What arrived in a receiving event, and every difference from the notice.
    ReceiptNotice {
        display_name: String,
        /// (SKU code, lot, declared, received so far, damaged, refused, missing)
        lines: Vec<(String, String, i64, i64, i64, i64, i64)>,
    },
    /// Stock of the producer was lost and the loss is charged to them.
    StockLoss {
        display_name: String,
        sku_code: String,
        lot_code: String,
        qty: i64,
        reason: String,
    },
    /// To a producer: the bank transferred a payout.
    PayoutPaid {
        display_name: String,
        amount: i64,
        transfer_date: String,
        link: String,
    },
    /// To a producer: the bank returned a payout (the account needs checking).
    PayoutReturned {
        display_name: String,
        amount: i64,
        link: String,
    },
    /// To a producer: a period was closed and its statement is ready.
    StatementReady {
        display_name: String,
        number: String,
        period: String,
        net_payable: i64,
        link: String,
    },
    /// Something about a sales channel needs an operator: `alert` is `auth_failed` (the
    /// channel refused our credentials; syncing stopped), `expires` (credentials expire in
    /// `days` days; 0 = today).
    ChannelAlert {
        display_name: String,
        channel_name: String,
        alert: String,
        days: i64,
        detail: String,
        link: String,
    },
    /// A product (or an edit of a listed product) moved in the review workflow.
    ProductStatusChanged {
        display_name: String,
        product_title: String,
        /// submitted, listed, rejected, paused, retired, revision_approved, revision_rejected
        status: String,
        /// Per-field comments from the reviewer.
        comments: Vec<(String, String)>,
    },
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "mail/templates/notice.txt",
    escape = "none"
)]
struct NoticeText<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    link: Option<(&'a str, &'a str)>,
    signature: &'a str,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "mail/templates/notice.html")]
struct NoticeHtml<'a> {
    lang: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    link: Option<(&'a str, &'a str)>,
    signature: &'a str,
}

/// The parts of a simple notice email, already in the recipient's language.
struct Notice {
    subject: String,
    greeting: String,
    paragraphs: Vec<String>,
    link: Option<(String, String)>,
}

impl Notice {
    fn render(self, locale: Locale) -> Result<Rendered, askama::Error> {
        let signature = "yuimaru";
        let link = self.link.as_ref().map(|(l, u)| (l.as_str(), u.as_str()));
        Ok(Rendered {
            text: NoticeText {
                greeting: &self.greeting,
                paragraphs: &self.paragraphs,
                link,
                signature,
            }
            .render()?,
            html: NoticeHtml {
                lang: locale.as_str(),
                greeting: &self.greeting,
                paragraphs: &self.paragraphs,
                link,
                signature,
            }
            .render()?,
            subject: self.subject,
        })
    }
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
            Self::ProducerRegistered { .. } => "producer_registered",
            Self::ProducerClaim { .. } => "producer_claim",
            Self::OperatorNewProducer { .. } => "operator_new_producer",
            Self::ProducerStatusChanged { .. } => "producer_status_changed",
            Self::BankAccountDecision { .. } => "bank_account_decision",
            Self::ProductStatusChanged { .. } => "product_status_changed",
            Self::StockLoss { .. } => "stock_loss",
            Self::PayoutPaid { .. } => "payout_paid",
            Self::PayoutReturned { .. } => "payout_returned",
            Self::StatementReady { .. } => "statement_ready",
            Self::ChannelAlert { .. } => "channel_alert",
            Self::LotDateAlert { .. } => "lot_date_alert",
            Self::LowStock { .. } => "low_stock",
            Self::ReceiptNotice { .. } => "receipt_notice",
            Self::OrderNotice { .. } => "order_notice",
        }
    }

    /// Renders subject, text and HTML for `locale`.
    ///
    /// # Errors
    /// A template failed to render.
    pub fn render(&self, locale: Locale) -> Result<Rendered, askama::Error> {
        let notice = match self {
            Self::PasswordReset {
                display_name,
                link,
                expires_minutes,
            } => return password_reset(locale, display_name, link, *expires_minutes),
            Self::Invitation {
                display_name,
                link,
                role,
                organisation,
                expires_hours: hours,
            } => return invitation(locale, display_name, link, role, organisation, *hours),
            Self::ProducerRegistered {
                display_name,
                organisation,
                confirm_link,
            } => producer_registered(locale, display_name, organisation, confirm_link),
            Self::ProducerClaim {
                display_name,
                organisation,
                link,
                expires_hours,
            } => producer_claim(locale, display_name, organisation, link, *expires_hours),
            Self::OperatorNewProducer {
                producer_name,
                municipality,
                review_link,
            } => operator_new_producer(locale, producer_name, municipality, review_link),
            Self::ProducerStatusChanged {
                display_name,
                organisation,
                status,
                reason,
            } => producer_status_changed(
                locale,
                display_name,
                organisation,
                status,
                reason.as_deref(),
            ),
            Self::BankAccountDecision {
                display_name,
                approved,
            } => bank_account_decision(locale, display_name, *approved),
            Self::LotDateAlert {
                display_name,
                sku_code,
                lot_code,
                best_before,
                on_hand,
                expired,
            } => lot_date_alert(
                locale,
                display_name,
                sku_code,
                lot_code,
                best_before,
                *on_hand,
                *expired,
            ),
            Self::LowStock {
                display_name,
                sku_code,
                available,
                threshold,
            } => low_stock(locale, display_name, sku_code, *available, *threshold),
            Self::OrderNotice {
                subject,
                greeting,
                paragraphs,
                link,
            } => order_notice(subject, greeting, paragraphs, link.as_ref()),
            Self::ReceiptNotice {
                display_name,
                lines,
            } => receipt_notice(locale, display_name, lines),
            Self::ChannelAlert {
                display_name,
                channel_name,
                alert,
                days,
                detail,
                link,
            } => channel_alert(
                locale,
                display_name,
                channel_name,
                alert,
                *days,
                detail,
                link,
            ),
            Self::PayoutReturned {
                display_name,
                amount,
                link,
            } => Notice {
                subject: text(locale, "mail.payout_returned.subject"),
                greeting: greeting(locale, display_name),
                paragraphs: vec![locale.fill(
                    "mail.payout_returned.body",
                    &[("amount", &crate::core::money::grouped(*amount))],
                )],
                link: Some((text(locale, "mail.payout_returned.link"), link.clone())),
            },
            Self::StatementReady {
                display_name,
                number,
                period,
                net_payable,
                link,
            } => Notice {
                subject: locale.fill("mail.statement_ready.subject", &[("period", period)]),
                greeting: greeting(locale, display_name),
                paragraphs: vec![locale.fill(
                    "mail.statement_ready.body",
                    &[
                        ("number", number),
                        ("period", period),
                        ("amount", &crate::core::money::grouped(*net_payable)),
                    ],
                )],
                link: Some((text(locale, "mail.statement_ready.link"), link.clone())),
            },
            Self::PayoutPaid {
                display_name,
                amount,
                transfer_date,
                link,
            } => Notice {
                subject: text(locale, "mail.payout_paid.subject"),
                greeting: greeting(locale, display_name),
                paragraphs: vec![locale.fill(
                    "mail.payout_paid.body",
                    &[
                        ("amount", &crate::core::money::grouped(*amount)),
                        ("date", transfer_date),
                    ],
                )],
                link: Some((text(locale, "mail.payout_paid.link"), link.clone())),
            },
            Self::StockLoss {
                display_name,
                sku_code,
                lot_code,
                qty,
                reason,
            } => stock_loss(locale, display_name, sku_code, lot_code, *qty, reason),
            Self::ProductStatusChanged {
                display_name,
                product_title,
                status,
                comments,
            } => product_status_changed(locale, display_name, product_title, status, comments),
        };
        notice.render(locale)
    }
}

/// The text `key` in `locale`, owned.
fn text(locale: Locale, key: &str) -> String {
    locale.text(key).to_string()
}

/// The salutation line addressed to `name`.
fn greeting(locale: Locale, name: &str) -> String {
    locale.fill("mail.greeting", &[("name", name)])
}

/// Renders the password-reset email from its own templates.
fn password_reset(
    locale: Locale,
    display_name: &str,
    link: &str,
    expires_minutes: i64,
) -> Result<Rendered, askama::Error> {
    let ja = locale == Locale::Ja;
    Ok(Rendered {
        subject: if ja {
            "【yuimaru】パスワード再設定のご案内".into()
        } else {
            "[yuimaru] Reset your password".into()
        },
        text: PasswordResetText {
            ja,
            display_name,
            link,
            expires_minutes,
        }
        .render()?,
        html: PasswordResetHtml {
            ja,
            display_name,
            link,
            expires_minutes,
        }
        .render()?,
    })
}

/// Renders the invitation email from its own templates.
fn invitation(
    locale: Locale,
    display_name: &str,
    link: &str,
    role: &str,
    organisation: &str,
    expires_hours: i64,
) -> Result<Rendered, askama::Error> {
    let ja = locale == Locale::Ja;
    Ok(Rendered {
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
            expires_hours,
        }
        .render()?,
        html: InvitationHtml {
            ja,
            display_name,
            link,
            role,
            organisation,
            expires_hours,
        }
        .render()?,
    })
}

/// Thanks a self-registered producer and asks them to confirm their address.
fn producer_registered(
    locale: Locale,
    display_name: &str,
    organisation: &str,
    confirm_link: &str,
) -> Notice {
    let org = [("organisation", organisation)];
    Notice {
        subject: locale.fill("mail.producer_registered.subject", &org),
        greeting: greeting(locale, display_name),
        paragraphs: vec![
            locale.fill("mail.producer_registered.body1", &org),
            text(locale, "mail.producer_registered.body2"),
        ],
        link: Some((
            text(locale, "mail.producer_registered.link"),
            confirm_link.to_string(),
        )),
    }
}

/// Invites a producer registered by an operator to claim the account.
fn producer_claim(
    locale: Locale,
    display_name: &str,
    organisation: &str,
    link: &str,
    expires_hours: i64,
) -> Notice {
    let org = [("organisation", organisation)];
    Notice {
        subject: locale.fill("mail.producer_claim.subject", &org),
        greeting: greeting(locale, display_name),
        paragraphs: vec![
            locale.fill("mail.producer_claim.body1", &org),
            locale.fill(
                "mail.producer_claim.body2",
                &[("hours", &expires_hours.to_string())],
            ),
        ],
        link: Some((text(locale, "mail.producer_claim.link"), link.to_string())),
    }
}

/// Tells an operator a new producer is waiting for review.
fn operator_new_producer(
    locale: Locale,
    producer_name: &str,
    municipality: &str,
    review_link: &str,
) -> Notice {
    Notice {
        subject: locale.fill(
            "mail.operator_new_producer.subject",
            &[("producer", producer_name)],
        ),
        greeting: String::new(),
        paragraphs: vec![locale.fill(
            "mail.operator_new_producer.body",
            &[("producer", producer_name), ("municipality", municipality)],
        )],
        link: Some((
            text(locale, "mail.operator_new_producer.link"),
            review_link.to_string(),
        )),
    }
}

/// Tells a producer their status changed, with the reason when one was given.
fn producer_status_changed(
    locale: Locale,
    display_name: &str,
    organisation: &str,
    status: &str,
    reason: Option<&str>,
) -> Notice {
    let words = match status {
        "approved" | "rejected" | "suspended" => {
            locale.text(&format!("mail.producer_status.{status}"))
        }
        _ => locale.text("mail.producer_status.other"),
    };
    let mut paragraphs = vec![locale.fill(
        "mail.producer_status.body",
        &[("organisation", organisation), ("words", words)],
    )];
    if let Some(r) = reason.filter(|r| !r.is_empty()) {
        paragraphs.push(locale.fill("mail.reason", &[("reason", r)]));
    }
    if status == "approved" {
        paragraphs.push(text(locale, "mail.producer_status.approved_next"));
    }
    Notice {
        subject: locale.fill("mail.producer_status.subject", &[("words", words)]),
        greeting: greeting(locale, display_name),
        paragraphs,
        link: None,
    }
}

/// Tells a producer whether their bank-account change was approved.
fn bank_account_decision(locale: Locale, display_name: &str, approved: bool) -> Notice {
    let which = if approved { "approved" } else { "rejected" };
    Notice {
        subject: text(locale, &format!("mail.bank_decision.subject_{which}")),
        greeting: greeting(locale, display_name),
        paragraphs: vec![text(locale, &format!("mail.bank_decision.body_{which}"))],
        link: None,
    }
}

/// Warns that a lot is close to its date, or past it.
fn lot_date_alert(
    locale: Locale,
    display_name: &str,
    sku_code: &str,
    lot_code: &str,
    best_before: &str,
    on_hand: i64,
    expired: bool,
) -> Notice {
    let which = if expired { "expired" } else { "near" };
    Notice {
        subject: locale.fill(
            &format!("mail.lot_alert.subject_{which}"),
            &[("sku", sku_code)],
        ),
        greeting: greeting(locale, display_name),
        paragraphs: vec![locale.fill(
            &format!("mail.lot_alert.body_{which}"),
            &[
                ("sku", sku_code),
                ("lot", lot_code),
                ("date", best_before),
                ("on_hand", &on_hand.to_string()),
            ],
        )],
        link: None,
    }
}

/// Warns that the available stock of a SKU fell below its threshold.
fn low_stock(
    locale: Locale,
    display_name: &str,
    sku_code: &str,
    available: i64,
    threshold: i64,
) -> Notice {
    Notice {
        subject: locale.fill("mail.low_stock.subject", &[("sku", sku_code)]),
        greeting: greeting(locale, display_name),
        paragraphs: vec![locale.fill(
            "mail.low_stock.body",
            &[
                ("sku", sku_code),
                ("available", &available.to_string()),
                ("threshold", &threshold.to_string()),
            ],
        )],
        link: None,
    }
}

/// An order notice, already composed in the buyer's language when it was queued.
fn order_notice(
    subject: &str,
    greeting: &str,
    paragraphs: &[String],
    link: Option<&(String, String)>,
) -> Notice {
    Notice {
        subject: subject.to_string(),
        greeting: greeting.to_string(),
        paragraphs: paragraphs.to_vec(),
        link: link.cloned(),
    }
}

/// Lists what arrived in a receiving event, one paragraph per line.
fn receipt_notice(
    locale: Locale,
    display_name: &str,
    lines: &[(String, String, i64, i64, i64, i64, i64)],
) -> Notice {
    let mut paragraphs = vec![text(locale, "mail.receipt.intro")];
    for (code, lot, declared, received, damaged, refused, missing) in lines {
        paragraphs.push(locale.fill(
            "mail.receipt.line",
            &[
                ("code", code),
                ("lot", lot),
                ("declared", &declared.to_string()),
                ("received", &received.to_string()),
                ("damaged", &damaged.to_string()),
                ("refused", &refused.to_string()),
                ("missing", &missing.to_string()),
            ],
        ));
    }
    Notice {
        subject: text(locale, "mail.receipt.subject"),
        greeting: greeting(locale, display_name),
        paragraphs,
        link: None,
    }
}

/// Tells an operator a channel stopped or its credentials expire soon.
fn channel_alert(
    locale: Locale,
    display_name: &str,
    channel: &str,
    alert: &str,
    days: i64,
    detail: &str,
    link: &str,
) -> Notice {
    let days_text = days.to_string();
    let (subject, body) = match alert {
        "auth_failed" => (
            "mail.channel_alert.auth_subject",
            "mail.channel_alert.auth_body",
        ),
        "oversold" => (
            "mail.channel_alert.oversold_subject",
            "mail.channel_alert.oversold_body",
        ),
        "order_refused" => (
            "mail.channel_alert.order_subject",
            "mail.channel_alert.order_body",
        ),
        _ if days <= 0 => (
            "mail.channel_alert.today_subject",
            "mail.channel_alert.today_body",
        ),
        _ => (
            "mail.channel_alert.expiry_subject",
            "mail.channel_alert.expiry_body",
        ),
    };
    let mut paragraphs = vec![locale.fill(body, &[("channel", channel), ("days", &days_text)])];
    if !detail.is_empty() {
        paragraphs.push(locale.fill("mail.reason", &[("reason", detail)]));
    }
    Notice {
        subject: locale.fill(subject, &[("channel", channel), ("days", &days_text)]),
        greeting: greeting(locale, display_name),
        paragraphs,
        link: Some((text(locale, "mail.channel_alert.link"), link.to_string())),
    }
}

/// Tells a producer a loss of their stock is charged to them, and why.
fn stock_loss(
    locale: Locale,
    display_name: &str,
    sku_code: &str,
    lot_code: &str,
    qty: i64,
    reason: &str,
) -> Notice {
    Notice {
        subject: locale.fill("mail.stock_loss.subject", &[("sku", sku_code)]),
        greeting: greeting(locale, display_name),
        paragraphs: vec![
            locale.fill(
                "mail.stock_loss.body",
                &[
                    ("sku", sku_code),
                    ("lot", lot_code),
                    ("qty", &qty.to_string()),
                ],
            ),
            locale.fill("mail.reason", &[("reason", reason)]),
        ],
        link: None,
    }
}

/// Tells a producer their product moved in review, with the reviewer's comments per field.
fn product_status_changed(
    locale: Locale,
    display_name: &str,
    product_title: &str,
    status: &str,
    comments: &[(String, String)],
) -> Notice {
    let key = match status {
        "submitted" | "listed" | "rejected" | "paused" | "retired" | "revision_approved"
        | "revision_rejected" => format!("mail.product_status.{status}"),
        _ => "mail.product_status.other".into(),
    };
    let title = [("title", product_title)];
    let mut paragraphs = vec![locale.fill(&key, &title)];
    if !comments.is_empty() {
        paragraphs.push(text(locale, "mail.product_status.comments"));
        for (field, comment) in comments {
            paragraphs.push(format!("・{field}: {comment}"));
        }
    }
    Notice {
        subject: locale.fill("mail.product_status.subject", &title),
        greeting: greeting(locale, display_name),
        paragraphs,
        link: None,
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
    fn producer_emails_render_in_both_languages() {
        let messages = [
            EmailMessage::ProducerRegistered {
                display_name: "比嘉 ゆい".into(),
                organisation: "八重山物産".into(),
                confirm_link: "https://shop.example/confirm-email/abc".into(),
            },
            EmailMessage::ProducerClaim {
                display_name: "比嘉 ゆい".into(),
                organisation: "八重山物産".into(),
                link: "https://shop.example/password-reset/def".into(),
                expires_hours: 72,
            },
            EmailMessage::OperatorNewProducer {
                producer_name: "比嘉農園".into(),
                municipality: "石垣市".into(),
                review_link: "https://shop.example/operator/producers".into(),
            },
            EmailMessage::ProducerStatusChanged {
                display_name: "比嘉 ゆい".into(),
                organisation: "八重山物産".into(),
                status: "approved".into(),
                reason: None,
            },
            EmailMessage::ProducerStatusChanged {
                display_name: "比嘉 ゆい".into(),
                organisation: "八重山物産".into(),
                status: "rejected".into(),
                reason: Some("住所が確認できませんでした".into()),
            },
            EmailMessage::ProducerStatusChanged {
                display_name: "比嘉 ゆい".into(),
                organisation: "八重山物産".into(),
                status: "suspended".into(),
                reason: Some("賞味期限表示の確認中".into()),
            },
            EmailMessage::BankAccountDecision {
                display_name: "比嘉 ゆい".into(),
                approved: true,
            },
            EmailMessage::ProductStatusChanged {
                display_name: "比嘉 ゆい".into(),
                product_title: "紅いもタルト 6個入".into(),
                status: "rejected".into(),
                comments: vec![("storage".into(), "開封後の保存方法も書いてください".into())],
            },
            EmailMessage::ProductStatusChanged {
                display_name: "比嘉 ゆい".into(),
                product_title: "紅いもタルト 6個入".into(),
                status: "listed".into(),
                comments: vec![],
            },
            EmailMessage::ProductStatusChanged {
                display_name: "比嘉 ゆい".into(),
                product_title: "紅いもタルト 6個入".into(),
                status: "revision_approved".into(),
                comments: vec![],
            },
        ];
        for m in messages {
            let ja = m.render(Locale::Ja).ok();
            let en = m.render(Locale::En).ok();
            assert!(
                ja.as_ref()
                    .is_some_and(|r| r.html.contains("<html lang=\"ja\">"))
            );
            assert!(
                en.as_ref()
                    .is_some_and(|r| r.html.contains("<html lang=\"en\">"))
            );
            let name = format!(
                "{}_{}",
                m.template(),
                match &m {
                    EmailMessage::ProducerStatusChanged { status, .. }
                    | EmailMessage::ProductStatusChanged { status, .. } => status.as_str(),
                    _ => "",
                }
            );
            insta::assert_debug_snapshot!(
                name,
                (
                    ja.map(|r| (r.subject, r.text)),
                    en.map(|r| (r.subject, r.text))
                )
            );
        }
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
