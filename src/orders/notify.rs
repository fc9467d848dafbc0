//! Emails to buyers about their orders, sent by the `orders.buyer_email` subscriber of the
//! order events. The event names only the order; the address and name are decrypted from the
//! order when sending, so no personal data sits in the job table, and nothing is sent once the
//! data was purged.
use super::{
    domain::{BuyerData, PaymentMethod},
    privacy::buyer_of,
    seller::{SellerProfile, seller},
    service::{OrderDetail, detail},
};
use crate::{
    core::locale::Locale, core::money::grouped as yen, jobs::JobError,
    mail::messages::EmailMessage, state::AppState,
};
use entity::{aggregator, shop_order};
use sea_orm::EntityTrait;
use uuid::Uuid;

/// The order was placed.
pub const CONFIRMATION: &str = "confirmation";
/// The order was cancelled.
pub const CANCELLED: &str = "cancelled";
/// Parcels left the warehouse (with tracking numbers).
pub const SHIPPED: &str = "shipped";
/// Part of the order was returned and refunded (or the refund is owed).
pub const REFUNDED: &str = "refunded";

/// The public link of an order (view and cancel).
pub fn order_link(app: &AppState, slug: &str, order_id: Uuid) -> String {
    format!(
        "{}/{slug}/shop/orders/{order_id}?t={}",
        app.settings.server.base_url.trim_end_matches('/'),
        super::privacy::order_token(&app.settings, order_id)
    )
}

/// Sends the buyer's email about `event` of order `id`; `key` names the delivery (its
/// Message-ID is stable across retries).
///
/// # Errors
/// Retry on database or mail failures; reject for an order that is gone.
pub async fn send(app: &AppState, id: Uuid, event: &str, key: &str) -> Result<(), JobError> {
    let retry = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    let Some(o) = shop_order::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .map_err(retry)?
    else {
        return Err(JobError::Reject("no such order".into()));
    };
    let Some(buyer) = buyer_of(app, &o).map_err(|e| JobError::Reject(e.describe()))? else {
        // Purged: nobody to write to any more.
        return Ok(());
    };
    let agg = aggregator::Entity::find_by_id(o.aggregator_id)
        .one(&app.db)
        .await
        .map_err(retry)?
        .ok_or_else(|| JobError::Reject("no aggregator".into()))?;
    let settings = seller(app, o.aggregator_id).await?;
    let detail = detail(&app.db, o.clone()).await?;
    let message = compose(app, &agg, &settings, &detail, &buyer, event);
    let locale = Locale::parse(&buyer.locale);
    let rendered = message
        .render(locale)
        .map_err(|e| JobError::Reject(format!("rendering failed: {e}")))?;
    crate::jobs::builtin::deliver(app, key, buyer.buyer.email.clone(), rendered).await
}

fn compose(
    app: &AppState,
    agg: &aggregator::Model,
    settings: &SellerProfile,
    d: &OrderDetail,
    buyer: &BuyerData,
    event: &str,
) -> EmailMessage {
    let ja = buyer.locale != "en";
    let o = &d.order;
    let shop = if settings.name.is_empty() {
        agg.name.clone()
    } else {
        settings.name.clone()
    };
    let mut paragraphs = Vec::new();
    let items: Vec<String> = d
        .lines
        .iter()
        .map(|l| {
            let mark = if l.tax_rate == 8 { "※" } else { "" };
            format!("・{}{mark} × {} … {} 円", l.title, l.qty, yen(l.line_total))
        })
        .collect();
    let totals = if ja {
        format!(
            "商品 {} 円 / 送料 {} 円 / クール {} 円 / 離島加算 {} 円 / 代引手数料 {} 円\n合計 {} 円（8%対象 {} 円 うち消費税 {} 円、10%対象 {} 円 うち消費税 {} 円）\n※は軽減税率（8%）対象です。",
            yen(o.goods_total),
            yen(o.shipping_total),
            yen(o.cool_total),
            yen(o.surcharge_total),
            yen(o.cod_fee),
            yen(o.grand_total),
            yen(o.total8),
            yen(o.tax8),
            yen(o.total10),
            yen(o.tax10)
        )
    } else {
        format!(
            "Goods ¥{} / shipping ¥{} / cool ¥{} / remote-island ¥{} / cash-on-delivery fee ¥{}\nTotal ¥{} (8%: ¥{} incl. tax ¥{}; 10%: ¥{} incl. tax ¥{}). ※ marks reduced-rate (8%) items.",
            yen(o.goods_total),
            yen(o.shipping_total),
            yen(o.cool_total),
            yen(o.surcharge_total),
            yen(o.cod_fee),
            yen(o.grand_total),
            yen(o.total8),
            yen(o.tax8),
            yen(o.total10),
            yen(o.tax10)
        )
    };
    let subject;
    match event {
        CONFIRMATION => {
            subject = if ja {
                format!(
                    "【{shop}】ご注文ありがとうございます（注文番号 {}）",
                    o.number
                )
            } else {
                format!("[{shop}] Thank you for your order {}", o.number)
            };
            paragraphs.push(if ja {
                format!("ご注文を承りました。注文番号: {}", o.number)
            } else {
                format!("We have received your order {}.", o.number)
            });
            paragraphs.push(items.join("\n"));
            paragraphs.push(totals);
            match o.payment_method {
                PaymentMethod::BankTransfer => {
                    let by = o.pay_by.map(crate::core::jst_text).unwrap_or_default();
                    paragraphs.push(if ja {
                        format!(
                            "お支払い方法: 銀行振込（前払い）\n{} 円を {} までに下記口座へお振込みください。振込依頼人名の前に注文番号 {} を入れてください。\n{}\n期限までにご入金がない場合、ご注文は自動的にキャンセルされます。",
                            yen(o.grand_total), by, o.number, settings.bank_transfer_instructions
                        )
                    } else {
                        format!(
                            "Payment: bank transfer in advance. Please transfer ¥{} by {} to the account below, putting the order number {} before your name.\n{}\nUnpaid orders are cancelled after the deadline.",
                            yen(o.grand_total), by, o.number, settings.bank_transfer_instructions
                        )
                    });
                }
                PaymentMethod::CashOnDelivery => paragraphs.push(if ja {
                    format!(
                        "お支払い方法: 代金引換（お届け時に {} 円をお支払いください）",
                        yen(o.grand_total)
                    )
                } else {
                    format!(
                        "Payment: cash on delivery (¥{} on delivery).",
                        yen(o.grand_total)
                    )
                }),
                PaymentMethod::Card => paragraphs.push(if ja {
                    "お支払い方法: クレジットカード".into()
                } else {
                    "Payment: card".into()
                }),
            }
            paragraphs.push(if ja {
                format!(
                    "発送: {}\nキャンセル: {}",
                    settings.delivery_text, settings.cancellation_text
                )
            } else {
                "You can follow the order and cancel it before shipment through the link below."
                    .into()
            });
        }
        CANCELLED => {
            subject = if ja {
                format!(
                    "【{shop}】ご注文をキャンセルしました（注文番号 {}）",
                    o.number
                )
            } else {
                format!("[{shop}] Your order {} was cancelled", o.number)
            };
            paragraphs.push(if ja {
                format!("注文番号 {} をキャンセルしました。", o.number)
            } else {
                format!("Order {} has been cancelled.", o.number)
            });
            if o.refund_owed > 0 || o.refunded_total > 0 {
                paragraphs.push(if ja {
                    format!(
                        "お支払い済みの {} 円は返金いたします。",
                        yen(o.refund_owed.max(o.refunded_total))
                    )
                } else {
                    format!(
                        "The ¥{} you paid will be refunded.",
                        yen(o.refund_owed.max(o.refunded_total))
                    )
                });
            }
        }
        SHIPPED => {
            subject = if ja {
                format!("【{shop}】商品を発送しました（注文番号 {}）", o.number)
            } else {
                format!("[{shop}] Your order {} has shipped", o.number)
            };
            paragraphs.push(if ja {
                "ご注文の商品を発送しました。ヤマト運輸の送り状番号でお荷物を追跡できます。".into()
            } else {
                "Your order has shipped. Track the parcels with Yamato Transport's tracking numbers:".into()
            });
            for p in &d.parcels {
                if let Some(t) = &p.tracking_number {
                    paragraphs.push(format!(
                        "{} {}: {t}  https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01={t}",
                        if ja { "個口" } else { "Parcel" },
                        p.seq
                    ));
                }
            }
        }
        _ => {
            subject = if ja {
                format!("【{shop}】返品・返金のお知らせ（注文番号 {}）", o.number)
            } else {
                format!("[{shop}] Return and refund for order {}", o.number)
            };
            paragraphs.push(if ja {
                format!(
                    "返品を承りました。返金額の合計は {} 円です。",
                    yen(o.refunded_total + o.refund_owed)
                )
            } else {
                format!(
                    "We recorded your return. Refunds so far: ¥{}.",
                    yen(o.refunded_total + o.refund_owed)
                )
            });
        }
    }
    EmailMessage::OrderNotice {
        subject,
        greeting: if ja {
            format!("{} 様", buyer.buyer.name)
        } else {
            format!("Dear {},", buyer.buyer.name)
        },
        paragraphs,
        link: Some((
            if ja {
                "ご注文の確認・キャンセル"
            } else {
                "View or cancel the order"
            }
            .into(),
            order_link(app, &agg.slug, o.id),
        )),
    }
}
