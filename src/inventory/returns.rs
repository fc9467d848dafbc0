//! Returns after shipment: units of a consumed reservation that come back (a refused delivery,
//! a customer return) are put back into their lot (`restock`) or put back and disposed of at
//! someone's charge (`dispose`). A reservation line can never take back more than it shipped;
//! a retried request with the same `Idempotency-Key` changes nothing.
use super::repo;
use super::{
    adjustments::{BEARERS, notify_producer_loss},
    ledger::{self, Change, kind},
    reservations::status,
};
use crate::{
    audit::{self, AuditRecord},
    core::{self, secrets::hash_token, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::{reservation, reservation_line, stock_movement};
use sea_orm::{ColumnTrait, Condition, sea_query::Expr};
use std::collections::HashSet;
use uuid::Uuid;

/// What happens to returned units.
pub const DISPOSITIONS: [&str; 2] = ["restock", "dispose"];

/// One returned line: units of one lot of the reservation.
#[derive(Debug, Clone)]
pub struct ReturnLine {
    pub lot_id: Uuid,
    pub qty: i64,
    /// `restock` or `dispose`.
    pub disposition: String,
    /// Who bears a disposal: producer, aggregator or carrier.
    pub loss_bearer: Option<String>,
}

/// The result of a return.
#[derive(Debug)]
pub struct Returned {
    pub return_id: Uuid,
    pub movements: Vec<stock_movement::Model>,
    /// True when an earlier request with the same key is being answered again.
    pub replayed: bool,
}

fn validate_lines(lines: &[ReturnLine]) -> ApiResult<()> {
    if lines.is_empty() || lines.len() > 200 {
        return Err(ApiError::field("lines", "must hold 1 to 200 lines"));
    }
    let mut seen = HashSet::new();
    for (i, l) in lines.iter().enumerate() {
        if !seen.insert(l.lot_id) {
            return Err(ApiError::field(
                format!("lines[{i}].lot_id"),
                "appears twice",
            ));
        }
        if !(1..=1_000_000).contains(&l.qty) {
            return Err(ApiError::field(
                format!("lines[{i}].qty"),
                "must be 1 to 1,000,000",
            ));
        }
        if !DISPOSITIONS.contains(&l.disposition.as_str()) {
            return Err(ApiError::field(
                format!("lines[{i}].disposition"),
                "must be restock or dispose",
            ));
        }
        match (&l.loss_bearer, l.disposition.as_str()) {
            (Some(b), _) if !BEARERS.contains(&b.as_str()) => {
                return Err(ApiError::field(
                    format!("lines[{i}].loss_bearer"),
                    "must be producer, aggregator or carrier",
                ));
            }
            (None, "dispose") => {
                return Err(ApiError::field(
                    format!("lines[{i}].loss_bearer"),
                    "is required to dispose",
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn request_hash(reason: &str, lines: &[ReturnLine]) -> String {
    let mut text = format!("{reason}\n");
    for l in lines {
        text.push_str(&format!(
            "{}:{}:{}:{}\n",
            l.lot_id,
            l.qty,
            l.disposition,
            l.loss_bearer.as_deref().unwrap_or("")
        ));
    }
    hash_token(&text)
}

/// Returns units of a consumed (shipped) reservation.
///
/// # Errors
/// 403; 404 reservation; 409 `reservation_not_consumed`, `return_exceeds_shipped`; 422 fields,
/// `idempotency_key_reused`.
#[tracing::instrument(skip_all)]
pub async fn return_units(
    app: &AppState,
    actor: &Actor,
    reservation_id: Uuid,
    reason: &str,
    lines: Vec<ReturnLine>,
    idempotency_key: Option<&str>,
) -> ApiResult<Returned> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let reason = validate::text(reason, 500).map_err(|m| ApiError::field("reason", m))?;
    validate_lines(&lines)?;
    if let Some(k) = idempotency_key
        && (k.is_empty() || k.len() > 200)
    {
        return Err(ApiError::field(
            "Idempotency-Key",
            "must be 1 to 200 characters",
        ));
    }
    let hash = request_hash(&reason, &lines);
    // The same key on the same reservation always names the same return.
    let return_id = match idempotency_key {
        Some(k) => {
            let digest = hash_token(&format!("return:{reservation_id}:{k}"));
            let bytes = hex::decode(&digest[..32]).map_err(|e| ApiError::Internal(e.into()))?;
            Uuid::from_slice(&bytes).map_err(|e| ApiError::Internal(e.into()))?
        }
        None => core::new_id(),
    };

    let txn = db::begin_write(&app.db).await?;
    claim(&txn, agg, reservation_id).await?;
    if idempotency_key.is_some()
        && let Some(earlier) = repo::stock_return_audit(&txn, return_id).await?
    {
        let same = serde_json::from_str::<serde_json::Value>(&earlier.details)
            .ok()
            .and_then(|d| d["request_hash"].as_str().map(|h| h == hash))
            .unwrap_or(false);
        if !same {
            return Err(ApiError::Unprocessable {
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was used with a different request".into(),
                details: serde_json::json!({}),
            });
        }
        let movements = movements_of(&txn, return_id).await?;
        drop(txn);
        return Ok(Returned {
            return_id,
            movements,
            replayed: true,
        });
    }
    let movements = apply_lines(
        &txn,
        agg,
        actor.user_id,
        reservation_id,
        return_id,
        &reason,
        &hash,
        &lines,
    )
    .await?;
    txn.commit().await?;
    Ok(Returned {
        return_id,
        movements,
        replayed: false,
    })
}

/// Claims a shipped reservation's row for a return: concurrent returns of one reservation run
/// one at a time.
///
/// # Errors
/// 404; 409 `reservation_not_consumed`.
pub(crate) async fn claim(
    txn: &sea_orm::DatabaseTransaction,
    agg: Uuid,
    reservation_id: Uuid,
) -> ApiResult<()> {
    let claimed = repo::move_reservation(
        txn,
        agg,
        reservation_id,
        status::CONSUMED,
        vec![(reservation::Column::UpdatedAt, Expr::value(core::now()))],
    )
    .await?;
    if !claimed {
        let r = repo::reservation(txn, agg, reservation_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        return Err(ApiError::Conflict {
            code: "reservation_not_consumed",
            message: format!(
                "only shipped reservations take returns; this one is {}",
                r.status
            ),
            details: serde_json::json!({ "status": r.status }),
        });
    }
    Ok(())
}

/// Puts returned units back into their lots (and disposes of them at the bearer's charge)
/// inside the caller's transaction, after [`claim`]; records the `stock_returned` audit event.
///
/// # Errors
/// 409 `return_exceeds_shipped`; 422 a lot that is not the reservation's.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_lines(
    txn: &sea_orm::DatabaseTransaction,
    agg: Uuid,
    actor: Uuid,
    reservation_id: Uuid,
    return_id: Uuid,
    reason: &str,
    hash: &str,
    lines: &[ReturnLine],
) -> ApiResult<Vec<stock_movement::Model>> {
    validate_lines(lines)?;
    for (i, l) in lines.iter().enumerate() {
        let field = format!("lines[{i}].lot_id");
        let line = repo::reservation_lines_where(
            txn,
            Condition::all()
                .add(reservation_line::Column::ReservationId.eq(reservation_id))
                .add(reservation_line::Column::LotId.eq(l.lot_id)),
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::field(field.clone(), "is not a lot of this reservation"))?;
        if !repo::return_to_line(txn, line.id, l.qty).await? {
            return Err(ApiError::Conflict {
                code: "return_exceeds_shipped",
                message: format!(
                    "line {i}: {} shipped, {} already returned",
                    line.qty, line.returned_qty
                ),
                details: serde_json::json!({
                    "line": i, "shipped": line.qty, "returned": line.returned_qty
                }),
            });
        }
        let change = |k: &'static str, delta: i64, bearer: Option<&'static str>| Change {
            aggregator_id: agg,
            lot_id: line.lot_id,
            sku_id: line.sku_id,
            kind: k,
            on_hand_delta: delta,
            reserved_delta: 0,
            cause_type: "return",
            cause_id: Some(return_id),
            actor_user_id: Some(actor),
            loss_bearer: bearer,
            reason,
        };
        let mut ok = ledger::apply(txn, &change(kind::RETURN_TO_STOCK, l.qty, None)).await?;
        if l.disposition == "dispose" {
            let bearer = BEARERS
                .iter()
                .copied()
                .find(|b| Some(*b) == l.loss_bearer.as_deref());
            ok = ok && ledger::apply(txn, &change(kind::DISPOSAL, -l.qty, bearer)).await?;
            if bearer == Some("producer") {
                let lot = repo::lot(txn, line.lot_id)
                    .await?
                    .ok_or(ApiError::NotFound)?;
                notify_producer_loss(txn, &lot, l.qty, reason, &format!("{return_id}-{i}")).await?;
            }
        }
        if !ok {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "ledger refused return {return_id}"
            )));
        }
    }
    audit::record(
        txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor),
            action: "stock_returned",
            subject_type: "stock_return",
            subject_id: Some(return_id.to_string()),
            details: serde_json::json!({
                "reservation_id": reservation_id,
                "request_hash": hash,
                "lines": lines.iter().map(|l| serde_json::json!({
                    "lot_id": l.lot_id, "qty": l.qty, "disposition": l.disposition,
                    "loss_bearer": l.loss_bearer,
                })).collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    movements_of(txn, return_id).await
}

async fn movements_of(
    db: &impl sea_orm::ConnectionTrait,
    return_id: Uuid,
) -> ApiResult<Vec<stock_movement::Model>> {
    Ok(repo::movements_of_cause(db, "return", return_id).await?)
}
