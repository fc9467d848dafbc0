//! Tracking numbers, typed per parcel or imported from the carrier's issued-labels CSV: the
//! parcel leaves, and when every parcel has left the order ships (its stock leaves the ledger,
//! the buyer is told).
use super::fulfilment::{advance, audit, warehouse};
use super::repo;
use super::{
    domain::{FulfilmentStatus, OrderStatus, ParcelStatus},
    events::{OrderShipped, ParcelShipped},
    service::{self as orders, OrderDetail, find, invalid},
};
use crate::{
    core, db,
    error::{ApiError, ApiResult},
    http::actor::Actor,
    inventory::reservations,
    jobs::events,
    state::AppState,
};
use entity::{parcel, shop_order};
use sea_orm::{ColumnTrait, Condition, DatabaseTransaction, sea_query::Expr};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A carrier tracking number: digits (hyphens and spaces dropped), 12 for Yamato.
///
/// # Errors
/// A message for the field.
pub fn tracking_number(carrier: &str, raw: &str) -> Result<String, String> {
    let digits: String = crate::core::jp::to_half_width_ascii(raw)
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("digits only (hyphens allowed)".into());
    }
    let ok = match carrier {
        "yamato" => digits.len() == 12,
        _ => (8..=20).contains(&digits.len()),
    };
    if ok {
        Ok(digits)
    } else {
        Err(format!("a {carrier} tracking number has 12 digits"))
    }
}

/// Records a parcel's tracking number (the parcel has left). When every parcel of the order
/// has one, the order ships: its reserved stock leaves the ledger and the buyer is emailed.
/// Correcting the number of a parcel already shipped changes only the number. False when the
/// parcel already had this number (nothing changed).
///
/// # Errors
/// 404; 409 `invalid_transition` (not packed); 422 `tracking_number`.
#[tracing::instrument(skip_all)]
pub async fn set_tracking_in(
    app: &AppState,
    txn: &DatabaseTransaction,
    o: &shop_order::Model,
    actor: Uuid,
    seq: i32,
    raw: &str,
) -> ApiResult<bool> {
    // Claims the order row first: tracking numbers of one order are saved one at a time, so the
    // last of its parcels always sees the others and ships the order.
    repo::update_orders(
        txn,
        vec![(shop_order::Column::UpdatedAt, Expr::value(core::now()))],
        Condition::all().add(shop_order::Column::Id.eq(o.id)),
    )
    .await?;
    let fresh = repo::order(txn, o.id).await?.ok_or(ApiError::NotFound)?;
    let o = &fresh;
    let p = repo::parcel_where(
        txn,
        Condition::all()
            .add(parcel::Column::OrderId.eq(o.id))
            .add(parcel::Column::Seq.eq(seq)),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    let number =
        tracking_number(&p.carrier, raw).map_err(|m| ApiError::field("tracking_number", m))?;
    let shipping =
        [FulfilmentStatus::Packed, FulfilmentStatus::Shipped].contains(&o.fulfilment_status);
    if o.status != OrderStatus::Open || !shipping {
        return Err(invalid(o, "record a tracking number (pack it first)"));
    }
    if p.tracking_number.as_deref() == Some(number.as_str()) {
        return Ok(false);
    }
    let now = core::now();
    let mut sets = vec![(parcel::Column::TrackingNumber, Expr::value(number.clone()))];
    let leaves = p.status == ParcelStatus::Packed;
    if leaves {
        sets.extend([
            (parcel::Column::Status, Expr::value(ParcelStatus::Shipped)),
            (parcel::Column::ShippedAt, Expr::value(now)),
        ]);
    }
    repo::update_parcels(txn, sets, Condition::all().add(parcel::Column::Id.eq(p.id))).await?;
    if leaves {
        events::record(
            txn,
            app,
            &ParcelShipped {
                aggregator_id: o.aggregator_id,
                order_id: o.id,
                parcel_seq: seq,
            },
        )
        .await?;
    }
    orders::audit_order(
        txn,
        o,
        Some(actor),
        "parcel_tracking",
        serde_json::json!({ "seq": seq, "tracking_number": number, "previous": p.tracking_number }),
    )
    .await?;
    let waiting = repo::parcel_where(
        txn,
        Condition::all()
            .add(parcel::Column::OrderId.eq(o.id))
            .add(parcel::Column::TrackingNumber.is_null()),
    )
    .await?;
    if waiting.is_some() || o.fulfilment_status == FulfilmentStatus::Shipped {
        return Ok(true);
    }
    let shipped = advance(
        txn,
        o.id,
        FulfilmentStatus::Packed,
        FulfilmentStatus::Shipped,
        Some(shop_order::Column::ShippedAt),
    )
    .await?;
    if !shipped {
        return Err(invalid(o, "ship it"));
    }
    if let Some(rid) = o.reservation_id {
        reservations::finish_in(
            txn,
            o.aggregator_id,
            Some(actor),
            rid,
            reservations::status::CONSUMED,
        )
        .await?;
    }
    audit(txn, o, actor, "order_shipped").await?;
    events::record(
        txn,
        app,
        &OrderShipped {
            aggregator_id: o.aggregator_id,
            order_id: o.id,
        },
    )
    .await?;
    Ok(true)
}

/// Staff enter one parcel's tracking number.
///
/// # Errors
/// As [`set_tracking_in`]; 403.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn set_tracking(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    seq: i32,
    raw: &str,
) -> ApiResult<OrderDetail> {
    let agg = warehouse(actor)?;
    let txn = db::begin_write(&app.db).await?;
    let o = find(&txn, agg, id).await?;
    if set_tracking_in(app, &txn, &o, actor.user_id, seq, raw).await? {
        txn.commit().await?;
    }
    orders::detail(&app.db, find(&app.db, agg, id).await?).await
}

/// The outcome of one row of a tracking import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrackingRow {
    /// 1-based line of the file (the header is line 1).
    pub line: usize,
    pub reference: String,
    /// `recorded`, `unchanged` or `error`.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of a tracking import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrackingImport {
    pub recorded: usize,
    pub errors: usize,
    pub rows: Vec<TrackingRow>,
}

/// Imports tracking numbers from a CSV (UTF-8 or Shift_JIS; B2 Cloud's issued-labels export
/// works as is): a header with `お客様管理番号` (or `reference`) and `伝票番号` (or
/// `tracking_number`), one parcel per row as `{order number}-{seq}`. Each row is applied on
/// its own; rows with errors are reported with their line and leave nothing changed.
///
/// # Errors
/// 403; 422 `file` (no such columns, unreadable).
#[tracing::instrument(skip_all)]
pub async fn import_tracking(
    app: &AppState,
    actor: &Actor,
    bytes: &[u8],
) -> ApiResult<TrackingImport> {
    let agg = warehouse(actor)?;
    if bytes.is_empty() || bytes.len() > 5 * 1024 * 1024 {
        return Err(ApiError::field("file", "must be a CSV of at most 5 MiB"));
    }
    use crate::core::csv::{column, headed_rows};
    let (header, records) = headed_rows(bytes, 5_000)?;
    let col = |names: &[&str]| column(&header, names);
    let (Some(rc), Some(tc)) = (
        col(&["お客様管理番号", "reference"]),
        col(&["伝票番号", "tracking_number"]),
    ) else {
        return Err(ApiError::field(
            "file",
            "needs the columns お客様管理番号 (or reference) and 伝票番号 (or tracking_number)",
        ));
    };
    let mut out = TrackingImport {
        recorded: 0,
        errors: 0,
        rows: Vec::new(),
    };
    for (line, rec) in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.errors += 1;
                out.rows.push(TrackingRow {
                    line,
                    reference: String::new(),
                    result: "error".into(),
                    error: Some(e),
                });
                continue;
            }
        };
        let reference = rec.get(rc).unwrap_or("").trim().to_string();
        let tracking = rec.get(tc).unwrap_or("").trim().to_string();
        if reference.is_empty() && tracking.is_empty() {
            continue;
        }
        let result = import_row(app, actor.user_id, agg, &reference, &tracking).await;
        let row = match result {
            Ok(true) => {
                out.recorded += 1;
                TrackingRow {
                    line,
                    reference,
                    result: "recorded".into(),
                    error: None,
                }
            }
            Ok(false) => TrackingRow {
                line,
                reference,
                result: "unchanged".into(),
                error: None,
            },
            Err(e) => {
                out.errors += 1;
                TrackingRow {
                    line,
                    reference,
                    result: "error".into(),
                    error: Some(e),
                }
            }
        };
        out.rows.push(row);
    }
    Ok(out)
}

async fn import_row(
    app: &AppState,
    actor: Uuid,
    agg: Uuid,
    reference: &str,
    tracking: &str,
) -> Result<bool, String> {
    let Some((number, seq)) = reference.rsplit_once('-') else {
        return Err("お客様管理番号 must be {order number}-{parcel}".into());
    };
    let seq: i32 = seq
        .parse()
        .map_err(|_| "the parcel number after '-' must be a number".to_string())?;
    let inner = async {
        let txn = db::begin_write(&app.db).await?;
        let o = repo::order_where(
            &txn,
            Condition::all()
                .add(shop_order::Column::AggregatorId.eq(agg))
                .add(shop_order::Column::Number.eq(number)),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
        let changed = set_tracking_in(app, &txn, &o, actor, seq, tracking).await?;
        if changed {
            txn.commit().await?;
        }
        Ok::<bool, ApiError>(changed)
    };
    inner.await.map_err(|e| match e {
        ApiError::NotFound => format!("no parcel {reference}"),
        e @ ApiError::Validation { .. } => e.describe(),
        ApiError::Conflict { message, .. } => message,
        other => {
            tracing::error!(error = %other, "tracking import row failed");
            "could not be saved; try again".into()
        }
    })
}
