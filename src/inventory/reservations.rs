//! Reservations: hold a set of (SKU, quantity) lines atomically, lots chosen
//! first-expiry-first-out among those that stay sellable long enough for the destination;
//! release, consume (ship), expire. Idempotent per (caller, Idempotency-Key).
use super::repo;
use super::{
    ledger::{self, Change, kind},
    rules,
};
use crate::{
    core::{self, secrets::hash_token},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use chrono::Duration;
use entity::{reservation, reservation_line, stock_lot};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, sea_query::Expr};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// Reservation statuses.
pub mod status {
    pub const HELD: &str = "held";
    pub const RELEASED: &str = "released";
    pub const CONSUMED: &str = "consumed";
    pub const EXPIRED: &str = "expired";
    /// All of them, in the order pages list them.
    pub const ALL: [&str; 4] = [HELD, CONSUMED, RELEASED, EXPIRED];
}

/// One requested line.
#[derive(Debug, Clone)]
pub struct ReserveLine {
    pub sku_id: Uuid,
    pub qty: i64,
}

/// A reservation request.
#[derive(Debug, Clone)]
pub struct ReserveRequest {
    pub lines: Vec<ReserveLine>,
    /// JIS X 0401 code of the delivery's prefecture (transit days), if known.
    pub destination_prefecture: Option<String>,
    pub reference: String,
    /// Hold lifetime; `inventory.hold_minutes` when absent.
    pub expires_in_minutes: Option<i64>,
}

/// A reservation with its lot allocations.
pub struct Held {
    pub reservation: reservation::Model,
    pub lines: Vec<reservation_line::Model>,
    /// True when an earlier request with the same Idempotency-Key is being returned.
    pub replayed: bool,
}

fn tenant(actor: &Actor) -> ApiResult<Uuid> {
    actor.require(&[Role::Operator, Role::Admin])?;
    actor.aggregator_id.ok_or_else(ApiError::forbidden)
}

async fn load(db: &impl ConnectionTrait, r: reservation::Model, replayed: bool) -> ApiResult<Held> {
    let lines = repo::reservation_lines(db, r.id).await?;
    Ok(Held {
        reservation: r,
        lines,
        replayed,
    })
}

/// Holds stock for `req`. Demand for the same SKU across lines is summed before checking; the
/// whole request succeeds or nothing is held.
///
/// # Errors
/// 409 `out_of_stock` (details: sku_id, requested, available); 422 fields or a reused
/// Idempotency-Key with a different body; 403 role.
#[tracing::instrument(skip_all)]
pub async fn reserve(
    app: &AppState,
    actor: &Actor,
    req: ReserveRequest,
    idempotency_key: Option<String>,
) -> ApiResult<Held> {
    let agg = tenant(actor)?;
    if req.lines.is_empty() || req.lines.len() > 100 {
        return Err(ApiError::field("lines", "give 1 to 100 lines"));
    }
    let mut demand: BTreeMap<Uuid, i64> = BTreeMap::new();
    for l in &req.lines {
        if !(1..=100_000).contains(&l.qty) {
            return Err(ApiError::field("lines", "each qty must be 1 to 100,000"));
        }
        *demand.entry(l.sku_id).or_default() += l.qty;
    }
    if let Some(p) = &req.destination_prefecture {
        let ok = p.len() == 2 && p.parse::<u8>().is_ok_and(|n| (1..=47).contains(&n));
        if !ok {
            return Err(ApiError::field(
                "destination_prefecture",
                "must be a JIS X 0401 code 01-47",
            ));
        }
    }
    let reference = crate::core::validate::text(
        if req.reference.trim().is_empty() {
            "hold"
        } else {
            &req.reference
        },
        200,
    )
    .map_err(|m| ApiError::field("reference", m))?;
    let minutes = req
        .expires_in_minutes
        .unwrap_or(app.settings.inventory.hold_minutes);
    if !(1..=60 * 24 * 30).contains(&minutes) {
        return Err(ApiError::field(
            "expires_in_minutes",
            "must be 1 minute to 30 days",
        ));
    }
    if let Some(k) = &idempotency_key
        && (k.is_empty() || k.len() > 200 || k.chars().any(char::is_control))
    {
        return Err(ApiError::field(
            "Idempotency-Key",
            "must be 1-200 printable characters",
        ));
    }
    let canonical = serde_json::json!({
        "lines": demand.iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>(),
        "destination": req.destination_prefecture, "reference": reference, "minutes": minutes,
    })
    .to_string();
    let request_hash = hash_token(&canonical);

    // A completed request with the same key: answer it again, or refuse a different body.
    if let Some(key) = &idempotency_key
        && let Some(existing) = find_by_key(&app.db, actor, key).await?
    {
        return replay(&app.db, existing, &request_hash).await;
    }

    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    let rid = core::new_id();
    let row = reservation::ActiveModel {
        id: Set(rid),
        aggregator_id: Set(agg),
        status: Set(status::HELD.into()),
        expires_at: Set(Some(now + Duration::minutes(minutes))),
        destination_prefecture: Set(req.destination_prefecture.clone()),
        reference: Set(reference),
        idempotency_key: Set(idempotency_key.clone()),
        request_hash: Set(Some(request_hash.clone())),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
    };
    if let Err(e) = repo::insert(&txn, row).await {
        drop(txn);
        // A concurrent request with the same key committed first: answer like a retry.
        if let (ApiError::Conflict { .. }, Some(key)) = (ApiError::from(e), &idempotency_key) {
            if let Some(existing) = find_by_key(&app.db, actor, key).await? {
                return replay(&app.db, existing, &request_hash).await;
            }
            return Err(ApiError::conflict(
                "idempotency_in_progress",
                "a request with this Idempotency-Key is in progress",
            ));
        }
        return Err(ApiError::Internal(anyhow::anyhow!(
            "creating the reservation failed"
        )));
    }

    let saved = allocate(
        app,
        &txn,
        agg,
        Some(actor.user_id),
        rid,
        &demand,
        req.destination_prefecture.as_deref(),
    )
    .await?;
    let r = repo::reservation_any(&txn, rid)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(Held {
        reservation: r,
        lines: saved,
        replayed: false,
    })
}

/// Takes `demand` (units per SKU) from lots first-expiry-first-out for reservation `rid`
/// inside the caller's write transaction, skipping lots without the days `destination` needs,
/// and writes the lot allocations. Nothing is kept when it fails (the caller rolls back).
///
/// # Errors
/// 409 `out_of_stock`; 422 an SKU outside the tenant.
pub(crate) async fn allocate(
    app: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    agg: Uuid,
    actor_user_id: Option<Uuid>,
    rid: Uuid,
    demand: &BTreeMap<Uuid, i64>,
    destination: Option<&str>,
) -> ApiResult<Vec<reservation_line::Model>> {
    let mut wants = BTreeMap::new();
    for (sku_id, wanted) in demand {
        let s = crate::catalog::repo::sku(txn, *sku_id).await?;
        let s = match s {
            Some(s) if s.aggregator_id == agg => s,
            _ => return Err(ApiError::field("lines", format!("unknown SKU {sku_id}"))),
        };
        let days = rules::required_days(app, txn, agg, &s, destination).await?;
        wants.insert(
            *sku_id,
            Want {
                qty: *wanted,
                days,
                code: s.code,
            },
        );
    }
    let lines = plan_lots(txn, agg, rid, &wants).await?;
    let stmts = plan_statements(txn.get_database_backend(), actor_user_id, &lines);
    if crate::db::execute_all(txn, stmts).await? != plan_rows(&lines) {
        return Err(ApiError::conflict(
            "out_of_stock",
            "the stock changed while it was reserved: please try again",
        ));
    }
    Ok(lines)
}

/// What a reservation takes of one SKU: units, the days a lot must still have left, and the
/// SKU's code (for messages).
#[derive(Debug, Clone)]
pub struct Want {
    pub qty: i64,
    pub days: i64,
    pub code: String,
}

/// Plans what reservation `rid` takes of `wants`, first-expiry-first-out, from one read of
/// every candidate lot ([`candidate_lots`]; see there for how the plan holds). Apply it with
/// [`plan_statements`].
///
/// # Errors
/// 409 `out_of_stock`.
pub(crate) async fn plan_lots(
    txn: &sea_orm::DatabaseTransaction,
    agg: Uuid,
    rid: Uuid,
    wants: &BTreeMap<Uuid, Want>,
) -> ApiResult<Vec<reservation_line::Model>> {
    let lots = candidate_lots(txn, wants.keys().copied()).await?;
    plan_from(&lots, &HashMap::new(), agg, rid, wants)
}

/// Every lot of `skus` with units not yet reserved, in first-expiry-first-out order per SKU.
/// On PostgreSQL the lots read are locked (in one order, so concurrent plans wait rather than
/// deadlock), so a plan made from them holds until the transaction ends; on SQLite the write
/// transaction already excludes other writers.
///
/// # Errors
/// Database failures.
pub(crate) async fn candidate_lots(
    txn: &sea_orm::DatabaseTransaction,
    skus: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<stock_lot::Model>, sea_orm::DbErr> {
    let skus: BTreeSet<Uuid> = skus.into_iter().collect();
    repo::candidate_lots(txn, skus).await
}

/// Plans what reservation `rid` of aggregator `agg` takes of `wants` from `lots` (as read by
/// [`candidate_lots`]), first-expiry-first-out, leaving alone the units `taken` (per lot) by
/// plans made earlier in the same transaction but not yet written.
///
/// # Errors
/// 409 `out_of_stock`.
pub(crate) fn plan_from(
    lots: &[stock_lot::Model],
    taken: &HashMap<Uuid, i64>,
    agg: Uuid,
    rid: Uuid,
    wants: &BTreeMap<Uuid, Want>,
) -> ApiResult<Vec<reservation_line::Model>> {
    let today = core::today_jst();
    let mut lines = Vec::new();
    for (sku_id, want) in wants {
        let min_date = today + Duration::days(want.days);
        let mut need = want.qty;
        for lot in lots
            .iter()
            .filter(|l| l.sku_id == *sku_id && l.aggregator_id == agg && l.best_before >= min_date)
        {
            if need == 0 {
                break;
            }
            let free = lot.on_hand - lot.reserved - taken.get(&lot.id).copied().unwrap_or(0);
            if free <= 0 {
                continue;
            }
            let take = std::cmp::min(need, free);
            lines.push(reservation_line::Model {
                id: core::new_id(),
                aggregator_id: agg,
                reservation_id: rid,
                sku_id: *sku_id,
                lot_id: lot.id,
                qty: take,
                returned_qty: 0,
            });
            need -= take;
        }
        if need > 0 {
            return Err(ApiError::Conflict {
                code: "out_of_stock",
                message: format!(
                    "only {} of {} available for SKU {}",
                    want.qty - need,
                    want.qty,
                    want.code
                ),
                details: serde_json::json!({ "sku_id": sku_id, "sku_code": want.code, "requested": want.qty, "available": want.qty - need }),
            });
        }
    }
    Ok(lines)
}

/// The statements that carry out a plan of [`plan_lots`] (or several plans of [`plan_from`]):
/// the ledger's balance updates and movements, then the reservation lines. The plans were
/// applied in full when they changed [`plan_rows`] rows.
pub(crate) fn plan_statements(
    backend: sea_orm::DbBackend,
    actor_user_id: Option<Uuid>,
    lines: &[reservation_line::Model],
) -> Vec<sea_orm::Statement> {
    if lines.is_empty() {
        return Vec::new();
    }
    let mut out = ledger::statements(backend, &changes(actor_user_id, lines));
    out.extend(db::insert_rows(
        backend,
        lines
            .iter()
            .map(|l| reservation_line::ActiveModel::from(l.clone()))
            .collect(),
    ));
    out
}

/// Rows [`plan_statements`] change when every balance update succeeds: the ledger's (one per
/// lot, one movement per line) and one per reservation line.
pub(crate) fn plan_rows(lines: &[reservation_line::Model]) -> u64 {
    ledger::rows(&changes(None, lines)) + u64::try_from(lines.len()).unwrap_or(u64::MAX)
}

fn changes(actor_user_id: Option<Uuid>, lines: &[reservation_line::Model]) -> Vec<Change<'static>> {
    lines
        .iter()
        .map(|l| Change {
            aggregator_id: l.aggregator_id,
            lot_id: l.lot_id,
            sku_id: l.sku_id,
            kind: kind::RESERVATION,
            on_hand_delta: 0,
            reserved_delta: l.qty,
            cause_type: "reservation",
            cause_id: Some(l.reservation_id),
            actor_user_id,
            loss_bearer: None,
            reason: "",
        })
        .collect()
}

async fn find_by_key(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> ApiResult<Option<reservation::Model>> {
    Ok(repo::reservation_by_key(db, actor.user_id, key).await?)
}

async fn replay(
    db: &impl ConnectionTrait,
    existing: reservation::Model,
    hash: &str,
) -> ApiResult<Held> {
    if existing.request_hash.as_deref() != Some(hash) {
        return Err(ApiError::Unprocessable {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used with a different request".into(),
            details: serde_json::json!({}),
        });
    }
    load(db, existing, true).await
}

/// The tenant's reservations, newest first (at most 200), optionally of one status.
///
/// # Errors
/// 403; 422 unknown status.
#[tracing::instrument(skip_all)]
pub async fn list(
    app: &AppState,
    actor: &Actor,
    status_filter: Option<&str>,
) -> ApiResult<Vec<Held>> {
    let agg = tenant(actor)?;
    let st = status_filter.filter(|s| !s.is_empty());
    if let Some(st) = st
        && !status::ALL.contains(&st)
    {
        return Err(ApiError::field(
            "status",
            "must be held, released, consumed or expired",
        ));
    }
    let rows = repo::reservations_of(&app.db, agg, st).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut lines: BTreeMap<Uuid, Vec<reservation_line::Model>> = BTreeMap::new();
    for l in repo::reservation_lines_where(
        &app.db,
        Condition::all().add(reservation_line::Column::ReservationId.is_in(ids)),
    )
    .await?
    {
        lines.entry(l.reservation_id).or_default().push(l);
    }
    Ok(rows
        .into_iter()
        .map(|r| Held {
            lines: lines.remove(&r.id).unwrap_or_default(),
            reservation: r,
            replayed: false,
        })
        .collect())
}

/// One reservation of the caller's tenant.
///
/// # Errors
/// 404 outside the tenant.
#[tracing::instrument(skip_all)]
pub async fn get(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<Held> {
    let agg = tenant(actor)?;
    let r = repo::reservation(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    load(&app.db, r, false).await
}

/// Ends a held reservation: `release` gives the units back, `consume` ships them (on hand
/// goes down). `expire` is the job's release of an overdue hold.
async fn finish(
    app: &AppState,
    agg: Uuid,
    actor: Option<Uuid>,
    id: Uuid,
    to: &str,
) -> ApiResult<reservation::Model> {
    let txn = db::begin_write(&app.db).await?;
    let r = finish_in(&txn, agg, actor, id, to).await?;
    txn.commit().await?;
    Ok(r)
}

/// [`finish`] inside the caller's write transaction (orders release or ship their stock
/// together with their own status change).
///
/// # Errors
/// 404; 409 `reservation_not_held`.
pub(crate) async fn finish_in(
    txn: &sea_orm::DatabaseTransaction,
    agg: Uuid,
    actor: Option<Uuid>,
    id: Uuid,
    to: &str,
) -> ApiResult<reservation::Model> {
    let now = core::now();
    let claimed = repo::move_reservation(
        txn,
        agg,
        id,
        status::HELD,
        vec![
            (reservation::Column::Status, Expr::value(to)),
            (reservation::Column::UpdatedAt, Expr::value(now)),
        ],
    )
    .await?;
    if !claimed {
        let exists = repo::reservation(txn, agg, id).await?;
        return Err(match exists {
            None => ApiError::NotFound,
            Some(r) => ApiError::Conflict {
                code: "reservation_not_held",
                message: format!("the reservation is {}", r.status),
                details: serde_json::json!({ "status": r.status }),
            },
        });
    }
    let lines = repo::reservation_lines(txn, id).await?;
    for l in lines {
        let (k, on_hand) = if to == status::CONSUMED {
            (kind::SHIPMENT, -l.qty)
        } else {
            (kind::RELEASE, 0)
        };
        let ok = ledger::apply(
            txn,
            &Change {
                aggregator_id: agg,
                lot_id: l.lot_id,
                sku_id: l.sku_id,
                kind: k,
                on_hand_delta: on_hand,
                reserved_delta: -l.qty,
                cause_type: "reservation",
                cause_id: Some(id),
                actor_user_id: actor,
                loss_bearer: None,
                reason: if to == status::EXPIRED {
                    "hold expired"
                } else {
                    ""
                },
            },
        )
        .await?;
        if !ok {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "ledger refused to end reservation {id}"
            )));
        }
    }
    repo::reservation_any(txn, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Releases a held reservation.
///
/// # Errors
/// 404; 409 `reservation_not_held`.
#[tracing::instrument(skip_all)]
pub async fn release(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<reservation::Model> {
    let agg = tenant(actor)?;
    finish(app, agg, Some(actor.user_id), id, status::RELEASED).await
}

/// Consumes (ships) a held reservation.
///
/// # Errors
/// 404; 409 `reservation_not_held`.
#[tracing::instrument(skip_all)]
pub async fn consume(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<reservation::Model> {
    let agg = tenant(actor)?;
    finish(app, agg, Some(actor.user_id), id, status::CONSUMED).await
}

/// Releases every overdue hold (the `inventory.release_expired` job). Returns how many.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn release_expired(app: &AppState) -> ApiResult<usize> {
    let overdue = repo::reservations_expired(&app.db, status::HELD, core::now()).await?;
    let mut n = 0;
    for r in overdue {
        match finish(app, r.aggregator_id, None, r.id, status::EXPIRED).await {
            Ok(_) => n += 1,
            Err(ApiError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
