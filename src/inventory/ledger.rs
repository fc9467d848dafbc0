//! The stock ledger: every change to a lot is one conditional balance update plus one
//! append-only movement row, in the caller's transaction. The balance can never go negative nor
//! reserve more than is on hand: the UPDATE's own condition (and CHECK constraints) refuse it,
//! on SQLite and PostgreSQL alike, so the database is the arbiter under concurrency.
use crate::core;
use entity::{stock_lot, stock_movement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, ExprTrait,
    QueryFilter, QueryTrait, Statement, sea_query::Expr,
};
use uuid::Uuid;

/// Movement kinds.
pub mod kind {
    pub const RECEIPT: &str = "receipt";
    pub const RESERVATION: &str = "reservation";
    pub const RELEASE: &str = "release";
    pub const SHIPMENT: &str = "shipment";
    pub const RETURN_TO_STOCK: &str = "return_to_stock";
    pub const ADJUSTMENT: &str = "adjustment";
    pub const DAMAGE: &str = "damage";
    pub const DISPOSAL: &str = "disposal";
    pub const RETURN_TO_PRODUCER: &str = "return_to_producer";
}

/// One change to apply.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub aggregator_id: Uuid,
    pub lot_id: Uuid,
    pub sku_id: Uuid,
    pub kind: &'a str,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub cause_type: &'a str,
    pub cause_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    /// producer, aggregator or carrier, for losses.
    pub loss_bearer: Option<&'a str>,
    pub reason: &'a str,
}

/// Applies `change` if the lot's balance allows it; returns false (and writes nothing) when it
/// would go negative or reserve more than is on hand.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn apply(db: &impl ConnectionTrait, change: &Change<'_>) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    super::repo::apply_change(db, balance_update(backend, change), movement(change)).await
}

/// The statements that apply `changes` (for callers that send several statements at once):
/// one conditional balance update per lot (the changes of one lot are applied together, as
/// their summed deltas), then the inserts of one movement per change. Every change took effect
/// when the statements changed [`rows`] rows.
pub fn statements(backend: DbBackend, changes: &[Change<'_>]) -> Vec<Statement> {
    if changes.is_empty() {
        return Vec::new();
    }
    let mut per_lot: Vec<Change<'_>> = Vec::new();
    for c in changes {
        match per_lot.iter_mut().find(|m| m.lot_id == c.lot_id) {
            Some(m) => {
                m.on_hand_delta += c.on_hand_delta;
                m.reserved_delta += c.reserved_delta;
            }
            None => per_lot.push(c.clone()),
        }
    }
    let mut out: Vec<Statement> = per_lot.iter().map(|c| balance_update(backend, c)).collect();
    out.extend(crate::db::insert_rows(
        backend,
        changes.iter().map(movement).collect(),
    ));
    out
}

/// Rows [`statements`] change when every change takes effect: one per lot and one per change.
pub fn rows(changes: &[Change<'_>]) -> u64 {
    let lots: std::collections::HashSet<Uuid> = changes.iter().map(|c| c.lot_id).collect();
    u64::try_from(lots.len() + changes.len()).unwrap_or(u64::MAX)
}

/// The lot's conditional balance update: changes one row, or none when the balance would go
/// negative or reserve more than is on hand.
fn balance_update(backend: DbBackend, c: &Change<'_>) -> Statement {
    let on_hand = Expr::col(stock_lot::Column::OnHand).add(c.on_hand_delta);
    let reserved = Expr::col(stock_lot::Column::Reserved).add(c.reserved_delta);
    stock_lot::Entity::update_many()
        .col_expr(stock_lot::Column::OnHand, on_hand.clone())
        .col_expr(stock_lot::Column::Reserved, reserved.clone())
        .filter(stock_lot::Column::Id.eq(c.lot_id))
        .filter(on_hand.clone().gte(0))
        .filter(reserved.clone().gte(0))
        .filter(reserved.lte(on_hand))
        .build(backend)
}

fn movement(change: &Change<'_>) -> stock_movement::ActiveModel {
    stock_movement::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(change.aggregator_id),
        lot_id: Set(change.lot_id),
        sku_id: Set(change.sku_id),
        kind: Set(change.kind.to_string()),
        on_hand_delta: Set(change.on_hand_delta),
        reserved_delta: Set(change.reserved_delta),
        cause_type: Set(change.cause_type.to_string()),
        cause_id: Set(change.cause_id),
        actor_user_id: Set(change.actor_user_id),
        loss_bearer: Set(change.loss_bearer.map(str::to_string)),
        reason: Set(change.reason.to_string()),
        created_at: Set(core::now()),
    }
}
