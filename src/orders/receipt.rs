//! The receipt of an order — a simplified qualified invoice (適格簡易請求書, DOMAIN-JP.md §1):
//! the issuer's name and registration number, the date, items with the reduced-rate mark,
//! the total and the tax of each rate (computed once per rate when the order was placed);
//! returns listed as a return invoice with the refund's tax per rate. In consignment the
//! producer is the seller (DOMAIN-JP §1), so the items are also given per issuer, each block
//! its own invoice with its total and tax once per rate: the aggregator's block under its own
//! number (媒介者交付特例 goods and its own fees), one block per producer whose goods are sold
//! under its own name and number (代理交付), and the goods of sellers without a registration
//! (免税事業者) apart, never under a registration number.
use super::{
    domain::{MONEY_RECEIVED, order_fees},
    returns::refund_by_rate,
    seller::seller,
    service::{self, OrderDetail},
};
use crate::{error::ApiResult, state::AppState};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One item of the receipt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptLine {
    pub title: String,
    /// Reduced rate (8 %): marked ※.
    pub reduced: bool,
    /// 10, 8, or 0 for an export sale (輸出免税: shown as 0 %, no tax).
    pub tax_rate: i16,
    pub unit_price: i64,
    pub qty: i64,
    pub amount: i64,
}

/// Units given back, with their refund.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptReturn {
    pub title: String,
    pub reduced: bool,
    pub qty: i64,
    pub refund: i64,
}

/// Totals and tax of one rate.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct RateTotal {
    /// 8 or 10.
    pub rate: i16,
    /// Tax-included sum at this rate.
    pub total: i64,
    /// Consumption tax contained in it.
    pub tax: i64,
}

/// A cash-on-delivery slip: what the carrier collects with one parcel.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CodSlip {
    /// The parcel's number.
    pub parcel: i32,
    /// Collected, tax included.
    pub amount: i64,
    /// Consumption tax in it (the order's tax apportioned).
    pub tax: i64,
}

/// The items one issuer's qualified invoice covers, with its totals and tax once per rate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptIssuer {
    /// `aggregator` (under the aggregator's number: goods sold under 媒介者交付特例 and its own
    /// fees), `producer` (代理交付: under that producer's name and number) or `unregistered`
    /// (goods of sellers without a registration: not a qualified invoice).
    pub kind: String,
    pub name: String,
    pub registration_number: Option<String>,
    pub lines: Vec<ReceiptLine>,
    /// The aggregator's own fees (shipping, cool, remote-island, cash on delivery; 10 %).
    pub fees: i64,
    pub rates: Vec<RateTotal>,
    pub total: i64,
}

/// A receipt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receipt {
    pub order_id: Uuid,
    pub number: String,
    /// A receipt for money received (`false`: a statement of the order, not yet paid).
    pub paid: bool,
    pub issuer_name: String,
    pub issuer_address: String,
    /// `T` + 13 digits; absent when the issuer is not registered.
    pub registration_number: Option<String>,
    /// The date of payment (or of the order while unpaid), in Japan.
    pub date: NaiveDate,
    pub lines: Vec<ReceiptLine>,
    /// Shipping, cool, remote-island and cash-on-delivery fees (10 %).
    pub fees: i64,
    pub rates: Vec<RateTotal>,
    pub grand_total: i64,
    /// Cash on delivery: the slips that collect (empty for other payment methods).
    pub cash_on_delivery: Vec<CodSlip>,
    pub returns: Vec<ReceiptReturn>,
    /// The refunds of the returns per rate, tax computed once per rate.
    pub refund_rates: Vec<RateTotal>,
    /// The same items per issuer (see the module).
    pub issuers: Vec<ReceiptIssuer>,
}

/// The receipt of order `id` through the buyer's signed link (404 for a wrong link).
///
/// # Errors
/// 404; database failure.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn for_buyer(app: &AppState, agg: Uuid, id: Uuid, token: &str) -> ApiResult<Receipt> {
    let (d, _) = service::for_buyer(app, agg, id, token).await?;
    build(app, d).await
}

/// A qualified invoice (適格請求書) for a business or municipality buyer: the receipt's issuer
/// blocks (the aggregator's under its number for 媒介者交付特例 goods and its own fees, each
/// 代理交付 producer's under its own, the goods of unregistered sellers apart and never under
/// a number), each with its totals and tax once per rate and 0 % export sales shown as such,
/// addressed to the recipient and dated with the day the goods were delivered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QualifiedInvoice {
    /// 適格請求書.
    pub title: String,
    /// The business or municipality it is issued to (書類の交付を受ける事業者の名称).
    pub recipient: String,
    /// The transaction's date: the day the order shipped (the order's day while it has not).
    pub transaction_date: NaiveDate,
    pub issued_on: NaiveDate,
    pub receipt: Receipt,
}

/// The qualified invoice of order `id` for `recipient` (staff of the tenant).
///
/// # Errors
/// 403; 404; 422 `recipient` (empty, over 100 characters or with control characters).
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn qualified_invoice(
    app: &AppState,
    actor: &crate::http::actor::Actor,
    id: Uuid,
    recipient: &str,
) -> ApiResult<QualifiedInvoice> {
    let recipient = recipient.trim();
    if recipient.is_empty() {
        return Err(crate::error::ApiError::field(
            "recipient",
            "is required: the business or municipality the invoice is issued to",
        ));
    }
    if recipient.chars().count() > 100 || recipient.chars().any(char::is_control) {
        return Err(crate::error::ApiError::field(
            "recipient",
            "must be at most 100 printable characters",
        ));
    }
    let (d, _) = service::get(app, actor, id).await?;
    let at = d.order.shipped_at.unwrap_or(d.order.created_at) + chrono::Duration::hours(9);
    let transaction_date = at.date_naive();
    let receipt = build(app, d).await?;
    Ok(QualifiedInvoice {
        title: "適格請求書".into(),
        recipient: recipient.to_string(),
        transaction_date,
        issued_on: crate::core::today_jst(),
        receipt,
    })
}

/// The issuer blocks of `d` (see the module). Lines placed before rules were kept on them
/// follow the producer's state now.
async fn issuers(
    app: &AppState,
    d: &OrderDetail,
    s: &super::seller::SellerProfile,
) -> ApiResult<Vec<ReceiptIssuer>> {
    use crate::core::invoice::{InvoiceRule, SellerStatus, rule_for};
    use sea_orm::ColumnTrait;
    let ids: Vec<Uuid> = d.lines.iter().map(|l| l.producer_id).collect();
    let producers: std::collections::HashMap<Uuid, entity::producer::Model> =
        crate::producers::repo::all_producers_where(
            &app.db,
            sea_orm::Condition::all().add(entity::producer::Column::Id.is_in(ids)),
        )
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let ours = s.invoice_number.clone().filter(|n| !n.is_empty());
    let on = (d.order.created_at + chrono::Duration::hours(9)).date_naive();
    let rule_of = |l: &entity::order_line::Model| -> (InvoiceRule, Option<String>) {
        if let Some(r) = l.invoice_rule.as_deref().and_then(InvoiceRule::parse) {
            return (r, l.seller_invoice_number.clone());
        }
        producers
            .get(&l.producer_id)
            .map_or((InvoiceRule::None, None), |p| {
                rule_for(
                    SellerStatus {
                        invoice_number: p.invoice_number.as_deref(),
                        tax_exempt: p.tax_exempt,
                        notified_on: p.invoice_notified_on,
                    },
                    ours.as_deref(),
                    on,
                )
            })
    };
    let block = |kind: &str,
                 name: String,
                 number: Option<String>,
                 lines: Vec<&entity::order_line::Model>,
                 fees: i64| {
        let sum = |rate: i16| -> i64 {
            lines
                .iter()
                .filter(|l| l.tax_rate == rate)
                .map(|l| l.line_total)
                .sum()
        };
        let (t8, t10, t0) = (sum(8), sum(10) + fees, sum(0));
        let mut rates = vec![
            RateTotal {
                rate: 8,
                total: t8,
                tax: crate::core::money::included_tax(t8, 8, &s.tax_rounding),
            },
            RateTotal {
                rate: 10,
                total: t10,
                tax: crate::core::money::included_tax(t10, 10, &s.tax_rounding),
            },
        ];
        if t0 != 0 {
            // Export sales (輸出免税) are shown as 0 %, with no tax.
            rates.push(RateTotal {
                rate: 0,
                total: t0,
                tax: 0,
            });
        }
        ReceiptIssuer {
            kind: kind.into(),
            name,
            registration_number: number,
            lines: lines.iter().map(|l| receipt_line(l)).collect(),
            fees,
            rates,
            total: t8 + t10 + t0,
        }
    };
    let mut out = Vec::new();
    let ruled: Vec<(&entity::order_line::Model, InvoiceRule, Option<String>)> = d
        .lines
        .iter()
        .map(|l| {
            let (r, n) = rule_of(l);
            (l, r, n)
        })
        .collect();
    let fees = order_fees(&d.order);
    let mine: Vec<_> = ruled
        .iter()
        .filter(|(_, r, _)| *r == InvoiceRule::Intermediary)
        .map(|(l, _, _)| *l)
        .collect();
    if !mine.is_empty() || fees > 0 {
        out.push(block(
            "aggregator",
            s.name.clone(),
            ours.clone(),
            mine,
            fees,
        ));
    }
    let mut agents: Vec<(Uuid, String)> = Vec::new();
    for (l, r, n) in &ruled {
        if *r == InvoiceRule::Agent
            && let Some(n) = n
            && !agents.iter().any(|(p, _)| *p == l.producer_id)
        {
            agents.push((l.producer_id, n.clone()));
        }
    }
    for (pid, number) in agents {
        let lines: Vec<_> = ruled
            .iter()
            .filter(|(l, r, _)| *r == InvoiceRule::Agent && l.producer_id == pid)
            .map(|(l, _, _)| *l)
            .collect();
        let name = producers
            .get(&pid)
            .map(|p| p.legal_name.clone())
            .unwrap_or_default();
        out.push(block("producer", name, Some(number), lines, 0));
    }
    let others: Vec<_> = ruled
        .iter()
        .filter(|(_, r, _)| *r == InvoiceRule::None)
        .map(|(l, _, _)| *l)
        .collect();
    if !others.is_empty() {
        out.push(block("unregistered", s.name.clone(), None, others, 0));
    }
    Ok(out)
}

fn receipt_line(l: &entity::order_line::Model) -> ReceiptLine {
    ReceiptLine {
        title: l.title.clone(),
        reduced: l.tax_rate == 8,
        tax_rate: l.tax_rate,
        unit_price: l.unit_price,
        qty: l.qty,
        amount: l.line_total,
    }
}

async fn build(app: &AppState, d: OrderDetail) -> ApiResult<Receipt> {
    let s = seller(app, d.order.aggregator_id).await?;
    let issuers = issuers(app, &d, &s).await?;
    let o = &d.order;
    let rate_of = |line: Uuid| d.lines.iter().find(|l| l.id == line).map(|l| l.tax_rate);
    let r = refund_by_rate(&s.tax_rounding, &d.returns, rate_of);
    let at = o.paid_at.unwrap_or(o.created_at) + chrono::Duration::hours(9);
    Ok(Receipt {
        order_id: o.id,
        number: o.number.clone(),
        paid: MONEY_RECEIVED.contains(&o.payment_status),
        issuer_name: s.name.clone(),
        issuer_address: s.address.clone(),
        registration_number: s.invoice_number.clone().filter(|n| !n.is_empty()),
        date: at.date_naive(),
        lines: d.lines.iter().map(receipt_line).collect(),
        fees: order_fees(o),
        rates: vec![
            RateTotal {
                rate: 8,
                total: o.total8,
                tax: o.tax8,
            },
            RateTotal {
                rate: 10,
                total: o.total10,
                tax: o.tax10,
            },
        ],
        grand_total: o.grand_total,
        cash_on_delivery: d
            .parcels
            .iter()
            .filter(|p| p.cod_amount > 0)
            .map(|p| CodSlip {
                parcel: p.seq,
                amount: p.cod_amount,
                tax: p.cod_tax,
            })
            .collect(),
        returns: d
            .returns
            .iter()
            .map(|ret| {
                let line = d.lines.iter().find(|l| l.id == ret.order_line_id);
                ReceiptReturn {
                    title: line.map(|l| l.title.clone()).unwrap_or_default(),
                    reduced: line.is_some_and(|l| l.tax_rate == 8),
                    qty: ret.qty,
                    refund: ret.refund_amount,
                }
            })
            .collect(),
        refund_rates: vec![
            RateTotal {
                rate: 8,
                total: r.total8,
                tax: r.tax8,
            },
            RateTotal {
                rate: 10,
                total: r.total10,
                tax: r.tax10,
            },
        ],
        issuers,
    })
}
