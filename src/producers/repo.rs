//! The producers area's queries: producers (scoped lists and lookups, status moves, profile
//! and bank columns), their bank-account change requests, their closures, and the reference
//! rows registration checks (municipalities, islands). Users and aggregators are read through
//! their own areas' repos; the services keep the rules, the transactions and the audit.
use chrono::{DateTime, NaiveDate, Utc};
use entity::{island, municipality, producer, producer_bank_change, producer_closure};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

/// Municipality `code`.
///
/// # Errors
/// Database failure.
pub async fn municipality(
    db: &impl ConnectionTrait,
    code: String,
) -> Result<Option<municipality::Model>, DbErr> {
    municipality::Entity::find_by_id(code).one(db).await
}

/// Island `code`.
///
/// # Errors
/// Database failure.
pub async fn island(
    db: &impl ConnectionTrait,
    code: String,
) -> Result<Option<island::Model>, DbErr> {
    island::Entity::find_by_id(code).one(db).await
}

/// Producer `id`.
///
/// # Errors
/// Database failure.
pub async fn producer(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<producer::Model>, DbErr> {
    producer::Entity::find_by_id(id).one(db).await
}

/// The first producer matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn producer_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Option<producer::Model>, DbErr> {
    producer::Entity::find().filter(cond).one(db).await
}

/// Up to `limit` producers matching `cond`, newest id first.
///
/// # Errors
/// Database failure.
pub async fn producers_where(
    db: &impl ConnectionTrait,
    cond: Condition,
    limit: u64,
) -> Result<Vec<producer::Model>, DbErr> {
    producer::Entity::find()
        .filter(cond)
        .order_by_desc(producer::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The ids of the producers matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn producer_ids_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<Uuid>, DbErr> {
    producer::Entity::find()
        .select_only()
        .column(producer::Column::Id)
        .filter(cond)
        .into_tuple()
        .all(db)
        .await
}

/// Inserts a producer.
///
/// # Errors
/// Database failure.
pub async fn insert_producer(
    db: &impl ConnectionTrait,
    row: producer::ActiveModel,
) -> Result<producer::Model, DbErr> {
    row.insert(db).await
}

/// Writes the changed columns of a producer.
///
/// # Errors
/// Database failure.
pub async fn update_producer(
    db: &impl ConnectionTrait,
    row: producer::ActiveModel,
) -> Result<producer::Model, DbErr> {
    row.update(db).await
}

/// Moves producer `id` from status `from` to `to` with `reason`: `true` when it was in `from`.
///
/// # Errors
/// Database failure.
pub async fn move_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &str,
    to: &str,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(producer::Entity::update_many()
        .col_expr(producer::Column::Status, Expr::value(to))
        .col_expr(producer::Column::StatusReason, Expr::value(reason))
        .col_expr(producer::Column::UpdatedAt, Expr::value(now))
        .filter(producer::Column::Id.eq(id))
        .filter(producer::Column::Status.eq(from))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Marks producer `id`'s email confirmed at `now`.
///
/// # Errors
/// Database failure.
pub async fn confirm_email(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    producer::Entity::update_many()
        .col_expr(producer::Column::EmailConfirmedAt, Expr::value(Some(now)))
        .filter(producer::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Marks the pending bank-account change of producer `id` superseded.
///
/// # Errors
/// Database failure.
pub async fn supersede_bank_changes(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    producer_bank_change::Entity::update_many()
        .col_expr(
            producer_bank_change::Column::Status,
            Expr::value("superseded"),
        )
        .filter(producer_bank_change::Column::ProducerId.eq(id))
        .filter(producer_bank_change::Column::Status.eq("pending"))
        .exec(db)
        .await
        .map(|_| ())
}

/// Inserts a bank-account change request.
///
/// # Errors
/// Database failure.
pub async fn insert_bank_change(
    db: &impl ConnectionTrait,
    row: producer_bank_change::ActiveModel,
) -> Result<producer_bank_change::Model, DbErr> {
    row.insert(db).await
}

/// The pending bank-account change of producer `id`.
///
/// # Errors
/// Database failure.
pub async fn pending_bank_change(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<producer_bank_change::Model>, DbErr> {
    producer_bank_change::Entity::find()
        .filter(producer_bank_change::Column::ProducerId.eq(id))
        .filter(producer_bank_change::Column::Status.eq("pending"))
        .one(db)
        .await
}

/// The pending bank-account changes of the producers `ids`.
///
/// # Errors
/// Database failure.
pub async fn pending_bank_changes(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> Result<Vec<producer_bank_change::Model>, DbErr> {
    producer_bank_change::Entity::find()
        .filter(producer_bank_change::Column::ProducerId.is_in(ids))
        .filter(producer_bank_change::Column::Status.eq("pending"))
        .all(db)
        .await
}

/// Decides the pending change `id` (`approved` or `rejected`): `true` when it was still
/// pending (two concurrent decisions cannot both apply).
///
/// # Errors
/// Database failure.
pub async fn decide_bank_change(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(producer_bank_change::Entity::update_many()
        .col_expr(producer_bank_change::Column::Status, Expr::value(status))
        .col_expr(
            producer_bank_change::Column::DecidedBy,
            Expr::value(Some(by)),
        )
        .col_expr(
            producer_bank_change::Column::DecidedAt,
            Expr::value(Some(now)),
        )
        .filter(producer_bank_change::Column::Id.eq(id))
        .filter(producer_bank_change::Column::Status.eq("pending"))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Inserts a closure.
///
/// # Errors
/// Database failure.
pub async fn insert_closure(
    db: &impl ConnectionTrait,
    row: producer_closure::ActiveModel,
) -> Result<producer_closure::Model, DbErr> {
    row.insert(db).await
}

/// Closures of `agg` matching `target` that end on or after `from`, by start.
///
/// # Errors
/// Database failure.
pub async fn closures_ending_from(
    db: &impl ConnectionTrait,
    agg: Uuid,
    target: Condition,
    from: NaiveDate,
) -> Result<Vec<producer_closure::Model>, DbErr> {
    producer_closure::Entity::find()
        .filter(producer_closure::Column::AggregatorId.eq(agg))
        .filter(target)
        .filter(producer_closure::Column::ClosedTo.gte(from))
        .order_by_asc(producer_closure::Column::ClosedFrom)
        .all(db)
        .await
}

/// Closure `id`.
///
/// # Errors
/// Database failure.
pub async fn closure(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<producer_closure::Model>, DbErr> {
    producer_closure::Entity::find_by_id(id).one(db).await
}

/// Deletes closure `id`.
///
/// # Errors
/// Database failure.
pub async fn delete_closure(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    producer_closure::Entity::delete_by_id(id)
        .exec(db)
        .await
        .map(|_| ())
}

/// Every producer matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn all_producers_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<producer::Model>, DbErr> {
    producer::Entity::find().filter(cond).all(db).await
}

/// Sets how producer `id` hears of sales.
///
/// # Errors
/// Database failure.
pub async fn set_sold_notice(
    db: &impl ConnectionTrait,
    id: Uuid,
    choice: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    producer::Entity::update_many()
        .col_expr(producer::Column::SoldNotice, Expr::value(choice))
        .col_expr(producer::Column::UpdatedAt, Expr::value(now))
        .filter(producer::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// The approved bank-account changes of the producers `ids`.
///
/// # Errors
/// Database failure.
pub async fn approved_bank_changes(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> Result<Vec<producer_bank_change::Model>, DbErr> {
    producer_bank_change::Entity::find()
        .filter(producer_bank_change::Column::ProducerId.is_in(ids))
        .filter(producer_bank_change::Column::Status.eq("approved"))
        .all(db)
        .await
}
