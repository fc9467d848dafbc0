//! The stock ledger: every change to a lot is one conditional balance update plus one
//! append-only movement row, in the caller's transaction. The balance can never go negative nor
//! reserve more than is on hand: the UPDATE's own condition (and CHECK constraints) refuse it,
//! on SQLite and PostgreSQL alike, so the database is the arbiter under concurrency.
use crate::{core, db::sql_for};
use entity::stock_movement;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, Statement};
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
pub async fn apply(db: &impl ConnectionTrait, change: &Change<'_>) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(
            backend,
            "UPDATE stock_lot SET on_hand = on_hand + $1, reserved = reserved + $2 \
             WHERE id = $3 AND on_hand + $1 >= 0 AND reserved + $2 >= 0 \
             AND reserved + $2 <= on_hand + $1",
        ),
        [
            change.on_hand_delta.into(),
            change.reserved_delta.into(),
            change.lot_id.into(),
        ],
    );
    if db.execute_raw(stmt).await?.rows_affected() != 1 {
        return Ok(false);
    }
    stock_movement::Entity::insert(stock_movement::ActiveModel {
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
    })
    .exec_without_returning(db)
    .await?;
    Ok(true)
}
