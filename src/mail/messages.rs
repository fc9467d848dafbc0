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

fn status_words(status: &str, ja: bool) -> &'static str {
    match (status, ja) {
        ("approved", true) => "承認されました",
        ("approved", false) => "approved",
        ("rejected", true) => "見送りとなりました",
        ("rejected", false) => "declined",
        ("suspended", true) => "一時停止されました",
        ("suspended", false) => "suspended",
        (_, true) => "変更されました",
        (_, false) => "changed",
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
            Self::ProducerRegistered {
                display_name,
                organisation,
                confirm_link,
            } => {
                let link_label = if ja { "メールアドレスを確認する" } else { "Confirm my email address" };
                Notice {
                    subject: if ja {
                        format!("【yuimaru】{organisation} への生産者登録を受け付けました")
                    } else {
                        format!("[yuimaru] Your producer registration with {organisation}")
                    },
                    greeting: if ja { format!("{display_name} 様") } else { format!("Dear {display_name},") },
                    paragraphs: if ja {
                        vec![
                            format!("{organisation} への生産者登録を受け付けました。担当者が内容を確認し、結果をメールでお知らせします。"),
                            "まず、次のリンクからメールアドレスの確認をお願いします。".into(),
                        ]
                    } else {
                        vec![
                            format!("Thank you for registering as a producer with {organisation}. Our staff will review it and email you the result."),
                            "First, please confirm your email address with this link.".into(),
                        ]
                    },
                    link: Some((link_label.into(), confirm_link.clone())),
                }
                .render(locale)?
            }
            Self::ProducerClaim {
                display_name,
                organisation,
                link,
                expires_hours,
            } => Notice {
                subject: if ja {
                    format!("【yuimaru】{organisation} が生産者アカウントを作成しました")
                } else {
                    format!("[yuimaru] {organisation} created your producer account")
                },
                greeting: if ja { format!("{display_name} 様") } else { format!("Dear {display_name},") },
                paragraphs: if ja {
                    vec![
                        format!("{organisation} の担当者が、ご同意のうえで生産者登録を代行しました。"),
                        format!("次のリンクからパスワードを設定すると、ご自身でログインできます（有効期限 {expires_hours} 時間）。"),
                    ]
                } else {
                    vec![
                        format!("Staff of {organisation} registered you as a producer, with your consent."),
                        format!("Set a password with this link to log in yourself (valid for {expires_hours} hours)."),
                    ]
                },
                link: Some((
                    if ja { "パスワードを設定する" } else { "Set my password" }.into(),
                    link.clone(),
                )),
            }
            .render(locale)?,
            Self::OperatorNewProducer {
                producer_name,
                municipality,
                review_link,
            } => Notice {
                subject: if ja {
                    format!("【yuimaru】新しい生産者登録: {producer_name}")
                } else {
                    format!("[yuimaru] New producer registration: {producer_name}")
                },
                greeting: String::new(),
                paragraphs: if ja {
                    vec![format!("{municipality} の {producer_name} さんから生産者登録がありました。審査をお願いします。")]
                } else {
                    vec![format!("{producer_name} ({municipality}) registered as a producer and is waiting for review.")]
                },
                link: Some((
                    if ja { "審査ページを開く" } else { "Open the review queue" }.into(),
                    review_link.clone(),
                )),
            }
            .render(locale)?,
            Self::ProducerStatusChanged {
                display_name,
                organisation,
                status,
                reason,
            } => {
                let words = status_words(status, ja);
                let mut paragraphs = vec![if ja {
                    format!("{organisation} での生産者登録が{words}。")
                } else {
                    format!("Your producer registration with {organisation} has been {words}.")
                }];
                if let Some(r) = reason.as_deref().filter(|r| !r.is_empty()) {
                    paragraphs.push(if ja { format!("理由: {r}") } else { format!("Reason: {r}") });
                }
                if status == "approved" {
                    paragraphs.push(if ja {
                        "ログインして商品を登録できます。".into()
                    } else {
                        "You can now log in and add your products.".into()
                    });
                }
                Notice {
                    subject: if ja {
                        format!("【yuimaru】生産者登録が{words}")
                    } else {
                        format!("[yuimaru] Your producer registration has been {words}")
                    },
                    greeting: if ja { format!("{display_name} 様") } else { format!("Dear {display_name},") },
                    paragraphs,
                    link: None,
                }
                .render(locale)?
            }
            Self::BankAccountDecision {
                display_name,
                approved,
            } => Notice {
                subject: match (ja, approved) {
                    (true, true) => "【yuimaru】振込先口座の変更を承認しました".into(),
                    (true, false) => "【yuimaru】振込先口座の変更を見送りました".into(),
                    (false, true) => "[yuimaru] Your new bank account was approved".into(),
                    (false, false) => "[yuimaru] Your bank account change was not approved".into(),
                },
                greeting: if ja { format!("{display_name} 様") } else { format!("Dear {display_name},") },
                paragraphs: vec![match (ja, approved) {
                    (true, true) => "次回のお支払いから新しい口座に振り込みます。".into(),
                    (true, false) => "変更は反映されていません。これまでの口座に振り込みます。ご不明な点は担当者にお問い合わせください。".into(),
                    (false, true) => "Payouts from now on go to the new account.".into(),
                    (false, false) => "Nothing changed: payouts keep going to your previous account. Please contact the staff if this is unexpected.".into(),
                }],
                link: None,
            }
            .render(locale)?,
            Self::LotDateAlert {
                display_name,
                sku_code,
                lot_code,
                best_before,
                on_hand,
                expired,
            } => Notice {
                subject: match (ja, expired) {
                    (true, true) => format!("【yuimaru】期限切れの在庫があります（{sku_code}）"),
                    (true, false) => format!("【yuimaru】期限が近い在庫があります（{sku_code}）"),
                    (false, true) => format!("[yuimaru] Expired stock of {sku_code}"),
                    (false, false) => format!("[yuimaru] Stock of {sku_code} is close to its date"),
                },
                greeting: if ja { format!("{display_name} 様") } else { format!("Dear {display_name},") },
                paragraphs: vec![match (ja, expired) {
                    (true, true) => format!("{sku_code}（ロット {lot_code}、期限 {best_before}）の在庫 {on_hand} 個が期限を過ぎました。廃棄または返送の対象です。"),
                    (true, false) => format!("{sku_code}（ロット {lot_code}、期限 {best_before}）の在庫 {on_hand} 個は期限が近いため販売を止めました。値引き販売・返送などをご相談ください。"),
                    (false, true) => format!("{on_hand} unit(s) of {sku_code} (lot {lot_code}, date {best_before}) are past their date and will be disposed of or returned."),
                    (false, false) => format!("{on_hand} unit(s) of {sku_code} (lot {lot_code}, date {best_before}) are close to their date and no longer offered for sale. Let us know about clearance or return."),
                }],
                link: None,
            }
            .render(locale)?,
            Self::LowStock {
                display_name,
                sku_code,
                available,
                threshold,
            } => Notice {
                subject: if ja { format!("【yuimaru】在庫が少なくなりました（{sku_code}）") } else { format!("[yuimaru] Low stock: {sku_code}") },
                greeting: if ja { format!("{display_name} 様") } else { format!("Dear {display_name},") },
                paragraphs: vec![if ja {
                    format!("{sku_code} の販売可能在庫が {available} 個になりました（お知らせの基準 {threshold} 個）。次の出荷をご検討ください。")
                } else {
                    format!("{sku_code} is down to {available} available unit(s) (your threshold: {threshold}). Consider sending more.")
                }],
                link: None,
            }
            .render(locale)?,
            Self::OrderNotice {
                subject,
                greeting,
                paragraphs,
                link,
            } => Notice {
                subject: subject.clone(),
                greeting: greeting.clone(),
                paragraphs: paragraphs.clone(),
                link: link.clone(),
            }
            .render(locale)?,
            Self::ReceiptNotice { display_name, lines } => {
                let mut paragraphs = vec![if ja { "次のとおり受け取りました。".to_string() } else { "We received your shipment as follows.".to_string() }];
                for (code, lot, declared, received, damaged, refused, missing) in lines {
                    paragraphs.push(if ja {
                        format!("・{code}（ロット {lot}）: 予定 {declared} / 入荷 {received} / 破損 {damaged} / 受入不可 {refused} / 不足 {missing}")
                    } else {
                        format!("- {code} (lot {lot}): declared {declared} / received {received} / damaged {damaged} / refused {refused} / missing {missing}")
                    });
                }
                Notice {
                    subject: if ja { "【yuimaru】入荷のご報告".into() } else { "[yuimaru] Your shipment was received".into() },
                    greeting: if ja { format!("{display_name} 様") } else { format!("Dear {display_name},") },
                    paragraphs,
                    link: None,
                }
                .render(locale)?
            }
            Self::StockLoss {
                display_name,
                sku_code,
                lot_code,
                qty,
                reason,
            } => Notice {
                subject: if ja {
                    format!("【yuimaru】在庫の減少（{sku_code}）について")
                } else {
                    format!("[yuimaru] Stock loss on {sku_code}")
                },
                greeting: if ja { format!("{display_name} 様") } else { format!("Dear {display_name},") },
                paragraphs: if ja {
                    vec![
                        format!("{sku_code}（ロット {lot_code}）の在庫が {qty} 個減りました。この損失は生産者様の負担となります。"),
                        format!("理由: {reason}"),
                    ]
                } else {
                    vec![
                        format!("{qty} unit(s) of {sku_code} (lot {lot_code}) were lost; the loss is charged to you."),
                        format!("Reason: {reason}"),
                    ]
                },
                link: None,
            }
            .render(locale)?,
            Self::ProductStatusChanged {
                display_name,
                product_title,
                status,
                comments,
            } => {
                let words = match (status.as_str(), ja) {
                    ("submitted", true) => "審査を受け付けました",
                    ("submitted", false) => "was submitted for review",
                    ("listed", true) => "承認され、販売できる状態になりました",
                    ("listed", false) => "was approved and is now listed",
                    ("rejected", true) => "差し戻されました",
                    ("rejected", false) => "was sent back for changes",
                    ("paused", true) => "販売を一時停止しました",
                    ("paused", false) => "was paused",
                    ("retired", true) => "販売を終了しました",
                    ("retired", false) => "was retired",
                    ("revision_approved", true) => "の変更が承認され、反映されました",
                    ("revision_approved", false) => "were approved and are live",
                    ("revision_rejected", true) => "の変更が差し戻されました（掲載中の内容はそのままです）",
                    ("revision_rejected", false) => "were sent back (the live listing is unchanged)",
                    (_, true) => "の状態が変わりました",
                    (_, false) => "changed",
                };
                let mut paragraphs = vec![if ja {
                    format!("商品「{product_title}」{}{words}。", if words.starts_with('の') { "" } else { "は" })
                } else if status.starts_with("revision_") {
                    format!("Your changes to \"{product_title}\" {words}.")
                } else {
                    format!("Your product \"{product_title}\" {words}.")
                }];
                if !comments.is_empty() {
                    paragraphs.push(if ja { "担当者からのコメント:".into() } else { "Reviewer comments:".into() });
                    for (field, comment) in comments {
                        paragraphs.push(format!("・{field}: {comment}"));
                    }
                }
                Notice {
                    subject: if ja {
                        format!("【yuimaru】商品「{product_title}」について")
                    } else {
                        format!("[yuimaru] Your product \"{product_title}\"")
                    },
                    greeting: if ja { format!("{display_name} 様") } else { format!("Dear {display_name},") },
                    paragraphs,
                    link: None,
                }
                .render(locale)?
            }
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
