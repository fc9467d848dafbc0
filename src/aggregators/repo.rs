//! The aggregators area's queries.
use crate::core;
use entity::aggregator;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

/// The aggregator with this slug.
///
/// # Errors
/// Database failure.
pub async fn by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<aggregator::Model>, DbErr> {
    aggregator::Entity::find()
        .filter(aggregator::Column::Slug.eq(slug))
        .one(db)
        .await
}

/// Inserts an aggregator (a taken slug fails on its unique key).
///
/// # Errors
/// Database failure.
pub async fn insert(
    db: &impl ConnectionTrait,
    slug: &str,
    name: String,
) -> Result<aggregator::Model, DbErr> {
    aggregator::ActiveModel {
        id: Set(core::new_id()),
        slug: Set(slug.to_string()),
        name: Set(name),
        created_at: Set(core::now()),
    }
    .insert(db)
    .await
}

/// How many aggregators exist.
///
/// # Errors
/// Database failure.
pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    aggregator::Entity::find().count(db).await
}

/// Every aggregator, or only `only`, by slug.
///
/// # Errors
/// Database failure.
pub async fn list(
    db: &impl ConnectionTrait,
    only: Option<Uuid>,
) -> Result<Vec<aggregator::Model>, DbErr> {
    let mut q = aggregator::Entity::find().order_by_asc(aggregator::Column::Slug);
    if let Some(a) = only {
        q = q.filter(aggregator::Column::Id.eq(a));
    }
    q.all(db).await
}

/// Aggregator `id`.
///
/// # Errors
/// Database failure.
pub async fn by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<aggregator::Model>, DbErr> {
    aggregator::Entity::find_by_id(id).one(db).await
}
