//! The carrier label file of a batch of packed orders (Yamato B2 Cloud today; carriers sit
//! behind [`super::carriers::CarrierExporter`]).
use super::{
    carriers::{self, Collect, LabelAddress, LabelRow},
    domain::{FulfilmentStatus, OrderStatus, PaymentMethod},
    privacy::buyer_of,
    seller::seller,
    service::{self as orders, find, invalid},
};
use super::{
    error::OrderError,
    fulfilment::{batch, warehouse},
};
use crate::{
    core,
    error::{ApiError, ApiResult},
    http::actor::Actor,
    state::AppState,
};
use chrono::NaiveDate;
use std::collections::HashMap;
use uuid::Uuid;

/// The label file for the parcels of packed orders.
pub struct LabelFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub filename: String,
    /// Rows written.
    pub parcels: usize,
    /// Parcels left out because the carrier cannot print one of their values.
    pub skipped: Vec<carriers::ExportError>,
}

/// The carrier's label-import file for every parcel of the given packed orders. A parcel with
/// a name or address the carrier cannot print is left out and named (the rest are exported);
/// only when none can be is the request refused.
///
/// # Errors
/// 403; 404; 409 `invalid_transition` (not packed), `carrier_not_configured`,
/// `personal_data_purged`; 422 `carrier`, `order_ids`, a value the file cannot hold.
#[tracing::instrument(skip_all)]
pub async fn carrier_file(
    app: &AppState,
    actor: &Actor,
    carrier: &str,
    ids: &[Uuid],
    ship_date: Option<NaiveDate>,
) -> ApiResult<LabelFile> {
    let agg = warehouse(actor)?;
    let Some(exporter) = carriers::exporter(carrier) else {
        return Err(ApiError::field(
            "carrier",
            format!("must be one of {}", carriers::CARRIERS.join(", ")),
        ));
    };
    batch(ids)?;
    let today = core::today_jst();
    let ship_date = ship_date.unwrap_or(today);
    if ship_date < today || ship_date > today + chrono::Duration::days(30) {
        return Err(ApiError::field(
            "ship_date",
            "must be today or within the next 30 days",
        ));
    }
    let s = seller(app, agg).await?;
    if s.yamato_customer_code.is_empty() || s.name.is_empty() || s.phone.is_empty() {
        return Err(OrderError::CarrierNotConfigured.into());
    }
    let prefectures: HashMap<String, String> = crate::reference::repo::prefectures(&app.db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name_ja))
        .collect();
    let from = LabelAddress {
        phone: carriers::hyphenated_phone(&s.phone),
        postal_code: s.postal_code.clone(),
        address: s.address.clone(),
        building: String::new(),
        name: s.name.clone(),
        kana: String::new(),
    };
    let mut rows = Vec::new();
    for id in ids {
        let o = find(&app.db, agg, *id).await?;
        if o.status != OrderStatus::Open || o.fulfilment_status != FulfilmentStatus::Packed {
            return Err(invalid(&o, "print its labels (pack it first)"));
        }
        let Some(buyer) = buyer_of(app, &o)? else {
            return Err(OrderError::PersonalDataPurged { number: o.number }.into());
        };
        let to = buyer.destination();
        let d = orders::detail(&app.db, o).await?;
        for p in &d.parcels {
            let mut titles: Vec<&str> = d
                .lines
                .iter()
                .filter(|l| l.parcel_seq == p.seq)
                .map(|l| l.title.as_str())
                .collect();
            titles.sort_unstable();
            let mut item: String = titles
                .first()
                .copied()
                .unwrap_or("食品")
                .chars()
                .take(20)
                .collect();
            if titles.len() > 1 {
                item.push_str(" 他");
            }
            // The parcel's own slip (DOMAIN-JP.md §4): what the order fixed when it was placed.
            let collect = (d.order.payment_method == PaymentMethod::CashOnDelivery
                && p.cod_amount > 0)
                .then_some(Collect {
                    amount: p.cod_amount,
                    tax: p.cod_tax,
                });
            rows.push(LabelRow {
                reference: format!("{}-{}", d.order.number, p.seq),
                temperature_class: p.temperature_class.clone(),
                collect,
                ship_date,
                delivery_date: p.delivery_date,
                time_slot: p.time_slot.clone(),
                to: LabelAddress {
                    phone: carriers::hyphenated_phone(&to.phone),
                    postal_code: to.postal_code.clone(),
                    address: format!(
                        "{}{}{}",
                        prefectures.get(&to.prefecture).cloned().unwrap_or_default(),
                        to.city,
                        to.address1
                    ),
                    building: to.address2.clone(),
                    name: to.name.clone(),
                    kana: to.kana.clone(),
                },
                from: from.clone(),
                item_name: item,
                handling: if p.temperature_class == "ambient" {
                    String::new()
                } else {
                    "ナマモノ".into()
                },
                note: format!("注文番号 {}", d.order.number),
                billing_code: s.yamato_customer_code.clone(),
            });
        }
    }
    let out = exporter.export(&rows);
    if out.written == 0 && !out.skipped.is_empty() {
        // Nothing printable: every parcel named (the batch as a whole is a bad request).
        return Err(ApiError::invalid(
            out.skipped
                .iter()
                .map(|e| {
                    (
                        format!("parcels.{}.{}", e.reference, e.field),
                        e.message.clone(),
                    )
                })
                .collect(),
        ));
    }
    Ok(LabelFile {
        bytes: out.bytes,
        content_type: exporter.content_type(),
        filename: exporter.filename(ship_date),
        parcels: out.written,
        skipped: out.skipped,
    })
}
