//! Operator adjustments (count corrections, damage, loss, disposal, return to producer), each
//! with a reason and, for losses, who bears them; and the recall trace of a lot.
use super::ledger::{self, Change, kind};
use super::repo;
use crate::{
    audit::{self, AuditRecord},
    auth::service::enqueue_mail,
    core::{self, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    mail::messages::EmailMessage,
    state::AppState,
};
use entity::{reservation, reservation_line, stock_lot, stock_movement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

/// Emails the producer that `qty` units of `lot` were lost at their charge (once per `key`).
///
/// # Errors
/// Database failure.
pub(super) async fn notify_producer_loss(
    db: &impl ConnectionTrait,
    lot: &stock_lot::Model,
    qty: i64,
    reason: &str,
    key: &str,
) -> ApiResult<()> {
    let Some(user) = super::alerts::producer_user(db, lot.producer_id).await? else {
        return Ok(());
    };
    let code = crate::catalog::repo::sku(db, lot.sku_id)
        .await?
        .map(|s| s.code)
        .unwrap_or_default();
    enqueue_mail(
        db,
        &user,
        key,
        EmailMessage::StockLoss {
            display_name: user.display_name.clone(),
            sku_code: code,
            lot_code: lot.lot_code.clone(),
            qty,
            reason: reason.to_string(),
        },
    )
    .await?;
    Ok(())
}

/// Kinds of adjustment (in the order the lot page offers them) and whether they are a loss.
pub const KINDS: [(&str, bool); 5] = [
    (kind::ADJUSTMENT, false),
    (kind::DAMAGE, true),
    ("loss", true),
    (kind::DISPOSAL, true),
    (kind::RETURN_TO_PRODUCER, false),
];

/// Loss bearers.
pub const BEARERS: [&str; 3] = ["producer", "aggregator", "carrier"];

/// An adjustment request.
#[derive(Debug, Clone)]
pub struct AdjustmentInput {
    pub lot_id: Uuid,
    /// adjustment (count correction, ±), damage, loss, disposal, return_to_producer (−).
    pub kind: String,
    pub qty_delta: i64,
    pub reason: String,
    pub loss_bearer: Option<String>,
}

/// Applies an adjustment to a lot (operators). Losses need a bearer; the producer is emailed
/// when a loss is charged to them. Audit-logged.
///
/// # Errors
/// 403; 404 lot; 409 `insufficient_stock` (would go below reserved or zero); 422 fields.
#[tracing::instrument(skip_all)]
pub async fn adjust(
    app: &AppState,
    actor: &Actor,
    input: AdjustmentInput,
) -> ApiResult<stock_movement::Model> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let Some((k, is_loss)) = KINDS.iter().find(|(k, _)| *k == input.kind).copied() else {
        return Err(ApiError::field(
            "kind",
            "must be adjustment, damage, loss, disposal or return_to_producer",
        ));
    };
    let k = if k == "loss" { kind::ADJUSTMENT } else { k };
    let reason = validate::text(&input.reason, 500).map_err(|m| ApiError::field("reason", m))?;
    if input.qty_delta == 0 || input.qty_delta.abs() > 1_000_000 {
        return Err(ApiError::field(
            "qty_delta",
            "must be a non-zero count up to 1,000,000",
        ));
    }
    if input.kind != kind::ADJUSTMENT && input.qty_delta > 0 {
        return Err(ApiError::field(
            "qty_delta",
            "must be negative for this kind",
        ));
    }
    let bearer = match (&input.loss_bearer, is_loss) {
        (Some(b), _) if !BEARERS.contains(&b.as_str()) => {
            return Err(ApiError::field(
                "loss_bearer",
                "must be producer, aggregator or carrier",
            ));
        }
        (None, true) => return Err(ApiError::field("loss_bearer", "is required for a loss")),
        (b, _) => b.clone(),
    };
    let txn = db::begin_write(&app.db).await?;
    let lot = repo::lot_where(
        &txn,
        Condition::all()
            .add(stock_lot::Column::Id.eq(input.lot_id))
            .add(stock_lot::Column::AggregatorId.eq(agg)),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    let adjustment_id = core::new_id();
    let ok = ledger::apply(
        &txn,
        &Change {
            aggregator_id: agg,
            lot_id: lot.id,
            sku_id: lot.sku_id,
            kind: k,
            on_hand_delta: input.qty_delta,
            reserved_delta: 0,
            cause_type: "adjustment",
            cause_id: Some(adjustment_id),
            actor_user_id: Some(actor.user_id),
            loss_bearer: bearer.as_deref(),
            reason: &reason,
        },
    )
    .await?;
    if !ok {
        return Err(ApiError::Conflict {
            code: "insufficient_stock",
            message: "the lot does not have that many unreserved units".into(),
            details: serde_json::json!({ "on_hand": lot.on_hand, "reserved": lot.reserved }),
        });
    }
    if let (true, Some(b)) = (is_loss && input.qty_delta < 0, bearer.as_deref()) {
        crate::jobs::events::record(
            &txn,
            app,
            &super::events::StockLost {
                aggregator_id: agg,
                adjustment_id,
                lot_id: lot.id,
                sku_id: lot.sku_id,
                producer_id: lot.producer_id,
                qty: -input.qty_delta,
                bearer: b.to_string(),
                lost_on: core::today_jst(),
            },
        )
        .await?;
    }
    if bearer.as_deref() == Some("producer") {
        notify_producer_loss(
            &txn,
            &lot,
            -input.qty_delta,
            &reason,
            &adjustment_id.to_string(),
        )
        .await?;
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "stock_adjusted",
            subject_type: "stock_lot",
            subject_id: Some(lot.id.to_string()),
            details: serde_json::json!({ "kind": input.kind, "qty_delta": input.qty_delta, "loss_bearer": bearer }),
        },
    )
    .await?;
    let m = repo::movement_of_cause(&txn, adjustment_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(m)
}

/// A reservation that took units from a lot.
pub struct TraceRow {
    pub reservation: reservation::Model,
    pub lot_id: Uuid,
    pub qty: i64,
}

/// Every reservation (and, from the orders issue on, order line) that took units from `lot_id`,
/// or from any lot of `producer_id` with a date in `[from, to]`.
///
/// # Errors
/// 403; 422 without a lot or producer.
#[tracing::instrument(skip_all)]
pub async fn recall(
    app: &AppState,
    actor: &Actor,
    lot_id: Option<Uuid>,
    producer_id: Option<Uuid>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> ApiResult<Vec<TraceRow>> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let mut lots = Condition::all().add(stock_lot::Column::AggregatorId.eq(agg));
    lots = match (lot_id, producer_id) {
        (Some(l), _) => lots.add(stock_lot::Column::Id.eq(l)),
        (None, Some(p)) => {
            let mut q = lots.add(stock_lot::Column::ProducerId.eq(p));
            if let Some(f) = from {
                q = q.add(stock_lot::Column::BestBefore.gte(f));
            }
            if let Some(t) = to {
                q = q.add(stock_lot::Column::BestBefore.lte(t));
            }
            q
        }
        (None, None) => return Err(ApiError::field("lot_id", "give lot_id or producer_id")),
    };
    let lot_ids: Vec<Uuid> = repo::lots_where(&app.db, lots, None)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    let lines = repo::reservation_lines_where(
        &app.db,
        Condition::all().add(reservation_line::Column::LotId.is_in(lot_ids)),
    )
    .await?;
    let mut out = Vec::new();
    for l in lines {
        if let Some(r) = repo::reservation_any(&app.db, l.reservation_id).await? {
            out.push(TraceRow {
                reservation: r,
                lot_id: l.lot_id,
                qty: l.qty,
            });
        }
    }
    Ok(out)
}
