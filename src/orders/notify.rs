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
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn send(app: &AppState, id: Uuid, event: &str, key: &str) -> Result<(), JobError> {
    let retry = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    let Some(o) = super::repo::order(&app.db, id).await.map_err(retry)? else {
        return Err(JobError::Reject("no such order".into()));
    };
    if o.source != super::domain::OrderSource::Shop {
        // A channel writes to its own buyers (Rakuten allows no shop mail outside its system).
        return Ok(());
    }
    let Some(buyer) = buyer_of(app, &o).map_err(|e| JobError::Reject(e.describe()))? else {
        // Purged: nobody to write to any more.
        return Ok(());
    };
    let agg = crate::aggregators::repo::by_id(&app.db, o.aggregator_id)
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
    agg: &entity::aggregator::Model,
    settings: &SellerProfile,
    d: &OrderDetail,
    buyer: &BuyerData,
    event: &str,
) -> EmailMessage {
    let locale = Locale::parse(&buyer.locale);
    let o = &d.order;
    let shop = if settings.name.is_empty() {
        agg.name.clone()
    } else {
        settings.name.clone()
    };
    let subject = |key: &str| locale.fill(key, &[("shop", &shop), ("number", &o.number)]);
    let mut paragraphs = Vec::new();
    let items: Vec<String> = d
        .lines
        .iter()
        .map(|l| {
            locale.fill(
                "mail.order.item",
                &[
                    ("title", &l.title),
                    ("mark", if l.tax_rate == 8 { "※" } else { "" }),
                    ("qty", &l.qty.to_string()),
                    ("amount", &yen(l.line_total)),
                ],
            )
        })
        .collect();
    let totals = locale.fill(
        "mail.order.totals",
        &[
            ("goods", &yen(o.goods_total)),
            ("shipping", &yen(o.shipping_total)),
            ("cool", &yen(o.cool_total)),
            ("surcharge", &yen(o.surcharge_total)),
            ("cod", &yen(o.cod_fee)),
            ("total", &yen(o.grand_total)),
            ("total8", &yen(o.total8)),
            ("tax8", &yen(o.tax8)),
            ("total10", &yen(o.total10)),
            ("tax10", &yen(o.tax10)),
        ],
    );
    let number = [("number", o.number.as_str())];
    let subject = match event {
        CONFIRMATION => {
            paragraphs.push(locale.fill("mail.order.received", &number));
            paragraphs.push(items.join("\n"));
            paragraphs.push(totals);
            let total = yen(o.grand_total);
            paragraphs.push(match o.payment_method {
                PaymentMethod::BankTransfer => locale.fill(
                    "mail.order.pay.bank_transfer",
                    &[
                        ("total", &total),
                        (
                            "by",
                            &o.pay_by.map(crate::core::jst_text).unwrap_or_default(),
                        ),
                        ("number", &o.number),
                        ("instructions", &settings.bank_transfer_instructions),
                    ],
                ),
                PaymentMethod::CashOnDelivery => {
                    locale.fill("mail.order.pay.cash_on_delivery", &[("total", &total)])
                }
                PaymentMethod::Card | PaymentMethod::Marketplace => {
                    locale.text("mail.order.pay.card").to_string()
                }
            });
            paragraphs.push(locale.fill(
                "mail.order.follow",
                &[
                    ("delivery", &settings.delivery_text),
                    ("cancellation", &settings.cancellation_text),
                ],
            ));
            subject("mail.order.subject.confirmation")
        }
        CANCELLED => {
            paragraphs.push(locale.fill("mail.order.cancelled", &number));
            if o.refund_owed > 0 || o.refunded_total > 0 {
                paragraphs.push(locale.fill(
                    "mail.order.cancel_refund",
                    &[("amount", &yen(o.refund_owed.max(o.refunded_total)))],
                ));
            }
            subject("mail.order.subject.cancelled")
        }
        SHIPPED => {
            paragraphs.push(locale.text("mail.order.shipped").to_string());
            for p in &d.parcels {
                if let Some(t) = &p.tracking_number {
                    paragraphs.push(locale.fill(
                        "mail.order.parcel",
                        &[("seq", &p.seq.to_string()), ("tracking", t)],
                    ));
                }
            }
            subject("mail.order.subject.shipped")
        }
        _ => {
            paragraphs.push(locale.fill(
                "mail.order.refunded",
                &[("amount", &yen(o.refunded_total + o.refund_owed))],
            ));
            subject("mail.order.subject.refunded")
        }
    };
    EmailMessage::OrderNotice {
        subject,
        greeting: locale.fill("mail.order.greeting", &[("name", &buyer.buyer.name)]),
        paragraphs,
        link: Some((
            locale.text("mail.order.link").to_string(),
            order_link(app, &agg.slug, o.id),
        )),
    }
}
