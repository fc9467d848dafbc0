//! Receiving events: per line the units received, damaged (with who bears it) and refused, lots
//! put into bins of the right zone, the stock ledger, discrepancies, and the producer's receipt
//! email; retry-safe with the event's Idempotency-Key.
use super::ledger::{self, Change, kind};
use crate::{
    audit::{self, AuditRecord},
    core::{self},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::{inbound_line, inbound_shipment, location, receipt, receipt_line, sku, stock_lot};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use super::shipments::{ShipmentDetail, detail, find, status};

/// What arrived for one line in one receiving event.
#[derive(Debug, Clone)]
pub struct ReceiptLineInput {
    pub line_id: Uuid,
    pub received: i64,
    pub damaged: i64,
    pub refused: i64,
    pub location_id: Option<Uuid>,
    /// Who bears damaged units (producer, aggregator or carrier); required when `damaged` > 0.
    pub damage_bearer: Option<String>,
}

/// Records a receiving event (operators). Received units become stock in the line's lot (in a
/// location of the shipment's temperature zone); damaged and refused units are recorded on the
/// line. Idempotent: the same key for the same shipment changes nothing the second time.
///
/// # Errors
/// 403 role; 404 scope; 409 `invalid_transition` (not shipped); 422 fields.
#[tracing::instrument(skip_all)]
pub async fn receive(
    app: &AppState,
    actor: &Actor,
    shipment_id: Uuid,
    key: &str,
    notes: &str,
    lines: Vec<ReceiptLineInput>,
) -> ApiResult<(ShipmentDetail, bool)> {
    actor.require(&[Role::Operator, Role::Admin])?;
    check_idempotency_key(key)?;
    let txn = db::begin_write(&app.db).await?;
    let s = find(&txn, actor, shipment_id).await?;
    if receipt::Entity::find()
        .filter(receipt::Column::ShipmentId.eq(s.id))
        .filter(receipt::Column::IdempotencyKey.eq(key))
        .one(&txn)
        .await?
        .is_some()
    {
        let d = detail(&txn, s).await?;
        return Ok((d, true));
    }
    check_receivable(&s, &lines)?;
    let now = core::now();
    let rec = receipt::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(s.aggregator_id),
        shipment_id: Set(s.id),
        idempotency_key: Set(key.to_string()),
        notes: Set(notes.chars().take(2000).collect()),
        received_by: Set(actor.user_id),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let event = ReceivingEvent {
        app,
        actor,
        shipment: &s,
        receipt_id: rec.id,
        now,
    };
    for (i, l) in lines.iter().enumerate() {
        event.receive_line(&txn, i, l).await?;
    }
    event.update_status(&txn).await?;
    let s = inbound_shipment::Entity::find_by_id(s.id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let d = detail(&txn, s).await?;
    send_receipt_notice(&txn, &d, rec.id).await?;
    txn.commit().await?;
    Ok((d, false))
}

/// Checks the idempotency key of a receiving event is present and printable.
fn check_idempotency_key(key: &str) -> ApiResult<()> {
    if key.is_empty() || key.len() > 200 || key.chars().any(char::is_control) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "is required: 1-200 printable characters",
        ));
    }
    Ok(())
}

/// Checks the shipment is in a status that can be received and the event has lines.
fn check_receivable(s: &inbound_shipment::Model, lines: &[ReceiptLineInput]) -> ApiResult<()> {
    if ![status::SHIPPED, status::PARTIALLY_RECEIVED].contains(&s.status.as_str()) {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            message: format!("a {} shipment cannot be received", s.status),
            details: serde_json::json!({ "status": s.status }),
        });
    }
    if lines.is_empty() {
        return Err(ApiError::field("lines", "give at least one line"));
    }
    Ok(())
}

/// The field name of `name` in line `i` of a receiving request (`lines[2].received`).
fn line_field(i: usize, name: &str) -> String {
    format!("lines[{i}].{name}")
}

/// Checks the counts of line `i` and who bears its damaged units; gives the bearer to record
/// (none when nothing was damaged).
fn check_counts(i: usize, l: &ReceiptLineInput) -> ApiResult<Option<String>> {
    if l.received < 0 || l.damaged < 0 || l.refused < 0 || l.received + l.damaged + l.refused == 0 {
        return Err(ApiError::field(
            line_field(i, "received"),
            "counts must be 0 or more and not all 0",
        ));
    }
    match (&l.damage_bearer, l.damaged) {
        (Some(b), _) if !super::adjustments::BEARERS.contains(&b.as_str()) => Err(ApiError::field(
            line_field(i, "damage_bearer"),
            "must be producer, aggregator or carrier",
        )),
        (None, d) if d > 0 => Err(ApiError::field(
            line_field(i, "damage_bearer"),
            "is required for damaged units: producer, aggregator or carrier",
        )),
        (b, d) if d > 0 => Ok(b.clone()),
        _ => Ok(None),
    }
}

/// What every line of one receiving event shares: the shipment, the receipt row and its time.
struct ReceivingEvent<'a> {
    app: &'a AppState,
    actor: &'a Actor,
    shipment: &'a inbound_shipment::Model,
    receipt_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
}

impl ReceivingEvent<'_> {
    /// Checks and records line `i`: received units into stock, then the receipt line and the
    /// running totals of the shipment line.
    async fn receive_line(
        &self,
        txn: &impl ConnectionTrait,
        i: usize,
        l: &ReceiptLineInput,
    ) -> ApiResult<()> {
        let damage_bearer = check_counts(i, l)?;
        let line = inbound_line::Entity::find_by_id(l.line_id)
            .filter(inbound_line::Column::ShipmentId.eq(self.shipment.id))
            .one(txn)
            .await?
            .ok_or_else(|| {
                ApiError::field(line_field(i, "line_id"), "not a line of this shipment")
            })?;
        let lot_id = if l.received > 0 {
            Some(self.stock_in(txn, i, l, &line).await?)
        } else {
            None
        };
        receipt_line::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(self.shipment.aggregator_id),
            receipt_id: Set(self.receipt_id),
            line_id: Set(line.id),
            received: Set(l.received),
            damaged: Set(l.damaged),
            refused: Set(l.refused),
            location_id: Set(if l.received > 0 { l.location_id } else { None }),
            lot_id: Set(lot_id),
            damage_bearer: Set(damage_bearer),
        }
        .insert(txn)
        .await?;
        inbound_line::Entity::update_many()
            .col_expr(
                inbound_line::Column::ReceivedQty,
                Expr::col(inbound_line::Column::ReceivedQty).add(l.received),
            )
            .col_expr(
                inbound_line::Column::DamagedQty,
                Expr::col(inbound_line::Column::DamagedQty).add(l.damaged),
            )
            .col_expr(
                inbound_line::Column::RefusedQty,
                Expr::col(inbound_line::Column::RefusedQty).add(l.refused),
            )
            .filter(inbound_line::Column::Id.eq(line.id))
            .exec(txn)
            .await?;
        Ok(())
    }

    /// Takes the received units of line `i` into stock: checks the bin and the shelf life left,
    /// then adds them to the line's lot in that bin (created when new). Gives the lot's id.
    async fn stock_in(
        &self,
        txn: &impl ConnectionTrait,
        i: usize,
        l: &ReceiptLineInput,
        line: &inbound_line::Model,
    ) -> ApiResult<Uuid> {
        let s = self.shipment;
        let loc = self.bin(txn, i, l).await?;
        let sk = sku::Entity::find_by_id(line.sku_id)
            .one(txn)
            .await?
            .ok_or(ApiError::NotFound)?;
        // Stock that could never be sold is not taken in: it is refused.
        let min = super::rules::min_days(self.app, txn, s.aggregator_id, &sk).await?;
        let left = (line.best_before - core::today_jst()).num_days();
        if left < min {
            return Err(ApiError::field_coded(
                line_field(i, "received"),
                "below_min_shelf_life",
                format!(
                    "only {left} days left before {}, below this category's minimum of {min}: \
                     count these units as refused",
                    line.best_before
                ),
            ));
        }
        let existing = stock_lot::Entity::find()
            .filter(stock_lot::Column::SkuId.eq(line.sku_id))
            .filter(stock_lot::Column::LotCode.eq(line.lot_code.clone()))
            .filter(stock_lot::Column::BestBefore.eq(line.best_before))
            .filter(stock_lot::Column::LocationId.eq(loc.id))
            .one(txn)
            .await?;
        let lot = match existing {
            Some(l) => l,
            None => {
                stock_lot::ActiveModel {
                    id: Set(core::new_id()),
                    aggregator_id: Set(s.aggregator_id),
                    producer_id: Set(sk.producer_id),
                    sku_id: Set(sk.id),
                    lot_code: Set(line.lot_code.clone()),
                    best_before: Set(line.best_before),
                    location_id: Set(Some(loc.id)),
                    on_hand: Set(0),
                    reserved: Set(0),
                    created_at: Set(self.now),
                }
                .insert(txn)
                .await?
            }
        };
        ledger::apply(
            txn,
            &Change {
                aggregator_id: s.aggregator_id,
                lot_id: lot.id,
                sku_id: sk.id,
                kind: kind::RECEIPT,
                on_hand_delta: l.received,
                reserved_delta: 0,
                cause_type: "receipt",
                cause_id: Some(self.receipt_id),
                actor_user_id: Some(self.actor.user_id),
                loss_bearer: None,
                reason: "",
            },
        )
        .await?;
        Ok(lot.id)
    }

    /// The active bin of the tenant that line `i`'s received units go into; it must be of the
    /// shipment's temperature zone.
    async fn bin(
        &self,
        txn: &impl ConnectionTrait,
        i: usize,
        l: &ReceiptLineInput,
    ) -> ApiResult<location::Model> {
        let s = self.shipment;
        let loc_id = l.location_id.ok_or_else(|| {
            ApiError::field(
                line_field(i, "location_id"),
                "is required for received units",
            )
        })?;
        let loc = location::Entity::find_by_id(loc_id)
            .filter(location::Column::AggregatorId.eq(s.aggregator_id))
            .filter(location::Column::Active.eq(true))
            .one(txn)
            .await?
            .ok_or_else(|| ApiError::field(line_field(i, "location_id"), "unknown location"))?;
        if loc.zone != s.temperature_class {
            return Err(ApiError::field(
                line_field(i, "location_id"),
                format!(
                    "a {} lot cannot go into a {} bin",
                    s.temperature_class, loc.zone
                ),
            ));
        }
        Ok(loc)
    }

    /// Sets the shipment to received (every declared unit accounted for) or partially received,
    /// and audit-logs the event.
    async fn update_status(&self, txn: &impl ConnectionTrait) -> ApiResult<()> {
        let s = self.shipment;
        let all = inbound_line::Entity::find()
            .filter(inbound_line::Column::ShipmentId.eq(s.id))
            .all(txn)
            .await?;
        let complete = all
            .iter()
            .all(|l| l.received_qty + l.damaged_qty + l.refused_qty >= l.declared_qty);
        inbound_shipment::Entity::update_many()
            .col_expr(
                inbound_shipment::Column::Status,
                Expr::value(if complete {
                    status::RECEIVED
                } else {
                    status::PARTIALLY_RECEIVED
                }),
            )
            .col_expr(inbound_shipment::Column::UpdatedAt, Expr::value(self.now))
            .filter(inbound_shipment::Column::Id.eq(s.id))
            .exec(txn)
            .await?;
        audit::record(
            txn,
            AuditRecord {
                aggregator_id: Some(s.aggregator_id),
                actor_user_id: Some(self.actor.user_id),
                action: "shipment_received",
                subject_type: "inbound_shipment",
                subject_id: Some(s.id.to_string()),
                details: serde_json::json!({ "receipt_id": self.receipt_id, "complete": complete }),
            },
        )
        .await?;
        Ok(())
    }
}

/// Queues the producer's receipt of event `receipt_id`, with every difference from the notice
/// (when the producer has a user to send it to).
async fn send_receipt_notice(
    txn: &impl ConnectionTrait,
    d: &ShipmentDetail,
    receipt_id: Uuid,
) -> ApiResult<()> {
    let Some(user) = super::alerts::producer_user(txn, d.shipment.producer_id).await? else {
        return Ok(());
    };
    let mut rows = Vec::new();
    for l in &d.lines {
        let code = sku::Entity::find_by_id(l.sku_id)
            .one(txn)
            .await?
            .map(|s| s.code)
            .unwrap_or_default();
        rows.push((
            code,
            l.lot_code.clone(),
            l.declared_qty,
            l.received_qty,
            l.damaged_qty,
            l.refused_qty,
            l.declared_qty - l.received_qty - l.damaged_qty - l.refused_qty,
        ));
    }
    crate::auth::service::enqueue_mail(
        txn,
        &user,
        &receipt_id.to_string(),
        crate::mail::messages::EmailMessage::ReceiptNotice {
            display_name: user.display_name.clone(),
            lines: rows,
        },
    )
    .await?;
    Ok(())
}
