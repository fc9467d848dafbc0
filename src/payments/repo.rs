//! The payments area's queries: the provider events it has received (and the refund
//! settlement markers), and the order reads and the one order column (the payment intent)
//! the provider flow needs; what a payment changes on an order goes through the order core.
use crate::core;
use entity::{order_status::PaymentMethod, payment_event, shop_order};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

/// Remembers the provider's intent `intent` on order `order_id` unless it has one already.
///
/// # Errors
/// Database failure.
pub async fn set_intent(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    intent: &str,
) -> Result<(), DbErr> {
    shop_order::Entity::update_many()
        .col_expr(
            shop_order::Column::PaymentIntentId,
            Expr::value(intent.to_string()),
        )
        .filter(shop_order::Column::Id.eq(order_id))
        .filter(shop_order::Column::PaymentIntentId.is_null())
        .exec(db)
        .await
        .map(|_| ())
}

/// The order whose payment intent is `intent`.
///
/// # Errors
/// Database failure.
pub async fn order_by_intent(
    db: &impl ConnectionTrait,
    intent: &str,
) -> Result<Option<shop_order::Model>, DbErr> {
    shop_order::Entity::find()
        .filter(shop_order::Column::PaymentIntentId.eq(intent))
        .one(db)
        .await
}

/// The order `id` (any tenant; jobs).
///
/// # Errors
/// Database failure.
pub async fn order(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<shop_order::Model>, DbErr> {
    shop_order::Entity::find_by_id(id).one(db).await
}

/// The bank-transfer order of `agg` numbered one of `numbers`.
///
/// # Errors
/// Database failure.
pub async fn bank_transfer_order(
    db: &impl ConnectionTrait,
    agg: Uuid,
    numbers: Vec<String>,
) -> Result<Option<shop_order::Model>, DbErr> {
    shop_order::Entity::find()
        .filter(shop_order::Column::AggregatorId.eq(agg))
        .filter(shop_order::Column::Number.is_in(numbers))
        .filter(shop_order::Column::PaymentMethod.eq(PaymentMethod::BankTransfer))
        .one(db)
        .await
}

/// Records a received event (`provider`, `event_id` unique together): a unique-key error when
/// it was received before.
///
/// # Errors
/// Database failure, or the unique key for an event seen before.
pub async fn record_event(
    db: &impl ConnectionTrait,
    provider: &str,
    event_id: &str,
    kind: &str,
    order_id: Option<Uuid>,
) -> Result<(), DbErr> {
    payment_event::ActiveModel {
        id: Set(core::new_id()),
        provider: Set(provider.into()),
        event_id: Set(event_id.into()),
        kind: Set(kind.into()),
        order_id: Set(order_id),
        received_at: Set(core::now()),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Whether the refund with this key was already booked (its settlement marker).
///
/// # Errors
/// Database failure.
pub async fn refund_settled(db: &impl ConnectionTrait, key: &str) -> Result<bool, DbErr> {
    Ok(payment_event::Entity::find()
        .filter(payment_event::Column::Provider.eq("refund"))
        .filter(payment_event::Column::EventId.eq(key))
        .one(db)
        .await?
        .is_some())
}
