//! The receipt of an order — a simplified qualified invoice (適格簡易請求書, DOMAIN-JP.md §1):
//! the issuer's name and registration number, the date, items with the reduced-rate mark,
//! the total and the tax of each rate (computed once per rate when the order was placed);
//! returns listed as a return invoice with the refund's tax per rate.
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

async fn build(app: &AppState, d: OrderDetail) -> ApiResult<Receipt> {
    let s = seller(app, d.order.aggregator_id).await?;
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
        lines: d
            .lines
            .iter()
            .map(|l| ReceiptLine {
                title: l.title.clone(),
                reduced: l.tax_rate == 8,
                unit_price: l.unit_price,
                qty: l.qty,
                amount: l.line_total,
            })
            .collect(),
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
    })
}
