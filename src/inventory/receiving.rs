//! Receiving events: per line the units received, damaged (with who bears it) and refused, lots
//! put into bins of the right zone, the stock ledger, discrepancies, and the producer's receipt
//! email; retry-safe with the event's Idempotency-Key.
use super::ledger::{self, Change, kind};
use super::repo;
use crate::{
    audit::{self, AuditRecord},
    core::{self},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::{inbound_line, inbound_shipment, location, receipt, receipt_line, stock_lot};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
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
    if repo::receipt_by_key(&txn, s.id, key).await?.is_some() {
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
    };
    let rec = repo::insert(&txn, rec).await?;
    let event = ReceivingEvent {
        app,
        actor,
        shipment: &s,
        receipt_id: rec.id,
        now,
    };
    let mut counted = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        counted.push(event.receive_line(&txn, i, l).await?);
    }
    crate::jobs::events::record(
        &txn,
        app,
        &super::events::StockReceived {
            aggregator_id: s.aggregator_id,
            receipt_id: rec.id,
            shipment_id: s.id,
            producer_id: s.producer_id,
            received_on: core::today_jst(),
            lines: counted,
        },
    )
    .await?;
    event.update_status(&txn).await?;
    let s = repo::shipment(&txn, s.id)
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
    ) -> ApiResult<super::events::ReceivedLine> {
        let damage_bearer = check_counts(i, l)?;
        let line = repo::inbound_line(txn, self.shipment.id, l.line_id)
            .await?
            .ok_or_else(|| {
                ApiError::field(line_field(i, "line_id"), "not a line of this shipment")
            })?;
        let lot_id = if l.received > 0 {
            Some(self.stock_in(txn, i, l, &line).await?)
        } else {
            None
        };
        let counted = receipt_line::ActiveModel {
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
        };
        repo::insert(txn, counted).await?;
        repo::count_on_line(txn, line.id, l.received, l.damaged, l.refused).await?;
        Ok(super::events::ReceivedLine {
            line_id: line.id,
            sku_id: line.sku_id,
            lot_code: line.lot_code.clone(),
            received: l.received,
            counted: l.received + l.damaged + l.refused,
            first_count: line.received_qty + line.damaged_qty + line.refused_qty == 0,
        })
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
        let sk = crate::catalog::repo::sku(txn, line.sku_id)
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
        let existing = repo::lot_where(
            txn,
            Condition::all()
                .add(stock_lot::Column::SkuId.eq(line.sku_id))
                .add(stock_lot::Column::LotCode.eq(line.lot_code.clone()))
                .add(stock_lot::Column::BestBefore.eq(line.best_before))
                .add(stock_lot::Column::LocationId.eq(loc.id)),
        )
        .await?;
        let lot = match existing {
            Some(l) => l,
            None => {
                let new_lot = stock_lot::ActiveModel {
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
                };
                repo::insert(txn, new_lot).await?
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
        let loc = repo::active_location(txn, s.aggregator_id, loc_id)
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
        let all = repo::inbound_lines(txn, s.id).await?;
        let complete = all
            .iter()
            .all(|l| l.received_qty + l.damaged_qty + l.refused_qty >= l.declared_qty);
        let to = if complete {
            status::RECEIVED
        } else {
            status::PARTIALLY_RECEIVED
        };
        repo::move_shipment(txn, s.id, &[], to, self.now).await?;
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
        let code = crate::catalog::repo::sku(txn, l.sku_id)
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
