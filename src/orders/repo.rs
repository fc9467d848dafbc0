//! The order core's queries: orders (lookups, scoped lists, the guarded status updates the
//! services describe by their columns and conditions), their lines, parcels and returns. Stock
//! lots, producers and prefectures are read through their own areas' repos; the services keep the rules, the transactions, the events and the audit.
use entity::{order_line, order_return, parcel, shop_order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order,
    QueryFilter, QueryOrder, QuerySelect, sea_query::SimpleExpr,
};
use uuid::Uuid;

/// Order `id` (any tenant).
///
/// # Errors
/// Database failure.
pub async fn order(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<shop_order::Model>, DbErr> {
    shop_order::Entity::find_by_id(id).one(db).await
}

/// The first order matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn order_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Option<shop_order::Model>, DbErr> {
    shop_order::Entity::find().filter(cond).one(db).await
}

/// Up to `limit` orders matching `cond`, newest id first.
///
/// # Errors
/// Database failure.
pub async fn orders_where(
    db: &impl ConnectionTrait,
    cond: Condition,
    limit: u64,
) -> Result<Vec<shop_order::Model>, DbErr> {
    shop_order::Entity::find()
        .filter(cond)
        .order_by_desc(shop_order::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Every order matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn all_orders_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<shop_order::Model>, DbErr> {
    shop_order::Entity::find().filter(cond).all(db).await
}

/// Sets `sets` on the orders matching `cond` (a guarded transition when `cond` names the
/// statuses it moves from): how many rows changed.
///
/// # Errors
/// Database failure.
pub async fn update_orders(
    db: &impl ConnectionTrait,
    sets: Vec<(shop_order::Column, SimpleExpr)>,
    cond: Condition,
) -> Result<u64, DbErr> {
    crate::db::update_where::<shop_order::Entity>(db, sets, cond).await
}

/// The (aggregator, client key, idempotency key) triples of the orders matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn order_keys(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<(Uuid, String, Option<String>)>, DbErr> {
    shop_order::Entity::find()
        .select_only()
        .column(shop_order::Column::AggregatorId)
        .column(shop_order::Column::ClientKey)
        .column(shop_order::Column::IdempotencyKey)
        .filter(cond)
        .into_tuple()
        .all(db)
        .await
}

/// The lines of order `id`, by parcel and SKU code.
///
/// # Errors
/// Database failure.
pub async fn lines_of(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<order_line::Model>, DbErr> {
    order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(id))
        .order_by_asc(order_line::Column::ParcelSeq)
        .order_by_asc(order_line::Column::SkuCode)
        .all(db)
        .await
}

/// Order lines matching `cond`, by id in `order`, at most `limit` when given.
///
/// # Errors
/// Database failure.
pub async fn lines_where(
    db: &impl ConnectionTrait,
    cond: Condition,
    order: Order,
    limit: Option<u64>,
) -> Result<Vec<order_line::Model>, DbErr> {
    let mut q = order_line::Entity::find()
        .filter(cond)
        .order_by(order_line::Column::Id, order);
    if let Some(n) = limit {
        q = q.limit(n);
    }
    q.all(db).await
}

/// The ids of the orders of `agg` with a line of one of `producers`.
///
/// # Errors
/// Database failure.
pub async fn order_ids_of_producers(
    db: &impl ConnectionTrait,
    agg: Uuid,
    producers: Vec<Uuid>,
) -> Result<Vec<Uuid>, DbErr> {
    order_line::Entity::find()
        .select_only()
        .column(order_line::Column::OrderId)
        .filter(order_line::Column::AggregatorId.eq(agg))
        .filter(order_line::Column::ProducerId.is_in(producers))
        .distinct()
        .into_tuple()
        .all(db)
        .await
}

/// Sets `sets` on the order lines matching `cond`: how many rows changed.
///
/// # Errors
/// Database failure.
pub async fn update_lines(
    db: &impl ConnectionTrait,
    sets: Vec<(order_line::Column, SimpleExpr)>,
    cond: Condition,
) -> Result<u64, DbErr> {
    crate::db::update_where::<order_line::Entity>(db, sets, cond).await
}

/// The parcels of order `id`, by sequence.
///
/// # Errors
/// Database failure.
pub async fn parcels_of(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<parcel::Model>, DbErr> {
    parcel::Entity::find()
        .filter(parcel::Column::OrderId.eq(id))
        .order_by_asc(parcel::Column::Seq)
        .all(db)
        .await
}

/// The first parcel matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn parcel_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Option<parcel::Model>, DbErr> {
    parcel::Entity::find().filter(cond).one(db).await
}

/// Sets `sets` on the parcels matching `cond`: how many rows changed.
///
/// # Errors
/// Database failure.
pub async fn update_parcels(
    db: &impl ConnectionTrait,
    sets: Vec<(parcel::Column, SimpleExpr)>,
    cond: Condition,
) -> Result<u64, DbErr> {
    crate::db::update_where::<parcel::Entity>(db, sets, cond).await
}

/// The returns of order `id`, oldest first.
///
/// # Errors
/// Database failure.
pub async fn returns_of(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<order_return::Model>, DbErr> {
    order_return::Entity::find()
        .filter(order_return::Column::OrderId.eq(id))
        .order_by_asc(order_return::Column::CreatedAt)
        .all(db)
        .await
}

/// The return rows of batch `batch`.
///
/// # Errors
/// Database failure.
pub async fn returns_of_batch(
    db: &impl ConnectionTrait,
    batch: Uuid,
) -> Result<Vec<order_return::Model>, DbErr> {
    order_return::Entity::find()
        .filter(order_return::Column::BatchId.eq(batch))
        .all(db)
        .await
}

/// Inserts a return row.
///
/// # Errors
/// Database failure.
pub async fn insert_return(
    db: &impl ConnectionTrait,
    row: order_return::ActiveModel,
) -> Result<order_return::Model, DbErr> {
    row.insert(db).await
}

/// Sets `sets` on the return rows matching `cond`: how many rows changed.
///
/// # Errors
/// Database failure.
pub async fn update_returns(
    db: &impl ConnectionTrait,
    sets: Vec<(order_return::Column, SimpleExpr)>,
    cond: Condition,
) -> Result<u64, DbErr> {
    crate::db::update_where::<order_return::Entity>(db, sets, cond).await
}

/// Writes order `row.order_id`'s refund account (replacing an earlier one).
///
/// # Errors
/// Database failure.
pub async fn save_refund_account(
    db: &impl ConnectionTrait,
    row: entity::refund_account::ActiveModel,
) -> Result<entity::refund_account::Model, DbErr> {
    if let sea_orm::ActiveValue::Set(id) = &row.order_id {
        entity::refund_account::Entity::delete_by_id(*id)
            .exec(db)
            .await?;
    }
    row.insert(db).await
}

/// Order `id`'s refund account.
///
/// # Errors
/// Database failure.
pub async fn refund_account(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<entity::refund_account::Model>, DbErr> {
    entity::refund_account::Entity::find_by_id(id).one(db).await
}

/// The refund accounts of the orders `ids`.
///
/// # Errors
/// Database failure.
pub async fn refund_accounts(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> Result<Vec<entity::refund_account::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            entity::refund_account::Entity::find()
                .filter(entity::refund_account::Column::OrderId.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Marks order `id`'s refund account as returned by the bank.
///
/// # Errors
/// Database failure.
pub async fn fail_refund_account(
    db: &impl ConnectionTrait,
    id: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    crate::db::update_where::<entity::refund_account::Entity>(
        db,
        vec![(
            entity::refund_account::Column::FailedAt,
            sea_orm::sea_query::Expr::value(at),
        )],
        Condition::all().add(entity::refund_account::Column::OrderId.eq(id)),
    )
    .await
    .map(|_| ())
}
